// SPDX-License-Identifier: GPL-2.0

//! Batches of arrays, freed together: one zeroed vmalloc() block per NUMA node
//! holding that node's [`SeqArray`]s back to back, and one RCU callback for
//! the whole batch.
//!
//! kvzalloc_node() of a single array above a few pages takes a power-of-two
//! number of pages from kmalloc, so one allocation per array costs up to
//! twice what it stores (128 KiB for each 64 KiB array at 8192 CPUs). A
//! vmalloc() block costs its size rounded up to a page, plus its page tables.
//! Each array starts on a cache line, so that a CPU writing its own array
//! never shares a line with the CPU next to it; that adds under 64 bytes per
//! array.
//!
//! A [`Batch`] is built unpublished, and freed at once if dropped so. It is
//! published as a whole, which turns it into a [`Published`] batch that
//! remembers every [`RcuPtr`] it stored an array in. The only way to free a
//! published batch is [`Published::retire`], which unpublishes those pointers
//! first and frees the blocks a grace period later: safe code cannot free a
//! published array early. Dropping a published batch leaks it, with a warning.

use super::{
    callback::{call_rcu_counted, free_done},
    ptr::RcuPtr,
    update::UpdateSide,
};
use crate::abstractions::flex_array::{struct_size, SeqArray, GFP_ARRAYS};
use core::{
    mem::{self, ManuallyDrop},
    ptr::NonNull,
};
use kernel::{
    alloc::AllocError, bindings, prelude::*, sync::lock::GlobalLockBackend, types::Opaque,
};

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
/// `base` points to `count * stride` bytes from vmalloc(), owned by the
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
        // SAFETY: With a NULL pointer `vrealloc_node_align()` is a new
        // vmalloc() allocation of `size` bytes, zeroed (`__GFP_ZERO`),
        // aligned to `ARRAY_ALIGN` (at most a page, which vmalloc gives); the
        // flags allow sleeping, which the callers (task context) do.
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

/// The RCU head and blocks of one batch.
#[repr(C)]
struct BatchInner {
    rcu: Opaque<bindings::callback_head>,
    blocks: KVec<Block>,
}

// `free_batch()` turns the RCU head back into its batch with a cast.
const _: () = assert!(mem::offset_of!(BatchInner, rcu) == 0);

/// An unpublished batch: node blocks of arrays that no reader can see yet.
/// Dropping it frees them at once.
pub(crate) struct Batch(KBox<BatchInner>);

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
    /// and returns its index, for [`Self::publish`].
    pub(crate) fn add_block(&mut self, count: usize, len: usize, node: i32) -> Result<usize> {
        let block = Block::new_zeroed(count, len, node).map_err(|_| ENOMEM)?;
        self.0.blocks.push(block, GFP_KERNEL)?;
        Ok(self.0.blocks.len() - 1)
    }

    /// Publishes, for each `(ptr, block, index)` of `slots`, array `index` of
    /// block `block` in `ptr` (at most `count` of them), and returns the
    /// published batch. An array that a pointer held before is retired.
    ///
    /// Fails, with the batch freed and nothing published, when an array does
    /// not exist (`EINVAL`) or the record of the pointers cannot be
    /// allocated (`ENOMEM`).
    pub(crate) fn publish<B: GlobalLockBackend>(
        self,
        slots: impl Iterator<Item = (&'static RcuPtr<B>, usize, usize)>,
        count: usize,
        update: &UpdateSide<'_, B>,
    ) -> Result<Published<B>> {
        let mut record = KVVec::with_capacity(count, GFP_KERNEL)?;
        for (ptr, block, index) in slots {
            let array = self
                .0
                .blocks
                .get(block)
                .and_then(|b| b.array(index))
                .ok_or(EINVAL)?;
            record
                .push_within_capacity((ptr, array))
                .map_err(|_| EINVAL)?;
        }
        for &(ptr, array) in record.iter() {
            // SAFETY: `array` lives in this batch, which from here on is
            // freed only by `Published::retire()`, after it has unpublished
            // every pointer in `record`, this one included, a grace period
            // before the free; or never, if leaked.
            drop(unsafe { ptr.replace_batched(array, update) });
        }
        Ok(Published {
            inner: ManuallyDrop::new(self.0),
            record,
        })
    }
}

