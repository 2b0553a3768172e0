// SPDX-License-Identifier: GPL-2.0

//! The kick path, modelled on sched_ext's SCX_KICK_WAIT.
//!
//! Each CPU has a pick sequence that advances whenever it is kicked (in
//! sched_ext, whenever it goes through pick_task). A kick runs in this CPU's
//! hard irq_work, like `kick_cpus_irq_workfn()`: it reads this CPU's array
//! under RCU, NULL-checked, records the target's current sequence in
//! `seqs[target]` when the kick waits, and kicks the target with an irq_work
//! on it. The wait for the target's sequence to move happens afterwards, in
//! task context with interrupts enabled: waiting in hardirq deadlocks on
//! cycles of waiters (fixed upstream by 415cb193bb97). While waiting, the
//! waiter keeps advancing its own sequence, so that whoever waits on it
//! makes progress too.

use crate::{
    cpus,
    csd::Csd,
    irq_work::IrqWork,
    percpu::{define_per_cpu, CpuPinned, IrqContext, MigrateGuard},
    pseqs::{self, State},
};
use kernel::{
    bindings,
    cpu::CpuId,
    prelude::*,
    processor::cpu_relax,
    sync::{
        atomic::{Acquire, Atomic, Relaxed, Release},
        global_lock, rcu,
    },
    time::{Delta, Instant, Monotonic},
};

/// How long a kick with wait waits for the target before `ETIMEDOUT`.
const WAIT_TIMEOUT_MS: i64 = 1000;

/// Outcomes of the kick irq_work, in `KickCpu::outcome`.
const OUTCOME_PENDING: i32 = 0;
const OUTCOME_KICKED: i32 = 1;
const OUTCOME_NO_ARRAY: i32 = 2;
const OUTCOME_OFFLINE: i32 = 3;

/// A CPU's kick state, `struct scx_rq`'s kick fields in sched_ext.
struct KickCpu {
    /// Runs on this CPU to kick `target`: `kick_cpus_irq_work`.
    kick_work: IrqWork,
    /// Runs on this CPU when another CPU kicks it: advances `pick_seq`.
    resched: Csd,
    /// The pick sequence, `rq->scx.pnt_seq`.
    pick_seq: Atomic<u64>,
    /// The CPU the pending kick is for.
    target: Atomic<u32>,
    /// Whether the pending kick waits.
    wait: Atomic<bool>,
    /// What the kick irq_work did, one of `OUTCOME_*`.
    outcome: Atomic<i32>,
}

define_per_cpu! {
    static KICK: KickCpu = KickCpu {
        kick_work: IrqWork::uninit(),
        resched: Csd::uninit(),
        pick_seq: Atomic::new(0),
        target: Atomic::new(0),
        wait: Atomic::new(false),
        outcome: Atomic::new(OUTCOME_PENDING),
    };
}

global_lock! {
    // SAFETY: `init()` initializes it when the module loads, before any use.
    unsafe(uninit) static KICK_MUTEX: Mutex<()> = ();
}

/// Initializes every possible CPU's irq_works.
///
/// # Safety
///
/// Called once, when the module loads, before any other function here.
pub(crate) unsafe fn init() {
    // SAFETY: Called once, before first use, as the caller guarantees.
    unsafe { KICK_MUTEX.init() };
    for cpu in cpus::possible() {
        let k = KICK.get(cpu);
        // SAFETY: Nothing can queue these works before `init()` returns; the
        // callbacks are hard-irq safe and live as long as the module, whose
        // exit syncs every work (`sync_all()`).
        unsafe {
            k.kick_work.init_hard(kick_workfn);
            k.resched.init(resched_fn);
        }
    }
}

/// Waits until no kick irq_work is queued or running and no reschedule call
/// is queued on any CPU.
pub(crate) fn sync_all() {
    for cpu in cpus::possible() {
        let k = KICK.get(cpu);
        k.kick_work.sync();
        k.resched.wait_idle();
    }
}

/// Like [`sync_all`], and also waits for reschedule calls that are still
/// finishing, so that none runs in this module after it is unloaded.
pub(crate) fn quiesce() {
    sync_all();
    rcu::synchronize_rcu();
}

/// `cpu`'s pick sequence.
pub(crate) fn pick_seq(cpu: CpuId) -> u64 {
    KICK.get(cpu).pick_seq.load(Acquire)
}

