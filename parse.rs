// SPDX-License-Identifier: GPL-2.0

//! Parsing of what admins write to the `drm.*` files.
//!
//! A write sets one region: `<card>/<region> <value>` on one line, where `<value>` is `max`
//! or a byte count in `memparse()`'s syntax, as `memory.max` and `dmem.max` take it: a number in
//! decimal, in hexadecimal after `0x` or `0X`, or in octal after a leading `0`, with an
//! optional binary suffix (`K`, `M`, `G`, `T`, `P`, `E`, lower or upper case). One trailing
//! newline is allowed; anything else (a second line, trailing characters, a sign, a missing
//! value) is rejected, and so is a value that does not fit in 64 bits, which `memparse()`
//! would wrap or saturate. This module only uses `core`, so the host tests and fuzzers run it
//! too; the KUnit suite checks it against the kernel's `memparse()`.

/// Why a write was rejected.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ParseError {
    /// The line is malformed (maps to `EINVAL`).
    Invalid,
}

/// A parsed limit or protection value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Value {
    /// `max`: no limit.
    Max,
    /// A number of bytes.
    Bytes(u64),
}

impl Value {
    /// The value as bytes, `u64::MAX` standing for `max`.
    pub(crate) fn bytes(self) -> u64 {
        match self {
            Value::Max => u64::MAX,
            Value::Bytes(b) => b,
        }
    }
}

/// Splits a write into its key and value: `<key><blanks><value>[\n]`.
pub(crate) fn parse_line(input: &[u8]) -> Result<(&[u8], Value), ParseError> {
    let line = input.strip_suffix(b"\n").unwrap_or(input);
    if line.is_empty() || line.iter().any(|&b| b == b'\n' || b == 0) {
        return Err(ParseError::Invalid);
    }
    let sep = line
        .iter()
        .position(|&b| b == b' ' || b == b'\t')
        .ok_or(ParseError::Invalid)?;
    let (key, rest) = line.split_at(sep);
    // Only blanks separate key and value: `trim_ascii_start` would also skip CR and FF.
    let blanks = rest
        .iter()
        .take_while(|&&b| b == b' ' || b == b'\t')
        .count();
    let value = rest.get(blanks..).unwrap_or_default();
    if key.is_empty() || value.is_empty() {
        return Err(ParseError::Invalid);
    }
    Ok((key, parse_value(value)?))
}

/// Parses `max` or a byte count with an optional binary suffix.
pub(crate) fn parse_value(s: &[u8]) -> Result<Value, ParseError> {
    if s == b"max" {
        return Ok(Value::Max);
    }
    // The radix as `memparse()` (`simple_strtoull()` with base 0) picks it: `0x` followed by
    // a hexadecimal digit means hexadecimal, any other leading `0` octal (the `0` is a digit).
    let (radix, digits) = match s {
        [b'0', b'x' | b'X', d, ..] if d.is_ascii_hexdigit() => (16, &s[2..]),
        [b'0', ..] => (8, s),
        _ => (10, s),
    };
    let len = digits
        .iter()
        .take_while(|&&b| char::from(b).is_digit(radix))
        .count();
    if len == 0 {
        return Err(ParseError::Invalid);
    }
    let (num, suffix) = digits.split_at(len);
    let mut n: u64 = 0;
    for &d in num {
        let d = char::from(d).to_digit(radix).ok_or(ParseError::Invalid)?;
        n = n
            .checked_mul(u64::from(radix))
            .and_then(|n| n.checked_add(u64::from(d)))
            .ok_or(ParseError::Invalid)?;
    }
    let shift = match suffix {
        b"" => 0,
        b"k" | b"K" => 10,
        b"m" | b"M" => 20,
        b"g" | b"G" => 30,
        b"t" | b"T" => 40,
        b"p" | b"P" => 50,
        b"e" | b"E" => 60,
        _ => return Err(ParseError::Invalid),
    };
    if shift > 0 && n > (u64::MAX >> shift) {
        return Err(ParseError::Invalid);
    }
    Ok(Value::Bytes(n << shift))
}

#[cfg(any(test, CONFIG_CGROUP_DRM_KUNIT_TEST))]
#[cfg_attr(not(test), crate::kunit_tests(drm_cgroup_parse))]
mod tests {
    use super::*;

