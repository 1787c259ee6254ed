// SPDX-License-Identifier: GPL-2.0

//! The C API for drivers, declared in `include/linux/cgroup_drm.h`.
//!
//! Handles given to C are plain pointers to Rust objects: a `struct drmcg_region *` is an
//! [`Arc<Region>`] turned into a raw pointer, a `struct drmcg_pool *` points to a [`Pool`] and
//! carries a reference on the pool and one on the css of its cgroup, and a
//! `struct drmcg_owner *` is a css with a reference. Every function documents which references
//! it takes and gives.
//!
//! C header: [`include/linux/cgroup_drm.h`](srctree/include/linux/cgroup_drm.h).

use crate::{
    cgroup::Css,
    charge,
    evict::{
        self,
        EvictFlags,
        Verdict, //
    },
    pool::{
        self,
        Pool, //
    },
    reclaim::Reclaim,
    region::{
        self,
        Region, //
    },
    DrmCgroup, //
};
use core::ptr::{
    self,
    NonNull, //
};
use kernel::{
    bindings,
    prelude::*,
    str::CStr,
    sync::{
        aref::ARef,
        Arc,
        ArcBorrow, //
    },
    types::ForeignOwnable, //
};

/// A region's reclaim callback implemented by a C driver.
struct CReclaim {
    ops: *const bindings::drmcg_region_ops,
    priv_: *mut c_void,
}

// SAFETY: The driver promises (in the header's documentation) that its ops and private data may
// be used from any thread until the region is unregistered.
unsafe impl Send for CReclaim {}
// SAFETY: See `Send`; the driver's callback may be called concurrently, as dmem's is.
unsafe impl Sync for CReclaim {}

impl Reclaim for CReclaim {
    fn reclaim(&self, pool: &Pool, target: u64) -> Result {
        // SAFETY: `ops` stays valid until the region is unregistered, and unregistering waits
        // for this call (it runs in a read-side section of the SRCU of reclaim calls).
        let f = unsafe { (*self.ops).reclaim };
        let Some(f) = f else {
            return Err(ENOSPC);
        };
        // SAFETY: The driver's callback gets a pool that stays valid for the call (every caller
        // of `reclaim::reclaim_to` holds a reference on it) and its own private pointer.
        let ret = unsafe { f(pool_to_c(pool), target, self.priv_) };
        kernel::error::to_result(ret)
    }
}

/// Converts a pool to the C handle, without references (for calls into the driver).
fn pool_to_c(pool: &Pool) -> *mut bindings::drmcg_pool {
    ptr::from_ref(pool).cast_mut().cast()
}

/// Gives `pool` to C as a handle: its reference, and a reference on its css that the caller
/// hands over (`css` must be the pool's).
fn pool_into_c(pool: ARef<Pool>, css: ARef<Css<DrmCgroup>>) -> *mut bindings::drmcg_pool {
    // The references are given back by `drmcg_pool_put`.
    let _ = Css::into_raw(css);
    ARef::into_raw(pool).as_ptr().cast()
}

/// Borrows the pool behind a C handle.
///
/// # Safety
///
/// `pool` is null or a handle from this API whose reference the caller holds for `'a`.
unsafe fn pool_from_c<'a>(pool: *mut bindings::drmcg_pool) -> Option<&'a Pool> {
    // SAFETY: By the safety requirements, a non-null handle points to a live pool.
    unsafe { pool.cast::<Pool>().as_ref() }
}

/// Gives `pool` to C as a handle, with new references on it and on its css.
fn pool_get_to_c(pool: &Pool) -> *mut bindings::drmcg_pool {
    pool_into_c(pool.into(), pool.css().into())
}

/// Borrows the region behind a C handle.
///
/// # Safety
///
/// `region` is a handle from `drmcg_register_region` that is not unregistered yet (or is
/// being unregistered by the caller).
unsafe fn region_from_c<'a>(region: *mut bindings::drmcg_region) -> ArcBorrow<'a, Region> {
    // SAFETY: The handle came from `Arc::into_foreign` and is still owned by the driver.
    unsafe { <Arc<Region> as ForeignOwnable>::borrow(region.cast()) }
}

/// Reads a C string argument as bytes, `None` for null.
///
/// # Safety
///
/// `s` is null or a valid NUL-terminated string that lives for `'a`.
unsafe fn c_str<'a>(s: *const c_char) -> Option<&'a [u8]> {
    if s.is_null() {
        return None;
    }
    // SAFETY: Non-null `s` is a valid C string by the safety requirements.
    Some(unsafe { CStr::from_char_ptr(s) }.to_bytes())
}

