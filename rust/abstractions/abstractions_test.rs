// SPDX-License-Identifier: GPL-2.0

//! KUnit cases of the generic abstractions, one suite for all of them.

use super::{
    cpus::{self, PossibleCpu},
    csd::{Csd, CsdHandler, QueueError},
    flex_array::{struct_size, SeqArrayBox},
    irq_work::{IrqWork, IrqWorkHandler},
    percpu::define_per_cpu,
    pin::{CpuPinned, MigrateGuard, PreemptGuard},
    rcu::{callback, ptr::RcuPtr, update::UpdateSide},
};
use crate::compat::interrupt::LocalInterruptDisabled;
use core::pin::Pin;
use kernel::{
    bindings,
    cpu::nr_cpu_ids,
    prelude::*,
    processor::cpu_relax,
    sync::{
        atomic::{Acquire, Atomic, Relaxed, Release},
        global_lock, rcu,
    },
    time::{delay::fsleep, Delta, Instant, Monotonic},
};

define_per_cpu! {
    static TEST_PCPU: Atomic<u64> = Atomic::new(7);
}

global_lock! {
    // SAFETY: `rcu_ptr_replace_defers_free` initializes it, once (see
    // `TEST_LOCK_READY`), before its only use.
    unsafe(uninit) static TEST_LOCK: Mutex<()> = ();
}

/// Set once `TEST_LOCK` is initialized: the suite may run again (debugfs).
static TEST_LOCK_READY: Atomic<bool> = Atomic::new(false);

/// Runs of [`CountWork`] and [`CountCall`].
static WORK_RUNS: Atomic<u64> = Atomic::new(0);
static CALL_RUNS: Atomic<u64> = Atomic::new(0);
/// Set to end [`SpinCall`]; set by it once it spins.
static SPIN_RELEASE: Atomic<bool> = Atomic::new(false);
static SPINNING: Atomic<bool> = Atomic::new(false);

struct CountWork;

impl IrqWorkHandler for CountWork {
    fn run(_irq: &LocalInterruptDisabled) {
        WORK_RUNS.fetch_add(1, Relaxed);
    }
}

struct CountCall;

impl CsdHandler for CountCall {
    fn run(_irq: &LocalInterruptDisabled) {
        CALL_RUNS.fetch_add(1, Relaxed);
    }
}

/// Holds its CPU in hard interrupt context for up to a second.
struct SpinCall;

impl CsdHandler for SpinCall {
    fn run(_irq: &LocalInterruptDisabled) {
        SPINNING.store(true, Release);
        let start = Instant::<Monotonic>::now();
        while !SPIN_RELEASE.load(Acquire) && start.elapsed() < Delta::from_millis(1000) {
            cpu_relax();
        }
    }
}

/// Spins until `cond` holds or a second has passed; whether it held.
fn spin_until(cond: impl Fn() -> bool) -> bool {
    let start = Instant::<Monotonic>::now();
    while !cond() {
        if start.elapsed() > Delta::from_millis(1000) {
            return false;
        }
        cpu_relax();
    }
    true
}

#[kunit_tests(scx_kick_pseqs_abstractions)]
mod cases {
    use super::*;

    /// `nr_cpu_ids` is one past the highest possible CPU, and the walk visits
    /// exactly the CPUs of the possible mask; ids that are not possible are
    /// refused.
    #[test]
    fn possible_walk_matches_nr_cpu_ids() {
        let mut count = 0u32;
        let mut last = None;
        for cpu in cpus::possible() {
            count += 1;
            last = Some(cpu.as_u32());
        }
        assert_eq!(last.map(|id| id + 1), Some(nr_cpu_ids()));
        assert_eq!(count, cpus::possible_mask().weight());
        assert!(PossibleCpu::from_u32(nr_cpu_ids()).is_none());
        assert!(PossibleCpu::from_u32(u32::MAX).is_none());
    }

    /// Every CPU has its own copy of a per-CPU static, starting from the
    /// initializer; `this_cpu` is the current CPU's copy.
    #[test]
    fn percpu_static_has_one_copy_per_cpu() {
        for cpu in cpus::possible() {
            assert_eq!(TEST_PCPU.get(cpu).load(Relaxed), 7);
            TEST_PCPU.get(cpu).store(u64::from(cpu.as_u32()), Relaxed);
        }
        for cpu in cpus::possible() {
            assert_eq!(TEST_PCPU.get(cpu).load(Relaxed), u64::from(cpu.as_u32()));
        }
        let pin = PreemptGuard::new();
        let here = pin.cpu();
        assert!(core::ptr::eq(TEST_PCPU.this_cpu(&pin), TEST_PCPU.get(here)));
        drop(pin);
        for cpu in cpus::possible() {
            TEST_PCPU.get(cpu).store(7, Relaxed);
        }
    }

