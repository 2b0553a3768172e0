// SPDX-License-Identifier: GPL-2.0

//! The packed layout: one zeroed vmalloc() block per NUMA node holding that
//! node's [`SeqArray`]s back to back, freed by one RCU callback per period.
//!
//! kvzalloc_node() of a single array above a few pages takes a power-of-two
//! number of pages from kmalloc, so the seed's layout costs up to twice what
//! it stores (128 KiB for each 64 KiB array at 8192 CPUs). A vmalloc() block
//! costs its size rounded up to a page, plus its page tables. Each array
//! starts on a cache line, so that a CPU writing its own array never shares a
//! line with the CPU next to it; that adds under 64 bytes per array.
//!
//! A [`Batch`] owns the blocks of one enabled period. Its arrays are published
//! as batched pointers (see [`crate::rcu_ptr`]) and it is retired, through one
//! `call_rcu()`, once none of them is published anymore.

use crate::{
    flex_array::{struct_size, SeqArray, GFP_ARRAYS},
    rcu_ptr,
};
use core::{mem, ptr::NonNull};
use kernel::{alloc::AllocError, bindings, prelude::*, types::Opaque};

/// Where each array starts: a cache line, `SMP_CACHE_BYTES`.
const ARRAY_ALIGN: usize = bindings::SMP_CACHE_BYTES as usize;

/// The distance between two arrays of `len` entries in a block.
pub(crate) fn stride(len: usize) -> Option<usize> {
    struct_size(len)?.checked_next_multiple_of(ARRAY_ALIGN)
}

/// One node's arrays in one zeroed vmalloc() allocation.
///
/// # Invariants
///
/// `base` points to `count * stride(len)` bytes from vmalloc(), owned by the
/// block, holding `count` initialized arrays of `len` entries `stride` apart.
struct Block {
    base: NonNull<u8>,
    count: usize,
    stride: usize,
}

// SAFETY: The block owns plain memory, whose arrays mutate only through atomics.
unsafe impl Send for Block {}

impl Block {
    /// Allocates `count` zeroed arrays of `len` entries on NUMA node `node`.
    fn new_zeroed(count: usize, len: usize, node: i32) -> Result<Self, AllocError> {
        let stride = stride(len).ok_or(AllocError)?;
        let size = stride.checked_mul(count).ok_or(AllocError)?;
        // vmalloc() rather than kvmalloc(): kmalloc would round the block up
        // to a power of two pages, which is what this layout avoids.
        // SAFETY: A new allocation (no old pointer); the flags allow
        // sleeping, which the callers (task context) do.
        let mem = unsafe {
            bindings::vrealloc_node_align(
                core::ptr::null(),
                size,
                ARRAY_ALIGN as kernel::ffi::c_ulong,
                GFP_ARRAYS,
                node,
            )
        };
        let base = NonNull::new(mem.cast::<u8>()).ok_or(AllocError)?;
        for index in 0..count {
            // SAFETY: `index * stride + struct_size(len) <= size`, the memory
            // is zeroed, and page-aligned `base` plus a multiple of
            // `ARRAY_ALIGN` is aligned for a `SeqArray`.
            unsafe { SeqArray::init_zeroed(base.byte_add(index * stride).cast(), len) };
        }
        // INVARIANT: `count` arrays of `len` entries, `stride` apart.
        Ok(Self {
            base,
            count,
            stride,
        })
    }

    /// The `index`-th array of the block.
    fn array(&self, index: usize) -> Option<NonNull<SeqArray>> {
        // SAFETY: By the type invariant, for `index < count` the array lies
        // inside the allocation.
        (index < self.count).then(|| unsafe { self.base.byte_add(index * self.stride).cast() })
    }
}

impl Drop for Block {
    fn drop(&mut self) {
        // kvfree() rather than vfree(): from an RCU callback, in softirq,
        // both defer the unmapping to a workqueue.
        // SAFETY: By the type invariant `base` came from vmalloc() and is owned.
        unsafe { bindings::kvfree(self.base.as_ptr().cast()) };
    }
}

/// The RCU head and blocks of one enabled period.
#[repr(C)]
struct BatchInner {
    rcu: Opaque<bindings::callback_head>,
    blocks: KVec<Block>,
}

// `free_batch()` turns the RCU head back into its batch with a cast.
const _: () = assert!(mem::offset_of!(BatchInner, rcu) == 0);

/// The arrays of every possible CPU, node by node, in the packed layout.
///
/// Dropping a batch frees it at once, which is only right while none of its
/// arrays has been published; once published it must be [retired](Self::retire).
pub(crate) struct Batch(KBox<BatchInner>);

// SAFETY: The blocks are `Send`; the RCU head is plain memory that only
// `retire()` hands to RCU, from whichever thread owns the batch.
unsafe impl Send for Batch {}

impl Batch {
    /// An empty batch with room for `nodes` blocks.
    pub(crate) fn with_capacity(nodes: usize) -> Result<Self> {
        Ok(Self(KBox::new(
            BatchInner {
                rcu: Opaque::uninit(),
                blocks: KVec::with_capacity(nodes, GFP_KERNEL)?,
            },
            GFP_KERNEL,
        )?))
    }

    /// Allocates a block of `count` zeroed arrays of `len` entries on `node`
    /// and returns its index, for [`Self::array`].
    pub(crate) fn add_block(&mut self, count: usize, len: usize, node: i32) -> Result<usize> {
        let block = Block::new_zeroed(count, len, node).map_err(|_| ENOMEM)?;
        self.0.blocks.push(block, GFP_KERNEL)?;
        Ok(self.0.blocks.len() - 1)
    }

    /// The `index`-th array of block `block`; valid as long as the batch.
    pub(crate) fn array(&self, block: usize, index: usize) -> Option<NonNull<SeqArray>> {
        self.0.blocks.get(block)?.array(index)
    }

    /// Frees the batch after a grace period, through one `call_rcu()`.
    ///
    /// Called once none of its arrays is published anymore: readers that
    /// found one before that may still use it until they leave.
    pub(crate) fn retire(self) {
        // Mutant (d): free at once, while readers may still hold the arrays.
        #[cfg(scx_mutant = "d")]
        {
            drop(self);
            return;
        }
        let inner = KBox::into_raw(self.0);
        // SAFETY: `inner` is valid and its head not queued; ownership passes
        // to the callback, which reports its free.
        unsafe { rcu_ptr::call_rcu_counted((*inner).rcu.get(), free_batch) };
    }
}

/// The `call_rcu()` callback of [`Batch::retire`].
///
/// # Safety
///
/// Called only by RCU, for the head of a batch that `retire` queued.
unsafe extern "C" fn free_batch(head: *mut bindings::callback_head) {
    // SAFETY: `head` is the first field of a `#[repr(C)]` `BatchInner` that
    // `retire` turned into a raw pointer and handed over; a grace period has
    // passed, so no reader holds any of its arrays.
    drop(unsafe { KBox::from_raw(head.cast::<BatchInner>()) });
    rcu_ptr::free_done();
}
