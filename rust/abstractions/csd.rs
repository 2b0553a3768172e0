// SPDX-License-Identifier: GPL-2.0

//! An asynchronous cross-CPU function call (`call_single_data_t` queued with
//! `smp_call_function_single_async()`), serialized by construction.
//!
//! The C API leaves serialization to the caller: its busy test is a plain
//! read of the csd's lock flag followed by a plain write, so two CPUs queueing
//! one csd at once can both pass the test and add the same node to two call
//! queues, which corrupts them (kernel/smp.c). A [`Csd`] carries a claim: only
//! the CPU whose compare-and-exchange takes it queues the csd, and the claim
//! is given back by the call itself, after the C core has unlocked the csd.
//! A caller that finds the call claimed gets [`QueueError::Pending`]: the
//! pending call will run its handler, once, after the caller's attempt,
//! unless the claimant finds the target offline (then nothing runs; callers
//! that rely on the handler check the target is online and keep it so, with
//! interrupts disabled).

use crate::compat::interrupt::LocalInterruptDisabled;
use core::{ffi::c_void, pin::Pin};
use kernel::{
    bindings,
    cpu::CpuId,
    processor::cpu_relax,
    sync::atomic::{Acquire, Atomic, Full, Relaxed, Release},
    types::Opaque,
};

/// What a [`Csd`] runs on its target CPU.
pub(crate) trait CsdHandler {
    /// Runs in hard interrupt context (the call function IPI, or with local
    /// interrupts disabled when the target is the calling CPU).
    fn run(irq: &LocalInterruptDisabled);
}

/// Why [`Csd::queue_on`] did not queue the call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum QueueError {
    /// Another caller's call is claimed and its handler has not started yet:
    /// it runs after this attempt, unless its target is offline.
    Pending,
    /// The target CPU is not online.
    Offline,
    /// The C core found the csd still locked although the claim was free:
    /// someone queued it without the claim. Never happens (the claim is the
    /// only way to queue); reported rather than ignored.
    Busy,
}

/// An asynchronous single-CPU function call running `H::run`.
///
/// # Invariants
///
/// - `csd` was initialized by [`Csd::new`] with [`run_handler`] as its
///   function.
/// - `claimed` is set by the one caller of [`Csd::queue_on`] whose
///   compare-and-exchange took it, and cleared by that caller if the call
///   could not be queued, otherwise by [`run_handler`], after the C core has
///   unlocked the csd. Only the claimant writes `info` and queues the csd, so
///   the C API's serialization requirement holds.
pub(crate) struct Csd {
    csd: Opaque<bindings::call_single_data_t>,
    claimed: Atomic<bool>,
}

// SAFETY: Every use of the C csd is serialized by `claimed` (type invariant);
// the rest is atomics.
unsafe impl Sync for Csd {}

// SAFETY: A csd that is not queued may move between threads; once pinned it
// cannot move at all (`Opaque` is `!Unpin`).
unsafe impl Send for Csd {}

impl Csd {
    /// `CSD_INIT(func, NULL)`, with `func` running `H::run`.
    #[inline]
    pub(crate) const fn new<H: CsdHandler>() -> Self {
        // SAFETY: All-zero is a valid `call_single_data_t`: integers, NULL
        // pointers and a `None` function, which is what `CSD_INIT()`'s
        // designated initializer leaves in the other fields.
        let mut csd: bindings::call_single_data_t = unsafe { core::mem::zeroed() };
        csd.func = Some(run_handler::<H>);
        // INVARIANT: Initialized as `CSD_INIT()` does; nobody holds the claim.
        Self {
            csd: Opaque::new(csd),
            claimed: Atomic::new(false),
        }
    }

    /// Queues the call on `cpu`, unless another one is pending.
    ///
    /// Callable from any context, with interrupts disabled too. When the
    /// target is the current CPU the handler runs before this returns.
    pub(crate) fn queue_on(self: Pin<&Self>, cpu: CpuId) -> Result<(), QueueError> {
        // Acquire pairs with the release of the claim in `run_handler`, which
        // comes after the C core's last read of the previous call's fields.
        if self.claimed.cmpxchg(false, true, Acquire).is_err() {
            return Err(QueueError::Pending);
        }
        let this = core::ptr::from_ref::<Self>(self.get_ref());
        // SAFETY: We hold the claim, so no other caller touches the csd, and
        // the C core is done with it (it read `func` and `info` before it
        // unlocked the csd, before `run_handler` released the claim).
        unsafe { (*self.csd.get()).info = this.cast_mut().cast::<c_void>() };
        // SAFETY: The csd is initialized (type invariant) and pinned, so it
        // stays at this address while queued, and it cannot be freed before
        // its call released the claim (`Drop` waits; a static is never
        // freed). The claim serializes this call, as the C API requires.
        let rc = unsafe {
            bindings::smp_call_function_single_async(cpu.as_u32() as i32, self.csd.get())
        };
        if rc == 0 {
            return Ok(());
        }
        // Not queued: the claim is ours to give back.
        self.claimed.store(false, Release);
        if rc == -(bindings::EBUSY as i32) {
            Err(QueueError::Busy)
        } else {
            Err(QueueError::Offline)
        }
    }

    /// Whether a call is claimed: queued, or its handler not yet started.
    #[inline]
    pub(crate) fn is_claimed(&self) -> bool {
        self.claimed.load(Relaxed)
    }

    /// Waits until no call is queued. Its handler may still be finishing: it
    /// runs in hardirq, so an RCU grace period after this covers it.
    pub(crate) fn wait_idle(&self) {
        while self.claimed.load(Acquire) {
            cpu_relax();
        }
    }
}

impl Drop for Csd {
    fn drop(&mut self) {
        // The memory goes away after this: no call may still be queued.
        self.wait_idle();
    }
}

/// The function of every [`Csd`] with handler `H`.
///
/// # Safety
///
/// Called only by the cross-CPU call core, with the `info` that
/// [`Csd::queue_on`] set: the address of the pinned `Csd` that was queued.
unsafe extern "C" fn run_handler<H: CsdHandler>(info: *mut c_void) {
    // SAFETY: `info` is the `Csd` that was queued; it stays allocated until
    // its claim is released (its `Drop` waits for that), which is the last
    // thing done with it here.
    let csd = unsafe { &*info.cast::<Csd>() };
    // The C core unlocked the csd before calling us, so it may be queued again
    // from now on. Fully ordered: whatever the handler does comes after, so a
    // caller that still finds the call claimed (`Pending`) can rely on the
    // handler's effects being later than its own attempt.
    csd.claimed.xchg(false, Full);
    // SAFETY: An async csd function runs from the call function IPI, in hard
    // interrupt context, or, when the target is the calling CPU, between
    // local_irq_save() and local_irq_restore() (generic_exec_single()):
    // local interrupts are disabled until it returns.
    let irq = unsafe { LocalInterruptDisabled::assume_disabled() };
    H::run(irq);
}
