// SPDX-License-Identifier: GPL-2.0

//! Generic abstractions over kernel C APIs that the 7.3 kernel crate lacks:
//! CPU hotplug states, per-CPU statics, an RCU pointer with its batches and
//! callbacks, hard irq_works, serialized cross-CPU calls, node-local flexible
//! arrays. Nothing here knows about the allocator; each could go upstream on
//! its own.

pub(crate) mod cpuhp;
pub(crate) mod cpus;
pub(crate) mod csd;
pub(crate) mod flex_array;
pub(crate) mod irq_work;
pub(crate) mod once;
pub(crate) mod percpu;
pub(crate) mod pin;
pub(crate) mod rcu;
pub(crate) mod shim;

#[cfg(CONFIG_KUNIT)]
mod abstractions_test;
