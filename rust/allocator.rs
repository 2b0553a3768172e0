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

use crate::{
    cpus,
    flex_array::SeqArrayBox,
    kick,
    packed::Batch,
    percpu::{define_per_cpu, CpuPinned},
    rcu_ptr::{self, RcuPtr, UpdateSide},
};
use kernel::{
    cpu::CpuId,
    prelude::*,
    sync::{
        atomic::{Acquire, Atomic, Relaxed, Release},
        global_lock, rcu, GlobalGuard,
    },
};

define_per_cpu! {
    /// `scx_kick_pseqs`: this CPU's array, NULL while disabled.
    static KICK_PSEQS: RcuPtr = RcuPtr::null();
}

global_lock! {
    // SAFETY: `init()` initializes it when the module loads, before any use.
    // It holds the packed layout's batch while that is what is published.
    unsafe(uninit) static ENABLE_MUTEX: Mutex<Option<Batch>> = None;
}

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

/// The layout the next enable uses; changed only while disabled, under
/// `ENABLE_MUTEX`. `true` for [`Layout::Packed`].
static PACKED: Atomic<bool> = Atomic::new(true);

/// The lifecycle, as sched_ext's `enum scx_enable_state`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum State {
    Disabled,
    Enabling,
    Enabled,
    Disabling,
}

impl State {
    /// The name shown in debugfs.
    pub(crate) fn name(self) -> &'static str {
        match self {
            State::Disabled => "disabled",
            State::Enabling => "enabling",
            State::Enabled => "enabled",
            State::Disabling => "disabling",
        }
    }

    fn from_raw(raw: i32) -> Self {
        match raw {
            1 => State::Enabling,
            2 => State::Enabled,
            3 => State::Disabling,
            _ => State::Disabled,
        }
    }
}

/// Written under `ENABLE_MUTEX`, read locklessly by the kick path and debugfs:
/// a release store and an acquire load, so that whoever sees the enabled
/// state also sees the arrays published before it.
static STATE: Atomic<i32> = Atomic::new(State::Disabled as i32);

/// Successful enables so far: numbers the enabled periods. Written under
/// `ENABLE_MUTEX` before the state becomes enabled.
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

/// Initializes the allocator, which enables with `layout`.
///
/// # Safety
///
/// Called once, when the module loads, before any other function here.
pub(crate) unsafe fn init(layout: Layout) {
    // SAFETY: Called once, before first use, as the caller guarantees.
    unsafe { ENABLE_MUTEX.init() };
    PACKED.store(layout == Layout::Packed, Relaxed);
}

/// The layout the next enable uses (and the current one uses, if enabled).
pub(crate) fn layout() -> Layout {
    Layout::from_packed(PACKED.load(Relaxed))
}

/// Selects the layout of the next enable; `EBUSY` unless disabled.
pub(crate) fn set_layout(layout: Layout) -> Result {
    let _lock = ENABLE_MUTEX.lock();
    if state() != State::Disabled {
        return Err(EBUSY);
    }
    PACKED.store(layout == Layout::Packed, Relaxed);
    Ok(())
}

/// The current state.
pub(crate) fn state() -> State {
    State::from_raw(STATE.load(Acquire))
}

fn set_state(state: State, _lock: &GlobalGuard<ENABLE_MUTEX>) {
    STATE.store(state as i32, Release);
}

/// The number of successful enables so far; it stays the same for as long as
/// one enabled period lasts.
pub(crate) fn enables() -> u64 {
    ENABLES.load(Relaxed)
}

/// `per_cpu_ptr(&scx_kick_pseqs, cpu)`.
pub(crate) fn slot(cpu: CpuId) -> &'static RcuPtr {
    KICK_PSEQS.get(cpu)
}

/// `this_cpu_ptr(&scx_kick_pseqs)`.
pub(crate) fn this_cpu_slot<'a>(pin: &'a impl CpuPinned) -> &'a RcuPtr {
    KICK_PSEQS.this_cpu(pin)
}

