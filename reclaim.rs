// SPDX-License-Identifier: GPL-2.0

//! Reclaim: asking drivers to evict a cgroup's buffers from a region.
//!
//! Lowering `drm.max` below the usage reclaims in the writer's context ([`reclaim_to`]);
//! lowering `drm.high` queues the cgroup's background reclaim, one work item per cgroup on an
//! unbound workqueue of the controller's own. Drivers implement [`Reclaim`] (C drivers through
//! `struct drmcg_region_ops`); a region runs the callback in an SRCU read-side section so that
//! unregistering can wait for it (see `region.rs`).

use crate::{
    atomic::Relaxed,
    cgroup::Css,
    pool::Pool,
    region::REGISTRY,
    DrmCgroup, //
};
use kernel::{
    bindings,
    prelude::*,
    sync::aref::ARef,
    workqueue::{
        self,
        HasWork,
        Queue,
        Work,
        WorkItem, //
    },
};

/// The driver callback that evicts memory of a cgroup (see `struct drmcg_region_ops`).
pub(crate) trait Reclaim: Send + Sync {
    /// Evicts at least `target` bytes charged to `pool` or its descendants in this region.
    ///
    /// Returns `Ok(())` on progress, `Err(ENOSPC)` when nothing could be evicted.
    fn reclaim(&self, pool: &Pool, target: u64) -> Result;
}

/// How often lowering `drm.max` asks the driver to reclaim without progress before giving up.
const MAX_RECLAIM_RETRIES: u32 = 16;

/// How many driver reclaim calls one run of a cgroup's high reclaim makes at most.
const HIGH_RECLAIM_CALLS: u32 = 16;

/// How many runs of high reclaim one `drm.high` write (or a run that made progress) may lead
/// to: a run that made progress and left usage above `high` queues the next one while budget
/// is left.
const HIGH_RECLAIM_RUNS: u32 = 8;

/// Asks the region's driver to bring `pool`'s usage down to `target` bytes.
///
/// Stops when the usage fits, on a signal (if `interruptible`), on a driver error (`ENODEV`
/// once the region is unregistered), after [`MAX_RECLAIM_RETRIES`] calls in a row without
/// progress, or after `max_calls` calls in all. Returns whether it made progress, and how many
/// calls it made.
pub(crate) fn reclaim_to(
    pool: &Pool,
    target: u64,
    interruptible: bool,
    max_calls: u32,
) -> (bool, u32) {
    let mut retries = 0;
    let mut progress = false;
    let mut calls = 0;
    while calls < max_calls {
        let usage = pool.counter().usage();
        if usage <= target {
            break;
        }
        if interruptible && kernel::current!().signal_pending() {
            break;
        }
        calls += 1;
        match pool.region().reclaim(pool, usage - target) {
            Ok(()) if pool.counter().usage() < usage => {
                progress = true;
                retries = 0;
            }
            Ok(()) => retries += 1,
            Err(e) if e == ENOSPC => retries += 1,
            Err(_) => break,
        }
        if retries >= MAX_RECLAIM_RETRIES {
            break;
        }
    }
    (progress, calls)
}

/// Reclaims `bytes` of `pool`'s usage for a `drm.reclaim` write, as `memory.reclaim` does:
/// asks the driver to evict the cgroup's buffers (its own and its descendants', as protection
/// relative to the cgroup allows) until the usage has come down by `bytes`.
///
/// Fails with `EAGAIN` if the usage did not come down that far (after [`MAX_RECLAIM_RETRIES`]
/// requests in a row without progress, or when the driver has no reclaim callback) and with
/// `EINTR` on a signal. Counts the drop in the pool's `reclaimed` statistic either way.
pub(crate) fn reclaim_bytes(pool: &Pool, bytes: u64) -> Result {
    let start = pool.counter().usage();
    let target = start.saturating_sub(bytes);
    let _ = reclaim_to(pool, target, true, u32::MAX);
    let now = pool.counter().usage();
    pool.add_reclaimed(start.saturating_sub(now));
    if now <= target {
        Ok(())
    } else if kernel::current!().signal_pending() {
        Err(EINTR)
    } else {
        Err(EAGAIN)
    }
}

