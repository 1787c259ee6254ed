// SPDX-License-Identifier: GPL-2.0

//! The drm cgroup controller: GPU memory accounting, limits and protection per memory region.
//!
//! Every memory region of every DRM device is accounted on its own, per cgroup, with the memory
//! controller's `min`/`low`/`high`/`max` semantics. Drivers call the C API in
//! `include/linux/cgroup_drm.h` (or `kernel::cgroup_drm` from Rust) when buffers are placed,
//! freed, pinned and evicted. This file is the controller type; the rest is, in order from the
//! cgroup core down to the accounting core:
//!
//! - [`cgroup`]: the plumbing between the cgroup core's callbacks and [`DrmCgroup`];
//! - [`files`]: the `drm.*` interface files, their formats and their events;
//! - [`reclaim`]: asking drivers to evict, on limit writes and in the background;
//! - [`capi`]: the C API for drivers;
//! - [`region`]: the registered regions;
//! - [`pool`]: the accounting state of each (cgroup, region) pair and its lifetime;
//! - [`atomic`]: the atomics of the accounting core, inline on the charge path;
//! - [`charge`], [`evict`], [`parse`]: the accounting core, eviction decisions and the parser of
//!   writes, in `core` Rust only, so that the host tests, benchmarks and fuzzers build them too.
//!
//! C header: [`include/linux/cgroup_drm.h`](srctree/include/linux/cgroup_drm.h).

use kernel::{
    bindings,
    prelude::*,
    seq_file::SeqFile,
    sync::{
        new_mutex,
        Arc,
        ArcBorrow,
        Mutex, //
    },
    workqueue::{
        new_work,
        Work, //
    },
};

mod atomic;
pub mod capi;
mod cgroup;
mod charge;
mod evict;
mod files;
mod memparse_test;
mod parse;
mod pool;
mod protection_test;
pub mod reclaim;
mod region;
#[cfg(CONFIG_CGROUP_DRM_KUNIT_TEST)]
mod test_rng;

/// The KUnit attribute, reached as `crate::kunit_tests` by the pure files so that they name
/// nothing of the `kernel` crate and build unchanged on the host.
#[cfg(CONFIG_CGROUP_DRM_KUNIT_TEST)]
use kernel::macros::kunit_tests;

use atomic::{
    Atomic,
    Relaxed, //
};
use cgroup::{
    Controller,
    Css,
    File, //
};
use files::{
    PeakFile,
    PeakWatchers, //
};
use pool::Pools;
use region::REGISTRY;

/// Prefix of the controller's log messages.
const __LOG_PREFIX: &[u8] = b"drm_cgroup\0";

/// The per-cgroup state of the drm controller.
#[pin_data]
pub(crate) struct DrmCgroup {
    /// The cgroup's pools, one per region.
    pools: Pools,
    /// The `drm.peak` files of this cgroup that were written at least once.
    #[pin]
    peak: Mutex<PeakWatchers>,
    /// Background reclaim down to `drm.high`, queued by `drm.high` writes (see [`reclaim`]).
    #[pin]
    high_work: Work<Css<DrmCgroup>>,
    /// Runs of high reclaim left before it needs another `drm.high` write.
    high_runs: Atomic<u32>,
    /// How often `high_work` was queued and ran, in kernels built for testing (zero-sized
    /// otherwise).
    #[cfg_attr(not(CONFIG_CGROUP_DRM_TEST_HELPER), allow(dead_code))]
    high_counts: reclaim::HighCounts,
    /// Set when the cgroup is removed: no more background reclaim.
    offline: Atomic<bool>,
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
            peak <- new_mutex!(PeakWatchers::new()),
            high_work <- new_work!("drm_cgroup_high_reclaim"),
            high_runs: Atomic::new(0),
            high_counts: reclaim::HighCounts::new(),
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
        Ok(Some(PeakFile::new(css)?))
    }

    fn release(css: &Css<Self>, _file: File, state: Arc<PeakFile>) {
        css.peak.lock().remove(&state);
    }

    fn show(
        css: &Css<Self>,
        file: File,
        open: Option<ArcBorrow<'_, PeakFile>>,
        m: &SeqFile,
    ) -> Result {
        files::show(css, file, open, m)
    }

    fn write(
        css: &Css<Self>,
        file: File,
        open: Option<ArcBorrow<'_, PeakFile>>,
        input: &[u8],
        nonblock: bool,
    ) -> Result {
        files::write(css, file, open, input, nonblock)
    }
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
