// SPDX-License-Identifier: GPL-2.0

//! GPU memory accounting with the drm cgroup controller, for Rust drivers.
//!
//! A driver registers each memory region of its device as a [`Region`], charges every buffer
//! placement in it to a cgroup ([`Region::try_charge`] returns a [`Charge`] that gives the bytes
//! back when dropped), and asks [`Pool::evict_valuable`] before evicting another cgroup's buffer.
//!
//! C header: [`include/linux/cgroup_drm.h`](srctree/include/linux/cgroup_drm.h).

use crate::{
    bindings,
    error::{
        from_err_ptr,
        to_result, //
    },
    prelude::*,
    sync::{
        Arc,
        ArcBorrow, //
    },
    types::Opaque,
};
use core::{
    marker::PhantomData,
    ptr::{
        self,
        NonNull, //
    },
};

/// A driver's callback that evicts memory of a cgroup when its limit is lowered.
pub trait Reclaim: Send + Sync + 'static {
    /// Evicts at least `target` bytes charged to `pool` or to its descendants.
    ///
    /// Only moves out of the region free anything: buffers that eviction would place in it
    /// again are left alone. Returns `Ok(())` on progress and `Err(ENOSPC)`, at once, when nothing
    /// can leave the region; any other error stops reclaim. Calls for one region may run
    /// concurrently.
    fn reclaim(&self, pool: &Pool, target: u64) -> Result;
}

/// A registered memory region; unregistered when dropped.
///
/// # Invariants
///
/// `ptr` is a region registered with `drmcg_register_region` and not unregistered yet.
pub struct Region<T: Reclaim = NoReclaim> {
    ptr: NonNull<bindings::drmcg_region>,
    reclaim: Option<Arc<T>>,
}

// SAFETY: The C API may be called from any thread for a registered region.
unsafe impl<T: Reclaim> Send for Region<T> {}
// SAFETY: The C API may be called concurrently for a registered region.
unsafe impl<T: Reclaim> Sync for Region<T> {}

/// The [`Reclaim`] of regions without a reclaim callback.
pub enum NoReclaim {}

impl Reclaim for NoReclaim {
    fn reclaim(&self, _pool: &Pool, _target: u64) -> Result {
        match *self {}
    }
}

struct ReclaimVTable<T: Reclaim>(PhantomData<T>);

impl<T: Reclaim> ReclaimVTable<T> {
    const OPS: bindings::drmcg_region_ops = bindings::drmcg_region_ops {
        reclaim: Some(Self::reclaim),
    };

    /// # Safety
    ///
    /// `pool` is a live pool for the call and `priv_` the pointer of an `Arc<T>` that the region
    /// holds until it is unregistered.
    unsafe extern "C" fn reclaim(
        pool: *mut bindings::drmcg_pool,
        target: u64,
        priv_: *mut c_void,
    ) -> c_int {
        // SAFETY: `priv_` is `Arc::as_ptr` of the `Arc<T>` the region keeps alive until
        // unregistering has waited for running callbacks.
        let this = unsafe { ArcBorrow::<T>::from_raw(priv_.cast::<T>()) };
        // SAFETY: The controller passes a pool that is live for the call.
        let pool = unsafe { Pool::from_raw(pool) };
        match this.reclaim(pool, target) {
            Ok(()) => 0,
            Err(e) => e.to_errno(),
        }
    }
}

impl Region<NoReclaim> {
    /// Registers the region `<card>/<name>` of `size` bytes, without a reclaim callback.
    ///
    /// Errors as [`Region::register_with_reclaim`].
    pub fn register(card: &CStr, name: &CStr, size: u64) -> Result<Self> {
        Self::register_inner(card, name, size, None)
    }
}

impl<T: Reclaim> Region<T> {
    /// Registers the region `<card>/<name>` of `size` bytes whose cgroups' memory `reclaim`
    /// evicts when their limit is lowered.
    ///
    /// `card` is the device's DRM unique name. Errors: `EINVAL` (bad name, size 0), `EEXIST`,
    /// `ENOSPC` (too many regions), `ENOMEM`.
    pub fn register_with_reclaim(
        card: &CStr,
        name: &CStr,
        size: u64,
        reclaim: Arc<T>,
    ) -> Result<Self> {
        Self::register_inner(card, name, size, Some(reclaim))
    }

