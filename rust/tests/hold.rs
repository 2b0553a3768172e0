// SPDX-License-Identifier: GPL-2.0

//! A CPU held in hard interrupt context with a kick of its own pending, so
//! that a case can disable while that kick irq_work waits to run.

use crate::compat::interrupt::LocalInterruptDisabled;
use crate::{
    abstractions::{
        cpus::PossibleCpu,
        csd::{Csd, CsdHandler},
    },
    pseqs::kick,
};
use core::pin::Pin;
use kernel::{
    prelude::*,
    processor::cpu_relax,
    sync::atomic::{Acquire, Atomic, Relaxed, Release},
    time::{Delta, Instant, Monotonic},
};

/// The call that holds a CPU.
static HOLD: Csd = Csd::new::<Hold>();
/// Set by the held CPU once its kick is pending, or failed.
static HELD: Atomic<bool> = Atomic::new(false);
/// What the held CPU's kick returned: 0 or an errno.
static KICK_RESULT: Atomic<i32> = Atomic::new(0);
/// Set to end the hold early.
static RELEASE: Atomic<bool> = Atomic::new(false);
/// The longest a CPU is held.
const HOLD_MS: i64 = 300;

/// Runs on the held CPU, in hard interrupt context: kicks itself (the kick
/// irq_work cannot run before this returns) and spins until released or
/// `HOLD_MS` have passed.
struct Hold;

impl CsdHandler for Hold {
    fn run(irq: &LocalInterruptDisabled) {
        let result = kick::kick_self_from_irq(irq)
            .err()
            .map_or(0, |e| e.to_errno());
        KICK_RESULT.store(result, Relaxed);
        HELD.store(true, Release);
        let start = Instant::<Monotonic>::now();
        while !RELEASE.load(Acquire) && start.elapsed() < Delta::from_millis(HOLD_MS) {
            cpu_relax();
        }
    }
}

/// Holds `cpu` in hard interrupt context with its kick irq_work pending;
/// returns once it is pending, or the kick's error, or `ETIMEDOUT`.
pub(crate) fn start(cpu: PossibleCpu) -> Result {
    HELD.store(false, Relaxed);
    RELEASE.store(false, Relaxed);
    Pin::static_ref(&HOLD)
        .queue_on(cpu.id())
        .map_err(|_| EBUSY)?;
    let start = Instant::<Monotonic>::now();
    while !HELD.load(Acquire) {
        if start.elapsed() > Delta::from_millis(HOLD_MS) {
            return Err(ETIMEDOUT);
        }
        cpu_relax();
    }
    match KICK_RESULT.load(Relaxed) {
        0 => Ok(()),
        errno => Err(Error::from_errno(errno)),
    }
}

/// Ends the hold and waits until the held CPU's kick has run.
pub(crate) fn release() {
    RELEASE.store(true, Release);
    HOLD.wait_idle();
    kick::sync_all();
}
