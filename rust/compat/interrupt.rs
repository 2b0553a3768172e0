// SPDX-License-Identifier: GPL-2.0

//! A twin of the 7.3 kernel crate's `kernel::interrupt` for 7.2, which has
//! none: the proof that local interrupts are disabled, with the same names
//! and contract. Like 7.3's, disabling is counted per CPU (compat/interrupt.c),
//! so guards may be dropped in any order: interrupts come back on only when
//! the last guard of the CPU goes.

use kernel::types::NotThreadSafe;

extern "C" {
    // compat/interrupt.c: local_irq_save()/local_irq_restore() under a
    // per-CPU count, and the lockdep assertion, which are macros.
    fn scxk_local_interrupt_disable();
    fn scxk_local_interrupt_enable();
    fn scxk_lockdep_assert_irqs_disabled();
}

/// Local interrupts are disabled on this CPU while it lives.
///
/// # Invariants
///
/// Local interrupts are disabled for the lifetime of the value. An owned one
/// holds one count of its CPU's `scxk_irq_count`, taken on the current CPU,
/// which cannot change while it lives (interrupts are off and the type is
/// not `Send`).
#[must_use = "interrupts are enabled again when the guard is dropped"]
pub(crate) struct LocalInterruptDisabled(NotThreadSafe);

/// Disables local interrupts until the result is dropped.
#[inline]
pub(crate) fn local_interrupt_disable() -> LocalInterruptDisabled {
    // SAFETY: scxk_local_interrupt_disable() may be called in any context;
    // its count is given back when the guard drops.
    unsafe { scxk_local_interrupt_disable() };
    // INVARIANT: interrupts are off from here, and this guard holds a count.
    LocalInterruptDisabled(NotThreadSafe)
}

impl Drop for LocalInterruptDisabled {
    #[inline]
    fn drop(&mut self) {
        // SAFETY: By the type invariant this guard holds one count of the
        // current CPU's, so the count stays above zero until the last
        // guard of the CPU drops, whatever the order, and only that drop
        // restores interrupts.
        unsafe { scxk_local_interrupt_enable() };
    }
}

impl LocalInterruptDisabled {
    /// A proof for code that already runs with interrupts disabled.
    ///
    /// # Safety
    ///
    /// Local interrupts must be disabled for all of `'a`.
    #[inline]
    pub(crate) unsafe fn assume_disabled<'a>() -> &'a LocalInterruptDisabled {
        // A borrowed proof is never dropped, so it gives back no count.
        const ASSUMED: &LocalInterruptDisabled = &LocalInterruptDisabled(NotThreadSafe);
        // SAFETY: lockdep_assert_irqs_disabled() may be called in any context.
        unsafe { scxk_lockdep_assert_irqs_disabled() };
        // INVARIANT: the caller guarantees that interrupts stay disabled for 'a.
        ASSUMED
    }
}
