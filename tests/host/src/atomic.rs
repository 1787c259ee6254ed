// SPDX-License-Identifier: GPL-2.0

//! Host stand-in for `kernel::sync::atomic`, with the same API surface and restrictions.
//!
//! The accounting core reaches atomics only through `crate::atomic`. In the kernel crate that
//! module re-exports `kernel::sync::atomic::{Atomic, Relaxed, Acquire, Release, Full}`; here it is
//! this file. It offers exactly the subset of the kernel API that exists in Linux 7.3
//! (`rust/kernel/sync/atomic.rs`): `Atomic::new` (a `const fn`), `load` with [`Relaxed`] or
//! [`Acquire`] only, `store` with [`Relaxed`] or [`Release`] only, `xchg`, `cmpxchg` returning
//! `Result<T, T>`, and, for integers, `fetch_add`, `fetch_sub` and `add` (the latter [`Relaxed`]
//! only), all wrapping like the kernel's. So code that compiles against this module compiles
//! against the kernel's.
//!
//! The orderings follow the LKMM definitions, mapped onto the C++ model that `core` uses:
//!
//! - [`Relaxed`], [`Acquire`] and [`Release`] map to their `core` namesakes.
//! - [`Full`] means "as if surrounded by `smp_mb()`": the operation is `SeqCst` and is preceded
//!   and followed by a `SeqCst` fence, so even relaxed accesses before and after it are ordered
//!   against it (a bare `SeqCst` read-modify-write does not order a later relaxed load in the C++
//!   model, while the kernel's fully ordered operations do).
//! - A failed `cmpxchg` provides no ordering, as in the kernel (its failure ordering is relaxed).

// Only for yielding the CPU in delay injection; the rest is `core`, as in the kernel.
extern crate std;

use core::sync::atomic::{
    fence,
    AtomicBool,
    AtomicI64,
    AtomicU32,
    AtomicU64,
    Ordering as CoreOrdering, //
};

/// The annotation type for relaxed memory ordering.
pub struct Relaxed;

/// The annotation type for acquire memory ordering.
pub struct Acquire;

/// The annotation type for release memory ordering.
pub struct Release;

/// The annotation type for fully-ordered memory ordering.
pub struct Full;

/// Keeps the ordering and type traits sealed, as in the kernel.
mod internal {
    /// Sealed trait, can be only implemented inside this module's parent.
    pub trait Sealed {}

    impl Sealed for super::Relaxed {}
    impl Sealed for super::Acquire {}
    impl Sealed for super::Release {}
    impl Sealed for super::Full {}
    impl Sealed for bool {}
    impl Sealed for u32 {}
    impl Sealed for u64 {}
    impl Sealed for i64 {}
}

/// The trait bound for annotating operations that support any ordering.
pub trait Ordering: internal::Sealed {
    /// Ordering of the operation itself.
    const CORE: CoreOrdering;
    /// Whether the operation is surrounded by full fences.
    const FENCED: bool;
}

impl Ordering for Relaxed {
    const CORE: CoreOrdering = CoreOrdering::Relaxed;
    const FENCED: bool = false;
}

impl Ordering for Acquire {
    const CORE: CoreOrdering = CoreOrdering::Acquire;
    const FENCED: bool = false;
}

impl Ordering for Release {
    const CORE: CoreOrdering = CoreOrdering::Release;
    const FENCED: bool = false;
}

impl Ordering for Full {
    const CORE: CoreOrdering = CoreOrdering::SeqCst;
    const FENCED: bool = true;
}

/// The trait bound for operations that only support acquire or relaxed ordering.
pub trait AcquireOrRelaxed: Ordering {}

impl AcquireOrRelaxed for Acquire {}
impl AcquireOrRelaxed for Relaxed {}

/// The trait bound for operations that only support release or relaxed ordering.
pub trait ReleaseOrRelaxed: Ordering {}

impl ReleaseOrRelaxed for Release {}
impl ReleaseOrRelaxed for Relaxed {}

/// Types that [`Atomic`] supports: the subset of the kernel's `AtomicType` that the core may use.
pub trait AtomicType: internal::Sealed + Copy {
    /// The `core` atomic holding a `Self`; it has the same size as `Self`.
    type Repr: Repr<Self>;
}

/// Operations of a `core` atomic holding a `T`.
pub trait Repr<T>: internal::Sealed {
    /// Loads the value.
    fn load(&self, o: CoreOrdering) -> T;
    /// Stores a value.
    fn store(&self, v: T, o: CoreOrdering);
    /// Swaps the value.
    fn swap(&self, v: T, o: CoreOrdering) -> T;
    /// Compares and exchanges the value, with a relaxed failure ordering.
    fn cmpxchg(&self, old: T, new: T, o: CoreOrdering) -> Result<T, T>;
    /// Returns a mutable reference to the value.
    fn get_mut(&mut self) -> &mut T;
}

