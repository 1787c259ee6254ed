// SPDX-License-Identifier: GPL-2.0

//! The drm controller's plumbing between the cgroup core and its Rust state.
//!
//! The cgroup core allocates, frees and takes offline a controller's per-cgroup state (the
//! "css", `struct cgroup_subsys_state`) through callbacks, and serves the controller's interface
//! files through `seq_show`/`write`/`open`/`release` callbacks. This module owns every `unsafe`
//! step of that: the layout of the per-cgroup state around the embedded C `struct drmcg_css`,
//! reference counting, the per-open-file state and the mapping of [`Result`] to errno, so that
//! the controller ([`Controller`], implemented by `DrmCgroup`) stays in safe Rust.
//!
//! It is this controller's plumbing, not a general `kernel::cgroup` abstraction: the css is
//! `struct drmcg_css` (with the `drm.events` files to notify), the files are the `drm.*` table
//! of `drmcg_subsys.c` ([`File`]), and the subsystem is declared in C. A general abstraction
//! would generate the cftype table and the `struct cgroup_subsys` from the controller's Rust
//! type; with one Rust controller in the tree, that is left for when a second one comes.
//!
//! C header: [`include/linux/cgroup.h`](srctree/include/linux/cgroup.h).

use core::{
    marker::PhantomData,
    ptr::{
        self,
        NonNull, //
    },
};
use kernel::{
    bindings,
    error::from_result,
    prelude::*,
    seq_file::SeqFile,
    sync::aref::{
        ARef,
        AlwaysRefCounted, //
    },
    task::Task,
    types::{
        ForeignOwnable,
        Opaque, //
    },
};

/// The interface files of the controller, as numbered by the C table (`enum drmcg_file`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum File {
    /// `drm.capacity`.
    Capacity,
    /// `drm.current`.
    Current,
    /// `drm.min`.
    Min,
    /// `drm.low`.
    Low,
    /// `drm.high`.
    High,
    /// `drm.max`.
    Max,
    /// `drm.peak`.
    Peak,
    /// `drm.events`.
    Events,
    /// `drm.events.local`.
    EventsLocal,
    /// `drm.stat`.
    Stat,
    /// `drm.reclaim`.
    Reclaim,
}

impl File {
    /// Maps the `private` value of a cftype to the file it describes.
    fn from_private(private: u64) -> Option<Self> {
        let v = u32::try_from(private).ok()?;
        Some(match v {
            bindings::drmcg_file_DRMCG_FILE_CAPACITY => File::Capacity,
            bindings::drmcg_file_DRMCG_FILE_CURRENT => File::Current,
            bindings::drmcg_file_DRMCG_FILE_MIN => File::Min,
            bindings::drmcg_file_DRMCG_FILE_LOW => File::Low,
            bindings::drmcg_file_DRMCG_FILE_HIGH => File::High,
            bindings::drmcg_file_DRMCG_FILE_MAX => File::Max,
            bindings::drmcg_file_DRMCG_FILE_PEAK => File::Peak,
            bindings::drmcg_file_DRMCG_FILE_EVENTS => File::Events,
            bindings::drmcg_file_DRMCG_FILE_EVENTS_LOCAL => File::EventsLocal,
            bindings::drmcg_file_DRMCG_FILE_STAT => File::Stat,
            bindings::drmcg_file_DRMCG_FILE_RECLAIM => File::Reclaim,
            _ => return None,
        })
    }
}