/// Registers a memory region.
///
/// # Safety
///
/// `card` and `name` are valid C strings; `ops` is null or valid, with `priv_`, until
/// [`drmcg_unregister_region`] returns.
#[export]
pub unsafe extern "C" fn drmcg_register_region(
    card: *const c_char,
    name: *const c_char,
    size: u64,
    ops: *const bindings::drmcg_region_ops,
    priv_: *mut c_void,
) -> *mut bindings::drmcg_region {
    // SAFETY: The caller passes valid strings or null.
    let (Some(card), Some(name)) = (unsafe { c_str(card) }, unsafe { c_str(name) }) else {
        return EINVAL.to_ptr();
    };
    let reclaim = if ops.is_null() {
        None
    } else {
        match KBox::new(CReclaim { ops, priv_ }, GFP_KERNEL) {
            Ok(b) => Some(b as KBox<dyn Reclaim>),
            Err(e) => return Error::from(e).to_ptr(),
        }
    };
    match region::register(card, name, size, reclaim) {
        Ok(region) => region.into_foreign().cast(),
        Err(e) => e.to_ptr(),
    }
}

/// Unregisters a memory region.
///
/// # Safety
///
/// `region` is null or a handle from [`drmcg_register_region`] not unregistered before.
#[export]
pub unsafe extern "C" fn drmcg_unregister_region(region: *mut bindings::drmcg_region) {
    if region.is_null() {
        return;
    }
    // SAFETY: The handle came from `into_foreign` and the caller gives it back.
    let region = unsafe { <Arc<Region> as ForeignOwnable>::from_foreign(region.cast()) };
    region::unregister(&region);
}

/// Returns the number of pools not freed yet, for the test interface.
#[cfg(any(CONFIG_CGROUP_DRM_TEST_HELPER, CONFIG_CGROUP_DRM_KUNIT_TEST))]
#[export]
pub extern "C" fn drmcg_live_pools() -> u64 {
    pool::live_pools()
}

/// Returns the current task's cgroup as a buffer owner, with a reference.
#[export]
pub extern "C" fn drmcg_owner_get_current() -> *mut bindings::drmcg_owner {
    Css::<DrmCgroup>::into_raw(Css::current()).cast()
}

/// Takes another reference on an owner.
///
/// # Safety
///
/// `owner` is null or an owner whose reference the caller holds.
#[export]
pub unsafe extern "C" fn drmcg_owner_get(
    owner: *mut bindings::drmcg_owner,
) -> *mut bindings::drmcg_owner {
    if owner.is_null() {
        return owner;
    }
    // SAFETY: The caller holds a reference on the css.
    let css = unsafe { Css::<DrmCgroup>::get_raw(owner.cast()) };
    Css::into_raw(css).cast()
}

/// Drops a reference on an owner.
///
/// # Safety
///
/// `owner` is null or an owner whose reference the caller gives up.
#[export]
pub unsafe extern "C" fn drmcg_owner_put(owner: *mut bindings::drmcg_owner) {
    if !owner.is_null() {
        // SAFETY: The caller gives up its reference.
        drop(unsafe { Css::<DrmCgroup>::from_raw_ref(owner.cast()) });
    }
}