/// The queue of the controller's background reclaim: unbound, as the work sleeps on the
/// driver's fences for as long as evictions take.
fn reclaim_queue() -> &'static Queue {
    // SAFETY: `drmcg_reclaim_wq` is set once at boot (by an initcall, before userspace can
    // write `drm.high`) and never freed; it is null only if its allocation failed.
    let wq = unsafe { bindings::drmcg_reclaim_wq };
    if wq.is_null() {
        workqueue::system_unbound()
    } else {
        // SAFETY: A non-null `drmcg_reclaim_wq` is a workqueue that lives forever.
        unsafe { Queue::from_raw(wq) }
    }
}

/// Statistics of background reclaim since boot, for tests (see `drmcg_high_reclaim_stats`);
/// kept only in kernels built for testing.
#[cfg(CONFIG_CGROUP_DRM_TEST_HELPER)]
struct HighStats {
    queued: crate::atomic::Atomic<u64>,
    runs: crate::atomic::Atomic<u64>,
    max_in_flight: crate::atomic::Atomic<u64>,
}

#[cfg(CONFIG_CGROUP_DRM_TEST_HELPER)]
static HIGH_STATS: HighStats = HighStats {
    queued: crate::atomic::Atomic::new(0),
    runs: crate::atomic::Atomic::new(0),
    max_in_flight: crate::atomic::Atomic::new(0),
};

/// How often a cgroup's high reclaim item was queued and how many of its runs finished, for
/// [`HIGH_STATS`]: the item is pending at most once and never runs twice at a time, so the
/// difference is at most 2 (one running, one pending). Kept only in kernels built for testing;
/// elsewhere the type has no field and takes no space in the cgroup's state.
pub(crate) struct HighCounts {
    #[cfg(CONFIG_CGROUP_DRM_TEST_HELPER)]
    queued: crate::atomic::Atomic<u64>,
    #[cfg(CONFIG_CGROUP_DRM_TEST_HELPER)]
    done: crate::atomic::Atomic<u64>,
}

impl HighCounts {
    /// Counters at zero.
    pub(crate) const fn new() -> Self {
        Self {
            #[cfg(CONFIG_CGROUP_DRM_TEST_HELPER)]
            queued: crate::atomic::Atomic::new(0),
            #[cfg(CONFIG_CGROUP_DRM_TEST_HELPER)]
            done: crate::atomic::Atomic::new(0),
        }
    }
}

/// Queues `css`'s high reclaim item unless it is pending already.
fn enqueue_high_reclaim(css: &Css<DrmCgroup>) {
    if reclaim_queue().enqueue(ARef::from(css)).is_err() {
        // Already pending: the pending run will see the new `high`.
        return;
    }
    #[cfg(CONFIG_CGROUP_DRM_TEST_HELPER)]
    count_queued(css);
}

/// Counts a queued item of `css` in [`HIGH_STATS`], with how many were in flight.
#[cfg(CONFIG_CGROUP_DRM_TEST_HELPER)]
fn count_queued(css: &Css<DrmCgroup>) {
    // ORDERING: The fully ordered increment orders the load after it, so the runs counted as
    // finished include every run that finished before this item was queued: the difference
    // never counts a finished run (a run that finishes meanwhile only makes it smaller).
    let queued = css.high_counts.queued.fetch_add(1, crate::atomic::Full) + 1;
    let now = queued.saturating_sub(css.high_counts.done.load(Relaxed));
    HIGH_STATS.queued.fetch_add(1, Relaxed);
    let mut max = HIGH_STATS.max_in_flight.load(Relaxed);
    while now > max {
        match HIGH_STATS.max_in_flight.cmpxchg(max, now, Relaxed) {
            Ok(_) => break,
            Err(m) => max = m,
        }
    }
}

/// Queues `css`'s high reclaim, with a fresh budget of runs. Queuing an item that is already
/// pending does nothing, so a cgroup has at most one pending at any time.
pub(crate) fn queue_high_reclaim(css: &Css<DrmCgroup>) {
    css.high_runs.store(HIGH_RECLAIM_RUNS, Relaxed);
    enqueue_high_reclaim(css);
}

/// Reports background reclaim statistics to the test interface.
///
/// # Safety
///
/// Each argument is valid for writing.
#[cfg(CONFIG_CGROUP_DRM_TEST_HELPER)]
#[export]
pub unsafe extern "C" fn drmcg_high_reclaim_stats(
    queued: *mut u64,
    runs: *mut u64,
    max_in_flight: *mut u64,
) {
    // SAFETY: The caller passes pointers valid for writing.
    unsafe {
        *queued = HIGH_STATS.queued.load(Relaxed);
        *runs = HIGH_STATS.runs.load(Relaxed);
        *max_in_flight = HIGH_STATS.max_in_flight.load(Relaxed);
    }
}

