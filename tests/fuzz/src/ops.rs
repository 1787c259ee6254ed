// SPDX-License-Identifier: GPL-2.0

//! Random operation sequences on a small random tree, run on the accounting core and on the
//! reference model ([`crate::model`]) side by side.
//!
//! [`run`] decodes the fuzzer's bytes into a tree and a sequence of charges, uncharges,
//! settings (`min`, `low`, `high`, `max`), pins, unpins, eviction decisions (with the eviction
//! reported when allowed), protection queries and peak file resets, which it applies to both
//! sides with the property test's step ([`crate::model_ops`]), and `mul_div` calls, and panics
//! as soon as an answer or any counter of any node differs. Every byte string
//! decodes to some scenario; the decoding is stable, so the inputs under `regressions/ops/`
//! keep meaning the same scenario.

use drm_cgroup_host::{
    mul_div,
    Flags,
    PATH_CHUNK,
    UNLIMITED, //
};

use crate::model::{
    Model,
    Real,
    FDS, //
};
use crate::model_ops::{
    apply,
    check_state,
    same,
    Mismatch,
    Op, //
};

/// Most operations decoded from one input, so that every execution stays short.
pub const MAX_OPS: usize = 256;

/// Most nodes of a shallow tree.
const MAX_SHALLOW: usize = 12;

/// An operation decoded from the fuzzer's bytes.
#[derive(Clone, Debug)]
pub(crate) enum FuzzOp {
    /// An operation of the property test, applied to the core and to the model.
    Op(Op),
    /// `mul_div(a, b, c)`, compared with `u128` arithmetic.
    MulDiv(u64, u64, u64),
}

/// Reads the fuzzer's bytes; past the end every read gives zeros.
struct Bytes<'a> {
    data: &'a [u8],
}

impl Bytes<'_> {
    fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    fn u8(&mut self) -> u8 {
        match self.data.split_first() {
            Some((&b, rest)) => {
                self.data = rest;
                b
            }
            None => 0,
        }
    }

    fn u64(&mut self) -> u64 {
        (0..8).fold(0, |v, _| (v << 8) | u64::from(self.u8()))
    }

    /// A node index below `n`.
    fn node(&mut self, n: usize) -> usize {
        usize::from(self.u8()) % n
    }

    /// `None` or a node index below `n`.
    fn opt_node(&mut self, n: usize) -> Option<usize> {
        let b = usize::from(self.u8());
        (b % 4 != 0).then_some(b % n)
    }

    /// Byte amounts: mostly small and page-sized values, sometimes `u64` edges.
    fn amount(&mut self) -> u64 {
        let tag = self.u8();
        let v = self.u8();
        match tag % 12 {
            0..=5 => u64::from(v % 65),
            6..=9 => u64::from(v % 65) * 4096,
            10 => u64::MAX - u64::from(v % 4),
            _ => self.u64(),
        }
    }

    /// Settings: like amounts, plus "unlimited".
    fn setting(&mut self) -> u64 {
        if self.u8().is_multiple_of(5) {
            UNLIMITED
        } else {
            self.amount()
        }
    }

    /// Eviction options.
    fn flags(&mut self) -> Flags {
        let b = self.u8();
        Flags {
            ignore_low: b & 1 != 0,
            no_evict_others: b & 0x0e == 0x0e,
            only_over_high: b & 0x70 == 0x70,
            no_recursive_prot: b & 0x80 != 0,
        }
    }

    /// The parent of every node but the root: a shallow tree or a chain deeper than the
    /// core's on-stack path chunk with a few side branches.
    fn tree(&mut self) -> Vec<usize> {
        let shape = self.u8();
        if shape % 5 == 4 {
            let n = PATH_CHUNK + usize::from(shape / 5) % (PATH_CHUNK + 9);
            (1..n)
                .map(|i| {
                    if i > 1 && self.u8() & 1 != 0 {
                        i - 2
                    } else {
                        i - 1
                    }
                })
                .collect()
        } else {
            let n = 1 + usize::from(shape / 5) % MAX_SHALLOW;
            (1..n).map(|i| usize::from(self.u8()) % i).collect()
        }
    }

    /// One operation on a tree of `n` nodes.
    fn op(&mut self, n: usize) -> FuzzOp {
        FuzzOp::Op(match self.u8() % 50 {
            0..=10 => Op::Charge(self.node(n), self.amount()),
            11 => Op::ForceCharge(self.node(n), self.amount()),
            12..=17 => Op::Uncharge(self.node(n), self.amount()),
            18..=20 => Op::SetMin(self.node(n), self.setting()),
            21..=23 => Op::SetLow(self.node(n), self.setting()),
            24..=25 => Op::SetHigh(self.node(n), self.setting()),
            26..=27 => Op::SetMax(self.node(n), self.setting()),
            28..=29 => Op::Pin(self.node(n), self.amount()),
            30..=31 => Op::Unpin(self.node(n), self.amount()),
            32..=39 => Op::Evict {
                limit: self.opt_node(n),
                victim: self.node(n),
                evictor: self.opt_node(n),
                flags: self.flags(),
                bytes: self.amount(),
            },
            40..=42 => Op::Below(self.opt_node(n), self.node(n), self.flags()),
            43..=45 => Op::Protection(self.node(n), self.node(n), self.flags()),
            46 => Op::Ancestor(self.node(n), self.node(n)),
            47..=48 => Op::PeakReset(self.node(n), usize::from(self.u8()) % FDS),
            _ => return FuzzOp::MulDiv(self.amount(), self.amount(), self.amount()),
        })
    }
}

