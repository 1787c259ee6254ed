// SPDX-License-Identifier: GPL-2.0

//! Eviction decisions that honour memory-controller protection at O(depth) cost.
//!
//! C counterparts: `dmem_cgroup_state_evict_valuable()`, `dmem_cgroup_below_min()`/`_low()` and
//! `dmem_cgroup_get_common_ancestor()` in [`kernel/cgroup/dmem.c`](srctree/kernel/cgroup/dmem.c),
//! and the protection rules of [`mm/page_counter.c`](srctree/mm/page_counter.c).
//!
//! # Effective protection
//!
//! A node's effective protection (`emin`, `elow`) is defined exactly as in memcg, relative to a
//! *root* (the node under pressure):
//!
//! 1. The root's children get their declared `min`/`low`.
//! 2. Deeper nodes get `min(usage, setting)`, capped by the parent's effective protection: when
//!    the children's claims (the parent's `children_min_usage`/`children_low_usage`) exceed it,
//!    the parent's protection is shared in proportion to the claims.
//! 3. With recursive protection (the default; see [`EvictFlags::NO_RECURSIVE_PROT`]), protection
//!    the children leave unclaimed is shared in proportion to their unprotected usage.
//!
//! memcg and dmem compute these values statefully, in a pre-order walk of the whole subtree
//! below the root, and dmem repeats that walk for every candidate buffer. Here a node's values
//! depend only on its parent's values and on state that every charge keeps current (the node's
//! usage and settings, the parent's usage and the parent's children sums, see `charge.rs`). So
//! [`effective_protection`] walks just the path from the root down to the node: O(depth), no
//! matter how many cgroups exist. The path is collected into a small on-stack array; paths
//! deeper than [`PATH_CHUNK`] are processed in chunks (O(depth²/`PATH_CHUNK`)), never by
//! recursion. The results are not stored anywhere, so concurrent decisions against different
//! roots cannot disturb each other (the problem memcg's `mem_cgroup_protection()` works around
//! by ignoring stale values), and a node without usage still gets a well-defined value.
//!
//! That value is the only deliberate difference from `page_counter_calculate_protection()`,
//! which computes nothing for a counter without usage and leaves its last values in place: here
//! a child of the root gets its declared values and a deeper node zero, what the rules give for
//! a usage of zero. No verdict depends on it, as a usage of zero is within any protection. The
//! KUnit suite `drm_cgroup_protection` (`protection_test.rs`) checks every other value against
//! `page_counter_calculate_protection()` itself, on the same trees built from `page_counter`s.
//!
//! Charges go on while a decision is taken, so each decision reads every value it uses once:
//! each node's usage (which also serves as the parent's usage one level down and, for the
//! victim, as the usage compared with its protection), settings and children sums. A charge
//! landing between two reads of the victim's usage would otherwise make usage within its
//! protection look above it. The decision then corresponds to values that each counter held at
//! some instant during it; the children sums never count more than the children's published
//! claims (see "Reading the sums" in `charge.rs`), so a claim that the parent's protection
//! covers is never shrunk by a race.
//!
//! The proportional shares are computed exactly, as `mul_u64_u64_div_u64()` does, with a
//! 64×64→128-bit product and a 128÷64-bit division written with 64-bit operations only (the
//! kernel has no `u128` division).
//!
//! # Deciding against a root
//!
//! [`evict_valuable`] decides whether a buffer charged to `victim` may be evicted to make room
//! for an allocation by `evictor`. The protection that applies is the victim's effective
//! protection relative to the *decision root*, the node that memcg's reclaim would start from:
//!
//! - If a `limit` pool refused the charge, the root is that pool (memcg's limit reclaim): only
//!   its subtree may yield memory, and protection is distributed within it.
//! - If the device is full (no limit), the root is the lowest common ancestor of evictor and
//!   victim (what TTM passes to dmem), or the tree root if there is no evictor (memcg's global
//!   reclaim).
//!
//! So the same buffer can be protected from one evictor and not from another. With `A` at
//! `min` 10 and its child `X` at `min` 100 using 100, all of `X`'s 100 are protected against
//! its siblings in `A` (relative to `A`, `X` is a first-level child and gets its declared
//! value) and 10 against cgroups outside `A` (relative to the tree root, `A`'s 10 caps it). The
//! parent's cap, the proportional sharing of overcommitted claims and the floating protection
//! of rules 2 and 3 hold against evictors outside the parent only. This is deliberate:
//!
//! - An eviction for an allocation inside `A` moves device memory from one part of `A` to
//!   another: `A`'s usage does not drop, so `A`'s own protection, and what `A`'s ancestors
//!   granted it, is not what is being spent. How `A`'s memory is split is for `A`'s children's
//!   settings to decide, exactly as memcg decides it when `A` hits its own `max`.
//! - Relative to the tree root instead, `X`'s `min` would count for nothing against `X`'s
//!   siblings (beyond `A`'s 10) precisely when it matters, when the device is full; an
//!   administrator who delegated `A` could not protect one of its jobs from another.
//!
//! A victim on the evictor's own path (the evictor's own node or one of its ancestors) is the
//! decision root itself and is never protected: an allocation may always evict its own
//! cgroup's buffers, and those charged to its ancestors themselves, whatever their `min`.
//! Their protection shields their subtree from the outside, and the evictor is inside; memcg
//! likewise reclaims a limited cgroup's own pages without regard to its protection. A victim
//! below the evictor keeps the protection it has within the evictor's subtree.
//!
//! Unlike dmem, protection is honoured when the decision root is the tree root: upstream returns
//! `true` early when the limit pool is the root, so `min`/`low` between two top-level cgroups
//! are ignored when the device is full.