/// A cgroup controller implemented in Rust.
///
/// `Self` is the per-cgroup state. The cgroup core owns it; the controller sees it through
/// [`Css`].
pub(crate) trait Controller: Sized + Send + Sync + 'static {
    /// State of one open interface file (e.g. the per-file peak of `drm.peak`), kept in the
    /// open file while it is open.
    type OpenFile: ForeignOwnable + Send + Sync;

    /// The subsystem id the cgroup core gave the controller (`<name>_cgrp_id`).
    const SUBSYS_ID: u32;

    /// Creates the state of a new cgroup; `parent` is `None` for the root cgroup.
    ///
    /// The root is created by `cgroup_init()` before any initcall runs.
    fn css_alloc(parent: Option<&Css<Self>>) -> impl PinInit<Self, Error>;

    /// Called when the cgroup is removed; references may outlive it.
    fn css_offline(css: &Css<Self>);

    /// Opens `file`; the returned state is passed to [`Self::show`] and [`Self::write`].
    fn open(css: &Css<Self>, file: File) -> Result<Option<Self::OpenFile>>;

    /// Called when an open `file` with state is closed; the state is dropped afterwards.
    fn release(css: &Css<Self>, file: File, state: Self::OpenFile);

    /// Prints the contents of `file`.
    fn show(css: &Css<Self>, file: File, open: Option<Borrowed<'_, Self>>, m: &SeqFile) -> Result;

    /// Handles a write of `input` to `file`. `nonblock` is set when the file was opened with
    /// `O_NONBLOCK`.
    fn write(
        css: &Css<Self>,
        file: File,
        open: Option<Borrowed<'_, Self>>,
        input: &[u8],
        nonblock: bool,
    ) -> Result;
}

/// A borrow of a controller's open-file state.
pub(crate) type Borrowed<'a, T> = <<T as Controller>::OpenFile as ForeignOwnable>::Borrowed<'a>;

/// The per-cgroup state of a controller, embedding the C `struct drmcg_css`.
///
/// # Invariants
///
/// - `raw` is the first field (offset 0), so a pointer to `raw.css` is a pointer to the
///   [`Css`]: the cgroup core only ever sees `&raw.css`.
/// - A [`Css`] is only reachable through a reference the caller holds (a callback argument,
///   an [`ARef`], or a parent of one of those), so it is alive while borrowed.
#[repr(C)]
#[pin_data]
pub(crate) struct Css<T: Controller> {
    #[pin]
    raw: Opaque<bindings::drmcg_css>,
    #[pin]
    data: T,
}

// SAFETY: The C part is only touched through the cgroup core's own locking, and `T` is `Send`.
unsafe impl<T: Controller> Send for Css<T> {}
// SAFETY: Shared access to the C part goes through the cgroup core's thread-safe functions and
// `T` is `Sync`.
unsafe impl<T: Controller> Sync for Css<T> {}

impl<T: Controller> core::ops::Deref for Css<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.data
    }
}

impl<T: Controller> Css<T> {
    /// Offset of the controller's state in a [`Css`], for containers of fields of `T`.
    pub(crate) const DATA_OFFSET: usize = core::mem::offset_of!(Self, data);

    /// Returns the raw `struct cgroup_subsys_state`.
    pub(crate) fn as_raw(&self) -> *mut bindings::cgroup_subsys_state {
        // SAFETY: `raw` is valid; taking the address of a field does not read it.
        unsafe { &raw mut (*self.raw.get()).css }
    }

    /// Converts a css pointer of this controller back to the [`Css`].
    ///
    /// # Safety
    ///
    /// `css` must point to the `css` of a live [`Css<T>`] that stays alive for `'a`.
    unsafe fn from_raw<'a>(css: *mut bindings::cgroup_subsys_state) -> &'a Self {
        // CAST: `css` is the first field of `drmcg_css`, itself at offset 0 of `Css<T>`.
        // SAFETY: By the function's safety requirements the object is live for `'a`.
        unsafe { &*css.cast::<Self>() }
    }

    /// Returns the parent cgroup's state, `None` for the root.
    pub(crate) fn parent(&self) -> Option<&Self> {
        // SAFETY: `self` is live, so reading its `parent` pointer is fine.
        let parent = unsafe { (*self.as_raw()).parent };
        if parent.is_null() {
            return None;
        }
        // SAFETY: The cgroup core keeps a reference on the parent css for as long as the child
        // exists, and the parent belongs to the same controller.
        Some(unsafe { Self::from_raw(parent) })
    }

