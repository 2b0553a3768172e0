// SPDX-License-Identifier: GPL-2.0

//! scx_kick_pseqs: sched_ext's lazily allocated `scx_kick_pseqs`, in Rust.
//!
//! Upstream commit 14c1da3895a1 replaced a boot-time `__alloc_percpu()` of
//! `8 * nr_cpu_ids` bytes per CPU, which cannot succeed above 4096 CPUs, with
//! one node-local `kvzalloc()`ed array per CPU, allocated when a scheduler is
//! enabled and freed through RCU when it is disabled. This module provides
//! that allocator, a kick path that reads it like SCX_KICK_WAIT does, a
//! debugfs control interface, and KUnit suites that run when it is loaded.

// A mutant build (see Kbuild) leaves code unused or unreachable on purpose.
#![cfg_attr(scx_mutant, allow(unused, unreachable_code))]

use kernel::{debugfs::Scope, prelude::*};

mod allocator;
mod control;
mod cpus;
mod csd;
mod flex_array;
mod irq_work;
mod kick;
#[cfg(CONFIG_KUNIT)]
mod kthreads;
mod once;
mod packed;
mod percpu;
mod rcu_ptr;
mod reader_bench;
mod shim;
#[cfg(CONFIG_KUNIT)]
mod stress;
#[cfg(CONFIG_KUNIT)]
mod tests;

module! {
    type: ScxKickPseqs,
    name: "scx_kick_pseqs",
    authors: ["scx-kick-pseqs developers"],
    description: "sched_ext's lazy scx_kick_pseqs allocator",
    license: "GPL",
    params: {
        packed: bool {
            default: true,
            description: "Layout: one vmalloc() block per node (1) or upstream's kvzalloc_node() per CPU (0)",
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
    },
}

/// Mutant (a), the design the seed replaced: one `__alloc_percpu()` of
/// `8 * nr_cpu_ids` bytes at init, which fails above 4096 CPUs.
#[cfg(scx_mutant = "a")]
fn mutant_a_boot_time_table() -> Result {
    let size = 8 * kernel::cpu::nr_cpu_ids() as usize;
    // SAFETY: Plain allocation call; freed right away when it succeeds.
    let table = unsafe {
        kernel::bindings::pcpu_alloc_noprof(size, 8, false, kernel::bindings::GFP_KERNEL)
    };
    if table.is_null() {
        pr_err!("mutant a: __alloc_percpu({size}) failed\n");
        return Err(ENOMEM);
    }
    // SAFETY: `table` came from the per-CPU allocator just above.
    unsafe { kernel::bindings::free_percpu(table) };
    Ok(())
}

/// Fields drop in declaration order: the debugfs files go first (their
/// removal waits for writes in flight), so nothing can enable again once the
/// allocator shuts down.
struct ScxKickPseqs {
    _debugfs: Pin<KBox<Scope<()>>>,
    _shutdown: Shutdown,
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
        // SAFETY: Called once, at load, before anything else uses them.
        unsafe {
            allocator::init(allocator::Layout::from_packed(
                module_parameters::packed.value(),
            ));
            kick::init();
        }
        #[cfg(scx_mutant = "a")]
        mutant_a_boot_time_table()?;
        let debugfs = control::create()?;
        pr_info!(
            "loaded: nr_cpu_ids={} possible={} layout={}\n",
            kernel::cpu::nr_cpu_ids(),
            cpus::possible_mask().weight(),
            allocator::layout().name()
        );
        Ok(ScxKickPseqs {
            _debugfs: debugfs,
            _shutdown: Shutdown,
        })
    }
}