use core::num::NonZeroU64;

use crate::charge::{
    record_event,
    record_eviction,
    Event,
    Node, //
};

/// Number of path entries kept on the stack while computing effective protection.
pub(crate) const PATH_CHUNK: usize = 32;

/// The outcome of [`evict_valuable`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// The victim may be evicted.
    Yes,
    /// The victim may be evicted because [`EvictFlags::IGNORE_LOW`] was given, but its usage is
    /// within its effective `low`: report the eviction with [`report_eviction`] to count a
    /// `low` event.
    YesBelowLow,
    /// The victim is protected by its effective `low`: a later pass with
    /// [`EvictFlags::IGNORE_LOW`] may evict it (dmem's `ret_hit_low`).
    NoButLow,
    /// The victim must not be evicted.
    No,
}

impl Verdict {
    /// Returns whether the verdict allows the eviction.
    pub(crate) fn may_evict(self) -> bool {
        matches!(self, Verdict::Yes | Verdict::YesBelowLow)
    }
}

/// Options of an eviction decision; combine them with `|`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct EvictFlags(u32);

impl EvictFlags {
    /// No option: honour `low`, allow any victim, recursive protection.
    pub(crate) const NONE: Self = Self(0);
    /// Allow evicting victims within their effective `low` (but never within `min`).
    pub(crate) const IGNORE_LOW: Self = Self(1 << 0);
    /// Only the evictor's own node and its descendants may be victims.
    pub(crate) const NO_EVICT_OTHERS: Self = Self(1 << 1);
    /// Only accept victims whose node or one of its ancestors is above its `high` limit (a first
    /// pass that makes cgroups over their soft limit give memory back first).
    pub(crate) const ONLY_OVER_HIGH: Self = Self(1 << 2);
    /// Turn off recursive protection (memcg without the `memory_recursiveprot` mount option).
    pub(crate) const NO_RECURSIVE_PROT: Self = Self(1 << 3);

    /// Returns the options of both `self` and `other`.
    pub(crate) const fn union(self, other: Self) -> Self {
        Self(self.0 | other.0)
    }

    /// Returns whether all options of `other` are in `self`.
    pub(crate) const fn contains(self, other: Self) -> bool {
        self.0 & other.0 == other.0
    }
}

impl core::ops::BitOr for EvictFlags {
    type Output = Self;

    fn bitor(self, other: Self) -> Self {
        self.union(other)
    }
}

/// Effective protection of a node relative to a root, in bytes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Protection {
    /// Effective `min`: usage up to this is never evicted.
    pub(crate) emin: u64,
    /// Effective `low`: usage up to this is evicted only with [`EvictFlags::IGNORE_LOW`].
    pub(crate) elow: u64,
}

/// Returns `(hi, lo)` such that `a * b == hi * 2^64 + lo`.
fn widening_mul(a: u64, b: u64) -> (u64, u64) {
    const MASK: u64 = 0xffff_ffff;
    let (a1, a0) = (a >> 32, a & MASK);
    let (b1, b0) = (b >> 32, b & MASK);
    // Products of 32-bit halves fit in 64 bits; `mid` is at most three 32-bit values; `hi` is
    // the top half of a product of two 64-bit values. None of these can wrap.
    let p00 = a0.wrapping_mul(b0);
    let p01 = a0.wrapping_mul(b1);
    let p10 = a1.wrapping_mul(b0);
    let p11 = a1.wrapping_mul(b1);
    let mid = (p00 >> 32)
        .wrapping_add(p01 & MASK)
        .wrapping_add(p10 & MASK);
    let lo = (mid << 32) | (p00 & MASK);
    let hi = p11
        .wrapping_add(p01 >> 32)
        .wrapping_add(p10 >> 32)
        .wrapping_add(mid >> 32);
    (hi, lo)
}

/// Returns `(hi * 2^64 + lo) / d`, which must fit in 64 bits (`hi < d`).
///
/// Knuth's algorithm D with 32-bit digits, as `divlu()` in Hacker's Delight (2nd ed., figure
/// 9-3): the divisor is normalised so that each quotient digit estimate is off by at most two.
/// The arithmetic is modulo 2^64 like the C original; intermediate values that the algorithm
/// lets wrap are computed with `wrapping_*`.
fn div_wide(hi: u64, lo: u64, d: u64) -> u64 {
    const B: u64 = 1 << 32;
    const MASK: u64 = B - 1;
    if hi >= d {
        return u64::MAX;
    }
    let Some(s) = NonZeroU64::new(d).map(|d| d.leading_zeros()) else {
        return u64::MAX;
    };
    let v = d << s;
    let (vn1, vn0) = (v >> 32, v & MASK);
    // `v` is normalised, so its top digit is at least 2^31.
    let Some(divisor) = NonZeroU64::new(vn1) else {
        return u64::MAX;
    };
    let un32 = if s == 0 {
        hi
    } else {
        (hi << s) | (lo >> (64 - s))
    };
    let un10 = lo << s;
    let (un1, un0) = (un10 >> 32, un10 & MASK);

    // First quotient digit. `vn1 >= 2^31`, so `q1 < 2^33` and `rhat < 2^32`.
    let mut q1 = un32 / divisor;
    let mut rhat = un32 % divisor;
    while q1 >= B || q1.wrapping_mul(vn0) > rhat.wrapping_mul(B).wrapping_add(un1) {
        q1 = q1.wrapping_sub(1);
        rhat = rhat.wrapping_add(vn1);
        if rhat >= B {
            break;
        }
    }
    let un21 = un32
        .wrapping_mul(B)
        .wrapping_add(un1)
        .wrapping_sub(q1.wrapping_mul(v));

    // Second quotient digit.
    let mut q0 = un21 / divisor;
    let mut rhat = un21 % divisor;
    while q0 >= B || q0.wrapping_mul(vn0) > rhat.wrapping_mul(B).wrapping_add(un0) {
        q0 = q0.wrapping_sub(1);
        rhat = rhat.wrapping_add(vn1);
        if rhat >= B {
            break;
        }
    }
    (q1 << 32) | q0
}

