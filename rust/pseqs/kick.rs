// SPDX-License-Identifier: GPL-2.0

//! The kick path, modelled on sched_ext's SCX_KICK_WAIT.
//!
//! Each CPU has a pick sequence that advances whenever it is kicked (in
//! sched_ext, whenever it goes through pick_task). A kick runs in this CPU's
//! hard irq_work, like `kick_cpus_irq_workfn()`: it reads this CPU's array
//! under RCU, NULL-checked, records the target's current sequence in
//! `seqs[target]` when the kick waits, and sends the target a reschedule
//! call. The wait for the target's sequence to move happens afterwards, in
//! task context with interrupts enabled: waiting in hardirq deadlocks on
//! cycles of waiters (fixed upstream by 415cb193bb97). While waiting, the
//! waiter keeps advancing its own sequence, so that whoever waits on it
//! makes progress too.
//!
//! Many CPUs may kick one target at once. Its reschedule call is one csd,
//! which the C API requires its callers to serialize; [`Csd`] does, with a
//! claim, and a kick that finds the call already claimed relies on it.

use super::slots::{self, State};
use crate::abstractions::{
    cpus::{self, PossibleCpu},
    csd::{Csd, CsdHandler, QueueError},
    irq_work::{IrqWork, IrqWorkHandler},
    once::read_once,
    percpu::define_per_cpu,
    pin::{CpuPinned, MigrateGuard},
    rcu::read_side::ReadSide,
};
use crate::compat::{
    ecanceled, interrupt::LocalInterruptDisabled, smp_mb, smp_rmb, synchronize_rcu,
};
use core::pin::Pin;
use kernel::{
    prelude::*,
    processor::cpu_relax,
    sync::{
        atomic::{Acquire, Atomic, Full, Relaxed, Release},
        rcu,
    },
    time::{Delta, Instant, Monotonic},
};

/// Kicks between their state check and their queueing.
static QUEUING: Atomic<u64> = Atomic::new(0);

/// Kick irq_works that found a NULL slot.
static NULL_READS: Atomic<u64> = Atomic::new(0);

/// Kicks that found the target's reschedule call already claimed.
static COALESCED: Atomic<u64> = Atomic::new(0);

/// Reschedule calls the C core found still queued although their claim was
/// free; the claim makes this impossible.
static CSD_BUSY: Atomic<u64> = Atomic::new(0);

/// The number of times the kick irq_work found this CPU's slot NULL; kicks
/// never should (see [`kick`]), only direct calls of [`read_pseqs`].
pub(crate) fn null_reads() -> u64 {
    NULL_READS.load(Relaxed)
}

/// The number of kicks whose target already had a reschedule call pending.
pub(crate) fn coalesced() -> u64 {
    COALESCED.load(Relaxed)
}

/// The number of reschedule calls found queued while not claimed: always 0.
pub(crate) fn csd_busy() -> u64 {
    CSD_BUSY.load(Relaxed)
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
    /// Set while a kick owns this CPU's kick fields above.
    busy: Atomic<bool>,
    /// Set while that owner is a kick from interrupt context, whose irq_work
    /// gives the fields back.
    irq_owned: Atomic<bool>,
}

define_per_cpu! {
    static KICK: KickCpu = KickCpu {
        kick_work: IrqWork::new_hard::<KickWork>(),
        resched: Csd::new::<Resched>(),
        pick_seq: Atomic::new(0),
        target: Atomic::new(0),
        wait: Atomic::new(false),
        outcome: Atomic::new(OUTCOME_PENDING),
        busy: Atomic::new(false),
        irq_owned: Atomic::new(false),
    };
}

