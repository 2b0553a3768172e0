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
