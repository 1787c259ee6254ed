// SPDX-License-Identifier: GPL-2.0

//! Lock-free hierarchical accounting of the bytes of one device memory region.
//!
//! Every (cgroup, region) pair owns a [`Counter`]. The caller links the counters into a tree by
//! implementing [`Node`]: a node's parent is the parent cgroup's node for the same region, and
//! node identity is address identity. Charges are in bytes and apply to a node and to all of its
//! ancestors, exactly like `mm/page_counter.c` (which this file follows closely), so a node's
//! usage covers its whole subtree.
//!
//! C counterpart: [`mm/page_counter.c`](srctree/mm/page_counter.c).
//!
//! # Charging
//!
//! [`try_charge`] walks from the node to the root. At each level it adds the bytes with a
//! compare-and-exchange loop that refuses to go past that level's `max` (or past `u64::MAX`), so,
//! unlike `page_counter_try_charge()`, usage never exceeds `max` even transiently and a large
//! failed charge cannot lock out a racing small one. When a level refuses, the levels already
//! charged are cancelled and the refusing node (the "limit pool") is returned. Once every level
//! is charged, a second walk updates the watermarks, detects levels above `high` and counts
//! `high` events, so a refused charge leaves no trace in the watermarks; the first walk notes
//! whether any level's new usage is above its local watermark or its `high`, and the second
//! walk is skipped when none is. [`uncharge`] walks the same way; uncharging more than the node
//! holds is refused and reported, never wrapped, and its ancestors each take one subtraction.
//!
//! Each level of a charge or an uncharge makes one read-modify-write of its usage while no
//! cgroup sets `min` or `low` (in the kernel, the only out-of-line call when the Rust helpers
//! are not inlined); the other accesses are `READ_ONCE()`-style reads
//! (`crate::atomic::read_once`), which compile inline in every build.
//!
//! # Protected usage
//!
//! Effective protection (see `evict.rs`) needs, for each node, the sum over its children of
//! `min(usage, min)` and of `min(usage, low)`. As in `propagate_protected_usage()`, each node
//! publishes its own clamped values (`min_usage`, `low_usage`) and adds the difference to its
//! parent's `children_min_usage`/`children_low_usage` whenever they change: after every charge,
//! cancellation and uncharge at that level and after `min`/`low` are set. The sums therefore
//! stay exact without ever visiting the siblings, which is what makes eviction decisions
//! O(depth).
//!
//! # Reading the sums
//!
//! A decision reads a parent's sum while its children's usage changes, and its verdicts must
//! still honour `min` at every instant: a sum read larger than the children's claims makes
//! them look overcommitted and shrinks every child's effective protection, which can let a
//! buffer within its `min` be evicted. So the sum never counts more than the published values:
//! a publisher that raises its value publishes it before adding the difference to the sum, and
//! one that lowers it takes the difference out of the sum before it publishes (putting it back
//! if it loses the race to another publisher of the same node). A read sum is therefore at
//! most the sum of values that the children published, and may be less while updates are in
//! flight, down to a transient negative value when two publishers of one child lower it from
//! the same old value. Reading less never takes protection away from a claim: with the sum
//! within the parent's effective protection every child keeps all of its claim (`min(usage,
//! setting)`), and above it the proportional share of each claim only grows as the sum shrinks.
//!
//! Readers clamp the sum to the parent's usage as they read it, and take a value above that
//! usage and at least 2^63 as a transient negative, which counts as zero. A misreading would
//! need a parent whose usage is within the differences in flight of 2^64 bytes, which no
//! device holds.
//! (`mm/page_counter.c` adds the difference after exchanging the published value whichever
//! way it goes, so a charge and an uncharge of one child racing can leave the sum above the
//! published values, or wrapped below zero, for an instant.)
//!
//! # Memory ordering
//!
//! The accounting needs these guarantees; all are "store buffering" patterns resolved by fully
//! ordered ([`Full`]) operations on both sides (the per-file peak reset against charges, too):
//!
//! - A charge racing with [`Counter::set_max`] either sees the new limit or is seen by it. The
//!   charge increments `usage` with a [`Full`] compare-and-exchange and then reads `max` again;
//!   `set_max` exchanges `max` with [`Full`] ordering and then reads `usage`. So either the
//!   charge sees the lowered limit and backs out, or `set_max` returns a usage that includes the
//!   charge and the caller reclaims it. A limit lowered below usage is allowed and is then the
//!   caller's to enforce by reclaim.
//! - The published protected usage converges to `min(usage, min)` once updates stop, even though
//!   usage, `min` and the published value are three separate words. A publisher replaces the
//!   published value with a [`Full`] compare-and-exchange and then reads `usage` and `min`
//!   again, retrying until what it published matches what it reads (a failed exchange means
//!   another publisher wrote the value after the caller read it, and the caller retries too).
//!   A concurrent charge changes `usage` with a [`Full`] operation before it reads the
//!   published value, and setting `min` uses a [`Full`] exchange before doing the same. So
//!   whichever of two racing threads goes last sees the other's write and corrects the
//!   published value. Every successful exchange changes the parent's sum by exactly
//!   `new - old` (a failed one by nothing), so the sum is exact once the published values are.
//!   Until `min` or `low` is first set above zero a node has nothing to publish, and charges
//!   skip the publishing when they read its `protects` flag as unset. Setting the flag is a
//!   [`Full`] exchange before the setting is written and published, so a charge that missed
//!   the flag is seen by that publication, as above. A setter that finds the flag set already
//!   does not write it; the [`Full`] exchange of the setting then orders its publication after
//!   the flag's first write, and full barriers are cumulative, so a charge that missed the flag
//!   is still seen.
//!
//! Everything else (watermarks, events, statistics, reads of the settings) is [`Relaxed`]: these
//! are monotonic counters or values that are allowed to be slightly stale, like the `READ_ONCE`
//! reads in `mm/page_counter.c`.
//!
//! # Arithmetic
//!
//! Values are bytes in `u64`. Usage is bounded by `max` at every level and additions are
//! checked, so usage cannot overflow; only [`force_charge`] goes past `max`, and it saturates
//! (a caller would have to place 16 EiB for that to matter). Statistics and events saturate.
//! The only wrapping values are the parents' protected-usage sums: they are maintained by
//! signed deltas from racing children, so they can transiently be "negative" (wrapped); readers
//! take such values as zero and clamp the others to the parent's usage, which they never exceed
//! once quiescent (see "Reading the sums").

use crate::atomic::{
    cmpxchg,
    fetch_add,
    fetch_sub,
    read_once,
    Acquire,
    Atomic,
    Full,
    Relaxed,
    Release, //
};

/// A node of the accounting hierarchy: one cgroup's pool for one region.
///
/// In the kernel this is a reference-counted pool that holds its parent pool; on the host, a test
/// node. Node identity is address identity ([`core::ptr::eq`]).
pub(crate) trait Node {
    /// Returns this node's counter.
    fn counter(&self) -> &Counter;

    /// Returns the parent cgroup's node for the same region, or `None` for the root.
    ///
    /// The parent chain must be finite and must not change while the node is in use.
    fn parent(&self) -> Option<&Self>;
}

/// Value of `max` and `high` meaning "no limit" (printed as `max`).
pub(crate) const UNLIMITED: u64 = u64::MAX;

