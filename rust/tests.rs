// SPDX-License-Identifier: GPL-2.0

//! KUnit suites; they run when the module is loaded on a kernel with KUnit.
//!
//! The cases share the module's one allocator, so each starts from and
//! returns to the disabled state with every RCU free done.

use crate::{
    allocator::{self, fault::FailAt, Layout, State},
    control, cpus,
    flex_array::{struct_size, SeqArrayBox},
    kick,
    once::read_once,
    percpu::{define_per_cpu, PreemptGuard},
    rcu_ptr::{self, RcuPtr, UpdateSide},
    shim,
};
use kernel::{
    bindings,
    cpu::{nr_cpu_ids, CpuId},
    prelude::*,
    processor::cpu_relax,
    sync::{
        atomic::{Atomic, Relaxed},
        rcu,
    },
    time::{delay::fsleep, Delta, Instant, Monotonic},
    workqueue,
};

/// The per-CPU allocator's limit that made upstream's boot-time allocation
/// fail above 4096 CPUs (PCPU_MIN_UNIT_SIZE).
const PERCPU_LIMIT: usize = 32 * 1024;

pub(crate) fn skip(reason: &CStr) {
    // SAFETY: `reason` is a valid NUL-terminated string for the call.
    unsafe { shim::scxk_kunit_skip(reason.as_char_ptr()) };
}

/// The header: the RCU head, as upstream's, plus the length.
fn header_size() -> usize {
    core::mem::size_of::<bindings::callback_head>() + core::mem::size_of::<usize>()
}

fn n() -> usize {
    nr_cpu_ids() as usize
}

fn n_possible() -> u64 {
    u64::from(cpus::possible_mask().weight())
}

/// Back to the disabled state with every RCU free done and the layout
/// chosen at insmod: a failed case may have left any of them changed.
pub(crate) fn reset() {
    let _ = allocator::disable();
    rcu_ptr::barrier();
    // Cannot fail: disabled, and the cases run one at a time.
    let _ = allocator::set_layout(Layout::from_packed(
        crate::module_parameters::packed.value(),
    ));
}

/// Runs `case` once with each layout, each time from the disabled state.
pub(crate) fn for_each_layout(case: impl Fn(Layout) -> Result) -> Result {
    for layout in Layout::ALL {
        reset();
        allocator::set_layout(layout)?;
        let result = case(layout);
        reset();
        result?;
    }
    Ok(())
}

/// RCU callbacks one disable queues: one per array, or one for all.
fn callbacks_per_disable(layout: Layout) -> u64 {
    match layout {
        Layout::Kvzalloc => n_possible(),
        Layout::Packed => 1,
    }
}

pub(crate) fn all_slots_null() -> bool {
    cpus::possible().all(|cpu| !allocator::slot(cpu).is_set())
}

/// A possible CPU that is not online, if there is one.
fn offline_cpu() -> Option<CpuId> {
    cpus::possible().find(|&cpu| !cpus::online(cpu))
}

/// An online CPU other than the current one, if there is one.
fn other_online_cpu() -> Option<CpuId> {
    let me = PreemptGuard::new();
    let me = crate::percpu::CpuPinned::cpu(&me);
    cpus::possible().find(|&cpu| cpu != me && cpus::online(cpu))
}

/// Free RAM in pages (`si_meminfo()`).
fn free_pages() -> u64 {
    // SAFETY: `sysinfo` is plain data; all zeroes is a valid value.
    let mut info: bindings::sysinfo = unsafe { core::mem::zeroed() };
    // SAFETY: `info` is valid for writes.
    unsafe { bindings::si_meminfo(&mut info) };
    info.freeram as u64
}