impl KickCpu {
    fn kick_work(&'static self) -> Pin<&'static IrqWork> {
        Pin::static_ref(&self.kick_work)
    }

    fn resched(&'static self) -> Pin<&'static Csd> {
        Pin::static_ref(&self.resched)
    }
}

/// Ownership of the current CPU's kick fields by a task, released on drop.
///
/// Kicks from different CPUs run concurrently (a ring of CPUs kicking each
/// other with wait is a case to survive); two on one CPU would share its
/// single set of kick fields, so the second one gets `EBUSY`.
#[must_use]
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

    fn cpu(&self) -> PossibleCpu {
        self.pin.cpu()
    }
}

impl Drop for KickSlot {
    fn drop(&mut self) {
        KICK.get(self.pin.cpu()).busy.store(false, Release);
    }
}

/// Waits until every kick that saw the enabled state has been queued, and
/// then until no kick irq_work is queued or running and no reschedule call is
/// queued on any CPU. Called after the state left [`State::Enabled`].
pub(crate) fn sync_all() {
    // Pairs with the fully ordered announcement in `queue_checked()`.
    smp_mb();
    while QUEUING.load(Acquire) != 0 {
        cpu_relax();
    }
    for cpu in cpus::possible() {
        sync_cpu(cpu);
    }
}

/// Waits until `cpu`'s kick irq_work is neither queued nor running and its
/// reschedule call is not queued.
pub(crate) fn sync_cpu(cpu: PossibleCpu) {
    let k = KICK.get(cpu);
    k.kick_work().sync();
    k.resched.wait_idle();
}

/// Like [`sync_all`], and also waits for reschedule calls that are still
/// finishing, so that none runs in this module after it is unloaded.
pub(crate) fn quiesce() {
    sync_all();
    synchronize_rcu();
}

/// `cpu`'s pick sequence.
#[inline]
pub(crate) fn pick_seq(cpu: PossibleCpu) -> u64 {
    read_once(&KICK.get(cpu).pick_seq)
}

/// The kick irq_work's read of this CPU's array, `kick_cpus_irq_workfn()`'s
/// `rcu_dereference()` and NULL check: records `target`'s pick sequence in
/// `seqs[target]` when `wait`. Returns whether the array was there.
pub(crate) fn read_pseqs(irq: &LocalInterruptDisabled, target: PossibleCpu, wait: bool) -> bool {
    // Interrupts are off: that is the RCU read-side section, as upstream's
    // rcu_dereference_bh() in hardirq relies on.
    let Some(pseqs) = slots::this_cpu_slot(irq).dereference(irq) else {
        kernel::pr_warn_once!("kick irq_work ran with a NULL scx_kick_pseqs slot\n");
        NULL_READS.fetch_add(1, Relaxed);
        return false;
    };
    if wait {
        // Acquire: this read comes before the claim of the target's call in
        // `kick_target()`. If that finds the call claimed, its handler
        // releases the claim, fully ordered, before it advances the sequence:
        // after this read, so the wait sees it move.
        pseqs.set(target.index(), KICK.get(target).pick_seq.load(Acquire));
    }
    true
}

/// Sends `target` its reschedule call from this CPU.
fn kick_target(irq: &LocalInterruptDisabled, me: &KickCpu, target: PossibleCpu) -> i32 {
    if target == irq.cpu() {
        me.pick_seq.fetch_add(1, Release);
        return OUTCOME_KICKED;
    }
    match KICK.get(target).resched().queue_on(target.id()) {
        Ok(()) => OUTCOME_KICKED,
        Err(QueueError::Pending) => {
            COALESCED.fetch_add(1, Relaxed);
            OUTCOME_KICKED
        }
        Err(QueueError::Offline) => OUTCOME_OFFLINE,
        Err(QueueError::Busy) => {
            CSD_BUSY.fetch_add(1, Relaxed);
            kernel::pr_err_once!("reschedule csd found queued while its claim was free\n");
            OUTCOME_KICKED
        }
    }
}

/// `kick_cpus_irq_workfn()`: runs on the kicking CPU.
struct KickWork;

impl IrqWorkHandler for KickWork {
    fn run(irq: &LocalInterruptDisabled) {
        let me = KICK.this_cpu(irq);
        let outcome = match PossibleCpu::from_u32(me.target.load(Relaxed)) {
            // With interrupts off the target cannot go offline under us.
            Some(target) if cpus::online(target) => {
                if read_pseqs(irq, target, me.wait.load(Relaxed)) {
                    kick_target(irq, me, target)
                } else {
                    OUTCOME_NO_ARRAY
                }
            }
            _ => OUTCOME_OFFLINE,
        };
        me.outcome.store(outcome, Release);
        if me.irq_owned.xchg(false, Relaxed) {
            me.busy.store(false, Release);
        }
    }
}

/// Runs on a kicked CPU: the "reschedule" that advances its pick sequence.
struct Resched;

impl CsdHandler for Resched {
    fn run(irq: &LocalInterruptDisabled) {
        KICK.this_cpu(irq).pick_seq.fetch_add(1, Release);
    }
}

/// Queues this CPU's kick irq_work for `target`, if enabled; the caller owns
/// the CPU's kick fields. Returns the enabled period it queued in, if it did.
fn queue_checked(me: &'static KickCpu, target: PossibleCpu, wait: bool) -> Option<u64> {
    // Announce the kick before checking the state; disable() changes the
    // state before waiting for announced kicks to be queued and then syncs
    // the kick works. Both sides are fully ordered, so a kick either sees the
    // state change or is synced before the arrays go: it never meets a NULL
    // slot.
    QUEUING.fetch_add(1, Full);
    let enabled = slots::state() == State::Enabled;
    // Read while the announced kick holds off the end of the period it saw
    // enabled (`disable()` waits for it): that is the period the irq_work
    // records in.
    let period = slots::period();
    if enabled {
        me.target.store(target.as_u32(), Relaxed);
        me.wait.store(wait, Relaxed);
        me.outcome.store(OUTCOME_PENDING, Relaxed);
        me.kick_work().queue();
    }
    QUEUING.fetch_sub(1, Release);
    enabled.then_some(period)
}

/// A kick whose irq_work has run, in the enabled period `period`; holds the
/// CPU's kick fields until dropped.
#[must_use]
pub(crate) struct Kicked {
    slot: KickSlot,
    target: PossibleCpu,
    wait: bool,
    period: u64,
}

/// Kicks `target` from the current CPU and returns once the kick irq_work has
/// sent the reschedule call; with `wait`, it recorded the target's sequence
/// for [`Kicked::wait`].
///
/// Errors: `ENXIO` when not enabled, `ENODEV` when the target is offline,
/// `EBUSY` when another kick from this CPU is under way.
pub(crate) fn start(target: PossibleCpu, wait: bool) -> Result<Kicked> {
    if !cpus::online(target) {
        return Err(ENODEV);
    }
    let slot = KickSlot::claim()?;
    let me = KICK.get(slot.cpu());
    let period = queue_checked(me, target, wait).ok_or(ENXIO)?;
    me.kick_work().sync();
    match me.outcome.load(Acquire) {
        OUTCOME_KICKED => Ok(Kicked {
            slot,
            target,
            wait,
            period,
        }),
        OUTCOME_OFFLINE => Err(ENODEV),
        _ => Err(ENXIO),
    }
}

/// Kicks `target` from the current CPU and, with `wait`, waits until the
/// target has advanced its pick sequence.
///
/// Errors: those of [`start`] and [`Kicked::wait`].
pub(crate) fn kick(target: PossibleCpu, wait: bool) -> Result {
    let kicked = start(target, wait)?;
    if wait {
        kicked.wait()
    } else {
        Ok(())
    }
}

impl Kicked {
    /// The SCX_KICK_WAIT wait, in task context with interrupts enabled: until
    /// the target's pick sequence differs from the one the kick recorded.
    ///
    /// Errors: `ECANCELED` when the enabled period of the kick ended (a
    /// disable, maybe followed by an enable) before the wait saw the target
    /// move: the recorded sequence went with that period's arrays, and a new
    /// period's zeroed array would let the wait end early. `ETIMEDOUT` when
    /// the target did not move within a second. `EINVAL` for a kick started
    /// without wait, which recorded nothing.
    pub(crate) fn wait(self) -> Result {
        if !self.wait {
            return Err(EINVAL);
        }
        let me = KICK.get(self.slot.cpu());
        let start = Instant::<Monotonic>::now();
        loop {
            if self.moved()? {
                return Ok(());
            }
            // Keep our own sequence moving for whoever waits on us.
            me.pick_seq.fetch_add(1, Release);
            if start.elapsed() > Delta::from_millis(WAIT_TIMEOUT_MS) {
                return Err(ETIMEDOUT);
            }
            cpu_relax();
        }
    }