/// Arithmetic operations of a `core` atomic holding an integer `T`, wrapping like the kernel's.
pub trait ArithRepr<T>: Repr<T> {
    /// Adds to the value and returns the old one.
    fn fetch_add(&self, v: T, o: CoreOrdering) -> T;
    /// Subtracts from the value and returns the old one.
    fn fetch_sub(&self, v: T, o: CoreOrdering) -> T;
}

/// Implements [`AtomicType`] and [`Repr`] for a type and its `core` atomic.
macro_rules! impl_repr {
    ($t:ty, $repr:ident) => {
        impl internal::Sealed for $repr {}

        impl AtomicType for $t {
            type Repr = $repr;
        }

        // `Atomic::new` reinterprets a `$t` as a `$repr`.
        const _: () = assert!(core::mem::size_of::<$t>() == core::mem::size_of::<$repr>());

        impl Repr<$t> for $repr {
            fn load(&self, o: CoreOrdering) -> $t {
                $repr::load(self, o)
            }

            fn store(&self, v: $t, o: CoreOrdering) {
                $repr::store(self, v, o)
            }

            fn swap(&self, v: $t, o: CoreOrdering) -> $t {
                $repr::swap(self, v, o)
            }

            fn cmpxchg(&self, old: $t, new: $t, o: CoreOrdering) -> Result<$t, $t> {
                self.compare_exchange(old, new, o, CoreOrdering::Relaxed)
            }

            fn get_mut(&mut self) -> &mut $t {
                $repr::get_mut(self)
            }
        }
    };
}

/// Implements [`ArithRepr`] for an integer type's `core` atomic.
macro_rules! impl_arith_repr {
    ($t:ty, $repr:ident) => {
        impl ArithRepr<$t> for $repr {
            fn fetch_add(&self, v: $t, o: CoreOrdering) -> $t {
                $repr::fetch_add(self, v, o)
            }

            fn fetch_sub(&self, v: $t, o: CoreOrdering) -> $t {
                $repr::fetch_sub(self, v, o)
            }
        }
    };
}

impl_repr!(bool, AtomicBool);
impl_repr!(u32, AtomicU32);
impl_repr!(u64, AtomicU64);
impl_repr!(i64, AtomicI64);
impl_arith_repr!(u32, AtomicU32);
impl_arith_repr!(u64, AtomicU64);
impl_arith_repr!(i64, AtomicI64);

/// A memory location which can be safely modified from multiple execution contexts.
#[repr(transparent)]
pub struct Atomic<T: AtomicType>(T::Repr);

/// One fully ordered operation in this many is delayed (0: none, see [`inject_delays`]).
static DELAY_ONE_IN: AtomicU64 = AtomicU64::new(0);

/// State of the pseudo-random delay generator.
static DELAY_SEED: AtomicU64 = AtomicU64::new(0);

/// Delays one fully ordered operation in `one_in` (never if 0, the default).
///
/// Not part of the kernel API. A delayed operation first spins for a pseudo-random time of up to
/// about a microsecond, widening the windows between a thread's reads and its updates, so that
/// stress tests hit the races that the ordering argument of the core has to handle (in the
/// spirit of KCSAN's delay injection).
pub fn inject_delays(one_in: u64) {
    DELAY_ONE_IN.store(one_in, CoreOrdering::Relaxed);
}

/// Whether delay injection also covers the operations that are not fully ordered.
static DELAY_EVERY_OP: AtomicBool = AtomicBool::new(false);

/// Delays one operation in `one_in`, of any ordering, loads and stores included (0: none).
///
/// Not part of the kernel API. Like [`inject_delays`], but also before relaxed, acquire and
/// release operations, which widens the windows between the plain reads of one decision and
/// between the two updates of one publication; one in eight of those delays yields the CPU
/// instead of spinning, so that the other threads run in the window even when there are fewer
/// CPUs than threads. Only debug builds (the tests) check this setting on those operations, so
/// that release builds (the benchmarks) measure them as they are.
pub fn inject_delays_everywhere(one_in: u64) {
    DELAY_EVERY_OP.store(one_in != 0, CoreOrdering::Relaxed);
    DELAY_ONE_IN.store(one_in, CoreOrdering::Relaxed);
}

/// Delays an operation that is not fully ordered, if [`inject_delays_everywhere`] asked for it.
#[inline(always)]
fn maybe_delay_any() {
    if cfg!(debug_assertions) && DELAY_EVERY_OP.load(CoreOrdering::Relaxed) {
        if let Some(x) = delay_selected() {
            if x & 0x700 == 0 {
                std::thread::yield_now();
            } else {
                spin(x);
            }
        }
    }
}

/// Returns a pseudo-random number if delay injection selects this operation.
#[inline(always)]
fn delay_selected() -> Option<u64> {
    let one_in = DELAY_ONE_IN.load(CoreOrdering::Relaxed);
    if one_in == 0 {
        return None;
    }
    let x = DELAY_SEED
        .fetch_add(0x9e37_79b9_7f4a_7c15, CoreOrdering::Relaxed)
        .wrapping_mul(0xbf58_476d_1ce4_e5b9);
    ((x >> 32) % one_in == 0).then_some(x)
}

