// SPDX-License-Identifier: GPL-2.0

//! Race test of protected-usage publishing, round by round, with heavy delay injection.
//!
//! In its own test binary because delay injection is a process-wide setting.

use std::sync::atomic::{
    AtomicU64,
    Ordering, //
};
use std::sync::Barrier;
use std::thread;

use drm_cgroup_host::{
    atomic::inject_delays,
    Pool, //
};

/// Number of racing threads.
const THREADS: u64 = 4;

/// Publishers racing on one node, checked after every round of simultaneous updates.
///
/// Each round, every thread changes the usage of the same node across its protection
/// thresholds at the same moment; once they are all done, the parent's sums must be exact. A
/// stale published value survives a round only if the last publisher did not notice the change
/// made by another one, which is the race the publisher's re-check exists for.
#[test]
fn racing_publishers_round_by_round() {
    const ROUNDS: usize = 5_000;
    const PAGE: u64 = 4096;
    inject_delays(2);
    let root = Pool::new_root();
    let parent = Pool::new_child(&root);
    let child = Pool::new_child(&parent);
    child.set_min(6 * PAGE);
    child.set_low(3 * PAGE);
    let barrier = Barrier::new(THREADS as usize);
    // Checked after the threads joined: a panic in one of them would leave the others waiting
    // at the barrier forever.
    let stale_rounds = AtomicU64::new(0);
    thread::scope(|s| {
        for i in 0..THREADS {
            let (child, parent, barrier) = (&child, &parent, &barrier);
            let stale_rounds = &stale_rounds;
            s.spawn(move || {
                let mut rng = 0xabcd_ef01 ^ (i << 17);
                let mut held = 0;
                for _ in 0..ROUNDS {
                    barrier.wait();
                    if held == 0 {
                        // A small xorshift step picks the size.
                        rng ^= rng << 13;
                        rng ^= rng >> 7;
                        rng ^= rng << 17;
                        held = (1 + rng % 4) * PAGE;
                        child.try_charge(held).unwrap();
                    } else {
                        child.uncharge(held).unwrap();
                        held = 0;
                    }
                    if barrier.wait().is_leader() {
                        let usage = child.usage();
                        if parent.children_min_usage() != usage.min(6 * PAGE)
                            || parent.children_low_usage() != usage.min(3 * PAGE)
                        {
                            stale_rounds.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                }
                child.uncharge(held).unwrap();
            });
        }
    });
    assert_eq!(stale_rounds.load(Ordering::Relaxed), 0);
    assert_eq!(parent.usage(), 0);
}
