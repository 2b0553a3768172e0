// SPDX-License-Identifier: GPL-2.0

//! An RCU-protected pointer to a [`SeqArray`], freed through `call_rcu()`.
//!
//! Readers dereference inside an RCU read-side section and get a reference
//! bound to that section and to the pointer. Updates take an
//! [`UpdateSide<B>`], which only the guard of the global lock `B` makes, so
//! every update of an `RcuPtr<B>` is serialized by `B`. An array the pointer
//! owns is [`Retired`] when replaced: dropping it queues its free with
//! `call_rcu()`, which runs after every reader that could see it has left. An
//! array that belongs to a [`batch`](super::batch) is freed by its batch, once
//! for all of them, after the batch has unpublished it.

use super::{
    callback::{call_rcu_counted, free_done},
    read_side::ReadSide,
    update::UpdateSide,
};
use crate::abstractions::{
    flex_array::{SeqArray, SeqArrayBox},
    once::read_once,
};
use core::{marker::PhantomData, mem::ManuallyDrop, ptr, ptr::NonNull};
use kernel::{
    bindings,
    sync::{
        atomic::{Atomic, Relaxed, Release},
        lock::GlobalLockBackend,
    },
};

/// Set in a stored pointer whose array belongs to a batch rather than to the
/// [`RcuPtr`]. Arrays are 8-byte aligned, so the low bit is free.
const BATCHED: usize = 1;

/// The array a stored pointer points to, without its [`BATCHED`] tag.
#[inline]
fn untagged(p: *mut SeqArray) -> *mut SeqArray {
    p.map_addr(|addr| addr & !BATCHED)
}

/// An RCU-protected pointer to a [`SeqArray`], `struct scx_kick_pseqs __rcu *`,
/// updated under the global lock `B`.
///
/// # Invariants
///
/// The stored pointer is null; or untagged, from [`SeqArrayBox::into_raw`],
/// owned by this `RcuPtr` until replaced and then freed only after an RCU
/// grace period; or tagged [`BATCHED`], stored only by
/// [`Published`](super::batch::Published), whose array stays allocated until
/// a grace period has passed after every `RcuPtr` stopped pointing to it.
pub(crate) struct RcuPtr<B: GlobalLockBackend> {
    ptr: Atomic<*mut SeqArray>,
    _lock: PhantomData<B>,
}

// SAFETY: The pointer is an atomic; what it points to is `Sync`
// (`SeqArray` mutates only through atomics) and freed only through RCU.
unsafe impl<B: GlobalLockBackend> Sync for RcuPtr<B> {}

// SAFETY: An owned array may be freed from any thread.
unsafe impl<B: GlobalLockBackend> Send for RcuPtr<B> {}

impl<B: GlobalLockBackend> RcuPtr<B> {
    /// A null pointer.
    #[inline]
    pub(crate) const fn null() -> Self {
        // INVARIANT: Null.
        Self {
            ptr: Atomic::new(ptr::null_mut()),
            _lock: PhantomData,
        }
    }

    /// `rcu_dereference()`: the array, valid for as long as both the
    /// read-side section that `_reader` proves and the borrow of `self` last.
    #[inline]
    pub(crate) fn dereference<'a>(&'a self, _reader: &'a impl ReadSide) -> Option<&'a SeqArray> {
        // rcu_dereference() is READ_ONCE(): the loads through the pointer
        // depend on it, which orders them after it.
        let p = untagged(read_once(&self.ptr));
        // SAFETY: By the type invariant a non-null pointer is a live array
        // that is freed only after a grace period that starts after it stops
        // being reachable from here; the read-side section keeps that grace
        // period from ending while the reference lives, and the borrow of
        // `self` keeps `Drop` (which frees an owned array at once) away.
        unsafe { p.as_ref() }
    }

    /// `rcu_access_pointer() != NULL`: whether an array is published, without
    /// dereferencing it.
    #[inline]
    pub(crate) fn is_set(&self) -> bool {
        !self.ptr.load(Relaxed).is_null()
    }

