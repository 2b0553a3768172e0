// SPDX-License-Identifier: GPL-2.0

//! The hotplug suite: under the online policy arrays appear when CPUs come up
//! and vanish once they are dead, never earlier, while enable, disable and
//! kicks race CPU hotplug.

use super::*;
use crate::{
    abstractions::{once::read_once, pin::MigrateGuard},
    compat::{ecanceled, param},
    module_parameters::stress_hotplug_cycles,
    pseqs::{kick, slots::State},
};
use hotplug::HotplugReadGuard;
use kernel::{bindings, sync::rcu};

/// Skips the case, returning `None`, when no CPU can be taken down.
fn victim() -> Option<PossibleCpu> {
    let cpu = hotplug::victims().last();
    if cpu.is_none() {
        skip(c"no online CPU but the boot CPU");
    }
    cpu
}

/// Whether `cpu`'s array is published, of nr_cpu_ids zeroed entries.
fn has_zeroed_array(cpu: PossibleCpu) -> bool {
    let guard = rcu::read_lock();
    slots::slot(cpu)
        .dereference(&guard)
        .is_some_and(|a| a.len() == n() && a.seqs().iter().all(|s| read_once(s) == 0))
}

/// The address of `cpu`'s array, 0 without one.
fn array_addr(cpu: PossibleCpu) -> usize {
    let guard = rcu::read_lock();
    slots::slot(cpu)
        .dereference(&guard)
        .map_or(0, |a| core::ptr::from_ref(a).addr())
}

/// Writes `value` into every entry of `cpu`'s array, if it has one.
fn scribble(cpu: PossibleCpu, value: u64) {
    let guard = rcu::read_lock();
    if let Some(array) = slots::slot(cpu).dereference(&guard) {
        for index in 0..array.len() {
            array.set(index, value);
        }
    }
}

/// Brings every possible CPU in `cpus` back up, whatever a failed case left.
fn restore(cpus: &[PossibleCpu]) {
    for &cpu in cpus {
        if !cpus::online(cpu) {
            let _ = hotplug::up(cpu);
        }
    }
}

/// The result of [`kick_self`], as an errno (1: not run).
static SELF_KICK: Atomic<i32> = Atomic::new(1);

/// Kicks the CPU it runs on with wait: its kick irq_work reads its array.
fn kick_self() {
    let cpu = crate::abstractions::pin::PreemptGuard::new().cpu();
    SELF_KICK.store(
        match kick::kick(cpu, true) {
            Ok(()) => 0,
            Err(e) => e.to_errno(),
        },
        Relaxed,
    );
}

/// Flags shared with the threads of [`cases::array_lives_until_the_cpu_is_dead`].
static VICTIM: Atomic<u32> = Atomic::new(0);
static PINNED: Atomic<bool> = Atomic::new(false);
static SEEN_NULL: Atomic<bool> = Atomic::new(false);
static SAW_INACTIVE: Atomic<bool> = Atomic::new(false);
static WATCH_KICKS: Atomic<u64> = Atomic::new(0);
static PINNED_ON: Atomic<u32> = Atomic::new(u32::MAX);
static DOWN_RESULT: Atomic<i32> = Atomic::new(1);

/// How long the pinned thread watches its slot once its CPU is going down:
/// the CPU's ONLINE-section teardowns run meanwhile, which is where an array
/// freed too early would go.
const WATCH_MS: i64 = 1000;

/// Runs on the victim, which it keeps from dying (migration disabled) while
/// it watches its slot and kicks itself as the CPU goes down.
fn pinned_watcher() {
    let Some(victim) = PossibleCpu::from_u32(VICTIM.load(Relaxed)) else {
        return;
    };
    let pin = MigrateGuard::new();
    PINNED_ON.store(pin.cpu().as_u32(), Relaxed);
    PINNED.store(true, Relaxed);
    // Spins rather than sleeps while pinned: on PREEMPT_RT timers expire in
    // the per-CPU ktimers thread, parked (CPUHP_AP_SMPBOOT_THREADS) before the
    // CPU waits for its last tasks to leave, so a sleep here never ended.
    let start = Instant::<Monotonic>::now();
    while hotplug::active(victim) && start.elapsed() < Delta::from_millis(30_000) {
        cpu_relax();
    }
    // Only a watch of a CPU on its way down counts (the case asserts this).
    SAW_INACTIVE.store(!hotplug::active(victim), Relaxed);
    let start = Instant::<Monotonic>::now();
    while start.elapsed() < Delta::from_millis(WATCH_MS) {
        if !slots::slot(victim).is_set() {
            SEEN_NULL.store(true, Relaxed);
        }
        // Its kick irq_work reads the slot on the dying CPU.
        if kick::kick(victim, false).is_ok() {
            WATCH_KICKS.fetch_add(1, Relaxed);
        }
        cpu_relax();
    }
    // The last moment before the CPU may die.
    if !slots::slot(victim).is_set() {
        SEEN_NULL.store(true, Relaxed);
    }
    drop(pin);
}