    fn register_inner(
        card: &CStr,
        name: &CStr,
        size: u64,
        reclaim: Option<Arc<T>>,
    ) -> Result<Self> {
        let (ops, priv_) = match &reclaim {
            Some(r) => (
                // A `'static` table: the region keeps using it until unregistered.
                ptr::from_ref(const { &ReclaimVTable::<T>::OPS }),
                Arc::as_ptr(r).cast_mut().cast::<c_void>(),
            ),
            None => (ptr::null(), ptr::null_mut()),
        };
        // SAFETY: The strings are valid; `ops` is a static table and `priv_` stays valid while
        // `self.reclaim` holds the `Arc`, which is dropped only after unregistering.
        let ptr = from_err_ptr(unsafe {
            bindings::drmcg_register_region(
                card.as_char_ptr(),
                name.as_char_ptr(),
                size,
                ops,
                priv_,
            )
        })?;
        // The controller is built in (this module exists only then), so registering returns a
        // region or an error, never null.
        let ptr = NonNull::new(ptr).ok_or(EINVAL)?;
        // INVARIANT: `ptr` is a registered region.
        Ok(Self { ptr, reclaim })
    }

    /// Charges `size` bytes to the current task's cgroup.
    pub fn try_charge(&self, size: u64) -> Result<Charge, ChargeError> {
        self.charge(None, size)
    }

    /// Charges `size` bytes to `owner`'s cgroup (e.g. the cgroup that created the buffer).
    pub fn try_charge_owner(&self, owner: &Owner, size: u64) -> Result<Charge, ChargeError> {
        self.charge(Some(owner), size)
    }

    /// Charges `size` bytes to `owner`'s cgroup (the current task's if `None`) whatever `max`
    /// says, for placements that must not fail: the destination of an eviction, which a limit
    /// of the victim's own must not veto.
    pub fn force_charge(&self, owner: Option<&Owner>, size: u64) -> Result<Charge> {
        let mut pool = ptr::null_mut();
        let owner = owner.map_or(ptr::null_mut(), |o| o.ptr.as_ptr());
        // SAFETY: The region is registered (type invariant), `owner` is null or holds a
        // reference, the output pointer is valid.
        to_result(unsafe {
            bindings::drmcg_force_charge_owner(self.ptr.as_ptr(), owner, size, &mut pool)
        })?;
        // INVARIANT: On success `pool` holds a reference and `size` bytes are charged.
        NonNull::new(pool)
            .map(|pool| Charge { pool, size })
            .ok_or(EINVAL)
    }

    /// Returns the pool of `owner`'s cgroup (the current task's if `None`) in this region, e.g.
    /// the evictor's when its own limit refused a charge.
    pub fn owner_pool(&self, owner: Option<&Owner>) -> Result<PoolRef> {
        let owner = owner.map_or(ptr::null_mut(), |o| o.ptr.as_ptr());
        // SAFETY: The region is registered (type invariant), `owner` is null or holds a
        // reference.
        let ptr =
            from_err_ptr(unsafe { bindings::drmcg_get_owner_pool(self.ptr.as_ptr(), owner) })?;
        // INVARIANT: A pool returned by `drmcg_get_owner_pool` carries a reference.
        NonNull::new(ptr).map(|ptr| PoolRef { ptr }).ok_or(ENODEV)
    }

    fn charge(&self, owner: Option<&Owner>, size: u64) -> Result<Charge, ChargeError> {
        let mut pool = ptr::null_mut();
        let mut limit = ptr::null_mut();
        let owner = owner.map_or(ptr::null_mut(), |o| o.ptr.as_ptr());
        // SAFETY: The region is registered (type invariant), `owner` is null or holds a
        // reference, the output pointers are valid.
        let ret = unsafe {
            bindings::drmcg_try_charge_owner(self.ptr.as_ptr(), owner, size, &mut pool, &mut limit)
        };
        if ret == 0 {
            // INVARIANT: On success `pool` holds a reference and `size` bytes are charged.
            return match NonNull::new(pool) {
                Some(pool) => Ok(Charge { pool, size }),
                None => Err(ChargeError::Error(EINVAL)),
            };
        }
        let err = Error::from_errno(ret);
        match NonNull::new(limit) {
            // INVARIANT: A returned limit pool carries a reference.
            Some(limit) if err == EAGAIN => Err(ChargeError::Limit(PoolRef { ptr: limit })),
            _ => Err(ChargeError::Error(err)),
        }
    }
}