/// Returns `a * b / c` rounded down, exactly; `u64::MAX` if it does not fit, 0 if `c == 0`.
///
/// The callers always have `b <= c`, so the result is at most `a`.
pub(crate) fn mul_div(a: u64, b: u64, c: u64) -> u64 {
    if c == 0 {
        return 0;
    }
    let (hi, lo) = widening_mul(a, b);
    div_wide(hi, lo, c)
}

/// Computes one effective protection value, as `effective_protection()` in `mm/page_counter.c`.
///
/// `siblings_protected` is the parent's children sum for this kind of protection.
fn effective(
    usage: u64,
    parent_usage: u64,
    setting: u64,
    parent_effective: u64,
    siblings_protected: u64,
    recursive: bool,
) -> u64 {
    let protected = usage.min(setting);
    // Overcommitted: share the parent's protection in proportion to the claims.
    if siblings_protected > parent_effective {
        return mul_div(protected, parent_effective, siblings_protected);
    }
    // Undercommitted: every claim is granted.
    let mut ep = protected;
    if !recursive {
        return ep;
    }
    // Share what the children leave unclaimed in proportion to unprotected usage. Usage is read
    // racily, so the child's share is capped to keep the ratio at most one.
    if parent_effective > siblings_protected
        && parent_usage > siblings_protected
        && usage > protected
    {
        let parent_unclaimed = parent_effective - siblings_protected;
        let parent_unprotected = parent_usage - siblings_protected;
        let unprotected = (usage - protected).min(parent_unprotected);
        ep = ep.saturating_add(mul_div(parent_unclaimed, unprotected, parent_unprotected));
    }
    ep
}

/// What a decision reads and computes for one node of the path from the decision root.
#[derive(Clone, Copy)]
struct Level {
    /// The node's usage, read once for the whole decision.
    usage: u64,
    /// The node's effective protection.
    protection: Protection,
}

/// Computes the [`Level`] of `node` given its parent's, which is `None` if `node` is a child of
/// the decision root (rule 1).
///
/// Reads the node's usage and settings and the parent's sums once each; the parent's usage is
/// the one read at the parent's own level, so that a decision never sees two values of one
/// counter.
fn level_protection<N: Node>(node: &N, parent: Option<Level>, recursive: bool) -> Level {
    let counter = node.counter();
    let usage = counter.usage();
    let (Some(parent_level), Some(parent_node)) = (parent, node.parent()) else {
        return Level {
            usage,
            protection: Protection {
                emin: counter.min(),
                elow: counter.low(),
            },
        };
    };
    let parent_counter = parent_node.counter();
    let parent_usage = parent_level.usage;
    let parent_protection = parent_level.protection;
    Level {
        usage,
        protection: Protection {
            emin: effective(
                usage,
                parent_usage,
                counter.min(),
                parent_protection.emin,
                parent_counter.children_min_usage_at(parent_usage),
                recursive,
            ),
            elow: effective(
                usage,
                parent_usage,
                counter.low(),
                parent_protection.elow,
                parent_counter.children_low_usage_at(parent_usage),
                recursive,
            ),
        },
    }
}

/// Returns how many levels `ancestor` is above `node` (0 if they are the same node), or `None`
/// if it is not an ancestor.
pub(crate) fn distance<N: Node>(ancestor: &N, node: &N) -> Option<usize> {
    let mut levels: usize = 0;
    let mut cur = node;
    loop {
        if core::ptr::eq(cur, ancestor) {
            return Some(levels);
        }
        cur = cur.parent()?;
        levels = levels.saturating_add(1);
    }
}

/// Returns the number of ancestors of `node`.
fn depth<N: Node>(node: &N) -> usize {
    let mut levels: usize = 0;
    let mut cur = node;
    while let Some(parent) = cur.parent() {
        levels = levels.saturating_add(1);
        cur = parent;
    }
    levels
}

/// Returns the root of the tree that `node` belongs to.
fn tree_root<N: Node>(node: &N) -> &N {
    let mut cur = node;
    while let Some(parent) = cur.parent() {
        cur = parent;
    }
    cur
}

/// Returns the lowest common ancestor of `a` and `b` (which may be `a` or `b` itself), or `None`
/// if they belong to different trees, in O(depth).
pub(crate) fn common_ancestor<'a, N: Node>(a: &'a N, b: &'a N) -> Option<&'a N> {
    let (mut a, mut b) = (a, b);
    let (mut depth_a, mut depth_b) = (depth(a), depth(b));
    while depth_a > depth_b {
        a = a.parent()?;
        depth_a -= 1;
    }
    while depth_b > depth_a {
        b = b.parent()?;
        depth_b -= 1;
    }
    while !core::ptr::eq(a, b) {
        a = a.parent()?;
        b = b.parent()?;
    }
    Some(a)
}

