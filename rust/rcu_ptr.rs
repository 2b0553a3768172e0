// SPDX-License-Identifier: GPL-2.0

//! An RCU-protected pointer to a [`SeqArray`], freed through `call_rcu()`.
//!
//! Readers dereference inside an RCU read-side section and get a reference
//! bound to that section. The update side publishes and replaces pointers
//! while holding the update lock, proven by an [`UpdateSide`] token; a
//! replaced array is [`Retired`]: dropping it queues its free with
//! `call_rcu()`, which runs after every reader that could see it has left.

use crate::flex_array::{SeqArray, SeqArrayBox};
use core::{marker::PhantomData, mem::ManuallyDrop, ptr};
use kernel::{
    bindings,
    sync::{
        atomic::{Acquire, Atomic, Relaxed, Release},
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

/// An RCU-protected owning pointer to a [`SeqArray`], `struct scx_kick_pseqs __rcu *`.
///
/// # Invariants
///
/// The pointer is null or came from [`SeqArrayBox::into_raw`]; it is owned by
/// this `RcuPtr` until replaced, and freed only after an RCU grace period.
pub(crate) struct RcuPtr(Atomic<*mut SeqArray>);

impl RcuPtr {
    /// A null pointer.
    pub(crate) const fn null() -> Self {
        Self(Atomic::new(ptr::null_mut()))
    }

    /// `rcu_dereference()`: the array, valid as long as the read-side section
    /// that `_guard` proves.
    pub(crate) fn dereference<'g>(&self, _guard: &'g rcu::Guard) -> Option<&'g SeqArray> {
        let p = self.0.load(Acquire);
        // SAFETY: By the type invariant a non-null pointer is a live array
        // that is freed only after a grace period that starts after it stops
        // being reachable from here; the guard keeps the grace period from
        // ending while the reference lives.
        unsafe { p.as_ref() }
    }

    /// Mutant (c): `rcu_dereference()` without the NULL check.
    ///
    /// # Safety
    ///
    /// None can be given: the mutant dereferences NULL on purpose.
    #[cfg(scx_mutant = "c")]
    pub(crate) unsafe fn dereference_unchecked<'g>(&self, _guard: &'g rcu::Guard) -> &'g SeqArray {
        // SAFETY: None, see above.
        unsafe { &*self.0.load(Acquire) }
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
        let old = self.0.xchg(new, Release);
        // SAFETY: `old` came from `SeqArrayBox::into_raw` (type invariant) and,
        // now unpublished, is owned by the caller; readers may still hold it.
        (!old.is_null()).then(|| Retired(ManuallyDrop::new(unsafe { SeqArrayBox::from_raw(old) })))
    }
}

impl Drop for RcuPtr {
    fn drop(&mut self) {
        let p = *self.0.get_mut();
        if !p.is_null() {
            // SAFETY: `&mut self`: no reader or updater can reach it anymore.
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
        FREES_PENDING.fetch_add(1, Relaxed);
        FREES_QUEUED.fetch_add(1, Relaxed);
        // SAFETY: `raw` is an array that is no longer published, whose
        // ownership passes to the callback; its RCU head is queued only here.
        unsafe { bindings::call_rcu((*raw).rcu_head(), Some(free_rcu)) };
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
    FREES_PENDING.fetch_sub(1, Relaxed);
}
