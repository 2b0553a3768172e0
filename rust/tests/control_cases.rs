// SPDX-License-Identifier: GPL-2.0

//! The control interface's suite: what each file accepts and rejects.

use super::*;
use crate::pseqs::control;

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
        let text = fmt_u32(&mut buf, kernel::cpu::nr_cpu_ids());
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