/// Returns the first of `node` and its ancestors whose usage is above its `high` limit.
pub(crate) fn first_over_high<'a, N: Node>(node: &'a N) -> Option<&'a N> {
    let mut cur = Some(node);
    while let Some(n) = cur {
        let counter = n.counter();
        if counter.usage() > counter.high() {
            return Some(n);
        }
        cur = n.parent();
    }
    None
}

/// Returns the effective protection of `node` relative to `root`, in O(depth).
///
/// Returns `None` if `node` is not a strict descendant of `root`: no protection applies to the
/// root itself (as in memcg, a node is not protected from its own limit) nor to nodes outside
/// its subtree. Eviction decisions do not call it; the tests do, to check this module's
/// arithmetic against `page_counter` (KUnit) and against a reference model (host).
#[cfg_attr(not(CONFIG_CGROUP_DRM_KUNIT_TEST), allow(dead_code))]
pub(crate) fn effective_protection<N: Node>(
    root: &N,
    node: &N,
    flags: EvictFlags,
) -> Option<Protection> {
    walk(root, node, flags).map(|level| level.protection)
}

/// Computes the [`Level`] of `node` relative to `root` by a walk down the path between them;
/// `None` if `node` is not a strict descendant of `root`.
fn walk<N: Node>(root: &N, node: &N, flags: EvictFlags) -> Option<Level> {
    let levels = distance(root, node)?;
    let recursive = !flags.contains(EvictFlags::NO_RECURSIVE_PROT);
    let mut level = None;
    // Walk the path top-down, `PATH_CHUNK` levels at a time. `remaining` counts the levels not
    // visited yet: the lowest `remaining` nodes of the path, ending with `node`.
    let mut remaining = levels;
    while remaining > 0 {
        let take = remaining.min(PATH_CHUNK);
        let mut chunk_bottom = Some(node);
        for _ in 0..remaining.saturating_sub(take) {
            chunk_bottom = chunk_bottom.and_then(Node::parent);
        }
        let mut path: [Option<&N>; PATH_CHUNK] = [None; PATH_CHUNK];
        let mut cur = chunk_bottom;
        for slot in path.iter_mut().take(take).rev() {
            *slot = cur;
            cur = cur.and_then(Node::parent);
        }
        for node in path.iter().take(take).flatten() {
            level = Some(level_protection(*node, level, recursive));
        }
        remaining = remaining.saturating_sub(take);
    }
    level
}

/// Returns the tree root if `root` is `None`.
fn root_or_tree_root<'a, N: Node>(root: Option<&'a N>, node: &'a N) -> &'a N {
    match root {
        Some(root) => root,
        None => tree_root(node),
    }
}

/// Returns whether `node`'s usage is within its effective `min` relative to `root` (the tree
/// root if `None`).
///
/// False for `root` itself, for the tree root and for nodes outside `root`'s subtree. As in
/// memcg, a node without usage is within any protection. Only
/// [`EvictFlags::NO_RECURSIVE_PROT`] of `flags` matters.
pub(crate) fn below_min<N: Node>(root: Option<&N>, node: &N, flags: EvictFlags) -> bool {
    walk(root_or_tree_root(root, node), node, flags)
        .is_some_and(|level| level.usage <= level.protection.emin)
}

/// Returns whether `node`'s usage is within its effective `low` relative to `root` (the tree
/// root if `None`).
///
/// Same rules as [`below_min`].
pub(crate) fn below_low<N: Node>(root: Option<&N>, node: &N, flags: EvictFlags) -> bool {
    walk(root_or_tree_root(root, node), node, flags)
        .is_some_and(|level| level.usage <= level.protection.elow)
}

/// Decides whether memory charged to `victim` may be evicted, in O(depth).
///
/// `limit` is the pool whose `max` refused the evictor's charge, or `None` if the device itself
/// is full; `evictor` is the pool the allocation is charged to, if any. See the module docs for
/// the decision root. The checks, in order:
///
/// 1. With [`EvictFlags::NO_EVICT_OTHERS`], a victim that is not `evictor` or one of its
///    descendants gets [`Verdict::No`] (so does any victim without an evictor).
/// 2. A victim outside `limit`'s subtree gets [`Verdict::No`]; with no common ancestor between
///    evictor and victim, too.
/// 3. With [`EvictFlags::ONLY_OVER_HIGH`], a victim whose node and ancestors (up to the tree
///    root: evicting relieves all of them) are all within their `high` gets [`Verdict::No`].
/// 4. The decision root itself (`limit == victim`, or a victim on the evictor's own path) gets
///    [`Verdict::Yes`].
/// 5. A victim whose usage is within its effective `min` gets [`Verdict::No`]; within its
///    effective `low`, [`Verdict::NoButLow`], or [`Verdict::YesBelowLow`] with
///    [`EvictFlags::IGNORE_LOW`]; otherwise [`Verdict::Yes`].
pub(crate) fn evict_valuable<N: Node>(
    limit: Option<&N>,
    victim: &N,
    evictor: Option<&N>,
    flags: EvictFlags,
) -> Verdict {
    if flags.contains(EvictFlags::NO_EVICT_OTHERS) {
        match evictor {
            Some(evictor) if distance(evictor, victim).is_some() => {}
            _ => return Verdict::No,
        }
    }
    let root = match (limit, evictor) {
        (Some(limit), _) => {
            if distance(limit, victim).is_none() {
                return Verdict::No;
            }
            limit
        }
        (None, Some(evictor)) => match common_ancestor(evictor, victim) {
            Some(ancestor) => ancestor,
            None => return Verdict::No,
        },
        (None, None) => tree_root(victim),
    };
    if flags.contains(EvictFlags::ONLY_OVER_HIGH) && first_over_high(victim).is_none() {
        return Verdict::No;
    }
    // The usage compared is the one the protection was computed from: a charge landing between
    // two reads could otherwise make usage within its protection look above it.
    let Some(Level { usage, protection }) = walk(root, victim, flags) else {
        // `victim` is in `root`'s subtree, so it is `root` itself.
        return Verdict::Yes;
    };
    if usage <= protection.emin {
        Verdict::No
    } else if usage > protection.elow {
        Verdict::Yes
    } else if flags.contains(EvictFlags::IGNORE_LOW) {
        Verdict::YesBelowLow
    } else {
        Verdict::NoButLow
    }
}

