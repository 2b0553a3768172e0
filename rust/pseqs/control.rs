// SPDX-License-Identifier: GPL-2.0

//! The control interface: `/sys/kernel/debug/scx_kick_pseqs/`.
//!
//! | file      | access | format                                               |
//! |-----------|--------|------------------------------------------------------|
//! | `enable`  | write  | `1`: allocate the arrays (`EBUSY` if not disabled)   |
//! | `disable` | write  | `1`: free them through RCU (`EINVAL` if not enabled) |
//! | `state`   | read   | `disabled`, `enabling`, `enabled` or `disabling`     |
//! | `stats`   | read   | `key: value` lines, see [`write_stats`]              |
//! | `kick`    | write  | `<cpu>` or `<cpu> wait`: kick a CPU from this one    |
//! | `layout`  | both   | `kvzalloc` or `packed`; written only while disabled  |
//! | `policy`  | both   | `online` or `possible`; written only while disabled  |
//! | `bench_reader` | both | write `<ops>`: time the reader's hot path; read  |
//! |           |        | `<ops> <ns>` of the last run (see [`reader_bench`])  |
//!
//! A trailing newline is accepted. Anything else, including empty or longer
//! than [`MAX_INPUT`] bytes, fails with `EINVAL` and changes nothing. A valid
//! kick fails as [`kick::kick`] does (`ENXIO`, `ENODEV`, `EBUSY`, `ECANCELED`,
//! `ETIMEDOUT`).

use super::{allocator, kick, reader_bench, slots};
use crate::abstractions::{cpus::PossibleCpu, rcu::callback};
use core::fmt;
use kernel::{debugfs::Scope, prelude::*, uaccess::UserSliceReader};

/// The longest write accepted by any control file.
pub(crate) const MAX_INPUT: usize = 32;

/// Creates the debugfs directory; removed when the result is dropped.
pub(crate) fn create() -> Result<Pin<KBox<Scope<()>>>> {
    KBox::pin_init(
        Scope::dir((), c"scx_kick_pseqs", |data, dir| {
            dir.write_only_callback_file(c"enable", data, &|(), r| {
                parse_trigger(read_input(r, &mut [0; MAX_INPUT])?)?;
                allocator::enable()
            });
            dir.write_only_callback_file(c"disable", data, &|(), r| {
                parse_trigger(read_input(r, &mut [0; MAX_INPUT])?)?;
                allocator::disable()
            });
            dir.write_only_callback_file(c"kick", data, &|(), r| {
                let (cpu, wait) = parse_kick(read_input(r, &mut [0; MAX_INPUT])?)?;
                kick::kick(cpu, wait)
            });
            dir.read_write_callback_file(
                c"layout",
                data,
                &|(), f| writeln!(f, "{}", allocator::layout().name()),
                &|(), r| allocator::set_layout(parse_layout(read_input(r, &mut [0; MAX_INPUT])?)?),
            );
            dir.read_write_callback_file(
                c"policy",
                data,
                &|(), f| writeln!(f, "{}", allocator::policy().name()),
                &|(), r| allocator::set_policy(parse_policy(read_input(r, &mut [0; MAX_INPUT])?)?),
            );
            dir.read_write_callback_file(
                c"bench_reader",
                data,
                &|(), f| {
                    let (ops, ns) = reader_bench::last();
                    writeln!(f, "{ops} {ns}")
                },
                &|(), r| {
                    let mut buf = [0; MAX_INPUT];
                    reader_bench::run(parse_u64(strip_newline(read_input(r, &mut buf)?))?)
                },
            );
            dir.read_callback_file(c"state", data, &|(), f| {
                writeln!(f, "{}", slots::state().name())
            });
            dir.read_callback_file(c"stats", data, &|(), f| write_stats(f));
        }),
        GFP_KERNEL,
    )
}

