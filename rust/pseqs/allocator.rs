// SPDX-License-Identifier: GPL-2.0

//! The lazy `scx_kick_pseqs` allocator.
//!
//! For SCX_KICK_WAIT each CPU has a pointer to an array of `nr_cpu_ids` pick
//! sequence numbers. The arrays are O(nr_cpu_ids^2) in all and one of them
//! exceeds the per-CPU allocator's 32 KiB limit above 4096 CPUs, so they are
//! allocated on enable, on each CPU's node, and freed through RCU on disable.
//! The kick irq_work reads them under RCU and copes with a NULL pointer.
//!
//! Two layouts, chosen while disabled (see [`Layout`]): the seed's, one
//! kvzalloc_node() and one RCU callback per array, and a packed one, one
//! vmalloc() block per node and one RCU callback per disable.
//!
//! Two population policies, chosen while disabled (see [`Policy`]): arrays
//! for every possible CPU, as upstream, or only for the CPUs that are up,
//! following CPU hotplug ([`cpu_prepare`], [`cpu_dead`]). A CPU that is not
//! up cannot run its kick irq_work, so its array would never be read; with
//! many more possible CPUs than online ones, most of upstream's memory is
//! such arrays.

use super::{
    kick,
    slots::{self, State, ENABLE_MUTEX},
};
use crate::abstractions::{
    cpus::{self, PossibleCpu},
    flex_array::SeqArrayBox,
    rcu::{
        batch::{Batch, Published},
        callback,
        update::UpdateSide,
    },
};
use kernel::{
    prelude::*,
    sync::{
        atomic::{Atomic, Relaxed},
        rcu,
    },
};

/// How the arrays of an enabled period are laid out in memory.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Layout {
    /// The seed's: one `kvzalloc_node(struct_size())` per CPU, each freed by
    /// its own RCU callback. kmalloc rounds an array above 8 KiB up to a
    /// power-of-two number of pages: up to 2x the memory it stores.
    Kvzalloc,
    /// One vmalloc() block per node, arrays back to back on cache lines, all
    /// freed by one RCU callback: within a page per node of what it stores.
    Packed,
}

impl Layout {
    /// Both layouts.
    pub(crate) const ALL: [Layout; 2] = [Layout::Kvzalloc, Layout::Packed];

    /// The name shown and accepted in debugfs.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Layout::Kvzalloc => "kvzalloc",
            Layout::Packed => "packed",
        }
    }

    /// [`Layout::Packed`] if `packed`, else [`Layout::Kvzalloc`].
    pub(crate) fn from_packed(packed: bool) -> Self {
        if packed {
            Layout::Packed
        } else {
            Layout::Kvzalloc
        }
    }

    /// The layout called `name`.
    pub(crate) fn from_name(name: &[u8]) -> Option<Self> {
        Self::ALL.into_iter().find(|l| l.name().as_bytes() == name)
    }
}

/// Which CPUs have arrays while enabled.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Policy {
    /// The CPUs that are up: those online at enable, and those that come up
    /// while enabled, from before they run anything until they are dead.
    Online,
    /// Every possible CPU, from enable to disable, as upstream.
    Possible,
}

impl Policy {
    /// Both policies.
    pub(crate) const ALL: [Policy; 2] = [Policy::Online, Policy::Possible];

    /// The name shown and accepted in debugfs.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Policy::Online => "online",
            Policy::Possible => "possible",
        }
    }

    /// [`Policy::Online`] if `online`, else [`Policy::Possible`].
    pub(crate) fn from_online(online: bool) -> Self {
        if online {
            Policy::Online
        } else {
            Policy::Possible
        }
    }

    /// The policy called `name`.
    pub(crate) fn from_name(name: &[u8]) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.name().as_bytes() == name)
    }
}

/// The layout the next enable uses; changed only while disabled, under
/// `ENABLE_MUTEX`. `true` for [`Layout::Packed`].
static PACKED: Atomic<bool> = Atomic::new(true);

/// The policy the next enable uses, like [`PACKED`]. `true` for
/// [`Policy::Online`].
static ONLINE: Atomic<bool> = Atomic::new(true);

/// Successful enables so far. Written under `ENABLE_MUTEX`.
static ENABLES: Atomic<u64> = Atomic::new(0);

