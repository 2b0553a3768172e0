// SPDX-License-Identifier: GPL-2.0

//! The kick path's suite: kicks with and without wait, the reader, disable
//! against kicks in flight, many CPUs kicking one target, period changes.

use super::*;
use crate::compat::{interrupt::local_interrupt_disable, param};
use crate::{
    abstractions::pin::MigrateGuard,
    module_parameters::stress_kick_rounds,
    pseqs::{kick, slots::State},
};
use kernel::sync::atomic::Acquire;

/// Counters of [`many_cpus_kick_one_target`]'s threads.
static ARRIVED: Atomic<u64> = Atomic::new(0);
static KICKS: Atomic<u64> = Atomic::new(0);
static ERRORS: Atomic<u64> = Atomic::new(0);
/// The target of every kick, and how many threads kick it.
static TARGET: Atomic<u32> = Atomic::new(0);
static THREADS: Atomic<u64> = Atomic::new(0);

/// One kicker: each round, waits until every kicker has arrived (the
/// synchronized start), then kicks the target, with wait on odd rounds.
fn kick_one_target(_index: usize) {
    let threads = THREADS.load(Relaxed);
    let Some(target) = PossibleCpu::from_u32(TARGET.load(Relaxed)) else {
        ERRORS.fetch_add(1, Relaxed);
        return;
    };
    for round in 0..u64::from(param(&stress_kick_rounds)) {
        ARRIVED.fetch_add(1, Relaxed);
        let start = Instant::<Monotonic>::now();
        while ARRIVED.load(Acquire) < threads * (round + 1) {
            if start.elapsed() > Delta::from_millis(10_000) {
                ERRORS.fetch_add(1, Relaxed);
                return;
            }
            cpu_relax();
        }
        match kick::kick(target, round % 2 == 1) {
            Ok(()) => KICKS.fetch_add(1, Relaxed),
            Err(_) => ERRORS.fetch_add(1, Relaxed),
        };
    }
}

#[kunit_tests(scx_kick_pseqs_kick)]
mod kicks {
    use super::*;

    /// Kicks need the arrays: while disabled they fail with ENXIO.
    #[test]
    fn kick_while_disabled_is_enxio() -> Result {
        reset();
        let here = online_cpus().next().ok_or(ENODEV)?;
        assert_eq!(kick::kick(here, false), Err(ENXIO));
        assert_eq!(kick::kick(here, true), Err(ENXIO));
        Ok(())
    }

    /// Kick with wait on another online CPU completes and moves its sequence.
    #[test]
    fn kick_wait_on_other_cpu_completes() -> Result {
        reset();
        let Some(target) = other_online_cpu() else {
            skip(c"only one CPU online");
            return Ok(());
        };
        allocator::enable()?;
        let before = kick::pick_seq(target);
        let waited = kick::kick(target, true);
        let plain = kick::kick(target, false);
        let after = kick::pick_seq(target);
        reset();
        assert_eq!(waited, Ok(()));
        assert_eq!(plain, Ok(()));
        assert!(after > before);
        Ok(())
    }

    /// Kick with wait on the current CPU completes.
    #[test]
    fn kick_wait_on_self_completes() -> Result {
        reset();
        allocator::enable()?;
        let result = {
            let pin = MigrateGuard::new();
            kick::kick(pin.cpu(), true)
        };
        reset();
        assert_eq!(result, Ok(()));
        Ok(())
    }

    /// Kicking a possible but offline CPU neither hangs nor crashes: ENODEV.
    #[test]
    fn kick_offline_cpu_is_enodev() -> Result {
        reset();
        let Some(target) = offline_cpu() else {
            skip(c"every possible CPU is online");
            return Ok(());
        };
        allocator::enable()?;
        let waited = kick::kick(target, true);
        let plain = kick::kick(target, false);
        reset();
        assert_eq!(waited, Err(ENODEV));
        assert_eq!(plain, Err(ENODEV));
        Ok(())
    }

    /// Disable waits for a kick work that is pending on another CPU before it
    /// frees the arrays, so that work still finds its array.
    #[test]
    fn disable_waits_for_pending_kick_work() -> Result {
        reset();
        // Stay off the held CPU: a call queued to the current CPU runs at once.
        let pin = MigrateGuard::new();
        let Some(cpu) = online_cpus().find(|&c| c != pin.cpu()) else {
            skip(c"only one CPU online");
            return Ok(());
        };
        allocator::enable()?;
        let nulls = kick::null_reads();
        let held = hold::start(cpu);
        let disabled = allocator::disable();
        hold::release();
        drop(pin);
        reset();
        assert_eq!(held, Ok(()));
        assert_eq!(disabled, Ok(()));
        assert_eq!(kick::null_reads(), nulls);
        Ok(())
    }

