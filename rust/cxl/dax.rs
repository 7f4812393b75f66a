// SPDX-License-Identifier: GPL-2.0

//! The dax bus calls a CXL driver makes: dax regions and their dax devices.

use core::{marker::PhantomData, ptr::NonNull};
use kernel::{
    bindings,
    device::{self, Device},
    error::to_result,
    prelude::*, //
};

use super::{glue, raw_device, Range};

/// `PMD_SIZE`: the alignment of a dax region that can be mapped with huge pages.
pub(crate) const PMD_SIZE: u32 = 1 << bindings::PMD_SHIFT;

/// Flags of a dax region (`IORESOURCE_DAX_*` in `drivers/dax/bus.h`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct RegionFlags(kernel::ffi::c_ulong);

impl RegionFlags {
    /// `IORESOURCE_DAX_KMEM`: memory meant for the kmem driver to online as System RAM.
    pub(crate) fn kmem() -> Self {
        // SAFETY: The shim only returns a constant.
        Self(unsafe { glue::rcxl_ioresource_dax_kmem() })
    }

    /// These flags plus `IORESOURCE_DAX_DCD`: the region spans CXL Dynamic Capacity, so it has no
    /// available capacity until the device adds extents, and its devices have no `mapping`.
    pub(crate) fn with_dcd(self) -> Self {
        // SAFETY: The shim only returns a constant.
        Self(self.0 | unsafe { glue::rcxl_ioresource_dax_dcd() })
    }
}

/// A dax region, device-managed on the device that allocated it (`alloc_dax_region()`).
///
/// # Invariants
///
/// `ptr` is a live `struct dax_region` whose devres action is registered on a device that stays
/// bound for `'a`.
pub(crate) struct Region<'a> {
    ptr: NonNull<glue::DaxRegion>,
    _dev: PhantomData<&'a Device<device::Bound>>,
}

impl<'a> Region<'a> {
    /// Allocates dax region `id` over `range` on `parent`, for NUMA node `target_node`, with
    /// `align` and `flags`. It goes away when `parent` unbinds.
    pub(crate) fn alloc(
        parent: &'a Device<device::Bound>,
        id: i32,
        range: Range,
        target_node: i32,
        align: u32,
        flags: RegionFlags,
    ) -> Result<Self> {
        // SAFETY: `parent` is bound for `'a`, as devm allocation requires; the other arguments are
        // plain values.
        let ptr = unsafe {
            glue::rcxl_alloc_dax_region(
                raw_device(parent),
                id,
                range.start,
                range.end,
                target_node,
                align,
                flags.0,
            )
        };
        // INVARIANT: Non-NULL means allocated and registered as a devres of `parent`.
        NonNull::new(ptr)
            .map(|ptr| Self {
                ptr,
                _dev: PhantomData,
            })
            .ok_or(ENOMEM)
    }

    /// Creates a dax device of `size` bytes in the region (`devm_create_dev_dax()`); `id` `None`
    /// takes the next free id. It goes away with the region's parent binding.
    pub(crate) fn create_dev_dax(
        &self,
        id: Option<i32>,
        size: u64,
        memmap_on_memory: bool,
    ) -> Result {
        // SAFETY: By the type invariants `ptr` is a live dax region whose parent is bound.
        to_result(unsafe {
            glue::rcxl_devm_create_dev_dax(
                self.ptr.as_ptr(),
                id.unwrap_or(-1),
                size,
                memmap_on_memory,
            )
        })
    }
}

/// Waits for `dax_hmem` to finish any region hand-off it has started (`dax_hmem_flush_work()`), so
/// that a CXL region is driven by exactly one of `dax_hmem` and `dax_cxl`.
pub(crate) fn hmem_flush_work() {
    // SAFETY: Callable from any sleepable context.
    unsafe { glue::rcxl_dax_hmem_flush_work() };
}
