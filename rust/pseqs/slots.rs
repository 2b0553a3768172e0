// SPDX-License-Identifier: GPL-2.0

//! The per-CPU array pointers and the lifecycle they follow: what the
//! allocator writes and the kick path reads, and nothing else, so that
//! neither of the two needs the other.
//!
//! Every update happens under [`ENABLE_MUTEX`]; readers go lockless: the
//! pointers under RCU, the state and period with acquire loads.
//!
//! Lock order: the CPU hotplug lock, then [`ENABLE_MUTEX`]. The hotplug
//! callbacks take the mutex with the hotplug lock held, so no one may take
//! the hotplug lock, or wait for a hotplug operation, while holding the
//! mutex. Enable and disable take the mutex alone: the callbacks do all they
//! do under it.

use crate::abstractions::{
    cpus::PossibleCpu,
    percpu::define_per_cpu,
    pin::CpuPinned,
    rcu::{batch::Published, ptr::RcuPtr},
};
// `global_lock!` names `Pin` unqualified.
use core::pin::Pin;
use kernel::sync::{
    atomic::{Acquire, Atomic, Relaxed, Release},
    global_lock, GlobalGuard,
};

global_lock! {
    // SAFETY: `init()` initializes it when the module loads, before any use.
    // It holds the packed layout's batch while that is what is published.
    pub(crate) unsafe(uninit) static ENABLE_MUTEX: Mutex<Option<Published<ENABLE_MUTEX>>> = None;
}

/// A pointer to one CPU's array, updated under [`ENABLE_MUTEX`].
pub(crate) type Slot = RcuPtr<ENABLE_MUTEX>;

define_per_cpu! {
    /// `scx_kick_pseqs`: this CPU's array, NULL while disabled.
    static KICK_PSEQS: Slot = RcuPtr::null();
}

define_per_cpu! {
    /// Whether this CPU is up as far as the allocator is concerned: set when
    /// the hotplug state prepares it, before it runs anything, and cleared
    /// once it is dead. The CPUs whose kick irq_work can run are among these.
    static CPU_UP: Atomic<bool> = Atomic::new(false);
}

/// Initializes the lock.
///
/// # Safety
///
/// Called once, when the module loads, before any other function here.
pub(crate) unsafe fn init() {
    // SAFETY: Called once, before first use, as the caller guarantees.
    unsafe { ENABLE_MUTEX.init() };
}

/// `per_cpu_ptr(&scx_kick_pseqs, cpu)`.
#[inline]
pub(crate) fn slot(cpu: PossibleCpu) -> &'static Slot {
    KICK_PSEQS.get(cpu)
}

/// `this_cpu_ptr(&scx_kick_pseqs)`.
#[inline]
pub(crate) fn this_cpu_slot<'a>(pin: &'a impl CpuPinned) -> &'a Slot {
    KICK_PSEQS.this_cpu(pin)
}

/// Whether `cpu` is up (see [`set_up`]). Stable while the lock is held: the
/// callbacks change it under the lock, with the hotplug lock held for
/// writing, or only for reading while the state is being installed.
#[inline]
pub(crate) fn is_up(cpu: PossibleCpu) -> bool {
    CPU_UP.get(cpu).load(Relaxed)
}

/// Records that `cpu` is up or dead, from the hotplug callbacks; the guard
/// proves the lock is held.
#[inline]
pub(crate) fn set_up(cpu: PossibleCpu, up: bool, _lock: &GlobalGuard<ENABLE_MUTEX>) {
    CPU_UP.get(cpu).store(up, Relaxed);
}

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

/// The period: bumped under `ENABLE_MUTEX` at the start of every enable
/// attempt, before any array of it is published.
static PERIOD: Atomic<u64> = Atomic::new(0);

/// The current state.
#[inline]
pub(crate) fn state() -> State {
    State::from_raw(STATE.load(Acquire))
}

/// Moves to `state`; the guard proves the lock is held.
#[inline]
pub(crate) fn set_state(state: State, _lock: &GlobalGuard<ENABLE_MUTEX>) {
    STATE.store(state as i32, Release);
}

/// The current period: it changes whenever an enable starts, so it stays the
/// same for as long as one enabled period lasts.
///
/// An array read from a slot belongs to the period read after it (with a read
/// barrier between): [`new_period`] comes before the arrays of the period are
/// published, with release ordering.
#[inline]
pub(crate) fn period() -> u64 {
    PERIOD.load(Acquire)
}

/// Starts a new period, before publishing its arrays.
#[inline]
pub(crate) fn new_period(_lock: &GlobalGuard<ENABLE_MUTEX>) {
    PERIOD.fetch_add(1, Relaxed);
}
