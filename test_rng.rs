// SPDX-License-Identifier: GPL-2.0

//! A small xorshift generator for the tests: reproducible from its seed, with no dependency.
//!
//! The KUnit suites (`memparse_test.rs`, `protection_test.rs`) use it in the kernel, and the host
//! tests include this same file.

/// The generator; its state is the seed until the first number, and must not be zero.
pub(crate) struct Rng(pub(crate) u64);

impl Rng {
    /// Returns the next pseudo-random number.
    pub(crate) fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    /// Returns a number below `n`, which must not be zero.
    pub(crate) fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}
