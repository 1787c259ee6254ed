// SPDX-License-Identifier: GPL-2.0

//! Public wrapper of the accounting core for integration tests and benchmarks.
//!
//! Every item forwards to `charge.rs` or `evict.rs` without logic of its own, except for the
//! conversions between the core's `pub(crate)` types and their public mirrors here.

use alloc::sync::Arc;

use crate::charge::{
    self,
    Counter, //
};
use crate::evict::{
    self,
    EvictFlags, //
};

/// Value of `max` and `high` meaning "no limit".
pub const UNLIMITED: u64 = charge::UNLIMITED;

/// Number of path levels the core keeps on the stack while computing protection.
pub const PATH_CHUNK: usize = evict::PATH_CHUNK;

/// One cgroup's pool for one region: a counter and a reference to the parent pool.
pub struct Pool {
    /// The accounting state.
    counter: Counter,
    /// The parent cgroup's pool, `None` for the root.
    parent: Option<Arc<Pool>>,
}

impl charge::Node for Pool {
    fn counter(&self) -> &Counter {
        &self.counter
    }

    fn parent(&self) -> Option<&Self> {
        self.parent.as_deref()
    }
}

impl core::fmt::Debug for Pool {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Pool")
            .field("usage", &self.usage())
            .field("min", &self.min())
            .field("low", &self.low())
            .field("high", &self.high())
            .field("max", &self.max())
            .finish_non_exhaustive()
    }
}

/// Mirror of `evict::Verdict`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Verdict {
    /// The victim may be evicted.
    Yes,
    /// The victim may be evicted, but its usage is within its effective `low`.
    YesBelowLow,
    /// The victim is protected by its effective `low`.
    NoButLow,
    /// The victim must not be evicted.
    No,
}

impl Verdict {
    /// Returns whether the verdict allows the eviction.
    pub fn may_evict(self) -> bool {
        evict::Verdict::from(self).may_evict()
    }
}

impl From<evict::Verdict> for Verdict {
    fn from(v: evict::Verdict) -> Self {
        match v {
            evict::Verdict::Yes => Self::Yes,
            evict::Verdict::YesBelowLow => Self::YesBelowLow,
            evict::Verdict::NoButLow => Self::NoButLow,
            evict::Verdict::No => Self::No,
        }
    }
}

impl From<Verdict> for evict::Verdict {
    fn from(v: Verdict) -> Self {
        match v {
            Verdict::Yes => Self::Yes,
            Verdict::YesBelowLow => Self::YesBelowLow,
            Verdict::NoButLow => Self::NoButLow,
            Verdict::No => Self::No,
        }
    }
}

/// Mirror of `evict::EvictFlags`, one field per option.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Flags {
    /// `IGNORE_LOW`.
    pub ignore_low: bool,
    /// `NO_EVICT_OTHERS`.
    pub no_evict_others: bool,
    /// `ONLY_OVER_HIGH`.
    pub only_over_high: bool,
    /// `NO_RECURSIVE_PROT`.
    pub no_recursive_prot: bool,
}

impl From<Flags> for EvictFlags {
    fn from(f: Flags) -> Self {
        let pick = |on: bool, flag: EvictFlags| if on { flag } else { EvictFlags::NONE };
        pick(f.ignore_low, EvictFlags::IGNORE_LOW)
            | pick(f.no_evict_others, EvictFlags::NO_EVICT_OTHERS)
            | pick(f.only_over_high, EvictFlags::ONLY_OVER_HIGH)
            | pick(f.no_recursive_prot, EvictFlags::NO_RECURSIVE_PROT)
    }
}

/// Mirror of `charge::Events`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Events {
    /// `low` events.
    pub low: u64,
    /// `high` events.
    pub high: u64,
    /// `max` events.
    pub max: u64,
}

impl From<charge::Events> for Events {
    fn from(e: charge::Events) -> Self {
        Self {
            low: e.low,
            high: e.high,
            max: e.max,
        }
    }
}

/// Mirror of `evict::Protection`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Protection {
    /// Effective `min`.
    pub emin: u64,
    /// Effective `low`.
    pub elow: u64,
}

/// Mirror of `charge::UnchargeError`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UnchargeError {
    /// The node holds fewer bytes than were uncharged.
    Underflow {
        /// The node's usage.
        usage: u64,
    },
    /// An ancestor held fewer bytes than its descendant.
    Inconsistent,
}

/// Mirror of `charge::PinError`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PinError {
    /// More bytes than the node's usage were pinned, or the pinned bytes would overflow.
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

impl Pool {
    /// Creates a root pool.
    pub fn new_root() -> Arc<Self> {
        Arc::new(Self {
            counter: Counter::new(),
            parent: None,
        })
    }

    /// Creates a child pool of `parent`.
    pub fn new_child(parent: &Arc<Self>) -> Arc<Self> {
        Arc::new(Self {
            counter: Counter::new(),
            parent: Some(Arc::clone(parent)),
        })
    }

    /// Returns the parent pool.
    pub fn parent(&self) -> Option<&Pool> {
        self.parent.as_deref()
    }

    /// Returns the bytes charged to this pool and its descendants.
    pub fn usage(&self) -> u64 {
        self.counter.usage()
    }

    /// Returns `min`.
    pub fn min(&self) -> u64 {
        self.counter.min()
    }

    /// Returns `low`.
    pub fn low(&self) -> u64 {
        self.counter.low()
    }

    /// Returns `high`.
    pub fn high(&self) -> u64 {
        self.counter.high()
    }

    /// Returns `max`.
    pub fn max(&self) -> u64 {
        self.counter.max()
    }

    /// Returns the global watermark.
    pub fn watermark(&self) -> u64 {
        self.counter.watermark()
    }