/// Protection tracking and the global watermark: written on charges that cross protection
/// thresholds or set a new peak, and by children publishing their protected usage.
struct Tracking {
    /// `min(usage, min)` as last published to the parent's `children_min_usage`.
    min_usage: Atomic<u64>,
    /// `min(usage, low)` as last published to the parent's `children_low_usage`.
    low_usage: Atomic<u64>,
    /// Sum of the children's published `min_usage` (wraps transiently, see "Reading the sums").
    children_min_usage: Atomic<u64>,
    /// Sum of the children's published `low_usage` (wraps transiently, see "Reading the sums").
    children_low_usage: Atomic<u64>,
    /// Highest usage seen since the counter was created.
    watermark: Atomic<u64>,
    /// Bytes pinned in this node's subtree (not evictable), at most `usage` for a correct
    /// caller.
    pinned: Atomic<u64>,
}

/// The protection settings, read by eviction decisions and by the charges of protected nodes.
struct Limits {
    /// Hard protection in bytes.
    min: Atomic<u64>,
    /// Best-effort protection in bytes.
    low: Atomic<u64>,
}

/// Event counters and eviction statistics, all saturating.
struct Stats {
    /// `low` events in this node's subtree.
    low: Atomic<u64>,
    /// `high` events in this node's subtree.
    high: Atomic<u64>,
    /// `max` events in this node's subtree.
    max: Atomic<u64>,
    /// `low` events of this node only.
    low_local: Atomic<u64>,
    /// `high` events of this node only.
    high_local: Atomic<u64>,
    /// `max` events of this node only.
    max_local: Atomic<u64>,
    /// Bytes evicted from this node's subtree.
    evicted_bytes: Atomic<u64>,
    /// Number of evictions from this node's subtree.
    evictions: Atomic<u64>,
}

impl Stats {
    /// Returns the local and the hierarchical counter of `event`.
    fn event_counters(&self, event: Event) -> (&Atomic<u64>, &Atomic<u64>) {
        match event {
            Event::Low => (&self.low_local, &self.low),
            Event::High => (&self.high_local, &self.high),
            Event::Max => (&self.max_local, &self.max),
        }
    }
}

/// The accounting state of one node: usage, settings, protection tracking and statistics.
///
/// All methods are lock-free and may be called concurrently from any context.
///
/// The fields that every charge and uncharge reads or writes at each level of the hierarchy
/// come first and take 33 bytes, so that an embedder can keep them in one cache line with its
/// own per-charge fields (`pool.rs` puts the reference count and the parent pointer of the pool
/// before them): a charge then touches one line per level while protection is off. The rest
/// (protection, statistics) is written only by publications, evictions and events.
#[repr(C)]
pub(crate) struct Counter {
    /// Bytes charged to this node and its descendants, at most `max` except after `max` was
    /// lowered below it or after a [`force_charge`].
    usage: Atomic<u64>,
    /// Hard limit in bytes: charges that would exceed it are refused.
    max: Atomic<u64>,
    /// Soft limit in bytes: exceeding it counts a `high` event.
    high: Atomic<u64>,
    /// Highest usage seen since the last per-file peak reset, at most `track.watermark`.
    local_watermark: Atomic<u64>,
    /// Whether `min` or `low` was ever set above zero. Until then the published protected usage
    /// is zero whatever the usage, and charges skip publishing it (see "Memory ordering").
    protects: Atomic<bool>,
    /// The protection settings.
    limits: Limits,
    /// Protection tracking and the global watermark.
    track: Tracking,
    /// Events and statistics.
    stats: Stats,
}

/// A kind of event counted per node, as in `memory.events`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Event {
    /// Bytes were evicted while the node's usage was within its effective `low` protection.
    Low,
    /// A charge left the node's usage above its `high` limit.
    High,
    /// A charge was refused by the node's `max` limit.
    Max,
}

/// A snapshot of a node's event counters (one `memory.events` file).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Events {
    /// Number of [`Event::Low`] events.
    pub(crate) low: u64,
    /// Number of [`Event::High`] events.
    pub(crate) high: u64,
    /// Number of [`Event::Max`] events.
    pub(crate) max: u64,
}

/// The result of a successful [`try_charge`].
pub(crate) struct Charged<'a, N> {
    /// The lowest node on the charged path whose usage is above its `high` limit, if any.
    ///
    /// The caller may throttle or reclaim from it (and from the ancestors above it, found with
    /// `evict::first_over_high` on its parent).
    pub(crate) over_high: Option<&'a N>,
}

/// The result of a refused [`try_charge`].
pub(crate) struct LimitHit<'a, N> {
    /// The node whose `max` refused the charge (the "limit pool" to reclaim from).
    pub(crate) limit: &'a N,
}

/// Why [`uncharge`] failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum UnchargeError {
    /// The node holds fewer bytes than were uncharged; nothing was changed.
    Underflow {
        /// The node's usage.
        usage: u64,
    },
    /// An ancestor held fewer bytes than its descendant (the accounting was already
    /// inconsistent); that ancestor was clamped to zero and the rest of the uncharge was done.
    Inconsistent,
}

/// Why [`pin`] or [`unpin`] failed; nothing was changed in either case.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum PinError {
    /// More bytes than the node's whole usage were pinned, or the pinned bytes would overflow.
    NotCharged {
        /// The node's usage.
        usage: u64,
    },
    /// The node has fewer pinned bytes than were unpinned.
    NotPinned {
        /// The node's pinned bytes.
        pinned: u64,
    },
}

impl Counter {
    /// Creates a counter with no usage, no protection and no limits.
    pub(crate) const fn new() -> Self {
        Self {
            usage: Atomic::new(0),
            max: Atomic::new(UNLIMITED),
            high: Atomic::new(UNLIMITED),
            local_watermark: Atomic::new(0),
            protects: Atomic::new(false),
            limits: Limits {
                min: Atomic::new(0),
                low: Atomic::new(0),
            },
            track: Tracking {
                min_usage: Atomic::new(0),
                low_usage: Atomic::new(0),
                children_min_usage: Atomic::new(0),
                children_low_usage: Atomic::new(0),
                watermark: Atomic::new(0),
                pinned: Atomic::new(0),
            },
            stats: Stats {
                low: Atomic::new(0),
                high: Atomic::new(0),
                max: Atomic::new(0),
                low_local: Atomic::new(0),
                high_local: Atomic::new(0),
                max_local: Atomic::new(0),
                evicted_bytes: Atomic::new(0),
                evictions: Atomic::new(0),
            },
        }
    }

    /// Returns the bytes charged to this node and its descendants.
    pub(crate) fn usage(&self) -> u64 {
        read_once(&self.usage)
    }

    /// Returns the `min` setting.
    pub(crate) fn min(&self) -> u64 {
        read_once(&self.limits.min)
    }

    /// Returns the `low` setting.
    pub(crate) fn low(&self) -> u64 {
        read_once(&self.limits.low)
    }

    /// Returns the `high` setting ([`UNLIMITED`] when unset).
    pub(crate) fn high(&self) -> u64 {
        read_once(&self.high)
    }

    /// Returns the `max` setting ([`UNLIMITED`] when unset).
    pub(crate) fn max(&self) -> u64 {
        read_once(&self.max)
    }

    /// Sets the hard limit and returns the usage seen after it took effect.
    ///
    /// A limit below the current usage is accepted: further charges fail, and the caller is
    /// expected to reclaim while [`Counter::usage`] exceeds `max` (the returned usage tells
    /// whether it needs to start). Any charge that raced with this call is either refused or
    /// included in the returned usage.
    pub(crate) fn set_max(&self, max: u64) -> u64 {
        // ORDERING: Fully ordered so that the usage read below is ordered after the new limit
        // is visible; pairs with the `Full` usage update in `charge_level` followed by its
        // re-read of `max` (see the module docs).
        self.max.xchg(max, Full);
        self.usage()
    }

