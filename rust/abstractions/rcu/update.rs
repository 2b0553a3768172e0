// SPDX-License-Identifier: GPL-2.0

//! The update side of the RCU pointers: proof that their lock is held.

use core::marker::PhantomData;
use kernel::sync::lock::{GlobalGuard, GlobalLockBackend};

/// Proof that the global lock `B` is held: every update of an
/// [`RcuPtr<B>`](super::ptr::RcuPtr) takes one, so updates are serialized.
///
/// Made only from the lock's guard, which it borrows: it cannot outlive the
/// critical section. Each `global_lock!` is its own `B`, so the guard of
/// another lock does not do.
#[must_use]
pub(crate) struct UpdateSide<'a, B: GlobalLockBackend>(PhantomData<&'a GlobalGuard<B>>);

impl<'a, B: GlobalLockBackend> UpdateSide<'a, B> {
    /// The update side for as long as `guard` is borrowed.
    #[inline]
    pub(crate) fn new(_guard: &'a GlobalGuard<B>) -> Self {
        Self(PhantomData)
    }
}
