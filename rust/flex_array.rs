// SPDX-License-Identifier: GPL-2.0

//! Node-local, zeroed flexible arrays: `kvzalloc_node(struct_size(p, seqs, n))`.
//!
//! A [`SeqArray`] is a header (an RCU callback head and the length) followed
//! by `len` sequence numbers, in one allocation from [`KVmalloc`] with
//! `__GFP_ZERO` on a given NUMA node. Above a few pages `kvmalloc()` still
//! tries kmalloc first, which rounds up to a power-of-two number of pages.

use core::{alloc::Layout, mem, ptr::NonNull};
use kernel::{
    alloc::{allocator::KVmalloc, AllocError, Allocator, Flags, NumaNode},
    bindings,
    prelude::*,
    sync::atomic::{Atomic, Relaxed},
    types::Opaque,
};

/// The header and flexible array of sequence numbers, `struct scx_kick_pseqs`.
///
/// Never constructed by value: it only exists behind a [`SeqArrayBox`].
///
/// # Invariants
///
/// `len` sequence numbers follow the header in the same allocation.
#[repr(C)]
pub(crate) struct SeqArray {
    rcu: Opaque<bindings::callback_head>,
    len: usize,
    seqs: [Atomic<u64>; 0],
}

/// Returns the size of a [`SeqArray`] of `len` entries, like `struct_size()`,
/// or `None` when it overflows (where `struct_size()` saturates so that the
/// allocation fails).
pub(crate) fn struct_size(len: usize) -> Option<usize> {
    len.checked_mul(mem::size_of::<Atomic<u64>>())?
        .checked_add(mem::size_of::<SeqArray>())
}

fn layout(len: usize) -> Result<Layout, AllocError> {
    let size = struct_size(len).ok_or(AllocError)?;
    Layout::from_size_align(size, mem::align_of::<SeqArray>()).map_err(|_| AllocError)
}

impl SeqArray {
    /// The number of sequence numbers.
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// The sequence numbers.
    pub(crate) fn seqs(&self) -> &[Atomic<u64>] {
        // SAFETY: By the type invariant `len` entries follow the header; they
        // were zeroed at allocation, and zero is a valid `Atomic<u64>`.
        unsafe { core::slice::from_raw_parts(self.seqs.as_ptr(), self.len) }
    }

    /// Reads entry `index`, or `None` past the end.
    pub(crate) fn get(&self, index: usize) -> Option<u64> {
        self.seqs().get(index).map(|s| s.load(Relaxed))
    }

    /// Sets entry `index`; returns `false` past the end.
    pub(crate) fn set(&self, index: usize, value: u64) -> bool {
        self.seqs()
            .get(index)
            .map(|s| s.store(value, Relaxed))
            .is_some()
    }

    /// The embedded RCU callback head.
    pub(crate) fn rcu_head(&self) -> *mut bindings::callback_head {
        self.rcu.get()
    }

    /// `container_of()`: the array that embeds the RCU head `head`.
    ///
    /// # Safety
    ///
    /// `head` is the RCU head of a [`SeqArray`], as [`Self::rcu_head`] returns.
    pub(crate) unsafe fn from_rcu_head(head: *mut bindings::callback_head) -> *mut SeqArray {
        // SAFETY: The caller guarantees `head` lies `offset_of!(rcu)` bytes
        // into a `SeqArray`, so stepping back stays in that allocation.
        unsafe { head.byte_sub(mem::offset_of!(SeqArray, rcu)).cast() }
    }

    /// The bytes this array asked the allocator for.
    pub(crate) fn size(&self) -> usize {
        // The size was computed without overflow when allocating.
        mem::size_of::<SeqArray>() + self.len * mem::size_of::<Atomic<u64>>()
    }

    /// The NUMA node the memory of this array is on.
    pub(crate) fn node(&self) -> i32 {
        // SAFETY: `self` points into memory from `kvmalloc()`.
        unsafe { crate::shim::scxk_mem_to_node(core::ptr::from_ref(self).cast()) }
    }
}

/// An owned [`SeqArray`].
///
/// # Invariants
///
/// `ptr` points to a [`SeqArray`] allocated by [`KVmalloc`] with the layout
/// given by `layout(len)`, owned by this box.
pub(crate) struct SeqArrayBox {
    ptr: NonNull<SeqArray>,
}

// SAFETY: The box owns plain memory; its entries are atomics.
unsafe impl Send for SeqArrayBox {}
// SAFETY: Only `&SeqArray` is reachable from `&SeqArrayBox`, and `SeqArray`
// mutates only through atomics.
unsafe impl Sync for SeqArrayBox {}

impl SeqArrayBox {
    /// Allocates a zeroed array of `len` sequence numbers on `node`.
    pub(crate) fn new_zeroed(len: usize, flags: Flags, node: NumaNode) -> Result<Self, AllocError> {
        let layout = layout(len)?;
        let mem = KVmalloc::alloc(layout, flags | __GFP_ZERO, node)?;
        let ptr = mem.cast::<SeqArray>();
        // SAFETY: `ptr` is valid for writes of the header and was zeroed, so
        // the RCU head is in its initial state; only `len` needs a value.
        unsafe { (*ptr.as_ptr()).len = len };
        // INVARIANT: Allocated by `KVmalloc` with `layout(len)`.
        Ok(Self { ptr })
    }

    /// Gives up ownership; undone by [`Self::from_raw`].
    pub(crate) fn into_raw(self) -> *mut SeqArray {
        let ptr = self.ptr.as_ptr();
        mem::forget(self);
        ptr
    }

    /// Takes back ownership of a pointer from [`Self::into_raw`].
    ///
    /// # Safety
    ///
    /// `ptr` came from [`Self::into_raw`] and nothing else owns it.
    pub(crate) unsafe fn from_raw(ptr: *mut SeqArray) -> Self {
        // INVARIANT: The caller passes back what `into_raw` gave out.
        Self {
            // SAFETY: `into_raw` returned a non-null pointer.
            ptr: unsafe { NonNull::new_unchecked(ptr) },
        }
    }
}

impl core::ops::Deref for SeqArrayBox {
    type Target = SeqArray;

    fn deref(&self) -> &SeqArray {
        // SAFETY: By the type invariant `ptr` is a live, owned `SeqArray`.
        unsafe { self.ptr.as_ref() }
    }
}

impl Drop for SeqArrayBox {
    fn drop(&mut self) {
        // `layout(len)` succeeded when this array was allocated.
        if let Ok(layout) = layout(self.len) {
            // SAFETY: By the type invariant `ptr` was allocated by `KVmalloc`
            // with this layout and is owned by us.
            unsafe { KVmalloc::free(self.ptr.cast(), layout) };
        }
    }
}
