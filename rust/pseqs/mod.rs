// SPDX-License-Identifier: GPL-2.0

//! sched_ext's lazily allocated `scx_kick_pseqs`: the per-CPU arrays and their
//! lifecycle ([`slots`]), the allocator and its CPU hotplug state, the kick
//! path that reads them, the debugfs control interface and the reader
//! benchmark.

pub(crate) mod allocator;
pub(crate) mod control;
pub(crate) mod hotplug;
pub(crate) mod kick;
pub(crate) mod reader_bench;
pub(crate) mod slots;
