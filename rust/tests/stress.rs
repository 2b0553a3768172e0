// SPDX-License-Identifier: GPL-2.0

//! The stress suite: every allocation failure class, enable races, readers
//! against disable, and a ring of CPUs kicking each other with wait.
//!
//! Counts come from module parameters (`stress_*`), so that a run can be as
//! long as its CPU count affords; the defaults are what the issue asks for.

use super::{
    all_slots_null, enable_failing_at, for_each_layout, kthreads, online_cpus, populated, reset,
    skip,
};
use crate::compat::param;
use crate::{
    abstractions::{cpus::PossibleCpu, rcu::callback},
    module_parameters::{
        stress_attempts, stress_cpus, stress_cycles, stress_random_faults, stress_ring_ms,
    },
    pseqs::{
        allocator, kick,
        slots::{self, State},
    },
};
use kernel::{
    bindings,
    prelude::*,
    sync::atomic::{Atomic, Relaxed},
    time::{Delta, Instant, Monotonic},
};

/// The `i`-th online CPU.
fn nth_online(i: usize) -> Option<PossibleCpu> {
    online_cpus().nth(i)
}

/// How many CPUs run kick threads and form the ring: every online CPU, or at
/// most `stress_cpus` of them. Thousands of busy threads on a few host cores
/// (QEMU TCG) would only measure the host.
fn stress_cpu_count() -> usize {
    let online = online_cpus().count();
    match param(&stress_cpus) as usize {
        0 => online,
        cap => cap.min(online),
    }
}

/// The `i`-th of the `stress_cpu_count()` CPUs, spread evenly from the first
/// online CPU to the last, so that a capped ring still spans every CPU id
/// range the arrays cover.
fn stress_cpu(i: usize) -> Option<PossibleCpu> {
    let online = online_cpus().count();
    let span = stress_cpu_count().checked_sub(1)?;
    // Checked: a division by zero would panic, a path objtool cannot follow.
    match i.checked_mul(online - 1)?.checked_div(span) {
        Some(index) => nth_online(index),
        None => nth_online(i),
    }
}

fn random_below(bound: usize) -> usize {
    // SAFETY: `get_random_u32()` has no preconditions.
    (unsafe { bindings::get_random_u32() } as usize) % bound
}

/// Counters shared by the threads of one test; reset at its start.
static ATTEMPTS: Atomic<u64> = Atomic::new(0);
static WINS: Atomic<u64> = Atomic::new(0);
static BUSY: Atomic<u64> = Atomic::new(0);
static DISABLES: Atomic<u64> = Atomic::new(0);
static ERRORS: Atomic<u64> = Atomic::new(0);
static KICKS: Atomic<u64> = Atomic::new(0);
static STOP: Atomic<bool> = Atomic::new(false);

fn reset_counters() {
    for c in [&ATTEMPTS, &WINS, &BUSY, &DISABLES, &ERRORS, &KICKS] {
        c.store(0, Relaxed);
    }
    STOP.store(false, Relaxed);
}

/// A kick from wherever this thread runs to one of the stress CPUs; kicks
/// that find no arrays fail with ENXIO (ECANCELED when their period ends
/// while they wait), and none may meet a NULL slot
/// (`kick::null_reads()`).
fn kick_somewhere(index: usize, wait: bool) {
    // Checked: a remainder by zero would panic, a path objtool cannot follow.
    let Some(target) = index.checked_rem(stress_cpu_count()).and_then(stress_cpu) else {
        return;
    };
    match kick::kick(target, wait) {
        Ok(()) => {
            KICKS.fetch_add(1, Relaxed);
        }
        Err(ENXIO) | Err(EBUSY) => {}
        Err(e) if e == crate::compat::ecanceled() => {}
        Err(_) => {
            ERRORS.fetch_add(1, Relaxed);
        }
    }
}

/// One racing thread: enable attempts, some of them followed by a disable,
/// and disables of other threads' periods.
fn race_thread(index: usize) {
    let total = u64::from(param(&stress_attempts));
    loop {
        let attempt = ATTEMPTS.fetch_add(1, Relaxed);
        if attempt >= total {
            break;
        }
        match allocator::enable() {
            Ok(()) => {
                WINS.fetch_add(1, Relaxed);
            }
            Err(EBUSY) => {
                BUSY.fetch_add(1, Relaxed);
            }
            Err(_) => {
                ERRORS.fetch_add(1, Relaxed);
            }
        }
        kick_somewhere(index, false);
        if (attempt as usize + index) % 3 == 0 && allocator::disable().is_ok() {
            DISABLES.fetch_add(1, Relaxed);
        }
    }
}

/// Kicks the next stress CPU, with and without wait, until told to stop.
fn kick_thread(index: usize) {
    let mut wait = false;
    while !STOP.load(Relaxed) {
        kick_somewhere(index + 1, wait);
        wait = !wait;
    }
}