    /// Sets the soft limit and returns the usage seen after it took effect.
    ///
    /// Usage above `high` is allowed; it counts `high` events on each charge and makes the node
    /// a preferred eviction victim for `evict::EvictFlags::ONLY_OVER_HIGH`.
    pub(crate) fn set_high(&self, high: u64) -> u64 {
        // ORDERING: As in `set_max`, so that the usage is read after the new limit is visible.
        self.high.xchg(high, Full);
        self.usage()
    }

    /// Returns the highest usage since the counter was created (`memory.peak` without reset).
    pub(crate) fn watermark(&self) -> u64 {
        read_once(&self.track.watermark)
    }

    /// Returns the highest usage since the last per-file peak reset (see [`PeakFd`]).
    pub(crate) fn local_watermark(&self) -> u64 {
        read_once(&self.local_watermark)
    }

    /// Returns the bytes pinned in this node's subtree.
    pub(crate) fn pinned(&self) -> u64 {
        read_once(&self.track.pinned)
    }

    /// Returns the sum of the children's `min(usage, min)`.
    ///
    /// Within this node's usage, which it cannot exceed once concurrent updates settle (see
    /// "Reading the sums" in the module docs). For the tests (KUnit and host).
    #[cfg_attr(not(CONFIG_CGROUP_DRM_KUNIT_TEST), allow(dead_code))]
    pub(crate) fn children_min_usage(&self) -> u64 {
        self.children_min_usage_at(self.usage())
    }

    /// Returns the sum of the children's `min(usage, low)`.
    ///
    /// Within this node's usage, like [`Counter::children_min_usage`]. For the tests.
    #[cfg_attr(not(CONFIG_CGROUP_DRM_KUNIT_TEST), allow(dead_code))]
    pub(crate) fn children_low_usage(&self) -> u64 {
        self.children_low_usage_at(self.usage())
    }

    /// Returns the sum of the children's `min(usage, min)` for a caller that read this node's
    /// usage as `usage`, so that one decision uses one value of it.
    pub(crate) fn children_min_usage_at(&self, usage: u64) -> u64 {
        settled_sum(read_once(&self.track.children_min_usage), usage)
    }

    /// Returns the sum of the children's `min(usage, low)` for a caller that read this node's
    /// usage as `usage`.
    pub(crate) fn children_low_usage_at(&self, usage: u64) -> u64 {
        settled_sum(read_once(&self.track.children_low_usage), usage)
    }

    /// Returns the bytes evicted from this node's subtree (as reported with `report_eviction`).
    pub(crate) fn evicted_bytes(&self) -> u64 {
        read_once(&self.stats.evicted_bytes)
    }

    /// Returns the number of evictions from this node's subtree.
    pub(crate) fn evictions(&self) -> u64 {
        read_once(&self.stats.evictions)
    }

    /// Returns the events of this node and its descendants (`memory.events`).
    pub(crate) fn events(&self) -> Events {
        Events {
            low: read_once(&self.stats.low),
            high: read_once(&self.stats.high),
            max: read_once(&self.stats.max),
        }
    }

    /// Returns the events of this node only (`memory.events.local`).
    pub(crate) fn events_local(&self) -> Events {
        Events {
            low: read_once(&self.stats.low_local),
            high: read_once(&self.stats.high_local),
            max: read_once(&self.stats.max_local),
        }
    }

    /// Resets the local watermark to the current usage, for a per-file peak reset.
    ///
    /// Returns the local watermark it replaced, which the other files' [`PeakFd`]s must fold in
    /// (see [`PeakFd::reset`]), and the usage it was reset to.
    fn reset_local_watermark(&self) -> (u64, u64) {
        let track = &self.track;
        let usage = self.usage();
        // A charge may not have raised the global watermark yet.
        raise(&track.watermark, usage);
        // ORDERING: Fully ordered, paired with the charges' fully ordered usage updates: a charge
        // that still reads the old local watermark (and so does not raise it) is seen by the
        // re-read of usage below (store buffering).
        let previous = self.local_watermark.xchg(usage, Full);
        // A charge may have raised usage between the read and the exchange: make sure the local
        // watermark does not end up below a usage that was current after the reset.
        let now = self.usage();
        raise(&track.watermark, now);
        raise(&self.local_watermark, now);
        (previous, usage.max(now))
    }

    /// Adds `bytes` to this level's usage unless that would exceed `max`.
    ///
    /// Returns the new usage, or `None`, with the usage unchanged, if the charge is refused.
    /// One fully ordered compare-and-exchange when uncontended: the loop starts from a plain
    /// read and retries with the value that a failed exchange returns.
    #[inline(always)]
    fn charge_level(&self, bytes: u64) -> Option<u64> {
        let usage = &self.usage;
        let mut cur = read_once(usage);
        let new = loop {
            let new = cur.checked_add(bytes)?;
            if new > read_once(&self.max) {
                return None;
            }
            // ORDERING: Fully ordered: the re-read of `max` below and the protected-usage
            // propagation that follows must not be satisfied before this update is visible
            // (store buffering against `set_max` and against publishers, see the module docs).
            match cmpxchg(usage, cur, new, Full) {
                Ok(_) => break new,
                Err(actual) => cur = actual,
            }
        };
        if new > read_once(&self.max) {
            // The limit was lowered concurrently: behave as if the charge came after it.
            self.cancel_level(bytes);
            return None;
        }
        Some(new)
    }

    /// Returns whether a charge that left this level's usage at `usage` has a watermark or a
    /// `high` event to record (see [`record_charge`]).
    ///
    /// The local watermark never exceeds the global one, so a usage within it leaves both as
    /// they are.
    #[inline(always)]
    fn charge_to_record(&self, usage: u64) -> bool {
        usage > read_once(&self.local_watermark) || usage > read_once(&self.high)
    }

    /// Marks the counter as protecting memory before `min` or `low` is set to `value`.
    fn enable_protection(&self, value: u64) {
        if value != 0 && !read_once(&self.protects) {
            // ORDERING: Fully ordered, paired with the charges' fully ordered usage updates: a
            // charge that still reads `false` and skips publishing is seen by the propagation
            // that follows the setting (store buffering, see the module docs).
            self.protects.xchg(true, Full);
        }
    }

    /// Adds `bytes` to this level's usage whatever its `max`, saturating.
    fn force_level(&self, bytes: u64) {
        let usage = &self.usage;
        let mut cur = read_once(usage);
        loop {
            // ORDERING: Fully ordered for the same reason as the update in `charge_level`.
            match cmpxchg(usage, cur, cur.saturating_add(bytes), Full) {
                Ok(_) => return,
                Err(actual) => cur = actual,
            }
        }
    }

    /// Takes `bytes` out of this level's usage, clamping at zero.
    ///
    /// Returns `false` if the usage was smaller than `bytes` (and was clamped).
    ///
    /// One fully ordered subtraction. A usage smaller than `bytes` can only come from
    /// accounting that is already wrong (a level never holds less than its children's
    /// charges); the subtraction then wraps, and adding back what went below zero clamps it.
    /// Until then other threads may read a huge usage, which refuses their charges at this
    /// level: the accounting being wrong, that is no worse than the clamping itself.
    #[inline(always)]
    fn cancel_level(&self, bytes: u64) -> bool {
        // ORDERING: Fully ordered for the same reason as the update in `charge_level`.
        let old = fetch_sub(&self.usage, bytes, Full);
        if old >= bytes {
            return true;
        }
        // ORDERING: As above.
        fetch_add(&self.usage, bytes - old, Full);
        false
    }

