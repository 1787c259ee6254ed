// SPDX-License-Identifier: GPL-2.0

//! Property test: the accounting core against a deliberately simple reference model.
//!
//! The model keeps the tree in a `Vec`, applies every charge with plain arithmetic, and answers
//! every protection question with a full top-down pass over the whole subtree of the decision
//! root, recomputing the children's protected-usage sums from scratch and dividing with `u128`.
//! It shares no code with the core and lives in `common/model.rs`, which the fuzz crate uses
//! too. Random trees (shallow ones, and chains deeper than the
//! core's on-stack path chunk), settings and operation sequences go through both, and every
//! answer and every counter of every node must be identical after every operation.

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
use proptest::prelude::*;

#[path = "common/model.rs"]
mod model;

use model::{
    Model,
    Real,
    FDS, //
};

/// An operation applied to both sides.
#[derive(Clone, Debug)]
enum Op {
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
}

/// Byte amounts: mostly small and page-sized values, sometimes `u64` edges.
fn amount() -> impl Strategy<Value = u64> {
    prop_oneof![
        6 => 0..=64u64,
        4 => (0..=64u64).prop_map(|k| k * 4096),
        1 => (0..=3u64).prop_map(|k| u64::MAX - k),
        1 => any::<u64>(),
    ]
}

/// Settings: like amounts, plus "unlimited".
fn setting() -> impl Strategy<Value = u64> {
    prop_oneof![
        8 => amount(),
        2 => Just(UNLIMITED),
    ]
}

/// Eviction options.
fn flags() -> impl Strategy<Value = Flags> {
    (any::<bool>(), any::<u8>(), any::<u8>(), any::<bool>()).prop_map(|(i, o, h, r)| Flags {
        ignore_low: i,
        no_evict_others: o < 25,
        only_over_high: h < 25,
        no_recursive_prot: r,
    })
}

/// One operation on a tree of `n` nodes.
fn op(n: usize) -> impl Strategy<Value = Op> {
    let node = 0..n;
    let opt = proptest::option::of(0..n);
    prop_oneof![
        12 => (node.clone(), amount()).prop_map(|(i, a)| Op::Charge(i, a)),
        6 => (node.clone(), amount()).prop_map(|(i, a)| Op::Uncharge(i, a)),
        3 => (node.clone(), setting()).prop_map(|(i, v)| Op::SetMin(i, v)),
        3 => (node.clone(), setting()).prop_map(|(i, v)| Op::SetLow(i, v)),
        2 => (node.clone(), setting()).prop_map(|(i, v)| Op::SetHigh(i, v)),
        2 => (node.clone(), setting()).prop_map(|(i, v)| Op::SetMax(i, v)),
        2 => (node.clone(), amount()).prop_map(|(i, a)| Op::Pin(i, a)),
        2 => (node.clone(), amount()).prop_map(|(i, a)| Op::Unpin(i, a)),
        8 => (opt.clone(), node.clone(), opt.clone(), flags(), amount()).prop_map(
            |(limit, victim, evictor, flags, bytes)| Op::Evict {
                limit,
                victim,
                evictor,
                flags,
                bytes,
            }
        ),
        3 => (opt, node.clone(), flags()).prop_map(|(r, i, f)| Op::Below(r, i, f)),
        3 => (node.clone(), node.clone(), flags()).prop_map(|(r, i, f)| Op::Protection(r, i, f)),
        1 => (node.clone(), node.clone()).prop_map(|(a, b)| Op::Ancestor(a, b)),
        2 => (node, 0..FDS).prop_map(|(i, f)| Op::PeakReset(i, f)),
    ]
}