/// Like `WARN_ON_ONCE()`: warns the first time `cond` holds at this site.
macro_rules! warn_on_once {
    ($cond:expr) => {{
        static WARNED: Atomic<bool> = Atomic::new(false);
        let cond: bool = $cond;
        if cond && !WARNED.xchg(true, Relaxed) {
            kernel::warn_on!(true);
        }
        cond
    }};
}

/// Initializes the allocator, which enables with `layout` and `policy`.
///
/// # Safety
///
/// Called once, when the module loads, before any other function here.
pub(crate) unsafe fn init(layout: Layout, policy: Policy) {
    // SAFETY: Called once, before first use, as the caller guarantees.
    unsafe { slots::init() };
    PACKED.store(layout == Layout::Packed, Relaxed);
    ONLINE.store(policy == Policy::Online, Relaxed);
}

/// The layout the next enable uses (and the current one uses, if enabled).
pub(crate) fn layout() -> Layout {
    Layout::from_packed(PACKED.load(Relaxed))
}

/// Selects the layout of the next enable; `EBUSY` unless disabled.
pub(crate) fn set_layout(layout: Layout) -> Result {
    let _lock = ENABLE_MUTEX.lock();
    if slots::state() != State::Disabled {
        return Err(EBUSY);
    }
    PACKED.store(layout == Layout::Packed, Relaxed);
    Ok(())
}

/// The policy the next enable uses (and the current one uses, if enabled).
pub(crate) fn policy() -> Policy {
    Policy::from_online(ONLINE.load(Relaxed))
}

/// Selects the policy of the next enable; `EBUSY` unless disabled.
pub(crate) fn set_policy(policy: Policy) -> Result {
    let _lock = ENABLE_MUTEX.lock();
    if slots::state() != State::Disabled {
        return Err(EBUSY);
    }
    ONLINE.store(policy == Policy::Online, Relaxed);
    Ok(())
}

/// The CPUs that get arrays at enable under `policy`; stable while
/// `ENABLE_MUTEX` is held (see [`slots::is_up`]).
pub(crate) fn populated(policy: Policy) -> impl Iterator<Item = PossibleCpu> {
    cpus::possible().filter(move |&cpu| policy == Policy::Possible || slots::is_up(cpu))
}

/// The number of successful enables so far.
pub(crate) fn enables() -> u64 {
    ENABLES.load(Relaxed)
}

/// Allocates the array of every CPU the policy populates and moves to
/// [`State::Enabled`].
///
/// Fails with `EBUSY` when not disabled, before allocating anything: checking
/// after allocating overwrote the live arrays and then freed them on the
/// `EBUSY` path (fixed upstream by 05e63305c85c8). Fails with `ENOMEM`, with
/// nothing left allocated, when any array cannot be allocated.
pub(crate) fn enable() -> Result {
    enable_failing(|_| false)
}

/// [`enable`], with the allocation for the `index`-th populated CPU failing,
/// as if memory had run out, wherever `fails(index)` holds: how the error
/// paths are exercised.
pub(crate) fn enable_failing(fails: impl Fn(usize) -> bool) -> Result {
    // The hotplug callbacks do all they do under the mutex, so while we hold
    // it the set of CPUs that are up cannot change, and they see the state
    // disabled or enabled, never in between: a CPU coming up meanwhile gets
    // its array from its prepare callback, once we are done. Taking the
    // hotplug lock too would deadlock a caller with migration disabled on a
    // CPU going down (the hotplug writer waits for that task to leave).
    let mut lock = ENABLE_MUTEX.lock();
    if slots::state() != State::Disabled {
        return Err(EBUSY);
    }
    slots::set_state(State::Enabling, &lock);
    slots::new_period(&lock);
    let update = UpdateSide::new(&lock);
    let published = match layout() {
        Layout::Kvzalloc => alloc_kvzalloc(policy(), &update, &fails).map(|()| None),
        Layout::Packed => alloc_packed(policy(), &update, &fails).map(Some),
    };
    drop(update);
    match published {
        Ok(published) => {
            // Nothing was published before, so nothing is replaced.
            warn_on_once!(lock.is_some());
            *lock = published;
            ENABLES.fetch_add(1, Relaxed);
            slots::set_state(State::Enabled, &lock);
            Ok(())
        }
        Err(e) => {
            free_all(&UpdateSide::new(&lock));
            slots::set_state(State::Disabled, &lock);
            Err(e)
        }
    }
}