    #[test]
    fn plain_and_max() {
        assert_eq!(
            parse_line(b"0000:03:00.0/vram0 1234\n"),
            Ok((&b"0000:03:00.0/vram0"[..], Value::Bytes(1234)))
        );
        assert_eq!(parse_line(b"c/r max"), Ok((&b"c/r"[..], Value::Max)));
        assert_eq!(parse_line(b"c/r \t 0"), Ok((&b"c/r"[..], Value::Bytes(0))));
        assert_eq!(Value::Max.bytes(), u64::MAX);
    }

    #[test]
    fn suffixes() {
        assert_eq!(parse_value(b"1K"), Ok(Value::Bytes(1024)));
        assert_eq!(parse_value(b"3m"), Ok(Value::Bytes(3 << 20)));
        assert_eq!(parse_value(b"2G"), Ok(Value::Bytes(2 << 30)));
        assert_eq!(parse_value(b"5T"), Ok(Value::Bytes(5 << 40)));
        assert_eq!(parse_value(b"1P"), Ok(Value::Bytes(1 << 50)));
        assert_eq!(parse_value(b"15E"), Ok(Value::Bytes(15 << 60)));
        assert_eq!(parse_value(b"16E"), Err(ParseError::Invalid));
        assert_eq!(parse_value(b"1KB"), Err(ParseError::Invalid));
        assert_eq!(parse_value(b"1X"), Err(ParseError::Invalid));
    }

    #[test]
    fn radix_as_memparse() {
        assert_eq!(parse_value(b"0x10"), Ok(Value::Bytes(16)));
        assert_eq!(parse_value(b"0XfF"), Ok(Value::Bytes(255)));
        // `E` is a hexadecimal digit, not a suffix, after `0x`; other suffixes follow.
        assert_eq!(parse_value(b"0x1E"), Ok(Value::Bytes(30)));
        assert_eq!(parse_value(b"0x10K"), Ok(Value::Bytes(16 << 10)));
        assert_eq!(parse_value(b"010"), Ok(Value::Bytes(8)));
        assert_eq!(parse_value(b"0777M"), Ok(Value::Bytes(0o777 << 20)));
        assert_eq!(parse_value(b"0"), Ok(Value::Bytes(0)));
        assert_eq!(parse_value(b"0G"), Ok(Value::Bytes(0)));
        assert_eq!(parse_value(b"00"), Ok(Value::Bytes(0)));
        assert_eq!(
            parse_value(b"0xffffffffffffffff"),
            Ok(Value::Bytes(u64::MAX))
        );
        assert_eq!(
            parse_value(b"0x10000000000000000"),
            Err(ParseError::Invalid)
        );
        assert_eq!(
            parse_value(b"01777777777777777777777"),
            Ok(Value::Bytes(u64::MAX))
        );
        assert_eq!(
            parse_value(b"02000000000000000000000"),
            Err(ParseError::Invalid)
        );
        assert_eq!(
            parse_value(b"0x3fffffffffffffK"),
            Ok(Value::Bytes(u64::MAX - 1023))
        );
        assert_eq!(parse_value(b"0x40000000000000K"), Err(ParseError::Invalid));
    }

    #[test]
    fn u64_edges() {
        assert_eq!(
            parse_value(b"18446744073709551615"),
            Ok(Value::Bytes(u64::MAX))
        );
        assert_eq!(
            parse_value(b"18446744073709551616"),
            Err(ParseError::Invalid)
        );
        assert_eq!(
            parse_value(b"99999999999999999999999"),
            Err(ParseError::Invalid)
        );
        assert_eq!(
            parse_value(b"17179869183G"),
            Ok(Value::Bytes(17179869183 << 30))
        );
        assert_eq!(parse_value(b"17179869184G"), Err(ParseError::Invalid));
    }

    #[test]
    fn rejects_malformed() {
        for bad in [
            &b""[..],
            b"\n",
            b"c/r",
            b"c/r ",
            b"c/r \n",
            b" c/r 1",
            b"c/r -1",
            b"c/r +1",
            b"c/r 1 2",
            b"c/r 1\n\n",
            b"c/r 1\nc/s 2",
            b"c/r 0x",
            b"c/r 0xg",
            b"c/r 0x-1",
            b"c/r 08",
            b"c/r 019",
            b"c/r 1.5G",
            b"c/r maxx",
            b"c/r MAX",
            b"c/r 1\0",
            b"c/r 1 ",
            b"c/r \r1",
            b"c/r \x0c1",
            b"c/r \t\r 1",
        ] {
            assert_eq!(parse_line(bad), Err(ParseError::Invalid));
        }
    }
}