    /// Returns the local watermark.
    pub fn local_watermark(&self) -> u64 {
        self.counter.local_watermark()
    }

    /// Returns the pinned bytes.
    pub fn pinned(&self) -> u64 {
        self.counter.pinned()
    }

    /// Returns the children's summed `min(usage, min)`.
    pub fn children_min_usage(&self) -> u64 {
        self.counter.children_min_usage()
    }

    /// Returns the children's summed `min(usage, low)`.
    pub fn children_low_usage(&self) -> u64 {
        self.counter.children_low_usage()
    }

    /// Returns the evicted bytes.
    pub fn evicted_bytes(&self) -> u64 {
        self.counter.evicted_bytes()
    }

    /// Returns the number of evictions.
    pub fn evictions(&self) -> u64 {
        self.counter.evictions()
    }

    /// Returns the hierarchical events.
    pub fn events(&self) -> Events {
        self.counter.events().into()
    }

    /// Returns the local events.
    pub fn events_local(&self) -> Events {
        self.counter.events_local().into()
    }

    /// Sets `max` and returns the usage.
    pub fn set_max(&self, max: u64) -> u64 {
        self.counter.set_max(max)
    }

    /// Sets `high` and returns the usage.
    pub fn set_high(&self, high: u64) -> u64 {
        self.counter.set_high(high)
    }

    /// Sets `min`.
    pub fn set_min(&self, min: u64) {
        charge::set_min(self, min)
    }

    /// Sets `low`.
    pub fn set_low(&self, low: u64) {
        charge::set_low(self, low)
    }

    /// Charges `bytes`: `Ok` with the lowest pool above `high`, or `Err` with the limit pool.
    pub fn try_charge(&self, bytes: u64) -> Result<Option<&Pool>, &Pool> {
        charge::try_charge(self, bytes)
            .map(|charged| charged.over_high)
            .map_err(|hit| hit.limit)
    }

    /// Charges `bytes` whatever the `max` settings: the lowest pool above `high`.
    pub fn force_charge(&self, bytes: u64) -> Option<&Pool> {
        charge::force_charge(self, bytes).over_high
    }

    /// Uncharges `bytes`.
    pub fn uncharge(&self, bytes: u64) -> Result<(), UnchargeError> {
        charge::uncharge(self, bytes).map_err(|e| match e {
            charge::UnchargeError::Underflow { usage } => UnchargeError::Underflow { usage },
            charge::UnchargeError::Inconsistent => UnchargeError::Inconsistent,
        })
    }

    /// Pins `bytes`.
    pub fn pin(&self, bytes: u64) -> Result<(), PinError> {
        charge::pin(self, bytes).map_err(pin_error)
    }

    /// Unpins `bytes`.
    pub fn unpin(&self, bytes: u64) -> Result<(), PinError> {
        charge::unpin(self, bytes).map_err(pin_error)
    }

    /// Returns the first of this pool and its ancestors above `high`.
    pub fn first_over_high(&self) -> Option<&Pool> {
        evict::first_over_high(self)
    }
}

/// Converts a core pin error.
fn pin_error(e: charge::PinError) -> PinError {
    match e {
        charge::PinError::NotCharged { usage } => PinError::NotCharged { usage },
        charge::PinError::NotPinned { pinned } => PinError::NotPinned { pinned },
    }
}

/// The state of one open peak file.
pub struct PeakFd(charge::PeakFd);

impl PeakFd {
    /// Creates the state of a newly opened file.
    pub fn new() -> Self {
        Self(charge::PeakFd::new())
    }

    /// Returns whether the file was reset at least once.
    pub fn is_registered(&self) -> bool {
        self.0.is_registered()
    }

    /// Returns the peak to report for `pool`.
    pub fn read(&self, pool: &Pool) -> u64 {
        self.0.read(&pool.counter)
    }

    /// Resets the peak to the current usage; returns whether the file must be registered.
    pub fn reset<'a>(&self, pool: &Pool, watchers: impl IntoIterator<Item = &'a PeakFd>) -> bool {
        self.0
            .reset(&pool.counter, watchers.into_iter().map(|w| &w.0))
    }
}

impl Default for PeakFd {
    fn default() -> Self {
        Self::new()
    }
}

/// See `evict::evict_valuable`.
pub fn evict_valuable(
    limit: Option<&Pool>,
    victim: &Pool,
    evictor: Option<&Pool>,
    flags: Flags,
) -> Verdict {
    evict::evict_valuable(limit, victim, evictor, flags.into()).into()
}

/// See `evict::below_min`.
pub fn below_min(root: Option<&Pool>, node: &Pool, flags: Flags) -> bool {
    evict::below_min(root, node, flags.into())
}

/// See `evict::below_low`.
pub fn below_low(root: Option<&Pool>, node: &Pool, flags: Flags) -> bool {
    evict::below_low(root, node, flags.into())
}

/// See `evict::common_ancestor`.
pub fn common_ancestor<'a>(a: &'a Pool, b: &'a Pool) -> Option<&'a Pool> {
    evict::common_ancestor(a, b)
}

/// See `evict::effective_protection`.
pub fn effective_protection(root: &Pool, node: &Pool, flags: Flags) -> Option<Protection> {
    evict::effective_protection(root, node, flags.into()).map(|p| Protection {
        emin: p.emin,
        elow: p.elow,
    })
}

/// See `evict::report_eviction`.
pub fn report_eviction(victim: &Pool, bytes: u64, verdict: Verdict) {
    evict::report_eviction(victim, bytes, verdict.into())
}

/// See `evict::mul_div`.
pub fn mul_div(a: u64, b: u64, c: u64) -> u64 {
    evict::mul_div(a, b, c)
}
