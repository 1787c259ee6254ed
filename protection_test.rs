// SPDX-License-Identifier: GPL-2.0

//! KUnit suite `drm_cgroup_protection`: effective protection checked against `mm/page_counter.c`.
//!
//! `evict.rs` computes effective protection along one path with its own transcription of
//! memcg's rules, and the host property tests compare it with a reference model that
//! transcribes the same rules, so a misreading shared by both would pass them. Here the oracle
//! is the kernel's own code: each test tree is built twice, once from the controller's counters
//! and once from `struct page_counter`s set up as dmem sets them up (protection tracking on,
//! bytes charged as if they were pages), with the same settings and charges; then, for every
//! node as the root, `page_counter_calculate_protection()` runs over the root's subtree parents
//! first, as dmem and memcg run it, and every descendant's `emin` and `elow` must equal
//! `evict::effective_protection()` relative to the same root, with recursive protection on and
//! off.
//!
//! One difference is deliberate: `page_counter_calculate_protection()` computes nothing for a
//! counter without usage and leaves its last values in place. `effective_protection()` gives
//! such a node its declared values if it is a child of the root and zero below (what the rules
//! give for a usage of zero). No verdict depends on it: a node without usage is within any
//! protection. The suite checks that documented rule for those nodes instead.
//!
//! The values stay within what `page_counter` holds (`PAGE_COUNTER_MAX`). The suite needs
//! `page_counter_calculate_protection()`, which exists with `CONFIG_CGROUP_DMEM` or
//! `CONFIG_MEMCG` (the test configuration has both dmem and this controller, which the
//! benchmark compares).
//!
//! C header: [`include/linux/page_counter.h`](srctree/include/linux/page_counter.h).

#![cfg(all(CONFIG_CGROUP_DRM_KUNIT_TEST, any(CONFIG_CGROUP_DMEM, CONFIG_MEMCG)))]

use kernel::{
    bindings,
    page::PAGE_SIZE,
    prelude::*, //
};

use crate::charge::{
    set_low,
    set_min,
    test_node::TestNode,
    try_charge, //
};
use crate::evict::{
    effective_protection,
    EvictFlags,
    Protection, //
};
use crate::test_rng::Rng;

/// Largest number of nodes of a test tree, the root included.
const MAX_NODES: usize = 16;

/// Largest depth of a test tree (the root is at depth 0).
const MAX_DEPTH: usize = 5;

/// `PAGE_COUNTER_MAX` on 64-bit: the largest value a `page_counter` holds.
const PAGE_COUNTER_MAX: u64 = (u64::MAX >> 1) / PAGE_SIZE as u64;

/// One mebibyte.
const MB: u64 = 1 << 20;

/// A test tree: shape, settings and charges.
#[derive(Clone, Copy)]
struct Spec {
    /// Number of nodes.
    len: usize,
    /// Parent of each node; node 0 is the root and a parent has a lower index than its child.
    parents: [usize; MAX_NODES],
    /// Depth of each node.
    depth: [usize; MAX_NODES],
    /// `min` of each node (none for the root, as in a cgroup hierarchy).
    min: [u64; MAX_NODES],
    /// `low` of each node (none for the root).
    low: [u64; MAX_NODES],
    /// Bytes charged directly to each node.
    charge: [u64; MAX_NODES],
}

impl Spec {
    /// Creates a tree from its parents (`parents[0]` is ignored), without settings or charges.
    fn new(parents: &[usize]) -> Result<Self> {
        let mut spec = Spec {
            len: parents.len(),
            parents: [0; MAX_NODES],
            depth: [0; MAX_NODES],
            min: [0; MAX_NODES],
            low: [0; MAX_NODES],
            charge: [0; MAX_NODES],
        };
        if parents.is_empty() || parents.len() > MAX_NODES {
            return Err(EINVAL);
        }
        for (i, &p) in parents.iter().enumerate().skip(1) {
            if p >= i || spec.depth[p] >= MAX_DEPTH {
                return Err(EINVAL);
            }
            spec.parents[i] = p;
            spec.depth[i] = spec.depth[p] + 1;
        }
        Ok(spec)
    }

    /// Returns whether `node` is a strict descendant of `root`.
    fn below(&self, root: usize, node: usize) -> bool {
        let mut cur = node;
        while cur != 0 {
            cur = self.parents[cur];
            if cur == root {
                return true;
            }
        }
        false
    }
}

/// Random trees from the tests' generator: the same on every run.
impl Rng {
    /// Returns a random index below `n` (which must not be zero).
    fn index(&mut self, n: usize) -> usize {
        // CAST: `n` is at most `MAX_NODES`, and so is the result.
        self.below(n as u64) as usize
    }

