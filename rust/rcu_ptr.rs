// SPDX-License-Identifier: GPL-2.0

//! An RCU-protected pointer to a [`SeqArray`], freed through `call_rcu()`.
//!
//! Readers dereference inside an RCU read-side section and get a reference
//! bound to that section. The update side publishes and replaces pointers
//! while holding the update lock, proven by an [`UpdateSide`] token. An array
//! the pointer owns is [`Retired`] when replaced: dropping it queues its free
//! with `call_rcu()`, which runs after every reader that could see it has
//! left. An array that belongs to a batch (the packed layout) is freed by its
//! batch, once for all of them, instead.

use crate::{
    flex_array::{SeqArray, SeqArrayBox},
    once::read_once,
};
use core::{marker::PhantomData, mem::ManuallyDrop, ptr, ptr::NonNull};
use kernel::{
    bindings,
    sync::{
        atomic::{Atomic, Relaxed, Release},
        rcu,
    },
};

/// Frees queued with `call_rcu()` whose callback has not run yet.
static FREES_PENDING: Atomic<u64> = Atomic::new(0);

/// Frees queued with `call_rcu()` since the module was loaded.
static FREES_QUEUED: Atomic<u64> = Atomic::new(0);

/// Returns the number of `call_rcu()` frees queued since the module loaded.
pub(crate) fn frees_queued() -> u64 {
    FREES_QUEUED.load(Relaxed)
}

/// Returns the number of RCU frees queued but not yet run.
pub(crate) fn frees_pending() -> u64 {
    FREES_PENDING.load(Relaxed)
}

/// Waits for every queued RCU free to have run (`rcu_barrier()`).
pub(crate) fn barrier() {
    rcu::rcu_barrier();
}

/// `call_rcu(head, free)`, counted in [`frees_queued`] and [`frees_pending`].
///
/// # Safety
///
/// `head` is valid and not queued, and stays valid until `free` runs; `free`
/// calls [`free_done`] once.
pub(crate) unsafe fn call_rcu_counted(
    head: *mut bindings::callback_head,
    free: unsafe extern "C" fn(*mut bindings::callback_head),
) {
    FREES_PENDING.fetch_add(1, Relaxed);
    FREES_QUEUED.fetch_add(1, Relaxed);
    // SAFETY: The caller guarantees what `call_rcu()` requires of `head`.
    unsafe { bindings::call_rcu(head, Some(free)) };
}

/// Called by each callback queued with [`call_rcu_counted`] once it has freed.
pub(crate) fn free_done() {
    FREES_PENDING.fetch_sub(1, Relaxed);
}

/// Proof that the holder is inside an RCU read-side critical section, for
/// as long as it is borrowed.
///
/// # Safety
///
/// While a value of the implementing type is alive, an RCU grace period that
/// has started cannot end. That holds for [`rcu::Guard`] and, since the RCU
/// flavours were consolidated (v4.20), for any region with preemption or
/// interrupts disabled, which `synchronize_rcu()` and `call_rcu()` wait for too.
pub(crate) unsafe trait ReadSide {}

// SAFETY: `rcu_read_lock()` is held while the guard lives.
unsafe impl ReadSide for rcu::Guard {}
// SAFETY: Preemption is disabled while the guard lives.
unsafe impl ReadSide for crate::percpu::PreemptGuard {}
// SAFETY: Interrupts are disabled while the token lives.
unsafe impl ReadSide for crate::percpu::IrqContext {}

/// Proof that the caller holds the lock that serializes all updates of the
/// [`RcuPtr`]s it is used with.
pub(crate) struct UpdateSide<'a>(PhantomData<&'a ()>);

impl<'a> UpdateSide<'a> {
    /// # Safety
    ///
    /// For `'a`, the caller holds the one lock under which every update of
    /// the [`RcuPtr`]s this token is passed to happens.
    pub(crate) unsafe fn new<L>(_lock: &'a L) -> Self {
        Self(PhantomData)
    }
}

/// Set in a stored pointer whose array belongs to a batch rather than to the
/// [`RcuPtr`]. Arrays are 8-byte aligned, so the low bit is free.
const BATCHED: usize = 1;

/// The array a stored pointer points to, without its [`BATCHED`] tag.
fn untagged(p: *mut SeqArray) -> *mut SeqArray {
    p.map_addr(|addr| addr & !BATCHED)
}

/// An RCU-protected pointer to a [`SeqArray`], `struct scx_kick_pseqs __rcu *`.
///
/// # Invariants
///
/// The pointer is null, or came from [`SeqArrayBox::into_raw`] and is owned
/// by this `RcuPtr` until replaced, then freed only after an RCU grace period;
/// or it is tagged [`BATCHED`] and points to an array that stays allocated
/// until a grace period has passed after this `RcuPtr` stopped pointing to it.
pub(crate) struct RcuPtr(Atomic<*mut SeqArray>);

