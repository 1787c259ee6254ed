// SPDX-License-Identifier: GPL-2.0

//! Multi-threaded stress test of the lock-free charge path.
//!
//! Four worker threads charge, pin, unpin and uncharge random amounts on a small tree with
//! limits, while a fifth keeps changing `min` and `low` and a sixth keeps checking that no
//! limited node's usage is ever above its `max`. Each worker remembers exactly what it charged
//! and which charges were refused by whom, so after they join the final usage, pinned bytes,
//! `max` events and protected-usage sums must be exact, and the hierarchical event counts must
//! add up.

use std::sync::atomic::{
    AtomicBool,
    AtomicU64,
    Ordering, //
};
use std::sync::Arc;
use std::thread;

#[path = "common/set_on_drop.rs"]
mod set_on_drop;
#[path = "../../../test_rng.rs"]
mod test_rng;

use set_on_drop::SetOnDrop;
use test_rng::Rng;

use drm_cgroup_host::{
    atomic::inject_delays,
    Pool, //
};

/// Number of worker threads.
const WORKERS: usize = 4;

/// Operations per worker (charges, uncharges, pins and unpins).
const OPS_PER_WORKER: usize = 300_000;

/// The test tree: `root -> a -> {a1, a2}`, `root -> b -> b1`.
struct Tree {
    /// All nodes, in the order `root, a, a1, a2, b, b1`.
    nodes: Vec<Arc<Pool>>,
}

/// Index of each node's parent in [`Tree::nodes`].
const PARENT: [Option<usize>; 6] = [None, Some(0), Some(1), Some(1), Some(0), Some(4)];

/// Nodes the workers charge to directly.
const CHARGED: [usize; 5] = [1, 2, 3, 4, 5];

impl Tree {
    /// Builds the tree with its limits.
    fn new() -> Self {
        let mut nodes: Vec<Arc<Pool>> = Vec::new();
        for parent in PARENT {
            let node = match parent {
                None => Pool::new_root(),
                Some(p) => Pool::new_child(&nodes[p]),
            };
            nodes.push(node);
        }
        // Limits tight enough that charges are refused at every level.
        nodes[1].set_max(600 * 4096);
        nodes[2].set_max(400 * 4096);
        nodes[4].set_max(500 * 4096);
        nodes[5].set_max(300 * 4096);
        nodes[1].set_high(300 * 4096);
        nodes[5].set_high(200 * 4096);
        Self { nodes }
    }

    /// Returns the index of `pool`.
    fn index(&self, pool: &Pool) -> usize {
        self.nodes
            .iter()
            .position(|p| std::ptr::eq(&**p, pool))
            .unwrap()
    }

    /// Returns whether node `a` is `b` or one of its ancestors.
    fn contains(a: usize, mut b: usize) -> bool {
        loop {
            if a == b {
                return true;
            }
            match PARENT[b] {
                Some(p) => b = p,
                None => return false,
            }
        }
    }
}

/// What one worker leaves charged and what it saw refused.
#[derive(Default)]
struct WorkerResult {
    /// Bytes still charged directly to each node.
    charged: [u64; 6],
    /// Bytes still pinned directly in each node.
    pinned: [u64; 6],
    /// Refused charges, by refusing node.
    refused: [u64; 6],
    /// Operations performed.
    ops: usize,
}

