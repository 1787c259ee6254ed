// SPDX-License-Identifier: GPL-2.0

//! Fuzz targets of the drm_cgroup controller's pure files, as built by the host crate.
//!
//! Each target is a function that takes the fuzzer's bytes and panics on a violated property,
//! so that the libFuzzer binaries (`fuzz_targets/`) and the replay of stored inputs
//! (`tests/replay.rs`) run the same checks.

#[path = "../../host/tests/common/model.rs"]
pub mod model;
#[path = "../../host/tests/common/model_ops.rs"]
pub mod model_ops;
pub mod ops;
pub mod parse;
