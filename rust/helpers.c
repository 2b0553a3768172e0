// SPDX-License-Identifier: GPL-2.0
/*
 * One-line wrappers around macros and static inline functions, so that the
 * Rust side can call them. Nothing here holds logic of its own.
 */
#include <linux/mm.h>
#include <linux/preempt.h>
#include <linux/topology.h>
#include <linux/vmalloc.h>

#include "helpers.h"

void scxk_preempt_disable(void)
{
	preempt_disable();
}

void scxk_preempt_enable(void)
{
	preempt_enable();
}

void scxk_migrate_disable(void)
{
	migrate_disable();
}

void scxk_migrate_enable(void)
{
	migrate_enable();
}

int scxk_cpu_to_node(int cpu)
{
	return cpu_to_node(cpu);
}

/* The node of the memory behind @p, for kvmalloc()ed (kmalloc or vmalloc) memory. */
int scxk_mem_to_node(const void *p)
{
	return page_to_nid(is_vmalloc_addr(p) ? vmalloc_to_page(p) : virt_to_page(p));
}
