// SPDX-License-Identifier: GPL-2.0

//! Random operation sequences on a small random tree, run on the accounting core and on the
//! reference model ([`crate::model`]) side by side.
//!
//! [`run`] decodes the fuzzer's bytes into a tree and a sequence of charges, uncharges,
//! settings (`min`, `low`, `high`, `max`), pins, unpins, eviction decisions (with the eviction
//! reported when allowed), protection queries and peak file resets, applies each to both
//! sides, and panics as soon as an answer or any counter of any node differs. Every byte string
//! decodes to some scenario; the decoding is stable, so the inputs under `regressions/ops/`
//! keep meaning the same scenario.

use drm_cgroup_host::{
    below_low,
    below_min,
    common_ancestor,
    effective_protection,
    evict_valuable,
    mul_div,
    report_eviction,
    Flags,
    PATH_CHUNK,
    UNLIMITED, //
};

use crate::model::{
    Model,
    Real,
    FDS, //
};

/// Most operations decoded from one input, so that every execution stays short.
pub const MAX_OPS: usize = 256;

/// Most nodes of a shallow tree.
const MAX_SHALLOW: usize = 12;

/// An operation applied to both sides (as in `tests/host/tests/reference_model.rs`, plus
/// `mul_div`).
#[derive(Clone, Debug)]
pub enum Op {
    /// `try_charge`.
    Charge(usize, u64),
    /// `uncharge`.
    Uncharge(usize, u64),
    /// `set_min`.
    SetMin(usize, u64),
    /// `set_low`.
    SetLow(usize, u64),
    /// `set_high`.
    SetHigh(usize, u64),
    /// `set_max`.
    SetMax(usize, u64),
    /// `pin`.
    Pin(usize, u64),
    /// `unpin`.
    Unpin(usize, u64),
    /// `evict_valuable`, then `report_eviction` of the given bytes if allowed.
    Evict {
        /// The limit pool, if any.
        limit: Option<usize>,
        /// The victim.
        victim: usize,
        /// The evictor, if any.
        evictor: Option<usize>,
        /// The options.
        flags: Flags,
        /// Bytes to report as evicted if the verdict allows it.
        bytes: u64,
    },
    /// `below_min` and `below_low`.
    Below(Option<usize>, usize, Flags),
    /// `effective_protection`.
    Protection(usize, usize, Flags),
    /// `common_ancestor`.
    Ancestor(usize, usize),
    /// A write to a peak file.
    PeakReset(usize, usize),
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
    fn op(&mut self, n: usize) -> Op {
        match self.u8() % 50 {
            0..=11 => Op::Charge(self.node(n), self.amount()),
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
            _ => Op::MulDiv(self.amount(), self.amount(), self.amount()),
        }
    }
}

/// Decodes a scenario: the tree, then a setup that gives every node some usage and some
/// protection of the same order of magnitude (so that protection matters), then operations.
pub fn decode(data: &[u8]) -> (Vec<usize>, Vec<Op>) {
    let mut bytes = Bytes { data };
    let parents = bytes.tree();
    let n = parents.len() + 1;
    let mut ops = Vec::new();
    if bytes.u8() & 1 != 0 {
        for i in 0..n {
            let page = |b: &mut Bytes<'_>| u64::from(b.u8() % 49) * 4096;
            ops.push(Op::SetMin(i, page(&mut bytes)));
            ops.push(Op::SetLow(i, page(&mut bytes)));
            ops.push(Op::Charge(i, page(&mut bytes)));
        }
    }
    while !bytes.is_empty() && ops.len() < MAX_OPS {
        ops.push(bytes.op(n));
    }
    (parents, ops)
}

/// Checks that every counter of every node is the same on both sides.
fn check_state(model: &Model, real: &Real, step: usize) {
    // The children's protected-usage sums, as `Model::children_protected` computes them, in one
    // pass over the nodes instead of one per node (deep chains have up to 72 nodes).
    let mut children_min = vec![0u128; model.nodes.len()];
    let mut children_low = vec![0u128; model.nodes.len()];
    for m in &model.nodes {
        if let Some(p) = m.parent {
            children_min[p] += u128::from(m.usage.min(m.min));
            children_low[p] += u128::from(m.usage.min(m.low));
        }
    }
    for (i, (m, p)) in model.nodes.iter().zip(&real.pools).enumerate() {
        let at = |what: &str| format!("{} of node {} after op {}", what, i, step);
        assert_eq!(p.usage(), m.usage, "{}", at("usage"));
        assert_eq!(p.min(), m.min, "{}", at("min"));
        assert_eq!(p.low(), m.low, "{}", at("low"));
        assert_eq!(p.high(), m.high, "{}", at("high"));
        assert_eq!(p.max(), m.max, "{}", at("max"));
        assert_eq!(p.pinned(), m.pinned, "{}", at("pinned"));
        assert_eq!(p.watermark(), m.watermark, "{}", at("watermark"));
        assert_eq!(p.events(), m.events, "{}", at("events"));
        assert_eq!(p.events_local(), m.events_local, "{}", at("local events"));
        assert_eq!(p.evicted_bytes(), m.evicted_bytes, "{}", at("evicted"));
        assert_eq!(p.evictions(), m.evictions, "{}", at("evictions"));
        assert_eq!(
            u128::from(p.children_min_usage()),
            children_min[i],
            "{}",
            at("children_min_usage")
        );
        assert_eq!(
            u128::from(p.children_low_usage()),
            children_low[i],
            "{}",
            at("children_low_usage")
        );
        for f in 0..FDS {
            let fd = &real.fds[i][f];
            assert_eq!(
                fd.is_registered(),
                m.fds[f].is_some(),
                "{}",
                at("peak file")
            );
            assert_eq!(
                fd.read(p),
                m.fds[f].unwrap_or(m.watermark),
                "{}",
                at("peak file value")
            );
        }
    }
}