    /// Takes `bytes` out of the node's own usage, refusing to go below zero.
    #[inline(always)]
    fn uncharge_level(&self, bytes: u64) -> Result<(), UnchargeError> {
        let usage = &self.usage;
        let mut cur = read_once(usage);
        loop {
            let Some(new) = cur.checked_sub(bytes) else {
                return Err(UnchargeError::Underflow { usage: cur });
            };
            // ORDERING: Fully ordered for the same reason as the update in `charge_level`.
            match cmpxchg(usage, cur, new, Full) {
                Ok(_) => return Ok(()),
                Err(actual) => cur = actual,
            }
        }
    }

    /// Publishes `min(usage, min)` and `min(usage, low)` to the parent's sums until they match
    /// the current state (see "Memory ordering" in the module docs).
    #[inline(always)]
    fn propagate_protected_usage(&self, parent: &Counter) {
        // Without protection ever set, the published values are zero and stay so.
        if read_once(&self.protects) {
            self.publish_protected_usage(parent);
        }
    }

    /// The publishing loop of [`Counter::propagate_protected_usage`], once protection is on.
    ///
    /// Inline: with protection on it runs at every level of every charge and uncharge.
    #[inline(always)]
    fn publish_protected_usage(&self, parent: &Counter) {
        let track = &self.track;
        let parent_track = &parent.track;
        loop {
            let usage = read_once(&self.usage);
            let min_changed = publish(
                &track.min_usage,
                usage.min(read_once(&self.limits.min)),
                &parent_track.children_min_usage,
            );
            let low_changed = publish(
                &track.low_usage,
                usage.min(read_once(&self.limits.low)),
                &parent_track.children_low_usage,
            );
            if !min_changed && !low_changed {
                return;
            }
        }
    }
}

/// Publishes `protected` in `slot` and applies the change to the parent's `sum`.
///
/// The sum is changed on the side that keeps it from ever counting more than the published
/// values (see "Reading the sums" in the module docs): a raise is published first and added to
/// the sum afterwards; a fall is taken out of the sum first and published afterwards, and put
/// back if another publisher changed `slot` in between.
///
/// Returns whether it found `slot` stale, in which case the caller must check again that the
/// value is current.
#[inline(always)]
fn publish(slot: &Atomic<u64>, protected: u64, sum: &Atomic<u64>) -> bool {
    let old = read_once(slot);
    if old == protected {
        return false;
    }
    if protected > old {
        // ORDERING: Fully ordered so that the caller's re-read of usage and of the setting is
        // ordered after this write (store buffering against charges and setters, see the module
        // docs). A failed exchange means that another publisher wrote `slot`: it re-reads usage
        // and the setting after its own write, and so does the caller's next round.
        if cmpxchg(slot, old, protected, Full).is_ok() {
            fetch_add(sum, protected - old, Relaxed);
        }
    } else {
        let fall = old - protected;
        fetch_sub(sum, fall, Relaxed);
        // ORDERING: As above.
        if cmpxchg(slot, old, protected, Full).is_err() {
            fetch_add(sum, fall, Relaxed);
        }
    }
    true
}

/// Returns a children sum as a decision that read the parent's usage as `parent_usage` sees it.
///
/// A sum within the parent's usage is taken as it is, which is always the case once concurrent
/// updates settle. A larger one is either a transient negative value (wrapped, so at least
/// 2^63) and counts as zero, or a sum that a racing charge published before it reached the
/// parent's usage, and counts as that usage.
fn settled_sum(sum: u64, parent_usage: u64) -> u64 {
    if sum <= parent_usage {
        sum
    } else if sum >= 1 << 63 {
        0
    } else {
        parent_usage
    }
}

/// Raises `a` to at least `value`.
fn raise(a: &Atomic<u64>, value: u64) {
    let mut cur = read_once(a);
    while cur < value {
        match cmpxchg(a, cur, value, Relaxed) {
            Ok(_) => return,
            Err(actual) => cur = actual,
        }
    }
}

/// Adds `value` to `a`, saturating at `u64::MAX`.
fn add_saturating(a: &Atomic<u64>, value: u64) {
    if value == 0 {
        return;
    }
    let mut cur = read_once(a);
    while cur != u64::MAX {
        match cmpxchg(a, cur, cur.saturating_add(value), Relaxed) {
            Ok(_) => return,
            Err(actual) => cur = actual,
        }
    }
}

/// Subtracts `value` from `a`, saturating at zero.
fn sub_saturating(a: &Atomic<u64>, value: u64) {
    let mut cur = read_once(a);
    while cur != 0 && value != 0 {
        match cmpxchg(a, cur, cur.saturating_sub(value), Relaxed) {
            Ok(_) => return,
            Err(actual) => cur = actual,
        }
    }
}

/// Publishes the protected usage of `node` to its parent, if it has one.
#[inline(always)]
fn propagate<N: Node>(node: &N) {
    if let Some(parent) = node.parent() {
        node.counter().propagate_protected_usage(parent.counter());
    }
}

/// Cancels a charge of `bytes` from `node` up to, but excluding, `stop`.
fn cancel_up_to<N: Node>(node: &N, stop: &N, bytes: u64) {
    let mut level = node;
    while !core::ptr::eq(level, stop) {
        level.counter().cancel_level(bytes);
        propagate(level);
        match level.parent() {
            Some(parent) => level = parent,
            None => return,
        }
    }
}

/// Charges `bytes` to `node` and all of its ancestors, unless one of them would exceed its `max`.
///
/// On success, every level's usage grew by `bytes`, the watermarks were raised, and every level
/// left above its `high` counted a `high` event; the result names the lowest such level. On
/// failure nothing was charged, the refusing node counted a `max` event and is returned.
///
/// Charging zero bytes always succeeds and changes nothing.
pub(crate) fn try_charge<'a, N: Node>(
    node: &'a N,
    bytes: u64,
) -> Result<Charged<'a, N>, LimitHit<'a, N>> {
    if bytes == 0 {
        return Ok(Charged { over_high: None });
    }
    let mut to_record = false;
    let mut level = node;
    loop {
        let Some(usage) = level.counter().charge_level(bytes) else {
            // The refusing level may have been charged and cancelled again (see
            // `charge_level`), and a racing publisher may have seen that.
            propagate(level);
            cancel_up_to(node, level, bytes);
            record_event(level, Event::Max);
            return Err(LimitHit { limit: level });
        };
        // ORDERING: The reads of the watermark and `high` come after this level's fully
        // ordered update, as the second walk's did (see `Counter::reset_local_watermark`).
        to_record |= level.counter().charge_to_record(usage);
        propagate(level);
        match level.parent() {
            Some(parent) => level = parent,
            None => break,
        }
    }

    // Second walk, only after the whole charge succeeded, and only if a level left a
    // watermark behind or went above its `high`.
    if to_record {
        Ok(record_charge(node))
    } else {
        Ok(Charged { over_high: None })
    }
}

