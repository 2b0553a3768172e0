// SPDX-License-Identifier: GPL-2.0

//! `call_rcu()`, counted: how many frees are queued and how many still wait
//! for their grace period, for the stats and for the module's exit check.

use kernel::{
    bindings,
    sync::atomic::{Atomic, Relaxed},
};

/// Frees queued with `call_rcu()` whose callback has not run yet.
static FREES_PENDING: Atomic<u64> = Atomic::new(0);

/// Frees queued with `call_rcu()` since the module was loaded.
static FREES_QUEUED: Atomic<u64> = Atomic::new(0);

/// Returns the number of `call_rcu()` frees queued since the module loaded.
#[inline]
pub(crate) fn frees_queued() -> u64 {
    FREES_QUEUED.load(Relaxed)
}

/// Returns the number of RCU frees queued but not yet run.
#[inline]
pub(crate) fn frees_pending() -> u64 {
    FREES_PENDING.load(Relaxed)
}

/// Waits for every queued RCU free to have run (`rcu_barrier()`).
#[inline]
pub(crate) fn barrier() {
    crate::compat::rcu_barrier();
}

/// `call_rcu(head, free)`, counted in [`frees_queued`] and [`frees_pending`].
///
/// # Safety
///
/// `head` is valid and not queued, and stays valid until `free` runs; `free`
/// calls [`free_done`] once.
pub(crate) unsafe fn call_rcu_counted(
    head: *mut bindings::callback_head,
    free: unsafe extern "C" fn(*mut bindings::callback_head),
) {
    FREES_PENDING.fetch_add(1, Relaxed);
    FREES_QUEUED.fetch_add(1, Relaxed);
    // SAFETY: The caller guarantees what `call_rcu()` requires of `head`: a
    // valid head, not queued, that lives until `free` runs.
    unsafe { bindings::call_rcu(head, Some(free)) };
}

/// Called by each callback queued with [`call_rcu_counted`] once it has freed.
#[inline]
pub(crate) fn free_done() {
    FREES_PENDING.fetch_sub(1, Relaxed);
}