/// Writes the stats:
///
/// ```text
/// policy: <online or possible: which CPUs have arrays while enabled>
/// cpus_up: <CPUs up: prepared by the hotplug state, not yet dead>
/// arrays: <arrays published>
/// bytes: <bytes requested for them>
/// rcu_frees_pending: <arrays waiting for their RCU free>
/// enables: <successful enables since the module was loaded>
/// null_slot_reads: <kick irq_works that found their slot NULL>
/// rcu_callbacks: <call_rcu() frees queued since the module was loaded>
/// kicks_coalesced: <kicks whose target had a reschedule call pending>
/// nr_cpu_ids: <entries per array>
/// node<N>_bytes: <bytes on node N>     (one line per node holding arrays)
/// ```
fn write_stats(f: &mut fmt::Formatter<'_>) -> fmt::Result {
    let stats = allocator::stats().map_err(|_| fmt::Error)?;
    writeln!(f, "policy: {}", stats.policy.name())?;
    writeln!(f, "cpus_up: {}", stats.cpus_up)?;
    writeln!(f, "arrays: {}", stats.arrays)?;
    writeln!(f, "bytes: {}", stats.bytes)?;
    writeln!(f, "rcu_frees_pending: {}", stats.frees_pending)?;
    writeln!(f, "enables: {}", stats.enables)?;
    writeln!(f, "null_slot_reads: {}", kick::null_reads())?;
    writeln!(f, "rcu_callbacks: {}", callback::frees_queued())?;
    writeln!(f, "kicks_coalesced: {}", kick::coalesced())?;
    writeln!(f, "nr_cpu_ids: {}", kernel::cpu::nr_cpu_ids())?;
    for (node, bytes) in stats.node_bytes.iter() {
        writeln!(f, "node{node}_bytes: {bytes}")?;
    }
    Ok(())
}

/// Reads a whole write of at most `buf.len()` bytes.
fn read_input<'b>(reader: &mut UserSliceReader, buf: &'b mut [u8]) -> Result<&'b [u8]> {
    let len = reader.len();
    if len == 0 || len > buf.len() {
        return Err(EINVAL);
    }
    reader.read_slice(&mut buf[..len])?;
    Ok(&buf[..len])
}

fn strip_newline(input: &[u8]) -> &[u8] {
    input.strip_suffix(b"\n").unwrap_or(input)
}

/// Accepts `1`, for `enable` and `disable`.
pub(crate) fn parse_trigger(input: &[u8]) -> Result {
    match strip_newline(input) {
        b"1" => Ok(()),
        _ => Err(EINVAL),
    }
}

/// Parses a layout name, for `layout`.
pub(crate) fn parse_layout(input: &[u8]) -> Result<allocator::Layout> {
    allocator::Layout::from_name(strip_newline(input)).ok_or(EINVAL)
}

/// Parses a policy name, for `policy`.
pub(crate) fn parse_policy(input: &[u8]) -> Result<allocator::Policy> {
    allocator::Policy::from_name(strip_newline(input)).ok_or(EINVAL)
}

/// Parses `<cpu>` or `<cpu> wait`, where `<cpu>` is a possible CPU in decimal.
pub(crate) fn parse_kick(input: &[u8]) -> Result<(PossibleCpu, bool)> {
    let input = strip_newline(input);
    let (number, wait) = match input.iter().position(|&b| b == b' ') {
        None => (input, false),
        Some(i) if &input[i + 1..] == b"wait" => (&input[..i], true),
        Some(_) => return Err(EINVAL),
    };
    let cpu = u32::try_from(parse_u64(number)?).map_err(|_| EINVAL)?;
    Ok((PossibleCpu::from_u32(cpu).ok_or(EINVAL)?, wait))
}

/// Parses a decimal `u64`: digits only, no sign, no overflow.
fn parse_u64(digits: &[u8]) -> Result<u64> {
    if digits.is_empty() {
        return Err(EINVAL);
    }
    digits.iter().try_fold(0u64, |acc, &d| {
        if !d.is_ascii_digit() {
            return Err(EINVAL);
        }
        acc.checked_mul(10)
            .and_then(|acc| acc.checked_add(u64::from(d - b'0')))
            .ok_or(EINVAL)
    })
}
