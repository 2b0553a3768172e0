// SPDX-License-Identifier: GPL-2.0

//! A hard `struct irq_work`, initialized when it is constructed.
//!
//! [`IrqWork::new_hard`] is `IRQ_WORK_INIT_HARD()` as a `const fn`, so a work
//! in a static (or a per-CPU static) is ready to queue in its section image:
//! there is no uninitialized state to queue by mistake. A work that is not
//! static waits for itself to finish (`irq_work_sync()`, then a grace
//! period) when dropped, so dropping one sleeps.

use crate::compat::{interrupt::LocalInterruptDisabled, synchronize_rcu};
use core::pin::Pin;
use kernel::{bindings, types::Opaque};

/// What a hard irq_work runs.
pub(crate) trait IrqWorkHandler {
    /// Runs in hard interrupt context on the CPU the work was queued on.
    fn run(irq: &LocalInterruptDisabled);
}

/// An irq_work whose handler runs in hard interrupt context, even on
/// PREEMPT_RT (`IRQ_WORK_INIT_HARD`).
///
/// # Invariants
///
/// The `irq_work` was initialized by [`IrqWork::new_hard`], with
/// `IRQ_WORK_HARD_IRQ` and [`run_handler`] as its function; it is only used
/// through the C API once pinned.
#[repr(transparent)]
pub(crate) struct IrqWork(Opaque<bindings::irq_work>);

// SAFETY: The irq_work C API may be called concurrently from any CPU on one
// work: `irq_work_claim()` is an atomic fetch-or, and `irq_work_sync()` only
// reads the flags.
unsafe impl Sync for IrqWork {}

// SAFETY: The work holds no reference to a thread; a work that is not queued
// may move between threads (it is `!Unpin`, so it cannot move once pinned).
unsafe impl Send for IrqWork {}

impl IrqWork {
    /// `IRQ_WORK_INIT_HARD(func)`, with `func` running `H::run`.
    #[inline]
    pub(crate) const fn new_hard<H: IrqWorkHandler>() -> Self {
        // SAFETY: All-zero is a valid `struct irq_work`: integers, NULL
        // pointers and a `None` function, which is what the designated
        // initializer of `__IRQ_WORK_INIT()` leaves in the other fields.
        let mut work: bindings::irq_work = unsafe { core::mem::zeroed() };
        work.node.__bindgen_anon_1.u_flags = bindings::IRQ_WORK_HARD_IRQ;
        work.func = Some(run_handler::<H>);
        // INVARIANT: Initialized as `IRQ_WORK_INIT_HARD()` does.
        Self(Opaque::new(work))
    }

    /// Queues the work on the current CPU; `false` if it was already pending.
    #[inline]
    pub(crate) fn queue(self: Pin<&Self>) -> bool {
        // SAFETY: By the type invariant the work is initialized; it is pinned,
        // so it stays at this address while queued, and it cannot be freed
        // before it has run (`Drop` syncs; a static is never freed).
        unsafe { bindings::irq_work_queue(self.0.get()) }
    }

    /// Waits until the work is neither pending nor running (`irq_work_sync()`).
    ///
    /// Called from task context with interrupts enabled, as `irq_work_sync()`
    /// asserts.
    #[inline]
    pub(crate) fn sync(self: Pin<&Self>) {
        // SAFETY: By the type invariant the work is initialized.
        unsafe { bindings::irq_work_sync(self.0.get()) };
    }
}

impl Drop for IrqWork {
    fn drop(&mut self) {
        // A work being dropped was pinned if it was ever queued, and its
        // memory goes away after this: it must not be pending or running.
        // SAFETY: By the type invariant the work is initialized.
        unsafe { bindings::irq_work_sync(self.0.get()) };
        // irq_work_single() still reads the work after clearing its busy bit
        // (on PREEMPT_RT, or without an irq_work interrupt), inside an RCU
        // read-side section, as irq_work_sync()'s own comment says: wait for
        // it before the memory goes. Like irq_work_sync(), this sleeps.
        synchronize_rcu();
    }
}

/// The `irq_work` function of every [`IrqWork`] with handler `H`.
///
/// # Safety
///
/// Called only by the irq_work core, for a hard work.
unsafe extern "C" fn run_handler<H: IrqWorkHandler>(_work: *mut bindings::irq_work) {
    // SAFETY: The irq_work core runs a work with `IRQ_WORK_HARD_IRQ` from the
    // irq_work interrupt or the tick, in hard interrupt context with local
    // interrupts disabled until this function returns, on PREEMPT_RT too.
    let irq = unsafe { LocalInterruptDisabled::assume_disabled() };
    H::run(irq);
}