/// Applies one operation to both sides and compares the answers.
fn apply(model: &mut Model, real: &mut Real, op: &Op, step: usize) {
    let pool = |i: usize| &*real.pools[i];
    let at = || format!("op {}: {:?}", step, op);
    match *op {
        Op::Charge(i, bytes) => {
            let got = match real.pools[i].try_charge(bytes) {
                Ok(over) => Ok(over.map(|p| real.index(p))),
                Err(limit) => Err(real.index(limit)),
            };
            assert_eq!(got, model.charge(i, bytes), "{}", at());
        }
        Op::Uncharge(i, bytes) => {
            if !model.takes_descendants_bytes(i, bytes) {
                let got = real.pools[i].uncharge(bytes);
                assert_eq!(got, model.uncharge(i, bytes), "{}", at());
            }
        }
        Op::SetMin(i, v) => {
            real.pools[i].set_min(v);
            model.nodes[i].min = v;
        }
        Op::SetLow(i, v) => {
            real.pools[i].set_low(v);
            model.nodes[i].low = v;
        }
        Op::SetHigh(i, v) => {
            assert_eq!(real.pools[i].set_high(v), model.nodes[i].usage, "{}", at());
            model.nodes[i].high = v;
        }
        Op::SetMax(i, v) => {
            assert_eq!(real.pools[i].set_max(v), model.nodes[i].usage, "{}", at());
            model.nodes[i].max = v;
        }
        Op::Pin(i, bytes) => {
            assert_eq!(real.pools[i].pin(bytes), model.pin(i, bytes), "{}", at());
        }
        Op::Unpin(i, bytes) => {
            assert_eq!(
                real.pools[i].unpin(bytes),
                model.unpin(i, bytes),
                "{}",
                at()
            );
        }
        Op::Evict {
            limit,
            victim,
            evictor,
            flags,
            bytes,
        } => {
            let got = evict_valuable(limit.map(pool), pool(victim), evictor.map(pool), flags);
            let want = model.verdict(limit, victim, evictor, flags);
            assert_eq!(got, want, "{}", at());
            if got.may_evict() {
                report_eviction(pool(victim), bytes, got);
                model.report_eviction(victim, bytes, want);
            }
        }
        Op::Below(root, i, flags) => {
            assert_eq!(
                below_min(root.map(pool), pool(i), flags),
                model.below(root, i, flags, false),
                "below_min, {}",
                at()
            );
            assert_eq!(
                below_low(root.map(pool), pool(i), flags),
                model.below(root, i, flags, true),
                "below_low, {}",
                at()
            );
        }
        Op::Protection(root, i, flags) => {
            assert_eq!(
                effective_protection(pool(root), pool(i), flags),
                model.protection_all(root, !flags.no_recursive_prot)[i],
                "{}",
                at()
            );
        }
        Op::Ancestor(a, b) => {
            let got = common_ancestor(pool(a), pool(b)).map(|p| real.index(p));
            assert_eq!(got, Some(model.lca(a, b)), "{}", at());
        }
        Op::PeakReset(i, f) => {
            let watchers = &real.watchers[i];
            let fds = &real.fds[i];
            let register = fds[f].reset(pool(i), watchers.iter().map(|&w| &fds[w]));
            if register {
                real.watchers[i].push(f);
            }
            let m = &mut model.nodes[i];
            assert_eq!(register, m.fds[f].is_none(), "{}", at());
            m.fds[f] = Some(m.usage);
        }
        Op::MulDiv(a, b, c) => {
            // Documented: `u64::MAX` when the quotient does not fit, 0 when `c == 0`.
            let want = match u128::from(a) * u128::from(b) / u128::from(c.max(1)) {
                _ if c == 0 => 0,
                q => u64::try_from(q).unwrap_or(u64::MAX),
            };
            assert_eq!(mul_div(a, b, c), want, "{}", at());
        }
    }
}

/// Runs the scenario that `data` decodes to on both sides; panics on the first difference.
pub fn run(data: &[u8]) {
    let (parents, ops) = decode(data);
    let mut model = Model::new(&parents);
    let mut real = Real::new(&parents);
    for (step, op) in ops.iter().enumerate() {
        apply(&mut model, &mut real, op, step);
        check_state(&model, &real, step);
    }
}
