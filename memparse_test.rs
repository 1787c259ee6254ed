// SPDX-License-Identifier: GPL-2.0

//! KUnit suite `drm_cgroup_memparse`: the value parser of the limit files against the kernel's
//! `memparse()`, which `memory.max` and `dmem.max` use.
//!
//! `parse.rs` reads values in `memparse()`'s syntax (decimal, `0x` hexadecimal, leading-`0`
//! octal, binary suffixes) without calling it, so that the host tests and fuzzers run the same
//! code; here both parse the same strings. Wherever `memparse()` consumes a whole value whose
//! number fits in 64 bits, `parse_value()` must accept it with the same result, and wherever
//! `parse_value()` accepts, `memparse()` must consume everything and agree. The one deliberate
//! difference: a value beyond 64 bits, which `memparse()` wraps (in the number) or saturates
//! (with a suffix), is rejected.
//!
//! C header: [`include/linux/string.h`](srctree/include/linux/string.h).

#![cfg(CONFIG_CGROUP_DRM_KUNIT_TEST)]

use crate::parse::{
    parse_value,
    Value, //
};
use crate::test_rng::Rng;
use core::fmt::Write;
use kernel::{
    bindings,
    prelude::*, //
};

/// A value written into a fixed buffer, NUL-terminated for `memparse()`.
struct Buf {
    bytes: [u8; 64],
    len: usize,
}

impl Buf {
    fn new() -> Self {
        Self {
            bytes: [0; 64],
            len: 0,
        }
    }

    fn as_bytes(&self) -> &[u8] {
        &self.bytes[..self.len]
    }
}

impl Write for Buf {
    fn write_str(&mut self, s: &str) -> core::fmt::Result {
        let end = self.len + s.len();
        // Keep the last byte for the NUL.
        let dst = self.bytes.get_mut(self.len..end).filter(|_| end < 64);
        dst.ok_or(core::fmt::Error)?.copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
    }
}

/// What `memparse()` makes of `buf`: the value, and whether it consumed all of it.
fn memparse(buf: &Buf) -> (u64, bool) {
    let start = buf.bytes.as_ptr().cast::<c_char>();
    let mut end = start.cast_mut();
    // SAFETY: `start` is NUL-terminated (the buffer keeps a zero byte after `len`), and `end`
    // is valid for writing.
    let v = unsafe { bindings::memparse(start, &mut end) };
    // SAFETY: `memparse()` leaves `end` within the string it was given.
    let used = unsafe { end.offset_from(start) };
    (v, usize::try_from(used).ok() == Some(buf.len))
}

/// Checks one string: `fits` says whether its number fits in 64 bits after the suffix, when
/// the caller knows it (`None` for strings where it does not matter).
fn check(buf: &Buf, fits: Option<bool>) {
    let ours = parse_value(buf.as_bytes());
    let (theirs, whole) = memparse(buf);
    match ours {
        Ok(Value::Bytes(v)) => {
            assert!(whole);
            assert_eq!(v, theirs);
        }
        Ok(Value::Max) => assert_eq!(buf.as_bytes(), b"max"),
        // Rejected: `memparse()` stops early too, or the value does not fit.
        Err(_) => assert!(!whole || fits == Some(false)),
    }
    if whole && fits != Some(false) {
        assert!(ours.is_ok());
    }
}

#[kernel::macros::kunit_tests(drm_cgroup_memparse)]
mod tests {
    use super::*;

    #[test]
    fn edge_strings() {
        for s in [
            "0",
            "00",
            "000",
            "7",
            "08",
            "010",
            "0777",
            "0x",
            "0X",
            "0x0",
            "0xg",
            "0x-1",
            "0x1E",
            "0x1e",
            "0x10K",
            "0x10k",
            "0XABCDEF",
            "0xffffffffffffffff",
            "01777777777777777777777",
            "18446744073709551615",
            "0K",
            "0xK",
            "1K",
            "1k",
            "1KB",
            "1Ki",
            "1.5",
            "1e3",
            "e3",
            "K",
            "x10",
            "-1",
            "+1",
            " 1",
            "1 ",
            "max",
            "MAX",
            "15E",
            "0x3fffffffffffffK",
            "0x3fffffffffffffk",
            "0777777777777777777K",
        ] {
            let mut buf = Buf::new();
            assert!(buf.write_str(s).is_ok());
            check(&buf, Some(true));
        }
        // Beyond 64 bits: rejected here, wrapped or saturated by `memparse()`.
        for s in [
            "18446744073709551616",
            "0x10000000000000000",
            "02000000000000000000000",
            "16E",
            "0x40000000000000K",
        ] {
            let mut buf = Buf::new();
            assert!(buf.write_str(s).is_ok());
            assert!(parse_value(buf.as_bytes()).is_err());
            check(&buf, Some(false));
        }
    }

    #[test]
    fn random_values_in_every_radix() {
        const SUFFIXES: [(&str, u32); 13] = [
            ("", 0),
            ("K", 10),
            ("k", 10),
            ("M", 20),
            ("m", 20),
            ("G", 30),
            ("g", 30),
            ("T", 40),
            ("t", 40),
            ("P", 50),
            ("p", 50),
            ("E", 60),
            ("e", 60),
        ];
        const JUNK: [&str; 6] = [".", "-", " ", "i", "KB", "x"];
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        let mut accepted = 0;
        for _ in 0..20_000 {
            // Numbers of every magnitude, 0 included.
            let n = rng.next() >> rng.below(65).min(63);
            let n = if rng.below(16) == 0 { 0 } else { n };
            let (suffix, shift) = SUFFIXES[rng.below(13) as usize];
            let mut buf = Buf::new();
            let radix = rng.below(4);
            // `E` after hexadecimal digits is another digit: no `E` suffix there.
            let (suffix, shift) = if radix == 2 && shift == 60 {
                ("", 0)
            } else {
                (suffix, shift)
            };
            let written = match radix {
                0 | 1 => write!(buf, "{}{}", n, suffix),
                2 => write!(buf, "0x{:x}{}", n, suffix),
                _ => write!(buf, "0{:o}{}", n, suffix),
            };
            assert!(written.is_ok());
            let fits = shift == 0 || n <= u64::MAX >> shift;
            let junk = rng.below(8) == 0;
            if junk {
                assert!(buf.write_str(JUNK[rng.below(6) as usize]).is_ok());
            }
            check(&buf, Some(fits));
            if !junk && fits {
                assert_eq!(parse_value(buf.as_bytes()), Ok(Value::Bytes(n << shift)));
                accepted += 1;
            }
        }
        // Most strings were valid and both parsers agreed on them.
        assert!(accepted > 10_000);
    }
}