/// Charges `bytes` to `node` and all of its ancestors even beyond their `max`, for a placement
/// that must not fail: the destination of an eviction, which a limit of the victim's own must
/// not veto. Like a lowered `max`, this may leave usage above `max`; the levels' watermarks and
/// `high` events are updated as by [`try_charge`]. Usage saturates at `u64::MAX`.
pub(crate) fn force_charge<N: Node>(node: &N, bytes: u64) -> Charged<'_, N> {
    if bytes == 0 {
        return Charged { over_high: None };
    }
    let mut level = node;
    loop {
        level.counter().force_level(bytes);
        propagate(level);
        match level.parent() {
            Some(parent) => level = parent,
            None => return record_charge(node),
        }
    }
}

/// Updates the watermarks of `node` and its ancestors after a charge and counts `high` events.
///
/// Each level counts one local `high` event if it is above `high`, and its hierarchical count
/// grows by the number of such levels at or below it (each event counts in all ancestors).
fn record_charge<N: Node>(node: &N) -> Charged<'_, N> {
    let mut over_high = None;
    let mut pending_high: u64 = 0;
    let mut level = node;
    loop {
        let counter = level.counter();
        let usage = read_once(&counter.usage);
        // The local watermark never exceeds the global one: below it, both are high enough.
        if usage > read_once(&counter.local_watermark) {
            // Global first, so that the local watermark does not overtake it.
            raise(&counter.track.watermark, usage);
            raise(&counter.local_watermark, usage);
        }
        let (local, hierarchical) = counter.stats.event_counters(Event::High);
        if usage > read_once(&counter.high) {
            over_high.get_or_insert(level);
            pending_high = pending_high.saturating_add(1);
            add_saturating(local, 1);
        }
        add_saturating(hierarchical, pending_high);
        match level.parent() {
            Some(parent) => level = parent,
            None => return Charged { over_high },
        }
    }
}

/// Uncharges `bytes` from `node` and all of its ancestors.
///
/// Refuses, changing nothing, if `node` holds fewer than `bytes`. The caller should warn: its own
/// accounting is wrong.
pub(crate) fn uncharge<N: Node>(node: &N, bytes: u64) -> Result<(), UnchargeError> {
    if bytes == 0 {
        return Ok(());
    }
    node.counter().uncharge_level(bytes)?;
    propagate(node);
    let mut result = Ok(());
    let mut level = node;
    while let Some(parent) = level.parent() {
        if !parent.counter().cancel_level(bytes) {
            result = Err(UnchargeError::Inconsistent);
        }
        propagate(parent);
        level = parent;
    }
    result
}

/// Sets the `min` (hard protection) of `node` and republishes its protected usage.
pub(crate) fn set_min<N: Node>(node: &N, min: u64) {
    node.counter().enable_protection(min);
    // ORDERING: Fully ordered so that the usage read by the propagation below is ordered after
    // the new setting is visible (see the module docs).
    node.counter().limits.min.xchg(min, Full);
    propagate(node);
}

/// Sets the `low` (best-effort protection) of `node` and republishes its protected usage.
pub(crate) fn set_low<N: Node>(node: &N, low: u64) {
    node.counter().enable_protection(low);
    // ORDERING: As in `set_min`.
    node.counter().limits.low.xchg(low, Full);
    propagate(node);
}

/// Records that `bytes` of `node`'s charge are pinned (not evictable), in `node` and all of its
/// ancestors.
///
/// Keeping the pinned bytes within the charged ones is the caller's invariant: it pins only
/// bytes it charged, and unpins them before it uncharges them. Usage and pinned bytes are two
/// words that other threads change concurrently, so a check of one against the other could fail
/// for a correct caller; the core only refuses, changing nothing, what is wrong at any instant:
/// pinning more than the node's whole usage, or overflowing the pinned bytes.
pub(crate) fn pin<N: Node>(node: &N, bytes: u64) -> Result<(), PinError> {
    let counter = node.counter();
    let usage = counter.usage();
    if bytes > usage {
        return Err(PinError::NotCharged { usage });
    }
    let pinned = &counter.track.pinned;
    let mut cur = read_once(pinned);
    loop {
        let Some(new) = cur.checked_add(bytes) else {
            return Err(PinError::NotCharged { usage });
        };
        match cmpxchg(pinned, cur, new, Relaxed) {
            Ok(_) => break,
            Err(actual) => cur = actual,
        }
    }
    let mut level = node;
    while let Some(parent) = level.parent() {
        add_saturating(&parent.counter().track.pinned, bytes);
        level = parent;
    }
    Ok(())
}

/// Releases `bytes` pinned with [`pin`] in `node` and all of its ancestors.
///
/// Refuses, changing nothing, if `node` has fewer than `bytes` pinned.
pub(crate) fn unpin<N: Node>(node: &N, bytes: u64) -> Result<(), PinError> {
    let pinned = &node.counter().track.pinned;
    let mut cur = read_once(pinned);
    loop {
        let Some(new) = cur.checked_sub(bytes) else {
            return Err(PinError::NotPinned { pinned: cur });
        };
        match cmpxchg(pinned, cur, new, Relaxed) {
            Ok(_) => break,
            Err(actual) => cur = actual,
        }
    }
    let mut level = node;
    while let Some(parent) = level.parent() {
        sub_saturating(&parent.counter().track.pinned, bytes);
        level = parent;
    }
    Ok(())
}

/// Counts one `event` for `node`: locally, and hierarchically in `node` and all of its ancestors.
pub(crate) fn record_event<N: Node>(node: &N, event: Event) {
    let (local, _) = node.counter().stats.event_counters(event);
    add_saturating(local, 1);
    let mut level = Some(node);
    while let Some(n) = level {
        let (_, hierarchical) = n.counter().stats.event_counters(event);
        add_saturating(hierarchical, 1);
        level = n.parent();
    }
}

/// Adds an eviction of `bytes` to the statistics of `node` and all of its ancestors.
pub(crate) fn record_eviction<N: Node>(node: &N, bytes: u64) {
    let mut level = Some(node);
    while let Some(n) = level {
        add_saturating(&n.counter().stats.evicted_bytes, bytes);
        add_saturating(&n.counter().stats.evictions, 1);
        level = n.parent();
    }
}

/// The state of one open peak file (`memory.peak`-style), for per-file peak resets.
///
/// Mirrors memcg's `struct cgroup_of_peak` and `peak_show()`/`peak_write()`
/// ([`mm/memcontrol.c`](srctree/mm/memcontrol.c)). A file that was never written reports the
/// counter's global watermark. Writing to a file resets the peak seen through that file to the
/// current usage, without disturbing the global watermark or what other files report. The glue
/// keeps, per counter, a lock and a list of the `PeakFd`s that were written at least once (the
/// "watchers"); on every write it calls [`PeakFd::reset`] under that lock with the watchers,
/// and adds the file to the list if `reset` returns `true`. On release it removes the file from
/// the list if it is registered ([`PeakFd::is_registered`]).
///
/// Unlike memcg, a reset folds the *previous local watermark* into the other watchers rather
/// than the current usage, so a reset through one file never lowers the peak that another file
/// reports (memcg's `peak_write()` loses a peak that happened between two resets of different
/// files).
pub(crate) struct PeakFd {
    /// The peak seen through this file before the local watermark was last reset by any file.
    value: Atomic<u64>,
    /// Whether this file was written, i.e. reports a local peak and is in the watcher list.
    registered: Atomic<bool>,
}