fn alloc_kvzalloc(
    policy: Policy,
    update: &UpdateSide<'_, ENABLE_MUTEX>,
    fails: &impl Fn(usize) -> bool,
) -> Result {
    for (index, cpu) in populated(policy).enumerate() {
        if fails(index) {
            return Err(ENOMEM);
        }
        alloc_one(cpu, update)?;
    }
    Ok(())
}

/// Publishes a new zeroed array, on `cpu`'s node, in `cpu`'s slot.
fn alloc_one(cpu: PossibleCpu, update: &UpdateSide<'_, ENABLE_MUTEX>) -> Result {
    let slot = slots::slot(cpu);
    warn_on_once!(slot.is_set());
    // Unlike upstream's GFP_KERNEL, this fails rather than OOM-kills (see
    // `flex_array`).
    let len = kernel::cpu::nr_cpu_ids() as usize;
    let array = SeqArrayBox::new_zeroed(len, cpus::node_of(cpu)).map_err(|_| ENOMEM)?;
    // A slot that was already set (warned above) is retired, not leaked.
    drop(slot.replace(Some(array), update));
    Ok(())
}

/// One node's share of the packed layout.
#[derive(Clone, Copy, Default)]
struct NodePlan {
    /// Populated CPUs on the node.
    cpus: usize,
    /// Fault injection hit one of them.
    fail: bool,
    /// The node's block in the batch.
    block: usize,
}

/// The index of `cpu`'s node, for a [`NodePlan`] table.
fn node_index(cpu: PossibleCpu) -> Result<usize> {
    usize::try_from(cpus::node_of(cpu)).map_err(|_| EINVAL)
}

/// Allocates every node's block first and publishes only once all exist, so
/// that an allocation failure frees a batch no reader has seen.
fn alloc_packed(
    policy: Policy,
    update: &UpdateSide<'_, ENABLE_MUTEX>,
    fails: &impl Fn(usize) -> bool,
) -> Result<Published<ENABLE_MUTEX>> {
    let len = kernel::cpu::nr_cpu_ids() as usize;
    let mut plan = KVec::from_elem(NodePlan::default(), cpus::nr_node_ids(), GFP_KERNEL)?;
    let mut count = 0;
    for (index, cpu) in populated(policy).enumerate() {
        let node = plan.get_mut(node_index(cpu)?).ok_or(EINVAL)?;
        node.cpus += 1;
        node.fail |= fails(index);
        count += 1;
    }
    let mut batch = Batch::with_capacity(plan.len())?;
    for (id, node) in plan.iter_mut().enumerate() {
        if node.cpus == 0 {
            continue;
        }
        if node.fail {
            return Err(ENOMEM);
        }
        node.block = batch.add_block(node.cpus, len, id as i32)?;
    }
    // Each CPU's array: the next unused one of its node's block.
    let mut used = KVec::from_elem(0usize, plan.len(), GFP_KERNEL)?;
    let mut assign = KVec::with_capacity(count, GFP_KERNEL)?;
    for cpu in populated(policy) {
        let node = node_index(cpu)?;
        let block = plan.get(node).ok_or(EINVAL)?.block;
        let next = used.get_mut(node).ok_or(EINVAL)?;
        warn_on_once!(slots::slot(cpu).is_set());
        assign.push((slots::slot(cpu), block, *next), GFP_KERNEL)?;
        *next += 1;
    }
    batch.publish(assign.into_iter(), count, update)
}

/// Unpublishes every array: owned ones go through RCU one by one as they are
/// dropped, a published batch through one RCU callback.
fn free_all(update: &UpdateSide<'_, ENABLE_MUTEX>) {
    for cpu in cpus::possible() {
        // Dropping a retired array queues its free with call_rcu().
        drop(slots::slot(cpu).replace(None, update));
    }
}

/// Frees every array through RCU and moves back to [`State::Disabled`].
///
/// Fails with `EINVAL` when not enabled.
pub(crate) fn disable() -> Result {
    // As in enable: the hotplug callbacks see enabled or disabled.
    let mut lock = ENABLE_MUTEX.lock();
    if slots::state() != State::Enabled {
        return Err(EINVAL);
    }
    slots::set_state(State::Disabling, &lock);
    // Kicks that saw the enabled state finish with the arrays before they go.
    kick::sync_all();
    let batch = lock.take();
    let update = UpdateSide::new(&lock);
    free_all(&update);
    if let Some(batch) = batch {
        batch.retire(&update);
    }
    drop(update);
    slots::set_state(State::Disabled, &lock);
    Ok(())
}

