// SPDX-License-Identifier: GPL-2.0

//! Proofs that the current task stays on its CPU: preemption disabled,
//! migration disabled, or local interrupts disabled.
//!
//! As for `rcu::Guard`, sleeping while holding one is a bug the type system
//! does not catch (`might_sleep()` and klint do).

use super::{cpus::PossibleCpu, shim};
use crate::compat::interrupt::LocalInterruptDisabled;
use kernel::types::NotThreadSafe;

/// Proof that the current task stays on one CPU while the proof is alive.
pub(crate) trait CpuPinned {
    /// The CPU the task is pinned to.
    fn cpu(&self) -> PossibleCpu;
}

impl CpuPinned for LocalInterruptDisabled {
    #[inline]
    fn cpu(&self) -> PossibleCpu {
        // With local interrupts disabled (type invariant) the task can
        // neither be preempted nor migrate.
        PossibleCpu::current()
    }
}

/// Preemption disabled (`preempt_disable()`) until dropped.
///
/// # Invariants
///
/// Preemption is disabled for the lifetime of the guard and `cpu` is the CPU
/// it was disabled on.
#[must_use = "preemption is enabled again when the guard is dropped"]
pub(crate) struct PreemptGuard {
    cpu: PossibleCpu,
    _not_send: NotThreadSafe,
}

impl PreemptGuard {
    /// Disables preemption.
    #[inline]
    pub(crate) fn new() -> Self {
        // SAFETY: Always callable; paired with the enable in `drop`.
        unsafe { shim::scxk_preempt_disable() };
        // INVARIANT: Preemption was just disabled; the CPU cannot change now.
        Self {
            cpu: PossibleCpu::current(),
            _not_send: NotThreadSafe,
        }
    }
}

impl Drop for PreemptGuard {
    #[inline]
    fn drop(&mut self) {
        // SAFETY: Paired with the disable in `new`; the guard is not `Send`,
        // so this runs on the task that disabled preemption.
        unsafe { shim::scxk_preempt_enable() };
    }
}

impl CpuPinned for PreemptGuard {
    #[inline]
    fn cpu(&self) -> PossibleCpu {
        self.cpu
    }
}

/// Migration disabled (`migrate_disable()`) until dropped: the task stays on
/// its CPU but may be preempted and may sleep.
///
/// It is deliberately not [`CpuPinned`], which is also an RCU read side for
/// the other proofs: it is not one.
///
/// # Invariants
///
/// Migration is disabled for the lifetime of the guard and `cpu` is the CPU
/// the task is bound to.
#[must_use = "migration is enabled again when the guard is dropped"]
pub(crate) struct MigrateGuard {
    cpu: PossibleCpu,
    _not_send: NotThreadSafe,
}

impl MigrateGuard {
    /// Disables migration.
    #[inline]
    pub(crate) fn new() -> Self {
        // SAFETY: Always callable from task context; paired with `drop`.
        unsafe { shim::scxk_migrate_disable() };
        // INVARIANT: Migration was just disabled.
        Self {
            cpu: PossibleCpu::current(),
            _not_send: NotThreadSafe,
        }
    }

    /// The CPU the task is bound to.
    #[inline]
    pub(crate) fn cpu(&self) -> PossibleCpu {
        self.cpu
    }
}

impl Drop for MigrateGuard {
    #[inline]
    fn drop(&mut self) {
        // SAFETY: Paired with `new` on the same task (the guard is not `Send`).
        unsafe { shim::scxk_migrate_enable() };
    }
}