impl PeakFd {
    /// Creates the state of a newly opened file, which reports the global watermark.
    pub(crate) const fn new() -> Self {
        Self {
            value: Atomic::new(0),
            registered: Atomic::new(false),
        }
    }

    /// Returns whether this file was reset at least once (and so is in the watcher list).
    pub(crate) fn is_registered(&self) -> bool {
        self.registered.load(Acquire)
    }

    /// Returns the peak to report through this file for `counter`.
    pub(crate) fn read(&self, counter: &Counter) -> u64 {
        // ORDERING: Acquire pairs with the Release in `reset`, so `value` is the one stored
        // before the file was registered (or a later one).
        if self.registered.load(Acquire) {
            read_once(&self.value).max(counter.local_watermark())
        } else {
            counter.watermark()
        }
    }

    /// Resets the peak reported through this file to the current usage of `counter`.
    ///
    /// `watchers` are the registered files of the same counter (this one may be among them).
    /// The caller must serialise resets of one counter (memcg's `peaks_lock`). Returns `true`
    /// if this file was not registered yet, in which case the caller must add it to the
    /// watchers.
    pub(crate) fn reset<'a>(
        &self,
        counter: &Counter,
        watchers: impl IntoIterator<Item = &'a PeakFd>,
    ) -> bool {
        let (previous, usage) = counter.reset_local_watermark();
        for watcher in watchers {
            raise(&watcher.value, previous);
        }
        self.value.store(usage, Relaxed);
        // ORDERING: Release pairs with the Acquire in `read`.
        !self.registered.xchg(true, Release)
    }
}

/// A node type for the unit tests of this file and of `evict.rs`.
#[cfg(any(test, CONFIG_CGROUP_DRM_KUNIT_TEST))]
pub(crate) mod test_node {
    use super::{
        try_charge,
        Counter,
        Node, //
    };

    /// A node of a test hierarchy, living on the stack.
    pub(crate) struct TestNode<'a> {
        /// The node's counter.
        pub(crate) counter: Counter,
        /// The parent node, `None` for a root.
        parent: Option<&'a TestNode<'a>>,
    }

    impl<'a> TestNode<'a> {
        /// Creates a node below `parent`, or a root.
        pub(crate) fn new(parent: Option<&'a TestNode<'a>>) -> Self {
            Self {
                counter: Counter::new(),
                parent,
            }
        }

        /// Charges `bytes` and returns whether the charge succeeded.
        pub(crate) fn charge(&self, bytes: u64) -> bool {
            try_charge(self, bytes).is_ok()
        }
    }

    impl Node for TestNode<'_> {
        fn counter(&self) -> &Counter {
            &self.counter
        }

        fn parent(&self) -> Option<&Self> {
            self.parent
        }
    }

    /// Returns whether `a` is the node `b`.
    pub(crate) fn is(a: Option<&TestNode<'_>>, b: &TestNode<'_>) -> bool {
        matches!(a, Some(a) if core::ptr::eq(a, b))
    }
}

#[cfg(any(test, CONFIG_CGROUP_DRM_KUNIT_TEST))]
#[cfg_attr(not(test), crate::kunit_tests(drm_cgroup_charge))]
mod tests {
    use super::*;

    use crate::charge::test_node::{
        is,
        TestNode, //
    };

    /// Returns whether the charge was refused by `limit`.
    fn refused_by(
        result: Result<Charged<'_, TestNode<'_>>, LimitHit<'_, TestNode<'_>>>,
        limit: &TestNode<'_>,
    ) -> bool {
        matches!(result, Err(hit) if core::ptr::eq(hit.limit, limit))
    }

    /// Returns the lowest over-`high` node of a successful charge, or `None` if it failed.
    fn charged<'a, 'b>(
        result: Result<Charged<'a, TestNode<'b>>, LimitHit<'a, TestNode<'b>>>,
    ) -> Option<Option<&'a TestNode<'b>>> {
        result.ok().map(|charged| charged.over_high)
    }

    /// A counter usable in a `static`, as the root pool of a region may be.
    static STATIC_COUNTER: Counter = Counter::new();

    /// A new counter has no usage, no protection and no limits.
    #[test]
    fn new_counter_defaults() {
        let c = &STATIC_COUNTER;
        assert_eq!(c.usage(), 0);
        assert_eq!(c.min(), 0);
        assert_eq!(c.low(), 0);
        assert_eq!(c.high(), UNLIMITED);
        assert_eq!(c.max(), UNLIMITED);
        assert_eq!(c.watermark(), 0);
        assert_eq!(c.pinned(), 0);
        assert_eq!(c.events(), Events::default());
        assert_eq!(c.events_local(), Events::default());
    }

    /// A charge within every limit is added to the node and all its ancestors.
    #[test]
    fn charge_within_limit() {
        let root = TestNode::new(None);
        let parent = TestNode::new(Some(&root));
        let child = TestNode::new(Some(&parent));
        parent.counter.set_max(100);
        assert!(matches!(charged(try_charge(&child, 60)), Some(None)));
        assert_eq!(child.counter.usage(), 60);
        assert_eq!(parent.counter.usage(), 60);
        assert_eq!(root.counter.usage(), 60);
        assert!(uncharge(&child, 60).is_ok());
        assert_eq!(child.counter.usage(), 0);
        assert_eq!(parent.counter.usage(), 0);
        assert_eq!(root.counter.usage(), 0);
    }

    /// A charge reaching exactly `max` succeeds; one byte more is refused.
    #[test]
    fn charge_exactly_at_max() {
        let root = TestNode::new(None);
        let child = TestNode::new(Some(&root));
        child.counter.set_max(4096);
        assert!(charged(try_charge(&child, 4096)).is_some());
        assert_eq!(child.counter.usage(), 4096);
        assert!(refused_by(try_charge(&child, 1), &child));
        assert_eq!(child.counter.usage(), 4096);
        assert_eq!(root.counter.usage(), 4096);
    }

    /// A `max` of zero refuses every non-empty charge; empty charges change nothing.
    #[test]
    fn max_zero_refuses_everything() {
        let root = TestNode::new(None);
        let child = TestNode::new(Some(&root));
        child.counter.set_max(0);
        assert!(refused_by(try_charge(&child, 1), &child));
        assert!(matches!(charged(try_charge(&child, 0)), Some(None)));
        assert_eq!(child.counter.usage(), 0);
        assert_eq!(child.counter.events_local().max, 1);
    }

    /// A refusal by an ancestor cancels the levels below it and counts a `max` event there.
    #[test]
    fn charge_refused_by_ancestor_rolls_back() {
        let root = TestNode::new(None);
        let parent = TestNode::new(Some(&root));
        let child = TestNode::new(Some(&parent));
        let sibling = TestNode::new(Some(&parent));
        parent.counter.set_max(100);
        set_min(&child, 1000);
        assert!(charged(try_charge(&sibling, 40)).is_some());
        assert!(charged(try_charge(&child, 50)).is_some());
        assert!(refused_by(try_charge(&child, 11), &parent));
        assert_eq!(child.counter.usage(), 50);
        assert_eq!(parent.counter.usage(), 90);
        assert_eq!(root.counter.usage(), 90);
        // The cancelled level's protected usage is published again.
        assert_eq!(parent.counter.children_min_usage(), 50);
        // The refused charge left no trace in the watermarks.
        assert_eq!(child.counter.watermark(), 50);
        assert_eq!(parent.counter.watermark(), 90);
        // Local at the refusing node, hierarchical there and above.
        assert_eq!(parent.counter.events_local().max, 1);
        assert_eq!(parent.counter.events().max, 1);
        assert_eq!(root.counter.events().max, 1);
        assert_eq!(root.counter.events_local().max, 0);
        assert_eq!(child.counter.events().max, 0);
    }

