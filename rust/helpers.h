/* SPDX-License-Identifier: GPL-2.0 */
/*
 * C helpers for what bindgen cannot reach from an out-of-tree module: macros
 * and static inline functions. Declared in Rust in abstractions/shim.rs and
 * tests/shim.rs.
 */
#ifndef SCX_KICK_PSEQS_HELPERS_H
#define SCX_KICK_PSEQS_HELPERS_H

void scxk_preempt_disable(void);
void scxk_preempt_enable(void);
void scxk_migrate_disable(void);
void scxk_migrate_enable(void);
int scxk_cpu_to_node(int cpu);
int scxk_mem_to_node(const void *p);
void scxk_kunit_skip(const char *reason);
int scxk_test_alloc_node(int nid);

#endif