    /// Returns a random tree of at most [`MAX_NODES`] nodes and depth [`MAX_DEPTH`].
    fn spec(&mut self) -> Result<Spec> {
        let len = 2 + self.index(MAX_NODES - 1);
        let mut parents = [0; MAX_NODES];
        let mut depth = [0; MAX_NODES];
        for i in 1..len {
            let mut p = self.index(i);
            if depth[p] == MAX_DEPTH {
                p = parents[p];
            }
            parents[i] = p;
            depth[i] = depth[p] + 1;
        }
        let mut spec = Spec::new(&parents[..len])?;
        // One scale per tree, so that claims are overcommitted in some trees and not in others.
        let unit = [1, 4096, MB][self.index(3)];
        for i in 1..len {
            spec.min[i] = self.setting(unit);
            spec.low[i] = self.setting(unit);
            spec.charge[i] = if self.below(3) == 0 {
                0
            } else {
                self.below(64) * unit
            };
        }
        Ok(spec)
    }

    /// Returns a random `min` or `low`: often none, sometimes unlimited.
    fn setting(&mut self, unit: u64) -> u64 {
        match self.below(8) {
            0..=2 => 0,
            3 => PAGE_COUNTER_MAX,
            _ => self.below(160) * unit,
        }
    }
}

/// Converts a test value for `page_counter`.
fn pages(value: u64) -> Result<usize> {
    usize::try_from(value).map_err(|_| ERANGE)
}

/// The oracle: `struct page_counter`s linked as the nodes of a [`Spec`].
///
/// # Invariants
///
/// `counters` has one initialised counter per node and is never resized, so pointers to its
/// elements stay valid while `self` lives. The `parent` of counter 0 is null; that of every
/// other counter points to the counter of the node's parent in `counters`. Only `self` accesses
/// the counters.
struct Oracle {
    /// The counters, indexed like the nodes.
    counters: KVec<bindings::page_counter>,
}

impl Oracle {
    /// Builds the counters of `spec`, as `page_counter_init(counter, parent, true)` does.
    fn new(spec: &Spec) -> Result<Self> {
        let mut counters = KVec::with_capacity(spec.len, GFP_KERNEL)?;
        for _ in 0..spec.len {
            counters.push(bindings::page_counter::default(), GFP_KERNEL)?;
        }
        let base = counters.as_mut_ptr();
        for i in 0..spec.len {
            let parent = if i == 0 {
                core::ptr::null_mut()
            } else {
                base.wrapping_add(spec.parents[i])
            };
            // SAFETY: `i` is below the length of `counters`, whose elements are initialised, and
            // no other reference to them exists.
            let counter = unsafe { &mut *base.add(i) };
            counter.max = pages(PAGE_COUNTER_MAX)?;
            counter.protection_support = true;
            counter.parent = parent;
        }
        // INVARIANT: One counter per node, linked to its parent's; `counters` is not resized
        // after this and is private to `self`.
        Ok(Self { counters })
    }

    /// Returns a pointer to counter `i`.
    ///
    /// # Panics
    ///
    /// Panics if there is no counter `i` (a bug of the test).
    fn counter(&mut self, i: usize) -> *mut bindings::page_counter {
        assert!(i < self.counters.len());
        self.counters.as_mut_ptr().wrapping_add(i)
    }

    /// Applies the settings and charges of `spec`, with dmem's calls.
    fn apply(&mut self, spec: &Spec) -> Result {
        for i in 1..spec.len {
            let counter = self.counter(i);
            let (min, low, charge) = (
                pages(spec.min[i])?,
                pages(spec.low[i])?,
                pages(spec.charge[i])?,
            );
            // SAFETY: `counter` and its ancestors are valid, initialised counters that only this
            // test uses (type invariants); these functions need nothing else.
            unsafe {
                bindings::page_counter_set_min(counter, min);
                bindings::page_counter_set_low(counter, low);
                bindings::page_counter_charge(counter, charge);
            }
        }
        Ok(())
    }

    /// Returns the usage of counter `i`, as `page_counter_read()`.
    fn usage(&mut self, i: usize) -> u64 {
        let counter = self.counter(i);
        // SAFETY: `counter` is valid and no other thread accesses it (type invariants).
        let usage = unsafe { (*counter).usage.counter };
        // CAST: A usage never goes below zero (the test uncharges nothing).
        usage as u64
    }