impl<T: Reclaim> Drop for Region<T> {
    fn drop(&mut self) {
        // SAFETY: The region is registered (type invariant) and is not used afterwards.
        unsafe { bindings::drmcg_unregister_region(self.ptr.as_ptr()) };
        // Unregistering waited for running reclaim callbacks; now `priv_` may go.
        drop(self.reclaim.take());
    }
}

/// Why a charge failed.
pub enum ChargeError {
    /// The `max` of this pool's cgroup refused the charge: evict from its subtree.
    Limit(PoolRef),
    /// Another error: `ENODEV` (region unregistered), `ENOMEM`.
    Error(Error),
}

impl From<ChargeError> for Error {
    fn from(e: ChargeError) -> Error {
        match e {
            // Never `EAGAIN` towards user space: drmIoctl() would retry forever.
            ChargeError::Limit(_) => ENOSPC,
            ChargeError::Error(e) => e,
        }
    }
}

/// Bytes charged to a pool; uncharged when dropped.
///
/// # Invariants
///
/// `pool` holds a reference and `size` bytes are charged to it.
pub struct Charge {
    pool: NonNull<bindings::drmcg_pool>,
    size: u64,
}

// SAFETY: Charges may be given back from any thread.
unsafe impl Send for Charge {}
// SAFETY: Shared access only reads the pool.
unsafe impl Sync for Charge {}

impl Charge {
    /// The pool the bytes are charged to.
    pub fn pool(&self) -> &Pool {
        // SAFETY: The charge holds a reference on the pool (type invariant).
        unsafe { Pool::from_raw(self.pool.as_ptr()) }
    }

    /// The number of bytes charged.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Marks the charge as pinned (not evictable) until the returned guard is dropped.
    pub fn pin(&self) -> Result<Pinned<'_>> {
        // SAFETY: The pool is live and `size` bytes are charged to it.
        to_result(unsafe { bindings::drmcg_pin(self.pool.as_ptr(), self.size) })?;
        Ok(Pinned { charge: self })
    }

    /// Records that the charged buffer was evicted (`hit_low` as returned by
    /// [`Pool::evict_valuable`]) and gives the bytes back.
    pub fn evicted(self, hit_low: bool) {
        // SAFETY: The pool is live.
        unsafe { bindings::drmcg_report_eviction(self.pool.as_ptr(), self.size, hit_low) };
    }
}

impl Drop for Charge {
    fn drop(&mut self) {
        // SAFETY: `size` bytes are charged to the pool; the uncharge also gives back our
        // reference on it, which is not used afterwards.
        unsafe { bindings::drmcg_uncharge(self.pool.as_ptr(), self.size) };
    }
}

/// A pinned [`Charge`]; unpinned when dropped.
pub struct Pinned<'a> {
    charge: &'a Charge,
}

impl Drop for Pinned<'_> {
    fn drop(&mut self) {
        // SAFETY: The charge was pinned by `Charge::pin`.
        unsafe { bindings::drmcg_unpin(self.charge.pool.as_ptr(), self.charge.size) };
    }
}

/// The accounting state of one cgroup in one region.
#[repr(transparent)]
pub struct Pool(Opaque<bindings::drmcg_pool>);

impl Pool {
    /// # Safety
    ///
    /// `ptr` is a live pool for `'a`.
    unsafe fn from_raw<'a>(ptr: *mut bindings::drmcg_pool) -> &'a Self {
        // SAFETY: `Pool` is a transparent wrapper and the pool is live for `'a`.
        unsafe { &*ptr.cast() }
    }

    fn as_raw(&self) -> *mut bindings::drmcg_pool {
        self.0.get()
    }

    /// Decides whether a buffer charged to `self` may be evicted for an allocation charged to
    /// `evictor`, after `limit`'s `max` refused it (`None`: the device is full).
    ///
    /// Returns whether to evict, and whether the victim is within its `low` protection (then a
    /// second pass with [`EvictFlag::IgnoreLow`] may evict it).
    pub fn evict_valuable(
        &self,
        limit: Option<&Pool>,
        evictor: Option<&Pool>,
        flags: EvictFlags,
    ) -> (bool, bool) {
        let mut hit_low = false;
        // SAFETY: All pools are live (borrowed); `hit_low` is valid for writing.
        let evict = unsafe {
            bindings::drmcg_evict_valuable(
                limit.map_or(ptr::null_mut(), Pool::as_raw),
                self.as_raw(),
                evictor.map_or(ptr::null_mut(), Pool::as_raw),
                flags.into(),
                &mut hit_low,
            )
        };
        (evict, hit_low)
    }