/// Charges `size` bytes of `region` to `css`.
///
/// The pool returned on success is `css`'s own, with the lookup's reference on it. With
/// `get_ref`, it comes with a new reference on `css`; without, the caller hands one of its own
/// references on `css` over to it, which saves taking one and dropping the other on the common
/// path, the current task's cgroup.
///
/// # Safety
///
/// `ret_pool` is valid for writing; `ret_limit_pool` is null or valid for writing.
#[inline(always)]
unsafe fn try_charge(
    css: &Css<DrmCgroup>,
    get_ref: bool,
    region: ArcBorrow<'_, Region>,
    size: u64,
    ret_pool: *mut *mut bindings::drmcg_pool,
    ret_limit_pool: *mut *mut bindings::drmcg_pool,
) -> c_int {
    // SAFETY: The caller passes valid output pointers.
    unsafe {
        *ret_pool = ptr::null_mut();
        if !ret_limit_pool.is_null() {
            *ret_limit_pool = ptr::null_mut();
        }
    }
    let pool = match pool::get_or_create(css, region) {
        Ok(pool) => pool,
        Err(e) => return e.to_errno(),
    };
    match charge::try_charge(&*pool, size) {
        Ok(charged) => {
            crate::files::notify_high(charged.over_high);
            let handle = if get_ref {
                // The lookup's reference on the pool becomes the handle's, with a new one on
                // `css`.
                let css_ref = pool.css().into();
                pool_into_c(pool, css_ref)
            } else {
                // The caller's reference on `css` becomes the handle's.
                let css_ref = ptr::from_ref(pool.css()).cast_mut();
                // SAFETY: `css_ref` is live, and the caller hands us a reference on it (see
                // the function's documentation), which the handle now owns.
                let css_ref = unsafe { ARef::from_raw(NonNull::new_unchecked(css_ref)) };
                pool_into_c(pool, css_ref)
            };
            // SAFETY: `ret_pool` is valid for writing.
            unsafe { *ret_pool = handle };
            0
        }
        Err(hit) => {
            let limit = hit.limit;
            crate::files::notify_max(limit);
            if !ret_limit_pool.is_null() {
                // SAFETY: Non-null `ret_limit_pool` is valid for writing.
                unsafe { *ret_limit_pool = pool_get_to_c(limit) };
            }
            EAGAIN.to_errno()
        }
    }
}

/// Charges `size` bytes of `region` to the current task's cgroup.
///
/// # Safety
///
/// `region` is a registered region handle; `ret_pool` is valid for writing; `ret_limit_pool`
/// is null or valid for writing.
#[export]
pub unsafe extern "C" fn drmcg_try_charge(
    region: *mut bindings::drmcg_region,
    size: u64,
    ret_pool: *mut *mut bindings::drmcg_pool,
    ret_limit_pool: *mut *mut bindings::drmcg_pool,
) -> c_int {
    let css = Css::<DrmCgroup>::current();
    // SAFETY: The caller passes a live region handle and valid output pointers.
    let ret = unsafe {
        try_charge(
            &css,
            false,
            region_from_c(region),
            size,
            ret_pool,
            ret_limit_pool,
        )
    };
    if ret == 0 {
        // The reference from `current` is the returned pool's, given back by `drmcg_pool_put`.
        let _ = Css::into_raw(css);
    }
    ret
}

/// Charges `size` bytes of `region` to `owner`, or to the current task's cgroup if `owner` is
/// null.
///
/// # Safety
///
/// As [`drmcg_try_charge`]; `owner` is null or an owner whose reference the caller holds.
#[export]
pub unsafe extern "C" fn drmcg_try_charge_owner(
    region: *mut bindings::drmcg_region,
    owner: *mut bindings::drmcg_owner,
    size: u64,
    ret_pool: *mut *mut bindings::drmcg_pool,
    ret_limit_pool: *mut *mut bindings::drmcg_pool,
) -> c_int {
    if owner.is_null() {
        // SAFETY: Same requirements.
        return unsafe { drmcg_try_charge(region, size, ret_pool, ret_limit_pool) };
    }
    // SAFETY: The caller holds a reference on `owner`.
    let css = unsafe { Css::<DrmCgroup>::borrow_raw(owner.cast()) };
    // SAFETY: The caller passes a live region handle and valid output pointers.
    unsafe {
        try_charge(
            css,
            true,
            region_from_c(region),
            size,
            ret_pool,
            ret_limit_pool,
        )
    }
}

/// Runs `f` on `owner`'s cgroup, or on the current task's if `owner` is null.
///
/// # Safety
///
/// `owner` is null or an owner whose reference the caller holds.
unsafe fn with_owner<R>(
    owner: *mut bindings::drmcg_owner,
    f: impl FnOnce(&Css<DrmCgroup>) -> R,
) -> R {
    if owner.is_null() {
        f(&Css::<DrmCgroup>::current())
    } else {
        // SAFETY: The caller holds a reference on `owner`.
        f(unsafe { Css::<DrmCgroup>::borrow_raw(owner.cast()) })
    }
}