    /// Returns the css of the current task, with a reference.
    pub(crate) fn current() -> ARef<Self> {
        let id = T::SUBSYS_ID as c_int;
        // SAFETY: `current_raw` is the live current task; `task_get_css` returns its css of this
        // subsystem with a reference taken (it never fails for an enabled controller).
        let css = unsafe { bindings::task_get_css(Task::current_raw(), id) };
        // SAFETY: `task_get_css` took a reference on `css`, which we hand over to the `ARef`.
        unsafe { ARef::from_raw(NonNull::new_unchecked(css.cast::<Self>())) }
    }

    /// Returns the css whose raw `struct cgroup_subsys_state` is `css`, with a new reference.
    ///
    /// # Safety
    ///
    /// `css` must be a live css of this controller.
    pub(crate) unsafe fn get_raw(css: *mut bindings::cgroup_subsys_state) -> ARef<Self> {
        // SAFETY: By the safety requirements, `css` is a live css of this controller.
        ARef::from(unsafe { Self::from_raw(css) })
    }

    /// Returns the raw css of a reference, handing the reference over to the caller.
    pub(crate) fn into_raw(this: ARef<Self>) -> *mut bindings::cgroup_subsys_state {
        ARef::into_raw(this).as_ptr().cast()
    }

    /// Takes back a reference given out by [`Self::into_raw`].
    ///
    /// # Safety
    ///
    /// `css` must come from [`Self::into_raw`] and its reference must not be used again.
    pub(crate) unsafe fn from_raw_ref(css: *mut bindings::cgroup_subsys_state) -> ARef<Self> {
        // SAFETY: By the safety requirements the pointer carries a reference we now own.
        unsafe { ARef::from_raw(NonNull::new_unchecked(css.cast::<Self>())) }
    }

    /// Borrows the css behind a raw pointer handed to C by [`Self::into_raw`].
    ///
    /// # Safety
    ///
    /// `css` must come from [`Self::into_raw`] and its reference must be held for `'a`.
    pub(crate) unsafe fn borrow_raw<'a>(css: *mut bindings::cgroup_subsys_state) -> &'a Self {
        // SAFETY: By the safety requirements the css is live for `'a`.
        unsafe { Self::from_raw(css) }
    }

    /// Wakes up pollers of `drm.events` (and of `drm.events.local` if `local`).
    pub(crate) fn notify_events(&self, local: bool) {
        // SAFETY: `raw` is a live `drmcg_css`, whose cgroup files the core set up; notifying a
        // file that has no kernfs node (not created yet, or removed) is a no-op.
        unsafe {
            bindings::cgroup_file_notify(&raw mut (*self.raw.get()).events_file);
            if local {
                bindings::cgroup_file_notify(&raw mut (*self.raw.get()).events_local_file);
            }
        }
    }
}

// SAFETY: `css_get`/`css_put` keep the css alive while the count is non-zero; the cgroup core
// frees it (through `css_free`) only after the last reference is gone.
unsafe impl<T: Controller> AlwaysRefCounted for Css<T> {
    fn inc_ref(&self) {
        // SAFETY: `self` is live, so its reference count is non-zero.
        unsafe { bindings::css_get(self.as_raw()) };
    }

    unsafe fn dec_ref(obj: NonNull<Self>) {
        // SAFETY: The caller gives up a reference it owns.
        unsafe { bindings::css_put(obj.as_ptr().cast()) };
    }
}

/// The C callbacks of a [`Controller`], to be called from `#[export]`ed functions.
pub(crate) struct Callbacks<T: Controller>(PhantomData<T>);

impl<T: Controller> Callbacks<T> {
    /// `css_alloc`.
    ///
    /// # Safety
    ///
    /// `parent` is null or a live css of this controller (the cgroup core's guarantee).
    pub(crate) unsafe fn css_alloc(
        parent: *mut bindings::cgroup_subsys_state,
    ) -> *mut bindings::cgroup_subsys_state {
        let parent = if parent.is_null() {
            None
        } else {
            // SAFETY: Non-null `parent` is a live css of this controller.
            Some(unsafe { Css::<T>::from_raw(parent) })
        };
        let init = try_pin_init!(Css::<T> {
            // The cgroup core expects a zeroed css, as from kzalloc().
            raw: Opaque::zeroed(),
            data <- T::css_alloc(parent),
        }? Error);
        match KBox::pin_init(init, GFP_KERNEL) {
            // The cgroup core keeps the css until it gives it back to `css_free`, which takes
            // the box back.
            // INVARIANT: `raw` is at offset 0, so the css pointer is the box's pointer.
            Ok(css) => css.into_foreign().cast(),
            Err(e) => e.to_ptr(),
        }
    }