/// Runs `f` on the system workqueue and spins (without sleeping, so that it
/// may be called inside an RCU read-side section) until it has finished.
fn run_elsewhere(f: fn() -> Result) -> Result {
    static DONE: Atomic<i32> = Atomic::new(0);
    DONE.store(0, Relaxed);
    workqueue::system_long().try_spawn(GFP_KERNEL, move || {
        DONE.store(if f().is_ok() { 1 } else { 2 }, Relaxed);
    })?;
    let start = Instant::<Monotonic>::now();
    while DONE.load(Relaxed) == 0 {
        if start.elapsed() > Delta::from_millis(30_000) {
            return Err(ETIMEDOUT);
        }
        cpu_relax();
    }
    if DONE.load(Relaxed) == 1 {
        Ok(())
    } else {
        Err(EIO)
    }
}

define_per_cpu! {
    static TEST_PCPU: Atomic<u64> = Atomic::new(7);
}

#[kunit_tests(scx_kick_pseqs)]
mod allocator_cases {
    use super::*;

    /// `nr_cpu_ids` is one past the highest possible CPU, and the walk visits
    /// exactly the CPUs of the possible mask.
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
        let here = crate::percpu::CpuPinned::cpu(&pin);
        assert!(core::ptr::eq(TEST_PCPU.this_cpu(&pin), TEST_PCPU.get(here)));
        drop(pin);
        for cpu in cpus::possible() {
            TEST_PCPU.get(cpu).store(7, Relaxed);
        }
    }

    /// Before enable no CPU has an array and nothing is accounted.
    #[test]
    fn slots_null_before_enable() -> Result {
        reset();
        assert_eq!(allocator::state(), State::Disabled);
        assert!(all_slots_null());
        let stats = allocator::stats()?;
        assert_eq!(stats.arrays, 0);
        assert_eq!(stats.bytes, 0);
        assert_eq!(stats.frees_pending, 0);
        assert!(stats.node_bytes.is_empty());
        Ok(())
    }

    /// After enable every possible CPU has nr_cpu_ids zeroed entries on its
    /// node, in either layout.
    #[test]
    fn enable_allocates_zeroed_node_local_arrays() -> Result {
        for_each_layout(|_| {
            allocator::enable()?;
            assert_eq!(allocator::state(), State::Enabled);
            let guard = rcu::read_lock();
            let mut ok = true;
            for cpu in cpus::possible() {
                let Some(array) = allocator::slot(cpu).dereference(&guard) else {
                    ok = false;
                    break;
                };
                ok &= array.len() == n();
                ok &= array.seqs().iter().all(|s| read_once(s) == 0);
                let node = cpus::node_of(cpu);
                if node != bindings::NUMA_NO_NODE {
                    ok &= array.node() == node;
                }
            }
            drop(guard);
            reset();
            assert!(ok);
            Ok(())
        })
    }

    /// The packed layout puts a node's arrays one cache-aligned stride apart,
    /// so its blocks hold at most 1.02 times the exact need above 1024 CPUs:
    /// header and padding add under 88 bytes to each 8 x nr_cpu_ids.
    #[test]
    fn packed_arrays_are_back_to_back_on_cache_lines() -> Result {
        reset();
        allocator::set_layout(Layout::Packed)?;
        allocator::enable()?;
        let stride = crate::packed::stride(n()).ok_or(EOVERFLOW)?;
        let guard = rcu::read_lock();
        let mut aligned = true;
        let mut back_to_back = true;
        let mut prev: Option<(i32, usize)> = None;
        for cpu in cpus::possible() {
            let addr = allocator::slot(cpu)
                .dereference(&guard)
                .map_or(0, |a| core::ptr::from_ref(a).addr());
            aligned &= addr != 0 && addr % 64 == 0;
            let node = cpus::node_of(cpu);
            if let Some((prev_node, prev_addr)) = prev.filter(|(p, _)| *p == node) {
                back_to_back &= addr == prev_addr + stride && prev_node == node;
            }
            prev = Some((node, addr));
        }
        drop(guard);
        reset();
        assert!(aligned);
        assert!(back_to_back);
        assert!(stride - 8 * n() < header_size() + 64);
        if n() > 1024 {
            assert!(stride * 100 <= 8 * n() * 102);
        }
        Ok(())
    }

    /// The layout changes only while disabled, and only to a known name.
    #[test]
    fn layout_changes_only_while_disabled() -> Result {
        reset();
        let before = allocator::layout();
        assert_eq!(control::parse_layout(b"packed\n"), Ok(Layout::Packed));
        assert_eq!(control::parse_layout(b"kvzalloc"), Ok(Layout::Kvzalloc));
        assert_eq!(control::parse_layout(b"Packed"), Err(EINVAL));
        assert_eq!(control::parse_layout(b"packed "), Err(EINVAL));
        assert_eq!(control::parse_layout(b""), Err(EINVAL));
        allocator::enable()?;
        let busy = Layout::ALL.map(allocator::set_layout);
        let during = allocator::layout();
        reset();
        assert_eq!(busy, [Err(EBUSY), Err(EBUSY)]);
        assert_eq!(during, before);
        Ok(())
    }

    /// Each array is struct_size() bytes, which is over the per-CPU
    /// allocator's limit once nr_cpu_ids > 4096.
    #[test]
    fn array_size_is_struct_size() -> Result {
        reset();
        allocator::set_layout(Layout::Kvzalloc)?;
        let expected = struct_size(n()).ok_or(EOVERFLOW)?;
        assert_eq!(expected, header_size() + 8 * n());
        allocator::enable()?;
        let guard = rcu::read_lock();
        let sizes_ok = cpus::possible().all(|cpu| {
            allocator::slot(cpu).dereference(&guard).map(|a| a.size()) == Some(expected)
        });
        drop(guard);
        reset();
        assert!(sizes_ok);
        if n() > 4096 {
            assert!(expected > PERCPU_LIMIT);
        } else {
            skip(c"nr_cpu_ids <= 4096: the arrays fit the per-CPU allocator");
        }
        Ok(())
    }

    /// The boot-time allocation the seed replaced fails above 4096 CPUs and
    /// works at or below.
    #[test]
    fn percpu_alloc_of_the_old_design_fails_above_4096() {
        let size = 8 * n();
        // SAFETY: Plain allocation call; the result is freed below if non-NULL.
        let p = unsafe {
            bindings::pcpu_alloc_noprof(
                size,
                8,
                false,
                bindings::GFP_KERNEL | bindings::__GFP_NOWARN,
            )
        };
        let failed = p.is_null();
        if !failed {
            // SAFETY: `p` came from the per-CPU allocator just above.
            unsafe { bindings::free_percpu(p) };
        }
        assert_eq!(failed, size > PERCPU_LIMIT);
    }

    /// A second enable while enabled fails with EBUSY, allocates nothing and
    /// leaves the live arrays as they were (the bug fixed by 05e63305c85c8).
    #[test]
    fn second_enable_is_ebusy_and_keeps_live_arrays() -> Result {
        for_each_layout(|_| {
            allocator::enable()?;
            let first = cpus::possible().next().ok_or(ENODEV)?;
            let last = cpus::possible().last().ok_or(ENODEV)?;
            let (p_first, p_last) = {
                let guard = rcu::read_lock();
                let a = allocator::slot(first).dereference(&guard).ok_or(ENOMEM)?;
                let b = allocator::slot(last).dereference(&guard).ok_or(ENOMEM)?;
                a.set(0, 0xfeed);
                b.set(n() - 1, 0xbeef);
                (core::ptr::from_ref(a), core::ptr::from_ref(b))
            };
            let before = allocator::stats()?;
            let second = allocator::enable();
            let after = allocator::stats()?;
            let guard = rcu::read_lock();
            let a = allocator::slot(first).dereference(&guard).ok_or(ENOMEM)?;
            let b = allocator::slot(last).dereference(&guard).ok_or(ENOMEM)?;
            let same = core::ptr::eq(a, p_first) && core::ptr::eq(b, p_last);
            let intact = a.get(0) == Some(0xfeed) && b.get(n() - 1) == Some(0xbeef);
            drop(guard);
            reset();
            assert_eq!(second, Err(EBUSY));
            assert!(same);
            assert!(intact);
            assert_eq!(after.arrays, before.arrays);
            assert_eq!(after.bytes, before.bytes);
            assert_eq!(after.frees_pending, before.frees_pending);
            Ok(())
        })
    }

    /// Disable empties every slot at once; the memory comes back after the
    /// RCU frees have run: one callback per array, or one in all when packed.
    #[test]
    fn disable_nulls_slots_and_frees_through_rcu() -> Result {
        for_each_layout(|layout| {
            allocator::enable()?;
            let enabled = allocator::stats()?;
            let queued = rcu_ptr::frees_queued();
            allocator::disable()?;
            let callbacks = rcu_ptr::frees_queued() - queued;
            let nulled = all_slots_null();
            let disabled = allocator::stats()?;
            rcu_ptr::barrier();
            let done = allocator::stats()?;
            assert_eq!(enabled.arrays, n_possible());
            assert_eq!(
                enabled.bytes,
                n_possible() * struct_size(n()).ok_or(EOVERFLOW)? as u64
            );
            assert_eq!(callbacks, callbacks_per_disable(layout));
            assert!(nulled);
            assert_eq!(disabled.arrays, 0);
            assert_eq!(disabled.bytes, 0);
            assert!(disabled.frees_pending <= callbacks);
            assert_eq!(done.frees_pending, 0);
            assert_eq!(allocator::state(), State::Disabled);
            Ok(())
        })
    }

    /// Enable/disable cycles leak nothing: no arrays, no pending frees, and
    /// free memory back to where it was (within one array's worth of noise).
    #[test]
    fn enable_disable_cycles_leak_nothing() -> Result {
        // Each cycle zeroes n_possible x n x 8 bytes: bound the work at big counts.
        let cycles = match n() {
            0..=1024 => 100,
            1025..=4096 => 4,
            _ => 2,
        };
        for_each_layout(|_| {
            let before = free_pages();
            for _ in 0..cycles {
                allocator::enable()?;
                allocator::disable()?;
            }
            rcu_ptr::barrier();
            let stats = allocator::stats()?;
            let one_enable_pages = n_possible() * struct_size(n()).ok_or(EOVERFLOW)? as u64 / 4096;
            // vfree() from an RCU callback hands the pages to a workqueue:
            // give it up to five seconds.
            let mut after = free_pages();
            for _ in 0..100 {
                if after + one_enable_pages / 2 + 256 >= before {
                    break;
                }
                fsleep(Delta::from_millis(50));
                after = free_pages();
            }
            assert_eq!(stats.arrays, 0);
            assert_eq!(stats.frees_pending, 0);
            assert!(after + one_enable_pages / 2 + 256 >= before);
            Ok(())
        })
    }

    /// An allocation failure at the first, a middle and the last possible CPU
    /// fails the enable with ENOMEM and leaves nothing behind.
    #[test]
    fn allocation_failure_frees_everything() -> Result {
        for_each_layout(|_| {
            let count = cpus::possible_mask().weight() as usize;
            for index in [0, count / 2, count - 1] {
                let fail = FailAt::new(index);
                let result = allocator::enable();
                drop(fail);
                let nulled = all_slots_null();
                rcu_ptr::barrier();
                let stats = allocator::stats()?;
                assert_eq!(result, Err(ENOMEM));
                assert!(nulled);
                assert_eq!(allocator::state(), State::Disabled);
                assert_eq!(stats.arrays, 0);
                assert_eq!(stats.frees_pending, 0);
            }
            // And the allocator still works afterwards.
            allocator::enable()?;
            Ok(())
        })
    }

    /// The reader (the kick irq_work) finds a NULL slot while disabled and
    /// returns without touching memory.
    #[test]
    fn reader_with_null_slot_returns() -> Result {
        reset();
        assert!(!kick::run_reader_here()?);
        Ok(())
    }

    /// The reader finds the array while enabled.
    #[test]
    fn reader_finds_array_while_enabled() -> Result {
        reset();
        allocator::enable()?;
        let found = kick::run_reader_here();
        reset();
        assert_eq!(found, Ok(true));
        Ok(())
    }

    /// A reader inside an RCU read-side section keeps valid memory while
    /// another CPU disables; the free happens only after it leaves.
    #[test]
    fn reader_keeps_memory_across_disable() -> Result {
        for_each_layout(|layout| {
            allocator::enable()?;
            let cpu = cpus::possible().last().ok_or(ENODEV)?;
            let guard = rcu::read_lock();
            let array = allocator::slot(cpu).dereference(&guard).ok_or(ENOMEM)?;
            let disabled = run_elsewhere(allocator::disable);
            let nulled = !allocator::slot(cpu).is_set();
            // KASAN checks every one of these reads.
            let readable = array.len() == n() && array.seqs().iter().all(|s| read_once(s) == 0);
            let pending = rcu_ptr::frees_pending();
            drop(guard);
            rcu_ptr::barrier();
            assert_eq!(disabled, Ok(()));
            assert!(nulled);
            assert!(readable);
            assert_eq!(pending, callbacks_per_disable(layout));
            assert_eq!(rcu_ptr::frees_pending(), 0);
            Ok(())
        })
    }

    /// A replaced pointer is freed through call_rcu(), once, after a grace period.
    #[test]
    fn rcu_ptr_replace_defers_free() -> Result {
        rcu_ptr::barrier();
        let lock = ();
        // SAFETY: `ptr` is local to this test and only this thread updates it.
        let update = unsafe { UpdateSide::new(&lock) };
        let ptr = RcuPtr::null();
        let array = SeqArrayBox::new_zeroed(4, bindings::NUMA_NO_NODE)?;
        assert!(ptr.replace(Some(array), &update).is_none());
        assert!(ptr.is_set());
        let old = ptr.replace(None, &update);
        assert!(!ptr.is_set());
        assert_eq!(old.as_ref().map(|a| a.len()), Some(4));
        // While this reader is inside its section the free cannot run.
        let guard = rcu::read_lock();
        drop(old);
        let pending = rcu_ptr::frees_pending();
        drop(guard);
        assert_eq!(pending, 1);
        rcu_ptr::barrier();
        assert_eq!(rcu_ptr::frees_pending(), 0);
        Ok(())
    }

    /// struct_size() overflow makes the allocation fail instead of wrapping.
    #[test]
    fn struct_size_overflow_fails_allocation() {
        assert_eq!(struct_size(usize::MAX), None);
        assert_eq!(struct_size(usize::MAX / 8), None);
        assert!(SeqArrayBox::new_zeroed(usize::MAX / 8, bindings::NUMA_NO_NODE).is_err());
        assert_eq!(struct_size(0), Some(header_size()));
    }

    /// Entries are bounds-checked.
    #[test]
    fn seq_array_is_bounds_checked() -> Result {
        let array = SeqArrayBox::new_zeroed(3, bindings::NUMA_NO_NODE)?;
        assert!(array.set(2, 42));
        assert_eq!(array.get(2), Some(42));
        assert!(!array.set(3, 1));
        assert_eq!(array.get(3), None);
        assert_eq!(array.size(), header_size() + 3 * 8);
        Ok(())
    }

    /// The lifecycle: disabled -> enabled -> disabled; disable while disabled
    /// is EINVAL and changes nothing.
    #[test]
    fn state_machine() -> Result {
        reset();
        assert_eq!(allocator::disable(), Err(EINVAL));
        assert_eq!(allocator::state(), State::Disabled);
        allocator::enable()?;
        assert_eq!(allocator::state(), State::Enabled);
        allocator::disable()?;
        assert_eq!(allocator::state(), State::Disabled);
        assert_eq!(State::Enabling.name(), "enabling");
        assert_eq!(State::Disabling.name(), "disabling");
        rcu_ptr::barrier();
        Ok(())
    }

    /// The per-node byte counts add up to the total.
    #[test]
    fn stats_per_node_add_up() -> Result {
        for_each_layout(|_| {
            allocator::enable()?;
            let stats = allocator::stats()?;
            reset();
            let sum: u64 = stats.node_bytes.iter().map(|(_, b)| *b).sum();
            assert_eq!(sum, stats.bytes);
            assert!(!stats.node_bytes.is_empty());
            Ok(())
        })
    }
}

