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
    allocator::{self, State},
    cpus,
    csd::Csd,
    irq_work::IrqWork,
    once::read_once,
    percpu::{define_per_cpu, CpuPinned, IrqContext, MigrateGuard},
};
use kernel::{
    bindings,
    cpu::CpuId,
    prelude::*,
    processor::cpu_relax,
    sync::{
        atomic::{Acquire, Atomic, Full, Relaxed, Release},
        barrier::smp_mb,
        rcu,
    },
    time::{Delta, Instant, Monotonic},
};

/// Kicks between their state check and their queueing.
static QUEUING: Atomic<u64> = Atomic::new(0);

/// Kick irq_works that found a NULL slot.
static NULL_READS: Atomic<u64> = Atomic::new(0);

/// The number of times the kick irq_work found this CPU's slot NULL; kicks
/// never should (see [`kick`]), only the KUnit suite's direct reader calls.
pub(crate) fn null_reads() -> u64 {
    NULL_READS.load(Relaxed)
}

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
    /// Set while a task owns this CPU's kick fields above.
    busy: Atomic<bool>,
}

define_per_cpu! {
    static KICK: KickCpu = KickCpu {
        kick_work: IrqWork::uninit(),
        resched: Csd::uninit(),
        pick_seq: Atomic::new(0),
        target: Atomic::new(0),
        wait: Atomic::new(false),
        outcome: Atomic::new(OUTCOME_PENDING),
        busy: Atomic::new(false),
    };
}

/// Ownership of the current CPU's kick fields, released on drop.
///
/// Kicks from different CPUs run concurrently (a ring of CPUs kicking each
/// other with wait is a case to survive); two on one CPU would share its
/// single set of kick fields, so the second one gets `EBUSY`.
struct KickSlot {
    pin: MigrateGuard,
}

impl KickSlot {
    fn claim() -> Result<Self> {
        let pin = MigrateGuard::new();
        if KICK.get(pin.cpu()).busy.xchg(true, Acquire) {
            return Err(EBUSY);
        }
        Ok(Self { pin })
    }
}

impl Drop for KickSlot {
    fn drop(&mut self) {
        KICK.get(self.pin.cpu()).busy.store(false, Release);
    }
}

/// Initializes every possible CPU's irq_works.
///
/// # Safety
///
/// Called once, when the module loads, before any other function here.
pub(crate) unsafe fn init() {
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
    // SAFETY: Called once, from here.
    #[cfg(CONFIG_KUNIT)]
    unsafe {
        hold::init()
    };
}

/// A kick work held pending on another CPU, for the KUnit suite.
#[cfg(CONFIG_KUNIT)]
pub(crate) mod hold {
    use super::*;

    /// The call that holds a CPU in hard interrupt context.
    static HOLD: Csd = Csd::uninit();
    /// Set by the held CPU once its kick work is pending.
    static HELD: Atomic<bool> = Atomic::new(false);
    /// Set to end the hold early.
    static RELEASE: Atomic<bool> = Atomic::new(false);
    /// The longest a CPU is held.
    const HOLD_MS: i64 = 300;

    /// # Safety
    ///
    /// Called once, from [`super::init`].
    pub(super) unsafe fn init() {
        // SAFETY: Not queued yet; `hold_fn` is hard-irq safe and the module
        // exit waits for the csd (`super::quiesce`).
        unsafe { HOLD.init(hold_fn) };
    }

    /// Waits until the hold call is idle.
    pub(super) fn wait_idle() {
        HOLD.wait_idle();
    }

    /// Runs on the held CPU, in hard interrupt context: queues its kick work
    /// (which cannot run before this returns) and spins until released or
    /// `HOLD_MS` have passed.
    ///
    /// # Safety
    ///
    /// Called only by the cross-CPU call core, as the csd function of `HOLD`.
    unsafe extern "C" fn hold_fn(_info: *mut core::ffi::c_void) {
        // SAFETY: A csd function runs in hard interrupt context.
        let irq = unsafe { IrqContext::assume() };
        let me = KICK.this_cpu(&irq);
        me.target.store(irq.cpu().as_u32(), Relaxed);
        me.wait.store(false, Relaxed);
        me.kick_work.queue();
        HELD.store(true, Release);
        let start = Instant::<Monotonic>::now();
        while !RELEASE.load(Acquire) && start.elapsed() < Delta::from_millis(HOLD_MS) {
            cpu_relax();
        }
    }

    /// Holds `cpu` in hard interrupt context with its kick work pending;
    /// returns once the work is pending, or `ETIMEDOUT`.
    pub(crate) fn start(cpu: CpuId) -> Result {
        HELD.store(false, Relaxed);
        RELEASE.store(false, Relaxed);
        if !HOLD.queue_on(cpu) {
            return Err(EBUSY);
        }
        let start = Instant::<Monotonic>::now();
        while !HELD.load(Acquire) {
            if start.elapsed() > Delta::from_millis(HOLD_MS) {
                return Err(ETIMEDOUT);
            }
            cpu_relax();
        }
        Ok(())
    }

