// SPDX-License-Identifier: GPL-2.0

//! RCU for the arrays: the read-side proofs, the update-side token, the
//! pointer, batches of arrays freed together, and counted `call_rcu()`.

pub(crate) mod batch;
pub(crate) mod callback;
pub(crate) mod ptr;
pub(crate) mod read_side;
pub(crate) mod update;