/// Takes the victim down once the watcher holds it.
fn remover() {
    let Some(victim) = PossibleCpu::from_u32(VICTIM.load(Relaxed)) else {
        return;
    };
    let start = Instant::<Monotonic>::now();
    while !PINNED.load(Relaxed) && start.elapsed() < Delta::from_millis(10_000) {
        // SAFETY: Sleeping is allowed in a kthread.
        unsafe { bindings::msleep(1) };
    }
    DOWN_RESULT.store(
        match hotplug::down(victim) {
            Ok(()) => 0,
            Err(e) => e.to_errno(),
        },
        Relaxed,
    );
}

/// Counters of the race threads.
static STOP: Atomic<bool> = Atomic::new(false);
static CYCLES: Atomic<u64> = Atomic::new(0);
static KICKS: Atomic<u64> = Atomic::new(0);
static ERRORS: Atomic<u64> = Atomic::new(0);
static CHECKS: Atomic<u64> = Atomic::new(0);
static VIOLATIONS: Atomic<u64> = Atomic::new(0);

/// Takes the victims down and up, `stress_hotplug_cycles` times in all, then
/// stops the other threads.
fn hotplug_thread() {
    let mut victims = KVec::new();
    for cpu in hotplug::victims() {
        if victims.push(cpu, GFP_KERNEL).is_err() {
            ERRORS.fetch_add(1, Relaxed);
        }
    }
    for i in 0..param(&stress_hotplug_cycles) as usize {
        let Some(&cpu) = i.checked_rem(victims.len()).and_then(|i| victims.get(i)) else {
            break;
        };
        // Between the steps, the check holds hotplug off too: the order of
        // the callbacks' locks, for lockdep.
        if hotplug::down(cpu)
            .inspect(|()| check(true))
            .and_then(|()| hotplug::up(cpu))
            .inspect(|()| check(true))
            .is_err()
        {
            ERRORS.fetch_add(1, Relaxed);
        }
        CYCLES.fetch_add(1, Relaxed);
    }
    STOP.store(true, Relaxed);
}

/// Enables and disables, switching layouts, until stopped. It stays enabled
/// 2 ms, then 50 ms, in turn: the short stays race the callbacks, the long
/// ones let a CPU come up or go down within one, for the checks to see.
fn enable_thread() {
    let mut layouts = Layout::ALL.into_iter().cycle();
    let mut dwells = [2, 50].into_iter().cycle();
    while !STOP.load(Relaxed) {
        let (Some(layout), Some(dwell)) = (layouts.next(), dwells.next()) else {
            break;
        };
        let result = allocator::set_layout(layout).and_then(|()| allocator::enable());
        // SAFETY: Sleeping is allowed in a kthread.
        unsafe { bindings::msleep(dwell) };
        if result.and_then(|()| allocator::disable()).is_err() {
            ERRORS.fetch_add(1, Relaxed);
        }
    }
}

/// Kicks every online CPU in turn, with and without wait, until stopped.
fn kick_thread(index: usize) {
    let mut wait = index % 2 == 0;
    let mut next = index;
    while !STOP.load(Relaxed) {
        let count = online_cpus().count();
        let Some(target) = next.checked_rem(count).and_then(|i| online_cpus().nth(i)) else {
            continue;
        };
        next += 1;
        match kick::kick(target, wait) {
            Ok(()) => {
                KICKS.fetch_add(1, Relaxed);
            }
            // Disabled, busy, target gone, period ended; a wait on a CPU that
            // stop_machine() holds may time out.
            Err(ENXIO) | Err(EBUSY) | Err(ENODEV) | Err(ETIMEDOUT) => {}
            Err(e) if e == ecanceled() => {}
            Err(_) => {
                ERRORS.fetch_add(1, Relaxed);
            }
        }
        wait = !wait;
    }
}