    /// A replaced pointer is freed through call_rcu(), once, after a grace
    /// period.
    #[test]
    fn rcu_ptr_replace_defers_free() -> Result {
        if !TEST_LOCK_READY.xchg(true, Relaxed) {
            // SAFETY: Reached once (the flag above), before any use of
            // `TEST_LOCK`; KUnit runs its cases one at a time.
            unsafe { TEST_LOCK.init() };
        }
        callback::barrier();
        let lock = TEST_LOCK.lock();
        let update = UpdateSide::new(&lock);
        let ptr = RcuPtr::<TEST_LOCK>::null();
        let array = SeqArrayBox::new_zeroed(4, bindings::NUMA_NO_NODE)?;
        assert!(ptr.replace(Some(array), &update).is_none());
        assert!(ptr.is_set());
        let old = ptr.replace(None, &update);
        assert!(!ptr.is_set());
        assert_eq!(old.as_ref().map(|a| a.len()), Some(4));
        // While this reader is inside its section the free cannot run.
        let guard = rcu::read_lock();
        drop(old);
        let pending = callback::frees_pending();
        drop(guard);
        drop(update);
        drop(lock);
        assert_eq!(pending, 1);
        callback::barrier();
        assert_eq!(callback::frees_pending(), 0);
        Ok(())
    }

    /// struct_size() overflow makes the allocation fail instead of wrapping.
    #[test]
    fn struct_size_overflow_fails_allocation() {
        let header =
            core::mem::size_of::<bindings::callback_head>() + core::mem::size_of::<usize>();
        assert_eq!(struct_size(usize::MAX), None);
        assert_eq!(struct_size(usize::MAX / 8), None);
        assert!(SeqArrayBox::new_zeroed(usize::MAX / 8, bindings::NUMA_NO_NODE).is_err());
        assert_eq!(struct_size(0), Some(header));
    }

    /// Entries are bounds-checked.
    #[test]
    fn seq_array_is_bounds_checked() -> Result {
        let header =
            core::mem::size_of::<bindings::callback_head>() + core::mem::size_of::<usize>();
        let array = SeqArrayBox::new_zeroed(3, bindings::NUMA_NO_NODE)?;
        assert!(array.set(2, 42));
        assert_eq!(array.get(2), Some(42));
        assert!(!array.set(3, 1));
        assert_eq!(array.get(3), None);
        assert_eq!(array.size(), header + 3 * 8);
        Ok(())
    }

    /// A work that is not static runs once queued, and dropping it waits for
    /// it: the count is there as soon as the drop returns.
    #[test]
    fn irq_work_runs_and_syncs_on_drop() -> Result {
        WORK_RUNS.store(0, Relaxed);
        let work = KBox::pin(IrqWork::new_hard::<CountWork>(), GFP_KERNEL)?;
        let queued = work.as_ref().queue();
        drop(work);
        assert!(queued);
        assert_eq!(WORK_RUNS.load(Relaxed), 1);
        Ok(())
    }

    /// A call queued on a CPU that cannot run it yet stays claimed: queueing
    /// it again is `Pending`, and it runs once. Dropping it waits for it.
    #[test]
    fn csd_claim_coalesces_and_drop_waits() -> Result {
        // Stay off `other`: a call queued to the current CPU runs at once.
        let pin = MigrateGuard::new();
        let Some(other) = cpus::possible().find(|&c| c != pin.cpu() && cpus::online(c)) else {
            crate::tests::skip(c"only one CPU online");
            return Ok(());
        };
        CALL_RUNS.store(0, Relaxed);
        SPIN_RELEASE.store(false, Relaxed);
        SPINNING.store(false, Relaxed);
        let spin = KBox::pin(Csd::new::<SpinCall>(), GFP_KERNEL)?;
        let count = KBox::pin(Csd::new::<CountCall>(), GFP_KERNEL)?;
        let held = spin.as_ref().queue_on(other.id());
        let spinning = spin_until(|| SPINNING.load(Acquire));
        let first = count.as_ref().queue_on(other.id());
        let second = count.as_ref().queue_on(other.id());
        let claimed = count.is_claimed();
        let runs_while_held = CALL_RUNS.load(Relaxed);
        SPIN_RELEASE.store(true, Release);
        drop(count);
        let ran = spin_until(|| CALL_RUNS.load(Relaxed) != 0);
        fsleep(Delta::from_millis(20));
        let runs = CALL_RUNS.load(Relaxed);
        drop(spin);
        drop(pin);
        assert_eq!(held, Ok(()));
        assert!(spinning);
        assert_eq!(first, Ok(()));
        assert_eq!(second, Err(QueueError::Pending));
        assert!(claimed);
        assert_eq!(runs_while_held, 0);
        assert!(ran);
        assert_eq!(runs, 1);
        Ok(())
    }
}