    /// Whether the target moved past the recorded sequence.
    fn moved(&self) -> Result<bool> {
        let guard = rcu::read_lock();
        let seen = self.recorded(&guard).ok_or_else(ecanceled)?;
        // The array read above belongs to the period read below, or an
        // earlier one (see `slots::period()`).
        smp_rmb();
        if slots::period() != self.period || slots::state() != State::Enabled {
            return Err(ecanceled());
        }
        Ok(pick_seq(self.target) != seen)
    }

    /// The sequence recorded for the target in this CPU's array.
    fn recorded(&self, reader: &impl ReadSide) -> Option<u64> {
        slots::slot(self.slot.cpu())
            .dereference(reader)?
            .get(self.target.index())
    }
}

/// Kicks this CPU from interrupt context, without wait, as sched_ext kicks
/// from any context: queues this CPU's kick irq_work, which runs once
/// interrupts are enabled again, and gives the CPU's kick fields back.
///
/// Errors: `ENXIO` when not enabled, `EBUSY` when another kick from this CPU
/// is under way.
pub(crate) fn kick_self_from_irq(irq: &LocalInterruptDisabled) -> Result {
    let me = KICK.get(irq.cpu());
    if me.busy.xchg(true, Acquire) {
        return Err(EBUSY);
    }
    me.irq_owned.store(true, Relaxed);
    if queue_checked(me, irq.cpu(), false).is_some() {
        return Ok(());
    }
    me.irq_owned.store(false, Relaxed);
    me.busy.store(false, Release);
    Err(ENXIO)
}