/// A batch whose arrays are published in the [`RcuPtr`]s it records.
///
/// # Invariants
///
/// Every `RcuPtr<B>` that points into the batch is in `record`; the batch is
/// freed only by [`Self::retire`].
pub(crate) struct Published<B: GlobalLockBackend + 'static> {
    inner: ManuallyDrop<KBox<BatchInner>>,
    record: KVVec<(&'static RcuPtr<B>, NonNull<SeqArray>)>,
}

// SAFETY: The blocks are plain memory whose arrays mutate only through
// atomics; the RCU head is handed to RCU only by `retire()`, from whichever
// thread owns the batch; the recorded pointers are `Sync`.
unsafe impl<B: GlobalLockBackend> Send for Published<B> {}

impl<B: GlobalLockBackend> Published<B> {
    /// Publishes again the batch's array for `ptr`, zeroed, after something
    /// unpublished it (`RcuPtr::replace(None, ..)`): for a CPU that comes
    /// back. Waits for a grace period first, so that no reader still holds
    /// it from before. Returns `false`, doing nothing, when the batch has no
    /// array for `ptr` or `ptr` holds an array.
    pub(crate) fn restore(&self, ptr: &'static RcuPtr<B>, update: &UpdateSide<'_, B>) -> bool {
        let Some(&(_, array)) = self.record.iter().find(|&&(p, _)| core::ptr::eq(p, ptr)) else {
            return false;
        };
        if ptr.is_set() {
            return false;
        }
        crate::compat::synchronize_rcu();
        // SAFETY: `array` lives in this batch, which is freed only by
        // `retire()` (type invariant), which consumes it: not while `self`
        // is borrowed.
        let seqs = unsafe { array.as_ref() };
        for index in 0..seqs.len() {
            seqs.set(index, 0);
        }
        // SAFETY: As in `Batch::publish()`: `array` lives in this batch,
        // whose `retire()` unpublishes `ptr` (recorded) a grace period before
        // the free.
        drop(unsafe { ptr.replace_batched(array, update) });
        true
    }

    /// Unpublishes every array of the batch and frees the batch after a grace
    /// period, through one `call_rcu()`: readers that found an array before
    /// may still use it until they leave their read-side section.
    pub(crate) fn retire(mut self, update: &UpdateSide<'_, B>) {
        for &(ptr, array) in self.record.iter() {
            // A pointer that was replaced since no longer points into us.
            ptr.clear_batched(array, update);
        }
        drop(mem::take(&mut self.record));
        // SAFETY: `inner` is not used again: `self` is forgotten right below.
        let inner = KBox::into_raw(unsafe { ManuallyDrop::take(&mut self.inner) });
        mem::forget(self);
        // SAFETY: `inner` is valid and its head not queued (a batch is retired
        // once, consuming it); ownership passes to the callback, which reports
        // its free. No `RcuPtr` points into it anymore (type invariant, and
        // the loop above).
        unsafe { call_rcu_counted((*inner).rcu.get(), free_batch) };
    }
}

impl<B: GlobalLockBackend> Drop for Published<B> {
    fn drop(&mut self) {
        // Readers may still find its arrays: leaking is the only safe thing
        // left to do (`inner` is `ManuallyDrop`).
        kernel::warn_on!(true);
    }
}

/// The `call_rcu()` callback of [`Published::retire`].
///
/// # Safety
///
/// Called only by RCU, for the head of a batch that `retire` queued.
unsafe extern "C" fn free_batch(head: *mut bindings::callback_head) {
    // SAFETY: `head` is the first field of a `#[repr(C)]` `BatchInner` that
    // `retire` turned into a raw pointer and handed over; a grace period has
    // passed since its arrays were unpublished, so no reader holds any.
    drop(unsafe { KBox::from_raw(head.cast::<BatchInner>()) });
    free_done();
}