/// One worker: random operations on its own charges.
///
/// Halfway through, it waits until `settings_final` is set, so that the second half races only
/// with the other workers and with the final protection settings.
fn worker(tree: &Tree, seed: u64, settings_final: &AtomicBool) -> WorkerResult {
    let mut rng = Rng(seed);
    let mut result = WorkerResult::default();
    // Individual charges per node, so that uncharges and pins are always the worker's own.
    let mut owned: [Vec<(u64, bool)>; 6] = Default::default();
    for op in 0..OPS_PER_WORKER {
        if op == OPS_PER_WORKER / 2 {
            while !settings_final.load(Ordering::Acquire) {
                thread::yield_now();
            }
        }
        let node = CHARGED[rng.below(CHARGED.len() as u64) as usize];
        let pool = &tree.nodes[node];
        let list = &mut owned[node];
        match rng.below(10) {
            0..=4 => {
                let bytes = (1 + rng.below(16)) * 4096 + rng.below(3);
                match pool.try_charge(bytes) {
                    Ok(_) => {
                        list.push((bytes, false));
                        result.charged[node] += bytes;
                        // An observed instant right after our own charge.
                        assert!(pool.usage() <= pool.max());
                    }
                    Err(limit) => result.refused[tree.index(limit)] += 1,
                }
            }
            5..=7 => {
                if let Some((bytes, pinned)) = list.pop() {
                    if pinned {
                        pool.unpin(bytes).unwrap();
                        result.pinned[node] -= bytes;
                    }
                    pool.uncharge(bytes).unwrap();
                    result.charged[node] -= bytes;
                }
            }
            _ => {
                if let Some(entry) = list.last_mut() {
                    if entry.1 {
                        pool.unpin(entry.0).unwrap();
                        result.pinned[node] -= entry.0;
                    } else {
                        pool.pin(entry.0).unwrap();
                        result.pinned[node] += entry.0;
                    }
                    entry.1 = !entry.1;
                }
            }
        }
        result.ops += 1;
    }
    result
}

/// Final usage, pins, events and protection sums are exact after a concurrent run.
#[test]
fn concurrent_charges_are_exact() {
    inject_delays(16);
    let tree = Tree::new();
    let done = AtomicBool::new(false);
    let settings_final = AtomicBool::new(false);
    let observations = AtomicU64::new(0);
    let final_protection: [(u64, u64); 6] = [
        (0, 0),
        (0, 900 * 4096),
        (100 * 4096, 50 * 4096),
        (10 * 4096, 300 * 4096),
        (70 * 4096, 0),
        (1 << 40, 1 << 40),
    ];

    let results: Vec<WorkerResult> = thread::scope(|s| {
        // Never observe usage above `max`.
        s.spawn(|| {
            while !done.load(Ordering::Relaxed) {
                for pool in &tree.nodes {
                    let max = pool.max();
                    let usage = pool.usage();
                    assert!(usage <= max, "usage {usage} above max {max}");
                    assert!(pool.watermark() <= max);
                }
                observations.fetch_add(1, Ordering::Relaxed);
            }
        });
        // Keep changing the protection settings, then set known final values while the
        // workers still run.
        s.spawn(|| {
            let _release_workers = SetOnDrop(&settings_final);
            let mut rng = Rng(0x5eed_5e77_1265);
            for _ in 0..20_000 {
                let node = CHARGED[rng.below(CHARGED.len() as u64) as usize];
                let value = rng.below(200) * 4096;
                if rng.below(2) == 0 {
                    tree.nodes[node].set_min(value);
                } else {
                    tree.nodes[node].set_low(value);
                }
            }
            for (pool, &(min, low)) in tree.nodes.iter().zip(&final_protection) {
                pool.set_min(min);
                pool.set_low(low);
            }
        });
        // Stops the monitor even if a worker panics.
        let _stop_monitor = SetOnDrop(&done);
        let workers: Vec<_> = (0..WORKERS)
            .map(|i| {
                let (tree, settings_final) = (&tree, &settings_final);
                let seed = 0x9e37_79b9_7f4a_7c15 ^ (i as u64 + 1);
                s.spawn(move || worker(tree, seed, settings_final))
            })
            .collect();
        workers.into_iter().map(|w| w.join().unwrap()).collect()
    });

    let total_ops: usize = results.iter().map(|r| r.ops).sum();
    assert!(total_ops >= 1_000_000);
    assert!(observations.load(Ordering::Relaxed) > 0);
    let sum = |f: fn(&WorkerResult) -> &[u64; 6], node: usize| -> u64 {
        results.iter().map(|r| f(r)[node]).sum()
    };
    let mut usage = [0u64; 6];
    for (i, pool) in tree.nodes.iter().enumerate() {
        usage[i] = (0..6)
            .filter(|&n| Tree::contains(i, n))
            .map(|n| sum(|r| &r.charged, n))
            .sum();
        let pinned: u64 = (0..6)
            .filter(|&n| Tree::contains(i, n))
            .map(|n| sum(|r| &r.pinned, n))
            .sum();
        assert_eq!(pool.usage(), usage[i], "usage of node {i}");
        assert_eq!(pool.pinned(), pinned, "pinned of node {i}");
        assert!(pool.watermark() >= pool.usage());
        assert!(pool.watermark() <= pool.max());
        assert_eq!(
            pool.events_local().max,
            sum(|r| &r.refused, i),
            "max events of node {i}"
        );
    }
    // Every node's hierarchical count is the sum of the local counts in its subtree.
    for (i, pool) in tree.nodes.iter().enumerate() {
        let subtree = |f: fn(&Pool) -> u64| -> u64 {
            (0..6)
                .filter(|&n| Tree::contains(i, n))
                .map(|n| f(&tree.nodes[n]))
                .sum()
        };
        assert_eq!(pool.events().max, subtree(|p| p.events_local().max));
        assert_eq!(pool.events().high, subtree(|p| p.events_local().high));
    }
    assert!(tree.nodes[0].events().max > 0);
    assert!(tree.nodes[0].events().high > 0);
    // The protected-usage sums converged to the exact values despite the racing setter and
    // publishers (nothing republished them after the workers stopped).
    for (i, pool) in tree.nodes.iter().enumerate() {
        let children: Vec<usize> = (0..6).filter(|&n| PARENT[n] == Some(i)).collect();
        let min_sum: u64 = children
            .iter()
            .map(|&c| usage[c].min(final_protection[c].0))
            .sum();
        let low_sum: u64 = children
            .iter()
            .map(|&c| usage[c].min(final_protection[c].1))
            .sum();
        assert_eq!(pool.children_min_usage(), min_sum, "min sum of node {i}");
        assert_eq!(pool.children_low_usage(), low_sum, "low sum of node {i}");
    }
}

