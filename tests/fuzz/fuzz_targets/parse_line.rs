// SPDX-License-Identifier: GPL-2.0

//! libFuzzer target: the parser of the limit files (see `drm_cgroup_fuzz::parse`).

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| drm_cgroup_fuzz::parse::check(data));