/// Allocates every possible CPU's array and moves to [`State::Enabled`].
///
/// Fails with `EBUSY` when not disabled, before allocating anything: checking
/// after allocating overwrote the live arrays and then freed them on the
/// `EBUSY` path (fixed upstream by 05e63305c85c8). Fails with `ENOMEM`, with
/// nothing left allocated, when any array cannot be allocated.
pub(crate) fn enable() -> Result {
    let mut lock = ENABLE_MUTEX.lock();
    // SAFETY: `ENABLE_MUTEX` is held (`lock`) for as long as `update` lives,
    // and every update of the `KICK_PSEQS` pointers happens under it.
    let update = unsafe { UpdateSide::new(&ENABLE_MUTEX) };
    // Mutant (b), before 05e63305c85c8: allocate first, free on EBUSY.
    #[cfg(scx_mutant = "b")]
    if let Err(e) = alloc_all(&mut lock, &update).and_then(|()| match state() {
        State::Disabled => Ok(()),
        _ => Err(EBUSY),
    }) {
        free_all(&mut lock, &update);
        return Err(e);
    }
    if state() != State::Disabled {
        return Err(EBUSY);
    }
    set_state(State::Enabling, &lock);
    #[cfg(not(scx_mutant = "b"))]
    if let Err(e) = alloc_all(&mut lock, &update) {
        free_all(&mut lock, &update);
        set_state(State::Disabled, &lock);
        return Err(e);
    }
    ENABLES.fetch_add(1, Relaxed);
    set_state(State::Enabled, &lock);
    Ok(())
}

fn alloc_all(batch: &mut Option<Batch>, update: &UpdateSide<'_>) -> Result {
    match layout() {
        Layout::Kvzalloc => alloc_kvzalloc(update),
        Layout::Packed => alloc_packed(batch, update),
    }
}

fn alloc_kvzalloc(update: &UpdateSide<'_>) -> Result {
    let len = kernel::cpu::nr_cpu_ids() as usize;
    for (index, cpu) in cpus::possible().enumerate() {
        let slot = slot(cpu);
        warn_on_once!(slot.is_set());
        if fault::should_fail(index) {
            return Err(ENOMEM);
        }
        // Unlike upstream's GFP_KERNEL, this fails rather than OOM-kills
        // (see `flex_array`).
        let array = SeqArrayBox::new_zeroed(len, cpus::node_of(cpu)).map_err(|_| ENOMEM)?;
        // A slot that was already set (warned above) is retired, not leaked.
        drop(slot.replace(Some(array), update));
    }
    Ok(())
}

/// One node's share of the packed layout.
#[derive(Clone, Copy, Default)]
struct NodePlan {
    /// Possible CPUs on the node.
    cpus: usize,
    /// Fault injection hit one of them.
    fail: bool,
    /// The node's block in the batch.
    block: usize,
    /// Arrays of the block published so far.
    used: usize,
}

/// The index of `cpu`'s node, for a [`NodePlan`] table.
fn node_index(cpu: CpuId) -> Result<usize> {
    usize::try_from(cpus::node_of(cpu)).map_err(|_| EINVAL)
}

/// Allocates every node's block first and publishes only once all exist, so
/// that an allocation failure frees a batch no reader has seen.
fn alloc_packed(batch: &mut Option<Batch>, update: &UpdateSide<'_>) -> Result {
    // Only `free_all()` may drop a published batch (through RCU): never
    // replace one here. The caller's `free_all()` retires it.
    if warn_on_once!(batch.is_some()) {
        return Err(EBUSY);
    }
    let len = kernel::cpu::nr_cpu_ids() as usize;
    let mut plan = KVec::from_elem(NodePlan::default(), cpus::nr_node_ids(), GFP_KERNEL)?;
    for (index, cpu) in cpus::possible().enumerate() {
        let node = plan.get_mut(node_index(cpu)?).ok_or(EINVAL)?;
        node.cpus += 1;
        node.fail |= fault::should_fail(index);
    }
    let mut new = Batch::with_capacity(plan.len())?;
    for (id, node) in plan.iter_mut().enumerate() {
        if node.cpus == 0 {
            continue;
        }
        if node.fail {
            return Err(ENOMEM);
        }
        node.block = new.add_block(node.cpus, len, id as i32)?;
    }
    // Held before anything is published, so that `free_all()` retires it on
    // any failure from here on.
    let new = batch.insert(new);
    for cpu in cpus::possible() {
        let slot = slot(cpu);
        warn_on_once!(slot.is_set());
        let node = plan.get_mut(node_index(cpu)?).ok_or(EINVAL)?;
        let array = new.array(node.block, node.used).ok_or(EINVAL)?;
        node.used += 1;
        // SAFETY: `array` lives in the batch kept under `ENABLE_MUTEX`, which
        // only `free_all()` retires through call_rcu(), after it has replaced
        // every slot.
        drop(unsafe { slot.replace_batched(array, update) });
    }
    Ok(())
}

