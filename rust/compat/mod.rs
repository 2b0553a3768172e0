// SPDX-License-Identifier: GPL-2.0

//! What the kernel crate spells differently between the releases the module
//! builds for, 7.2 and 7.3; the rest of the module uses these names only.
//!
//! One cfg, `scx_kernel_before_7_3`, which `rust/Kbuild` sets from the
//! `VERSION` and `PATCHLEVEL` of the kernel built against, never by hand.
//! What 7.2's kernel crate lacks: `kernel::interrupt` (see [`interrupt`]),
//! the ordered barriers (`smp_mb(Full)`, `smp_mb(Read)`), the RCU waits
//! `synchronize_rcu()` and `rcu_barrier()`, and the error `ECANCELED`.

#[cfg(scx_kernel_before_7_3)]
pub(crate) mod interrupt;
#[cfg(not(scx_kernel_before_7_3))]
pub(crate) use kernel::interrupt;

use kernel::error::Error;

/// Full memory barrier between CPUs (`smp_mb()`).
#[cfg(not(scx_kernel_before_7_3))]
#[inline]
pub(crate) fn smp_mb() {
    kernel::sync::barrier::smp_mb(kernel::sync::atomic::Full);
}

/// Full memory barrier between CPUs (`smp_mb()`).
#[cfg(scx_kernel_before_7_3)]
#[inline]
pub(crate) fn smp_mb() {
    kernel::sync::barrier::smp_mb();
}

/// Read memory barrier between CPUs (`smp_rmb()`).
#[cfg(not(scx_kernel_before_7_3))]
#[inline]
pub(crate) fn smp_rmb() {
    kernel::sync::barrier::smp_mb(kernel::sync::barrier::Read);
}

/// Read memory barrier between CPUs (`smp_rmb()`).
#[cfg(scx_kernel_before_7_3)]
#[inline]
pub(crate) fn smp_rmb() {
    kernel::sync::barrier::smp_rmb();
}

#[cfg(not(scx_kernel_before_7_3))]
pub(crate) use kernel::sync::rcu::{rcu_barrier, synchronize_rcu};

/// Waits for an RCU grace period (`synchronize_rcu()`); sleeps.
#[cfg(scx_kernel_before_7_3)]
#[inline]
pub(crate) fn synchronize_rcu() {
    // SAFETY: synchronize_rcu() has no precondition but a context that may
    // sleep, which is not a memory-safety requirement, as for 7.3's safe
    // kernel::sync::rcu::synchronize_rcu().
    unsafe { kernel::bindings::synchronize_rcu() };
}

/// Waits until every queued RCU callback has run (`rcu_barrier()`); sleeps.
#[cfg(scx_kernel_before_7_3)]
#[inline]
pub(crate) fn rcu_barrier() {
    // SAFETY: As for synchronize_rcu() above: rcu_barrier() only needs a
    // context that may sleep.
    unsafe { kernel::bindings::rcu_barrier() };
}

/// `ECANCELED`, a function because 7.2 has no constant for it.
#[cfg(not(scx_kernel_before_7_3))]
#[inline]
pub(crate) fn ecanceled() -> Error {
    kernel::error::code::ECANCELED
}

/// `ECANCELED`, a function because 7.2 has no constant for it.
#[cfg(scx_kernel_before_7_3)]
#[inline]
pub(crate) fn ecanceled() -> Error {
    Error::from_errno(-(kernel::bindings::ECANCELED as i32))
}

/// A module parameter's value (7.3's `value()` copies it).
#[cfg(not(scx_kernel_before_7_3))]
#[inline]
pub(crate) fn param<T: Copy>(p: &kernel::module_param::ModuleParamAccess<T>) -> T {
    p.value()
}

/// A module parameter's value (7.2's `value()` borrows it).
#[cfg(scx_kernel_before_7_3)]
#[inline]
pub(crate) fn param<T: Copy>(p: &kernel::module_param::ModuleParamAccess<T>) -> T {
    *p.value()
}
