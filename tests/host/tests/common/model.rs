// SPDX-License-Identifier: GPL-2.0

//! The reference model of the accounting core.
//!
//! Shared by the property test `tests/host/tests/reference_model.rs` and the fuzz crate
//! `tests/fuzz`, which include this file by path. The model keeps the tree in a `Vec`, applies every charge with plain arithmetic, and answers
//! every protection question with a full top-down pass over the whole subtree of the decision
//! root, recomputing the children's protected-usage sums from scratch and dividing with `u128`.
//! It shares no code with the core.

use std::sync::Arc;

use drm_cgroup_host::{
    Events,
    Flags,
    PeakFd,
    PinError,
    Pool,
    Protection,
    UnchargeError,
    Verdict,
    UNLIMITED, //
};

/// Number of peak files opened on every node.
pub(crate) const FDS: usize = 2;

/// One node of the model.
#[derive(Clone, Debug, Default)]
pub(crate) struct MNode {
    /// Parent index; `None` for the root (index 0).
    pub(crate) parent: Option<usize>,
    /// Bytes charged to this node's subtree.
    pub(crate) usage: u64,
    /// Bytes charged to this node itself.
    pub(crate) own: u64,
    /// `min` setting.
    pub(crate) min: u64,
    /// `low` setting.
    pub(crate) low: u64,
    /// `high` setting.
    pub(crate) high: u64,
    /// `max` setting.
    pub(crate) max: u64,
    /// Bytes pinned in this node's subtree.
    pub(crate) pinned: u64,
    /// Highest usage ever.
    pub(crate) watermark: u64,
    /// Hierarchical events.
    pub(crate) events: Events,
    /// Local events.
    pub(crate) events_local: Events,
    /// Evicted bytes in the subtree.
    pub(crate) evicted_bytes: u64,
    /// Evictions in the subtree.
    pub(crate) evictions: u64,
    /// Per peak file: `None` if never written, else the highest usage since its last write.
    pub(crate) fds: [Option<u64>; FDS],
}

/// The reference model: a tree in a `Vec`.
pub(crate) struct Model {
    /// The nodes; index 0 is the root and parents come before their children.
    pub(crate) nodes: Vec<MNode>,
}

impl Model {
    /// Creates a model with the given parent of every node but the root.
    pub(crate) fn new(parents: &[usize]) -> Self {
        let mut nodes = vec![MNode {
            high: UNLIMITED,
            max: UNLIMITED,
            ..MNode::default()
        }];
        for &p in parents {
            nodes.push(MNode {
                parent: Some(p),
                high: UNLIMITED,
                max: UNLIMITED,
                ..MNode::default()
            });
        }
        Self { nodes }
    }

    /// Returns `node` and its ancestors, bottom-up.
    pub(crate) fn path(&self, node: usize) -> Vec<usize> {
        let mut path = vec![node];
        while let Some(p) = self.nodes[*path.last().unwrap()].parent {
            path.push(p);
        }
        path
    }

    /// Returns whether `a` is `b` or one of its ancestors.
    pub(crate) fn is_ancestor_or_self(&self, a: usize, b: usize) -> bool {
        self.path(b).contains(&a)
    }

    /// Returns the lowest common ancestor.
    pub(crate) fn lca(&self, a: usize, b: usize) -> usize {
        let pa = self.path(a);
        *self.path(b).iter().find(|n| pa.contains(n)).unwrap()
    }

    /// Returns the children of `node`.
    pub(crate) fn children(&self, node: usize) -> Vec<usize> {
        (0..self.nodes.len())
            .filter(|&i| self.nodes[i].parent == Some(node))
            .collect()
    }

    /// Counts an event locally at `node` and hierarchically at it and its ancestors.
    pub(crate) fn event(&mut self, node: usize, field: fn(&mut Events) -> &mut u64) {
        *field(&mut self.nodes[node].events_local) += 1;
        for n in self.path(node) {
            *field(&mut self.nodes[n].events) += 1;
        }
    }

    /// Charges `bytes`: `Ok(lowest node above high)` or `Err(refusing node)`.
    pub(crate) fn charge(&mut self, node: usize, bytes: u64) -> Result<Option<usize>, usize> {
        if bytes == 0 {
            return Ok(None);
        }
        let path = self.path(node);
        for &n in &path {
            match self.nodes[n].usage.checked_add(bytes) {
                Some(new) if new <= self.nodes[n].max => {}
                _ => {
                    self.event(n, |e| &mut e.max);
                    return Err(n);
                }
            }
        }
        self.nodes[node].own += bytes;
        Ok(self.record_charge(&path, bytes))
    }

