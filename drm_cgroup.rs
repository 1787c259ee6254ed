// SPDX-License-Identifier: GPL-2.0

//! The drm cgroup controller: GPU memory accounting, limits and protection per memory region.
//!
//! Every memory region of every DRM device (see [`region`]) is accounted on its own, per cgroup,
//! with the memory controller's `min`/`low`/`high`/`max` semantics. Drivers call the C API in
//! `include/linux/cgroup_drm.h` when buffers are placed, freed, pinned and evicted.
//!
//! C header: [`include/linux/cgroup_drm.h`](srctree/include/linux/cgroup_drm.h).

use core::ptr;
use kernel::{
    bindings,
    prelude::*,
    seq_file::SeqFile,
    seq_print,
    sync::{
        aref::ARef,
        new_mutex,
        Arc,
        Mutex, //
    },
    workqueue::{
        self,
        impl_has_work,
        new_work,
        Work,
        WorkItem, //
    },
};

pub mod capi;
mod cgroup;
mod charge;
mod evict;
mod parse;
mod pool;
mod region;

/// The KUnit attribute, reached as `crate::kunit_tests` by the pure files so that they name
/// nothing of the `kernel` crate and build unchanged on the host.
#[cfg(CONFIG_CGROUP_DRM_KUNIT_TEST)]
use kernel::macros::kunit_tests;

/// Atomics for the pure files (`charge.rs`, `evict.rs`), which the host tests build with a
/// `core::sync::atomic` shim of the same interface.
mod atomic {
    pub(crate) use kernel::sync::atomic::{
        Acquire,
        Atomic,
        Full,
        Relaxed,
        Release, //
    };
}

use cgroup::{
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
    MAX_REGIONS,
    REGISTRY, //
};

/// Prefix of the controller's log messages.
const __LOG_PREFIX: &[u8] = b"drm_cgroup\0";

/// How often lowering `drm.max` asks the driver to reclaim without progress before giving up.
const MAX_RECLAIM_RETRIES: u32 = 16;

/// The state of one open `drm.peak` file: one per-file peak per region slot.
pub(crate) struct PeakFile {
    fds: [PeakFd; MAX_REGIONS],
}

/// A `drm.peak` file that was written to, in its cgroup's watcher list.
///
/// # Invariants
///
/// Points to the [`PeakFile`] of an open file; `release` removes it from the list (under the
/// list's lock) before the file state is freed.
struct PeakWatcher(*const PeakFile);

// SAFETY: `PeakFile` is `Sync` (atomics only), and the pointer is valid while listed.
unsafe impl Send for PeakWatcher {}

/// The per-cgroup state of the drm controller.
#[pin_data]
pub(crate) struct DrmCgroup {
    /// The cgroup's pools, one per region.
    pools: Pools,
    /// The `drm.peak` files of this cgroup that were written at least once.
    #[pin]
    peak_watchers: Mutex<KVec<PeakWatcher>>,
}

/// Looks up a registered region by key, with a reference.
fn find_region(key: &[u8]) -> Result<Arc<Region>> {
    REGISTRY.lock().find(key).cloned().ok_or(ENODEV)
}

