// SPDX-License-Identifier: GPL-2.0

//! Per-CPU statics: `DEFINE_PER_CPU()` for Rust.
//!
//! [`define_per_cpu!`] puts a [`Storage`] static in the module's
//! `.data..percpu` section and gives out only a [`PerCpu`] handle holding its
//! address. The module loader allocates one copy of that section per possible
//! CPU from the reserved per-CPU area (`PERCPU_MODULE_RESERVE`, so keep these
//! small) and relocates the symbol to its per-CPU base address, which is not
//! memory: CPU `n`'s copy is at base + `__per_cpu_offset[n]`, which is what
//! `per_cpu_ptr()` computes. So the storage is never named outside the macro,
//! and the handle keeps its address as a raw pointer: no reference to it is
//! ever formed, only to the copies.

use super::{cpus::PossibleCpu, pin::CpuPinned};
use core::cell::UnsafeCell;
use kernel::bindings;

/// Defines a per-CPU static, like `DEFINE_PER_CPU(type, name)` in C.
///
/// The initializer is the value every CPU's copy starts with; it is a
/// constant expression, evaluated outside any `unsafe` block.
macro_rules! define_per_cpu {
    ($(#[$attr:meta])* $vis:vis static $name:ident: $t:ty = $init:expr;) => {
        $(#[$attr])*
        $vis static $name: $crate::abstractions::percpu::PerCpu<$t> = {
            #[link_section = ".data..percpu"]
            static STORAGE: $crate::abstractions::percpu::Storage<$t> =
                $crate::abstractions::percpu::Storage::new($init);
            // SAFETY: `STORAGE` is in `.data..percpu` (right above) and
            // nothing but this handle can name it.
            unsafe { $crate::abstractions::percpu::PerCpu::from_storage(&raw const STORAGE) }
        };
    };
}
pub(crate) use define_per_cpu;

/// The section image of a per-CPU variable; see [`define_per_cpu!`].
///
/// It has no methods: the only way to it is the [`PerCpu`] handle.
#[repr(transparent)]
pub(crate) struct Storage<T>(UnsafeCell<T>);

// SAFETY: Never accessed through this type, only through `PerCpu`, which
// hands out `&T` with `T: Sync`.
unsafe impl<T: Sync> Sync for Storage<T> {}

impl<T> Storage<T> {
    /// The initial value of every CPU's copy.
    #[inline]
    pub(crate) const fn new(value: T) -> Self {
        Self(UnsafeCell::new(value))
    }
}

/// A per-CPU variable: the handle of a [`Storage`] in `.data..percpu`.
///
/// Only shared references to the copies are handed out, to any CPU, hence
/// `T: Sync`: the type must synchronize its own interior mutability.
///
/// # Invariants
///
/// `base` is the address of a [`Storage<T>`] static in `.data..percpu`: a
/// per-CPU base address, relocated by the module loader, that is not itself
/// dereferenced.
pub(crate) struct PerCpu<T> {
    base: *const Storage<T>,
}

// SAFETY: The handle is an address; the copies it leads to are reached only
// through `&T`, and `T: Sync` makes sharing those across CPUs sound.
unsafe impl<T: Sync> Sync for PerCpu<T> {}

impl<T: Sync> PerCpu<T> {
    /// The handle of the per-CPU variable whose section image is at `base`.
    ///
    /// # Safety
    ///
    /// `base` is the address of a `static` placed in `.data..percpu`; use
    /// [`define_per_cpu!`].
    #[inline]
    pub(crate) const unsafe fn from_storage(base: *const Storage<T>) -> Self {
        // INVARIANT: As the caller guarantees.
        Self { base }
    }

    /// Returns `cpu`'s copy, like `per_cpu_ptr()`.
    #[inline]
    pub(crate) fn get(&'static self, cpu: PossibleCpu) -> &'static T {
        // SAFETY: `cpu` is possible, so below `nr_cpu_ids <= NR_CPUS`, the
        // length of `__per_cpu_offset`, which is written only during early
        // boot.
        let offset = unsafe { bindings::__per_cpu_offset[cpu.index()] };
        // The copy is not part of the section image's allocation, so it is
        // reached from its address, with the provenance the kernel exposed
        // for it, not by offsetting a pointer to the image.
        let copy = core::ptr::with_exposed_provenance::<T>(self.base.addr().wrapping_add(offset));
        // SAFETY: By the type invariant `base` is a per-CPU base address, so
        // base + the offset of a possible CPU is that CPU's copy, initialized
        // from the section image and valid while the module is loaded, which
        // outlives every `&'static self` of it. `Storage` is
        // `repr(transparent)` over `UnsafeCell<T>`, itself over `T`. Only
        // shared references are created, and `T: Sync`.
        unsafe { &*copy }
    }

    /// Returns the current CPU's copy, like `this_cpu_ptr()`.
    ///
    /// The `pin` proves that the task cannot move to another CPU while the
    /// reference is alive.
    #[inline]
    pub(crate) fn this_cpu<'a>(&'static self, pin: &'a impl CpuPinned) -> &'a T {
        self.get(pin.cpu())
    }
}
