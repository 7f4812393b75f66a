// SPDX-License-Identifier: GPL-2.0

//! `cxl_region`'s fault point, the kernel's fault injection (`Documentation/fault-injection/`) in
//! debugfs `cxl_region/stall_attach_target/`: when its attributes make it fire, a target write
//! of a region stalls after it found the endpoint decoder and before anything else, for as long as
//! the point's `hold` is set (at most a minute, or until a signal). It makes a race a test can
//! otherwise only hope for happen every time: a memdev going between the lookup and the check of
//! its state. Nothing stalls unless an administrator arms it; without
//! `CONFIG_FAULT_INJECTION_DEBUG_FS` there is no point.

use super::glue;
use kernel::{
    ffi::c_void,
    time::{delay::fsleep, Delta, Instant, Monotonic},
};

/// The debugfs directory of the fault point, removed on drop (when the module goes).
pub(crate) struct FaultPoints(*mut c_void);

// SAFETY: The directory is only created and removed, which may happen from any task.
unsafe impl Send for FaultPoints {}
// SAFETY: No method reads or writes through the pointer but `drop`.
unsafe impl Sync for FaultPoints {}

impl FaultPoints {
    /// Creates the debugfs files of the fault point.
    pub(crate) fn new() -> Self {
        // SAFETY: No precondition; the attribute is static.
        Self(unsafe { glue::rcxl_faults_debugfs() })
    }
}

impl Drop for FaultPoints {
    fn drop(&mut self) {
        // SAFETY: The directory made by `new` (or NULL or an error pointer, which removal
        // ignores), removed once.
        unsafe { glue::rcxl_debugfs_remove(self.0) };
    }
}

/// The fault point `stall_attach_target`: returns at once unless it fires, then while `hold` is
/// set, at most a minute, or until a signal.
pub(crate) fn stall_attach_target() {
    // SAFETY: No precondition; the attribute is static.
    if !unsafe { glue::rcxl_stall_attach_target() } {
        return;
    }
    let start = Instant::<Monotonic>::now();
    // SAFETY: No precondition.
    while unsafe { glue::rcxl_stall_held() }
        && start.elapsed() < Delta::from_secs(60)
        && !kernel::current!().signal_pending()
    {
        fsleep(Delta::from_millis(20));
    }
}