/// Records that `bytes` charged to `victim` were evicted after `verdict` allowed it.
///
/// Adds to the eviction statistics of `victim` and its ancestors, and counts a `low` event for
/// `victim` if the verdict was [`Verdict::YesBelowLow`]. Uncharging the evicted bytes is a
/// separate step (the buffer's old placement is uncharged when it is freed).
pub(crate) fn report_eviction<N: Node>(victim: &N, bytes: u64, verdict: Verdict) {
    record_eviction(victim, bytes);
    if verdict == Verdict::YesBelowLow {
        record_event(victim, Event::Low);
    }
}

#[cfg(any(test, CONFIG_CGROUP_DRM_KUNIT_TEST))]
#[cfg_attr(not(test), crate::kunit_tests(drm_cgroup_evict))]
mod tests {
    use super::*;
    use crate::charge::{
        set_low,
        set_min,
        test_node::{
            is,
            TestNode, //
        },
        uncharge, //
    };

    /// Returns the effective protection of `node` relative to `root` (zero if none applies).
    fn prot(root: &TestNode<'_>, node: &TestNode<'_>, flags: EvictFlags) -> Protection {
        effective_protection(root, node, flags).unwrap_or_default()
    }

    /// The limit pool itself may always be evicted from, protection or not.
    #[test]
    fn limit_is_victim() {
        let root = TestNode::new(None);
        let a = TestNode::new(Some(&root));
        set_min(&a, 100);
        assert!(a.charge(50));
        assert_eq!(
            evict_valuable(Some(&a), &a, Some(&a), EvictFlags::NONE),
            Verdict::Yes
        );
        assert_eq!(
            evict_valuable(Some(&root), &root, None, EvictFlags::NONE),
            Verdict::Yes
        );
    }

    /// Victims outside the limit pool's subtree are never evicted.
    #[test]
    fn victim_outside_limit() {
        let root = TestNode::new(None);
        let a = TestNode::new(Some(&root));
        let b = TestNode::new(Some(&root));
        let x = TestNode::new(Some(&a));
        assert!(b.charge(10));
        assert!(x.charge(10));
        assert_eq!(
            evict_valuable(Some(&a), &b, Some(&x), EvictFlags::NONE),
            Verdict::No
        );
        assert_eq!(
            evict_valuable(Some(&a), &root, Some(&x), EvictFlags::NONE),
            Verdict::No
        );
        assert_eq!(
            evict_valuable(Some(&a), &x, Some(&x), EvictFlags::NONE),
            Verdict::Yes
        );
    }

    /// Usage within `min` is never evicted; within `low` only with `IGNORE_LOW`.
    #[test]
    fn min_and_low_boundaries() {
        let root = TestNode::new(None);
        let p = TestNode::new(Some(&root));
        let c = TestNode::new(Some(&p));
        let d = TestNode::new(Some(&p));
        set_min(&c, 50);
        set_low(&c, 80);
        assert!(c.charge(50));
        let ignore = EvictFlags::IGNORE_LOW;
        assert_eq!(evict_valuable(Some(&p), &c, Some(&d), ignore), Verdict::No);
        assert!(c.charge(1));
        assert_eq!(
            evict_valuable(Some(&p), &c, Some(&d), EvictFlags::NONE),
            Verdict::NoButLow
        );
        assert_eq!(
            evict_valuable(Some(&p), &c, Some(&d), ignore),
            Verdict::YesBelowLow
        );
        assert!(c.charge(29));
        assert_eq!(
            evict_valuable(Some(&p), &c, Some(&d), EvictFlags::NONE),
            Verdict::NoButLow
        );
        assert!(c.charge(1));
        assert_eq!(
            evict_valuable(Some(&p), &c, Some(&d), EvictFlags::NONE),
            Verdict::Yes
        );
        assert!(Verdict::Yes.may_evict());
        assert!(Verdict::YesBelowLow.may_evict());
        assert!(!Verdict::NoButLow.may_evict());
        assert!(!Verdict::No.may_evict());
    }