/// Enable/disable cycles while the kick threads run; the last thread.
fn cycle_thread() {
    for _ in 0..param(&stress_cycles) {
        match allocator::enable().and_then(|()| allocator::disable()) {
            Ok(()) => {
                WINS.fetch_add(1, Relaxed);
            }
            Err(_) => {
                ERRORS.fetch_add(1, Relaxed);
            }
        }
    }
    STOP.store(true, Relaxed);
}

/// Kicks the next CPU of the ring with wait, for `stress_ring_ms`.
fn ring_thread(index: usize) {
    let ring = stress_cpu_count();
    let Some(next) = (index + 1).checked_rem(ring).and_then(stress_cpu) else {
        return;
    };
    let start = Instant::<Monotonic>::now();
    let limit = Delta::from_millis(i64::from(param(&stress_ring_ms)));
    while start.elapsed() < limit {
        match kick::kick(next, true) {
            Ok(()) => {
                KICKS.fetch_add(1, Relaxed);
            }
            Err(_) => {
                ERRORS.fetch_add(1, Relaxed);
            }
        }
    }
}

#[kunit_tests(scx_kick_pseqs_stress)]
mod cases {
    use super::*;

    /// An injected failure at the first, second, middle, last and
    /// `stress_random_faults` random populated CPUs, in each layout: ENOMEM
    /// each time, every slot NULL, nothing left to free.
    #[test]
    fn allocation_failure_at_every_index_class() -> Result {
        for_each_layout(|_| {
            let count = populated().count();
            let fixed = [0, 1.min(count - 1), count / 2, count - 1];
            let random = param(&stress_random_faults) as usize;
            let mut failures = 0usize;
            for i in 0..fixed.len() + random {
                let index = fixed.get(i).copied().unwrap_or_else(|| random_below(count));
                let result = enable_failing_at(index);
                let clean =
                    result == Err(ENOMEM) && all_slots_null() && slots::state() == State::Disabled;
                if !clean {
                    failures += 1;
                }
            }
            callback::barrier();
            assert_eq!(failures, 0);
            assert_eq!(callback::frees_pending(), 0);
            assert_eq!(allocator::stats()?.arrays, 0);
            Ok(())
        })
    }

    /// Eight threads race `stress_attempts` enables against disables and
    /// kicks: one winner per enabled period, every loser EBUSY, no kick ever
    /// meets a NULL slot, and everything freed afterwards.
    #[test]
    fn enable_races() -> Result {
        reset();
        reset_counters();
        let enables_before = allocator::enables();
        let nulls = kick::null_reads();
        kthreads::run(8, race_thread, |_| None)?;
        if allocator::disable().is_ok() {
            DISABLES.fetch_add(1, Relaxed);
        }
        callback::barrier();
        let wins = WINS.load(Relaxed);
        assert_eq!(ERRORS.load(Relaxed), 0);
        assert!(wins >= 1);
        assert_eq!(wins, allocator::enables() - enables_before);
        assert_eq!(
            wins + BUSY.load(Relaxed),
            u64::from(param(&stress_attempts))
        );
        assert_eq!(DISABLES.load(Relaxed), wins);
        assert_eq!(kick::null_reads(), nulls);
        assert!(all_slots_null());
        assert_eq!(callback::frees_pending(), 0);
        Ok(())
    }

    /// Kicks fire on every stress CPU while `stress_cycles` enable/disable
    /// cycles run; KASAN, lockdep and RCU watch the console.
    #[test]
    fn readers_against_disable() -> Result {
        reset();
        reset_counters();
        let nulls = kick::null_reads();
        kthreads::run(
            stress_cpu_count() + 1,
            |i| {
                if i == stress_cpu_count() {
                    cycle_thread();
                } else {
                    kick_thread(i);
                }
            },
            |i| {
                if i < stress_cpu_count() {
                    stress_cpu(i)
                } else {
                    None
                }
            },
        )?;
        callback::barrier();
        assert_eq!(ERRORS.load(Relaxed), 0);
        assert_eq!(WINS.load(Relaxed), u64::from(param(&stress_cycles)));
        assert_eq!(kick::null_reads(), nulls);
        assert!(all_slots_null());
        assert_eq!(callback::frees_pending(), 0);
        Ok(())
    }

    /// Three or more CPUs in a ring (every stress CPU), each kicking the
    /// next with wait: every wait completes (the deadlock fixed by
    /// 415cb193bb97 would hang here).
    #[test]
    fn cyclic_kick_wait() -> Result {
        reset();
        reset_counters();
        let ring = stress_cpu_count();
        if ring < 3 {
            skip(c"fewer than 3 CPUs online");
            return Ok(());
        }
        allocator::enable()?;
        let result = kthreads::run(ring, ring_thread, stress_cpu);
        reset();
        result?;
        assert_eq!(ERRORS.load(Relaxed), 0);
        assert!(KICKS.load(Relaxed) > 0);
        Ok(())
    }
}