    /// `rcu_replace_pointer()`: publishes `new` (with release ordering, as
    /// `rcu_assign_pointer()`) and returns what was there, retired.
    pub(crate) fn replace(
        &self,
        new: Option<SeqArrayBox>,
        _update: &UpdateSide<'_, B>,
    ) -> Option<Retired> {
        let new = new.map_or(ptr::null_mut(), SeqArrayBox::into_raw);
        // INVARIANT: `new` is null or owned, from `SeqArrayBox::into_raw`.
        let old = self.ptr.xchg(new, Release);
        // SAFETY: `old` was stored by this `RcuPtr`, and the update side
        // (serialized by `B`) has just unpublished it.
        unsafe { retire(old) }
    }

    /// Publishes `array`, which belongs to a batch, like [`Self::replace`].
    ///
    /// # Safety
    ///
    /// `array` points to a live [`SeqArray`] that stays allocated until a
    /// grace period has passed after this `RcuPtr` stopped pointing to it.
    pub(super) unsafe fn replace_batched(
        &self,
        array: NonNull<SeqArray>,
        _update: &UpdateSide<'_, B>,
    ) -> Option<Retired> {
        // INVARIANT: Tagged, and kept alive as the caller guarantees.
        let old = self
            .ptr
            .xchg(array.as_ptr().map_addr(|addr| addr | BATCHED), Release);
        // SAFETY: As in `replace`.
        unsafe { retire(old) }
    }

    /// Unpublishes `array`, a batched array, if this pointer still points to
    /// it; returns whether it did.
    pub(super) fn clear_batched(
        &self,
        array: NonNull<SeqArray>,
        _update: &UpdateSide<'_, B>,
    ) -> bool {
        let tagged = array.as_ptr().map_addr(|addr| addr | BATCHED);
        // INVARIANT: Null. Release, as `rcu_assign_pointer(p, NULL)` needs
        // none, but orders the batch's retirement after it for other CPUs.
        self.ptr.cmpxchg(tagged, ptr::null_mut(), Release).is_ok()
    }
}

/// What becomes of an unpublished pointer: an owned array is retired; a
/// batched one is left to its batch.
///
/// # Safety
///
/// `old` was stored in an [`RcuPtr`] and nothing stores it anymore.
unsafe fn retire(old: *mut SeqArray) -> Option<Retired> {
    if old.is_null() || old.addr() & BATCHED != 0 {
        return None;
    }
    // SAFETY: An untagged non-null pointer came from `SeqArrayBox::into_raw`
    // (type invariant of `RcuPtr`) and, now unpublished, is owned by the
    // caller; readers may still hold it, which `Retired` accounts for.
    Some(Retired(ManuallyDrop::new(unsafe {
        SeqArrayBox::from_raw(old)
    })))
}

impl<B: GlobalLockBackend> Drop for RcuPtr<B> {
    fn drop(&mut self) {
        let p = *self.ptr.get_mut();
        // A batched array is its batch's to free.
        if !p.is_null() && p.addr() & BATCHED == 0 {
            // SAFETY: An untagged pointer is owned (type invariant), and with
            // `&mut self` no reference from `dereference()` is alive.
            drop(unsafe { SeqArrayBox::from_raw(p) });
        }
    }
}

/// An array that is no longer published but that readers in RCU read-side
/// sections may still use. Dropping it frees it through `call_rcu()`.
pub(crate) struct Retired(ManuallyDrop<SeqArrayBox>);

impl core::ops::Deref for Retired {
    type Target = SeqArray;

    #[inline]
    fn deref(&self) -> &SeqArray {
        &self.0
    }
}

impl Drop for Retired {
    fn drop(&mut self) {
        // SAFETY: `self.0` is not used again: `self` is being dropped.
        let raw = unsafe { ManuallyDrop::take(&mut self.0) }.into_raw();
        // SAFETY: `raw` is an array that is no longer published, whose
        // ownership passes to the callback; its RCU head is queued only here,
        // and the callback reports its free.
        unsafe { call_rcu_counted((*raw).rcu_head(), free_rcu) };
    }
}

/// The `call_rcu()` callback: frees the array that embeds `head`.
///
/// # Safety
///
/// Called only by RCU, for a head that [`Retired`]'s drop queued.
unsafe extern "C" fn free_rcu(head: *mut bindings::callback_head) {
    // SAFETY: `head` is the RCU head of an array whose ownership `Retired`
    // handed to this callback, and a grace period has passed, so no reader
    // holds it anymore.
    drop(unsafe { SeqArrayBox::from_raw(SeqArray::from_rcu_head(head)) });
    free_done();
}
