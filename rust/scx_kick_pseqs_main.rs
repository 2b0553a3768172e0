// SPDX-License-Identifier: GPL-2.0

//! scx_kick_pseqs: sched_ext's lazily allocated `scx_kick_pseqs`, in Rust.
//!
//! Upstream commit 14c1da3895a1 replaced a boot-time `__alloc_percpu()` of
//! `8 * nr_cpu_ids` bytes per CPU, which cannot succeed above 4096 CPUs, with
//! one node-local `kvzalloc()`ed array per CPU, allocated when a scheduler is
//! enabled and freed through RCU when it is disabled. This module provides
//! that allocator, a kick path that reads it like SCX_KICK_WAIT does, a
//! debugfs control interface, and KUnit suites that run when it is loaded.
//!
//! [`abstractions`] holds what is generic (per-CPU statics, RCU pointers,
//! irq_works, csds, flexible arrays); [`pseqs`] the allocator built on them;
//! `tests` the KUnit suites, compiled only with KUnit.

use kernel::{debugfs::Scope, prelude::*};

mod abstractions;
mod compat;
mod pseqs;
#[cfg(CONFIG_KUNIT)]
mod tests;

use abstractions::cpuhp::HotplugState;
use pseqs::{allocator, control, hotplug, kick};

module! {
    type: ScxKickPseqs,
    name: "scx_kick_pseqs",
    authors: ["scx-kick-pseqs developers"],
    description: "sched_ext's lazy scx_kick_pseqs allocator",
    license: "GPL",
    params: {
        // An integer, not a bool: 7.2's module! has no bool parameters.
        packed: u32 {
            default: 1,
            description: "Layout: one vmalloc() block per node (1) or upstream's kvzalloc_node() per CPU (0)",
        },
        online: u32 {
            default: 1,
            description: "Policy: arrays for the CPUs that are up, following CPU hotplug (1) or for every possible CPU, as upstream (0)",
        },
        stress_attempts: u32 {
            default: 10000,
            description: "KUnit stress suite: enable attempts raced by 8 threads",
        },
        stress_cpus: u32 {
            default: 0,
            description: "KUnit stress suite: most CPUs running kick threads and the ring, spread evenly (0: all online)",
        },
        stress_cycles: u32 {
            default: 1000,
            description: "KUnit stress suite: enable/disable cycles while kicks fire",
        },
        stress_random_faults: u32 {
            default: 64,
            description: "KUnit stress suite: allocation failures injected at random CPUs",
        },
        stress_ring_ms: u32 {
            default: 3000,
            description: "KUnit stress suite: how long a ring of CPUs kicks with wait",
        },
        stress_hotplug_cycles: u32 {
            default: 20,
            description: "KUnit hotplug suite: CPU down/up cycles raced by enables, disables and kicks",
        },
        stress_kick_rounds: u32 {
            default: 3000,
            description: "KUnit stress suite: rounds of every online CPU kicking one target at once",
        },
    },
}

/// Fields drop in declaration order: the debugfs files go first (their
/// removal waits for writes in flight), so nothing can enable again once the
/// allocator shuts down; the hotplug state last, so that the arrays follow
/// CPU hotplug for as long as they exist. Its removal waits for a callback in
/// flight and leaves none behind.
struct ScxKickPseqs {
    _debugfs: Pin<KBox<Scope<()>>>,
    _shutdown: Shutdown,
    _hotplug: HotplugState<hotplug::Callbacks>,
}

/// Frees every array and waits for their RCU frees and the kick irq_works,
/// so that no callback into this module runs after it is unloaded.
struct Shutdown;

impl Drop for Shutdown {
    fn drop(&mut self) {
        allocator::shutdown();
        kick::quiesce();
        pr_info!("unloaded\n");
    }
}

impl kernel::Module for ScxKickPseqs {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        // SAFETY: Called once, at load, before anything else uses it.
        unsafe {
            allocator::init(
                allocator::Layout::from_packed(compat::param(&module_parameters::packed) != 0),
                allocator::Policy::from_online(compat::param(&module_parameters::online) != 0),
            )
        };
        // SAFETY: Kept in the module's data, which is dropped at unload.
        let hotplug = unsafe { hotplug::register()? };
        let debugfs = control::create()?;
        pr_info!(
            "loaded: nr_cpu_ids={} possible={} layout={} policy={}\n",
            kernel::cpu::nr_cpu_ids(),
            abstractions::cpus::possible_mask().weight(),
            allocator::layout().name(),
            allocator::policy().name()
        );
        Ok(ScxKickPseqs {
            _debugfs: debugfs,
            _shutdown: Shutdown,
            _hotplug: hotplug,
        })
    }
}