/// Charges `size` bytes of `region` to `owner` (or to the current task's cgroup) whatever the
/// `max` settings, for placements that must not fail, such as the destination of an eviction.
///
/// # Safety
///
/// `region` is a registered region handle; `owner` is null or an owner whose reference the
/// caller holds; `ret_pool` is valid for writing.
#[export]
pub unsafe extern "C" fn drmcg_force_charge_owner(
    region: *mut bindings::drmcg_region,
    owner: *mut bindings::drmcg_owner,
    size: u64,
    ret_pool: *mut *mut bindings::drmcg_pool,
) -> c_int {
    // SAFETY: The caller passes a live region handle.
    let region = unsafe { region_from_c(region) };
    // SAFETY: `owner` is null or held by the caller.
    let result = unsafe {
        with_owner(owner, |css| {
            pool::get_or_create(css, region).map(|pool| {
                crate::files::notify_high(charge::force_charge(&*pool, size).over_high);
                pool_into_c(pool, css.into())
            })
        })
    };
    let (handle, ret) = match result {
        Ok(handle) => (handle, 0),
        Err(e) => (ptr::null_mut(), e.to_errno()),
    };
    // SAFETY: The caller passes a `ret_pool` valid for writing.
    unsafe { *ret_pool = handle };
    ret
}

/// Returns the pool of `owner` (or of the current task's cgroup) in `region`, with a reference,
/// or an `ERR_PTR`.
///
/// # Safety
///
/// `region` is a registered region handle; `owner` is null or an owner whose reference the
/// caller holds.
#[export]
pub unsafe extern "C" fn drmcg_get_owner_pool(
    region: *mut bindings::drmcg_region,
    owner: *mut bindings::drmcg_owner,
) -> *mut bindings::drmcg_pool {
    // SAFETY: The caller passes a live region handle.
    let region = unsafe { region_from_c(region) };
    // SAFETY: `owner` is null or held by the caller.
    let result = unsafe {
        with_owner(owner, |css| {
            pool::get_or_create(css, region).map(|pool| pool_into_c(pool, css.into()))
        })
    };
    result.unwrap_or_else(|e| e.to_ptr())
}

/// Gives back `size` bytes charged to `pool`, then the pool reference that came with the charge,
/// as `dmem_cgroup_uncharge()` does.
///
/// # Safety
///
/// `pool` is null or a pool whose reference the caller holds and gives up.
#[export]
pub unsafe extern "C" fn drmcg_uncharge(pool: *mut bindings::drmcg_pool, size: u64) {
    // SAFETY: The caller holds a reference until the put below.
    if let Some(p) = unsafe { pool_from_c(pool) } {
        if charge::uncharge(p, size).is_err() {
            kernel::pr_warn!("uncharge of {} bytes exceeds the charge\n", size);
            kernel::warn_on!(true);
        }
    }
    // SAFETY: The caller gives up its reference, which is not used after this call.
    unsafe { drmcg_pool_put(pool) };
}

/// Takes another reference on a pool.
///
/// # Safety
///
/// `pool` is null or a pool whose reference the caller holds.
#[export]
pub unsafe extern "C" fn drmcg_pool_get(
    pool: *mut bindings::drmcg_pool,
) -> *mut bindings::drmcg_pool {
    // SAFETY: The caller holds a reference.
    match unsafe { pool_from_c(pool) } {
        Some(pool) => pool_get_to_c(pool),
        None => ptr::null_mut(),
    }
}

/// Drops a pool reference returned by this API.
///
/// # Safety
///
/// `pool` is null or a pool whose reference the caller gives up.
#[export]
pub unsafe extern "C" fn drmcg_pool_put(pool: *mut bindings::drmcg_pool) {
    let Some(pool) = NonNull::new(pool.cast::<Pool>()) else {
        return;
    };
    // SAFETY: The caller holds the handle's references until this call, so the pool and its
    // css are alive.
    let css = unsafe { pool.as_ref() }.css().as_raw();
    // SAFETY: The caller gives up the handle's reference on the pool...
    drop(unsafe { ARef::from_raw(pool) });
    // SAFETY: ... and the one on its css, which kept the css alive until now.
    drop(unsafe { Css::<DrmCgroup>::from_raw_ref(css) });
}

/// Returns whether a cgroup ever set a finite `drm.high` in `region`, a hint that lets eviction
/// skip looking for cgroups above their `high` until then.
///
/// # Safety
///
/// `region` is a registered region handle.
#[export]
pub unsafe extern "C" fn drmcg_region_has_high(region: *mut bindings::drmcg_region) -> bool {
    // SAFETY: The caller passes a live region handle.
    unsafe { region_from_c(region) }.has_high()
}