    /// Usage may reach `u64::MAX` but never wraps.
    #[test]
    fn u64_edges() {
        let root = TestNode::new(None);
        let child = TestNode::new(Some(&root));
        assert!(charged(try_charge(&child, u64::MAX)).is_some());
        assert_eq!(root.counter.usage(), u64::MAX);
        assert!(refused_by(try_charge(&child, 1), &child));
        let other = TestNode::new(Some(&root));
        assert!(refused_by(try_charge(&other, 1), &root));
        assert_eq!(other.counter.usage(), 0);
        assert_eq!(root.counter.usage(), u64::MAX);
        assert_eq!(child.counter.watermark(), u64::MAX);
        assert!(uncharge(&child, u64::MAX).is_ok());
        assert_eq!(root.counter.usage(), 0);
        assert!(charged(try_charge(&other, u64::MAX - 1)).is_some());
        assert!(refused_by(try_charge(&other, 2), &other));
        assert!(charged(try_charge(&other, 1)).is_some());
        assert_eq!(root.counter.usage(), u64::MAX);
    }

    /// Uncharging more than the node holds is refused and changes nothing.
    #[test]
    fn uncharge_underflow_is_refused() {
        let root = TestNode::new(None);
        let child = TestNode::new(Some(&root));
        let sibling = TestNode::new(Some(&root));
        assert!(charged(try_charge(&child, 10)).is_some());
        assert!(charged(try_charge(&sibling, 10)).is_some());
        assert_eq!(
            uncharge(&child, 11),
            Err(UnchargeError::Underflow { usage: 10 })
        );
        assert_eq!(child.counter.usage(), 10);
        assert_eq!(root.counter.usage(), 20);
        assert_eq!(uncharge(&child, 10), Ok(()));
        assert_eq!(
            uncharge(&child, 1),
            Err(UnchargeError::Underflow { usage: 0 })
        );
        assert_eq!(root.counter.usage(), 10);
    }

    /// An ancestor holding less than its descendant is clamped to zero and reported.
    #[test]
    fn uncharge_inconsistent_ancestor_is_clamped() {
        let root = TestNode::new(None);
        let parent = TestNode::new(Some(&root));
        let child = TestNode::new(Some(&parent));
        assert!(charged(try_charge(&child, 10)).is_some());
        // A wrong uncharge of the child's bytes from the parent succeeds at the parent...
        assert_eq!(uncharge(&parent, 10), Ok(()));
        assert_eq!(parent.counter.usage(), 0);
        // ... and the child's own uncharge then finds the parent short.
        assert_eq!(uncharge(&child, 10), Err(UnchargeError::Inconsistent));
        assert_eq!(child.counter.usage(), 0);
        assert_eq!(parent.counter.usage(), 0);
        assert_eq!(root.counter.usage(), 0);
    }

    /// Lowering `max` below usage succeeds, reports the usage and blocks further charges.
    #[test]
    fn set_max_below_usage() {
        let root = TestNode::new(None);
        let child = TestNode::new(Some(&root));
        assert!(charged(try_charge(&child, 80)).is_some());
        assert_eq!(child.counter.set_max(50), 80);
        assert_eq!(child.counter.max(), 50);
        assert!(refused_by(try_charge(&child, 1), &child));
        assert!(uncharge(&child, 40).is_ok());
        assert!(charged(try_charge(&child, 10)).is_some());
        assert_eq!(child.counter.set_max(UNLIMITED), 50);
    }

    /// A forced charge goes past `max` at every level, counts no `max` event, and leaves
    /// normal charges refused until usage is back under `max`.
    #[test]
    fn force_charge_ignores_max() {
        let root = TestNode::new(None);
        let parent = TestNode::new(Some(&root));
        let child = TestNode::new(Some(&parent));
        parent.counter.set_max(100);
        child.counter.set_high(50);
        set_min(&child, 30);
        assert!(charged(try_charge(&child, 80)).is_some());
        assert!(is(force_charge(&child, 60).over_high, &child));
        assert_eq!(child.counter.usage(), 140);
        assert_eq!(parent.counter.usage(), 140);
        assert_eq!(root.counter.usage(), 140);
        assert_eq!(parent.counter.watermark(), 140);
        assert_eq!(parent.counter.events().max, 0);
        assert_eq!(child.counter.events_local().high, 2);
        assert_eq!(parent.counter.children_min_usage(), 30);
        assert!(refused_by(try_charge(&child, 1), &parent));
        assert!(uncharge(&child, 60).is_ok());
        assert!(charged(try_charge(&child, 20)).is_some());
        assert_eq!(parent.counter.usage(), 100);
        assert!(force_charge(&child, 0).over_high.is_none());
        assert_eq!(root.counter.usage(), 100);
    }

    /// `high` events count locally per level above `high` and hierarchically above it.
    #[test]
    fn high_events_local_and_hierarchical() {
        let root = TestNode::new(None);
        let a = TestNode::new(Some(&root));
        let b = TestNode::new(Some(&a));
        assert_eq!(a.counter.set_high(10), 0);
        b.counter.set_high(5);
        assert!(matches!(charged(try_charge(&b, 5)), Some(None)));
        assert_eq!(b.counter.events_local().high, 0);
        assert!(is(charged(try_charge(&b, 3)).flatten(), &b));
        assert_eq!(b.counter.events_local().high, 1);
        assert_eq!(b.counter.events().high, 1);
        assert_eq!(a.counter.events_local().high, 0);
        assert_eq!(a.counter.events().high, 1);
        assert_eq!(root.counter.events().high, 1);
        // Now both `b` (12 > 5) and `a` (12 > 10) end above `high`.
        assert!(is(charged(try_charge(&b, 4)).flatten(), &b));
        assert_eq!(b.counter.events_local().high, 2);
        assert_eq!(b.counter.events().high, 2);
        assert_eq!(a.counter.events_local().high, 1);
        assert_eq!(a.counter.events().high, 3);
        assert_eq!(root.counter.events().high, 3);
        assert_eq!(root.counter.events_local().high, 0);
        // A charge of a sibling of `b` reports `a` as the lowest node above `high`.
        let c = TestNode::new(Some(&a));
        assert!(is(charged(try_charge(&c, 1)).flatten(), &a));
        assert_eq!(a.counter.events_local().high, 2);
        assert_eq!(c.counter.events().high, 0);
    }

    /// The watermark follows the highest usage; refused charges do not raise it.
    #[test]
    fn watermark_tracks_peak() {
        let root = TestNode::new(None);
        let child = TestNode::new(Some(&root));
        child.counter.set_max(100);
        assert!(charged(try_charge(&child, 70)).is_some());
        assert!(uncharge(&child, 50).is_ok());
        assert!(charged(try_charge(&child, 30)).is_some());
        assert_eq!(child.counter.usage(), 50);
        assert_eq!(child.counter.watermark(), 70);
        assert_eq!(root.counter.watermark(), 70);
        assert!(refused_by(try_charge(&child, 60), &child));
        assert_eq!(child.counter.watermark(), 70);
        assert_eq!(child.counter.local_watermark(), 70);
    }