    /// Charges `bytes` whatever the `max` settings: the lowest node above high.
    pub(crate) fn force_charge(&mut self, node: usize, bytes: u64) -> Option<usize> {
        if bytes == 0 {
            return None;
        }
        let path = self.path(node);
        self.nodes[node].own += bytes;
        self.record_charge(&path, bytes)
    }

    /// Returns whether forcing `bytes` into `node` would overflow a level's usage, where the
    /// core saturates: the generated operations avoid it.
    pub(crate) fn force_overflows(&self, node: usize, bytes: u64) -> bool {
        self.path(node)
            .into_iter()
            .any(|n| self.nodes[n].usage.checked_add(bytes).is_none())
    }

    /// Adds a charge of `bytes` along `path` (node first): usage, watermarks, `high` events.
    fn record_charge(&mut self, path: &[usize], bytes: u64) -> Option<usize> {
        let mut over_high = None;
        let mut pending = 0;
        for &n in path {
            let m = &mut self.nodes[n];
            m.usage += bytes;
            m.watermark = m.watermark.max(m.usage);
            let usage = m.usage;
            for fd in m.fds.iter_mut().flatten() {
                *fd = (*fd).max(usage);
            }
            if m.usage > m.high {
                over_high.get_or_insert(n);
                pending += 1;
                m.events_local.high += 1;
            }
            m.events.high += pending;
        }
        over_high
    }

    /// Uncharges `bytes`.
    pub(crate) fn uncharge(&mut self, node: usize, bytes: u64) -> Result<(), UnchargeError> {
        if bytes == 0 {
            return Ok(());
        }
        let m = &self.nodes[node];
        if m.usage < bytes {
            return Err(UnchargeError::Underflow { usage: m.usage });
        }
        self.nodes[node].own -= bytes;
        for n in self.path(node) {
            self.nodes[n].usage -= bytes;
        }
        Ok(())
    }

    /// Returns whether uncharging `bytes` from `node` would take bytes that were charged to its
    /// descendants: a caller bug that the core cannot detect at that point (it reports it,
    /// as `UnchargeError::Inconsistent`, only at the descendants' later uncharges, see the unit
    /// tests), so the generated operations avoid it.
    pub(crate) fn takes_descendants_bytes(&self, node: usize, bytes: u64) -> bool {
        let m = &self.nodes[node];
        bytes > m.own && bytes <= m.usage
    }

    /// Pins `bytes`.
    pub(crate) fn pin(&mut self, node: usize, bytes: u64) -> Result<(), PinError> {
        let m = &self.nodes[node];
        if bytes > m.usage || m.pinned.checked_add(bytes).is_none() {
            return Err(PinError::NotCharged { usage: m.usage });
        }
        for n in self.path(node) {
            self.nodes[n].pinned = self.nodes[n].pinned.saturating_add(bytes);
        }
        Ok(())
    }

    /// Unpins `bytes`.
    pub(crate) fn unpin(&mut self, node: usize, bytes: u64) -> Result<(), PinError> {
        let m = &self.nodes[node];
        if m.pinned < bytes {
            return Err(PinError::NotPinned { pinned: m.pinned });
        }
        for n in self.path(node) {
            self.nodes[n].pinned = self.nodes[n].pinned.saturating_sub(bytes);
        }
        Ok(())
    }

    /// Sum over the children of `node` of `min(usage, setting)`.
    pub(crate) fn children_protected(&self, node: usize, setting: fn(&MNode) -> u64) -> u64 {
        let sum: u128 = self
            .children(node)
            .iter()
            .map(|&c| u128::from(self.nodes[c].usage.min(setting(&self.nodes[c]))))
            .sum();
        // The children's usage is part of this node's usage.
        assert!(sum <= u128::from(self.nodes[node].usage));
        sum as u64
    }

    /// memcg's `effective_protection()`, transcribed with `u128` arithmetic.
    pub(crate) fn effective(
        usage: u64,
        parent_usage: u64,
        setting: u64,
        parent_effective: u64,
        siblings: u64,
        recursive: bool,
    ) -> u64 {
        let (usage, parent_usage, setting, pe, sp) = (
            u128::from(usage),
            u128::from(parent_usage),
            u128::from(setting),
            u128::from(parent_effective),
            u128::from(siblings),
        );
        let protected = usage.min(setting);
        if sp > pe {
            return (protected * pe / sp) as u64;
        }
        let mut ep = protected;
        if recursive && pe > sp && parent_usage > sp && usage > protected {
            let unprotected = (usage - protected).min(parent_usage - sp);
            ep += (pe - sp) * unprotected / (parent_usage - sp);
        }
        ep.min(u128::from(u64::MAX)) as u64
    }

