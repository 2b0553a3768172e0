// SPDX-License-Identifier: GPL-2.0

//! A twin of the 7.3 kernel crate's `kernel::interrupt` for 7.2, which has
//! none: the proof that local interrupts are disabled, with the same names
//! and contract, over `local_irq_save()`/`local_irq_restore()` (7.3's is over
//! the counted `local_interrupt_disable()`). Only this subset is used.

use core::ffi::c_ulong;
use kernel::types::NotThreadSafe;

extern "C" {
    // compat/interrupt.c: local_irq_save() and local_irq_restore() are
    // macros, lockdep_assert_irqs_disabled() too.
    fn scxk_local_irq_save() -> c_ulong;
    fn scxk_local_irq_restore(flags: c_ulong);
    fn scxk_lockdep_assert_irqs_disabled();
}

/// Local interrupts are disabled on this CPU while it lives; dropping it
/// restores what was saved when it was made.
///
/// # Invariants
///
/// Local interrupts are disabled for the lifetime of the value. An owned one
/// was made by [`local_interrupt_disable`] on the current CPU, which cannot
/// change (interrupts are off and the type is not `Send`), and `flags` is
/// what `local_irq_save()` returned there.
#[must_use = "interrupts are restored when the guard is dropped"]
pub(crate) struct LocalInterruptDisabled {
    flags: c_ulong,
    _not_send: NotThreadSafe,
}

/// Disables local interrupts until the result is dropped.
#[inline]
pub(crate) fn local_interrupt_disable() -> LocalInterruptDisabled {
    // SAFETY: local_irq_save() may be called in any context; the flags go
    // back to local_irq_restore() on this CPU when the guard drops.
    let flags = unsafe { scxk_local_irq_save() };
    // INVARIANT: interrupts are off from here, and `flags` holds the state
    // to restore.
    LocalInterruptDisabled {
        flags,
        _not_send: NotThreadSafe,
    }
}

impl Drop for LocalInterruptDisabled {
    #[inline]
    fn drop(&mut self) {
        // SAFETY: by the type invariant `flags` came from local_irq_save()
        // on this CPU, and guards drop in the reverse order of their making
        // (they cannot be moved to another task or CPU), so the restores nest.
        unsafe { scxk_local_irq_restore(self.flags) };
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
        // A borrowed proof is never dropped, so its flags are never restored.
        const ASSUMED: &LocalInterruptDisabled = &LocalInterruptDisabled {
            flags: 0,
            _not_send: NotThreadSafe,
        };
        // SAFETY: lockdep_assert_irqs_disabled() may be called in any context.
        unsafe { scxk_lockdep_assert_irqs_disabled() };
        // INVARIANT: the caller guarantees that interrupts stay disabled for 'a.
        ASSUMED
    }
}
