// SPDX-License-Identifier: GPL-2.0

//! Walks over the possible CPUs.
//!
//! The kernel crate has `CpuId` and `Cpumask` but no `for_each_possible_cpu()`.

use kernel::{bindings, cpu::CpuId, cpumask::Cpumask};

/// Returns the mask of possible CPUs.
pub(crate) fn possible_mask() -> &'static Cpumask {
    // SAFETY: `__cpu_possible_mask` is a valid cpumask that lives for the whole
    // lifetime of the kernel; it is only written during early boot, before any
    // module can run.
    unsafe { Cpumask::from_raw(&raw const bindings::__cpu_possible_mask) }
}

/// Iterates over the possible CPUs in ascending order, like
/// `for_each_possible_cpu()`.
pub(crate) fn possible() -> impl Iterator<Item = CpuId> {
    let mask = possible_mask();
    (0..kernel::cpu::nr_cpu_ids())
        // SAFETY: `id < nr_cpu_ids()`, the invariant of `CpuId`.
        .map(|id| unsafe { CpuId::from_u32_unchecked(id) })
        .filter(move |&cpu| mask.test(cpu))
}

/// Returns whether `cpu` is online.
///
/// Stable only where CPUs cannot go offline meanwhile, e.g. with interrupts
/// disabled, which holds off the stop_machine() that takes a CPU down.
pub(crate) fn online(cpu: CpuId) -> bool {
    // SAFETY: `__cpu_online_mask` is a valid cpumask for the kernel's lifetime;
    // it changes only through atomic bit operations.
    unsafe { Cpumask::from_raw(&raw const bindings::__cpu_online_mask) }.test(cpu)
}

/// `cpu_to_node(cpu)`: the NUMA node to allocate `cpu`'s memory on.
pub(crate) fn node_of(cpu: CpuId) -> i32 {
    // SAFETY: `cpu_to_node()` accepts any possible CPU.
    unsafe { crate::shim::scxk_cpu_to_node(cpu.as_u32() as i32) }
}

/// `nr_node_ids`: one more than the highest possible NUMA node.
pub(crate) fn nr_node_ids() -> usize {
    // SAFETY: `nr_node_ids` is set during early boot and read-only afterwards.
    unsafe { bindings::nr_node_ids as usize }
}