    /// Evictions are counted in the statistics; below `low`, they also count `low` events.
    #[test]
    fn report_eviction_counts_low_events() {
        let root = TestNode::new(None);
        let p = TestNode::new(Some(&root));
        let c = TestNode::new(Some(&p));
        set_low(&p, 100);
        set_low(&c, 100);
        assert!(c.charge(60));
        let verdict = evict_valuable(None, &c, None, EvictFlags::IGNORE_LOW);
        assert_eq!(verdict, Verdict::YesBelowLow);
        report_eviction(&c, 20, verdict);
        assert!(uncharge(&c, 20).is_ok());
        assert_eq!(c.counter.events_local().low, 1);
        assert_eq!(p.counter.events().low, 1);
        assert_eq!(p.counter.events_local().low, 0);
        assert_eq!(root.counter.evicted_bytes(), 20);
        report_eviction(&c, 5, Verdict::Yes);
        assert_eq!(c.counter.events().low, 1);
        assert_eq!(c.counter.evictions(), 2);
        assert_eq!(p.counter.evicted_bytes(), 25);
    }

    /// A child's protection is capped by its parent's effective protection.
    #[test]
    fn protection_bounded_by_parent() {
        let root = TestNode::new(None);
        let p = TestNode::new(Some(&root));
        let a = TestNode::new(Some(&p));
        set_min(&p, 10);
        set_min(&a, 100);
        assert!(a.charge(50));
        assert_eq!(prot(&root, &p, EvictFlags::NONE).emin, 10);
        assert_eq!(prot(&root, &a, EvictFlags::NONE).emin, 10);
        assert_eq!(
            evict_valuable(None, &a, None, EvictFlags::NONE),
            Verdict::Yes
        );
        // Relative to `p` itself, `a` is a first-level child and keeps its declared value.
        assert_eq!(prot(&p, &a, EvictFlags::NONE).emin, 100);
        assert_eq!(
            evict_valuable(Some(&p), &a, Some(&a), EvictFlags::NONE),
            Verdict::No
        );
    }

    /// Overcommitted protection is shared in proportion to the claims actually used.
    #[test]
    fn overcommitted_protection_is_proportional() {
        let root = TestNode::new(None);
        let p = TestNode::new(Some(&root));
        let a = TestNode::new(Some(&p));
        let b = TestNode::new(Some(&p));
        set_min(&p, 100);
        set_min(&a, 100);
        set_min(&b, 100);
        assert!(a.charge(100));
        assert!(b.charge(100));
        assert_eq!(prot(&root, &a, EvictFlags::NONE).emin, 50);
        assert_eq!(prot(&root, &b, EvictFlags::NONE).emin, 50);
        assert!(uncharge(&b, 50).is_ok());
        assert_eq!(prot(&root, &a, EvictFlags::NONE).emin, 66);
        assert_eq!(prot(&root, &b, EvictFlags::NONE).emin, 33);
        assert_eq!(
            evict_valuable(None, &b, None, EvictFlags::NONE),
            Verdict::Yes
        );
        assert!(uncharge(&b, 17).is_ok());
        assert_eq!(prot(&root, &b, EvictFlags::NONE).emin, 24);
        assert_eq!(
            evict_valuable(None, &b, None, EvictFlags::NONE),
            Verdict::Yes
        );
        assert!(uncharge(&b, 9).is_ok());
        assert_eq!(prot(&root, &b, EvictFlags::NONE).emin, 19);
        // Overcommitted shares are always below usage.
        assert_eq!(
            evict_valuable(None, &b, None, EvictFlags::NONE),
            Verdict::Yes
        );
        // Once the claims fit (76 + 24 == 100), each gets all of its claim.
        assert!(uncharge(&a, 24).is_ok());
        assert_eq!(prot(&root, &a, EvictFlags::NONE).emin, 76);
        assert_eq!(prot(&root, &b, EvictFlags::NONE).emin, 24);
        assert_eq!(
            evict_valuable(None, &a, None, EvictFlags::NONE),
            Verdict::No
        );
        assert_eq!(
            evict_valuable(None, &b, None, EvictFlags::NONE),
            Verdict::No
        );
    }

    /// Unclaimed protection floats down in proportion to unprotected usage, unless recursive
    /// protection is off.
    #[test]
    fn recursive_protection_switch() {
        let root = TestNode::new(None);
        let p = TestNode::new(Some(&root));
        let a = TestNode::new(Some(&p));
        let b = TestNode::new(Some(&p));
        set_min(&p, 100);
        set_min(&a, 30);
        assert!(a.charge(50));
        assert!(b.charge(50));
        let off = EvictFlags::NO_RECURSIVE_PROT;
        assert_eq!(prot(&root, &a, off).emin, 30);
        assert_eq!(prot(&root, &b, off).emin, 0);
        assert_eq!(prot(&root, &a, EvictFlags::NONE).emin, 50);
        assert_eq!(prot(&root, &b, EvictFlags::NONE).emin, 50);
        assert_eq!(
            evict_valuable(None, &b, None, EvictFlags::NONE),
            Verdict::No
        );
        assert_eq!(evict_valuable(None, &b, None, off), Verdict::Yes);
        // The same for `low`.
        set_low(&p, 100);
        assert!(a.charge(10));
        assert_eq!(prot(&root, &a, EvictFlags::NONE).elow, 54);
        assert_eq!(prot(&root, &b, EvictFlags::NONE).elow, 45);
        assert_eq!(prot(&root, &b, off).elow, 0);
        assert_eq!(prot(&root, &b, EvictFlags::NONE).emin, 43);
        assert_eq!(
            evict_valuable(None, &b, None, EvictFlags::IGNORE_LOW),
            Verdict::Yes
        );
    }

