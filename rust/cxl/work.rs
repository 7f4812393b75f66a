// SPDX-License-Identifier: GPL-2.0

//! What the kernel crate's workqueue abstraction does not offer yet.

use kernel::{
    bindings,
    sync::Arc,
    workqueue::{HasDelayedWork, HasWork, Work, WorkItem},
};

/// Cancels the delayed work item of `this` and waits until an execution already running has
/// returned (`cancel_delayed_work_sync()`). The reference a cancelled enqueue held is dropped.
/// The item may requeue itself: while the cancel runs, such an enqueue fails.
pub(crate) fn cancel_delayed_sync<T, const ID: u64>(this: &Arc<T>)
where
    T: HasDelayedWork<T, ID> + WorkItem<ID, Pointer = Arc<T>>,
{
    let p = Arc::as_ptr(this).cast_mut();
    // SAFETY: `p` points to the live `T` of `this`; by `HasDelayedWork` its work item is the
    // `work` field of a `struct delayed_work`, of which only the address is computed.
    let dwork = unsafe {
        kernel::container_of!(
            Work::raw_get(<T as HasWork<T, ID>>::raw_get_work(p)),
            bindings::delayed_work,
            work
        )
    };
    // SAFETY: `dwork` is an initialized delayed work item (`HasDelayedWork`); this runs in
    // process context, as every caller of this function does.
    if unsafe { bindings::cancel_delayed_work_sync(dwork) } {
        // SAFETY: It was pending: the enqueue had leaked a count of `this`'s allocation
        // (`Arc::into_raw`) for the work function to take back; it never will, so take it here.
        drop(unsafe { Arc::from_raw(p) });
    }
}