/// A tree (the parent of every node but the root) and an operation sequence on it.
fn scenario() -> impl Strategy<Value = (Vec<usize>, Vec<Op>)> {
    let shallow = (1..=12usize)
        .prop_flat_map(|n| {
            (1..n)
                .map(|i| 0..i)
                .collect::<Vec<_>>()
                .prop_map(|parents| parents.into_iter().collect::<Vec<_>>())
        })
        .boxed();
    // Chains deeper than the core's on-stack chunk, with a few side branches.
    let deep = (PATH_CHUNK..=2 * PATH_CHUNK + 8)
        .prop_flat_map(|n| {
            proptest::collection::vec(any::<bool>(), n).prop_map(|branch| {
                (1..branch.len())
                    .map(|i| if branch[i] && i > 1 { i - 2 } else { i - 1 })
                    .collect::<Vec<_>>()
            })
        })
        .boxed();
    prop_oneof![4 => shallow, 1 => deep].prop_flat_map(|parents| {
        let n = parents.len() + 1;
        // Start from a state where protection matters: every node gets some usage and some
        // protection of the same order of magnitude.
        let page = (0..=48u64).prop_map(|k| k * 4096);
        let setup =
            proptest::collection::vec((page.clone(), page.clone(), page), n).prop_map(|nodes| {
                nodes
                    .into_iter()
                    .enumerate()
                    .flat_map(|(i, (min, low, usage))| {
                        [Op::SetMin(i, min), Op::SetLow(i, low), Op::Charge(i, usage)]
                    })
                    .collect::<Vec<_>>()
            });
        (
            Just(parents),
            setup,
            proptest::collection::vec(op(n), 1..80),
        )
            .prop_map(|(parents, mut ops, more)| {
                ops.extend(more);
                (parents, ops)
            })
    })
}

/// Checks that every counter of every node is the same on both sides.
fn check_state(model: &Model, real: &Real) -> Result<(), TestCaseError> {
    for (i, (m, p)) in model.nodes.iter().zip(&real.pools).enumerate() {
        prop_assert_eq!(p.usage(), m.usage, "usage of {}", i);
        prop_assert_eq!(p.min(), m.min, "min of {}", i);
        prop_assert_eq!(p.low(), m.low, "low of {}", i);
        prop_assert_eq!(p.high(), m.high, "high of {}", i);
        prop_assert_eq!(p.max(), m.max, "max of {}", i);
        prop_assert_eq!(p.pinned(), m.pinned, "pinned of {}", i);
        prop_assert_eq!(p.watermark(), m.watermark, "watermark of {}", i);
        prop_assert_eq!(p.events(), m.events, "events of {}", i);
        prop_assert_eq!(p.events_local(), m.events_local, "local events of {}", i);
        prop_assert_eq!(p.evicted_bytes(), m.evicted_bytes, "evicted of {}", i);
        prop_assert_eq!(p.evictions(), m.evictions, "evictions of {}", i);
        prop_assert_eq!(
            p.children_min_usage(),
            model.children_protected(i, |m| m.min),
            "children_min_usage of {}",
            i
        );
        prop_assert_eq!(
            p.children_low_usage(),
            model.children_protected(i, |m| m.low),
            "children_low_usage of {}",
            i
        );
        for f in 0..FDS {
            let fd = &real.fds[i][f];
            prop_assert_eq!(fd.is_registered(), m.fds[f].is_some());
            prop_assert_eq!(
                fd.read(p),
                m.fds[f].unwrap_or(m.watermark),
                "peak file {} of {}",
                f,
                i
            );
        }
    }
    Ok(())
}