/// Offset of [`DrmCgroup::high_work`] in a [`Css<DrmCgroup>`].
const HIGH_WORK_OFFSET: usize =
    Css::<DrmCgroup>::DATA_OFFSET + core::mem::offset_of!(DrmCgroup, high_work);

// SAFETY: `raw_get_work` and `work_container_of` add and subtract the same offset, that of the
// `high_work` field of the controller's state inside the css, so they are inverses and return
// pointers to the field and to its container.
unsafe impl HasWork<Css<DrmCgroup>> for Css<DrmCgroup> {
    unsafe fn raw_get_work(ptr: *mut Self) -> *mut Work<Css<DrmCgroup>> {
        // SAFETY: `ptr` points to a css, which contains the field at this offset.
        unsafe { ptr.byte_add(HIGH_WORK_OFFSET) }.cast()
    }

    unsafe fn work_container_of(ptr: *mut Work<Css<DrmCgroup>>) -> *mut Self {
        // SAFETY: `ptr` points to the `high_work` field of a css.
        unsafe { ptr.byte_sub(HIGH_WORK_OFFSET) }.cast()
    }
}

impl WorkItem for Css<DrmCgroup> {
    type Pointer = ARef<Css<DrmCgroup>>;

    /// One run of high reclaim, see [`high_reclaim`].
    fn run(css: ARef<Css<DrmCgroup>>) {
        high_reclaim(&css);
        #[cfg(CONFIG_CGROUP_DRM_TEST_HELPER)]
        {
            HIGH_STATS.runs.fetch_add(1, Relaxed);
            // ORDERING: Fully ordered, see `count_queued`.
            css.high_counts.done.fetch_add(1, crate::atomic::Full);
        }
    }
}

/// One run of `css`'s high reclaim (see [`WorkItem::run`] of [`Css<DrmCgroup>`]): for each
/// region where the cgroup is above its `high`, asks the driver to evict down to it, at most
/// [`HIGH_RECLAIM_CALLS`] calls in all; queues the next run if this one made progress, usage
/// is still above `high` somewhere and budget is left. Stops once the cgroup is offline.
fn high_reclaim(css: &Css<DrmCgroup>) {
    let over_high = {
        let reg = REGISTRY.lock();
        let mut pools = KVec::new();
        for r in reg.regions() {
            if let Some(pool) = css.pools.get_locked(r, &reg) {
                let c = pool.counter();
                if c.usage() > c.high() && pools.push(ARef::from(pool), GFP_KERNEL).is_err() {
                    break;
                }
            }
        }
        pools
    };
    let mut calls = HIGH_RECLAIM_CALLS;
    let mut progress = false;
    let mut above = false;
    for pool in over_high.iter() {
        if css.offline.load(Relaxed) || calls == 0 {
            return;
        }
        let (p, used) = reclaim_to(pool, pool.counter().high(), false, calls);
        progress |= p;
        calls -= used;
        above |= pool.counter().usage() > pool.counter().high();
    }
    if progress && above && !css.offline.load(Relaxed) && take_run(&css.high_runs) {
        enqueue_high_reclaim(css);
    }
}

/// Takes one run from the budget `runs`: whether one was left. One atomic step, so that a
/// `drm.high` write that refills the budget meanwhile is not overwritten.
fn take_run(runs: &crate::atomic::Atomic<u32>) -> bool {
    let mut left = runs.load(Relaxed);
    while left > 0 {
        match runs.cmpxchg(left, left - 1, Relaxed) {
            Ok(_) => return true,
            Err(now) => left = now,
        }
    }
    false
}

#[cfg(CONFIG_CGROUP_DRM_KUNIT_TEST)]
#[kernel::macros::kunit_tests(drm_cgroup_reclaim)]
mod tests {
    use super::*;

    #[test]
    fn take_run_counts_down_to_zero() {
        let runs = crate::atomic::Atomic::new(2u32);
        assert!(take_run(&runs));
        assert_eq!(runs.load(Relaxed), 1);
        assert!(take_run(&runs));
        assert!(!take_run(&runs));
        assert_eq!(runs.load(Relaxed), 0);
        // A refill, as a `drm.high` write makes, gives runs again.
        runs.store(HIGH_RECLAIM_RUNS, Relaxed);
        assert!(take_run(&runs));
        assert_eq!(runs.load(Relaxed), HIGH_RECLAIM_RUNS - 1);
    }
}
