// SPDX-License-Identifier: GPL-2.0

//! Properties of the parser of writes to `drm.min`, `drm.low`, `drm.high` and `drm.max`.
//!
//! [`check`] runs `parse.rs` (through [`drm_cgroup_host::parse_line`]) on the input and on
//! inputs derived from it, and panics if any of these does not hold:
//!
//! - the parser never panics and agrees with [`spec`], an independent transcription of the
//!   documented grammar;
//! - an accepted write round-trips: its key followed by the value printed as `max` or in
//!   decimal (or with the largest binary suffix that represents it exactly) parses to the same
//!   key and value;
//! - an accepted write followed by trailing characters, a second line or a NUL byte, or with a
//!   sign before its value, is rejected;
//! - any input after a complete first line is rejected, and so is any input with a newline
//!   before its last byte, a NUL byte, or a sign as the first character of its value.

use drm_cgroup_host::parse_line;

/// A registered-looking key, used to build writes around fuzzed values.
const KEY: &[u8] = b"0000:03:00.0/vram0";

/// The binary suffixes and their shifts, as the admin guide lists them.
const SUFFIXES: [(u8, u32); 6] = [
    (b'K', 10),
    (b'M', 20),
    (b'G', 30),
    (b'T', 40),
    (b'P', 50),
    (b'E', 60),
];

/// The documented grammar (`Documentation/admin-guide/cgroup-drm.rst` and the comment at the
/// top of `parse.rs`), written without looking at how `parse.rs` does it: one line
/// `<key><blanks><value>`, optionally ended by one newline, where the key is everything before
/// the first space or tab and the value is `max` or a number as `memparse()` reads it (decimal;
/// hexadecimal after `0x`/`0X` when a hexadecimal digit follows; octal after any other leading
/// `0`) with an optional binary suffix, the result fitting in 64 bits. `max` gives `u64::MAX`.
pub fn spec(input: &[u8]) -> Option<(&[u8], u64)> {
    let line = match input.split_last() {
        Some((b'\n', rest)) => rest,
        _ => input,
    };
    if line.contains(&b'\n') || line.contains(&0) {
        return None;
    }
    let blank = |b: &u8| *b == b' ' || *b == b'\t';
    let key_len = line.iter().position(blank)?;
    let key = &line[..key_len];
    let value: &[u8] = {
        let rest = &line[key_len..];
        let skip = rest.iter().take_while(|b| blank(b)).count();
        &rest[skip..]
    };
    if key.is_empty() || value.is_empty() {
        return None;
    }
    if value == b"max" {
        return Some((key, u64::MAX));
    }
    let hex = value.len() > 2
        && value[0] == b'0'
        && (value[1] == b'x' || value[1] == b'X')
        && value[2].is_ascii_hexdigit();
    let (radix, body): (u32, &[u8]) = if hex {
        (16, &value[2..])
    } else if value[0] == b'0' {
        (8, value)
    } else {
        (10, value)
    };
    let digits = body
        .iter()
        .take_while(|&&b| char::from(b).is_digit(radix))
        .count();
    if digits == 0 {
        return None;
    }
    let shift = match &body[digits..] {
        [] => 0,
        [suffix] => {
            let upper = suffix.to_ascii_uppercase();
            SUFFIXES.iter().find(|(s, _)| *s == upper)?.1
        }
        _ => return None,
    };
    let mut n: u128 = 0;
    for &d in &body[..digits] {
        n = n * u128::from(radix) + u128::from(char::from(d).to_digit(radix)?);
        if n > u128::from(u64::MAX) {
            return None;
        }
    }
    let bytes = n.checked_mul(1u128 << shift)?;
    u64::try_from(bytes).ok().map(|b| (key, b))
}

/// Prints a value the way the interface files show it: `max` or decimal.
fn show(value: u64) -> Vec<u8> {
    if value == u64::MAX {
        b"max".to_vec()
    } else {
        value.to_string().into_bytes()
    }
}

/// Concatenates byte strings.
fn cat(parts: &[&[u8]]) -> Vec<u8> {
    parts.concat()
}

/// Checks every property on `data` and on writes built around it; panics on a violation.
pub fn check(data: &[u8]) {
    check_one(data);
    // The same bytes as the value of a well-formed key, and after a complete first line.
    check_one(&cat(&[KEY, b" ", data]));
    if !data.is_empty() {
        let two = cat(&[KEY, b" 1\n", data]);
        assert_eq!(parse_line(&two), None, "second line accepted: {:?}", two);
    }
}