/// Stores a snapshot of `pool`'s counters in `stat`.
///
/// # Safety
///
/// `pool` is a pool whose reference the caller holds; `stat` is valid for writing.
#[export]
pub unsafe extern "C" fn drmcg_pool_read_stat(
    pool: *mut bindings::drmcg_pool,
    stat: *mut bindings::drmcg_pool_stat,
) {
    // SAFETY: The caller holds a reference.
    let snapshot = match unsafe { pool_from_c(pool) } {
        Some(pool) => {
            let c = pool.counter();
            bindings::drmcg_pool_stat {
                usage: c.usage(),
                pinned: c.pinned(),
                evicted_bytes: c.evicted_bytes(),
                evictions: c.evictions(),
            }
        }
        None => bindings::drmcg_pool_stat {
            usage: 0,
            pinned: 0,
            evicted_bytes: 0,
            evictions: 0,
        },
    };
    // SAFETY: The caller passes a `stat` valid for writing.
    unsafe { stat.write(snapshot) };
}

/// Marks `size` charged bytes of `pool` as pinned (not evictable).
///
/// # Safety
///
/// `pool` is a pool whose reference the caller holds.
#[export]
pub unsafe extern "C" fn drmcg_pin(pool: *mut bindings::drmcg_pool, size: u64) -> c_int {
    // SAFETY: The caller holds a reference.
    match unsafe { pool_from_c(pool) } {
        Some(pool) => match charge::pin(pool, size) {
            Ok(()) => 0,
            Err(_) => EINVAL.to_errno(),
        },
        None => EINVAL.to_errno(),
    }
}

/// Unpins `size` bytes of `pool`.
///
/// # Safety
///
/// `pool` is a pool whose reference the caller holds.
#[export]
pub unsafe extern "C" fn drmcg_unpin(pool: *mut bindings::drmcg_pool, size: u64) {
    // SAFETY: The caller holds a reference.
    if let Some(pool) = unsafe { pool_from_c(pool) } {
        if charge::unpin(pool, size).is_err() {
            kernel::warn_on!(true);
        }
    }
}

/// Decides whether a buffer charged to `test_pool` may be evicted.
///
/// # Safety
///
/// Each pool argument is null or a pool whose reference the caller holds; `ret_hit_low` is
/// null or valid for writing.
#[export]
pub unsafe extern "C" fn drmcg_evict_valuable(
    limit_pool: *mut bindings::drmcg_pool,
    test_pool: *mut bindings::drmcg_pool,
    evictor_pool: *mut bindings::drmcg_pool,
    flags: c_uint,
    ret_hit_low: *mut bool,
) -> bool {
    // SAFETY: The caller holds references on the non-null pools.
    let (limit, test, evictor) = unsafe {
        (
            pool_from_c(limit_pool),
            pool_from_c(test_pool),
            pool_from_c(evictor_pool),
        )
    };
    let flags = evict_flags(flags);
    // Buffers that were never charged (no pool) belong to nobody: they are under no limit and
    // above no `high`, but may make room when the device is full.
    let Some(test) = test else {
        return limit.is_none() && !flags.contains(EvictFlags::ONLY_OVER_HIGH);
    };
    let verdict = evict::evict_valuable(limit, test, evictor, flags);
    if matches!(verdict, Verdict::NoButLow | Verdict::YesBelowLow) && !ret_hit_low.is_null() {
        // SAFETY: Non-null `ret_hit_low` is valid for writing.
        unsafe { *ret_hit_low = true };
    }
    verdict.may_evict()
}

/// Converts the `DRMCG_EVICT_*` flags of the C API; unknown bits are ignored.
fn evict_flags(bits: c_uint) -> EvictFlags {
    let mut flags = EvictFlags::NONE;
    for (bit, flag) in [
        (
            bindings::drmcg_evict_flags_DRMCG_EVICT_IGNORE_LOW,
            EvictFlags::IGNORE_LOW,
        ),
        (
            bindings::drmcg_evict_flags_DRMCG_EVICT_NO_EVICT_OTHERS,
            EvictFlags::NO_EVICT_OTHERS,
        ),
        (
            bindings::drmcg_evict_flags_DRMCG_EVICT_ONLY_OVER_HIGH,
            EvictFlags::ONLY_OVER_HIGH,
        ),
    ] {
        if bits & bit != 0 {
            flags = flags | flag;
        }
    }
    flags
}

