// SPDX-License-Identifier: GPL-2.0

//! The drm cgroup controller: GPU memory accounting, limits and protection per memory region.
//!
//! Every memory region of every DRM device (see [`region`]) is accounted on its own, per cgroup,
//! with the memory controller's `min`/`low`/`high`/`max` semantics. Drivers call the C API in
//! `include/linux/cgroup_drm.h` when buffers are placed, freed, pinned and evicted.
//!
//! C header: [`include/linux/cgroup_drm.h`](srctree/include/linux/cgroup_drm.h).

use kernel::{
    bindings,
    prelude::*,
    seq_file::SeqFile,
    seq_print,
    sync::{
        aref::ARef,
        new_mutex,
        Arc,
        ArcBorrow,
        GlobalGuard,
        LockedBy,
        Mutex, //
    },
    workqueue::{
        self,
        new_work,
        HasWork,
        Queue,
        Work,
        WorkItem, //
    },
};

pub mod capi;
mod cgroup;
mod charge;
mod evict;
mod memparse_test;
mod parse;
mod pool;
mod protection_test;
mod region;

/// The KUnit attribute, reached as `crate::kunit_tests` by the pure files so that they name
/// nothing of the `kernel` crate and build unchanged on the host.
#[cfg(CONFIG_CGROUP_DRM_KUNIT_TEST)]
use kernel::macros::kunit_tests;

/// Atomics for the pure files (`charge.rs`, `evict.rs`), which the host tests build with a
/// `core::sync::atomic` shim of the same interface.
mod atomic {
    use kernel::sync::atomic::AtomicType;
    pub(crate) use kernel::sync::atomic::{
        Acquire,
        Atomic,
        Full,
        Relaxed,
        Release, //
    };

    /// Reads `a` as `READ_ONCE()` does: a relaxed load, open-coded as a volatile read.
    ///
    /// Same semantics as `a.load(Relaxed)` (`atomic_read()` and `atomic64_read()` are
    /// `READ_ONCE()` on every architecture that runs Rust), but compiled inline even when the
    /// kernel's Rust helpers are out-of-line C functions, as `rust/kernel/fs/file.rs` does for
    /// `f_flags`. For the charge path, which makes several such loads per hierarchy level.
    #[inline(always)]
    pub(crate) fn read_once<T: AtomicType>(a: &Atomic<T>) -> T {
        // SAFETY: `as_ptr` is valid and aligned for a `T` while `a` is borrowed, and the value is
        // always a valid `T` (type invariant of `Atomic`). A volatile read of an aligned machine
        // word is a single untorn access, as `READ_ONCE()` is for the LKMM.
        unsafe { a.as_ptr().read_volatile() }
    }
}

use atomic::{
    Atomic,
    Full,
    Relaxed, //
};
use cgroup::{
    Borrowed,
    Controller,
    Css,
    File, //
};
use charge::{
    Node,
    PeakFd, //
};
use pool::{
    Pool,
    Pools, //
};
use region::{
    Region,
    REGISTRY, //
};

/// Prefix of the controller's log messages.
const __LOG_PREFIX: &[u8] = b"drm_cgroup\0";

/// How often lowering `drm.max` asks the driver to reclaim without progress before giving up.
const MAX_RECLAIM_RETRIES: u32 = 16;

/// How many driver reclaim calls one run of a cgroup's high reclaim makes at most.
const HIGH_RECLAIM_CALLS: u32 = 16;

/// How many runs of high reclaim one `drm.high` write (or a run that made progress) may lead
/// to: a run that made progress and left usage above `high` queues the next one while budget
/// is left.
const HIGH_RECLAIM_RUNS: u32 = 8;

/// The `drm.peak` files of one cgroup that were written at least once (memcg's "watchers").
pub(crate) struct PeakWatchers {
    files: KVec<Arc<PeakFile>>,
}

/// The state of one open `drm.peak` file.
pub(crate) struct PeakFile {
    /// A per-file peak for each region (by [`Region::id`]) the file was reset in; under the
    /// cgroup's [`DrmCgroup::peak`] lock. A region that is unregistered and a new one that
    /// reuses its slot have different ids, so an old reset never shows for the new region.
    fds: LockedBy<KVec<(u64, PeakFd)>, PeakWatchers>,
}