    /// Whether the pool's usage is within its effective `min` protection.
    pub fn below_min(&self) -> bool {
        // SAFETY: The pool is live.
        unsafe { bindings::drmcg_below_min(ptr::null_mut(), self.as_raw()) }
    }

    /// Whether the pool's usage is within its effective `low` protection.
    pub fn below_low(&self) -> bool {
        // SAFETY: The pool is live.
        unsafe { bindings::drmcg_below_low(ptr::null_mut(), self.as_raw()) }
    }
}

/// A pool reference, e.g. the limiting pool of a refused charge; dropped with the reference.
///
/// # Invariants
///
/// `ptr` holds a reference on a live pool.
pub struct PoolRef {
    ptr: NonNull<bindings::drmcg_pool>,
}

// SAFETY: Pool references may be dropped from any thread.
unsafe impl Send for PoolRef {}

impl core::ops::Deref for PoolRef {
    type Target = Pool;

    fn deref(&self) -> &Pool {
        // SAFETY: We hold a reference (type invariant).
        unsafe { Pool::from_raw(self.ptr.as_ptr()) }
    }
}

impl Drop for PoolRef {
    fn drop(&mut self) {
        // SAFETY: We give back our reference.
        unsafe { bindings::drmcg_pool_put(self.ptr.as_ptr()) };
    }
}

crate::impl_flags!(
    /// Options of [`Pool::evict_valuable`], a combination of [`EvictFlag`]s.
    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
    pub struct EvictFlags(u32);

    /// One option of [`Pool::evict_valuable`].
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub enum EvictFlag {
        /// Also evict cgroups within their `low` protection.
        IgnoreLow = bindings::drmcg_evict_flags_DRMCG_EVICT_IGNORE_LOW,
        /// Only the evictor's cgroup and its descendants may lose memory.
        NoEvictOthers = bindings::drmcg_evict_flags_DRMCG_EVICT_NO_EVICT_OTHERS,
        /// Only cgroups above their `high` (or below an ancestor that is) may lose memory.
        OnlyOverHigh = bindings::drmcg_evict_flags_DRMCG_EVICT_ONLY_OVER_HIGH,
    }
);

/// The cgroup a buffer belongs to, for charges that follow the buffer's owner.
///
/// # Invariants
///
/// `ptr` holds a reference on the owner.
pub struct Owner {
    ptr: NonNull<bindings::drmcg_owner>,
}

// SAFETY: Owner references may be used and dropped from any thread.
unsafe impl Send for Owner {}
// SAFETY: Shared access only passes the pointer to the thread-safe C API.
unsafe impl Sync for Owner {}

impl Owner {
    /// The current task's cgroup.
    pub fn current() -> Self {
        // SAFETY: Always safe to call.
        let ptr = unsafe { bindings::drmcg_owner_get_current() };
        // SAFETY: With the controller built in (this module exists only then), the current
        // task always has a css of it, which `drmcg_owner_get_current` returns with a
        // reference: never null.
        let ptr = unsafe { NonNull::new_unchecked(ptr) };
        // INVARIANT: `ptr` carries the reference taken by `drmcg_owner_get_current`.
        Self { ptr }
    }
}

impl Clone for Owner {
    fn clone(&self) -> Self {
        // SAFETY: We hold a reference, so taking another is fine.
        unsafe { bindings::drmcg_owner_get(self.ptr.as_ptr()) };
        // INVARIANT: A new reference was taken.
        Self { ptr: self.ptr }
    }
}

impl Drop for Owner {
    fn drop(&mut self) {
        // SAFETY: We give back our reference.
        unsafe { bindings::drmcg_owner_put(self.ptr.as_ptr()) };
    }
}

#[cfg(CONFIG_CGROUP_DRM_KUNIT_TEST)]
#[macros::kunit_tests(rust_kernel_cgroup_drm)]
mod tests {
    use super::*;

    /// Counts its calls and remembers the last pool and target; refuses with `ENOSPC` after
    /// the first call, so that both results cross the bridge.
    struct CountingReclaim {
        calls: crate::sync::atomic::Atomic<u64>,
        last_pool: crate::sync::atomic::Atomic<u64>,
        last_target: crate::sync::atomic::Atomic<u64>,
    }

