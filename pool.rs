// SPDX-License-Identifier: GPL-2.0

//! Pools: the accounting state of one cgroup in one region.
//!
//! Each cgroup has a table of pool pointers indexed by the region's slot, in chunks that are
//! allocated when a pool of one of their regions is first created: [`FIRST_CHUNK`] slots in
//! each of the first two chunks, then each chunk twice as many as the one before, so that a
//! cgroup that uses the first few regions only pays for a few pointers. A
//! pool is created on the first charge or setting of its (cgroup, region) pair, after the pools
//! of every ancestor for the same region, so that each pool's counter can link to its parent's.
//! Creation is the only slow path: it takes the region registry lock and allocates. Afterwards
//! finding a pool is two dependent loads (ordered as `rcu_dereference()` orders them), a pointer
//! comparison and a reference count increment inside an RCU read-side section, without locks
//! or allocation.
//!
//! # Lifetimes
//!
//! A pool is reference counted. The references are:
//! - its cgroup's table, while the pool is in it;
//! - each child cgroup's pool of the same region (a pool's parent outlives it);
//! - each driver handle (`struct drmcg_pool *`) and each [`ARef<Pool>`] in the controller.
//!
//! A pool leaves its table, and the table's reference is dropped, when the region is
//! unregistered ([`detach_all`]) or when the cgroup is freed, whichever comes first. Both take
//! the registry lock, which pool creation also holds, so a pool is in its table exactly while
//! it is on its region's [`PoolList`]. Unregistering waits for an RCU grace period between
//! taking the pools out of the tables and dropping the tables' references, so a lock-free
//! lookup that found a pool in a table always takes its reference before the table's is gone.
//! The last reference frees the pool at once, and drops the references it held on its parent
//! pool and on the region.
//!
//! A driver handle also holds a reference on the pool's css, so the css outlives every pool
//! that a handle can reach; pools that are only in tables or lists never touch their css.

