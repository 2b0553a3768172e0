// SPDX-License-Identifier: GPL-2.0
/*
 * scx_kick_pseqs_c73: the C twin with upstream 7.3's free path
 * (free_kick_syncs(): each CPU's kick irq_work synced, kvfree_rcu()), so that
 * disable compares like with like. Everything else is the 6.17 twin's.
 */
#define TWIN_FREE_73
#define TWIN_DESCRIPTION "C twin of upstream 7.3's lazy scx_kick_pseqs, for benchmarks"
#include "scx_kick_pseqs_c.c"
