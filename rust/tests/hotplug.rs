// SPDX-License-Identifier: GPL-2.0

//! Taking CPUs down and bringing them up from the test cases, as writing
//! `/sys/devices/system/cpu/cpuN/online` does.

use crate::abstractions::cpus::PossibleCpu;
use kernel::{bindings, cpumask::Cpumask, error::to_result, prelude::*};

/// Takes `cpu` down; returns once it is dead and every hotplug callback for
/// it has run. Must not be called with `ENABLE_MUTEX` held: the allocator's
/// dead callback takes it.
pub(crate) fn down(cpu: PossibleCpu) -> Result {
    // SAFETY: `remove_cpu()` takes the device and CPU hotplug locks itself;
    // the caller holds neither (task context, as the tests run).
    to_result(unsafe { bindings::remove_cpu(cpu.as_u32()) })
}

/// Brings `cpu` up; returns once it is online. As [`down`] for the locks.
pub(crate) fn up(cpu: PossibleCpu) -> Result {
    // SAFETY: As in `down`, for `add_cpu()`.
    to_result(unsafe { bindings::add_cpu(cpu.as_u32()) })
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