    /// `css_offline`.
    ///
    /// # Safety
    ///
    /// `css` is a live css of this controller.
    pub(crate) unsafe fn css_offline(css: *mut bindings::cgroup_subsys_state) {
        // SAFETY: The cgroup core passes a live css of ours.
        T::css_offline(unsafe { Css::<T>::from_raw(css) });
    }

    /// `css_free`.
    ///
    /// # Safety
    ///
    /// `css` was returned by [`Self::css_alloc`] and has no users left.
    pub(crate) unsafe fn css_free(css: *mut bindings::cgroup_subsys_state) {
        // SAFETY: `css_alloc` gave the box away with `into_foreign` (the css pointer is the
        // box's pointer, `raw` being at offset 0), and nothing uses it any more.
        drop(unsafe { Pin::<KBox<Css<T>>>::from_foreign(css.cast()) });
    }

    /// Returns where the controller's state of an open file is kept.
    ///
    /// The cgroup core owns `of->priv` (its `struct cgroup_file_ctx`) and reserves a
    /// `struct cgroup_of_peak` in it for controllers' peak files; its `value` holds the state
    /// that [`ForeignOwnable::into_foreign`] gave us (0 when there is none).
    ///
    /// # Safety
    ///
    /// `of` is a live open file of one of this controller's interface files.
    unsafe fn state_slot(of: *mut bindings::kernfs_open_file) -> *mut *mut c_void {
        // SAFETY: `of` is a live cgroup file, whose context the core allocated at open.
        let peak = unsafe { bindings::of_peak(of) };
        // SAFETY: `peak` points into the live context; taking a field's address reads nothing.
        let value = unsafe { &raw mut (*peak).value };
        // CAST: `value` is an `unsigned long`, as wide as a pointer, and starts zeroed (the
        // core allocates the context with `kzalloc`).
        value.cast()
    }

    /// Returns the file of a `kernfs_open_file`.
    ///
    /// # Safety
    ///
    /// `of` is a live open file of one of this controller's interface files.
    unsafe fn file(of: *mut bindings::kernfs_open_file) -> File {
        // SAFETY: `of` is live and is one of our files, so it has a cftype.
        let cft = unsafe { bindings::of_cft(of) };
        // SAFETY: `cft` points to our static cftype table.
        let private = unsafe { (*cft).private };
        match File::from_private(private as u64) {
            Some(file) => file,
            None => {
                // Every entry of our table has a valid `private`: a mismatch between the C
                // table and `File` is a bug. `Current` is read-only and harmless.
                kernel::warn_on!(true);
                File::Current
            }
        }
    }

    /// Borrows the open-file state of a `kernfs_open_file`, if it has one.
    ///
    /// # Safety
    ///
    /// `of` is a live open file of one of this controller's interface files, and the borrow
    /// ends before `release` runs for it (the core calls `release` after the last show/write).
    unsafe fn state<'a>(of: *mut bindings::kernfs_open_file) -> Option<Borrowed<'a, T>> {
        // SAFETY: `of` is live, so is its per-file slot.
        let state = unsafe { *Self::state_slot(of) };
        if state.is_null() {
            return None;
        }
        // SAFETY: A non-null slot holds what `into_foreign` returned in `open`, which `release`
        // has not taken back yet.
        Some(unsafe { T::OpenFile::borrow(state) })
    }