/// Applies one operation to both sides and compares the answers.
fn apply(model: &mut Model, real: &mut Real, op: &Op) -> Result<(), TestCaseError> {
    let pool = |i: usize| &*real.pools[i];
    match *op {
        Op::Charge(i, bytes) => {
            let got = match real.pools[i].try_charge(bytes) {
                Ok(over) => Ok(over.map(|p| real.index(p))),
                Err(limit) => Err(real.index(limit)),
            };
            prop_assert_eq!(got, model.charge(i, bytes));
        }
        Op::Uncharge(i, bytes) => {
            if !model.takes_descendants_bytes(i, bytes) {
                prop_assert_eq!(real.pools[i].uncharge(bytes), model.uncharge(i, bytes));
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
            prop_assert_eq!(real.pools[i].set_high(v), model.nodes[i].usage);
            model.nodes[i].high = v;
        }
        Op::SetMax(i, v) => {
            prop_assert_eq!(real.pools[i].set_max(v), model.nodes[i].usage);
            model.nodes[i].max = v;
        }
        Op::Pin(i, bytes) => {
            prop_assert_eq!(real.pools[i].pin(bytes), model.pin(i, bytes));
        }
        Op::Unpin(i, bytes) => {
            prop_assert_eq!(real.pools[i].unpin(bytes), model.unpin(i, bytes));
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
            prop_assert_eq!(got, want);
            if got.may_evict() {
                report_eviction(pool(victim), bytes, got);
                model.report_eviction(victim, bytes, want);
            }
        }
        Op::Below(root, i, flags) => {
            prop_assert_eq!(
                below_min(root.map(pool), pool(i), flags),
                model.below(root, i, flags, false)
            );
            prop_assert_eq!(
                below_low(root.map(pool), pool(i), flags),
                model.below(root, i, flags, true)
            );
        }
        Op::Protection(root, i, flags) => {
            prop_assert_eq!(
                effective_protection(pool(root), pool(i), flags),
                model.protection_all(root, !flags.no_recursive_prot)[i]
            );
        }
        Op::Ancestor(a, b) => {
            let got = common_ancestor(pool(a), pool(b)).map(|p| real.index(p));
            prop_assert_eq!(got, Some(model.lca(a, b)));
        }
        Op::PeakReset(i, f) => {
            let watchers = &real.watchers[i];
            let fds = &real.fds[i];
            let register = fds[f].reset(pool(i), watchers.iter().map(|&w| &fds[w]));
            if register {
                real.watchers[i].push(f);
            }
            let m = &mut model.nodes[i];
            prop_assert_eq!(register, m.fds[f].is_none());
            m.fds[f] = Some(m.usage);
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Every answer and every counter matches the reference model after every operation.
    #[test]
    fn core_matches_reference_model((parents, ops) in scenario()) {
        let mut model = Model::new(&parents);
        let mut real = Real::new(&parents);
        for op in &ops {
            apply(&mut model, &mut real, op)?;
            check_state(&model, &real)?;
        }
    }

    /// The exact `a * b / c` without `u128` division matches `u128` arithmetic.
    #[test]
    fn mul_div_matches_u128(a in any::<u64>(), c in 1..=u64::MAX, frac in any::<u64>()) {
        // `b <= c`, as the core's callers guarantee, so the quotient fits.
        let b = mul_div(c, frac, u64::MAX);
        prop_assert!(b <= c);
        let want = u128::from(a) * u128::from(b) / u128::from(c);
        prop_assert_eq!(u128::from(mul_div(a, b, c)), want);
    }

    /// Small divisors and dividends near the edges, where quotient digit corrections happen.
    #[test]
    fn mul_div_edges(a in prop_oneof![any::<u64>(), (0..64u32).prop_map(|s| u64::MAX >> s)],
                     b in prop_oneof![any::<u64>(), (0..64u32).prop_map(|s| 1u64 << s)],
                     c in prop_oneof![1..=u64::MAX, (0..64u32).prop_map(|s| (1u64 << s) + 1)]) {
        let want = u128::from(a) * u128::from(b) / u128::from(c);
        let got = mul_div(a, b, c);
        if want > u128::from(u64::MAX) {
            prop_assert_eq!(got, u64::MAX);
        } else {
            prop_assert_eq!(u128::from(got), want);
        }
    }
}

/// A path more than twice as deep as the on-stack chunk gets the same protection as the model.
#[test]
fn deep_chain_protection() {
    let depth = 3 * PATH_CHUNK + 5;
    let parents: Vec<usize> = (0..depth).collect();
    let mut model = Model::new(&parents);
    let real = Real::new(&parents);
    let leaf = depth;
    for (i, pool) in real.pools.iter().enumerate() {
        let v = 1000 - i as u64;
        pool.set_min(v);
        pool.set_low(v + 7);
        model.nodes[i].min = v;
        model.nodes[i].low = v + 7;
    }
    real.pools[leaf].try_charge(900).unwrap();
    real.pools[leaf / 2].try_charge(300).unwrap();
    model.charge(leaf, 900).unwrap();
    model.charge(leaf / 2, 300).unwrap();
    for flags in [
        Flags::default(),
        Flags {
            no_recursive_prot: true,
            ..Flags::default()
        },
    ] {
        let want = model.protection_all(0, !flags.no_recursive_prot);
        for (i, want) in want.iter().enumerate().skip(1) {
            let got = effective_protection(&real.pools[0], &real.pools[i], flags);
            assert_eq!(got, *want, "node {i}");
        }
        let got = evict_valuable(None, &real.pools[leaf], None, flags);
        assert_eq!(got, model.verdict(None, leaf, None, flags));
    }
}