impl RcuPtr {
    /// A null pointer.
    pub(crate) const fn null() -> Self {
        Self(Atomic::new(ptr::null_mut()))
    }

    /// `rcu_dereference()`: the array, valid as long as the read-side section
    /// that `_reader` proves.
    pub(crate) fn dereference<'g>(&self, _reader: &'g impl ReadSide) -> Option<&'g SeqArray> {
        // rcu_dereference() is READ_ONCE(): the loads through the pointer
        // depend on it, which orders them after it.
        let p = untagged(read_once(&self.0));
        // SAFETY: By the type invariant a non-null pointer is a live array
        // that is freed only after a grace period that starts after it stops
        // being reachable from here; the read-side section keeps the grace
        // period from ending while the reference lives.
        unsafe { p.as_ref() }
    }

    /// Mutant (c): `rcu_dereference()` without the NULL check.
    ///
    /// # Safety
    ///
    /// None can be given: the mutant dereferences NULL on purpose.
    #[cfg(scx_mutant = "c")]
    pub(crate) unsafe fn dereference_unchecked<'g>(
        &self,
        _reader: &'g impl ReadSide,
    ) -> &'g SeqArray {
        // SAFETY: None, see above.
        unsafe { &*untagged(read_once(&self.0)) }
    }

    /// `rcu_access_pointer() != NULL`: whether an array is published, without
    /// dereferencing it.
    pub(crate) fn is_set(&self) -> bool {
        !self.0.load(Relaxed).is_null()
    }

    /// `rcu_replace_pointer()`: publishes `new` (with release ordering, as
    /// `rcu_assign_pointer()`) and returns what was there, retired.
    pub(crate) fn replace(
        &self,
        new: Option<SeqArrayBox>,
        _update: &UpdateSide<'_>,
    ) -> Option<Retired> {
        let new = new.map_or(ptr::null_mut(), SeqArrayBox::into_raw);
        // INVARIANT: `new` is null or owned, from `SeqArrayBox::into_raw`.
        let old = self.0.xchg(new, Release);
        // SAFETY: `old` was stored by this `RcuPtr` and is now unpublished.
        unsafe { Self::retire(old) }
    }

    /// Publishes `array`, which belongs to a batch, like [`Self::replace`].
    ///
    /// # Safety
    ///
    /// `array` points to a live [`SeqArray`] that stays allocated until a
    /// grace period has passed after this `RcuPtr` stopped pointing to it.
    pub(crate) unsafe fn replace_batched(
        &self,
        array: NonNull<SeqArray>,
        _update: &UpdateSide<'_>,
    ) -> Option<Retired> {
        // INVARIANT: Tagged, and kept alive as the caller guarantees.
        let old = self
            .0
            .xchg(array.as_ptr().map_addr(|addr| addr | BATCHED), Release);
        // SAFETY: `old` was stored by this `RcuPtr` and is now unpublished.
        unsafe { Self::retire(old) }
    }

    /// What becomes of an unpublished pointer: an owned array is retired; a
    /// batched one is left to its batch.
    ///
    /// # Safety
    ///
    /// `old` was stored in an `RcuPtr` and nothing stores it anymore.
    unsafe fn retire(old: *mut SeqArray) -> Option<Retired> {
        if old.is_null() || old.addr() & BATCHED != 0 {
            return None;
        }
        // SAFETY: An untagged non-null pointer came from `SeqArrayBox::into_raw`
        // (type invariant) and, now unpublished, is owned by the caller;
        // readers may still hold it.
        Some(Retired(ManuallyDrop::new(unsafe {
            SeqArrayBox::from_raw(old)
        })))
    }
}

impl Drop for RcuPtr {
    fn drop(&mut self) {
        let p = *self.0.get_mut();
        // A batched array is its batch's to free.
        if !p.is_null() && p.addr() & BATCHED == 0 {
            // SAFETY: An untagged pointer is owned (type invariant), and with
            // `&mut self` no reader or updater can reach it anymore.
            drop(unsafe { SeqArrayBox::from_raw(p) });
        }
    }
}

/// An array that is no longer published but that readers in RCU read-side
/// sections may still use. Dropping it frees it through `call_rcu()`.
pub(crate) struct Retired(ManuallyDrop<SeqArrayBox>);

impl core::ops::Deref for Retired {
    type Target = SeqArray;

    fn deref(&self) -> &SeqArray {
        &self.0
    }
}

impl Drop for Retired {
    fn drop(&mut self) {
        // Mutant (d): free at once, while readers may still hold the array.
        #[cfg(scx_mutant = "d")]
        {
            // SAFETY: None: this mutant frees under the readers on purpose.
            drop(unsafe { ManuallyDrop::take(&mut self.0) });
            return;
        }
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
