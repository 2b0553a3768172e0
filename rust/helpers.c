// SPDX-License-Identifier: GPL-2.0
/*
 * One-line wrappers around macros and static inline functions, so that the
 * Rust side can call them. Nothing here holds logic of its own.
 */
#include <kunit/test-bug.h>
#include <kunit/test.h>
#include <linux/irq_work.h>
#include <linux/mm.h>
#include <linux/preempt.h>
#include <linux/smp.h>
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

/*
 * IRQ_WORK_INIT_HARD: the work runs in hardirq even on PREEMPT_RT, where a
 * plain irq_work runs in a thread without the protection its reader needs.
 */
void scxk_init_irq_work_hard(void *work, void (*func)(struct irq_work *))
{
	*(struct irq_work *)work = IRQ_WORK_INIT_HARD(func);
}

/* kunit_mark_skipped() on the current test, if any: Rust KUnit has no skip. */
void scxk_kunit_skip(const char *reason)
{
	struct kunit *test = kunit_get_current_test();

	if (test)
		kunit_mark_skipped(test, "%s", reason);
}

/* INIT_CSD(): a call_single_data whose @func gets no argument. */
void scxk_init_csd(void *csd, void (*func)(void *info))
{
	INIT_CSD((call_single_data_t *)csd, func, NULL);
}

/* Whether @csd is still queued (csd_lock_wait() is private to kernel/smp.c). */
bool scxk_csd_busy(const void *csd)
{
	return smp_load_acquire(&((const call_single_data_t *)csd)->node.u_flags) & CSD_FLAG_LOCK;
}
