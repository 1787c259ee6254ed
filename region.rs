// SPDX-License-Identifier: GPL-2.0

//! Memory regions: what drivers register, and the global list of them.
//!
//! A region is one kind of memory of one DRM device that is accounted on its own, e.g. the
//! VRAM of one tile. Its key in the interface files is `<card>/<name>`, where `<card>` is the
//! device's DRM unique name with any bus prefix dropped (`drmGetUnique()` returns
//! `pci:0000:03:00.0` for a PCI card, whose key starts with `0000:03:00.0`) and `<name>` the
//! driver's name for the region (`vram0`, `tile1`, `system`).
//!
//! Regions are listed in registration order. Each gets a slot number below [`MAX_REGIONS`],
//! which indexes the per-cgroup table of pools (see `pool.rs`), so that finding the pool of a
//! (cgroup, region) pair on the charge path is two dependent loads. A slot is reused once its
//! region is unregistered: unregistering takes every pool of the region out of its cgroup's
//! table, and each pool is freed once its last reference (charge, driver handle, child pool)
//! is gone.

use crate::{
    pool::PoolList,
    reclaim::Reclaim, //
};
use kernel::{
    prelude::*,
    str::CString,
    sync::{
        atomic::{
            Acquire,
            Atomic,
            Relaxed,
            Release, //
        },
        global_lock,
        rcu,
        Arc,
        GlobalLockedBy,
        Mutex,
        Srcu, //
    },
};

/// How many regions can be registered at the same time.
///
/// Each cgroup's pool table grows in chunks (see `pool.rs`), so a cgroup pays for the slots of
/// the regions it uses, not for this bound.
pub(crate) const MAX_REGIONS: usize = 1024;

/// Longest `<card>/<name>` key, in bytes.
pub(crate) const MAX_KEY_LEN: usize = 64;

/// A registered memory region.
///
/// # Invariants
///
/// - `index < MAX_REGIONS`, and no other registered region has the same index (slot).
/// - `key` is a valid key: non-empty, no whitespace, at most [`MAX_KEY_LEN`] bytes, exactly one
///   `/` between a non-empty card name and a non-empty region name.
/// - `id` differs from the id of every other region registered since boot.
/// - `ops` is only called inside a read-side section of `srcu` that saw `unregistered` clear.
#[pin_data]
pub(crate) struct Region {
    key: CString,
    size: u64,
    index: usize,
    id: u64,
    unregistered: Atomic<bool>,
    /// Set once a cgroup sets a `high` below `max` in this region; never cleared.
    high_set: Atomic<bool>,
    /// The driver's reclaim callback; taken away when the region is unregistered.
    #[pin]
    ops: Mutex<Option<KBox<dyn Reclaim>>>,
    /// Reclaim calls run in read-side sections, so that unregistering can wait for them without
    /// serialising them. Shared by every region and never freed (see
    /// [`Registry::reclaim_srcu`]).
    srcu: &'static Srcu,
    /// Every pool of this region that is in a cgroup's table, so that unregistering finds them
    /// without walking every cgroup (as dmem's region keeps its pools). The one thing this
    /// file takes from `pool.rs`; pools, in turn, point to their region.
    pub(crate) pools: GlobalLockedBy<PoolList, REGISTRY>,
}

impl Region {
    /// The region's key, `<card>/<name>`.
    pub(crate) fn key(&self) -> &CStr {
        &self.key
    }

    /// The region's size in bytes, as the driver registered it.
    pub(crate) fn size(&self) -> u64 {
        self.size
    }

    /// The slot of the region in every cgroup's pool table, below [`MAX_REGIONS`].
    pub(crate) fn slot(&self) -> usize {
        self.index
    }

    /// An id no other region registered since boot has (slots are reused, ids are not).
    pub(crate) fn id(&self) -> u64 {
        self.id
    }

    /// Returns `true` once the driver unregistered the region.
    pub(crate) fn is_unregistered(&self) -> bool {
        // ORDERING: Nothing is read on the strength of the flag: a charge that misses a
        // concurrent unregistration is one that came before it, which unregistering allows.
        // Read as `READ_ONCE()` does, inline in every build, as it is read on every charge.
        crate::atomic::read_once(&self.unregistered)
    }