/// With the allocator's lock taken, checks that while enabled every CPU that
/// is up has an array, no other CPU has one, and every online CPU is up.
///
/// The callbacks change "up" and the arrays together under that lock, and a
/// CPU is up from before it is marked online until after it is marked
/// offline, so this holds whether hotplug is held off or not. With
/// `hold_hotplug` the check also takes the hotplug lock first, as the
/// callbacks do, for lockdep to see that order; without, it runs while a CPU
/// is coming up or going down, when an allocator that missed it is wrong.
fn check(hold_hotplug: bool) {
    let _hotplug = hold_hotplug.then(HotplugReadGuard::new);
    let _lock = slots::ENABLE_MUTEX.lock();
    if slots::state() == State::Enabled {
        let wrong = cpus::possible()
            .filter(|&cpu| slots::slot(cpu).is_set() != slots::is_up(cpu))
            .count()
            + online_cpus().filter(|&cpu| !slots::is_up(cpu)).count();
        VIOLATIONS.fetch_add(wrong as u64, Relaxed);
        CHECKS.fetch_add(1, Relaxed);
    }
}

/// Checks every millisecond or so until stopped, hotplug operations going on:
/// holding hotplug off would wait them out, and with them the wrong states.
fn check_thread() {
    while !STOP.load(Relaxed) {
        check(false);
        // SAFETY: Sleeping is allowed in a kthread.
        unsafe { bindings::msleep(1) };
    }
}

#[kunit_tests(scx_kick_pseqs_hotplug)]
mod cases {
    use super::*;

    /// Under the online policy, in either layout, a CPU taken down while
    /// enabled loses its array once it is dead, and has a zeroed one again
    /// when it comes back: a single array goes through RCU and the CPU gets
    /// a new one; a packed one stays in its block and is the one it gets
    /// back, zeroed. The stats follow.
    #[test]
    fn arrays_follow_cpus_down_and_up() -> Result {
        let Some(cpu) = victim() else {
            return Ok(());
        };
        for layout in Layout::ALL {
            reset();
            allocator::set_policy(Policy::Online)?;
            allocator::set_layout(layout)?;
            allocator::enable()?;
            let before = allocator::stats()?;
            let had = has_zeroed_array(cpu);
            let addr = array_addr(cpu);
            scribble(cpu, 0xfeed);
            let queued = callback::frees_queued();
            let down = hotplug::down(cpu);
            let gone = !slots::slot(cpu).is_set();
            let after_down = allocator::stats()?;
            let freed = callback::frees_queued() - queued;
            let up = hotplug::up(cpu);
            let back = has_zeroed_array(cpu);
            let same = array_addr(cpu) == addr;
            let after_up = allocator::stats()?;
            restore(&[cpu]);
            reset();
            assert_eq!(down, Ok(()));
            assert_eq!(up, Ok(()));
            assert!(had);
            assert!(gone);
            assert!(back);
            assert_eq!(after_down.arrays, before.arrays - 1);
            assert_eq!(after_down.cpus_up, before.cpus_up - 1);
            assert_eq!(after_up.arrays, before.arrays);
            assert_eq!(after_up.cpus_up, before.cpus_up);
            // A single array goes through its own RCU callback; a packed one
            // stays in its block until disable.
            assert_eq!(freed, u64::from(layout == Layout::Kvzalloc));
            if layout == Layout::Packed {
                assert!(same);
            }
            assert!(all_slots_null());
            assert_eq!(callback::frees_pending(), 0);
        }
        Ok(())
    }

    /// A CPU that comes up while enabled has its array before it runs
    /// anything: its first kick finds it, and a CPU that was down at enable
    /// had none.
    #[test]
    fn cpu_coming_up_while_enabled_gets_an_array() -> Result {
        let Some(cpu) = victim() else {
            return Ok(());
        };
        reset();
        allocator::set_policy(Policy::Online)?;
        hotplug::down(cpu)?;
        let enabled = allocator::enable();
        let none_while_down = !slots::slot(cpu).is_set();
        let nulls = kick::null_reads();
        let up = hotplug::up(cpu);
        let ready = has_zeroed_array(cpu);
        SELF_KICK.store(1, Relaxed);
        let kicked = kthreads::run(1, |_| kick_self(), |_| Some(cpu));
        restore(&[cpu]);
        reset();
        kicked?;
        assert_eq!(enabled, Ok(()));
        assert_eq!(up, Ok(()));
        assert!(none_while_down);
        assert!(ready);
        assert_eq!(SELF_KICK.load(Relaxed), 0);
        assert_eq!(kick::null_reads(), nulls);
        Ok(())
    }