/// The hotplug state's prepare callback: `cpu` is about to come up, and has
/// not run anything yet. While enabled with [`Policy::Online`] it gets its
/// zeroed array now, so that its kick irq_work never finds the slot NULL:
/// its array in the packed batch if it had one there, else one of its own.
/// `ENOMEM` keeps it down. On resume it still has the array it went down
/// with (see [`cpu_dead`]).
pub(crate) fn cpu_prepare(cpu: PossibleCpu) -> Result {
    let lock = ENABLE_MUTEX.lock();
    let slot = slots::slot(cpu);
    if slots::state() == State::Enabled && policy() == Policy::Online && !slot.is_set() {
        let update = UpdateSide::new(&lock);
        let restored = lock
            .as_ref()
            .is_some_and(|batch| batch.restore(slot, &update));
        if !restored {
            alloc_one(cpu, &update)?;
        }
    }
    slots::set_up(cpu, true, &lock);
    Ok(())
}

/// The hotplug state's dead callback: nothing runs on `cpu` anymore. With
/// [`Policy::Online`] its kick work is synced and its array unpublished: a
/// single array is freed through RCU, one in the packed batch stays there
/// for when the CPU comes back. While suspending (`frozen`) the CPU keeps
/// its array: resume then needs no allocation, under the allocation
/// restrictions of resume, to bring it back.
pub(crate) fn cpu_dead(cpu: PossibleCpu, frozen: bool) {
    let lock = ENABLE_MUTEX.lock();
    slots::set_up(cpu, false, &lock);
    if policy() == Policy::Online && !frozen {
        // The kernel flushed the CPU's queued irq_works and calls as it died;
        // one queued from elsewhere cannot be, but wait rather than assume.
        kick::sync_cpu(cpu);
        // Dropping a retired array queues its free with call_rcu().
        drop(slots::slot(cpu).replace(None, &UpdateSide::new(&lock)));
    }
}

/// Disables if enabled and waits until every array is freed; for module exit.
pub(crate) fn shutdown() {
    // Only fails when already disabled, which is what we want.
    let _ = disable();
    callback::barrier();
    // Nothing may be left behind for a callback to free after unload.
    kernel::warn_on!(callback::frees_pending() != 0);
}

/// Memory held by the allocator.
pub(crate) struct Stats {
    /// The policy of the current or next enable.
    pub(crate) policy: Policy,
    /// CPUs up (see [`cpu_prepare`]).
    pub(crate) cpus_up: u64,
    /// Arrays published in the per-CPU slots.
    pub(crate) arrays: u64,
    /// Bytes requested for them.
    pub(crate) bytes: u64,
    /// Arrays unpublished but still waiting for their RCU free.
    pub(crate) frees_pending: u64,
    /// Successful enables since the module was loaded.
    pub(crate) enables: u64,
    /// Bytes per NUMA node, `(node, bytes)`, in the order first seen.
    pub(crate) node_bytes: KVec<(i32, u64)>,
}

/// Walks every possible CPU's slot and sums what is allocated.
pub(crate) fn stats() -> Result<Stats> {
    // Sized before entering the read-side section, where we cannot sleep.
    let mut node_bytes = KVec::with_capacity(cpus::nr_node_ids(), GFP_KERNEL)?;
    let mut stats = Stats {
        policy: policy(),
        cpus_up: cpus::possible().filter(|&cpu| slots::is_up(cpu)).count() as u64,
        arrays: 0,
        bytes: 0,
        frees_pending: callback::frees_pending(),
        enables: enables(),
        node_bytes: KVec::new(),
    };
    let guard = rcu::read_lock();
    for cpu in cpus::possible() {
        let Some(array) = slots::slot(cpu).dereference(&guard) else {
            continue;
        };
        let size = array.size() as u64;
        stats.arrays += 1;
        stats.bytes += size;
        let node = array.node();
        match node_bytes.iter_mut().find(|(n, _)| *n == node) {
            Some((_, bytes)) => *bytes += size,
            None => {
                // At most nr_node_ids distinct nodes: this never needs to grow.
                let _ = node_bytes.push_within_capacity((node, size));
            }
        }
    }
    drop(guard);
    stats.node_bytes = node_bytes;
    Ok(stats)
}
