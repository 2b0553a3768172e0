// SPDX-License-Identifier: GPL-2.0

//! `READ_ONCE()` and `WRITE_ONCE()` on kernel atomics, for the reader's hot
//! path.
//!
//! Without `CONFIG_RUST_INLINE_HELPERS` (which needs clang and rustc on the
//! same LLVM), every `kernel::sync::atomic` operation is a call into a C
//! helper: a relaxed load costs a function call where C's `READ_ONCE()` is one
//! instruction. These do what those helpers do, a volatile access, inline,
//! but only for values of at most pointer width: a wider one (a `u64` on a
//! 32-bit kernel) would tear, so it goes through the kernel's atomic
//! operation, which does not. The choice is made at compile time.

use core::mem::size_of;
use kernel::sync::atomic::{Atomic, AtomicType, Relaxed};

/// A type whose relaxed loads and stores [`read_once`] and [`write_once`]
/// can do without a call.
pub(crate) trait OnceAccess: AtomicType + Copy {
    /// A relaxed load of `a`.
    fn read_once(a: &Atomic<Self>) -> Self;
    /// A relaxed store of `value` to `a`.
    fn write_once(a: &Atomic<Self>, value: Self);
}

impl OnceAccess for u64 {
    #[inline(always)]
    fn read_once(a: &Atomic<Self>) -> Self {
        if size_of::<Self>() <= size_of::<usize>() {
            // SAFETY: `as_ptr()` is valid for reads and naturally aligned, and
            // on a 64-bit kernel a `u64` is read in one access. A volatile
            // read is how `atomic64_read()` is implemented there: LKMM defines
            // it as a relaxed load, also against the other atomic operations.
            unsafe { a.as_ptr().read_volatile() }
        } else {
            a.load(Relaxed)
        }
    }

    #[inline(always)]
    fn write_once(a: &Atomic<Self>, value: Self) {
        if size_of::<Self>() <= size_of::<usize>() {
            // SAFETY: As in `read_once`, for a write: `atomic64_set()`.
            unsafe { a.as_ptr().write_volatile(value) }
        } else {
            a.store(value, Relaxed)
        }
    }
}

impl<T> OnceAccess for *mut T {
    #[inline(always)]
    fn read_once(a: &Atomic<Self>) -> Self {
        // SAFETY: `as_ptr()` is valid for reads and naturally aligned, and a
        // pointer is read in one access on every architecture Linux supports:
        // what `READ_ONCE()` of a pointer, and `rcu_dereference()`, rely on.
        unsafe { a.as_ptr().read_volatile() }
    }

    #[inline(always)]
    fn write_once(a: &Atomic<Self>, value: Self) {
        // SAFETY: As in `read_once`, for a write.
        unsafe { a.as_ptr().write_volatile(value) }
    }
}

/// `READ_ONCE()`: a relaxed load of `a`, as `atomic_read()` is.
#[inline(always)]
pub(crate) fn read_once<T: OnceAccess>(a: &Atomic<T>) -> T {
    T::read_once(a)
}

/// `WRITE_ONCE()`: a relaxed store to `a`, as `atomic_set()` is.
#[inline(always)]
pub(crate) fn write_once<T: OnceAccess>(a: &Atomic<T>, value: T) {
    T::write_once(a, value)
}
