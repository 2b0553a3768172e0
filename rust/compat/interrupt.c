// SPDX-License-Identifier: GPL-2.0
/*
 * For compat/interrupt.rs, built only against kernels without
 * kernel::interrupt (7.2): 7.3's counted local_interrupt_disable() and
 * local_interrupt_enable(), in the module's own per-CPU state. Counted, so
 * that guards may be dropped in any order: interrupts come back on only
 * when the last one goes, with the state saved by the first.
 */
#include <linux/irqflags.h>
#include <linux/lockdep.h>
#include <linux/percpu.h>

void scxk_local_interrupt_disable(void);
void scxk_local_interrupt_enable(void);
void scxk_lockdep_assert_irqs_disabled(void);

static DEFINE_PER_CPU(unsigned int, scxk_irq_count);
static DEFINE_PER_CPU(unsigned long, scxk_irq_flags);

void scxk_local_interrupt_disable(void)
{
	unsigned long flags;

	local_irq_save(flags);
	if (this_cpu_inc_return(scxk_irq_count) == 1)
		this_cpu_write(scxk_irq_flags, flags);
}

void scxk_local_interrupt_enable(void)
{
	lockdep_assert_irqs_disabled();
	if (this_cpu_dec_return(scxk_irq_count) == 0)
		local_irq_restore(this_cpu_read(scxk_irq_flags));
}

void scxk_lockdep_assert_irqs_disabled(void)
{
	lockdep_assert_irqs_disabled();
}