use crate::{
    atomic::{
        read_once,
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
use core::ptr::{
    self,
    NonNull, //
};
use kernel::{
    prelude::*,
    sync::{
        aref::{
            ARef,
            AlwaysRefCounted, //
        },
        rcu,
        ArcBorrow,
        GlobalGuard,
        GlobalLockedBy,
        Refcount, //
    },
};

/// Slots of the first chunk of a cgroup's pool table; chunk `k >= 1` holds the
/// `FIRST_CHUNK << (k - 1)` slots from `FIRST_CHUNK << (k - 1)` on.
const FIRST_CHUNK: usize = 4;

/// Chunks per table: enough for [`MAX_REGIONS`] slots.
const CHUNKS: usize = (MAX_REGIONS / FIRST_CHUNK).ilog2() as usize + 1;

const _: () = assert!(FIRST_CHUNK.is_power_of_two() && MAX_REGIONS.is_power_of_two());
const _: () = assert!(MAX_REGIONS == FIRST_CHUNK << (CHUNKS - 1));

/// Returns the chunk that holds slot `index`, the slot's position in it and the chunk's length.
const fn chunk_of(index: usize) -> (usize, usize, usize) {
    if index < FIRST_CHUNK {
        (0, index, FIRST_CHUNK)
    } else {
        let bit = index.ilog2();
        let base = 1 << bit;
        ((bit - FIRST_CHUNK.ilog2()) as usize + 1, index - base, base)
    }
}

/// Returns the number of slots of chunk `chunk`.
const fn chunk_len(chunk: usize) -> usize {
    if chunk == 0 {
        FIRST_CHUNK
    } else {
        FIRST_CHUNK << (chunk - 1)
    }
}

/// The registry lock, held.
type RegistryGuard = GlobalGuard<REGISTRY>;

/// The accounting state of one cgroup in one region.
///
/// # Invariants
///
/// - `refs` counts the references listed in the module documentation; the pool is freed when
///   it drops to zero.
/// - `parent` is null for the pools of the root cgroup; otherwise it points to the pool of the
///   parent cgroup for the same region, on which this pool holds a reference.
/// - `css` points to the cgroup whose table holds (or held) this pool. It is valid while the
///   pool is in that table, while the caller holds a driver handle of the pool, and while the
///   caller can reach a pool of a descendant cgroup by one of those two ways (a child cgroup
///   holds a reference on its parent's css, so an ancestor's css outlives it).
/// - While the pool is in its table, `index` is its position in `region.pools`.
///
/// # Layout
///
/// A pool is 256 bytes, the size of a `kmalloc-256` object (so no slab space is wasted), and
/// aligned to a cache line. The reference count and the parent pointer come first, followed by
/// the counter's per-charge fields (see [`Counter`]): a charge or an uncharge reads and writes
/// one cache line per level (two at the pool it starts from, which also reads `region` and
/// `css`) while no cgroup sets `min` or `low`. Pools never share a line with each other.
#[repr(C, align(64))]
pub(crate) struct Pool {
    refs: Refcount,
    parent: *const Pool,
    counter: Counter,
    region: kernel::sync::Arc<Region>,
    css: *const Css<DrmCgroup>,
    index: GlobalLockedBy<usize, REGISTRY>,
    /// Bytes by which `drm.reclaim` writes to this cgroup brought its usage down.
    reclaimed: Atomic<u64>,
}

const _: () = assert!(core::mem::size_of::<Pool>() == 256);
const _: () = assert!(core::mem::offset_of!(Pool, counter) + 40 <= 64);

// SAFETY: The raw pointers are to objects that outlive their use (type invariants) and that
// are themselves `Sync`; the counter and the reference count are atomics.
unsafe impl Send for Pool {}
// SAFETY: See `Send`; shared access only reads the pointers and uses atomics.
unsafe impl Sync for Pool {}

// SAFETY: `refs` is the pool's reference count (type invariant); `dec_ref` frees the pool only
// when it drops to zero.
unsafe impl AlwaysRefCounted for Pool {
    fn inc_ref(&self) {
        self.refs.inc();
    }

    unsafe fn dec_ref(obj: NonNull<Self>) {
        // SAFETY: The caller gives up a reference it owns.
        unsafe { put(obj.as_ptr()) };
    }
}

/// Drops a reference on `pool`; the last one frees it and drops its reference on its parent,
/// and so on up (iteratively, so deep hierarchies do not recurse).
///
/// # Safety
///
/// The caller owns a reference on `pool` and gives it up.
unsafe fn put(mut pool: *const Pool) {
    // SAFETY: The caller owns a reference on `pool`, so it is live.
    while let Some(p) = unsafe { pool.as_ref() } {
        if !p.refs.dec_and_test() {
            return;
        }
        let parent = p.parent;
        // SAFETY: That was the last reference: the pool is in no table (the table holds one), so
        // lock-free lookups cannot find it (see the module documentation), and it was created by
        // `KBox::into_raw` in `create`.
        drop(unsafe { KBox::from_raw(pool.cast_mut()) });
        count_pool(false);
        // The reference the freed pool held on its parent is ours to drop now.
        pool = parent;
    }
}

impl Node for Pool {
    fn counter(&self) -> &Counter {
        &self.counter
    }

    fn parent(&self) -> Option<&Pool> {
        // SAFETY: By the type invariants `parent` is null or holds a reference, so it lives at
        // least as long as `self`.
        unsafe { self.parent.as_ref() }
    }
}

impl Pool {
    /// The region of the pool.
    pub(crate) fn region(&self) -> &kernel::sync::Arc<Region> {
        &self.region
    }

    /// The cgroup of the pool.
    ///
    /// Valid while the pool is in its cgroup's table, the caller holds a driver handle of it,
    /// or the caller reached it as an ancestor of such a pool (see the type invariants); every
    /// caller reaches pools through one of those.
    pub(crate) fn css(&self) -> &Css<DrmCgroup> {
        // SAFETY: By the type invariants and the callers' guarantee the css is live.
        unsafe { &*self.css }
    }

    /// The pool's counter.
    pub(crate) fn counter(&self) -> &Counter {
        &self.counter
    }

    /// Bytes by which `drm.reclaim` writes to this cgroup brought its usage down.
    pub(crate) fn reclaimed(&self) -> u64 {
        self.reclaimed.load(Relaxed)
    }

    /// Counts `bytes` reclaimed by a `drm.reclaim` write.
    pub(crate) fn add_reclaimed(&self, bytes: u64) {
        self.reclaimed.fetch_add(bytes, Relaxed);
    }
}

/// A pool in a list: a raw pointer that holds the table's reference.
struct ListedPool(*const Pool);

// SAFETY: Pools are `Sync` and their reference count is atomic, so the table's reference a
// `ListedPool` holds may be used and dropped from any thread (`Detached` drops them after the
// registry lock is released).
unsafe impl Send for ListedPool {}

/// The pools of one region that are in a cgroup's table; each entry's [`Pool::index`] is its
/// position. Entries hold the tables' references.
pub(crate) struct PoolList(KVec<ListedPool>);

impl PoolList {
    /// An empty list.
    pub(crate) const fn new() -> Self {
        Self(KVec::new())
    }
}

/// The pools taken out of every table by [`detach_all`], still holding the tables' references;
/// dropping it drops them.
pub(crate) struct Detached(KVec<ListedPool>);

impl Detached {
    /// Returns `true` if no pool was detached.
    pub(crate) fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl Drop for Detached {
    fn drop(&mut self) {
        for p in self.0.drain_all() {
            // SAFETY: The entry holds the table's reference, which we give up.
            unsafe { put(p.0) };
        }
    }
}

/// A slot of a pool table.
type Slot = Atomic<*mut Pool>;

/// The pools of one cgroup.
///
/// # Invariants
///
/// - A non-null pointer in `chunks[k]` points to the first of [`chunk_len`]`(k)` slots that
///   come from `KVec::into_raw_parts` and are freed only when the table is dropped.
/// - A non-null slot points to a pool whose table reference this table holds; it is on its
///   region's [`PoolList`], and its region's slot is the slot's index.
pub(crate) struct Pools {
    chunks: [Atomic<*mut Slot>; CHUNKS],
}

impl Pools {
    /// An empty table.
    pub(crate) const fn new() -> Self {
        Self {
            chunks: [const { Atomic::new(ptr::null_mut()) }; CHUNKS],
        }
    }

    /// The slot of index `index`, if its chunk exists.
    fn slot(&self, index: usize) -> Option<&Slot> {
        let (chunk, offset, _) = chunk_of(index);
        // ORDERING: Acquire pairs with the Release store that published the chunk.
        let first = self.chunks.get(chunk)?.load(Acquire);
        if first.is_null() {
            return None;
        }
        // SAFETY: By the type invariants a non-null chunk holds `chunk_len(chunk)` slots, more
        // than `offset`, for as long as the table lives.
        Some(unsafe { &*first.add(offset) })
    }

    /// The pool of `region` in this cgroup, if it was created, with a new reference.
    ///
    /// Lock-free; the caller must hold a reference on the table's css. Inline: it is most of the
    /// lookup of every charge.
    #[inline(always)]
    pub(crate) fn get(&self, region: &Region) -> Option<ARef<Pool>> {
        let _rcu = rcu::read_lock();
        let (chunk, offset, _) = chunk_of(region.slot());
        // ORDERING: Read as `rcu_dereference()` reads: the slots, and then the pool's fields, are
        // read through the pointers read here (address dependencies), which orders those reads
        // after the Release stores that published the chunk and the pool. Inline in every build,
        // unlike an Acquire load, for this lookup on every charge.
        let first = read_once(self.chunks.get(chunk)?);
        if first.is_null() {
            return None;
        }
        // SAFETY: By the type invariants a non-null chunk holds `chunk_len(chunk)` slots, more
        // than `offset`, for as long as the table lives.
        let slot = unsafe { &*first.add(offset) };
        // ORDERING: As above, for the pool's fields.
        let p = read_once(slot);
        // SAFETY: A pool found in a table keeps the table's reference until an RCU grace period
        // after it left the table (module documentation), and we are in a read-side section.
        let pool = unsafe { p.as_ref() }?;
        // A lookup racing `unregister` may still see the old region's pool in a reused slot.
        ptr::eq(&*pool.region, region).then(|| pool.into())
    }

    /// The pool of `region` in this cgroup, without a reference, under the registry lock.
    pub(crate) fn get_locked<'a>(
        &'a self,
        region: &Region,
        _reg: &'a RegistryGuard,
    ) -> Option<&'a Pool> {
        let p = self.slot(region.slot())?.load(Relaxed);
        // SAFETY: A pool in a table stays in it (and so alive) while the registry lock is held,
        // for as long as the guard is borrowed.
        let pool = unsafe { p.as_ref() }?;
        ptr::eq(&*pool.region, region).then_some(pool)
    }

    /// The slot of index `index`, allocating its chunk if needed.
    fn slot_or_alloc(&self, index: usize, _reg: &RegistryGuard) -> Result<&Slot> {
        let (chunk, _, len) = chunk_of(index);
        let first = self.chunks.get(chunk).ok_or(EINVAL)?;
        if first.load(Relaxed).is_null() {
            let mut new = KVec::with_capacity(len, GFP_KERNEL)?;
            for _ in 0..len {
                new.push(Atomic::new(ptr::null_mut()), GFP_KERNEL)?;
            }
            let (p, _, _) = new.into_raw_parts();
            // INVARIANT: `len` slots, freed with the table. The registry lock serialises the
            // writers of the chunk pointers.
            // ORDERING: Release publishes the null slots to lock-free readers (see `slot`).
            first.store(p, Release);
        }
        self.slot(index).ok_or(EINVAL)
    }
}

impl Drop for Pools {
    fn drop(&mut self) {
        // The cgroup is being freed: no handle of its pools exists (each holds a reference on
        // the css) and no child cgroup either, so every pool left in the table holds only the
        // table's reference.
        if self.chunks.iter().all(|c| c.load(Relaxed).is_null()) {
            // No pool was ever created here: nothing to take off a region's list.
            return;
        }
        let mut reg = REGISTRY.lock();
        for (k, first) in self.chunks.iter().enumerate() {
            let first = first.load(Relaxed);
            if first.is_null() {
                continue;
            }
            let len = chunk_len(k);
            // SAFETY: By the type invariants the chunk's `len` initialised slots came from
            // `KVec::into_raw_parts` with at least that capacity, and nothing else uses the
            // table any more.
            let chunk = unsafe { KVec::from_raw_parts(first, len, len) };
            for slot in chunk.iter() {
                let p = slot.load(Relaxed);
                if p.is_null() {
                    continue;
                }
                // SAFETY: By the type invariants the pool is alive and listed.
                unlist(unsafe { &*p }, &mut reg);
                // SAFETY: The table's reference is ours to give up: the pool left the table.
                unsafe { put(p) };
            }
        }
    }
}

/// Takes `pool` off its region's list; the caller takes it out of its table.
fn unlist(pool: &Pool, reg: &mut RegistryGuard) {
    let i = *pool.index.as_ref(reg);
    let moved = {
        let list = &mut pool.region.pools.as_mut(reg).0;
        let last = list.len() - 1;
        list.swap(i, last);
        let _ = list.pop();
        list.get(i).map(|p| p.0)
    };
    if let Some(moved) = moved {
        // INVARIANT: The pool that took position `i` on the list records it as its index.
        // SAFETY: Listed pools are alive while the registry lock is held.
        *unsafe { &*moved }.index.as_mut(reg) = i;
    }
}

/// Takes every pool of `region` out of its cgroup's table and off the region's list.
///
/// The returned pools still hold the tables' references: the caller drops them after an RCU
/// grace period (see the module documentation).
pub(crate) fn detach_all(region: &Region, reg: &mut RegistryGuard) -> Detached {
    let list = core::mem::replace(region.pools.as_mut(reg), PoolList::new());
    for p in list.0.iter() {
        // SAFETY: A listed pool is in its cgroup's table, so it and its css are alive.
        let pool = unsafe { &*p.0 };
        if let Some(slot) = pool.css().pools.slot(region.slot()) {
            // INVARIANT: The pool leaves its table and its region's list together; the table's
            // reference moves to the returned `Detached`.
            slot.store(ptr::null_mut(), Relaxed);
        }
    }
    Detached(list.0)
}

/// The number of pools allocated and not freed yet, for tests that check that none leaks;
/// counted only in kernels built for testing (the debugfs test interface or KUnit).
#[cfg(any(CONFIG_CGROUP_DRM_TEST_HELPER, CONFIG_CGROUP_DRM_KUNIT_TEST))]
static LIVE_POOLS: Atomic<u64> = Atomic::new(0);

/// Counts a pool created (`true`) or freed in [`LIVE_POOLS`], in kernels built for testing.
#[inline(always)]
fn count_pool(created: bool) {
    #[cfg(any(CONFIG_CGROUP_DRM_TEST_HELPER, CONFIG_CGROUP_DRM_KUNIT_TEST))]
    if created {
        LIVE_POOLS.fetch_add(1, Relaxed);
    } else {
        LIVE_POOLS.fetch_sub(1, Relaxed);
    }
    #[cfg(not(any(CONFIG_CGROUP_DRM_TEST_HELPER, CONFIG_CGROUP_DRM_KUNIT_TEST)))]
    let _ = created;
}

/// Returns how many pools exist (see [`LIVE_POOLS`]).
#[cfg(any(CONFIG_CGROUP_DRM_TEST_HELPER, CONFIG_CGROUP_DRM_KUNIT_TEST))]
pub(crate) fn live_pools() -> u64 {
    LIVE_POOLS.load(Relaxed)
}

/// Returns the pool of (`css`, `region`) with a reference, creating it and its ancestors'
/// pools if needed.
///
/// Fails with `ENODEV` once the region is unregistered and with `ENOMEM`. Inline, for every
/// charge; the creation of missing pools is out of line.
#[inline(always)]
pub(crate) fn get_or_create(
    css: &Css<DrmCgroup>,
    region: ArcBorrow<'_, Region>,
) -> Result<ARef<Pool>> {
    if let Some(pool) = css.pools.get(&region) {
        if region.is_unregistered() {
            return Err(ENODEV);
        }
        return Ok(pool);
    }
    get_or_create_slow(css, region)
}

/// [`get_or_create`] for a pool that the lock-free lookup did not find.
#[cold]
#[inline(never)]
fn get_or_create_slow(css: &Css<DrmCgroup>, region: ArcBorrow<'_, Region>) -> Result<ARef<Pool>> {
    let mut reg = REGISTRY.lock();
    if region.is_unregistered() {
        return Err(ENODEV);
    }
    // Create the missing pools from the topmost ancestor without one down to `css`, so that
    // each new pool finds its parent's. Another task may have created some of them (or all)
    // since the lock-free lookup, so look again under the lock. The depth is small; walking up
    // again per level keeps this free of allocation beyond the pools themselves.
    loop {
        if let Some(pool) = css.pools.get_locked(&region, &reg) {
            return Ok(pool.into());
        }
        let mut target = css;
        while let Some(parent) = target.parent() {
            if parent.pools.get_locked(&region, &reg).is_some() {
                break;
            }
            target = parent;
        }
        create(target, region, &mut reg)?;
    }
}

/// Creates the pool of (`css`, `region`) under the registry lock and publishes it; the pool of
/// the parent cgroup must exist.
fn create(css: &Css<DrmCgroup>, region: ArcBorrow<'_, Region>, reg: &mut RegistryGuard) -> Result {
    let slot = css.pools.slot_or_alloc(region.slot(), reg)?;
    if !slot.load(Relaxed).is_null() {
        // Tables hold pools of registered regions only (see `detach_all`).
        kernel::warn_on!(true);
        return Err(EINVAL);
    }
    let parent = match css.parent() {
        Some(parent) => ptr::from_ref(parent.pools.get_locked(&region, reg).ok_or(EINVAL)?),
        None => ptr::null(),
    };
    let list = &mut region.pools.as_mut(reg).0;
    list.reserve(1, GFP_KERNEL)?;
    let index = list.len();
    // INVARIANT: The table's reference is the first one; the reference on `parent` is taken
    // below, once nothing can fail; `css` will hold the pool in its table, and `index` is where
    // the pool goes on the region's list.
    let pool = KBox::new(
        Pool {
            refs: Refcount::new(1),
            parent,
            counter: Counter::new(),
            region: region.into(),
            css,
            index: GlobalLockedBy::new(index),
            reclaimed: Atomic::new(0),
        },
        GFP_KERNEL,
    )?;
    if let Some(parent) = pool.parent() {
        parent.refs.inc();
    }
    let p = KBox::into_raw(pool);
    count_pool(true);
    // Cannot fail: space was reserved above.
    region.pools.as_mut(reg).0.push(ListedPool(p), GFP_KERNEL)?;
    // ORDERING: Release publishes the initialised pool to lock-free readers (see `get`).
    slot.store(p, Release);
    Ok(())
}

#[cfg(CONFIG_CGROUP_DRM_KUNIT_TEST)]
#[kernel::macros::kunit_tests(drm_cgroup_pool)]
mod tests {
    use super::*;
    use crate::{
        charge,
        reclaim::Reclaim,
        region, //
    };
    use kernel::{
        str::CString,
        sync::Arc, //
    };

    /// A reclaim callback that counts its calls and never frees anything.
    struct Counting(Arc<Atomic<u32>>);

    impl Reclaim for Counting {
        fn reclaim(&self, _pool: &Pool, _target: u64) -> Result {
            self.0.fetch_add(1, Relaxed);
            Err(ENOSPC)
        }
    }

    #[test]
    fn chunks_cover_every_slot_once() {
        // Slot after slot, the chunks are filled in order, each to its length, and the last
        // slot is in the last chunk.
        let mut expected = (0, 0);
        for index in 0..MAX_REGIONS {
            let (chunk, offset, len) = chunk_of(index);
            assert!(chunk < CHUNKS);
            assert_eq!(len, chunk_len(chunk));
            assert_eq!((chunk, offset), expected);
            expected = if offset + 1 == len {
                (chunk + 1, 0)
            } else {
                (chunk, offset + 1)
            };
        }
        assert_eq!(expected, (CHUNKS, 0));
    }

    #[test]
    fn pools_of_an_unregistered_region_are_freed() -> Result {
        let css = Css::<DrmCgroup>::current();
        let before = live_pools();
        let r = region::register(b"kunit:02.0", b"vram0", 1 << 20, None)?;
        let pool = get_or_create(&css, r.as_arc_borrow())?;
        assert!(charge::try_charge(&*pool, 4096).is_ok());
        // The test runs in the root cgroup: one pool.
        assert_eq!(live_pools(), before + 1);
        // A second lookup finds the same pool.
        let again = get_or_create(&css, r.as_arc_borrow())?;
        assert!(ptr::eq(&*pool, &*again));
        drop(again);
        region::unregister(&r);
        // The charge holds the pool: still there, still usable for uncharging.
        assert_eq!(live_pools(), before + 1);
        assert_eq!(pool.counter().usage(), 4096);
        assert!(css.pools.get(&r).is_none());
        assert!(charge::uncharge(&*pool, 4096).is_ok());
        drop(pool);
        // The last reference freed it, root included.
        assert_eq!(live_pools(), before);
        Ok(())
    }

    #[test]
    fn register_unregister_cycles_leak_nothing() -> Result {
        let css = Css::<DrmCgroup>::current();
        let before = live_pools();
        for _ in 0..64 {
            let r = region::register(b"kunit:02.1", b"vram0", 1 << 20, None)?;
            let pool = get_or_create(&css, r.as_arc_borrow())?;
            assert!(charge::try_charge(&*pool, 4096).is_ok());
            region::unregister(&r);
            assert!(charge::uncharge(&*pool, 4096).is_ok());
        }
        assert_eq!(live_pools(), before);
        Ok(())
    }

    #[test]
    fn regions_beyond_the_first_chunk() -> Result {
        let css = Css::<DrmCgroup>::current();
        let before = live_pools();
        let mut all = KVec::new();
        // Fill more than two chunks of slots, then charge in the last region.
        for i in 0..(2 * FIRST_CHUNK + 3) {
            let name = CString::try_from_fmt(fmt!("r{}", i))?;
            all.push(
                region::register(b"kunit:02.2", name.to_bytes(), 1 << 20, None)?,
                GFP_KERNEL,
            )?;
        }
        let last = all.last().ok_or(EINVAL)?.clone();
        assert!(last.slot() >= 2 * FIRST_CHUNK);
        let pool = get_or_create(&css, last.as_arc_borrow())?;
        assert!(ptr::eq(&**pool.region(), &*last));
        assert!(charge::try_charge(&*pool, 8192).is_ok());
        assert_eq!(pool.counter().usage(), 8192);
        assert!(charge::uncharge(&*pool, 8192).is_ok());
        drop(pool);
        for r in all.iter() {
            region::unregister(r);
        }
        assert_eq!(live_pools(), before);
        Ok(())
    }

    #[test]
    fn reclaim_after_unregister_is_enodev_at_once() -> Result {
        let css = Css::<DrmCgroup>::current();
        let calls = Arc::new(Atomic::new(0u32), GFP_KERNEL)?;
        let ops: KBox<dyn Reclaim> = KBox::new(Counting(calls.clone()), GFP_KERNEL)?;
        let r = region::register(b"kunit:02.3", b"vram0", 1 << 20, Some(ops))?;
        let pool = get_or_create(&css, r.as_arc_borrow())?;
        assert!(charge::try_charge(&*pool, 4096).is_ok());
        // Registered: the driver is asked, and says it could not free anything.
        assert!(matches!(r.reclaim(&pool, 4096), Err(e) if e == ENOSPC));
        assert_eq!(calls.load(Relaxed), 1);
        region::unregister(&r);
        // Unregistered: ENODEV without calling the driver, whose callback is gone.
        assert!(matches!(r.reclaim(&pool, 4096), Err(e) if e == ENODEV));
        assert_eq!(calls.load(Relaxed), 1);
        assert!(charge::uncharge(&*pool, 4096).is_ok());
        Ok(())
    }
}