    /// Computes the effective protection of every descendant of `root`, as memcg and dmem do:
    /// `page_counter_calculate_protection()` over the subtree, parents first, after clearing
    /// every counter's last values.
    fn calculate(&mut self, spec: &Spec, root: usize, recursive: bool) {
        for i in 0..spec.len {
            let counter = self.counter(i);
            // SAFETY: `counter` is valid and no other thread accesses it (type invariants).
            unsafe {
                (*counter).emin = 0;
                (*counter).elow = 0;
            }
        }
        let root_counter = self.counter(root);
        // Parents have lower indices than their children: ascending order is top-down.
        for i in (0..spec.len).filter(|&i| spec.below(root, i)) {
            let counter = self.counter(i);
            // SAFETY: Both counters are valid, `counter` is in `root_counter`'s subtree and its
            // ancestors below `root_counter` were computed before it (top-down order).
            unsafe {
                bindings::page_counter_calculate_protection(root_counter, counter, recursive)
            };
        }
    }

    /// Returns the effective protection that the last [`Oracle::calculate`] gave counter `i`.
    fn protection(&mut self, i: usize) -> Result<Protection> {
        let counter = self.counter(i);
        // SAFETY: `counter` is valid and no other thread accesses it (type invariants).
        let (emin, elow) = unsafe { ((*counter).emin, (*counter).elow) };
        Ok(Protection {
            emin: u64::try_from(emin).map_err(|_| ERANGE)?,
            elow: u64::try_from(elow).map_err(|_| ERANGE)?,
        })
    }
}

/// What one comparison found.
#[derive(Clone, Copy, Default)]
struct Tally {
    /// Values compared with `page_counter`'s (nodes with usage).
    compared: u32,
    /// Of those, values that differ from the node's own claim, `min(usage, setting)`: shaped by
    /// the parent's cap, overcommitted sharing or floating protection.
    shaped: u32,
    /// Values that differ from the oracle (or, without usage, from the documented rule).
    differences: u32,
}

impl core::ops::AddAssign for Tally {
    fn add_assign(&mut self, other: Self) {
        self.compared += other.compared;
        self.shaped += other.shaped;
        self.differences += other.differences;
    }
}