impl PeakFile {
    /// The per-file peak of the region with id `id`, if the file was reset there.
    fn fd<'a>(&'a self, watchers: &'a PeakWatchers, id: u64) -> Option<&'a PeakFd> {
        self.fds
            .access(watchers)
            .iter()
            .find_map(|(i, fd)| (*i == id).then_some(fd))
    }
}

/// The per-cgroup state of the drm controller.
#[pin_data]
pub(crate) struct DrmCgroup {
    /// The cgroup's pools, one per region.
    pools: Pools,
    /// The `drm.peak` files of this cgroup that were written at least once.
    #[pin]
    peak: Mutex<PeakWatchers>,
    /// Background reclaim down to `drm.high`, queued by `drm.high` writes.
    #[pin]
    high_work: Work<Css<DrmCgroup>>,
    /// Runs of high reclaim left before it needs another `drm.high` write.
    high_runs: Atomic<u32>,
    /// How often `high_work` was queued, and how many of its runs finished, for statistics:
    /// the item is pending at most once and never runs twice at a time, so the difference is at
    /// most 2 (one running, one pending).
    high_queued: Atomic<u64>,
    high_done: Atomic<u64>,
    /// Set when the cgroup is removed: no more background reclaim.
    offline: Atomic<bool>,
}

/// The registry lock, held.
type RegistryGuard = GlobalGuard<REGISTRY>;

/// Looks up a registered region by key, with a reference.
fn find_region(key: &[u8]) -> Result<Arc<Region>> {
    REGISTRY.lock().find(key).cloned().ok_or(ENODEV)
}

/// Prints one line per registered region: its key and what `line` says about it. `line` runs
/// under the registry lock, which it gets to look up pools.
fn show_regions(
    m: &SeqFile,
    mut line: impl FnMut(&SeqFile, &CStr, &Region, &RegistryGuard) -> Result,
) -> Result {
    let reg = REGISTRY.lock();
    for r in reg.regions() {
        line(m, r.key(), r, &reg)?;
    }
    Ok(())
}

/// Prints a setting: `max` for [`charge::UNLIMITED`], else the number of bytes.
fn show_value(m: &SeqFile, key: &str, value: u64) {
    if value == charge::UNLIMITED {
        seq_print!(m, "{} max\n", key);
    } else {
        seq_print!(m, "{} {}\n", key, value);
    }
}

/// Wakes up pollers after `limit` refused a charge (a `max` event, counted by the core).
pub(crate) fn notify_max(limit: &Pool) {
    limit.css().notify_events(true);
    let mut p = limit.parent();
    while let Some(pool) = p {
        pool.css().notify_events(false);
        p = pool.parent();
    }
}

/// Wakes up pollers after a charge left `over_high` and maybe its ancestors above `high`.
pub(crate) fn notify_high(over_high: Option<&Pool>) {
    let mut p = over_high;
    while let Some(pool) = p {
        let c = pool.counter();
        pool.css().notify_events(c.usage() > c.high());
        p = pool.parent();
    }
}

/// Records an eviction of `bytes` from `pool`; `hit_low` says that the pool was within its
/// effective `low` protection, which counts a `low` event.
pub(crate) fn report_eviction(pool: &Pool, bytes: u64, hit_low: bool) {
    let verdict = if hit_low {
        evict::Verdict::YesBelowLow
    } else {
        evict::Verdict::Yes
    };
    evict::report_eviction(pool, bytes, verdict);
    if hit_low {
        pool.css().notify_events(true);
        let mut p = pool.parent();
        while let Some(parent) = p {
            parent.css().notify_events(false);
            p = parent.parent();
        }
    }
}