    /// Records that a cgroup set a finite `high` in this region.
    pub(crate) fn note_high(&self) {
        if !self.high_set.load(Relaxed) {
            self.high_set.store(true, Relaxed);
        }
    }

    /// Returns whether a cgroup ever set a finite `high` in this region: until then, no cgroup
    /// can be above its `high` and eviction can skip looking for one. A hint: a `high` set
    /// concurrently may be seen late.
    pub(crate) fn has_high(&self) -> bool {
        self.high_set.load(Relaxed)
    }

    /// Runs the driver's reclaim callback for `pool`, or fails with `ENODEV` if the region is
    /// unregistered (or being unregistered) and `ENOSPC` if it has no callback.
    ///
    /// Calls may run concurrently; unregistering waits for running ones.
    pub(crate) fn reclaim(&self, pool: &crate::pool::Pool, target: u64) -> Result {
        let _srcu = self.srcu.read_lock();
        // ORDERING: Acquire pairs with the Release in `unregister`; `unregister` sets the flag
        // before it waits for readers, so a call that sees it clear is waited for.
        if self.unregistered.load(Acquire) {
            return Err(ENODEV);
        }
        let ops: *const dyn Reclaim = match self.ops.lock().as_deref() {
            Some(ops) => ops,
            None => return Err(ENOSPC),
        };
        // SAFETY: `unregister` takes the callback away only after setting `unregistered` and
        // waiting for every read-side section of `srcu` that started before, and this one saw
        // the flag clear, so `ops` is not dropped before the guard is.
        unsafe { &*ops }.reclaim(pool, target)
    }
}

/// Checks one component of a region key: non-empty, printable, no whitespace and no `/`.
fn valid_component(s: &[u8]) -> bool {
    !s.is_empty() && s.iter().all(|&b| b.is_ascii_graphic() && b != b'/')
}

/// The list of registered regions, in registration order.
pub(crate) struct Registry {
    regions: KVec<Arc<Region>>,
    /// The id of the next region.
    next_id: u64,
    /// The SRCU of reclaim calls, once the first region was registered.
    srcu: Option<&'static Srcu>,
}

global_lock! {
    // SAFETY: `init` is called by `registry_init()`, from the root cgroup's `css_alloc`, which
    // `cgroup_init()` runs before anything else can use the controller.
    pub(crate) unsafe(uninit) static REGISTRY: Mutex<Registry> = Registry {
        regions: KVec::new(),
        next_id: 0,
        srcu: None,
    };
}

/// Initialises the registry lock; called once, when the root cgroup is created.
pub(crate) fn registry_init() {
    // SAFETY: Called exactly once, from the root css_alloc, before any other use.
    unsafe { REGISTRY.init() };
}

impl Registry {
    /// The SRCU that reclaim calls of every region run under, allocated by the first
    /// registration and never freed.
    ///
    /// One per region would be freed with the region, that is with its last pool, which may
    /// be in a driver's `drmcg_uncharge()` long after unregistering; `cleanup_srcu_struct()`
    /// sleeps, and an uncharge must not. Shared, unregistering a region also waits for the
    /// reclaim calls running in other regions at the time; those are bounded (one eviction
    /// request each) and unregistering is rare.
    fn reclaim_srcu(&mut self) -> Result<&'static Srcu> {
        if let Some(srcu) = self.srcu {
            return Ok(srcu);
        }
        let srcu = KBox::pin_init(kernel::new_srcu!("drm_cgroup_reclaim"), GFP_KERNEL)?;
        // SAFETY: The box is leaked below: the `Srcu` is never moved nor freed, so it stays
        // pinned for the rest of the kernel's life.
        let srcu: &'static Srcu = KBox::leak(unsafe { Pin::into_inner_unchecked(srcu) });
        self.srcu = Some(srcu);
        Ok(srcu)
    }

    /// The registered regions, in registration order.
    pub(crate) fn regions(&self) -> &[Arc<Region>] {
        &self.regions
    }

    /// Finds a registered region by key.
    pub(crate) fn find(&self, key: &[u8]) -> Option<&Arc<Region>> {
        self.regions.iter().find(|r| r.key.to_bytes() == key)
    }
}

