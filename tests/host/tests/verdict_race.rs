// SPDX-License-Identifier: GPL-2.0

//! Eviction verdicts checked while charges run, not only once the counters settle.
//!
//! Every state that the charging threads can reach keeps the victims within their `min`, so
//! every single decision taken meanwhile must refuse them: a decision that reads a victim's
//! usage twice, or a parent's protected-usage sum that counts more than the children claim
//! (or wraps below zero) for an instant, shows up as a verdict that allows the eviction.
//!
//! In its own test binary because delay injection is a process-wide setting; delays before
//! every operation (debug builds) widen the windows between one decision's reads and between
//! the two updates of one publication.

use std::sync::atomic::{
    AtomicBool,
    AtomicU64,
    Ordering, //
};
use std::thread;

#[path = "common/set_on_drop.rs"]
mod set_on_drop;
#[path = "../../../test_rng.rs"]
mod test_rng;

use set_on_drop::SetOnDrop;
use test_rng::Rng;

use drm_cgroup_host::{
    atomic::inject_delays_everywhere,
    below_min,
    evict_valuable,
    Flags,
    Pool,
    Verdict, //
};

/// One page.
const PAGE: u64 = 4096;

/// Charge and uncharge rounds per charging thread.
const ROUNDS: usize = 40_000;

/// Delay one operation in this many.
const DELAY_ONE_IN: u64 = 8;

/// Counts the instants at which a check failed, by kind.
#[derive(Default)]
struct Failures {
    /// Decisions taken.
    decisions: AtomicU64,
    /// Verdicts that allowed evicting a victim within its `min`.
    evictable: AtomicU64,
    /// `below_min` answers that put a victim above its `min`.
    above_min: AtomicU64,
    /// Reads of a parent's sum above what its children can claim.
    overstated: AtomicU64,
}

