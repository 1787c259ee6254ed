// SPDX-License-Identifier: GPL-2.0

//! Atomics for the accounting core.
//!
//! The pure files (`charge.rs`, `evict.rs`) reach atomics only through this module, which the
//! host tests replace with a `core::sync::atomic` shim of the same interface
//! (`tests/host/src/atomic.rs`). It re-exports the kernel's LKMM atomics and adds inline forms of
//! the operations that the charge path makes at every level of the hierarchy:
//!
//! - [`read_once`], a relaxed load;
//! - `cmpxchg()`, `fetch_add()` and [`fetch_sub`] on `u64` counters.
//!
//! Their semantics are those of the `Atomic` methods of the same names, or stronger: on x86-64
//! every one of them is fully ordered, a failed compare-and-exchange included, as the C
//! kernel's are there. The reason for them is cost: every `kernel::sync::atomic` operation is a
//! call to a C helper (`rust/helpers/atomic.c`) unless the kernel is built with
//! `CONFIG_RUST_INLINE_HELPERS`, which needs clang on rustc's own LLVM and which GCC-built
//! distribution kernels do not have. A charge and its uncharge at depth `d` made `2d` such calls
//! for the counters alone, where the C `page_counter` has the locked instruction inline.
//!
//! On x86-64 the read-modify-write operations are the locked instructions that the C kernel's
//! `arch_try_cmpxchg()` and `arch_atomic64_fetch_add()` emit (`arch/x86/include/asm/cmpxchg.h`,
//! `atomic64_64.h`), written inline. A locked instruction is a full memory barrier on x86, so it
//! implements every ordering, as the C kernel's `_relaxed`, `_acquire` and `_release` variants
//! are the same instructions there; the `asm!` blocks may read and write any memory, so they are
//! compiler barriers too, like the C versions' `"memory"` clobber. Kernels with KASAN, KCSAN or
//! KMSAN use the kernel's atomics instead, whose C side tells the sanitizer about each access,
//! and so does every other architecture.

use kernel::sync::atomic::{
    ordering::Ordering,
    AtomicType, //
};
pub(crate) use kernel::sync::atomic::{
    Acquire,
    Atomic,
    Full,
    Relaxed,
    Release, //
};

/// Reads `a` as `READ_ONCE()` does: a relaxed load, open-coded as a volatile read.
///
/// Same semantics as `a.load(Relaxed)` (`atomic_read()` and `atomic64_read()` are `READ_ONCE()`
/// on every architecture that runs Rust), but compiled inline even when the kernel's Rust
/// helpers are out-of-line C functions, as `rust/kernel/fs/file.rs` does for `f_flags`.
#[inline(always)]
pub(crate) fn read_once<T: AtomicType>(a: &Atomic<T>) -> T {
    // SAFETY: `as_ptr` is valid and aligned for a `T` while `a` is borrowed, and the value is
    // always a valid `T` (type invariant of `Atomic`). A volatile read of an aligned machine word
    // is a single untorn access, as `READ_ONCE()` is for the LKMM.
    unsafe { a.as_ptr().read_volatile() }
}

pub(crate) use imp::{
    cmpxchg,
    fetch_add, //
};

/// The inline forms, for x86-64 kernels without a sanitizer that instruments atomics.
#[cfg(all(
    target_arch = "x86_64",
    not(CONFIG_KASAN),
    not(CONFIG_KCSAN),
    not(CONFIG_KMSAN)
))]
mod imp {
    use super::{
        Atomic,
        Ordering, //
    };

    /// Replaces the value of `a` with `new` if it is `old`, as `a.cmpxchg(old, new, o)` does.
    ///
    /// Returns `Ok(old)` if it did and `Err(current)`, with `a` unchanged, if not.
    #[inline(always)]
    pub(crate) fn cmpxchg<O: Ordering>(
        a: &Atomic<u64>,
        old: u64,
        new: u64,
        _: O,
    ) -> Result<u64, u64> {
        let prev: u64;
        // `lock cmpxchg` compares `rax` with the memory operand and stores `new` if equal; either
        // way `rax` holds the previous value. It is fully ordered (module documentation), as
        // `arch_cmpxchg()` is. The block uses no stack (`nostack`) and changes only `rax`, the
        // flags (clobbered: no `preserves_flags`) and memory (no `nomem` or `readonly`).
        //
        // SAFETY: `as_ptr` is valid and aligned for a `u64` while `a` is borrowed, and any bit
        // pattern is a valid `u64`. Every other access to `a` is atomic (the `Atomic` API or
        // these functions) and a locked instruction is atomic against all of them: no data race.
        unsafe {
            kernel::asm!(
                "lock cmpxchgq {new}, ({p})";
                p = in(reg) a.as_ptr(),
                new = in(reg) new,
                inout("rax") old => prev,
                options(nostack),
            );
        }
        if prev == old {
            Ok(prev)
        } else {
            Err(prev)
        }
    }

