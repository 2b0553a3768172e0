// SPDX-License-Identifier: GPL-2.0

//! The reader's hot path in a loop, for `make bench`: this CPU's slot
//! dereferenced, NULL-checked, and one target's pick sequence recorded in it,
//! as the kick irq_work does for SCX_KICK_WAIT. Preemption is off throughout,
//! which is the RCU read-side section, as interrupts being off is for the
//! irq_work. The C twin runs the same loop, so the two compare per operation.

use super::{kick, slots};
use crate::abstractions::{cpus, pin::PreemptGuard};
use kernel::{
    prelude::*,
    sync::atomic::{Atomic, Relaxed},
    time::{Instant, Monotonic},
};

/// The most operations one run may take: it runs with preemption disabled.
pub(crate) const MAX_OPS: u64 = 10_000_000;

/// Operations and nanoseconds of the last run.
static LAST_OPS: Atomic<u64> = Atomic::new(0);
static LAST_NS: Atomic<u64> = Atomic::new(0);

/// The operations and nanoseconds of the last run, `(0, 0)` before any.
pub(crate) fn last() -> (u64, u64) {
    (LAST_OPS.load(Relaxed), LAST_NS.load(Relaxed))
}

/// Runs `ops` reads on the current CPU, the targets cycling through the
/// possible CPUs. `EINVAL` for 0 or more than [`MAX_OPS`], `ENXIO` when this
/// CPU has no array (disabled).
pub(crate) fn run(ops: u64) -> Result {
    if ops == 0 || ops > MAX_OPS {
        return Err(EINVAL);
    }
    let mut targets = KVec::with_capacity(cpus::possible_mask().weight() as usize, GFP_KERNEL)?;
    for cpu in cpus::possible() {
        targets.push(cpu, GFP_KERNEL)?;
    }
    let pin = PreemptGuard::new();
    let start = Instant::<Monotonic>::now();
    let mut next = 0;
    for _ in 0..ops {
        let Some(&target) = targets.get(next) else {
            return Err(EINVAL);
        };
        next = if next + 1 == targets.len() {
            0
        } else {
            next + 1
        };
        let pseqs = slots::this_cpu_slot(&pin).dereference(&pin).ok_or(ENXIO)?;
        pseqs.set(target.index(), kick::pick_seq(target));
    }
    let ns = start.elapsed().as_nanos();
    drop(pin);
    LAST_OPS.store(ops, Relaxed);
    LAST_NS.store(u64::try_from(ns).unwrap_or(0), Relaxed);
    Ok(())
}