/// Spins for a pseudo-random time of up to about a microsecond, derived from `x`.
#[inline(always)]
fn spin(x: u64) {
    for _ in 0..(x >> 56) {
        core::hint::spin_loop();
    }
}

/// Spins for a pseudo-random time if delay injection selects this operation.
#[inline(always)]
fn maybe_delay() {
    if let Some(x) = delay_selected() {
        spin(x);
    }
}

/// Runs `op` with the fences that ordering `O` requires around it.
#[inline(always)]
fn ordered<O: Ordering, R>(op: impl FnOnce(CoreOrdering) -> R) -> R {
    if O::FENCED {
        maybe_delay();
        fence(CoreOrdering::SeqCst);
    } else {
        maybe_delay_any();
    }
    let ret = op(O::CORE);
    if O::FENCED {
        fence(CoreOrdering::SeqCst);
    }
    ret
}

impl<T: AtomicType> Atomic<T> {
    /// Creates a new atomic `T`.
    pub const fn new(v: T) -> Self {
        // SAFETY: `T::Repr` is the `core` atomic of `T`, which has the same in-memory
        // representation as `T` (and the same size, checked in `impl_repr!`); `transmute_copy`
        // reads without alignment assumptions. This is how the kernel's `Atomic::new` converts
        // too.
        Self(unsafe { core::mem::transmute_copy::<T, T::Repr>(&v) })
    }

    /// Returns a mutable reference to the underlying value.
    pub fn get_mut(&mut self) -> &mut T {
        self.0.get_mut()
    }

    /// Loads the value; only [`Relaxed`] and [`Acquire`] are accepted.
    #[inline(always)]
    pub fn load<O: AcquireOrRelaxed>(&self, _: O) -> T {
        maybe_delay_any();
        self.0.load(O::CORE)
    }

    /// Stores a value; only [`Relaxed`] and [`Release`] are accepted.
    #[inline(always)]
    pub fn store<O: ReleaseOrRelaxed>(&self, v: T, _: O) {
        maybe_delay_any();
        self.0.store(v, O::CORE)
    }

    /// Atomically replaces the value and returns the old one.
    #[inline(always)]
    pub fn xchg<O: Ordering>(&self, v: T, _: O) -> T {
        ordered::<O, _>(|o| self.0.swap(v, o))
    }

    /// Replaces the value with `new` if it equals `old`.
    ///
    /// Returns `Ok(old)` on success and `Err(current)` on failure, like the kernel's.
    #[inline(always)]
    pub fn cmpxchg<O: Ordering>(&self, old: T, new: T, _: O) -> Result<T, T> {
        ordered::<O, _>(|o| self.0.cmpxchg(old, new, o))
    }
}

impl<T: AtomicType> Atomic<T>
where
    T::Repr: ArithRepr<T>,
{
    /// Atomically adds `v` (wrapping); only [`Relaxed`] is accepted.
    #[inline(always)]
    pub fn add(&self, v: T, _: Relaxed) {
        maybe_delay_any();
        self.0.fetch_add(v, CoreOrdering::Relaxed);
    }

    /// Atomically adds `v` (wrapping) and returns the old value.
    #[inline(always)]
    pub fn fetch_add<O: Ordering>(&self, v: T, _: O) -> T {
        ordered::<O, _>(|o| self.0.fetch_add(v, o))
    }

    /// Atomically subtracts `v` (wrapping) and returns the old value.
    #[inline(always)]
    pub fn fetch_sub<O: Ordering>(&self, v: T, _: O) -> T {
        ordered::<O, _>(|o| self.0.fetch_sub(v, o))
    }
}

/// Reads `a` with relaxed ordering, as the kernel build's `read_once()` (a `READ_ONCE()`-style
/// volatile read of the atomic) does.
///
/// Not part of `kernel::sync::atomic`: the kernel crate defines it next to its re-exports of the
/// kernel's atomics.
#[inline(always)]
pub fn read_once<T: AtomicType>(a: &Atomic<T>) -> T {
    a.load(Relaxed)
}

/// Compares and exchanges `a` as `a.cmpxchg(old, new, o)` does; the kernel build's form is the
/// inline locked instruction on x86-64 (`atomic.rs`), with the same semantics.
///
/// Not part of `kernel::sync::atomic`, like [`read_once`].
#[inline(always)]
pub fn cmpxchg<O: Ordering>(a: &Atomic<u64>, old: u64, new: u64, o: O) -> Result<u64, u64> {
    a.cmpxchg(old, new, o)
}

/// Adds `v` to `a` (wrapping) and returns the old value, as `a.fetch_add(v, o)` does; see
/// [`cmpxchg`].
#[inline(always)]
pub fn fetch_add<O: Ordering>(a: &Atomic<u64>, v: u64, o: O) -> u64 {
    a.fetch_add(v, o)
}

/// Subtracts `v` from `a` (wrapping) and returns the old value, as `a.fetch_sub(v, o)` does;
/// see [`cmpxchg`].
#[inline(always)]
pub fn fetch_sub<O: Ordering>(a: &Atomic<u64>, v: u64, o: O) -> u64 {
    a.fetch_sub(v, o)
}