/// `kick_cpus_irq_workfn()`: runs on the kicking CPU.
///
/// # Safety
///
/// Called only by the irq_work core, as the hard irq_work callback set in
/// [`init`].
unsafe extern "C" fn kick_workfn(_work: *mut bindings::irq_work) {
    // SAFETY: A hard irq_work callback runs with interrupts disabled.
    let irq = unsafe { IrqContext::assume() };
    let me = KICK.this_cpu(&irq);
    let guard = rcu::read_lock();
    let Some(pseqs) = pseqs::this_cpu_slot(&irq).dereference(&guard) else {
        kernel::pr_warn_once!("kick irq_work ran with a NULL scx_kick_pseqs slot\n");
        me.outcome.store(OUTCOME_NO_ARRAY, Release);
        return;
    };
    let target = me.target.load(Relaxed);
    let Some(cpu) = CpuId::from_u32(target) else {
        me.outcome.store(OUTCOME_OFFLINE, Release);
        return;
    };
    // With interrupts off the target cannot go offline under us.
    if !cpus::online(cpu) {
        me.outcome.store(OUTCOME_OFFLINE, Release);
        return;
    }
    if me.wait.load(Relaxed) {
        pseqs.set(target as usize, pick_seq(cpu));
    }
    if cpu == irq.cpu() {
        me.pick_seq.fetch_add(1, Release);
    } else {
        KICK.get(cpu).resched.queue_on(cpu);
    }
    me.outcome.store(OUTCOME_KICKED, Release);
}

/// Runs on a kicked CPU: the "reschedule" that advances its pick sequence.
///
/// # Safety
///
/// Called only by the cross-CPU call core, as the csd function set in [`init`].
unsafe extern "C" fn resched_fn(_info: *mut core::ffi::c_void) {
    // SAFETY: A csd function runs in hard interrupt context.
    let irq = unsafe { IrqContext::assume() };
    KICK.this_cpu(&irq).pick_seq.fetch_add(1, Release);
}

/// Kicks `target` from the current CPU and, with `wait`, waits until the
/// target has advanced its pick sequence.
///
/// Errors: `ENXIO` when not enabled (or disabled meanwhile), `ENODEV` when
/// the target is offline, `ETIMEDOUT` when a wait did not finish in time.
pub(crate) fn kick(target: CpuId, wait: bool) -> Result {
    // One kick at a time: each CPU has a single pending-kick slot.
    let _serial = KICK_MUTEX.lock();
    if pseqs::state() != State::Enabled {
        return Err(ENXIO);
    }
    if !cpus::online(target) {
        return Err(ENODEV);
    }
    let pin = MigrateGuard::new();
    match run_kick_work(&pin, target, wait) {
        OUTCOME_KICKED => {}
        OUTCOME_OFFLINE => return Err(ENODEV),
        _ => return Err(ENXIO),
    }
    if wait {
        wait_for(&pin, target)
    } else {
        Ok(())
    }
}

/// Runs the kick irq_work on the pinned CPU for `target` and returns its
/// outcome. The caller holds `KICK_MUTEX`.
fn run_kick_work(pin: &MigrateGuard, target: CpuId, wait: bool) -> i32 {
    let me = KICK.get(pin.cpu());
    me.target.store(target.as_u32(), Relaxed);
    me.wait.store(wait, Relaxed);
    me.outcome.store(OUTCOME_PENDING, Relaxed);
    me.kick_work.queue();
    me.kick_work.sync();
    me.outcome.load(Acquire)
}

/// Runs the reader (the kick irq_work) on the current CPU, aimed at itself,
/// without the state check that normally keeps it from a NULL slot; returns
/// whether it found an array. For the KUnit suite.
#[cfg(CONFIG_KUNIT)]
pub(crate) fn run_reader_here() -> bool {
    let _serial = KICK_MUTEX.lock();
    let pin = MigrateGuard::new();
    run_kick_work(&pin, pin.cpu(), false) == OUTCOME_KICKED
}

/// The SCX_KICK_WAIT wait, in task context with interrupts enabled.
fn wait_for(pin: &MigrateGuard, target: CpuId) -> Result {
    let me = KICK.get(pin.cpu());
    let start = Instant::<Monotonic>::now();
    loop {
        {
            let guard = rcu::read_lock();
            let pseqs = pseqs::slot(pin.cpu()).dereference(&guard).ok_or(ENXIO)?;
            let seen = pseqs.get(target.as_u32() as usize).ok_or(EINVAL)?;
            if pick_seq(target) != seen {
                return Ok(());
            }
        }
        // Keep our own sequence moving for whoever waits on us.
        me.pick_seq.fetch_add(1, Release);
        if start.elapsed() > Delta::from_millis(WAIT_TIMEOUT_MS) {
            return Err(ETIMEDOUT);
        }
        cpu_relax();
    }
}