#[kunit_tests(scx_kick_pseqs_kick)]
mod kicks {
    use super::*;

    /// Kicks need the arrays: while disabled they fail with ENXIO.
    #[test]
    fn kick_while_disabled_is_enxio() -> Result {
        reset();
        let here = cpus::possible().next().ok_or(ENODEV)?;
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
            let pin = crate::percpu::MigrateGuard::new();
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
        let Some(cpu) = other_online_cpu() else {
            skip(c"only one CPU online");
            return Ok(());
        };
        allocator::enable()?;
        let nulls = kick::null_reads();
        let held = kick::hold::start(cpu);
        let disabled = allocator::disable();
        kick::hold::release(cpu);
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
                    Err(e) => return Err(e),
                }
            }
            disabler?;
            let start = Instant::<Monotonic>::now();
            while allocator::state() != State::Disabled
                && start.elapsed() < Delta::from_millis(10_000)
            {
                cpu_relax();
            }
            reset();
        }
        assert!(all_slots_null());
        assert_eq!(rcu_ptr::frees_pending(), 0);
        Ok(())
    }
}

#[kunit_tests(scx_kick_pseqs_control)]
mod control_parsing {
    use super::*;

    #[test]
    fn trigger_accepts_only_one() {
        assert_eq!(control::parse_trigger(b"1"), Ok(()));
        assert_eq!(control::parse_trigger(b"1\n"), Ok(()));
        for bad in [
            &b""[..],
            b"\n",
            b"0",
            b"2",
            b"11",
            b"1\n\n",
            b" 1",
            b"1 ",
            b"y",
            b"-1",
            b"\x001",
        ] {
            assert_eq!(control::parse_trigger(bad), Err(EINVAL));
        }
    }

