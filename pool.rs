// SPDX-License-Identifier: GPL-2.0

//! Pools: the accounting state of one cgroup in one region.
//!
//! Each cgroup has a table of [`MAX_REGIONS`] pool pointers indexed by the region's slot. A pool
//! is created on the first charge or setting of its (cgroup, region) pair, after the pools of
//! every ancestor for the same region, so that each pool's counter can link to its parent's.
//! Creation is the only slow path: it takes the region registry lock and allocates. Afterwards
//! finding a pool is one acquire load and a pointer comparison, without locks or allocation.
//!
//! A pool lives as long as its cgroup's css: the cgroup core frees a css only after the last
//! reference is gone, and every charge holds a reference on the css of its pool, so neither
//! charges nor lock-free lookups can see a freed pool. A child css keeps its parent alive, so a
//! pool's parent pool outlives it too. When a region is unregistered, its pools stay in place
//! (charges may still be outstanding); a lookup checks that the pool in a slot belongs to the
//! region asked for, and the slow path replaces a pool left by an earlier region of that slot.

use crate::{
    atomic::{
        Acquire,
        Atomic,
        Relaxed,
        Release, //
    },
    cgroup::Css,
    charge::{
        Counter,
        Node, //
    },
    region::{
        Region,
        MAX_REGIONS,
        REGISTRY, //
    },
    DrmCgroup, //
};
use core::ptr;
use kernel::{
    prelude::*,
    sync::{
        Arc,
        ArcBorrow, //
    },
};

/// The accounting state of one cgroup in one region.
///
/// # Invariants
///
/// - `css` points to the cgroup whose table holds (or held) this pool; that css owns the pool,
///   so it is alive whenever the pool is.
/// - `parent` is null for the pools of the root cgroup; otherwise it points to the pool of the
///   parent cgroup for the same region, which lives at least as long as this one.
pub(crate) struct Pool {
    counter: Counter,
    parent: *const Pool,
    region: Arc<Region>,
    css: *const Css<DrmCgroup>,
    /// Next pool owned by the same cgroup (every pool it ever created), freed with it.
    next: *mut Pool,
}

// SAFETY: The raw pointers are to objects that outlive the pool (type invariants) and that are
// themselves `Sync`; the counter is made of atomics.
unsafe impl Send for Pool {}
// SAFETY: See `Send`; shared access only reads the pointers and uses atomics.
unsafe impl Sync for Pool {}

impl Node for Pool {
    fn counter(&self) -> &Counter {
        &self.counter
    }

    fn parent(&self) -> Option<&Pool> {
        // SAFETY: By the type invariants `parent` is null or valid for at least as long as
        // `self`.
        unsafe { self.parent.as_ref() }
    }
}

impl Pool {
    /// The region of the pool.
    pub(crate) fn region(&self) -> &Arc<Region> {
        &self.region
    }

    /// The cgroup of the pool.
    pub(crate) fn css(&self) -> &Css<DrmCgroup> {
        // SAFETY: By the type invariants the css owns the pool and so outlives it.
        unsafe { &*self.css }
    }

    /// The pool's counter.
    pub(crate) fn counter(&self) -> &Counter {
        &self.counter
    }
}

/// The pools of one cgroup.
pub(crate) struct Pools {
    slots: [Atomic<*mut Pool>; MAX_REGIONS],
    /// Every pool this cgroup created, linked through [`Pool::next`]; pushed to under the
    /// registry lock, freed when the cgroup is freed.
    owned: Atomic<*mut Pool>,
}

impl Pools {
    /// An empty table.
    pub(crate) const fn new() -> Self {
        Self {
            slots: [const { Atomic::new(ptr::null_mut()) }; MAX_REGIONS],
            owned: Atomic::new(ptr::null_mut()),
        }
    }

    /// The pool of `region` in this cgroup, if it was created.
    pub(crate) fn get(&self, region: &Region) -> Option<&Pool> {
        let slot = self.slots.get(region.slot())?;
        // ORDERING: Acquire pairs with the Release store that published the pool, so its
        // fields are initialised when we read them.
        let p = slot.load(Acquire);
        // SAFETY: Pools in the table are owned by this cgroup, which the caller borrows, so a
        // non-null pointer is valid for the borrow.
        let pool = unsafe { p.as_ref() }?;
        ptr::eq(&*pool.region, region).then_some(pool)
    }
}

impl Drop for Pools {
    fn drop(&mut self) {
        let mut p = self.owned.load(Relaxed);
        while !p.is_null() {
            // SAFETY: Every pool on the list was created by `KBox::into_raw` in `create` and is
            // owned by this cgroup only; the cgroup is being freed, so nothing uses them.
            let pool = unsafe { KBox::from_raw(p) };
            p = pool.next;
            LIVE_POOLS.fetch_sub(1, Relaxed);
        }
    }
}

/// The number of pools allocated and not freed yet, for tests that check that none leaks.
static LIVE_POOLS: Atomic<u64> = Atomic::new(0);

/// Returns how many pools exist (see [`LIVE_POOLS`]).
pub(crate) fn live_pools() -> u64 {
    LIVE_POOLS.load(Relaxed)
}

/// Returns the pool of (`css`, `region`), creating it and its ancestors' pools if needed.
///
/// Fails with `ENODEV` once the region is unregistered and with `ENOMEM`.
pub(crate) fn get_or_create<'a>(
    css: &'a Css<DrmCgroup>,
    region: ArcBorrow<'_, Region>,
) -> Result<&'a Pool> {
    if let Some(pool) = css.pools.get(&region) {
        if region.is_unregistered() {
            return Err(ENODEV);
        }
        return Ok(pool);
    }
    let _reg = REGISTRY.lock();
    if region.is_unregistered() {
        return Err(ENODEV);
    }
    // Create the missing pools from the topmost ancestor without one down to `css`, so that
    // each new pool finds its parent's. The depth is small; walking up again per level keeps
    // this free of allocation beyond the pools themselves.
    loop {
        let mut target = css;
        while let Some(parent) = target.parent() {
            if parent.pools.get(&region).is_some() {
                break;
            }
            target = parent;
        }
        let parent_pool = match target.parent() {
            Some(parent) => ptr::from_ref(parent.pools.get(&region).ok_or(EINVAL)?),
            None => ptr::null(),
        };
        create(target, region, parent_pool)?;
        if ptr::eq(target, css) {
            break;
        }
    }
    css.pools.get(&region).ok_or(EINVAL)
}

/// Creates the pool of (`css`, `region`) under the registry lock and publishes it.
fn create(css: &Css<DrmCgroup>, region: ArcBorrow<'_, Region>, parent: *const Pool) -> Result {
    let slot = css.pools.slots.get(region.slot()).ok_or(EINVAL)?;
    // INVARIANT: `css` will own the pool; `parent` is the parent cgroup's pool of this region
    // (or null at the root), found in its table.
    let pool = KBox::new(
        Pool {
            counter: Counter::new(),
            parent,
            region: region.into(),
            css,
            next: css.pools.owned.load(Relaxed),
        },
        GFP_KERNEL,
    )?;
    let p = KBox::into_raw(pool);
    LIVE_POOLS.fetch_add(1, Relaxed);
    // The registry lock serialises every writer of `owned` and of the slots.
    css.pools.owned.store(p, Relaxed);
    // ORDERING: Release publishes the initialised pool to lock-free readers (see `get`).
    slot.store(p, Release);
    Ok(())
}