/// Reports that `size` bytes charged to `pool` were evicted, before or after they are uncharged;
/// `hit_low` is what [`drmcg_evict_valuable`] said about the victim's `low` protection.
///
/// # Safety
///
/// `pool` is null or a pool whose reference the caller holds.
#[export]
pub unsafe extern "C" fn drmcg_report_eviction(
    pool: *mut bindings::drmcg_pool,
    size: u64,
    hit_low: bool,
) {
    // SAFETY: The caller holds a reference.
    if let Some(pool) = unsafe { pool_from_c(pool) } {
        crate::files::report_eviction(pool, size, hit_low);
    }
}

/// Whether `test` is within its effective min protection below `root` (null: the top).
///
/// # Safety
///
/// Each pool argument is null or a pool whose reference the caller holds.
#[export]
pub unsafe extern "C" fn drmcg_below_min(
    root: *mut bindings::drmcg_pool,
    test: *mut bindings::drmcg_pool,
) -> bool {
    // SAFETY: The caller holds references on the non-null pools.
    let (root, test) = unsafe { (pool_from_c(root), pool_from_c(test)) };
    test.is_some_and(|t| evict::below_min(root, t, EvictFlags::NONE))
}

/// Whether `test` is within its effective low protection below `root` (null: the top).
///
/// # Safety
///
/// Each pool argument is null or a pool whose reference the caller holds.
#[export]
pub unsafe extern "C" fn drmcg_below_low(
    root: *mut bindings::drmcg_pool,
    test: *mut bindings::drmcg_pool,
) -> bool {
    // SAFETY: The caller holds references on the non-null pools.
    let (root, test) = unsafe { (pool_from_c(root), pool_from_c(test)) };
    test.is_some_and(|t| evict::below_low(root, t, EvictFlags::NONE))
}

/// Returns the pool of the nearest common ancestor cgroup of `a` and `b` (same region), with
/// a reference, or null.
///
/// # Safety
///
/// Each pool argument is null or a pool whose reference the caller holds.
#[export]
pub unsafe extern "C" fn drmcg_get_common_ancestor(
    a: *mut bindings::drmcg_pool,
    b: *mut bindings::drmcg_pool,
) -> *mut bindings::drmcg_pool {
    // SAFETY: The caller holds references on the non-null pools.
    let (Some(a), Some(b)) = (unsafe { pool_from_c(a) }, unsafe { pool_from_c(b) }) else {
        return ptr::null_mut();
    };
    match evict::common_ancestor(a, b) {
        Some(p) => pool_get_to_c(p),
        None => ptr::null_mut(),
    }
}

#[cfg(CONFIG_CGROUP_DRM_KUNIT_TEST)]
#[kernel::macros::kunit_tests(drm_cgroup_capi)]
mod tests {
    use super::*;

    /// Registers a region through the C API.
    fn register(name: &CStr, size: u64) -> *mut bindings::drmcg_region {
        // SAFETY: Valid C strings, no ops.
        unsafe {
            drmcg_register_region(
                c"kunit:01.0".as_char_ptr(),
                name.as_char_ptr(),
                size,
                ptr::null(),
                ptr::null_mut(),
            )
        }
    }

    /// Charges the test thread's cgroup through the C API.
    fn charge(
        region: *mut bindings::drmcg_region,
        size: u64,
    ) -> (c_int, *mut bindings::drmcg_pool, *mut bindings::drmcg_pool) {
        let mut pool = ptr::null_mut();
        let mut limit = ptr::null_mut();
        // SAFETY: `region` is registered; the output pointers are valid.
        let ret = unsafe { drmcg_try_charge(region, size, &mut pool, &mut limit) };
        (ret, pool, limit)
    }

    fn usage(pool: *mut bindings::drmcg_pool) -> u64 {
        // SAFETY: The tests hold a reference on `pool`.
        unsafe { pool_from_c(pool) }.map_or(0, |p| p.counter().usage())
    }

    #[test]
    fn register_errors() {
        // SAFETY: Null names are allowed and rejected.
        let null = unsafe {
            drmcg_register_region(ptr::null(), ptr::null(), 1, ptr::null(), ptr::null_mut())
        };
        assert_eq!(kernel::error::from_err_ptr(null).err(), Some(EINVAL));
        let zero = register(c"vram0", 0);
        assert_eq!(kernel::error::from_err_ptr(zero).err(), Some(EINVAL));
        let bad = register(c"vr/am", 1);
        assert_eq!(kernel::error::from_err_ptr(bad).err(), Some(EINVAL));
        // SAFETY: Null is allowed.
        unsafe { drmcg_unregister_region(ptr::null_mut()) };
    }

