// SPDX-License-Identifier: GPL-2.0

//! The dax bus calls a CXL driver makes: dax regions and their dax devices (`drivers/dax/bus.h`).

use super::{as_raw, cxl_bindings as c, driver::DaxRegionDevice, flags, glue, Range};
use core::{marker::PhantomData, ptr::NonNull};
use kernel::{
    bindings,
    device::{self, Device},
    error::{from_err_ptr, to_result},
    prelude::*, //
};

/// `PMD_SIZE`: the alignment of a dax region that can be mapped with huge pages.
pub(crate) const PMD_SIZE: u32 = 1 << bindings::PMD_SHIFT;

/// Flags of a dax region (`IORESOURCE_DAX_*` in `drivers/dax/bus.h`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct RegionFlags(u64);

impl RegionFlags {
    /// The flags of the dax region over a CXL region ([`flags::dax_region_flags`]):
    /// `IORESOURCE_DAX_KMEM` for RAM, whose devices the kmem driver onlines as System RAM;
    /// `IORESOURCE_DAX_DCD` alone for Dynamic Capacity, which has no available capacity until the
    /// device adds extents, whose devices have no `mapping` and bind `device_dax` by default.
    pub(crate) fn for_cxl_region(dynamic_capacity: bool) -> Self {
        Self(flags::dax_region_flags(dynamic_capacity))
    }
}

// The pure flag rules use the kernel's bit values.
const _: () = {
    assert!(flags::IORESOURCE_DAX_KMEM == c::RCXL_IORESOURCE_DAX_KMEM as u64);
    assert!(flags::IORESOURCE_DAX_DCD == c::RCXL_IORESOURCE_DAX_DCD as u64);
};

/// A dax region, device-managed on the device that allocated it (`alloc_dax_region()`).
///
/// # Invariants
///
/// `ptr` is a live `struct dax_region` whose devres action is registered on a device that stays
/// bound for `'a`.
pub(crate) struct Region<'a> {
    ptr: NonNull<c::dax_region>,
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
        let mut range = bindings::range {
            start: range.start,
            end: range.end,
        };
        // SAFETY: `parent` is bound for `'a`, as devm allocation requires; `range` is only read
        // during the call.
        let ptr = unsafe {
            c::alloc_dax_region(
                as_raw(parent),
                id,
                &mut range,
                target_node,
                align,
                // CAST: The flags are bits of an `unsigned long`.
                flags.0 as kernel::ffi::c_ulong,
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

    /// The dax region of `dev`, a bound `cxl_dax_region` device, if its driver made one.
    pub(crate) fn of(dev: &'a DaxRegionDevice<device::Bound>) -> Option<Self> {
        // SAFETY: `dev` is live.
        let p = unsafe { bindings::dev_get_drvdata(as_raw(dev.as_ref())) };
        // INVARIANT: Only `alloc_dax_region()` sets the drvdata of a `cxl_dax_region` device (the
        // CXL core and our bus adapter leave it to the cores), for the current binding: the
        // driver core clears it when the device unbinds, after the region's devres action.
        NonNull::new(p.cast::<c::dax_region>()).map(|ptr| Self {
            ptr,
            _dev: PhantomData,
        })
    }

    /// Adds an extent of Dynamic Capacity: `range` in host physical addresses, with its tag and
    /// place in the tag's sequence (`dax_region_add_extent()`). The caller holds the region's
    /// parent device lock.
    pub(crate) fn add_extent(&self, range: Range, tag: &[u8; 16], seq: u16) -> Result {
        let r = bindings::range {
            start: range.start,
            end: range.end,
        };
        let tag = bindings::uuid_t { b: *tag };
        // SAFETY: By the type invariants the region is live; `r` and `tag` are only read during
        // the call.
        to_result(unsafe { c::dax_region_add_extent(self.ptr.as_ptr(), &r, &tag, seq) })
    }

    /// Removes the extents at `ranges`, all or none (`EBUSY` while a dax device holds one)
    /// (`dax_region_rm_extents()`). The caller holds the region's parent device lock.
    pub(crate) fn remove_extents(&self, ranges: &[Range]) -> Result {
        let n = u32::try_from(ranges.len()).map_err(|_| EINVAL)?;
        // SAFETY: By the type invariants the region is live; `ranges` (with the layout of
        // `struct range`) is only read during the call.
        to_result(unsafe { c::dax_region_rm_extents(self.ptr.as_ptr(), ranges.as_ptr().cast(), n) })
    }

    /// Creates a dax device of `size` bytes in the region (`devm_create_dev_dax()`); `id` `None`
    /// takes the next free id. It goes away with the region's parent binding.
    pub(crate) fn create_dev_dax(
        &self,
        id: Option<i32>,
        size: u64,
        memmap_on_memory: bool,
    ) -> Result {
        let mut data = c::dev_dax_data {
            dax_region: self.ptr.as_ptr(),
            pgmap: core::ptr::null_mut(),
            size,
            id: id.unwrap_or(-1),
            memmap_on_memory,
        };
        // SAFETY: By the type invariants `ptr` is a live dax region whose parent is bound; `data`
        // is only read during the call.
        from_err_ptr(unsafe { c::devm_create_dev_dax(&mut data) })?;
        Ok(())
    }
}

/// Waits for `dax_hmem` to finish any region hand-off it has started (`dax_hmem_flush_work()`), so
/// that a CXL region is driven by exactly one of `dax_hmem` and `dax_cxl`.
pub(crate) fn hmem_flush_work() {
    // SAFETY: Callable from any sleepable context.
    unsafe { glue::rcxl_dax_hmem_flush_work() };
}