impl Failures {
    /// Counts one failure of `kind` if `failed`.
    fn count(kind: &AtomicU64, failed: bool) {
        if failed {
            kind.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Asserts that decisions were taken and that none of them failed.
    fn assert_none(&self) {
        let load = |a: &AtomicU64| a.load(Ordering::Relaxed);
        assert!(load(&self.decisions) > 0);
        assert_eq!(
            (
                load(&self.evictable),
                load(&self.above_min),
                load(&self.overstated)
            ),
            (0, 0, 0),
            "evictable verdicts, below_min refusals, overstated sums in {} decisions",
            load(&self.decisions)
        );
    }
}

/// A victim charging and uncharging within its own `min` is never evictable meanwhile.
///
/// `a` protects far more than it uses, so the victim `x` always keeps its claim, which is all
/// of its usage. A decision that computes the protection from one read of `x`'s usage and
/// compares another read with it allows the eviction whenever a charge lands in between.
#[test]
fn victim_charging_within_min() {
    inject_delays_everywhere(DELAY_ONE_IN);
    let root = Pool::new_root();
    let a = Pool::new_child(&root);
    let x = Pool::new_child(&a);
    let b = Pool::new_child(&root);
    a.set_min(1 << 40);
    x.set_min(64 * PAGE);
    b.try_charge(PAGE).unwrap();
    let done = AtomicBool::new(false);
    let failures = Failures::default();
    thread::scope(|s| {
        s.spawn(|| {
            let _done = SetOnDrop(&done);
            let mut rng = Rng(0x1234_5678_9abc_def1);
            let mut held = 0;
            for _ in 0..ROUNDS {
                let step = (1 + rng.below(8)) * PAGE;
                if held + step <= 64 * PAGE && (held == 0 || rng.below(2) == 0) {
                    x.try_charge(step).unwrap();
                    held += step;
                } else {
                    let back = held.min(step);
                    x.uncharge(back).unwrap();
                    held -= back;
                }
            }
            x.uncharge(held).unwrap();
        });
        while !done.load(Ordering::Acquire) {
            let verdict = evict_valuable(None, &x, Some(&b), Flags::default());
            Failures::count(&failures.evictable, verdict != Verdict::No);
            let within = below_min(None, &x, Flags::default());
            Failures::count(&failures.above_min, !within);
            failures.decisions.fetch_add(1, Ordering::Relaxed);
        }
    });
    failures.assert_none();
    assert_eq!(root.usage(), PAGE);
}

/// Siblings' claims that two threads keep raising and lowering never take away a victim's
/// `min`, and never read as more than the children can claim.
///
/// `a` protects exactly what its protected children can claim together (`x`'s 50 pages, fully
/// used and never changed, and `y`'s up to 50); `a2` protects twice what its only protected
/// child `w` can claim. Both also hold unprotected usage, far above their protection. Each of
/// two threads charges and uncharges 25 pages in `y` and in `w`, so one child's published claim
/// is raised and lowered by two publishers at once. A parent's sum that counts a fall after the
/// rise that follows it reads above the claims for an instant, making `a`'s children look
/// overcommitted and `x` evictable; a fall taken out before the rise it follows is added wraps
/// `a2`'s sum below zero, which read as a huge value makes `w` evictable.
#[test]
fn sibling_claims_raised_and_lowered_concurrently() {
    inject_delays_everywhere(DELAY_ONE_IN);
    let root = Pool::new_root();
    let a = Pool::new_child(&root);
    let x = Pool::new_child(&a);
    let y = Pool::new_child(&a);
    let z = Pool::new_child(&a);
    let a2 = Pool::new_child(&root);
    let w = Pool::new_child(&a2);
    let z2 = Pool::new_child(&a2);
    let b = Pool::new_child(&root);
    a.set_min(100 * PAGE);
    a2.set_min(100 * PAGE);
    for pool in [&x, &y, &w] {
        pool.set_min(50 * PAGE);
        pool.set_low(50 * PAGE);
    }
    x.try_charge(50 * PAGE).unwrap();
    z.try_charge(200 * PAGE).unwrap();
    z2.try_charge(200 * PAGE).unwrap();
    b.try_charge(PAGE).unwrap();
    let running = AtomicU64::new(2);
    let done = AtomicBool::new(false);
    let failures = Failures::default();
    thread::scope(|s| {
        for seed in [0x0123_4567_89ab_cdef_u64, 0xfedc_ba98_7654_3210] {
            let (y, w, running, done) = (&y, &w, &running, &done);
            s.spawn(move || {
                // The last thread to finish ends the deciding loop, even by panicking.
                struct Last<'a>(&'a AtomicU64, &'a AtomicBool);
                impl Drop for Last<'_> {
                    fn drop(&mut self) {
                        if self.0.fetch_sub(1, Ordering::AcqRel) == 1 {
                            self.1.store(true, Ordering::Release);
                        }
                    }
                }
                let _last = Last(running, done);
                let mut rng = Rng(seed);
                for _ in 0..ROUNDS {
                    // Either order, so that rises and falls of one child overlap both ways.
                    let (first, second) = if rng.below(2) == 0 { (y, w) } else { (w, y) };
                    first.try_charge(25 * PAGE).unwrap();
                    second.try_charge(25 * PAGE).unwrap();
                    first.uncharge(25 * PAGE).unwrap();
                    second.uncharge(25 * PAGE).unwrap();
                }
            });
        }
        let flags = Flags::default();
        while !done.load(Ordering::Acquire) {
            for victim in [&x, &w] {
                let verdict = evict_valuable(None, victim, Some(&b), flags);
                Failures::count(&failures.evictable, verdict != Verdict::No);
            }
            Failures::count(&failures.above_min, !below_min(None, &x, flags));
            Failures::count(
                &failures.overstated,
                a.children_min_usage() > 100 * PAGE
                    || a.children_low_usage() > 100 * PAGE
                    || a2.children_min_usage() > 50 * PAGE
                    || a2.children_low_usage() > 50 * PAGE,
            );
            failures.decisions.fetch_add(1, Ordering::Relaxed);
        }
    });
    failures.assert_none();
    assert_eq!(a.children_min_usage(), 50 * PAGE);
    assert_eq!(a2.children_min_usage(), 0);
}