    /// Ends the hold and waits until the held kick work has run.
    pub(crate) fn release(cpu: CpuId) {
        RELEASE.store(true, Release);
        HOLD.wait_idle();
        KICK.get(cpu).kick_work.sync();
    }
}

/// Waits until every kick that saw the enabled state has been queued, and
/// then until no kick irq_work is queued or running and no reschedule call is
/// queued on any CPU. Called after the state left [`State::Enabled`].
pub(crate) fn sync_all() {
    // Pairs with the fully ordered announcement in `kick()`.
    smp_mb(Full);
    while QUEUING.load(Acquire) != 0 {
        cpu_relax();
    }
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
    #[cfg(CONFIG_KUNIT)]
    hold::wait_idle();
    rcu::synchronize_rcu();
}

/// `cpu`'s pick sequence.
#[inline]
pub(crate) fn pick_seq(cpu: CpuId) -> u64 {
    read_once(&KICK.get(cpu).pick_seq)
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
    // Interrupts are off: that is the RCU read-side section, as upstream's
    // rcu_dereference_bh() in hardirq relies on.
    #[cfg(scx_mutant = "c")]
    // SAFETY: None: mutant (c) drops the NULL check on purpose.
    let pseqs = unsafe { allocator::this_cpu_slot(&irq).dereference_unchecked(&irq) };
    #[cfg(not(scx_mutant = "c"))]
    let Some(pseqs) = allocator::this_cpu_slot(&irq).dereference(&irq) else {
        kernel::pr_warn_once!("kick irq_work ran with a NULL scx_kick_pseqs slot\n");
        NULL_READS.fetch_add(1, Relaxed);
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
    // Mutant (g), before 415cb193bb97: wait for the target in hardirq.
    #[cfg(scx_mutant = "g")]
    if me.wait.load(Relaxed) {
        while pick_seq(cpu) == pseqs.get(target as usize).unwrap_or(0) {
            cpu_relax();
        }
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
/// the target is offline, `EBUSY` when another kick from this CPU is under
/// way, `ETIMEDOUT` when a wait did not finish in time.
pub(crate) fn kick(target: CpuId, wait: bool) -> Result {
    if !cpus::online(target) {
        return Err(ENODEV);
    }
    let slot = KickSlot::claim()?;
    let pin = &slot.pin;
    // Announce the kick before checking the state; disable() changes the
    // state before waiting for announced kicks to be queued and then syncs
    // the kick works. Both sides are fully ordered, so a kick either sees the
    // state change or is synced before the arrays go: it never meets a NULL
    // slot.
    QUEUING.fetch_add(1, Full);
    let enabled = allocator::state() == State::Enabled;
    if enabled {
        queue_kick_work(pin, target, wait);
    }
    QUEUING.fetch_sub(1, Release);
    if !enabled {
        return Err(ENXIO);
    }
    match finish_kick_work(pin) {
        OUTCOME_KICKED => {}
        OUTCOME_OFFLINE => return Err(ENODEV),
        _ => return Err(ENXIO),
    }
    if wait {
        wait_for(pin, target)
    } else {
        Ok(())
    }
}

/// Queues the kick irq_work on the pinned CPU for `target`. The caller owns
/// the CPU's kick fields (`KickSlot`).
fn queue_kick_work(pin: &MigrateGuard, target: CpuId, wait: bool) {
    let me = KICK.get(pin.cpu());
    me.target.store(target.as_u32(), Relaxed);
    me.wait.store(wait, Relaxed);
    me.outcome.store(OUTCOME_PENDING, Relaxed);
    me.kick_work.queue();
}

/// Waits for the kick irq_work queued by [`queue_kick_work`]; its outcome.
fn finish_kick_work(pin: &MigrateGuard) -> i32 {
    let me = KICK.get(pin.cpu());
    me.kick_work.sync();
    me.outcome.load(Acquire)
}

/// Runs the reader (the kick irq_work) on the current CPU, aimed at itself,
/// without the state check that normally keeps it from a NULL slot; returns
/// whether it found an array. For the KUnit suite.
#[cfg(CONFIG_KUNIT)]
pub(crate) fn run_reader_here() -> Result<bool> {
    let slot = KickSlot::claim()?;
    queue_kick_work(&slot.pin, slot.pin.cpu(), false);
    Ok(finish_kick_work(&slot.pin) == OUTCOME_KICKED)
}

/// The SCX_KICK_WAIT wait, in task context with interrupts enabled.
fn wait_for(pin: &MigrateGuard, target: CpuId) -> Result {
    let me = KICK.get(pin.cpu());
    let start = Instant::<Monotonic>::now();
    loop {
        {
            let guard = rcu::read_lock();
            let pseqs = allocator::slot(pin.cpu())
                .dereference(&guard)
                .ok_or(ENXIO)?;
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
