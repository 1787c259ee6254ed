// SPDX-License-Identifier: GPL-2.0

//! Parsing of what admins write to the `drm.*` files.
//!
//! A write sets one region: `<card>/<region> <value>` on one line, where `<value>` is `max`
//! or a byte count with an optional binary suffix (`K`, `M`, `G`, `T`, `P`, `E`, lower or upper
//! case, as `memparse()` understands them). One trailing newline is allowed; anything else
//! (a second line, trailing characters, a sign, a missing value, a value that does not fit in
//! 64 bits) is rejected. This module only uses `core`, so the host tests and fuzzers run it too.

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
    let digits = s.iter().take_while(|b| b.is_ascii_digit()).count();
    if digits == 0 {
        return Err(ParseError::Invalid);
    }
    let (num, suffix) = s.split_at(digits);
    let mut n: u64 = 0;
    for &d in num {
        n = n
            .checked_mul(10)
            .and_then(|n| n.checked_add(u64::from(d - b'0')))
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
            b"c/r 0x10",
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
