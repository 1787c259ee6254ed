// SPDX-License-Identifier: GPL-2.0

//! libFuzzer target: operation sequences on the accounting core against the reference model
//! (see `drm_cgroup_fuzz::ops`).

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| drm_cgroup_fuzz::ops::run(data));