fn free_all(batch: &mut Option<Batch>, update: &UpdateSide<'_>) {
    for cpu in cpus::possible() {
        // Dropping a retired array queues its free with call_rcu().
        drop(slot(cpu).replace(None, update));
    }
    // Now that no slot points into it, one call_rcu() for all its arrays.
    if let Some(batch) = batch.take() {
        batch.retire();
    }
}

/// Frees every array through RCU and moves back to [`State::Disabled`].
///
/// Fails with `EINVAL` when not enabled.
pub(crate) fn disable() -> Result {
    let mut lock = ENABLE_MUTEX.lock();
    if state() != State::Enabled {
        return Err(EINVAL);
    }
    set_state(State::Disabling, &lock);
    // Kicks that saw the enabled state finish with the arrays before they go.
    // Mutant (e) frees without this.
    #[cfg(not(scx_mutant = "e"))]
    kick::sync_all();
    // SAFETY: `ENABLE_MUTEX` is held (`lock`) for as long as `update` lives,
    // and every update of the `KICK_PSEQS` pointers happens under it.
    let update = unsafe { UpdateSide::new(&ENABLE_MUTEX) };
    free_all(&mut lock, &update);
    set_state(State::Disabled, &lock);
    Ok(())
}

/// Disables if enabled and waits until every array is freed; for module exit.
pub(crate) fn shutdown() {
    // Only fails when already disabled, which is what we want.
    let _ = disable();
    // Mutant (f) unloads with RCU callbacks into this module still queued.
    #[cfg(not(scx_mutant = "f"))]
    rcu_ptr::barrier();
    // Nothing may be left behind for a callback to free after unload.
    kernel::warn_on!(rcu_ptr::frees_pending() != 0);
}

/// Memory held by the allocator.
pub(crate) struct Stats {
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
        arrays: 0,
        bytes: 0,
        frees_pending: rcu_ptr::frees_pending(),
        enables: enables(),
        node_bytes: KVec::new(),
    };
    let guard = rcu::read_lock();
    for cpu in cpus::possible() {
        let Some(array) = slot(cpu).dereference(&guard) else {
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

/// Allocation failure injection for the KUnit suite; compiled only with KUnit.
#[cfg(CONFIG_KUNIT)]
pub(crate) mod fault {
    use kernel::sync::atomic::{Atomic, Relaxed};

    /// The index of the possible CPU whose allocation fails, or -1.
    static FAIL_AT: Atomic<i64> = Atomic::new(-1);

    /// Makes the allocation for the `index`-th possible CPU fail until dropped.
    pub(crate) struct FailAt(());

    impl FailAt {
        pub(crate) fn new(index: usize) -> Self {
            FAIL_AT.store(index as i64, Relaxed);
            FailAt(())
        }
    }

    impl Drop for FailAt {
        fn drop(&mut self) {
            FAIL_AT.store(-1, Relaxed);
        }
    }

    pub(super) fn should_fail(index: usize) -> bool {
        FAIL_AT.load(Relaxed) == index as i64
    }
}

#[cfg(not(CONFIG_KUNIT))]
mod fault {
    pub(super) fn should_fail(_index: usize) -> bool {
        false
    }
}