    /// Adds `v` to `a`, wrapping, and returns the previous value, as `a.fetch_add(v, o)` does.
    #[inline(always)]
    pub(crate) fn fetch_add<O: Ordering>(a: &Atomic<u64>, v: u64, _: O) -> u64 {
        let mut prev = v;
        // `lock xadd` adds the register to the memory operand and leaves the previous value in
        // the register, fully ordered, as `arch_atomic64_fetch_add()` does.
        //
        // SAFETY: As in `cmpxchg`: `a` is valid and aligned, only accessed atomically.
        unsafe {
            kernel::asm!(
                "lock xaddq {v}, ({p})";
                p = in(reg) a.as_ptr(),
                v = inout(reg) prev,
                options(nostack),
            );
        }
        prev
    }
}

/// The kernel's atomics, where the inline forms do not apply.
#[cfg(not(all(
    target_arch = "x86_64",
    not(CONFIG_KASAN),
    not(CONFIG_KCSAN),
    not(CONFIG_KMSAN)
)))]
mod imp {
    use super::{
        Atomic,
        Ordering, //
    };

    /// As `a.cmpxchg(old, new, o)`.
    #[inline(always)]
    pub(crate) fn cmpxchg<O: Ordering>(
        a: &Atomic<u64>,
        old: u64,
        new: u64,
        o: O,
    ) -> Result<u64, u64> {
        a.cmpxchg(old, new, o)
    }

    /// As `a.fetch_add(v, o)`.
    #[inline(always)]
    pub(crate) fn fetch_add<O: Ordering>(a: &Atomic<u64>, v: u64, o: O) -> u64 {
        a.fetch_add(v, o)
    }
}

/// Subtracts `v` from `a`, wrapping, and returns the previous value, as `a.fetch_sub(v, o)` does.
#[inline(always)]
pub(crate) fn fetch_sub<O: Ordering>(a: &Atomic<u64>, v: u64, o: O) -> u64 {
    // Adding the two's complement is subtracting, as `arch_atomic64_fetch_sub()` does.
    fetch_add(a, v.wrapping_neg(), o)
}

#[cfg(CONFIG_CGROUP_DRM_KUNIT_TEST)]
#[kernel::macros::kunit_tests(drm_cgroup_atomic)]
mod tests {
    use super::*;

    /// Values around the edges where wrapping and comparison mistakes show.
    const VALUES: [u64; 7] = [0, 1, 4096, 1 << 32, (1 << 63) - 1, 1 << 63, u64::MAX];

    #[test]
    fn cmpxchg_matches_the_kernel() {
        for &init in &VALUES {
            for &old in &VALUES {
                for &new in &VALUES {
                    let ours = Atomic::new(init);
                    let theirs = Atomic::new(init);
                    assert_eq!(
                        cmpxchg(&ours, old, new, Full),
                        theirs.cmpxchg(old, new, Full)
                    );
                    assert_eq!(ours.load(Relaxed), theirs.load(Relaxed));
                    assert_eq!(
                        cmpxchg(&ours, old, new, Relaxed),
                        theirs.cmpxchg(old, new, Relaxed)
                    );
                    assert_eq!(ours.load(Relaxed), theirs.load(Relaxed));
                }
            }
        }
    }

    #[test]
    fn cmpxchg_reports_success_and_failure() {
        let a = Atomic::new(5u64);
        assert_eq!(cmpxchg(&a, 5, 7, Full), Ok(5));
        assert_eq!(a.load(Relaxed), 7);
        assert_eq!(cmpxchg(&a, 5, 9, Full), Err(7));
        assert_eq!(a.load(Relaxed), 7);
    }

    #[test]
    fn fetch_add_and_sub_match_the_kernel() {
        for &init in &VALUES {
            for &v in &VALUES {
                let ours = Atomic::new(init);
                let theirs = Atomic::new(init);
                assert_eq!(fetch_add(&ours, v, Full), theirs.fetch_add(v, Full));
                assert_eq!(ours.load(Relaxed), theirs.load(Relaxed));
                assert_eq!(fetch_sub(&ours, v, Relaxed), theirs.fetch_sub(v, Relaxed));
                assert_eq!(ours.load(Relaxed), theirs.load(Relaxed));
                assert_eq!(fetch_sub(&ours, v, Full), theirs.fetch_sub(v, Full));
                assert_eq!(ours.load(Relaxed), init.wrapping_sub(v));
                assert_eq!(theirs.load(Relaxed), init.wrapping_sub(v));
            }
        }
    }

    #[test]
    fn read_once_reads_the_value() {
        for &v in &VALUES {
            assert_eq!(read_once(&Atomic::new(v)), v);
        }
    }
}