/// Registers a region of `size` bytes named `<card>/<name>`.
///
/// Errors: `EINVAL` for an invalid name or a size of 0, `EEXIST` if the key is taken,
/// `ENOSPC` when [`MAX_REGIONS`] regions exist, `ENOMEM`.
pub(crate) fn register(
    card: &[u8],
    name: &[u8],
    size: u64,
    ops: Option<KBox<dyn Reclaim>>,
) -> Result<Arc<Region>> {
    if size == 0 || !valid_component(card) || !valid_component(name) {
        return Err(EINVAL);
    }
    let len = card.len() + 1 + name.len();
    if len > MAX_KEY_LEN {
        return Err(EINVAL);
    }
    let key = CString::try_from_fmt(fmt!(
        "{}/{}",
        kernel::str::BStr::from_bytes(card),
        kernel::str::BStr::from_bytes(name)
    ))?;

    let mut reg = REGISTRY.lock();
    if reg.find(key.to_bytes()).is_some() {
        return Err(EEXIST);
    }
    // The lowest slot that no registered region uses.
    let free = (0..MAX_REGIONS)
        .find(|&i| reg.regions.iter().all(|r| r.index != i))
        .ok_or(ENOSPC)?;
    reg.regions.reserve(1, GFP_KERNEL)?;
    let srcu = reg.reclaim_srcu()?;
    let id = reg.next_id;
    // INVARIANT: `free` is unused and below `MAX_REGIONS`; `key` was validated above; `id` was
    // never used (ids are handed out under the lock and only go up).
    let region = Arc::pin_init(
        try_pin_init!(Region {
            key,
            size,
            index: free,
            id,
            unregistered: Atomic::new(false),
            high_set: Atomic::new(false),
            ops <- kernel::new_mutex!(ops),
            srcu,
            pools: GlobalLockedBy::new(PoolList::new()),
        }? Error),
        GFP_KERNEL,
    )?;
    reg.next_id += 1;
    reg.regions.push(region.clone(), GFP_KERNEL)?;
    Ok(region)
}

/// Unregisters `region`: new charges fail with `ENODEV`, the key disappears from every file,
/// running reclaim callbacks are waited for and no new one starts, and every pool of the region
/// leaves its cgroup's table. Each pool is freed once its last charge, driver handle and child
/// pool are gone; the region with its last pool.
///
/// Sleeps (it waits for RCU and SRCU grace periods).
pub(crate) fn unregister(region: &Arc<Region>) {
    let pools = {
        let mut reg = REGISTRY.lock();
        if region.unregistered.load(Relaxed) {
            return;
        }
        // ORDERING: Release pairs with the Acquire loads of `is_unregistered` and `reclaim`.
        region.unregistered.store(true, Release);
        if let Some(i) = reg.regions.iter().position(|r| Arc::ptr_eq(r, region)) {
            // Keep the registration order of the others.
            let _ = reg.regions.remove(i);
        }
        crate::pool::detach_all(region, &mut reg)
    };
    // Wait for reclaim calls that started before `unregistered` was set; no new one calls the
    // driver, whose callback may go away when we return.
    if region.ops.lock().is_some() {
        region.srcu.synchronize();
        drop(region.ops.lock().take());
    }
    // Lock-free lookups that found a pool in a table before it was detached may still be about
    // to take a reference: let them, then drop the tables' references.
    if !pools.is_empty() {
        rcu::synchronize_rcu();
    }
    drop(pools);
}

#[cfg(CONFIG_CGROUP_DRM_KUNIT_TEST)]
#[kernel::macros::kunit_tests(drm_cgroup_region)]
mod tests {
    use super::*;

    fn registered(key: &[u8]) -> bool {
        REGISTRY.lock().find(key).is_some()
    }

