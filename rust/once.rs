// SPDX-License-Identifier: GPL-2.0

//! `READ_ONCE()` and `WRITE_ONCE()` on kernel atomics, for the reader's hot
//! path.
//!
//! Without `CONFIG_RUST_INLINE_HELPERS` (which needs clang and rustc on the
//! same LLVM), every `kernel::sync::atomic` operation is a call into a C
//! helper: a relaxed load costs a function call where C's `READ_ONCE()` is one
//! instruction. These do what those helpers do, a volatile access, inline.

use kernel::sync::atomic::{Atomic, AtomicType};

/// `READ_ONCE()`: a relaxed load of `a`, as `atomic_read()` is.
#[inline(always)]
pub(crate) fn read_once<T: AtomicType + Copy>(a: &Atomic<T>) -> T {
    // SAFETY: `as_ptr()` is valid for reads and naturally aligned. A volatile
    // read is how `atomic_read()` and `atomic64_read()` are implemented: LKMM
    // defines it as a relaxed load, also against the other atomic operations.
    unsafe { a.as_ptr().read_volatile() }
}

/// `WRITE_ONCE()`: a relaxed store to `a`, as `atomic_set()` is.
#[inline(always)]
pub(crate) fn write_once<T: AtomicType + Copy>(a: &Atomic<T>, value: T) {
    // SAFETY: `as_ptr()` is valid for writes and naturally aligned. A volatile
    // write is how `atomic_set()` and `atomic64_set()` are implemented: LKMM
    // defines it as a relaxed store, also against the other atomic operations.
    unsafe { a.as_ptr().write_volatile(value) }
}