    /// Disabling while kicks are in flight on another CPU is memory-safe
    /// (KASAN) and leaves nothing behind.
    #[test]
    fn disable_with_kicks_in_flight() -> Result {
        reset();
        let target = other_online_cpu()
            .or_else(|| cpus::possible().next())
            .ok_or(ENODEV)?;
        let rounds = match n() {
            0..=1024 => 20,
            1025..=4096 => 3,
            _ => 2,
        };
        for _ in 0..rounds {
            allocator::enable()?;
            let disabler = workqueue::system_long().try_spawn(GFP_KERNEL, || {
                let _ = allocator::disable();
            });
            for _ in 0..50 {
                match kick::kick(target, true) {
                    Ok(()) | Err(ENXIO) => {}
                    Err(e) if e == crate::compat::ecanceled() => {}
                    Err(e) => return Err(e),
                }
            }
            disabler?;
            let start = Instant::<Monotonic>::now();
            while slots::state() != State::Disabled && start.elapsed() < Delta::from_millis(10_000)
            {
                cpu_relax();
            }
            reset();
        }
        assert!(all_slots_null());
        assert_eq!(callback::frees_pending(), 0);
        Ok(())
    }

    /// The reader (the kick irq_work's read) finds a NULL slot while disabled
    /// and returns without touching memory.
    #[test]
    fn reader_with_null_slot_returns() {
        reset();
        let nulls = kick::null_reads();
        let irq = local_interrupt_disable();
        let found = kick::read_pseqs(&irq, irq.cpu(), true);
        drop(irq);
        assert!(!found);
        assert_eq!(kick::null_reads(), nulls + 1);
    }

    /// The reader finds the array while enabled and records the target's
    /// sequence in it.
    #[test]
    fn reader_finds_array_while_enabled() -> Result {
        reset();
        allocator::enable()?;
        let irq = local_interrupt_disable();
        let here = irq.cpu();
        let found = kick::read_pseqs(&irq, here, true);
        let seq = kick::pick_seq(here);
        let recorded = slots::slot(here)
            .dereference(&irq)
            .and_then(|a| a.get(here.index()));
        drop(irq);
        reset();
        assert!(found);
        assert_eq!(recorded, Some(seq));
        Ok(())
    }

    /// Every online CPU kicks one target at once, `stress_kick_rounds` times,
    /// each round started together, without and with wait: every kick
    /// completes, and the target's reschedule call is never found queued
    /// while its claim was free (the C core's -EBUSY): calls are serialized.
    #[test]
    fn many_cpus_kick_one_target() -> Result {
        reset();
        let threads = online_cpus().count();
        if threads < 3 {
            skip(c"fewer than 3 CPUs online: no two CPUs can race for a third");
            return Ok(());
        }
        let target = online_cpus().next().ok_or(ENODEV)?;
        allocator::enable()?;
        ARRIVED.store(0, Relaxed);
        KICKS.store(0, Relaxed);
        ERRORS.store(0, Relaxed);
        TARGET.store(target.as_u32(), Relaxed);
        THREADS.store(threads as u64, Relaxed);
        let busy = kick::csd_busy();
        let result = kthreads::run(threads, kick_one_target, |i| online_cpus().nth(i));
        reset();
        result?;
        assert_eq!(ERRORS.load(Relaxed), 0);
        assert_eq!(kick::csd_busy(), busy);
        assert_eq!(
            KICKS.load(Relaxed),
            threads as u64 * u64::from(param(&stress_kick_rounds))
        );
        Ok(())
    }

    /// A wait whose enabled period ends, by a disable or by a disable and an
    /// enable, fails with ECANCELED: the new period's zeroed array must not
    /// end it.
    #[test]
    fn wait_across_a_period_change_is_ecanceled() -> Result {
        reset();
        let target = other_online_cpu()
            .or_else(|| online_cpus().next())
            .ok_or(ENODEV)?;
        allocator::enable()?;
        let same_period = kick::start(target, true).and_then(|k| k.wait());
        let kicked = kick::start(target, true)?;
        allocator::disable()?;
        allocator::enable()?;
        let moved = kick::pick_seq(target) != 0;
        let reenabled = kicked.wait();
        let kicked = kick::start(target, true)?;
        allocator::disable()?;
        let disabled_only = kicked.wait();
        allocator::enable()?;
        let without_wait = kick::start(target, false)?.wait();
        reset();
        assert_eq!(same_period, Ok(()));
        assert!(moved);
        assert_eq!(reenabled, Err(crate::compat::ecanceled()));
        assert_eq!(disabled_only, Err(crate::compat::ecanceled()));
        assert_eq!(without_wait, Err(EINVAL));
        Ok(())
    }
}