/// Asks the region's driver to bring `pool`'s usage down to `target` bytes.
///
/// Stops when the usage fits, on a signal (if `interruptible`), on a driver error (`ENODEV`
/// once the region is unregistered), after [`MAX_RECLAIM_RETRIES`] calls in a row without
/// progress, or after `max_calls` calls in all. Returns whether it made progress, and how many
/// calls it made.
fn reclaim_to(pool: &Pool, target: u64, interruptible: bool, max_calls: u32) -> (bool, u32) {
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

/// Statistics of background reclaim since boot, for tests (see `drmcg_high_reclaim_stats`).
struct HighStats {
    queued: Atomic<u64>,
    runs: Atomic<u64>,
    max_in_flight: Atomic<u64>,
}

static HIGH_STATS: HighStats = HighStats {
    queued: Atomic::new(0),
    runs: Atomic::new(0),
    max_in_flight: Atomic::new(0),
};

/// Queues `css`'s high reclaim item unless it is pending already.
fn enqueue_high_reclaim(css: &Css<DrmCgroup>) {
    if reclaim_queue().enqueue(ARef::from(css)).is_err() {
        // Already pending: the pending run will see the new `high`.
        return;
    }
    // ORDERING: The fully ordered increment orders the load after it, so the runs counted as
    // finished include every run that finished before this item was queued: the difference
    // never counts a finished run (a run that finishes meanwhile only makes it smaller).
    let queued = css.high_queued.fetch_add(1, Full) + 1;
    let now = queued.saturating_sub(css.high_done.load(Relaxed));
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
fn queue_high_reclaim(css: &Css<DrmCgroup>) {
    css.high_runs.store(HIGH_RECLAIM_RUNS, Relaxed);
    enqueue_high_reclaim(css);
}

/// Reports background reclaim statistics to the test interface.
///
/// # Safety
///
/// Each argument is valid for writing.
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
        HIGH_STATS.runs.fetch_add(1, Relaxed);
        high_reclaim(&css);
        // ORDERING: Fully ordered, see `enqueue_high_reclaim`.
        css.high_done.fetch_add(1, Full);
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
    if progress && above && !css.offline.load(Relaxed) {
        let left = css.high_runs.load(Relaxed);
        if left > 0 {
            css.high_runs.store(left - 1, Relaxed);
            enqueue_high_reclaim(css);
        }
    }
}

impl Controller for DrmCgroup {
    type OpenFile = Arc<PeakFile>;
    const SUBSYS_ID: u32 = bindings::cgroup_subsys_id_drm_cgrp_id;

    fn css_alloc(parent: Option<&Css<Self>>) -> impl PinInit<Self, Error> {
        if parent.is_none() {
            region::registry_init();
        }
        try_pin_init!(DrmCgroup {
            pools: Pools::new(),
            peak <- new_mutex!(PeakWatchers { files: KVec::new() }),
            high_work <- new_work!("drm_cgroup_high_reclaim"),
            high_runs: Atomic::new(0),
            high_queued: Atomic::new(0),
            high_done: Atomic::new(0),
            offline: Atomic::new(false),
        }? Error)
    }

    fn css_offline(css: &Css<Self>) {
        // A queued high reclaim stops at its next step.
        css.offline.store(true, Relaxed);
        // As memcg and dmem do: a removed cgroup protects nothing and limits nothing.
        let reg = REGISTRY.lock();
        for r in reg.regions() {
            if let Some(pool) = css.pools.get_locked(r, &reg) {
                charge::set_min(pool, 0);
                charge::set_low(pool, 0);
                pool.counter().set_high(charge::UNLIMITED);
                pool.counter().set_max(charge::UNLIMITED);
            }
        }
    }

    fn open(css: &Css<Self>, file: File) -> Result<Option<Arc<PeakFile>>> {
        if file != File::Peak {
            return Ok(None);
        }
        let state = Arc::new(
            PeakFile {
                fds: LockedBy::new(&css.peak, KVec::new()),
            },
            GFP_KERNEL,
        )?;
        Ok(Some(state))
    }

    fn release(css: &Css<Self>, _file: File, state: Arc<PeakFile>) {
        let mut peak = css.peak.lock();
        peak.files.retain(|w| !Arc::ptr_eq(w, &state));
    }

    fn show(
        css: &Css<Self>,
        file: File,
        open: Option<ArcBorrow<'_, PeakFile>>,
        m: &SeqFile,
    ) -> Result {
        let pools = &css.pools;
        show_regions(m, |m, key, r, reg| {
            let key = key.to_str()?;
            let pool = pools.get_locked(r, reg);
            let c = pool.map(|p| p.counter());
            let v = |f: fn(&charge::Counter) -> u64, default: u64| c.map_or(default, f);
            match file {
                File::Capacity => seq_print!(m, "{} {}\n", key, r.size()),
                File::Current => seq_print!(m, "{} {}\n", key, v(|c| c.usage(), 0)),
                File::Min => show_value(m, key, v(|c| c.min(), 0)),
                File::Low => show_value(m, key, v(|c| c.low(), 0)),
                File::High => show_value(m, key, v(|c| c.high(), charge::UNLIMITED)),
                File::Max => show_value(m, key, v(|c| c.max(), charge::UNLIMITED)),
                File::Peak => {
                    let peak = match (c, &open) {
                        (Some(c), Some(open)) => {
                            let watchers = css.peak.lock();
                            match open.fd(&watchers, r.id()) {
                                Some(fd) => fd.read(c),
                                None => c.watermark(),
                            }
                        }
                        (Some(c), None) => c.watermark(),
                        (None, _) => 0,
                    };
                    seq_print!(m, "{} {}\n", key, peak)
                }
                File::Events | File::EventsLocal => {
                    let e = match (c, file) {
                        (Some(c), File::Events) => c.events(),
                        (Some(c), _) => c.events_local(),
                        (None, _) => charge::Events::default(),
                    };
                    seq_print!(m, "{} low={} high={} max={}\n", key, e.low, e.high, e.max)
                }
                File::Stat => seq_print!(
                    m,
                    "{} current={} peak={} pinned={} evicted={} evictions={}\n",
                    key,
                    v(|c| c.usage(), 0),
                    v(|c| c.watermark(), 0),
                    v(|c| c.pinned(), 0),
                    v(|c| c.evicted_bytes(), 0),
                    v(|c| c.evictions(), 0)
                ),
            }
            Ok(())
        })
    }

    fn write(
        css: &Css<Self>,
        file: File,
        open: Option<Borrowed<'_, Self>>,
        input: &[u8],
        nonblock: bool,
    ) -> Result {
        if file == File::Peak {
            return write_peak(css, open.ok_or(EINVAL)?, input);
        }
        let (key, value) = parse::parse_line(input).map_err(|_| EINVAL)?;
        let region = find_region(key)?;
        let pool = pool::get_or_create(css, region.as_arc_borrow())?;
        let value = value.bytes();
        match file {
            File::Min => charge::set_min(&*pool, value),
            File::Low => charge::set_low(&*pool, value),
            File::High => {
                if value != charge::UNLIMITED {
                    region.note_high();
                }
                if pool.counter().set_high(value) > value {
                    queue_high_reclaim(css);
                }
            }
            File::Max => {
                if pool.counter().set_max(value) > value && !nonblock {
                    let _ = reclaim_to(&pool, value, true, u32::MAX);
                }
            }
            _ => return Err(EINVAL),
        }
        Ok(())
    }
}

/// Resets the peak seen through one open `drm.peak` file, for every region.
fn write_peak(css: &Css<DrmCgroup>, state: ArcBorrow<'_, PeakFile>, input: &[u8]) -> Result {
    if input.is_empty() {
        return Err(EINVAL);
    }
    let reg = REGISTRY.lock();
    let mut guard = css.peak.lock();
    let watchers = &mut *guard;
    watchers.files.reserve(1, GFP_KERNEL)?;
    // Give the file a per-file peak in every region where the cgroup has a pool, and forget
    // those of regions that are gone.
    {
        let fds = state.fds.access_mut(watchers);
        fds.retain(|(id, _)| reg.regions().iter().any(|r| r.id() == *id));
        for r in reg.regions() {
            if css.pools.get_locked(r, &reg).is_some() && !fds.iter().any(|(id, _)| *id == r.id()) {
                fds.push((r.id(), PeakFd::new()), GFP_KERNEL)?;
            }
        }
    }
    let watchers = &*watchers;
    for r in reg.regions() {
        let (Some(pool), Some(fd)) = (css.pools.get_locked(r, &reg), state.fd(watchers, r.id()))
        else {
            continue;
        };
        let others = watchers.files.iter().filter_map(|w| w.fd(watchers, r.id()));
        let _ = fd.reset(pool.counter(), others);
    }
    let listed = watchers.files.iter().any(|w| ptr_eq(w, &state));
    let registered = state
        .fds
        .access(watchers)
        .iter()
        .any(|(_, fd)| fd.is_registered());
    if !listed && registered {
        guard.files.push(state.into(), GFP_KERNEL)?;
    }
    Ok(())
}

/// Whether `a` and `b` are the same open file.
fn ptr_eq(a: &Arc<PeakFile>, b: &ArcBorrow<'_, PeakFile>) -> bool {
    core::ptr::eq::<PeakFile>(&**a, &**b)
}

/// The cgroup core's callbacks, implemented by [`cgroup::Callbacks`].
type Cb = cgroup::Callbacks<DrmCgroup>;

/// `css_alloc` of `drm_cgrp_subsys`.
///
/// # Safety
///
/// Called by the cgroup core only.
#[export]
pub unsafe extern "C" fn drmcg_css_alloc(
    parent: *mut bindings::cgroup_subsys_state,
) -> *mut bindings::cgroup_subsys_state {
    // SAFETY: The cgroup core passes null or a live css of this controller.
    unsafe { Cb::css_alloc(parent) }
}

/// `css_offline` of `drm_cgrp_subsys`.
///
/// # Safety
///
/// Called by the cgroup core only.
#[export]
pub unsafe extern "C" fn drmcg_css_offline(css: *mut bindings::cgroup_subsys_state) {
    // SAFETY: The cgroup core passes a live css of this controller.
    unsafe { Cb::css_offline(css) }
}

/// `css_free` of `drm_cgrp_subsys`.
///
/// # Safety
///
/// Called by the cgroup core only.
#[export]
pub unsafe extern "C" fn drmcg_css_free(css: *mut bindings::cgroup_subsys_state) {
    // SAFETY: The cgroup core passes a css we allocated that has no users left.
    unsafe { Cb::css_free(css) }
}

/// `seq_show` of every `drm.*` file.
///
/// # Safety
///
/// Called by the cgroup core only.
#[export]
pub unsafe extern "C" fn drmcg_seq_show(sf: *mut bindings::seq_file, _v: *mut c_void) -> c_int {
    // SAFETY: The cgroup core passes the seq_file of one of our files.
    unsafe { Cb::seq_show(sf) }
}

/// `write` of the writable `drm.*` files.
///
/// # Safety
///
/// Called by the cgroup core only.
#[export]
pub unsafe extern "C" fn drmcg_file_write(
    of: *mut bindings::kernfs_open_file,
    buf: *mut c_char,
    nbytes: usize,
    _off: bindings::loff_t,
) -> isize {
    // SAFETY: The cgroup core passes an open file of ours and `nbytes` bytes in `buf`.
    unsafe { Cb::write(of, buf, nbytes) }
}

/// `open` of the `drm.*` files that keep per-open-file state.
///
/// # Safety
///
/// Called by the cgroup core only.
#[export]
pub unsafe extern "C" fn drmcg_file_open(of: *mut bindings::kernfs_open_file) -> c_int {
    // SAFETY: The cgroup core passes a new open file of ours.
    unsafe { Cb::open(of) }
}

/// `release` of the `drm.*` files that keep per-open-file state.
///
/// # Safety
///
/// Called by the cgroup core only.
#[export]
pub unsafe extern "C" fn drmcg_file_release(of: *mut bindings::kernfs_open_file) {
    // SAFETY: The cgroup core passes an open file of ours that is being closed.
    unsafe { Cb::release(of) }
}