    /// Effective protection of every node relative to `root`, by a full top-down pass over the
    /// whole subtree; `None` for `root` itself and for nodes outside its subtree.
    pub(crate) fn protection_all(&self, root: usize, recursive: bool) -> Vec<Option<Protection>> {
        let mut result = vec![None; self.nodes.len()];
        let mut queue: Vec<usize> = self.children(root);
        for &c in &queue {
            result[c] = Some(Protection {
                emin: self.nodes[c].min,
                elow: self.nodes[c].low,
            });
        }
        let mut next = 0;
        while next < queue.len() {
            let p = queue[next];
            next += 1;
            let parent_prot = result[p].unwrap();
            let siblings_min = self.children_protected(p, |m| m.min);
            let siblings_low = self.children_protected(p, |m| m.low);
            for c in self.children(p) {
                let m = &self.nodes[c];
                let pu = self.nodes[p].usage;
                result[c] = Some(Protection {
                    emin: Self::effective(
                        m.usage,
                        pu,
                        m.min,
                        parent_prot.emin,
                        siblings_min,
                        recursive,
                    ),
                    elow: Self::effective(
                        m.usage,
                        pu,
                        m.low,
                        parent_prot.elow,
                        siblings_low,
                        recursive,
                    ),
                });
                queue.push(c);
            }
        }
        result
    }

    /// The eviction decision, following the documented rules.
    pub(crate) fn verdict(
        &self,
        limit: Option<usize>,
        victim: usize,
        evictor: Option<usize>,
        flags: Flags,
    ) -> Verdict {
        if flags.no_evict_others {
            match evictor {
                Some(e) if self.is_ancestor_or_self(e, victim) => {}
                _ => return Verdict::No,
            }
        }
        let root = match (limit, evictor) {
            (Some(l), _) if !self.is_ancestor_or_self(l, victim) => return Verdict::No,
            (Some(l), _) => l,
            (None, Some(e)) => self.lca(e, victim),
            (None, None) => 0,
        };
        if flags.only_over_high
            && !self
                .path(victim)
                .iter()
                .any(|&n| self.nodes[n].usage > self.nodes[n].high)
        {
            return Verdict::No;
        }
        if root == victim {
            return Verdict::Yes;
        }
        let p = self.protection_all(root, !flags.no_recursive_prot)[victim].unwrap();
        let usage = self.nodes[victim].usage;
        if usage <= p.emin {
            Verdict::No
        } else if usage > p.elow {
            Verdict::Yes
        } else if flags.ignore_low {
            Verdict::YesBelowLow
        } else {
            Verdict::NoButLow
        }
    }

    /// `below_min`/`below_low`: `low` selects which.
    pub(crate) fn below(&self, root: Option<usize>, node: usize, flags: Flags, low: bool) -> bool {
        let root = root.unwrap_or(0);
        match self.protection_all(root, !flags.no_recursive_prot)[node] {
            Some(p) => self.nodes[node].usage <= if low { p.elow } else { p.emin },
            None => false,
        }
    }

    /// Records an eviction.
    pub(crate) fn report_eviction(&mut self, victim: usize, bytes: u64, verdict: Verdict) {
        for n in self.path(victim) {
            let m = &mut self.nodes[n];
            m.evicted_bytes = m.evicted_bytes.saturating_add(bytes);
            m.evictions += 1;
        }
        if verdict == Verdict::YesBelowLow {
            self.event(victim, |e| &mut e.low);
        }
    }
}

/// The core side: pools, peak files and the per-pool list of registered files.
pub(crate) struct Real {
    /// The pools, indexed like the model's nodes.
    pub(crate) pools: Vec<Arc<Pool>>,
    /// The peak files of every pool.
    pub(crate) fds: Vec<[PeakFd; FDS]>,
    /// Indexes of the registered peak files of every pool (the glue's watcher list).
    pub(crate) watchers: Vec<Vec<usize>>,
}

impl Real {
    /// Creates the pools for the given parents.
    pub(crate) fn new(parents: &[usize]) -> Self {
        let mut pools = vec![Pool::new_root()];
        for &p in parents {
            let child = Pool::new_child(&pools[p]);
            pools.push(child);
        }
        let n = pools.len();
        Self {
            pools,
            fds: (0..n).map(|_| [PeakFd::new(), PeakFd::new()]).collect(),
            watchers: vec![Vec::new(); n],
        }
    }

    /// Returns the index of `pool`.
    pub(crate) fn index(&self, pool: &Pool) -> usize {
        self.pools
            .iter()
            .position(|p| std::ptr::eq(&**p, pool))
            .unwrap()
    }
}
