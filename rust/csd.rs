// SPDX-License-Identifier: GPL-2.0

//! A `call_single_data_t` that can live in a per-CPU static: an asynchronous
//! cross-CPU function call, the module's stand-in for a reschedule IPI.

use crate::shim;
use kernel::{bindings, cpu::CpuId, processor::cpu_relax, types::Opaque};

/// An asynchronous single-CPU function call (`smp_call_function_single_async()`).
///
/// The function runs in hard interrupt context on the target CPU.
///
/// # Invariants
///
/// Once [`Csd::init`] has run, the csd is initialized and only queued through
/// the C API, which serializes users of one csd through its lock flag.
#[repr(transparent)]
pub(crate) struct Csd(Opaque<bindings::call_single_data_t>);

// SAFETY: The C API is safe to call concurrently on one csd: a second caller
// gets -EBUSY while it is queued.
unsafe impl Sync for Csd {}

impl Csd {
    /// An uninitialized csd, for a static initializer.
    pub(crate) const fn uninit() -> Self {
        Self(Opaque::uninit())
    }

    /// Initializes the csd with `func`.
    ///
    /// # Safety
    ///
    /// The csd is not queued or being initialized concurrently, and `func`
    /// can run in hard interrupt context on any CPU for as long as the csd
    /// may be queued.
    pub(crate) unsafe fn init(&self, func: unsafe extern "C" fn(*mut core::ffi::c_void)) {
        // SAFETY: `self.0` is valid for writes and unused meanwhile (caller).
        unsafe { shim::scxk_init_csd(self.0.get().cast(), func) };
    }

    /// Queues the call on `cpu`; `false` when it is still queued from before
    /// (it will run, once) or `cpu` is offline.
    pub(crate) fn queue_on(&self, cpu: CpuId) -> bool {
        // SAFETY: By the type invariant the csd is initialized.
        unsafe { bindings::smp_call_function_single_async(cpu.as_u32() as i32, self.0.get()) == 0 }
    }

    /// Waits until the csd is no longer queued. Its function may still be
    /// finishing: it runs in hardirq, so an RCU grace period after this
    /// covers it.
    pub(crate) fn wait_idle(&self) {
        // SAFETY: By the type invariant the csd is initialized; the flag is
        // read with an acquire load.
        while unsafe { shim::scxk_csd_busy(self.0.get().cast()) } {
            cpu_relax();
        }
    }
}