    impl Reclaim for CountingReclaim {
        fn reclaim(&self, pool: &Pool, target: u64) -> Result {
            use crate::sync::atomic::Relaxed;
            self.last_pool
                .store(ptr::from_ref(pool) as usize as u64, Relaxed);
            self.last_target.store(target, Relaxed);
            if self.calls.fetch_add(1, Relaxed) == 0 {
                Ok(())
            } else {
                Err(ENOSPC)
            }
        }
    }

    #[test]
    fn charge_pin_evict() -> Result {
        let region = Region::register(c"rust:00.0", c"vram0", 1 << 20)?;
        let a = region.try_charge(4096).map_err(Error::from)?;
        assert_eq!(a.size(), 4096);
        {
            let _pinned = a.pin()?;
            // Pinned bytes are never evictable and never below min here.
            assert!(!a.pool().below_min());
        }
        let (evict, hit_low) = a
            .pool()
            .evict_valuable(None, Some(a.pool()), EvictFlags::empty());
        assert!(evict);
        assert!(!hit_low);
        // A cgroup may always evict its own buffers, also when told to spare others.
        let (evict, _) = a.pool().evict_valuable(
            None,
            Some(a.pool()),
            EvictFlag::NoEvictOthers | EvictFlag::IgnoreLow,
        );
        assert!(evict);
        assert!(!a.pool().below_min());
        a.evicted(false);
        let owner = Owner::current();
        let b = region
            .try_charge_owner(&owner.clone(), 1 << 20)
            .map_err(Error::from)?;
        // A forced charge lands in the owner's pool, the one the lookup returns.
        let forced = region.force_charge(Some(&owner), 8192)?;
        assert_eq!(forced.size(), 8192);
        let pool = region.owner_pool(None)?;
        assert!(ptr::eq(&*pool, forced.pool()));
        assert!(ptr::eq(&*pool, b.pool()));
        drop(forced);
        drop(b);
        Ok(())
    }

    #[test]
    fn bad_registration() {
        assert!(matches!(
            Region::register(c"rust:00.0", c"a/b", 1),
            Err(e) if e == EINVAL
        ));
        assert!(matches!(
            Region::register(c"rust:00.0", c"vram0", 0),
            Err(e) if e == EINVAL
        ));
    }

    #[test]
    fn reclaim_callback_region() -> Result {
        use crate::sync::atomic::{
            Atomic,
            Relaxed, //
        };
        let reclaim = Arc::new(
            CountingReclaim {
                calls: Atomic::new(0),
                last_pool: Atomic::new(0),
                last_target: Atomic::new(0),
            },
            GFP_KERNEL,
        )?;
        let region =
            Region::register_with_reclaim(c"rust:00.1", c"vram0", 1 << 20, reclaim.clone())?;
        // The table the region is registered with calls `reclaim` with the pool, the target
        // and the private pointer, and turns its result into an errno.
        let charge = region.try_charge(4096).map_err(Error::from)?;
        let f = ReclaimVTable::<CountingReclaim>::OPS
            .reclaim
            .ok_or(EINVAL)?;
        let priv_ = Arc::as_ptr(&reclaim).cast_mut().cast::<c_void>();
        // SAFETY: The pool is live (`charge` holds it) and `priv_` is the region's `Arc`.
        let first = unsafe { f(charge.pool().as_raw(), 1234, priv_) };
        assert_eq!(first, 0);
        assert_eq!(reclaim.last_target.load(Relaxed), 1234);
        // SAFETY: As above.
        let second = unsafe { f(charge.pool().as_raw(), 0, priv_) };
        assert_eq!(second, ENOSPC.to_errno());
        assert_eq!(reclaim.calls.load(Relaxed), 2);
        assert_eq!(reclaim.last_target.load(Relaxed), 0);
        assert_eq!(
            reclaim.last_pool.load(Relaxed),
            ptr::from_ref(charge.pool()) as usize as u64
        );
        drop(charge);
        // A duplicate key is refused while the first region is registered.
        assert!(matches!(
            Region::register(c"rust:00.1", c"vram0", 1),
            Err(e) if e == EEXIST
        ));
        drop(region);
        // Unregistered when dropped: the key is free again.
        let again = Region::register(c"rust:00.1", c"vram0", 1);
        assert!(again.is_ok());
        Ok(())
    }
}