    /// A CPU on its way down keeps its array for as long as anything can run
    /// on it: a thread pinned there watches its slot and kicks itself from
    /// the moment the CPU stops being active until it lets it die.
    #[test]
    fn array_lives_until_the_cpu_is_dead() -> Result {
        let Some(cpu) = victim() else {
            return Ok(());
        };
        reset();
        allocator::set_policy(Policy::Online)?;
        allocator::enable()?;
        VICTIM.store(cpu.as_u32(), Relaxed);
        PINNED.store(false, Relaxed);
        SEEN_NULL.store(false, Relaxed);
        PINNED_ON.store(u32::MAX, Relaxed);
        DOWN_RESULT.store(1, Relaxed);
        SAW_INACTIVE.store(false, Relaxed);
        WATCH_KICKS.store(0, Relaxed);
        let nulls = kick::null_reads();
        let ran = kthreads::run(
            2,
            |i| if i == 0 { pinned_watcher() } else { remover() },
            |i| (i == 0).then_some(cpu),
        );
        let dead_then_freed = !slots::slot(cpu).is_set();
        restore(&[cpu]);
        let back = has_zeroed_array(cpu);
        reset();
        ran?;
        assert_eq!(PINNED_ON.load(Relaxed), cpu.as_u32());
        assert!(SAW_INACTIVE.load(Relaxed));
        assert!(WATCH_KICKS.load(Relaxed) > 0);
        assert_eq!(DOWN_RESULT.load(Relaxed), 0);
        assert!(!SEEN_NULL.load(Relaxed));
        assert_eq!(kick::null_reads(), nulls);
        assert!(dead_then_freed);
        assert!(back);
        Ok(())
    }

    /// Under the possible policy hotplug changes nothing: the array of a CPU
    /// that went down and came back is the one it had.
    #[test]
    fn possible_policy_ignores_hotplug() -> Result {
        let Some(cpu) = victim() else {
            return Ok(());
        };
        reset();
        allocator::set_policy(Policy::Possible)?;
        allocator::enable()?;
        let addr = || {
            let guard = rcu::read_lock();
            slots::slot(cpu)
                .dereference(&guard)
                .map_or(0, |a| core::ptr::from_ref(a).addr())
        };
        let before = addr();
        let down = hotplug::down(cpu);
        let while_down = addr();
        let up = hotplug::up(cpu);
        let after = addr();
        restore(&[cpu]);
        reset();
        assert_eq!(down, Ok(()));
        assert_eq!(up, Ok(()));
        assert_ne!(before, 0);
        assert_eq!(while_down, before);
        assert_eq!(after, before);
        Ok(())
    }

    /// `stress_hotplug_cycles` CPU down/up cycles race enable/disable cycles
    /// in both layouts, kicks with and without wait, and a checker: while
    /// enabled the CPUs with arrays are exactly those up, every online CPU
    /// among them; no kick meets a NULL slot; nothing is left afterwards.
    #[test]
    fn hotplug_races_enable_disable_and_kicks() -> Result {
        let victims: KVec<PossibleCpu> = {
            let mut v = KVec::new();
            for cpu in hotplug::victims() {
                v.push(cpu, GFP_KERNEL)?;
            }
            v
        };
        if victims.is_empty() {
            skip(c"no online CPU but the boot CPU");
            return Ok(());
        }
        reset();
        allocator::set_policy(Policy::Online)?;
        for c in [&CYCLES, &KICKS, &ERRORS, &CHECKS, &VIOLATIONS] {
            c.store(0, Relaxed);
        }
        STOP.store(false, Relaxed);
        let nulls = kick::null_reads();
        let ran = kthreads::run(
            5,
            |i| match i {
                0 => hotplug_thread(),
                1 => enable_thread(),
                2 => check_thread(),
                _ => kick_thread(i),
            },
            |_| None,
        );
        restore(&victims);
        reset();
        ran?;
        assert_eq!(
            CYCLES.load(Relaxed),
            u64::from(param(&stress_hotplug_cycles))
        );
        assert_eq!(ERRORS.load(Relaxed), 0);
        assert!(CHECKS.load(Relaxed) > 0);
        assert_eq!(VIOLATIONS.load(Relaxed), 0);
        assert_eq!(kick::null_reads(), nulls);
        assert!(all_slots_null());
        assert_eq!(callback::frees_pending(), 0);
        Ok(())
    }
}