/// Decodes a scenario: the tree, then a setup that gives every node some usage and some
/// protection of the same order of magnitude (so that protection matters), then operations.
pub(crate) fn decode(data: &[u8]) -> (Vec<usize>, Vec<FuzzOp>) {
    let mut bytes = Bytes { data };
    let parents = bytes.tree();
    let n = parents.len() + 1;
    let mut ops = Vec::new();
    if bytes.u8() & 1 != 0 {
        for i in 0..n {
            let page = |b: &mut Bytes<'_>| u64::from(b.u8() % 49) * 4096;
            ops.push(FuzzOp::Op(Op::SetMin(i, page(&mut bytes))));
            ops.push(FuzzOp::Op(Op::SetLow(i, page(&mut bytes))));
            ops.push(FuzzOp::Op(Op::Charge(i, page(&mut bytes))));
        }
    }
    while !bytes.is_empty() && ops.len() < MAX_OPS {
        ops.push(bytes.op(n));
    }
    (parents, ops)
}

/// Compares `mul_div(a, b, c)` with `u128` arithmetic.
fn check_mul_div(a: u64, b: u64, c: u64) -> Result<(), Mismatch> {
    // Documented: `u64::MAX` when the quotient does not fit, 0 when `c == 0`.
    let want = match u128::from(a) * u128::from(b) / u128::from(c.max(1)) {
        _ if c == 0 => 0,
        q => u64::try_from(q).unwrap_or(u64::MAX),
    };
    same(mul_div(a, b, c), want, "mul_div")
}

/// Runs the scenario that `data` decodes to on both sides; panics on the first difference.
pub fn run(data: &[u8]) {
    let (parents, ops) = decode(data);
    let mut model = Model::new(&parents);
    let mut real = Real::new(&parents);
    for (step, op) in ops.iter().enumerate() {
        let result = match *op {
            FuzzOp::Op(ref op) => apply(&mut model, &mut real, op),
            FuzzOp::MulDiv(a, b, c) => check_mul_div(a, b, c),
        };
        if let Err(mismatch) = result.and_then(|()| check_state(&model, &real)) {
            panic!("op {}: {:?}: {}", step, op, mismatch);
        }
    }
}
