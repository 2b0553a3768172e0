// SPDX-License-Identifier: GPL-2.0

//! Possible CPUs: a CPU id proven possible, and walks over them.
//!
//! The kernel crate has `CpuId` (below `nr_cpu_ids`) and `Cpumask`, but no
//! `for_each_possible_cpu()`. Per-CPU data exists only for possible CPUs:
//! `__per_cpu_offset` of an id below `nr_cpu_ids` that is not possible is not
//! a per-CPU area, so [`PossibleCpu`] is what per-CPU accessors take.

use kernel::{bindings, cpu::CpuId, cpumask::Cpumask};

/// A possible CPU: one with a per-CPU area.
///
/// # Invariants
///
/// The id is set in `cpu_possible_mask`, which never changes after boot.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct PossibleCpu(CpuId);

impl PossibleCpu {
    /// `cpu` if it is possible.
    #[inline]
    pub(crate) fn new(cpu: CpuId) -> Option<Self> {
        // INVARIANT: Checked against the possible mask.
        possible_mask().test(cpu).then_some(Self(cpu))
    }

    /// The CPU with id `id`, if it is possible.
    #[inline]
    pub(crate) fn from_u32(id: u32) -> Option<Self> {
        Self::new(CpuId::from_u32(id)?)
    }

    /// The CPU the caller runs on; stable only while the caller is pinned.
    #[inline]
    pub(crate) fn current() -> Self {
        // INVARIANT: A CPU that runs code is online, hence possible.
        Self(CpuId::current())
    }

    /// The CPU id.
    #[inline]
    pub(crate) fn id(self) -> CpuId {
        self.0
    }

    /// The CPU id as a number.
    #[inline]
    pub(crate) fn as_u32(self) -> u32 {
        self.0.as_u32()
    }

    /// The CPU id as an index, below `nr_cpu_ids`.
    #[inline]
    pub(crate) fn index(self) -> usize {
        self.0.as_u32() as usize
    }
}

/// Returns the mask of possible CPUs.
pub(crate) fn possible_mask() -> &'static Cpumask {
    // SAFETY: `__cpu_possible_mask` is a valid cpumask that lives for the whole
    // lifetime of the kernel; it is only written during early boot, before any
    // module can run.
    unsafe { Cpumask::from_raw(&raw const bindings::__cpu_possible_mask) }
}

/// Iterates over the possible CPUs in ascending order, like
/// `for_each_possible_cpu()`.
pub(crate) fn possible() -> impl Iterator<Item = PossibleCpu> {
    (0..kernel::cpu::nr_cpu_ids()).filter_map(PossibleCpu::from_u32)
}

/// Returns whether `cpu` is online.
///
/// Stable only where CPUs cannot go offline meanwhile, e.g. with interrupts
/// disabled, which holds off the stop_machine() that takes a CPU down.
pub(crate) fn online(cpu: PossibleCpu) -> bool {
    // SAFETY: `__cpu_online_mask` is a valid cpumask for the kernel's lifetime;
    // it changes only through atomic bit operations.
    unsafe { Cpumask::from_raw(&raw const bindings::__cpu_online_mask) }.test(cpu.id())
}

/// `cpu_to_node(cpu)`: the NUMA node to allocate `cpu`'s memory on.
pub(crate) fn node_of(cpu: PossibleCpu) -> i32 {
    // SAFETY: `cpu_to_node()` reads the early per-CPU map or the CPU's per-CPU
    // `numa_node`, both set up for every possible CPU.
    unsafe { super::shim::scxk_cpu_to_node(cpu.as_u32() as i32) }
}

/// `nr_node_ids`: one more than the highest possible NUMA node.
pub(crate) fn nr_node_ids() -> usize {
    // SAFETY: `nr_node_ids` is set during early boot and read-only afterwards.
    unsafe { bindings::nr_node_ids as usize }
}