    #[test]
    fn register_and_unregister() -> Result {
        let r = register(b"kunit:00.0", b"vram0", 4096, None)?;
        assert_eq!(r.key().to_bytes(), b"kunit:00.0/vram0");
        assert_eq!(r.size(), 4096);
        assert!(r.slot() < MAX_REGIONS);
        assert!(registered(b"kunit:00.0/vram0"));
        assert!(!r.is_unregistered());
        unregister(&r);
        assert!(r.is_unregistered());
        assert!(!registered(b"kunit:00.0/vram0"));
        // Unregistering twice is harmless.
        unregister(&r);
        Ok(())
    }

    #[test]
    fn rejects_bad_names_and_sizes() {
        let bad: [(&[u8], &[u8], u64); 8] = [
            (b"", b"vram0", 1),
            (b"card", b"", 1),
            (b"card", b"vr am", 1),
            (b"ca\trd", b"vram", 1),
            (b"card", b"a/b", 1),
            (b"card", b"vram\n", 1),
            (b"card", b"vram0", 0),
            (&[b'x'; MAX_KEY_LEN], b"v", 1),
        ];
        for (card, name, size) in bad {
            assert!(matches!(register(card, name, size, None), Err(e) if e == EINVAL));
        }
        // The longest valid key is accepted.
        let card = [b'c'; MAX_KEY_LEN - 2];
        let r = register(&card, b"v", 1, None);
        assert!(r.is_ok());
        if let Ok(r) = r {
            unregister(&r);
        }
    }

    #[test]
    fn duplicate_key() -> Result {
        let a = register(b"kunit:00.1", b"vram0", 1 << 20, None)?;
        assert!(matches!(
            register(b"kunit:00.1", b"vram0", 1 << 20, None),
            Err(e) if e == EEXIST
        ));
        // Another region of the same card is fine.
        let b = register(b"kunit:00.1", b"vram1", 1 << 20, None)?;
        assert_ne!(a.slot(), b.slot());
        unregister(&a);
        // Once unregistered, the key can be used again.
        let c = register(b"kunit:00.1", b"vram0", 1 << 20, None)?;
        unregister(&b);
        unregister(&c);
        Ok(())
    }

    #[test]
    fn registration_order_and_slot_reuse() -> Result {
        let a = register(b"kunit:00.2", b"a", 1, None)?;
        let b = register(b"kunit:00.2", b"b", 1, None)?;
        let c = register(b"kunit:00.2", b"c", 1, None)?;
        let order = |reg: &Registry| -> KVec<usize> {
            let mut v = KVec::new();
            for r in reg.regions() {
                if r.key().to_bytes().starts_with(b"kunit:00.2/") {
                    let _ = v.push(r.slot(), GFP_KERNEL);
                }
            }
            v
        };
        let before = order(&REGISTRY.lock());
        assert_eq!(&before[..], &[a.slot(), b.slot(), c.slot()]);
        let freed = b.slot();
        unregister(&b);
        assert_eq!(&order(&REGISTRY.lock())[..], &[a.slot(), c.slot()]);
        // The lowest free slot is reused, and the new region is listed last.
        let d = register(b"kunit:00.2", b"d", 1, None)?;
        assert_eq!(d.slot(), freed);
        assert_eq!(
            &order(&REGISTRY.lock())[..],
            &[a.slot(), c.slot(), d.slot()]
        );
        unregister(&a);
        unregister(&c);
        unregister(&d);
        Ok(())
    }

    #[test]
    fn table_full() -> Result {
        let mut all = KVec::new();
        let mut err = None;
        for i in 0..=MAX_REGIONS {
            let name = CString::try_from_fmt(fmt!("r{}", i))?;
            match register(b"kunit:00.3", name.to_bytes(), 1, None) {
                Ok(r) => all.push(r, GFP_KERNEL)?,
                Err(e) => {
                    err = Some(e);
                    break;
                }
            }
        }
        assert!(matches!(err, Some(e) if e == ENOSPC));
        assert!(all.len() <= MAX_REGIONS);
        for r in all.iter() {
            unregister(r);
        }
        // Slots are available again.
        let r = register(b"kunit:00.3", b"again", 1, None)?;
        unregister(&r);
        Ok(())
    }
}
