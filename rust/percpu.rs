// SPDX-License-Identifier: GPL-2.0

//! Per-CPU statics: `DEFINE_PER_CPU()` for Rust.
//!
//! A [`PerCpu`] static lives in the module's `.data..percpu` section. The
//! module loader allocates one copy of that section per possible CPU from the
//! reserved per-CPU area (`PERCPU_MODULE_RESERVE`, so keep these small) and
//! relocates the static to its per-CPU base address. That address is never
//! dereferenced: CPU `n`'s copy is at base + `__per_cpu_offset[n]`, which is
//! what `per_cpu_ptr()` computes.

use crate::shim;
use core::{cell::UnsafeCell, marker::PhantomData};
use kernel::{bindings, cpu::CpuId};

/// Defines a per-CPU static, like `DEFINE_PER_CPU(type, name)` in C.
///
/// The initializer is the value every CPU's copy starts with.
macro_rules! define_per_cpu {
    ($(#[$attr:meta])* $vis:vis static $name:ident: $t:ty = $init:expr;) => {
        $(#[$attr])*
        #[link_section = ".data..percpu"]
        $vis static $name: $crate::percpu::PerCpu<$t> =
            // SAFETY: The static is placed in `.data..percpu` right above.
            unsafe { $crate::percpu::PerCpu::new($init) };
    };
}
pub(crate) use define_per_cpu;

/// A per-CPU variable.
///
/// Only shared references to the copies are handed out, to any CPU, hence
/// `T: Sync`: the type must synchronize its own interior mutability.
///
/// # Invariants
///
/// `self` is placed in the `.data..percpu` section, so its address is a
/// per-CPU base address that the module loader set up for every possible CPU.
#[repr(transparent)]
pub(crate) struct PerCpu<T>(UnsafeCell<T>);

// SAFETY: Each CPU's copy is a `T` reached only through `&T`, and `T: Sync`
// makes sharing those across CPUs sound.
unsafe impl<T: Sync> Sync for PerCpu<T> {}

impl<T: Sync> PerCpu<T> {
    /// Creates the initial value of every CPU's copy.
    ///
    /// # Safety
    ///
    /// The result must be the initializer of a static in `.data..percpu`; use
    /// [`define_per_cpu!`].
    pub(crate) const unsafe fn new(value: T) -> Self {
        // INVARIANT: The caller places the value in `.data..percpu`.
        Self(UnsafeCell::new(value))
    }

    /// Returns `cpu`'s copy, like `per_cpu_ptr()`.
    pub(crate) fn get(&'static self, cpu: CpuId) -> &'static T {
        let index = cpu.as_u32() as usize;
        // SAFETY: `CpuId` is below `nr_cpu_ids <= NR_CPUS`, the length of
        // `__per_cpu_offset`, which is written only during early boot.
        let offset = unsafe { bindings::__per_cpu_offset[index] };
        let ptr = (self.0.get() as usize).wrapping_add(offset) as *const T;
        // SAFETY: By the type invariant `self` is a per-CPU base address, so
        // base + the offset of a possible CPU is that CPU's copy, initialized
        // from the section image and valid while the module is loaded, which
        // `&'static self` covers. Only shared references are created.
        unsafe { &*ptr }
    }

    /// Returns the current CPU's copy, like `this_cpu_ptr()`.
    ///
    /// The `pin` proves that the task cannot move to another CPU while the
    /// reference is alive.
    pub(crate) fn this_cpu<'a>(&'static self, pin: &'a impl CpuPinned) -> &'a T {
        self.get(pin.cpu())
    }
}

/// Proof that the current task stays on one CPU while the proof is alive.
pub(crate) trait CpuPinned {
    /// The CPU the task is pinned to.
    fn cpu(&self) -> CpuId;
}

/// Returns the current CPU; only meaningful while pinned.
fn current_cpu() -> CpuId {
    // SAFETY: `raw_smp_processor_id()` has no preconditions.
    let id = unsafe { bindings::raw_smp_processor_id() };
    // SAFETY: The current CPU id is below `nr_cpu_ids`.
    unsafe { CpuId::from_u32_unchecked(id) }
}

/// Preemption disabled (`preempt_disable()`) until dropped.
///
/// # Invariants
///
/// Preemption is disabled for the lifetime of the guard and `cpu` is the CPU
/// it was disabled on.
pub(crate) struct PreemptGuard {
    cpu: CpuId,
    _not_send: PhantomData<*mut ()>,
}

impl PreemptGuard {
    /// Disables preemption.
    pub(crate) fn new() -> Self {
        // SAFETY: Always callable; paired with the enable in `drop`.
        unsafe { shim::scxk_preempt_disable() };
        // INVARIANT: Preemption was just disabled; the CPU cannot change now.
        Self {
            cpu: current_cpu(),
            _not_send: PhantomData,
        }
    }
}

impl Drop for PreemptGuard {
    fn drop(&mut self) {
        // SAFETY: Paired with the disable in `new`; the guard is not `Send`,
        // so this runs on the task that disabled preemption.
        unsafe { shim::scxk_preempt_enable() };
    }
}

impl CpuPinned for PreemptGuard {
    fn cpu(&self) -> CpuId {
        self.cpu
    }
}

/// Proof of running in hard interrupt context (an irq_work callback), where
/// the task cannot migrate.
///
/// # Invariants
///
/// The code holding it runs with interrupts disabled on `cpu`.
pub(crate) struct IrqContext {
    cpu: CpuId,
    _not_send: PhantomData<*mut ()>,
}

impl IrqContext {
    /// # Safety
    ///
    /// The caller runs with interrupts disabled until the token is dropped,
    /// e.g. in a hard irq_work callback.
    pub(crate) unsafe fn assume() -> Self {
        // INVARIANT: The caller guarantees interrupts are disabled.
        Self {
            cpu: current_cpu(),
            _not_send: PhantomData,
        }
    }
}

impl CpuPinned for IrqContext {
    fn cpu(&self) -> CpuId {
        self.cpu
    }
}

/// Migration disabled (`migrate_disable()`) until dropped: the task stays on
/// its CPU but may be preempted and may sleep.
///
/// It is deliberately not [`CpuPinned`]: another task may run on the same CPU
/// meanwhile, so per-CPU access goes through [`PerCpu::get`] with [`Self::cpu`].
///
/// # Invariants
///
/// Migration is disabled for the lifetime of the guard and `cpu` is the CPU
/// the task is bound to.
pub(crate) struct MigrateGuard {
    cpu: CpuId,
    _not_send: PhantomData<*mut ()>,
}

impl MigrateGuard {
    /// Disables migration.
    pub(crate) fn new() -> Self {
        // SAFETY: Always callable from task context; paired with `drop`.
        unsafe { shim::scxk_migrate_disable() };
        // INVARIANT: Migration was just disabled.
        Self {
            cpu: current_cpu(),
            _not_send: PhantomData,
        }
    }

    /// The CPU the task is bound to.
    pub(crate) fn cpu(&self) -> CpuId {
        self.cpu
    }
}

impl Drop for MigrateGuard {
    fn drop(&mut self) {
        // SAFETY: Paired with `new` on the same task (the guard is not `Send`).
        unsafe { shim::scxk_migrate_enable() };
    }
}
