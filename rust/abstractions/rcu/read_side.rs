// SPDX-License-Identifier: GPL-2.0

//! Proofs of being inside an RCU read-side critical section.

use crate::abstractions::pin::PreemptGuard;
use crate::compat::interrupt::LocalInterruptDisabled;
use kernel::sync::rcu;

/// Proof that the holder is inside an RCU read-side critical section, for
/// as long as it is borrowed.
///
/// # Safety
///
/// While a value of the implementing type is alive, an RCU grace period that
/// has started cannot end. That holds for [`rcu::Guard`] and, since the RCU
/// flavours were consolidated (v5.0), for any region with preemption or local
/// interrupts disabled, which `synchronize_rcu()` and `call_rcu()` wait for
/// too. As for `rcu::Guard`, sleeping while holding one is a bug that only
/// `might_sleep()` and klint catch, not the type system.
pub(crate) unsafe trait ReadSide {}

// SAFETY: `rcu_read_lock()` is held while the guard lives.
unsafe impl ReadSide for rcu::Guard {}

// SAFETY: Preemption is disabled while the guard lives (type invariant).
unsafe impl ReadSide for PreemptGuard {}

// SAFETY: Local interrupts are disabled while it lives (type invariant; on
// non-preemptible kernels, where the invariant promises nothing, any region
// that does not sleep is a read-side critical section).
unsafe impl ReadSide for LocalInterruptDisabled {}