    /// With the device full, protection between top-level cgroups holds (dmem ignores it).
    #[test]
    fn lca_is_root_protection() {
        let root = TestNode::new(None);
        let a = TestNode::new(Some(&root));
        let b = TestNode::new(Some(&root));
        set_min(&a, 50);
        assert!(a.charge(50));
        assert!(b.charge(10));
        assert!(is(common_ancestor(&a, &b), &root));
        assert_eq!(
            evict_valuable(None, &a, Some(&b), EvictFlags::IGNORE_LOW),
            Verdict::No
        );
        assert_eq!(
            evict_valuable(Some(&root), &a, Some(&b), EvictFlags::IGNORE_LOW),
            Verdict::No
        );
        assert_eq!(
            evict_valuable(None, &b, Some(&a), EvictFlags::NONE),
            Verdict::Yes
        );
        assert!(a.charge(1));
        assert_eq!(
            evict_valuable(None, &a, Some(&b), EvictFlags::NONE),
            Verdict::Yes
        );
    }

    /// A victim on the evictor's own path is unprotected; one below it keeps its protection.
    #[test]
    fn victim_relative_to_evictor() {
        let root = TestNode::new(None);
        let a = TestNode::new(Some(&root));
        let x = TestNode::new(Some(&a));
        set_min(&a, 1000);
        set_min(&x, 1000);
        assert!(a.charge(30));
        assert!(x.charge(10));
        // `a`'s own buffers, for an allocation of its child `x`.
        assert_eq!(
            evict_valuable(None, &a, Some(&x), EvictFlags::NONE),
            Verdict::Yes
        );
        // `x`'s own buffers, for itself.
        assert_eq!(
            evict_valuable(None, &x, Some(&x), EvictFlags::NONE),
            Verdict::Yes
        );
        // `x`'s buffers for an allocation of its parent: `x` is protected within `a`.
        assert_eq!(
            evict_valuable(None, &x, Some(&a), EvictFlags::NONE),
            Verdict::No
        );
        // And against the rest of the tree.
        let b = TestNode::new(Some(&root));
        assert_eq!(
            evict_valuable(None, &x, Some(&b), EvictFlags::NONE),
            Verdict::No
        );
    }

    /// A parent's cap holds against evictors outside the parent only: inside it, the
    /// children's own settings decide; a descendant may evict its ancestor's own buffers.
    #[test]
    fn protection_depends_on_the_evictor() {
        let root = TestNode::new(None);
        let a = TestNode::new(Some(&root));
        let x = TestNode::new(Some(&a));
        let y = TestNode::new(Some(&a));
        let outsider = TestNode::new(Some(&root));
        set_min(&a, 10);
        set_min(&x, 100);
        assert!(x.charge(100));
        assert!(y.charge(1));
        assert!(outsider.charge(1));
        let none = EvictFlags::NONE;
        // Against its sibling, `x` keeps all of its 100.
        assert_eq!(prot(&a, &x, none).emin, 100);
        assert_eq!(evict_valuable(None, &x, Some(&y), none), Verdict::No);
        // Against a cgroup outside `a`, `a`'s 10 caps it.
        assert_eq!(prot(&root, &x, none).emin, 10);
        assert_eq!(
            evict_valuable(None, &x, Some(&outsider), none),
            Verdict::Yes
        );
        assert_eq!(evict_valuable(None, &x, None, none), Verdict::Yes);
        // `a`'s own buffers go for its children's allocations, within its `min` or not.
        let b = TestNode::new(Some(&root));
        let c = TestNode::new(Some(&b));
        set_min(&b, 1000);
        assert!(b.charge(5));
        assert_eq!(evict_valuable(None, &b, Some(&c), none), Verdict::Yes);
        assert_eq!(evict_valuable(None, &b, Some(&outsider), none), Verdict::No);
    }

    /// With `NO_EVICT_OTHERS`, only the evictor's own subtree may be evicted.
    #[test]
    fn no_evict_others() {
        let root = TestNode::new(None);
        let a = TestNode::new(Some(&root));
        let b = TestNode::new(Some(&root));
        let x = TestNode::new(Some(&a));
        assert!(a.charge(10));
        assert!(b.charge(10));
        assert!(x.charge(10));
        let flags = EvictFlags::NO_EVICT_OTHERS;
        assert_eq!(evict_valuable(None, &b, Some(&a), flags), Verdict::No);
        assert_eq!(
            evict_valuable(None, &b, Some(&a), EvictFlags::NONE),
            Verdict::Yes
        );
        assert_eq!(evict_valuable(None, &a, Some(&a), flags), Verdict::Yes);
        assert_eq!(evict_valuable(None, &x, Some(&a), flags), Verdict::Yes);
        assert_eq!(evict_valuable(None, &a, Some(&x), flags), Verdict::No);
        assert_eq!(evict_valuable(Some(&root), &x, None, flags), Verdict::No);
    }

