// SPDX-License-Identifier: GPL-2.0

//! KUnit suites; they run when the module is loaded on a kernel with KUnit.
//! The cases of the generic abstractions sit next to them
//! (`abstractions/abstractions_test.rs`); these test the allocator.
//!
//! The cases share the module's one allocator, so each starts from and
//! returns to the disabled state with every RCU free done.

mod allocator_cases;
mod control_cases;
mod hold;
mod hotplug;
mod hotplug_cases;
mod kick_cases;
mod kthreads;
mod shim;
mod stress;

use crate::{
    abstractions::{
        cpus::{self, PossibleCpu},
        pin::{CpuPinned, PreemptGuard},
        rcu::callback,
    },
    pseqs::{
        allocator::{self, Layout, Policy},
        slots,
    },
};
use kernel::{
    bindings,
    prelude::*,
    processor::cpu_relax,
    sync::atomic::{Atomic, Relaxed},
    time::{Delta, Instant, Monotonic},
    workqueue,
};

/// Marks the running case skipped, with `reason`.
pub(crate) fn skip(reason: &CStr) {
    // SAFETY: `reason` is a valid NUL-terminated string for the call, which
    // copies it.
    unsafe { shim::scxk_kunit_skip(reason.as_char_ptr()) };
}

/// The node `cpu`'s array must be on: its own node when that node has
/// memory, else the node the page allocator serves that node from. That is
/// the page allocator's choice: it holds for arrays above the largest slab
/// size (8 x nr_cpu_ids > 8 KiB, as in the NUMA scenario at 8192 CPUs), while
/// a smaller one on a memoryless node comes from the allocating CPU's slab.
/// It assumes no node is short of free pages, or the page allocator falls
/// back to the next node: the NUMA scenario gives each node room for two
/// enables (with 7 GiB, 1 GiB free in all, arrays landed off their node).
pub(crate) fn expected_node(cpu: PossibleCpu) -> i32 {
    let node = cpus::node_of(cpu);
    // SAFETY: `node` is `cpu_to_node()` of a possible CPU: `NUMA_NO_NODE`, or
    // a node the architecture brought up at boot with its `pg_data_t` and
    // zonelists (x86's `init_cpu_to_node()` does so for memoryless nodes
    // too), which no one frees; the zonelists are read without their
    // seqlock, which only memory hotplug writes, and the guests have none.
    unsafe { shim::scxk_test_alloc_node(node) }
}

/// The header: the RCU head, as upstream's, plus the length.
fn header_size() -> usize {
    core::mem::size_of::<bindings::callback_head>() + core::mem::size_of::<usize>()
}

fn n() -> usize {
    kernel::cpu::nr_cpu_ids() as usize
}

/// The CPUs that get arrays at enable under the current policy.
pub(crate) fn populated() -> impl Iterator<Item = PossibleCpu> {
    allocator::populated(allocator::policy())
}

fn n_populated() -> u64 {
    populated().count() as u64
}

/// Back to the disabled state with every RCU free done and the layout and
/// policy chosen at insmod: a failed case may have left any of them changed.
pub(crate) fn reset() {
    let _ = allocator::disable();
    callback::barrier();
    // Cannot fail: disabled, and the cases run one at a time.
    let _ = allocator::set_layout(Layout::from_packed(
        crate::compat::param(&crate::module_parameters::packed) != 0,
    ));
    let _ = allocator::set_policy(Policy::from_online(
        crate::compat::param(&crate::module_parameters::online) != 0,
    ));
}

/// Runs `case` once with each layout under each policy, each time from the
/// disabled state.
pub(crate) fn for_each_layout(case: impl Fn(Layout) -> Result) -> Result {
    for policy in Policy::ALL {
        for layout in Layout::ALL {
            reset();
            allocator::set_layout(layout)?;
            allocator::set_policy(policy)?;
            let result = case(layout);
            reset();
            if result.is_err() {
                pr_err!("failed with {} {}\n", policy.name(), layout.name());
            }
            result?;
        }
    }
    Ok(())
}

/// [`allocator::enable`] with the allocation for the `index`-th populated CPU
/// failing.
pub(crate) fn enable_failing_at(index: usize) -> Result {
    allocator::enable_failing(|i| i == index)
}

/// RCU callbacks one disable queues: one per array, or one for all.
fn callbacks_per_disable(layout: Layout) -> u64 {
    match layout {
        Layout::Kvzalloc => n_populated(),
        Layout::Packed => 1,
    }
}

pub(crate) fn all_slots_null() -> bool {
    cpus::possible().all(|cpu| !slots::slot(cpu).is_set())
}

/// The online CPUs.
pub(crate) fn online_cpus() -> impl Iterator<Item = PossibleCpu> {
    cpus::possible().filter(|&cpu| cpus::online(cpu))
}

/// A possible CPU that is not online, if there is one.
fn offline_cpu() -> Option<PossibleCpu> {
    cpus::possible().find(|&cpu| !cpus::online(cpu))
}

/// An online CPU other than the current one, if there is one.
fn other_online_cpu() -> Option<PossibleCpu> {
    let me = PreemptGuard::new().cpu();
    online_cpus().find(|&cpu| cpu != me)
}

/// Free RAM in pages (`si_meminfo()`).
fn free_pages() -> u64 {
    // SAFETY: `sysinfo` is plain data; all zeroes is a valid value.
    let mut info: bindings::sysinfo = unsafe { core::mem::zeroed() };
    // SAFETY: `info` is valid for writes.
    unsafe { bindings::si_meminfo(&mut info) };
    info.freeram as u64
}

static ELSEWHERE_GO: Atomic<i32> = Atomic::new(0);
static ELSEWHERE_DONE: Atomic<i32> = Atomic::new(0);

/// Spins without sleeping until `flag` is non-zero, for at most 30 s.
fn spin_until_set(flag: &Atomic<i32>) -> bool {
    let start = Instant::<Monotonic>::now();
    while flag.load(Relaxed) == 0 {
        if start.elapsed() > Delta::from_millis(30_000) {
            return false;
        }
        cpu_relax();
    }
    true
}

/// `f`, queued on the system workqueue to start at [`Elsewhere::run`].
/// Queuing allocates, so it comes before an RCU read-side section; `run`
/// only spins, which such a section allows (it may not sleep).
pub(crate) struct Elsewhere;

impl Elsewhere {
    fn queue(f: fn() -> Result) -> Result<Self> {
        ELSEWHERE_GO.store(0, Relaxed);
        ELSEWHERE_DONE.store(0, Relaxed);
        workqueue::system_long().try_spawn(GFP_KERNEL, move || {
            let result = if spin_until_set(&ELSEWHERE_GO) {
                f()
            } else {
                Err(ETIMEDOUT)
            };
            ELSEWHERE_DONE.store(if result.is_ok() { 1 } else { 2 }, Relaxed);
        })?;
        Ok(Self)
    }

    /// Lets `f` start and spins until it has finished.
    fn run(self) -> Result {
        ELSEWHERE_GO.store(1, Relaxed);
        if !spin_until_set(&ELSEWHERE_DONE) {
            return Err(ETIMEDOUT);
        }
        if ELSEWHERE_DONE.load(Relaxed) == 1 {
            Ok(())
        } else {
            Err(EIO)
        }
    }
}
