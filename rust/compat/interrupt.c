// SPDX-License-Identifier: GPL-2.0
/*
 * For compat/interrupt.rs, built only against kernels without
 * kernel::interrupt (7.2): the macros it needs, as functions.
 */
#include <linux/irqflags.h>
#include <linux/lockdep.h>

unsigned long scxk_local_irq_save(void);
void scxk_local_irq_restore(unsigned long flags);
void scxk_lockdep_assert_irqs_disabled(void);

unsigned long scxk_local_irq_save(void)
{
	unsigned long flags;

	local_irq_save(flags);
	return flags;
}

void scxk_local_irq_restore(unsigned long flags)
{
	local_irq_restore(flags);
}

void scxk_lockdep_assert_irqs_disabled(void)
{
	lockdep_assert_irqs_disabled();
}