/// Prints one line per registered region: its key and what `value` says about it.
fn show_regions(m: &SeqFile, mut line: impl FnMut(&SeqFile, &CStr, &Region) -> Result) -> Result {
    let reg = REGISTRY.lock();
    for r in reg.regions() {
        line(m, r.key(), r)?;
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
/// Stops when the usage fits, on a signal, on a driver error, or after
/// [`MAX_RECLAIM_RETRIES`] attempts without progress.
fn reclaim_to(pool: &Pool, target: u64, interruptible: bool) {
    let mut retries = 0;
    loop {
        let usage = pool.counter().usage();
        if usage <= target {
            return;
        }
        if interruptible && kernel::current!().signal_pending() {
            return;
        }
        match pool.region().reclaim(pool, usage - target) {
            Ok(()) if pool.counter().usage() < usage => retries = 0,
            Ok(()) => retries += 1,
            Err(e) if e == ENOSPC => retries += 1,
            Err(_) => return,
        }
        if retries >= MAX_RECLAIM_RETRIES {
            return;
        }
    }
}

/// Background reclaim of a cgroup's usage in one region down to its `high`.
#[pin_data]
struct HighReclaim {
    css: ARef<Css<DrmCgroup>>,
    region: Arc<Region>,
    #[pin]
    work: Work<HighReclaim>,
}

impl_has_work! {
    impl HasWork<Self> for HighReclaim { self.work }
}

impl WorkItem for HighReclaim {
    type Pointer = Arc<HighReclaim>;

    fn run(this: Arc<HighReclaim>) {
        if let Some(pool) = this.css.pools.get(&this.region) {
            reclaim_to(pool, pool.counter().high(), false);
        }
    }
}

/// Queues background reclaim of `pool` down to its `high`.
fn queue_high_reclaim(pool: &Pool) -> Result {
    let work = Arc::pin_init(
        pin_init!(HighReclaim {
            css: pool.css().into(),
            region: pool.region().clone(),
            work <- new_work!("drm_cgroup_high_reclaim"),
        }),
        GFP_KERNEL,
    )?;
    // A reclaim already queued for the same pool is harmless: it finds nothing left to do.
    let _ = workqueue::system().enqueue(work);
    Ok(())
}

impl Controller for DrmCgroup {
    type OpenFile = PeakFile;
    const SUBSYS_ID: u32 = bindings::cgroup_subsys_id_drm_cgrp_id;

    fn css_alloc(parent: Option<&Css<Self>>) -> impl PinInit<Self, Error> {
        if parent.is_none() {
            region::registry_init();
        }
        try_pin_init!(DrmCgroup {
            pools: Pools::new(),
            peak_watchers <- new_mutex!(KVec::new()),
        }? Error)
    }

    fn css_offline(css: &Css<Self>) {
        // As memcg and dmem do: a removed cgroup protects nothing and limits nothing.
        let reg = REGISTRY.lock();
        for r in reg.regions() {
            if let Some(pool) = css.pools.get(r) {
                charge::set_min(pool, 0);
                charge::set_low(pool, 0);
                pool.counter().set_high(charge::UNLIMITED);
                pool.counter().set_max(charge::UNLIMITED);
            }
        }
    }

    fn open(_css: &Css<Self>, file: File) -> Result<Option<KBox<PeakFile>>> {
        if file != File::Peak {
            return Ok(None);
        }
        let state = KBox::new(
            PeakFile {
                fds: [const { PeakFd::new() }; MAX_REGIONS],
            },
            GFP_KERNEL,
        )?;
        Ok(Some(state))
    }

    fn release(css: &Css<Self>, _file: File, state: &PeakFile) {
        let mut watchers = css.peak_watchers.lock();
        if let Some(i) = watchers.iter().position(|w| ptr::eq(w.0, state)) {
            let _ = watchers.remove(i);
        }
    }

    fn show(css: &Css<Self>, file: File, open: Option<&PeakFile>, m: &SeqFile) -> Result {
        let pools = &css.pools;
        show_regions(m, |m, key, r| {
            let key = key.to_str()?;
            let pool = pools.get(r);
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
                    let fd = open.and_then(|o| o.fds.get(r.slot()));
                    let peak = match (c, fd) {
                        (Some(c), Some(fd)) => fd.read(c),
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
        open: Option<&PeakFile>,
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
            File::Min => charge::set_min(pool, value),
            File::Low => charge::set_low(pool, value),
            File::High => {
                if value != charge::UNLIMITED {
                    region.note_high();
                }
                if pool.counter().set_high(value) > value {
                    queue_high_reclaim(pool)?;
                }
            }
            File::Max => {
                if pool.counter().set_max(value) > value && !nonblock {
                    reclaim_to(pool, value, true);
                }
            }
            _ => return Err(EINVAL),
        }
        Ok(())
    }
}

/// Resets the peak seen through one open `drm.peak` file, for every region.
fn write_peak(css: &Css<DrmCgroup>, state: &PeakFile, input: &[u8]) -> Result {
    if input.is_empty() {
        return Err(EINVAL);
    }
    let reg = REGISTRY.lock();
    let mut watchers = css.peak_watchers.lock();
    watchers.reserve(1, GFP_KERNEL)?;
    let mut first = false;
    for r in reg.regions() {
        let (Some(pool), Some(fd)) = (css.pools.get(r), state.fds.get(r.slot())) else {
            continue;
        };
        let others = watchers.iter().filter_map(|w| {
            // SAFETY: Listed watchers are open files (type invariant of `PeakWatcher`), and we
            // hold the list's lock, which `release` takes before the file state is freed.
            unsafe { &*w.0 }.fds.get(r.slot())
        });
        first |= fd.reset(pool.counter(), others);
    }
    let listed = watchers.iter().any(|w| ptr::eq(w.0, state));
    if !listed && (first || state.fds.iter().any(|fd| fd.is_registered())) {
        // INVARIANT: `release` removes the entry before `state` is freed.
        watchers.push(PeakWatcher(state), GFP_KERNEL)?;
    }
    Ok(())
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
