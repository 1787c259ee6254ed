// SPDX-License-Identifier: GPL-2.0

//! Host benchmark of the accounting core: charge + uncharge cost by depth, and eviction
//! decision cost by number of sibling cgroups.
//!
//! Run with `cargo bench`; prints a table. The eviction decisions use `evict_valuable()` against
//! the tree root (device full, no evictor), so the victim's effective protection is computed
//! along root → parent → victim with the parent's protection overcommitted by its children. For
//! contrast, the last column emulates upstream dmem's cost model: a pre-order walk computing
//! every sibling's protection until the victim is reached (here with the core's own per-node
//! computation, so only the walk length differs).
//!
//! Note that the host stand-in for the kernel's fully ordered atomics adds `SeqCst` fences
//! around each of them (see `src/atomic.rs`), which the kernel does not need on x86.

use std::hint::black_box;
use std::sync::Arc;
use std::time::{
    Duration,
    Instant, //
};

use drm_cgroup_host::{
    effective_protection,
    evict_valuable,
    Flags,
    Pool,
    Verdict, //
};

/// How long each measurement runs at least.
const TARGET: Duration = Duration::from_millis(200);

/// A duration per call, in tenths of a nanosecond.
struct PerCall(u128);

impl std::fmt::Display for PerCall {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let text = format!("{}.{}", self.0 / 10, self.0 % 10);
        f.pad(&text)
    }
}

/// Runs `f` in batches until [`TARGET`] has elapsed; returns the time per call.
fn measure(mut f: impl FnMut()) -> PerCall {
    // Warm up.
    for _ in 0..100 {
        f();
    }
    let mut calls: u64 = 0;
    let mut batch: u64 = 16;
    let start = Instant::now();
    loop {
        for _ in 0..batch {
            f();
        }
        calls += batch;
        let elapsed = start.elapsed();
        if elapsed >= TARGET {
            return PerCall(elapsed.as_nanos() * 10 / u128::from(calls));
        }
        batch = (batch * 2).min(1 << 16);
    }
}

/// Builds a chain of `depth` pools (the root included) and returns it, leaf last.
fn chain(depth: usize) -> Vec<Arc<Pool>> {
    let mut pools = vec![Pool::new_root()];
    while pools.len() < depth {
        let child = Pool::new_child(pools.last().unwrap());
        pools.push(child);
    }
    pools
}

/// Reads the CPU model from `/proc/cpuinfo`.
fn cpu_model() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|m| m.trim().to_string())
        })
        .unwrap_or_else(|| "unknown".to_string())
}

/// ns per charge + uncharge of 4 KiB at the leaf of a chain of `depth` pools.
fn charge_uncharge(depth: usize, protected: bool) -> PerCall {
    let pools = chain(depth);
    if protected {
        // Every level below its `min`/`low`: each charge republishes the protected usage.
        for pool in &pools {
            pool.set_min(1 << 40);
            pool.set_low(1 << 40);
            pool.set_max(1 << 41);
        }
    }
    let leaf = pools.last().unwrap();
    leaf.try_charge(1 << 20).unwrap();
    measure(|| {
        leaf.try_charge(black_box(4096)).unwrap();
        leaf.uncharge(black_box(4096)).unwrap();
    })
}

/// The eviction benchmark tree: `root -> parent -> n siblings`, each holding charges.
struct Siblings {
    /// The root.
    root: Arc<Pool>,
    /// The siblings, in creation order.
    siblings: Vec<Arc<Pool>>,
}

impl Siblings {
    /// Builds the tree; the parent's `min`/`low` are overcommitted by the siblings' claims.
    fn new(n: usize) -> Self {
        let root = Pool::new_root();
        let parent = Pool::new_child(&root);
        parent.set_min(n as u64 * (1 << 19));
        parent.set_low(n as u64 * (3 << 19));
        let siblings: Vec<Arc<Pool>> = (0..n)
            .map(|i| {
                let s = Pool::new_child(&parent);
                s.set_min(if i % 2 == 0 { 2 << 20 } else { 0 });
                s.set_low(if i % 3 == 0 { 4 << 20 } else { 1 << 20 });
                for _ in 0..4 {
                    s.try_charge(1 << 20).unwrap();
                }
                s
            })
            .collect();
        Self { root, siblings }
    }
}

/// ns per `evict_valuable()` for `victim`.
fn decide(victim: &Pool) -> PerCall {
    let flags = Flags::default();
    measure(|| {
        let verdict = evict_valuable(None, black_box(victim), None, flags);
        black_box(verdict == Verdict::Yes);
    })
}

/// ns per decision with upstream dmem's walk: every sibling's protection up to the victim.
fn decide_dmem_style(tree: &Siblings, position: usize) -> PerCall {
    let flags = Flags::default();
    measure(|| {
        for s in &tree.siblings[..=position] {
            black_box(effective_protection(&tree.root, black_box(s), flags));
        }
    })
}

fn main() {
    // `cargo test --benches` runs benchmarks with `--bench` absent: skip the measurements then.
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    println!(
        "CPU: {} | nproc: {} | profile: {}",
        cpu_model(),
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        if cfg!(debug_assertions) {
            "debug"
        } else {
            "release"
        }
    );
    println!();
    println!("charge + uncharge of 4 KiB (ns per pair)");
    println!(
        "{:>8} {:>14} {:>22}",
        "depth", "unprotected", "below min/low (all)"
    );
    for depth in [1, 4, 8] {
        println!(
            "{:>8} {:>14} {:>22}",
            depth,
            charge_uncharge(depth, false),
            charge_uncharge(depth, true)
        );
    }
    println!();
    println!("evict_valuable() against the root, victim at depth 2 (ns per decision)");
    println!(
        "{:>9} {:>14} {:>14} {:>22}",
        "siblings", "victim first", "victim last", "dmem-style walk, last"
    );
    for n in [10, 100, 1_000, 10_000] {
        let tree = Siblings::new(n);
        let first = decide(&tree.siblings[0]);
        let last = decide(&tree.siblings[n - 1]);
        let walk = decide_dmem_style(&tree, n - 1);
        println!("{:>9} {:>14} {:>14} {:>22}", n, first, last, walk);
    }
}
