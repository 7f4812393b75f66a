// SPDX-License-Identifier: GPL-2.0

//! Safe abstractions over the CXL and dax buses for the Rust CXL modules, written as if headed for
//! `rust/kernel/cxl.rs`.
//!
//! This is the only place with `unsafe` code and `bindings::` use. Each driver crate includes it
//! once, with `#[path = "../cxl/mod.rs"] mod cxl;`: each `.ko` carries its own copy, because
//! out-of-tree modules should not link against each other; what a crate does not use is not
//! compiled into it. What Rust cannot call (static inlines and macros whose form depends on the
//! kernel configuration) goes through the C shims declared in [`glue`] and implemented in
//! `rust/cxl/glue.c`.
//!
//! Pure logic with no kernel dependency ([`flags`], [`interleave`], [`sysfs_input`], `extent`) is
//! also compiled on the host by `rust/host-tests`.

pub(crate) mod cxl_bindings;
pub(crate) mod dax;
pub(crate) mod driver;
pub(crate) mod extent_dev;
pub(crate) mod flags;
mod glue;
pub(crate) mod interleave;
pub(crate) mod numa;
pub(crate) mod sysfs_input;
pub(crate) mod work;

// What only a region provider needs (`Kbuild` sets the cfg for `cxl_region`).
#[cfg(cxl_region_provider)]
mod exports;
#[cfg(cxl_region_provider)]
pub(crate) mod extent;
#[cfg(cxl_region_provider)]
pub(crate) mod fault;
// SAFETY: All zeros is an empty chain: no extents, nothing dropped (every field is an integer or
// an array of them).
#[cfg(cxl_region_provider)]
unsafe impl pin_init::Zeroable for extent::Pending {}
#[cfg(cxl_region_provider)]
pub(crate) mod provider;
#[cfg(cxl_region_provider)]
pub(crate) mod region;
#[cfg(cxl_region_provider)]
pub(crate) mod rwsem;
#[cfg(cxl_region_provider)]
pub(crate) mod sysfs;
#[cfg(cxl_region_provider)]
pub(crate) mod topology;

use kernel::{
    bindings,
    device::{self, Device},
};

/// The device types of the CXL bus that a [`driver::Driver`] can bind (`CXL_DEVICE_*` in
/// `drivers/cxl/cxl.h`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum DeviceType {
    /// A `cxl_dax_region` device, the dax side of a CXL RAM region.
    DaxRegion,
    /// A `regionZ` device.
    Region,
}

impl DeviceType {
    const fn to_raw(self) -> i32 {
        // CAST: Small constants of `cxl.h`.
        match self {
            DeviceType::DaxRegion => cxl_bindings::CXL_DEVICE_DAX_REGION as i32,
            DeviceType::Region => cxl_bindings::CXL_DEVICE_REGION as i32,
        }
    }
}

/// An inclusive physical address range, the Rust side of `struct range` (same layout).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(C)]
pub(crate) struct Range {
    /// First byte.
    pub(crate) start: u64,
    /// Last byte (inclusive).
    pub(crate) end: u64,
}

const _: () = {
    assert!(core::mem::size_of::<Range>() == core::mem::size_of::<bindings::range>());
    assert!(core::mem::align_of::<Range>() == core::mem::align_of::<bindings::range>());
    assert!(core::mem::offset_of!(Range, end) == core::mem::offset_of!(bindings::range, end));
};

impl Range {
    /// The size in bytes, as `range_len()` computes it.
    pub(crate) fn size(&self) -> u64 {
        self.end.wrapping_sub(self.start).wrapping_add(1)
    }

    /// Whether `inner` lies within this range (`range_contains()`).
    #[cfg(cxl_region_provider)]
    pub(crate) fn contains(&self, inner: &Range) -> bool {
        self.start <= inner.start && inner.end <= self.end
    }
}

/// What a driver needs to know about a `cxl_dax_region` device.
///
/// The fields are set when the provider creates the device and never change afterwards, so a
/// copy taken once stays accurate for the lifetime of the binding.
#[derive(Clone, Copy, Debug)]
pub(crate) struct DaxRegionInfo {
    /// The region's host physical address range.
    pub(crate) hpa_range: Range,
    /// The id `Z` of the parent `regionZ`.
    pub(crate) region_id: i32,
    /// Whether the region maps Dynamic Capacity (mode `dynamic_ram_1`): its memory only exists
    /// in the extents the device adds.
    pub(crate) dynamic_capacity: bool,
}

impl DaxRegionInfo {
    /// Reads the information of `dev`.
    pub(crate) fn of(dev: &driver::DaxRegionDevice<device::Bound>) -> Self {
        // SAFETY: A `cxl_dax_region` device (by its type) is embedded in a live `cxl_dax_region`;
        // its range and region are set before it is added and constant afterwards, and the region
        // outlives its child.
        unsafe {
            let p = kernel::container_of!(as_raw(dev.as_ref()), cxl_bindings::cxl_dax_region, dev);
            Self {
                hpa_range: Range {
                    start: (*p).hpa_range.start,
                    end: (*p).hpa_range.end,
                },
                region_id: (*(*p).cxlr).id,
                dynamic_capacity: (*(*p).cxlr).mode
                    == cxl_bindings::cxl_partition_mode_CXL_PARTMODE_DYNAMIC_RAM_1,
            }
        }
    }
}

/// Runs `f` with the lock of `dev` held (`guard(device)(dev)`: a probe or removal of `dev` in
/// progress has finished, and none starts meanwhile).
///
/// # Safety
///
/// `dev` is a live device, initialized (its mutex with it), for the call.
pub(crate) unsafe fn with_device_locked<R>(dev: *mut bindings::device, f: impl FnOnce() -> R) -> R {
    // SAFETY: Per the function's contract the device and its mutex are live.
    unsafe { bindings::mutex_lock(&raw mut (*dev).mutex) };
    let r = f();
    // SAFETY: Taken above by this task.
    unsafe { bindings::mutex_unlock(&raw mut (*dev).mutex) };
    r
}

/// The raw `struct device *` behind a [`Device`] (`Device::as_raw()` is private to the kernel
/// crate).
pub(crate) fn as_raw<Ctx: device::DeviceContext>(dev: &Device<Ctx>) -> *mut bindings::device {
    // CAST: `Device` is `#[repr(transparent)]` over `Opaque<bindings::device>`, so a reference to it
    // is a pointer to the `struct device`.
    core::ptr::from_ref(dev).cast_mut().cast()
}
