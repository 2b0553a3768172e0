// SPDX-License-Identifier: GPL-2.0

//! A hard `struct irq_work` that can live in a per-CPU static.

use crate::shim;
use kernel::{bindings, types::Opaque};

/// An irq_work whose callback runs in hard interrupt context, even on
/// PREEMPT_RT (`IRQ_WORK_INIT_HARD`).
///
/// # Invariants
///
/// Once [`IrqWork::init_hard`] has run, the work is initialized and is only
/// queued and synced through the C API, which tolerates concurrent callers.
#[repr(transparent)]
pub(crate) struct IrqWork(Opaque<bindings::irq_work>);

// SAFETY: The irq_work C API is safe to call concurrently from any CPU; the
// callback pointer is set once before the work is first queued.
unsafe impl Sync for IrqWork {}

impl IrqWork {
    /// An uninitialized work, for a static initializer.
    pub(crate) const fn uninit() -> Self {
        Self(Opaque::uninit())
    }

    /// Initializes the work with `func` as its hard-irq callback.
    ///
    /// # Safety
    ///
    /// The work is not queued, running, or being initialized concurrently,
    /// and `func` can run in hard interrupt context on any CPU for as long as
    /// the work may be queued.
    pub(crate) unsafe fn init_hard(&self, func: unsafe extern "C" fn(*mut bindings::irq_work)) {
        // SAFETY: `self.0` is valid for writes; the caller guarantees nobody
        // else uses the work meanwhile.
        unsafe { shim::scxk_init_irq_work_hard(self.0.get().cast(), func) };
    }

    /// Queues the work on the current CPU; `false` if it was already pending.
    pub(crate) fn queue(&self) -> bool {
        // SAFETY: By the type invariant the work is initialized.
        unsafe { bindings::irq_work_queue(self.0.get()) }
    }

    /// Waits until the work is neither pending nor running (`irq_work_sync()`).
    ///
    /// Must be called from task context with interrupts enabled.
    pub(crate) fn sync(&self) {
        // SAFETY: By the type invariant the work is initialized.
        unsafe { bindings::irq_work_sync(self.0.get()) };
    }
}
