// SPDX-License-Identifier: GPL-2.0

//! Node-local, zeroed flexible arrays: `kvzalloc_node(struct_size(p, seqs, n))`.
//!
//! A [`SeqArray`] is a header (an RCU callback head and the length) followed
//! by `len` sequence numbers, in one zeroed `kvmalloc()` allocation on a
//! given NUMA node. Above a few pages `kvmalloc()` still tries kmalloc first,
//! which rounds up to a power-of-two number of pages.
//!
//! The allocation goes through `kvrealloc_node_align()` with a NULL pointer,
//! the allocator's public entry that `KVmalloc` uses too, but with raw gfp
//! bits: it needs `__GFP_RETRY_MAYFAIL`, which `kernel::alloc::Flags` does not
//! offer. Without it, kvmalloc()'s vmalloc fallback wakes the OOM killer
//! before it returns NULL, and these arrays (up to nr_cpu_ids^2 * 8 bytes)
//! are optional.

use super::once::{read_once, write_once};
use core::{mem, ptr::NonNull};
use kernel::{alloc::AllocError, bindings, sync::atomic::Atomic, types::Opaque};

/// GFP_KERNEL | __GFP_ZERO | __GFP_RETRY_MAYFAIL | __GFP_NOWARN: sleep and
/// reclaim, zero the memory, fail rather than OOM-kill, and leave reporting
/// the failure to the caller (ENOMEM), without an allocation-failure dump.
pub(crate) const GFP_ARRAYS: bindings::gfp_t = bindings::GFP_KERNEL
    | bindings::__GFP_ZERO
    | bindings::__GFP_NOWARN
    | (1 << bindings::___GFP_RETRY_MAYFAIL_BIT);

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

impl SeqArray {
    /// The number of sequence numbers.
    #[inline]
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// The sequence numbers.
    #[inline]
    pub(crate) fn seqs(&self) -> &[Atomic<u64>] {
        // SAFETY: By the type invariant `len` entries follow the header; they
        // were zeroed at allocation, and zero is a valid `Atomic<u64>`.
        unsafe { core::slice::from_raw_parts(self.seqs.as_ptr(), self.len) }
    }

    /// Reads entry `index`, or `None` past the end.
    #[inline]
    pub(crate) fn get(&self, index: usize) -> Option<u64> {
        self.seqs().get(index).map(read_once)
    }

    /// Sets entry `index`; returns `false` past the end.
    #[inline]
    pub(crate) fn set(&self, index: usize, value: u64) -> bool {
        self.seqs()
            .get(index)
            .map(|s| write_once(s, value))
            .is_some()
    }

    /// The embedded RCU callback head.
    #[inline]
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

    /// Turns zeroed memory into an array of `len` entries.
    ///
    /// # Safety
    ///
    /// `ptr` is valid for writes of `struct_size(len)` bytes, all zero, and
    /// suitably aligned for a `SeqArray`.
    pub(crate) unsafe fn init_zeroed(ptr: NonNull<SeqArray>, len: usize) {
        // SAFETY: The caller guarantees `ptr` is valid for writes of the
        // header; zero is the initial state of the RCU head and of every
        // entry, so only `len` needs a value.
        unsafe { (*ptr.as_ptr()).len = len };
    }

    /// The bytes this array asked the allocator for.
    #[inline]
    pub(crate) fn size(&self) -> usize {
        // The size was computed without overflow when allocating.
        mem::size_of::<SeqArray>() + self.len * mem::size_of::<Atomic<u64>>()
    }

    /// The NUMA node the memory of this array is on.
    pub(crate) fn node(&self) -> i32 {
        // SAFETY: `self` points into memory from `kvmalloc()`.
        unsafe { super::shim::scxk_mem_to_node(core::ptr::from_ref(self).cast()) }
    }
}

/// An owned [`SeqArray`].
///
/// # Invariants
///
/// `ptr` points to a [`SeqArray`] allocated by `kvmalloc()` with room for its
/// `len` entries, owned by this box.
pub(crate) struct SeqArrayBox {
    ptr: NonNull<SeqArray>,
}

// SAFETY: The box owns plain memory; its entries are atomics.
unsafe impl Send for SeqArrayBox {}
// SAFETY: Only `&SeqArray` is reachable from `&SeqArrayBox`, and `SeqArray`
// mutates only through atomics.
unsafe impl Sync for SeqArrayBox {}

impl SeqArrayBox {
    /// Allocates a zeroed array of `len` sequence numbers on NUMA node
    /// `node` (`NUMA_NO_NODE` for any), sleeping if needed.
    pub(crate) fn new_zeroed(len: usize, node: i32) -> Result<Self, AllocError> {
        let size = struct_size(len).ok_or(AllocError)?;
        let align = mem::align_of::<SeqArray>();
        // SAFETY: With a NULL pointer `kvrealloc_node_align()` "behaves
        // exactly like kvmalloc()" (include/linux/slab.h): a new allocation,
        // zeroed by `__GFP_ZERO`, which it honours from the first call on;
        // `align` is at most 8, which kmalloc guarantees. The flags allow
        // sleeping, which the callers (task context) do.
        let mem = unsafe {
            bindings::kvrealloc_node_align(
                core::ptr::null(),
                size,
                align as kernel::ffi::c_ulong,
                GFP_ARRAYS,
                node,
            )
        };
        let ptr = NonNull::new(mem.cast::<SeqArray>()).ok_or(AllocError)?;
        // SAFETY: `ptr` is `size = struct_size(len)` zeroed bytes, aligned
        // for a `SeqArray`.
        unsafe { SeqArray::init_zeroed(ptr, len) };
        // INVARIANT: Allocated by `kvmalloc()` with room for `len` entries.
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

    #[inline]
    fn deref(&self) -> &SeqArray {
        // SAFETY: By the type invariant `ptr` is a live, owned `SeqArray`.
        unsafe { self.ptr.as_ref() }
    }
}

impl Drop for SeqArrayBox {
    fn drop(&mut self) {
        // SAFETY: By the type invariant `ptr` came from `kvmalloc()` and is
        // owned by us.
        unsafe { bindings::kvfree(self.ptr.as_ptr().cast()) };
    }
}
