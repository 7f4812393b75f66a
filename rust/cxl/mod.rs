// SPDX-License-Identifier: GPL-2.0

//! Safe abstractions over the CXL and dax buses for the Rust CXL modules.
//!
//! This is the only place with `unsafe` code and `bindings::` use. The driver crates include it with
//! `#[path = "../cxl/mod.rs"] mod cxl;`: each `.ko` carries its own copy, because out-of-tree modules
//! should not link against each other. What Rust cannot call (macros, static inlines, structures
//! from the private headers `drivers/cxl/cxl.h` and `drivers/dax/bus.h`) goes through the C shims
//! declared in [`glue`] and implemented in `rust/cxl/glue.c`.

pub(crate) mod cxl_bindings;
pub(crate) mod dax;
pub(crate) mod driver;
mod glue;
pub(crate) mod numa;
pub(crate) mod work;

use kernel::{
    device::{self, Device},
    error::to_result,
    prelude::*, //
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
    fn to_raw(self) -> i32 {
        match self {
            // SAFETY: The shim only returns a constant.
            DeviceType::DaxRegion => unsafe { glue::rcxl_device_type_dax_region() },
            // CAST: A small constant of `cxl.h`.
            DeviceType::Region => cxl_bindings::CXL_DEVICE_REGION as i32,
        }
    }
}

/// An inclusive physical address range, the Rust side of `struct range`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Range {
    /// First byte.
    pub(crate) start: u64,
    /// Last byte (inclusive).
    pub(crate) end: u64,
}

impl Range {
    /// The size in bytes, as `range_len()` computes it.
    pub(crate) fn size(&self) -> u64 {
        self.end.wrapping_sub(self.start).wrapping_add(1)
    }
}

/// What a driver needs to know about a `cxl_dax_region` device.
///
/// The fields are set when the core creates the device and never change afterwards, so a copy
/// taken once stays accurate for the lifetime of the binding.
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
    /// Reads the information of `dev`, which must be a `cxl_dax_region` device (`-ENODEV`
    /// otherwise).
    pub(crate) fn of(dev: &Device<device::Bound>) -> Result<Self> {
        let mut start = 0u64;
        let mut end = 0u64;
        let mut region_id = 0i32;
        let mut dynamic_capacity = false;
        // SAFETY: `raw_device()` is a valid device for the duration of the borrow of `dev`, and the
        // four out-pointers are valid for writes.
        to_result(unsafe {
            glue::rcxl_dax_region_info(
                raw_device(dev),
                &mut start,
                &mut end,
                &mut region_id,
                &mut dynamic_capacity,
            )
        })?;
        Ok(Self {
            hpa_range: Range { start, end },
            region_id,
            dynamic_capacity,
        })
    }
}

/// The raw `struct device *` behind a [`Device`].
pub(crate) fn raw_device<Ctx: device::DeviceContext>(dev: &Device<Ctx>) -> *mut glue::RawDevice {
    // CAST: `Device` is `#[repr(transparent)]` over `Opaque<bindings::device>`, so a reference to it
    // is a pointer to the `struct device`; `Device::as_raw()` does the same but is private to the
    // kernel crate.
    core::ptr::from_ref(dev).cast_mut().cast()
}
