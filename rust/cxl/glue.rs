// SPDX-License-Identifier: GPL-2.0

//! Declarations of the C shims in `rust/cxl/glue.c` (prototypes in `include/rcxl_glue.h`).

use kernel::{bindings, ffi::c_char, ffi::c_int, ffi::c_uint, ffi::c_ulong};

/// Opaque `struct cxl_driver`.
#[repr(C)]
pub(crate) struct CxlDriver {
    _private: [u8; 0],
}

/// Opaque `struct device`, for the shims' parameters (`bindings::device` is not FFI-safe in an
/// `extern` block of ours: it contains zero-sized arrays).
#[repr(C)]
pub(crate) struct RawDevice {
    _private: [u8; 0],
}

/// Opaque `struct dax_region`.
#[repr(C)]
pub(crate) struct DaxRegion {
    _private: [u8; 0],
}

/// A device callback of the CXL bus.
pub(crate) type ProbeFn = unsafe extern "C" fn(dev: *mut bindings::device) -> c_int;
/// A device removal callback of the CXL bus.
pub(crate) type RemoveFn = unsafe extern "C" fn(dev: *mut bindings::device);

extern "C" {
    pub(crate) fn rcxl_device_type_dax_region() -> c_int;
    pub(crate) fn rcxl_driver_register(
        name: *const c_char,
        type_: c_int,
        probe: ProbeFn,
        remove: RemoveFn,
        suppress_bind_attrs: bool,
        async_probe: bool,
        err: *mut c_int,
    ) -> *mut CxlDriver;
    pub(crate) fn rcxl_driver_unregister(drv: *mut CxlDriver);
    pub(crate) fn rcxl_dax_region_info(
        dev: *mut RawDevice,
        hpa_start: *mut u64,
        hpa_end: *mut u64,
        region_id: *mut c_int,
        dynamic_capacity: *mut bool,
    ) -> c_int;

    pub(crate) fn rcxl_ioresource_dax_kmem() -> c_ulong;
    pub(crate) fn rcxl_ioresource_dax_dcd() -> c_ulong;
    pub(crate) fn rcxl_alloc_dax_region(
        parent: *mut RawDevice,
        region_id: c_int,
        start: u64,
        end: u64,
        target_node: c_int,
        align: c_uint,
        flags: c_ulong,
    ) -> *mut DaxRegion;
    pub(crate) fn rcxl_devm_create_dev_dax(
        dax_region: *mut DaxRegion,
        id: c_int,
        size: u64,
        memmap_on_memory: bool,
    ) -> c_int;
    pub(crate) fn rcxl_dax_hmem_flush_work();
}