    #[test]
    fn charge_uncharge_and_unregister_with_charges() {
        let region = register(c"vram0", 1 << 30);
        assert!(!region.is_null() && kernel::error::from_err_ptr(region).is_ok());

        let (ret, pool, limit) = charge(region, 1 << 20);
        assert_eq!(ret, 0);
        assert!(!pool.is_null());
        assert!(limit.is_null());
        assert_eq!(usage(pool), 1 << 20);
        let (ret, pool2, _) = charge(region, 4096);
        assert_eq!(ret, 0);
        // Same cgroup, same region: same pool.
        assert_eq!(pool, pool2);
        assert_eq!(usage(pool), (1 << 20) + 4096);

        // SAFETY: We hold the reference from the first charge.
        assert_eq!(unsafe { drmcg_pin(pool, 8192) }, 0);
        // SAFETY: As above; more than charged cannot be pinned.
        assert_eq!(unsafe { drmcg_pin(pool, 1 << 30) }, EINVAL.to_errno());

        // Unregister with charges outstanding: new charges fail, the pool stays usable.
        // SAFETY: `region` is registered and not used by the C API any more below.
        unsafe { drmcg_unregister_region(region) };
        assert_eq!(usage(pool), (1 << 20) + 4096);
        // Each uncharge ends one charge and takes its reference along: `pool2`'s, then `pool`'s,
        // while a reference of the test's own keeps the pool readable.
        // SAFETY: We hold the references of both charges.
        let watch = unsafe {
            drmcg_unpin(pool, 8192);
            drmcg_uncharge(pool2, 4096);
            drmcg_pool_get(pool)
        };
        assert_eq!(usage(watch), 1 << 20);
        // SAFETY: Gives back the first charge with its reference.
        unsafe { drmcg_uncharge(pool, 1 << 20) };
        assert_eq!(usage(watch), 0);
        // SAFETY: Gives back the test's own reference.
        unsafe { drmcg_pool_put(watch) };
    }

    #[test]
    fn uncharge_gives_back_the_reference() {
        let before = drmcg_live_pools();
        let region = register(c"vram5", 1 << 20);
        assert!(!region.is_null() && kernel::error::from_err_ptr(region).is_ok());
        // Charges ended as with dmem: one uncharge each, no put.
        for _ in 0..16 {
            let (ret, pool, _) = charge(region, 4096);
            assert_eq!(ret, 0);
            assert_eq!(usage(pool), 4096);
            // SAFETY: Gives back the charge with the reference that came with it.
            unsafe { drmcg_uncharge(pool, 4096) };
        }
        // SAFETY: `region` is registered and not used afterwards.
        unsafe { drmcg_unregister_region(region) };
        // The region's pool goes with the region unless a reference was kept.
        assert_eq!(drmcg_live_pools(), before);
    }

    #[test]
    fn force_charge_and_owner_pool() {
        let region = register(c"vram3", 1 << 20);
        let (ret, pool, _) = charge(region, 4096);
        assert_eq!(ret, 0);
        // The current task's pool, with a reference of its own.
        // SAFETY: `region` is registered; a null owner is the current task's cgroup.
        let same = unsafe { drmcg_get_owner_pool(region, ptr::null_mut()) };
        assert_eq!(same, pool);
        // SAFETY: `same` carries a reference we give back.
        unsafe { drmcg_pool_put(same) };

        // A max below usage (set on the counter: the test runs in the root cgroup) refuses
        // charges, not forced ones.
        // SAFETY: We hold a reference on `pool`.
        let counter = unsafe { pool_from_c(pool) }.map(|p| p.counter());
        assert_eq!(counter.map(|c| c.set_max(2048)), Some(4096));
        assert_eq!(charge(region, 4096).0, EAGAIN.to_errno());
        let mut forced = ptr::null_mut();
        // SAFETY: `region` is registered; the output pointer is valid.
        let ret = unsafe { drmcg_force_charge_owner(region, ptr::null_mut(), 8192, &mut forced) };
        assert_eq!(ret, 0);
        assert_eq!(forced, pool);
        assert_eq!(usage(pool), 3 * 4096);
        assert_eq!(counter.map(|c| c.events().max), Some(1));
        if let Some(c) = counter {
            c.set_max(charge::UNLIMITED);
        }

        // SAFETY: Each uncharge gives back one charge with its reference; then unregister.
        unsafe {
            drmcg_uncharge(pool, 4096);
            drmcg_uncharge(forced, 8192);
            drmcg_unregister_region(region);
        }
    }

