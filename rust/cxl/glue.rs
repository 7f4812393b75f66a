// SPDX-License-Identifier: GPL-2.0

//! Declarations of the C shims in `rust/cxl/glue.c` and `rust/cxl_region/glue.c` (prototypes in
//! `include/rcxl_glue.h`): what is a macro, or a static inline in some kernel configurations.
//! Pointers to structures that contain zero-sized arrays (`struct device`, `struct cxl_dev_state`)
//! are passed as `void *`, which is FFI-safe.

use kernel::{
    bindings,
    ffi::{c_int, c_void},
};

extern "C" {
    pub(crate) fn rcxl_dax_hmem_flush_work();

    pub(crate) fn rcxl_mutex_lock_interruptible(lock: *mut bindings::mutex) -> c_int;
    pub(crate) fn rcxl_dcd_supported(cxlds: *mut c_void) -> bool;
    pub(crate) fn rcxl_device_is_registered(dev: *mut c_void) -> bool;
    pub(crate) fn rcxl_cpu_cache_invalidate_memregion(start: u64, len: u64) -> bool;
    pub(crate) fn rcxl_register_notifiers(
        node_nb: *mut bindings::notifier_block,
        adist_nb: *mut bindings::notifier_block,
    );
    pub(crate) fn rcxl_unregister_notifiers(
        node_nb: *mut bindings::notifier_block,
        adist_nb: *mut bindings::notifier_block,
    );
    pub(crate) fn rcxl_region_poison_debugfs(cxlr: *mut c_void) -> *mut c_void;
    pub(crate) fn rcxl_debugfs_remove(dentry: *mut c_void);
    pub(crate) fn rcxl_region_edac_register(cxlr: *mut c_void) -> c_int;
    pub(crate) fn rcxl_faults_debugfs() -> *mut c_void;
    pub(crate) fn rcxl_stall_attach_target() -> bool;
    pub(crate) fn rcxl_stall_held() -> bool;
    pub(crate) fn rcxl_trace_dc_extent(
        memdev: *const c_void,
        region: c_int,
        record: u8,
        dpa: u64,
        length: u64,
        tag: *const u8,
        seq: u16,
        what: *const kernel::ffi::c_char,
        why: *const kernel::ffi::c_char,
    );
}
