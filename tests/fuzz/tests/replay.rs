// SPDX-License-Identifier: GPL-2.0

//! Replays the stored inputs of every target without instrumentation: the seeds
//! (`seeds/<target>/`) and the inputs that once found a bug (`regressions/<target>/`).

use std::fs;
use std::path::Path;

/// Runs `check` on every file of `seeds/<target>` and `regressions/<target>`; returns how many.
fn replay(target: &str, check: fn(&[u8])) -> usize {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut count = 0;
    for dir in ["seeds", "regressions"] {
        let Ok(entries) = fs::read_dir(root.join(dir).join(target)) else {
            continue;
        };
        let mut paths: Vec<_> = entries.map(|e| e.unwrap().path()).collect();
        paths.sort();
        for path in paths {
            if path.file_name().is_some_and(|n| n == "README") {
                continue;
            }
            let data = fs::read(&path).unwrap();
            eprintln!("replay {}", path.display());
            check(&data);
            count += 1;
        }
    }
    count
}

#[test]
fn parse_line_inputs() {
    assert!(replay("parse_line", drm_cgroup_fuzz::parse::check) > 0);
}

#[test]
fn ops_inputs() {
    assert!(replay("ops", drm_cgroup_fuzz::ops::run) > 0);
}
