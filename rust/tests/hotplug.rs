// SPDX-License-Identifier: GPL-2.0

//! Taking CPUs down and bringing them up from the test cases, as writing
//! `/sys/devices/system/cpu/cpuN/online` does.

use crate::abstractions::cpus::{self, PossibleCpu};
use kernel::{bindings, cpumask::Cpumask, error::to_result, prelude::*, types::NotThreadSafe};

/// Whether `cpu` is present: it has a CPU device, which hotplug needs.
fn present(cpu: PossibleCpu) -> bool {
    // SAFETY: `__cpu_present_mask` is a valid cpumask for the kernel's
    // lifetime; it changes only through atomic bit operations.
    unsafe { Cpumask::from_raw(&raw const bindings::__cpu_present_mask) }.test(cpu.id())
}

/// Takes `cpu` down; returns once it is dead and every hotplug callback for
/// it has run; `EINVAL` unless it is online. Must not be called with
/// `ENABLE_MUTEX` held (the allocator's dead callback takes it) or with
/// migration disabled.
pub(crate) fn down(cpu: PossibleCpu) -> Result {
    if !cpus::online(cpu) {
        return Err(EINVAL);
    }
    // SAFETY: `remove_cpu()` takes the device and CPU hotplug locks itself;
    // the caller holds neither (task context, as the tests run). `cpu` is
    // online, so present, so `get_cpu_device()` inside finds its device.
    to_result(unsafe { bindings::remove_cpu(cpu.as_u32()) })
}

/// Brings `cpu` up; returns once it is online; `EINVAL` unless it is
/// present. As [`down`] for the locks.
pub(crate) fn up(cpu: PossibleCpu) -> Result {
    if !present(cpu) {
        return Err(EINVAL);
    }
    // SAFETY: As in `down`, for `add_cpu()`; `cpu` is present.
    to_result(unsafe { bindings::add_cpu(cpu.as_u32()) })
}

/// The CPU hotplug lock held for reading (`cpus_read_lock()`): no CPU comes
/// up or goes down until dropped. Taken before `ENABLE_MUTEX`, as the
/// hotplug callbacks do; never with migration disabled (a CPU going down
/// waits for such a task while holding the lock for writing).
///
/// # Invariants
///
/// The current task holds the hotplug lock for reading while the guard lives.
#[must_use = "the hotplug lock is released when the guard is dropped"]
pub(crate) struct HotplugReadGuard {
    _not_send: NotThreadSafe,
}

impl HotplugReadGuard {
    /// Takes the hotplug lock for reading; may sleep.
    pub(crate) fn new() -> Self {
        // SAFETY: Task context, as the tests run; released in `drop`, on the
        // same task (the guard is not `Send`).
        unsafe { bindings::cpus_read_lock() };
        // INVARIANT: Just taken.
        Self {
            _not_send: NotThreadSafe,
        }
    }
}

impl Drop for HotplugReadGuard {
    fn drop(&mut self) {
        // SAFETY: Held by this task (type invariant).
        unsafe { bindings::cpus_read_unlock() };
    }
}

/// Whether `cpu` is active: it stops being so first when it goes down.
pub(crate) fn active(cpu: PossibleCpu) -> bool {
    // SAFETY: `__cpu_active_mask` is a valid cpumask for the kernel's
    // lifetime; it changes only through atomic bit operations.
    unsafe { Cpumask::from_raw(&raw const bindings::__cpu_active_mask) }.test(cpu.id())
}

/// The CPUs that the cases may take down: every online CPU but the boot CPU,
/// which x86 keeps up.
pub(crate) fn victims() -> impl Iterator<Item = PossibleCpu> {
    super::online_cpus().filter(|cpu| cpu.as_u32() != 0)
}
