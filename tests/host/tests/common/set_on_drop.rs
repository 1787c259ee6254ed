// SPDX-License-Identifier: GPL-2.0

//! Shared by the host tests that run threads.

use std::sync::atomic::{
    AtomicBool,
    Ordering, //
};

/// Sets a flag when dropped, so that a panicking thread still releases the threads waiting for
/// it.
pub(crate) struct SetOnDrop<'a>(pub(crate) &'a AtomicBool);

impl Drop for SetOnDrop<'_> {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Release);
    }
}