/// Racing publishers of the same nodes leave exact protected-usage sums once they stop.
#[test]
fn concurrent_protected_usage_converges() {
    inject_delays(16);
    let root = Pool::new_root();
    let parent = Pool::new_child(&root);
    let children: Vec<Arc<Pool>> = (0..WORKERS).map(|_| Pool::new_child(&parent)).collect();
    for c in &children {
        c.set_min(64 * 4096);
        c.set_low(32 * 4096);
    }
    thread::scope(|s| {
        for i in 0..WORKERS {
            let children = &children;
            s.spawn(move || {
                let mut rng = Rng(0x1234_5678 + i as u64);
                let mut held = Vec::new();
                for _ in 0..100_000 {
                    // Every thread works on every child, so publishers race on each of them
                    // and usage keeps crossing the protection thresholds.
                    let c = rng.below(WORKERS as u64) as usize;
                    if held.len() < 8 && rng.below(2) == 0 {
                        let bytes = (1 + rng.below(8)) * 4096;
                        children[c].try_charge(bytes).unwrap();
                        held.push((c, bytes));
                    } else if !held.is_empty() {
                        let (c, bytes) = held.swap_remove(rng.below(held.len() as u64) as usize);
                        children[c].uncharge(bytes).unwrap();
                    }
                }
                // Keep what is held, so the final sums are not trivially zero.
            });
        }
    });
    let usage: Vec<u64> = children.iter().map(|c| c.usage()).collect();
    assert_eq!(parent.usage(), usage.iter().sum::<u64>());
    let min_sum: u64 = usage.iter().map(|&u| u.min(64 * 4096)).sum();
    let low_sum: u64 = usage.iter().map(|&u| u.min(32 * 4096)).sum();
    assert!(low_sum < parent.usage());
    assert_eq!(parent.children_min_usage(), min_sum);
    assert_eq!(parent.children_low_usage(), low_sum);
}
