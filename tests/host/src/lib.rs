// SPDX-License-Identifier: GPL-2.0

//! Host build of the drm_cgroup accounting core, for tests and benchmarks.
//!
//! `charge.rs`, `evict.rs` and `parse.rs` are compiled here from the very files the kernel builds, against
//! [`atomic`], a host stand-in for `kernel::sync::atomic`. Their unit tests run as host tests
//! here and as KUnit suites in the kernel. The core's items are `pub(crate)` (the kernel builds
//! with `-Wunreachable_pub`), so the integration tests and benchmarks reach them through
//! [`Pool`], a thin public wrapper whose nodes are reference counted like the kernel's pools.

#![no_std]

extern crate alloc;

pub mod atomic;
#[path = "../../../charge.rs"]
mod charge;
#[path = "../../../evict.rs"]
mod evict;
#[path = "../../../parse.rs"]
mod parse;
mod pool;

/// Parses one write to a `drm.*` limit file (see `parse.rs`): the key and the value in bytes
/// (`u64::MAX` for `max`), or `None` if the kernel would reject it with `EINVAL`.
pub fn parse_line(input: &[u8]) -> Option<(&[u8], u64)> {
    parse::parse_line(input).ok().map(|(k, v)| (k, v.bytes()))
}

pub use pool::{
    below_low,
    below_min,
    common_ancestor,
    effective_protection,
    evict_valuable,
    mul_div,
    report_eviction,
    Events,
    Flags,
    PeakFd,
    PinError,
    Pool,
    Protection,
    UnchargeError,
    Verdict,
    PATH_CHUNK,
    UNLIMITED, //
};