    #[test]
    fn kick_accepts_cpu_and_wait() -> Result {
        let last = cpus::possible().last().ok_or(ENODEV)?;
        let (cpu, wait) = control::parse_kick(b"0")?;
        assert_eq!((cpu.as_u32(), wait), (0, false));
        let (cpu, wait) = control::parse_kick(b"0 wait\n")?;
        assert_eq!((cpu.as_u32(), wait), (0, true));
        let mut buf = [0u8; 16];
        let text = fmt_u32(&mut buf, last.as_u32());
        let (cpu, _) = control::parse_kick(text)?;
        assert_eq!(cpu, last);
        Ok(())
    }

    #[test]
    fn kick_rejects_malformed_input() {
        for bad in [
            &b""[..],
            b"\n",
            b"-1",
            b"+1",
            b"0x1",
            b"1 nowait",
            b"1 wait wait",
            b"1  wait",
            b" 1",
            b"1 ",
            b"4294967295",
            b"4294967296",
            b"99999999999999999999",
            b"1\x00",
            b"wait",
            b"\xff",
        ] {
            assert_eq!(control::parse_kick(bad).map(|_| ()), Err(EINVAL));
        }
    }

    #[test]
    fn kick_rejects_cpu_out_of_range() {
        let mut buf = [0u8; 16];
        let text = fmt_u32(&mut buf, nr_cpu_ids());
        assert_eq!(control::parse_kick(text).map(|_| ()), Err(EINVAL));
    }

    /// Formats `v` in decimal into `buf`.
    fn fmt_u32(buf: &mut [u8; 16], mut v: u32) -> &[u8] {
        let mut i = buf.len();
        loop {
            i -= 1;
            buf[i] = b'0' + (v % 10) as u8;
            v /= 10;
            if v == 0 {
                break;
            }
        }
        &buf[i..]
    }
}