/// Builds the nodes of `spec` at `depth` and below, under the ones in `built`, then compares.
///
/// Each depth's nodes live in their own vector, which the deeper levels borrow.
fn build<'a>(
    spec: &Spec,
    built: [Option<&'a TestNode<'a>>; MAX_NODES],
    depth: usize,
    oracle: &mut Oracle,
) -> Result<Tally> {
    if depth > MAX_DEPTH {
        return compare(spec, &built, oracle);
    }
    let mut level: KVec<TestNode<'a>> = KVec::with_capacity(spec.len, GFP_KERNEL)?;
    for i in (1..spec.len).filter(|&i| spec.depth[i] == depth) {
        level.push(TestNode::new(built[spec.parents[i]]), GFP_KERNEL)?;
    }
    let mut nodes: [Option<&TestNode<'_>>; MAX_NODES] = built;
    let mut new = level.iter();
    for i in (1..spec.len).filter(|&i| spec.depth[i] == depth) {
        nodes[i] = new.next();
    }
    build(spec, nodes, depth + 1, oracle)
}

/// Applies `spec` to both trees and compares every effective protection; each difference is
/// reported in the kernel log.
fn compare(
    spec: &Spec,
    nodes: &[Option<&TestNode<'_>>; MAX_NODES],
    oracle: &mut Oracle,
) -> Result<Tally> {
    let node = |i: usize| nodes[i].ok_or(EINVAL);
    for i in 1..spec.len {
        set_min(node(i)?, spec.min[i]);
        set_low(node(i)?, spec.low[i]);
        if try_charge(node(i)?, spec.charge[i]).is_err() {
            return Err(EINVAL);
        }
    }
    oracle.apply(spec)?;
    let mut tally = Tally::default();
    for i in 0..spec.len {
        if node(i)?.counter.usage() != oracle.usage(i) {
            pr_err!("node {i}: usage differs from page_counter's\n");
            tally.differences += 1;
        }
    }
    for root in 0..spec.len {
        for recursive in [true, false] {
            let flags = if recursive {
                EvictFlags::NONE
            } else {
                EvictFlags::NO_RECURSIVE_PROT
            };
            oracle.calculate(spec, root, recursive);
            for i in (0..spec.len).filter(|&i| spec.below(root, i)) {
                let ours = effective_protection(node(root)?, node(i)?, flags);
                let usage = oracle.usage(i);
                let want = if usage != 0 {
                    let want = oracle.protection(i)?;
                    tally.compared += 2;
                    tally.shaped += u32::from(want.emin != usage.min(spec.min[i]))
                        + u32::from(want.elow != usage.min(spec.low[i]));
                    want
                } else if spec.parents[i] == root {
                    Protection {
                        emin: spec.min[i],
                        elow: spec.low[i],
                    }
                } else {
                    Protection::default()
                };
                if ours != Some(want) {
                    pr_err!(
                        "root {root}, node {i}, recursive {recursive}: {ours:?}, page_counter {want:?}\n"
                    );
                    tally.differences += 1;
                }
            }
        }
    }
    if tally.differences != 0 {
        pr_err!(
            "tree: parents {:?} min {:?} low {:?} charge {:?}\n",
            &spec.parents[..spec.len],
            &spec.min[..spec.len],
            &spec.low[..spec.len],
            &spec.charge[..spec.len]
        );
    }
    Ok(tally)
}

/// Builds `spec` on both sides and compares them.
fn check(spec: &Spec) -> Result<Tally> {
    let mut oracle = Oracle::new(spec)?;
    let root = TestNode::new(None);
    let mut built = [None; MAX_NODES];
    built[0] = Some(&root);
    build(spec, built, 1, &mut oracle)
}

#[kernel::macros::kunit_tests(drm_cgroup_protection)]
mod tests {
    use super::*;

    /// The shape of memcg's `test_memcg_protection()`: A (the limited parent), B (protected,
    /// 50M), its children C (75M), D (25M), E (none) and F (500M, unused), and B's sibling G.
    fn memcg_shape(min: bool, usage: [u64; 5]) -> Result<Spec> {
        let mut spec = Spec::new(&[0, 0, 1, 2, 2, 2, 2, 1])?;
        for (node, setting) in [(2, 50), (3, 75), (4, 25), (5, 0), (6, 500)] {
            if min {
                spec.min[node] = setting * MB;
            } else {
                spec.low[node] = setting * MB;
            }
        }
        for (node, used) in [3, 4, 5, 6, 7].into_iter().zip(usage) {
            spec.charge[node] = used * MB;
        }
        Ok(spec)
    }

    /// The selftest's tree with `min` and with `low`, before G allocates, while it holds 148M,
    /// at the distribution the selftest expects after reclaim (C ≈ 29M, D ≈ 21M), while G takes
    /// 170M, and with B's protection partly unclaimed (C 10M, D 30M, E 20M), where it floats
    /// to D's and E's unprotected usage.
    #[test]
    fn memcg_selftest_shapes() -> Result {
        for min in [true, false] {
            for usage in [
                [50, 50, 50, 0, 0],
                [50, 50, 50, 0, 148],
                [29, 21, 0, 0, 148],
                [20, 10, 0, 0, 170],
                [10, 30, 20, 0, 148],
            ] {
                assert_eq!(check(&memcg_shape(min, usage)?)?.differences, 0);
            }
        }
        Ok(())
    }

    /// A protecting 10 with X claiming 100: relative to A, X keeps its declared 100; relative
    /// to the root, A's 10 caps it.
    #[test]
    fn parent_cap_relative_to_root() -> Result {
        let mut spec = Spec::new(&[0, 0, 1, 1, 0])?;
        spec.min[1] = 10;
        spec.low[1] = 10;
        spec.min[2] = 100;
        spec.low[2] = 100;
        spec.charge[2] = 100;
        spec.charge[3] = 50;
        spec.charge[4] = 10;
        assert_eq!(check(&spec)?.differences, 0);
        Ok(())
    }

    /// Random trees of up to 16 nodes and depth 5, at three scales, every node as the root.
    #[test]
    fn random_trees() -> Result {
        let mut rng = Rng(0x2545_f491_4f6c_dd1d);
        let mut tally = Tally::default();
        for _ in 0..300 {
            tally += check(&rng.spec()?)?;
        }
        pr_info!(
            "random trees: {} values compared, {} shaped by the tree\n",
            tally.compared,
            tally.shaped
        );
        assert_eq!(tally.differences, 0);
        // The trees exercise the rules, not only each node's own claim.
        assert!(tally.compared >= 5000);
        assert!(tally.shaped >= 1000);
        Ok(())
    }

    /// Values near the top of `page_counter`'s range, where the proportional shares need the
    /// full 128-bit product.
    #[test]
    fn large_values() -> Result {
        let big = PAGE_COUNTER_MAX / 4;
        let mut spec = Spec::new(&[0, 0, 1, 1, 1, 0])?;
        spec.min[1] = big;
        spec.low[1] = big / 3;
        for (node, setting) in [(2, big), (3, big / 2), (4, 0)] {
            spec.min[node] = setting;
            spec.low[node] = setting;
        }
        spec.charge[2] = big - 7;
        spec.charge[3] = big / 2 + 3;
        spec.charge[4] = big / 5;
        spec.charge[5] = 12345;
        assert_eq!(check(&spec)?.differences, 0);
        Ok(())
    }
}
