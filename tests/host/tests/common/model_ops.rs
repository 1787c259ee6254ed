// SPDX-License-Identifier: GPL-2.0

//! The operations run on the accounting core and on the reference model side by side, and the
//! comparison of the two after each.
//!
//! Shared by the property test `tests/host/tests/reference_model.rs` and the fuzz crate
//! `tests/fuzz`, which include this file by path next to `model.rs` (as the module `model`).
//! Each generates operations its own way; [`apply`] runs one on both sides and compares the
//! answers, and [`check_state`] compares every counter of every node. Both return a
//! [`Mismatch`] describing the first difference, which the property test reports as a failed
//! case and the fuzz target as a panic.

use std::fmt;

use drm_cgroup_host::{
    below_low,
    below_min,
    common_ancestor,
    effective_protection,
    evict_valuable,
    report_eviction,
    Flags, //
};

use crate::model::{
    Model,
    Real,
    FDS, //
};

/// An operation applied to both sides.
#[derive(Clone, Debug)]
pub(crate) enum Op {
    /// `try_charge`.
    Charge(usize, u64),
    /// `force_charge`.
    ForceCharge(usize, u64),
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

/// A difference between the core and the model: what differs, with both values.
#[derive(Debug)]
pub(crate) struct Mismatch(pub(crate) String);

impl fmt::Display for Mismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Returns a [`Mismatch`] naming `what` unless the core's value `core` is the model's `model`.
///
/// `what` is formatted only on a mismatch, so the comparisons stay cheap.
pub(crate) fn same<T: PartialEq + fmt::Debug>(
    core: T,
    model: T,
    what: impl fmt::Display,
) -> Result<(), Mismatch> {
    if core == model {
        Ok(())
    } else {
        Err(Mismatch(format!(
            "{}: core {:?}, model {:?}",
            what, core, model
        )))
    }
}

/// Names a counter of a node in a [`Mismatch`]: `"usage", 3` reads "usage of node 3".
struct Counter(&'static str, usize);

impl fmt::Display for Counter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} of node {}", self.0, self.1)
    }
}

/// Checks that every counter of every node is the same on both sides.
pub(crate) fn check_state(model: &Model, real: &Real) -> Result<(), Mismatch> {
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
        let at = |what| Counter(what, i);
        same(p.usage(), m.usage, at("usage"))?;
        same(p.min(), m.min, at("min"))?;
        same(p.low(), m.low, at("low"))?;
        same(p.high(), m.high, at("high"))?;
        same(p.max(), m.max, at("max"))?;
        same(p.pinned(), m.pinned, at("pinned"))?;
        same(p.watermark(), m.watermark, at("watermark"))?;
        same(p.events(), m.events, at("events"))?;
        same(p.events_local(), m.events_local, at("local events"))?;
        same(p.evicted_bytes(), m.evicted_bytes, at("evicted"))?;
        same(p.evictions(), m.evictions, at("evictions"))?;
        let children = |what, core: u64, sum: u128| {
            same(u128::from(core), sum, at(what))?;
            // The children's usage is part of this node's usage.
            if sum > u128::from(m.usage) {
                return Err(Mismatch(format!(
                    "{} in the model: {} above the usage {}",
                    at(what),
                    sum,
                    m.usage
                )));
            }
            Ok(())
        };
        children(
            "children_min_usage",
            p.children_min_usage(),
            children_min[i],
        )?;
        children(
            "children_low_usage",
            p.children_low_usage(),
            children_low[i],
        )?;
        for f in 0..FDS {
            let fd = &real.fds[i][f];
            same(
                fd.is_registered(),
                m.fds[f].is_some(),
                format_args!("registration of peak file {} of node {}", f, i),
            )?;
            same(
                fd.read(p),
                m.fds[f].unwrap_or(m.watermark),
                format_args!("peak file {} of node {}", f, i),
            )?;
        }
    }
    Ok(())
}

/// Applies one operation to both sides and compares the answers.
pub(crate) fn apply(model: &mut Model, real: &mut Real, op: &Op) -> Result<(), Mismatch> {
    let pool = |i: usize| &*real.pools[i];
    match *op {
        Op::Charge(i, bytes) => {
            let got = match real.pools[i].try_charge(bytes) {
                Ok(over) => Ok(over.map(|p| real.index(p))),
                Err(limit) => Err(real.index(limit)),
            };
            same(got, model.charge(i, bytes), "try_charge")?;
        }
        Op::ForceCharge(i, bytes) => {
            if !model.force_overflows(i, bytes) {
                let got = real.pools[i].force_charge(bytes).map(|p| real.index(p));
                same(got, model.force_charge(i, bytes), "force_charge")?;
            }
        }
        Op::Uncharge(i, bytes) => {
            if !model.takes_descendants_bytes(i, bytes) {
                let got = real.pools[i].uncharge(bytes);
                same(got, model.uncharge(i, bytes), "uncharge")?;
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
            let got = real.pools[i].set_high(v);
            same(got, model.nodes[i].usage, "set_high")?;
            model.nodes[i].high = v;
        }
        Op::SetMax(i, v) => {
            let got = real.pools[i].set_max(v);
            same(got, model.nodes[i].usage, "set_max")?;
            model.nodes[i].max = v;
        }
        Op::Pin(i, bytes) => {
            let got = real.pools[i].pin(bytes);
            same(got, model.pin(i, bytes), "pin")?;
        }
        Op::Unpin(i, bytes) => {
            let got = real.pools[i].unpin(bytes);
            same(got, model.unpin(i, bytes), "unpin")?;
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
            same(got, want, "evict_valuable")?;
            if got.may_evict() {
                report_eviction(pool(victim), bytes, got);
                model.report_eviction(victim, bytes, want);
            }
        }
        Op::Below(root, i, flags) => {
            same(
                below_min(root.map(pool), pool(i), flags),
                model.below(root, i, flags, false),
                "below_min",
            )?;
            same(
                below_low(root.map(pool), pool(i), flags),
                model.below(root, i, flags, true),
                "below_low",
            )?;
        }
        Op::Protection(root, i, flags) => {
            same(
                effective_protection(pool(root), pool(i), flags),
                model.protection_all(root, !flags.no_recursive_prot)[i],
                "effective_protection",
            )?;
        }
        Op::Ancestor(a, b) => {
            let got = common_ancestor(pool(a), pool(b)).map(|p| real.index(p));
            same(got, Some(model.lca(a, b)), "common_ancestor")?;
        }
        Op::PeakReset(i, f) => {
            let watchers = &real.watchers[i];
            let fds = &real.fds[i];
            let register = fds[f].reset(pool(i), watchers.iter().map(|&w| &fds[w]));
            if register {
                real.watchers[i].push(f);
            }
            let m = &mut model.nodes[i];
            same(register, m.fds[f].is_none(), "peak file registration")?;
            m.fds[f] = Some(m.usage);
        }
    }
    Ok(())
}
