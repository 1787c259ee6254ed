// SPDX-License-Identifier: GPL-2.0

//! The interface files: what `drm.*` files print, what writes to them do, and their events.
//!
//! Every file has one line per registered region, in registration order (see `region.rs`);
//! writes set one region (`<key> <value>`, parsed by `parse.rs`). The per-file state of
//! `drm.peak` lives here, as do the wake-ups of `drm.events` pollers.

use crate::{
    cgroup::{
        Css,
        File, //
    },
    charge::{
        self,
        Node,
        PeakFd, //
    },
    evict,
    parse,
    pool::{
        self,
        Pool, //
    },
    reclaim,
    region::{
        Region,
        REGISTRY, //
    },
    DrmCgroup, //
};
use kernel::{
    prelude::*,
    seq_file::SeqFile,
    seq_print,
    sync::{
        Arc,
        ArcBorrow,
        GlobalGuard,
        LockedBy, //
    },
};

/// The `drm.peak` files of one cgroup that were written at least once (memcg's "watchers").
pub(crate) struct PeakWatchers {
    files: KVec<Arc<PeakFile>>,
}

/// The state of one open `drm.peak` file.
pub(crate) struct PeakFile {
    /// A per-file peak for each region (by [`Region::id`]) the file was reset in; under the
    /// cgroup's `peak` lock. A region that is unregistered and a new one that
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

    /// The state of a newly opened `drm.peak` file of `css`.
    pub(crate) fn new(css: &Css<DrmCgroup>) -> Result<Arc<Self>> {
        Ok(Arc::new(
            PeakFile {
                fds: LockedBy::new(&css.peak, KVec::new()),
            },
            GFP_KERNEL,
        )?)
    }
}

impl PeakWatchers {
    /// No watcher yet.
    pub(crate) const fn new() -> Self {
        Self { files: KVec::new() }
    }

    /// Forgets `file`, which is being closed.
    pub(crate) fn remove(&mut self, file: &Arc<PeakFile>) {
        self.files.retain(|w| !Arc::ptr_eq(w, file));
    }
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

/// Wakes up the pollers of `pool`'s `drm.events` and `drm.events.local`, and those of its
/// ancestors' `drm.events`, after an event of `pool` (which counts in all of them).
fn notify_event_of(pool: &Pool) {
    pool.css().notify_events(true);
    let mut p = pool.parent();
    while let Some(parent) = p {
        parent.css().notify_events(false);
        p = parent.parent();
    }
}

/// Wakes up pollers after `limit` refused a charge (a `max` event, counted by the core).
pub(crate) fn notify_max(limit: &Pool) {
    notify_event_of(limit);
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
        notify_event_of(pool);
    }
}

/// Prints the contents of `file` for `css`; `open` is the state of an open `drm.peak`.
pub(crate) fn show(
    css: &Css<DrmCgroup>,
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
                "{} current={} peak={} pinned={} evicted={} evictions={} reclaimed={}\n",
                key,
                v(|c| c.usage(), 0),
                v(|c| c.watermark(), 0),
                v(|c| c.pinned(), 0),
                v(|c| c.evicted_bytes(), 0),
                v(|c| c.evictions(), 0),
                pool.map_or(0, |p| p.reclaimed())
            ),
            // Write-only: the C table gives it no `seq_show`.
            File::Reclaim => return Err(EINVAL),
        }
        Ok(())
    })
}

/// Handles a write of `input` to `file` of `css`; `nonblock` when opened with `O_NONBLOCK`.
pub(crate) fn write(
    css: &Css<DrmCgroup>,
    file: File,
    open: Option<ArcBorrow<'_, PeakFile>>,
    input: &[u8],
    nonblock: bool,
) -> Result {
    if file == File::Peak {
        return write_peak(css, open.ok_or(EINVAL)?, input);
    }
    if !matches!(
        file,
        File::Min | File::Low | File::High | File::Max | File::Reclaim
    ) {
        // Only those files have a `write` in the C table.
        return Err(EINVAL);
    }
    let (key, value) = parse::parse_line(input).map_err(|_| EINVAL)?;
    let region = find_region(key)?;
    if file == File::Reclaim {
        // An amount to reclaim, not a limit. A cgroup that never used the region has nothing
        // to give back, and gets no pool for asking.
        let parse::Value::Bytes(bytes) = value else {
            return Err(EINVAL);
        };
        return match css.pools.get(&region) {
            Some(pool) => reclaim::reclaim_bytes(&pool, bytes),
            None if bytes == 0 => Ok(()),
            None => Err(EAGAIN),
        };
    }
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
                reclaim::queue_high_reclaim(css);
            }
        }
        File::Max => {
            if pool.counter().set_max(value) > value && !nonblock {
                let _ = reclaim::reclaim_to(&pool, value, true, u32::MAX);
            }
        }
        // Rejected above.
        _ => return Err(EINVAL),
    }
    Ok(())
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
