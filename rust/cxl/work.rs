// SPDX-License-Identifier: GPL-2.0

//! What the kernel crate's workqueue abstraction does not offer yet.

use kernel::{bindings, workqueue::Work};

/// Waits until the last queued execution of `work` has returned (`flush_work()`). Returns whether
/// it had to wait.
///
/// Unlike a completion signalled from inside the work function, this also waits for the code the
/// function runs after the signal (such as dropping its `Arc`), which matters before a module
/// unloads.
pub(crate) fn flush<T: ?Sized, const ID: u64>(work: &Work<T, ID>) -> bool {
    // SAFETY: A reference to an initialized `Work` is neither dangling nor misaligned, and
    // `flush_work()` accepts any initialized work item from a context that may sleep, which every
    // caller of this safe function outside atomic context is.
    unsafe { bindings::flush_work(Work::raw_get(work)) }
}