/// Checks the properties that concern one input.
fn check_one(input: &[u8]) {
    let got = parse_line(input);
    assert_eq!(got, spec(input), "parser and grammar differ on {:?}", input);

    let newline_inside = input
        .iter()
        .position(|&b| b == b'\n')
        .is_some_and(|i| i + 1 < input.len());
    if newline_inside || input.contains(&0) {
        assert_eq!(got, None, "multi-line or NUL accepted: {:?}", input);
    }
    if let Some(sep) = input.iter().position(|&b| b == b' ' || b == b'\t') {
        let value = input[sep..].trim_ascii_start();
        if value.first().is_some_and(|&c| c == b'-' || c == b'+') {
            assert_eq!(got, None, "signed value accepted: {:?}", input);
        }
    }

    let Some((key, value)) = got else {
        return;
    };
    let shown = show(value);
    for sep in [&b" "[..], b"\t", b" \t "] {
        for end in [&b""[..], b"\n"] {
            let again = cat(&[key, sep, &shown, end]);
            assert_eq!(
                parse_line(&again),
                Some((key, value)),
                "round trip of {:?} through {:?}",
                input,
                again
            );
        }
    }
    // The largest suffix that represents the value exactly.
    if value != u64::MAX && value != 0 {
        if let Some(&(suffix, shift)) = SUFFIXES
            .iter()
            .rev()
            .find(|(_, shift)| value.trailing_zeros() >= *shift)
        {
            let text = cat(&[
                key,
                b" ",
                (value >> shift).to_string().as_bytes(),
                &[suffix],
            ]);
            assert_eq!(parse_line(&text), Some((key, value)), "{:?}", text);
            let lower = cat(&[
                key,
                b" ",
                (value >> shift).to_string().as_bytes(),
                &[suffix.to_ascii_lowercase()],
            ]);
            assert_eq!(parse_line(&lower), Some((key, value)), "{:?}", lower);
        }
    }

    let line = input.strip_suffix(b"\n").unwrap_or(input);
    for garbage in [
        &b" "[..],
        b"\t",
        b"x",
        b"i",
        b"\r",
        b"\0",
        b" 1",
        b"\n\n",
        b"\nx",
        b"\n0000:03:00.0/vram1 1",
        b".5",
        b"max",
    ] {
        let bad = cat(&[line, garbage]);
        assert_eq!(parse_line(&bad), None, "trailing {:?} accepted", bad);
    }
    for sign in [&b"-"[..], b"+"] {
        let bad = cat(&[key, b" ", sign, &shown]);
        assert_eq!(parse_line(&bad), None, "sign accepted: {:?}", bad);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grammar_examples() {
        assert_eq!(spec(b"c/r 1K\n"), Some((&b"c/r"[..], 1024)));
        assert_eq!(spec(b"c/r \t 0007"), Some((&b"c/r"[..], 7)));
        assert_eq!(spec(b"c/r max"), Some((&b"c/r"[..], u64::MAX)));
        assert_eq!(spec(b"c/r 15e"), Some((&b"c/r"[..], 15 << 60)));
        // memparse()'s radixes: `0x` hexadecimal, a leading `0` octal.
        assert_eq!(spec(b"c/r 0x10"), Some((&b"c/r"[..], 16)));
        assert_eq!(spec(b"c/r 0X1E"), Some((&b"c/r"[..], 30)));
        assert_eq!(spec(b"c/r 0x1eK"), Some((&b"c/r"[..], 30 << 10)));
        assert_eq!(spec(b"c/r 010"), Some((&b"c/r"[..], 8)));
        assert_eq!(
            spec(b"c/r 18446744073709551615"),
            Some((&b"c/r"[..], u64::MAX))
        );
        for bad in [
            &b"c/r 16E"[..],
            b"c/r 18446744073709551616",
            b"c/r 1KK",
            b"c/r 08",
            b"c/r 0x",
            b"c/r 0xg",
            b"c/r 0x10000000000000000",
            b"c/r K",
            b"c/r +1",
            b"c/r 1\n\n",
            b"c/r",
            b" c/r 1",
            b"c/r 1 ",
            b"c/r 00000000000000000000000000000000000000000000000018446744073709551616",
        ] {
            assert_eq!(spec(bad), None, "{:?}", bad);
        }
        assert_eq!(
            spec(b"c/r 000000000000000000000000000000000000000000000000001k"),
            Some((&b"c/r"[..], 1024))
        );
    }

    #[test]
    fn properties_hold_on_examples() {
        for input in [
            &b""[..],
            b"\n",
            b"0000:03:00.0/vram0 18446744073709551615\n",
            b"a 17179869183G",
            b"a\t\tmax",
            b"-1",
            b"1\n\n",
        ] {
            check(input);
        }
    }
}