    /// `seq_show`.
    ///
    /// # Safety
    ///
    /// `sf` is the live seq_file of one of this controller's files.
    pub(crate) unsafe fn seq_show(sf: *mut bindings::seq_file) -> c_int {
        // SAFETY: For cgroup files, `private` of the seq_file is the `kernfs_open_file`.
        let of = unsafe { (*sf).private }.cast::<bindings::kernfs_open_file>();
        // SAFETY: `sf` is the seq_file of one of our files; kernfs holds an active reference on
        // the file's node during the call, and removing the cgroup drains those before the
        // css can go away.
        let css = unsafe { Css::<T>::from_raw(bindings::seq_css(sf)) };
        // SAFETY: `of` is live for the duration of the call.
        let (file, open) = unsafe { (Self::file(of), Self::state(of)) };
        // SAFETY: `sf` is live and only this thread uses it during `seq_show`.
        let m = unsafe { SeqFile::from_raw(sf) };
        from_result(|| {
            T::show(css, file, open, m)?;
            Ok(0)
        })
    }

    /// `write`.
    ///
    /// # Safety
    ///
    /// `of` is a live open file of one of this controller's files and `buf` holds `nbytes`
    /// readable bytes.
    pub(crate) unsafe fn write(
        of: *mut bindings::kernfs_open_file,
        buf: *mut c_char,
        nbytes: usize,
    ) -> isize {
        // SAFETY: `of` is live; `of_css` returns its css. Kernfs holds an active reference on
        // the file's node during the write, and removing the cgroup drains active references
        // before the css can go away.
        let css = unsafe { Css::<T>::from_raw(bindings::of_css(of)) };
        // SAFETY: `of` is live for the duration of the call.
        let (file, open) = unsafe { (Self::file(of), Self::state(of)) };
        // SAFETY: The kernfs write path hands us `nbytes` valid bytes in `buf`.
        let input = unsafe { core::slice::from_raw_parts(buf.cast::<u8>(), nbytes) };
        // SAFETY: `of->file` is the open `struct file`, live during the write.
        let flags = unsafe { (*(*of).file).f_flags };
        let nonblock = flags & bindings::O_NONBLOCK != 0;
        from_result(|| {
            T::write(css, file, open, input, nonblock)?;
            Ok(isize::try_from(nbytes).unwrap_or(isize::MAX))
        })
    }

    /// `open`.
    ///
    /// # Safety
    ///
    /// `of` is a live open file of one of this controller's files, with no state attached yet.
    pub(crate) unsafe fn open(of: *mut bindings::kernfs_open_file) -> c_int {
        // SAFETY: `of` is live; `of_css` returns its css. Kernfs holds an active reference on
        // the file's node during `open`, which keeps the cgroup and its css alive.
        let css = unsafe { Css::<T>::from_raw(bindings::of_css(of)) };
        // SAFETY: `of` is live.
        let file = unsafe { Self::file(of) };
        from_result(|| {
            if let Some(state) = T::open(css, file)? {
                // SAFETY: `of` is live; `release` takes the state back.
                unsafe { *Self::state_slot(of) = state.into_foreign() };
            }
            Ok(0)
        })
    }

    /// `release`.
    ///
    /// # Safety
    ///
    /// `of` is an open file of one of this controller's files that is being closed.
    pub(crate) unsafe fn release(of: *mut bindings::kernfs_open_file) {
        // SAFETY: `of` is live until this callback returns; `of_css` returns its css. Kernfs
        // calls `release` when the file is closed or, at the latest, when the cgroup's files
        // are removed (it drains open files then), and the core removes them before the css
        // can go away.
        let css = unsafe { Css::<T>::from_raw(bindings::of_css(of)) };
        // SAFETY: `of` is live until this callback returns.
        let file = unsafe { Self::file(of) };
        // SAFETY: `of` is live until this callback returns.
        let slot = unsafe { Self::state_slot(of) };
        // SAFETY: The slot holds null or what `into_foreign` returned in `open`; no show or
        // write runs any more, so no borrow of it is left.
        let state = unsafe { T::OpenFile::try_from_foreign(*slot) };
        // SAFETY: `of` is live.
        unsafe { *slot = ptr::null_mut() };
        if let Some(state) = state {
            T::release(css, file, state);
        }
    }
}