    /// Per-file peak resets are independent, and a reset never lowers another file's peak.
    #[test]
    fn peak_fd_reset() {
        let root = TestNode::new(None);
        let node = TestNode::new(Some(&root));
        let c = &node.counter;
        let fd1 = PeakFd::new();
        let fd2 = PeakFd::new();
        assert!(charged(try_charge(&node, 100)).is_some());
        assert!(uncharge(&node, 90).is_ok());
        assert_eq!(fd1.read(c), 100);
        // First write registers the file and resets its peak to the usage.
        assert!(fd1.reset(c, [&fd1, &fd2].into_iter().filter(|f| f.is_registered())));
        assert!(fd1.is_registered());
        assert!(!fd2.is_registered());
        assert_eq!(fd1.read(c), 10);
        assert_eq!(fd2.read(c), 100);
        assert!(charged(try_charge(&node, 40)).is_some());
        assert!(uncharge(&node, 40).is_ok());
        assert_eq!(fd1.read(c), 50);
        // A reset through `fd2` keeps the 50 that `fd1` saw (memcg would report 10 here).
        assert!(fd2.reset(c, [&fd1]));
        assert_eq!(fd1.read(c), 50);
        assert_eq!(fd2.read(c), 10);
        // Writing again to a registered file does not register it twice.
        assert!(!fd1.reset(c, [&fd1, &fd2]));
        assert_eq!(fd1.read(c), 10);
        assert_eq!(c.watermark(), 100);
        assert!(charged(try_charge(&node, 5)).is_some());
        assert_eq!(fd1.read(c), 15);
        assert_eq!(fd2.read(c), 15);
        assert_eq!(c.watermark(), 100);
    }

    /// The parent's protected-usage sums follow charges, uncharges and settings.
    #[test]
    fn protected_usage_propagates() {
        let root = TestNode::new(None);
        let parent = TestNode::new(Some(&root));
        let a = TestNode::new(Some(&parent));
        let b = TestNode::new(Some(&parent));
        set_min(&a, 30);
        set_low(&a, 100);
        assert_eq!(parent.counter.children_min_usage(), 0);
        assert!(charged(try_charge(&a, 20)).is_some());
        assert_eq!(parent.counter.children_min_usage(), 20);
        assert_eq!(parent.counter.children_low_usage(), 20);
        assert!(charged(try_charge(&a, 20)).is_some());
        assert_eq!(parent.counter.children_min_usage(), 30);
        assert_eq!(parent.counter.children_low_usage(), 40);
        set_low(&b, 5);
        assert!(charged(try_charge(&b, 50)).is_some());
        assert_eq!(parent.counter.children_low_usage(), 45);
        assert_eq!(root.counter.children_low_usage(), 0);
        set_min(&a, 10);
        assert_eq!(parent.counter.children_min_usage(), 10);
        assert!(uncharge(&a, 35).is_ok());
        assert_eq!(parent.counter.children_min_usage(), 5);
        assert_eq!(parent.counter.children_low_usage(), 10);
        set_low(&parent, 1000);
        assert_eq!(root.counter.children_low_usage(), 55);
        set_min(&a, 0);
        set_low(&a, 0);
        assert_eq!(parent.counter.children_min_usage(), 0);
        assert_eq!(parent.counter.children_low_usage(), 5);
    }

    /// A children sum is read as it is within the parent's usage, as zero when it is a
    /// transient negative value, and as the parent's usage when a racing charge published it
    /// first.
    #[test]
    fn settled_sums() {
        assert_eq!(settled_sum(0, 0), 0);
        assert_eq!(settled_sum(40, 100), 40);
        assert_eq!(settled_sum(100, 100), 100);
        assert_eq!(settled_sum(101, 100), 100);
        assert_eq!(settled_sum(0u64.wrapping_sub(25), 100), 0);
        assert_eq!(settled_sum(1 << 63, 100), 0);
        assert_eq!(settled_sum((1 << 63) - 1, 100), 100);
        // Settled sums are exact up to the largest usage.
        assert_eq!(settled_sum(u64::MAX, u64::MAX), u64::MAX);
        assert_eq!(settled_sum(1 << 63, u64::MAX), 1 << 63);
    }

    /// Each publication changes the parent's sum by exactly the change of the published value,
    /// and reports whether the value was stale.
    #[test]
    fn publish_keeps_sum_exact() {
        let slot = Atomic::new(50u64);
        let sum = Atomic::new(80u64);
        assert!(!publish(&slot, 50, &sum));
        assert!(publish(&slot, 20, &sum));
        assert_eq!((slot.load(Relaxed), sum.load(Relaxed)), (20, 50));
        assert!(publish(&slot, 70, &sum));
        assert_eq!((slot.load(Relaxed), sum.load(Relaxed)), (70, 100));
        assert!(!publish(&slot, 70, &sum));
        assert!(publish(&slot, 0, &sum));
        assert_eq!((slot.load(Relaxed), sum.load(Relaxed)), (0, 30));
    }

    /// Pins propagate to the ancestors; certain errors are refused and change nothing.
    #[test]
    fn pin_and_unpin() {
        let root = TestNode::new(None);
        let child = TestNode::new(Some(&root));
        assert!(charged(try_charge(&child, 10)).is_some());
        assert_eq!(pin(&child, 11), Err(PinError::NotCharged { usage: 10 }));
        assert_eq!(pin(&child, 6), Ok(()));
        assert_eq!(child.counter.pinned(), 6);
        assert_eq!(root.counter.pinned(), 6);
        assert_eq!(pin(&child, 4), Ok(()));
        assert_eq!(root.counter.pinned(), 10);
        assert_eq!(unpin(&child, 11), Err(PinError::NotPinned { pinned: 10 }));
        assert_eq!(child.counter.pinned(), 10);
        assert_eq!(unpin(&child, 4), Ok(()));
        assert_eq!(uncharge(&child, 4), Ok(()));
        assert_eq!(unpin(&child, 6), Ok(()));
        assert_eq!(root.counter.pinned(), 0);
        assert_eq!(uncharge(&child, 6), Ok(()));
        // The pinned bytes saturate instead of wrapping.
        assert!(charged(try_charge(&child, u64::MAX)).is_some());
        assert_eq!(pin(&child, u64::MAX), Ok(()));
        assert_eq!(
            pin(&child, 1),
            Err(PinError::NotCharged { usage: u64::MAX })
        );
        assert_eq!(root.counter.pinned(), u64::MAX);
    }

    /// Events and eviction statistics count locally and in every ancestor.
    #[test]
    fn events_and_evictions_are_hierarchical() {
        let root = TestNode::new(None);
        let a = TestNode::new(Some(&root));
        let b = TestNode::new(Some(&a));
        record_event(&b, Event::Low);
        record_event(&a, Event::Low);
        assert_eq!(b.counter.events_local().low, 1);
        assert_eq!(b.counter.events().low, 1);
        assert_eq!(a.counter.events_local().low, 1);
        assert_eq!(a.counter.events().low, 2);
        assert_eq!(root.counter.events().low, 2);
        assert_eq!(root.counter.events_local(), Events::default());
        record_eviction(&b, 4096);
        record_eviction(&a, 100);
        assert_eq!(b.counter.evicted_bytes(), 4096);
        assert_eq!(b.counter.evictions(), 1);
        assert_eq!(a.counter.evicted_bytes(), 4196);
        assert_eq!(root.counter.evictions(), 2);
        record_eviction(&b, u64::MAX);
        assert_eq!(root.counter.evicted_bytes(), u64::MAX);
    }
}