    /// With `ONLY_OVER_HIGH`, only victims in a subtree above its `high` qualify.
    #[test]
    fn only_over_high() {
        let root = TestNode::new(None);
        let a = TestNode::new(Some(&root));
        let b = TestNode::new(Some(&root));
        let x = TestNode::new(Some(&a));
        a.counter.set_high(20);
        assert!(x.charge(20));
        assert!(b.charge(5));
        let flags = EvictFlags::ONLY_OVER_HIGH | EvictFlags::IGNORE_LOW;
        assert!(flags.contains(EvictFlags::ONLY_OVER_HIGH));
        assert!(flags.contains(EvictFlags::IGNORE_LOW));
        assert!(!flags.contains(EvictFlags::NO_EVICT_OTHERS));
        assert_eq!(evict_valuable(None, &x, None, flags), Verdict::No);
        assert!(x.charge(1));
        assert!(is(first_over_high(&x), &a));
        assert_eq!(evict_valuable(None, &x, None, flags), Verdict::Yes);
        assert_eq!(evict_valuable(None, &a, None, flags), Verdict::Yes);
        assert_eq!(evict_valuable(None, &b, None, flags), Verdict::No);
        assert_eq!(
            evict_valuable(None, &b, None, EvictFlags::NONE),
            Verdict::Yes
        );
        b.counter.set_high(4);
        assert!(is(first_over_high(&b), &b));
        assert_eq!(evict_valuable(None, &b, None, flags), Verdict::Yes);
        // Protection still applies to over-high victims.
        set_min(&b, 5);
        assert_eq!(evict_valuable(None, &b, None, flags), Verdict::No);
    }

    /// `below_min` and `below_low` follow memcg, relative to a root or to the tree root.
    #[test]
    fn below_min_and_below_low() {
        let root = TestNode::new(None);
        let a = TestNode::new(Some(&root));
        let c = TestNode::new(Some(&root));
        set_min(&a, 10);
        set_low(&a, 20);
        assert!(a.charge(10));
        let none = EvictFlags::NONE;
        assert!(below_min(None, &a, none));
        assert!(below_low(None, &a, none));
        assert!(below_min(Some(&root), &a, none));
        assert!(!below_min(Some(&a), &a, none));
        assert!(!below_low(Some(&a), &a, none));
        assert!(!below_min(None, &root, none));
        assert!(!below_min(Some(&c), &a, none));
        assert!(a.charge(5));
        assert!(!below_min(None, &a, none));
        assert!(below_low(None, &a, none));
        assert!(a.charge(6));
        assert!(!below_low(None, &a, none));
        // As in memcg, a node without usage is trivially within its (zero) protection.
        assert!(below_min(None, &c, none));
    }

    /// The common ancestor is found for every relative position, and not across trees.
    #[test]
    fn common_ancestor_cases() {
        let root = TestNode::new(None);
        let a = TestNode::new(Some(&root));
        let b = TestNode::new(Some(&root));
        let x = TestNode::new(Some(&a));
        let y = TestNode::new(Some(&x));
        let z = TestNode::new(Some(&b));
        let other = TestNode::new(None);
        assert!(is(common_ancestor(&y, &y), &y));
        assert!(is(common_ancestor(&y, &a), &a));
        assert!(is(common_ancestor(&a, &y), &a));
        assert!(is(common_ancestor(&y, &z), &root));
        assert!(is(common_ancestor(&x, &b), &root));
        assert!(common_ancestor(&y, &other).is_none());
        assert_eq!(distance(&root, &y), Some(3));
        assert_eq!(distance(&y, &root), None);
        assert_eq!(
            evict_valuable(None, &y, Some(&other), EvictFlags::NONE),
            Verdict::No
        );
    }

    /// No protection applies to the root itself or outside its subtree.
    #[test]
    fn effective_protection_domain() {
        let root = TestNode::new(None);
        let a = TestNode::new(Some(&root));
        let b = TestNode::new(Some(&root));
        set_min(&a, 10);
        assert!(effective_protection(&a, &a, EvictFlags::NONE).is_none());
        assert!(effective_protection(&a, &b, EvictFlags::NONE).is_none());
        assert!(effective_protection(&a, &root, EvictFlags::NONE).is_none());
        assert_eq!(
            effective_protection(&root, &a, EvictFlags::NONE),
            Some(Protection { emin: 10, elow: 0 })
        );
    }

    /// The exact `a * b / c` matches known values at the edges of `u64`.
    #[test]
    fn mul_div_exact() {
        const MAX: u64 = u64::MAX;
        assert_eq!(mul_div(MAX, MAX, MAX), MAX);
        assert_eq!(mul_div(MAX, MAX - 1, MAX), MAX - 1);
        assert_eq!(mul_div(MAX - 1, MAX, MAX), MAX - 1);
        assert_eq!(mul_div(MAX, 2, 3), 12_297_829_382_473_034_410);
        assert_eq!(mul_div(1 << 63, 3, 4), 3 << 61);
        assert_eq!(mul_div(10, 7, 3), 23);
        assert_eq!(mul_div(0, MAX, MAX), 0);
        assert_eq!(mul_div(MAX, 0, 1), 0);
        assert_eq!(mul_div(5, 5, 0), 0);
        assert_eq!(mul_div(MAX, 2, 1), MAX);
        assert_eq!(mul_div(1 << 40, 1 << 40, 1 << 20), 1 << 60);
        assert_eq!(
            mul_div(6_000_000_000_000, 7_000_000_000, 9_000_000_000),
            4_666_666_666_666
        );
        // `x * y / y == x` for values whose product needs all 128 bits.
        assert_eq!(
            mul_div(0x8000_0000_0000_0001, MAX, MAX),
            0x8000_0000_0000_0001
        );
        assert_eq!(
            mul_div(
                0xdead_beef_cafe_f00d,
                0x1234_5678_9abc_def1,
                0x1234_5678_9abc_def1
            ),
            0xdead_beef_cafe_f00d
        );
        assert_eq!(
            mul_div(0x1_0000_0001, 0xffff_fffe_ffff_ffff, 0xffff_ffff_0000_0000),
            0x1_0000_0000
        );
    }
}