    #[test]
    fn region_high_hint() {
        let region = register(c"vram4", 1 << 20);
        // SAFETY: `region` is registered.
        assert!(!unsafe { drmcg_region_has_high(region) });
        // SAFETY: As above; the borrow ends before the region is unregistered.
        unsafe { region_from_c(region) }.note_high();
        // SAFETY: As above.
        assert!(unsafe { drmcg_region_has_high(region) });
        // SAFETY: `region` is registered and not used afterwards.
        unsafe { drmcg_unregister_region(region) };
    }

    #[test]
    fn charge_after_unregister_is_enodev() {
        let region = register(c"vram1", 1 << 20);
        // SAFETY: `region` came from `drmcg_register_region`; keep it alive through an extra
        // reference while the driver's handle is given back.
        let keep = unsafe { <Arc<Region> as ForeignOwnable>::borrow(region.cast()) };
        let keep: Arc<Region> = keep.into();
        // SAFETY: The handle is registered.
        unsafe { drmcg_unregister_region(region) };
        let css = Css::<DrmCgroup>::current();
        assert!(matches!(
            pool::get_or_create(&css, keep.as_arc_borrow()),
            Err(e) if e == ENODEV
        ));
    }

    #[test]
    fn evict_valuable_without_protection() {
        let region = register(c"vram2", 1 << 20);
        let (ret, pool, _) = charge(region, 4096);
        assert_eq!(ret, 0);
        let mut hit_low = false;
        // SAFETY: We hold a reference on `pool`; `hit_low` is valid.
        let yes = unsafe { drmcg_evict_valuable(pool, pool, pool, 0, &mut hit_low) };
        assert!(yes);
        assert!(!hit_low);
        // Buffers without a pool make room when the device is full, not for a limit.
        // SAFETY: Null pools are allowed.
        assert!(unsafe {
            drmcg_evict_valuable(
                ptr::null_mut(),
                ptr::null_mut(),
                ptr::null_mut(),
                0,
                &mut hit_low,
            )
        });
        // ... but not in the first pass, which only takes from cgroups above `high`.
        // SAFETY: Null pools are allowed.
        assert!(!unsafe {
            drmcg_evict_valuable(
                ptr::null_mut(),
                ptr::null_mut(),
                ptr::null_mut(),
                bindings::drmcg_evict_flags_DRMCG_EVICT_ONLY_OVER_HIGH,
                &mut hit_low,
            )
        });
        // SAFETY: We hold a reference on `pool`; null is allowed for the candidate.
        assert!(!unsafe {
            drmcg_evict_valuable(pool, ptr::null_mut(), ptr::null_mut(), 0, &mut hit_low)
        });
        // SAFETY: We hold a reference on `pool`; the new one is given back at once.
        unsafe { drmcg_pool_put(drmcg_pool_get(pool)) };
        // The common ancestor of a pool and itself is the pool.
        // SAFETY: We hold a reference on `pool`.
        let anc = unsafe { drmcg_get_common_ancestor(pool, pool) };
        assert_eq!(anc, pool);
        // SAFETY: We hold the references.
        unsafe {
            drmcg_pool_put(anc);
            drmcg_report_eviction(pool, 4096, false);
        }
        // SAFETY: As above.
        let p = unsafe { pool_from_c(pool) };
        assert_eq!(p.map(|p| p.counter().evictions()), Some(1));
        assert_eq!(p.map(|p| p.counter().evicted_bytes()), Some(4096));
        let mut stat = bindings::drmcg_pool_stat {
            usage: 0,
            pinned: 1,
            evicted_bytes: 0,
            evictions: 0,
        };
        // SAFETY: We hold a reference on `pool`; `stat` is valid for writing.
        unsafe { drmcg_pool_read_stat(pool, &mut stat) };
        assert_eq!(
            (stat.usage, stat.pinned, stat.evicted_bytes, stat.evictions),
            (4096, 0, 4096, 1)
        );
        // SAFETY: Gives back the charge with its reference; then unregister.
        unsafe {
            drmcg_uncharge(pool, 4096);
            drmcg_unregister_region(region);
        }
    }
}
