// SPDX-License-Identifier: GPL-2.0

//! Property test: the accounting core against a deliberately simple reference model.
//!
//! The model keeps the tree in a `Vec`, applies every charge with plain arithmetic, and answers
//! every protection question with a full top-down pass over the whole subtree of the decision
//! root, recomputing the children's protected-usage sums from scratch and dividing with `u128`.
//! It shares no code with the core and lives in `common/model.rs`; the operations and their
//! comparison on both sides are in `common/model_ops.rs`. The fuzz crate uses both files too.
//! Random trees (shallow ones, and chains deeper than the core's on-stack path chunk), settings
//! and operation sequences go through both, and every answer and every counter of every node
//! must be identical after every operation.

use drm_cgroup_host::{
    effective_protection,
    evict_valuable,
    mul_div,
    Flags,
    PATH_CHUNK,
    UNLIMITED, //
};
use proptest::prelude::*;

#[path = "common/model.rs"]
mod model;
#[path = "common/model_ops.rs"]
mod model_ops;

use model::{
    Model,
    Real,
    FDS, //
};
use model_ops::{
    apply,
    check_state,
    Op, //
};

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
        2 => (node.clone(), amount()).prop_map(|(i, a)| Op::ForceCharge(i, a)),
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

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Every answer and every counter matches the reference model after every operation.
    #[test]
    fn core_matches_reference_model((parents, ops) in scenario()) {
        let mut model = Model::new(&parents);
        let mut real = Real::new(&parents);
        for op in &ops {
            apply(&mut model, &mut real, op)
                .and_then(|()| check_state(&model, &real))
                .map_err(|e| TestCaseError::fail(format!("{:?}: {}", op, e)))?;
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
