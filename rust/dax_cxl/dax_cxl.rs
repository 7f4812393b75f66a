// SPDX-License-Identifier: GPL-2.0

//! CXL DAX: direct access to CXL regions.
//!
//! The Rust port of `drivers/dax/cxl.c`: the driver of `cxl_dax_region` devices. For each one it
//! creates a dax region over the CXL region's host physical address range and one dax device that
//! covers all of it, which the `kmem` driver can then online as System RAM. The dax region of a
//! Dynamic Capacity (`dynamic_ram_1`) region is marked `IORESOURCE_DAX_DCD` and starts with a
//! 0-byte seed device instead: its memory only exists in the extents the device adds. Each
//! extent becomes a resource of the dax region, taken from the `extentZ.N` devices at probe and
//! from the region provider's notifications afterwards (both with the device locked, so none is
//! missed or taken twice); dax devices claim them by tag (`daxX.Y/uuid`).
//!
//! Like the C driver, registration with the CXL bus is deferred to a work item on
//! `system_long_wq` that first waits for `dax_hmem`, which may want to drive the same ranges.

// Each module uses part of the shared layer; the rest is dead code in this crate.
#[expect(dead_code)]
#[path = "../cxl/mod.rs"]
mod cxl;

use cxl::{dax, driver, extent_dev, numa, DaxRegionInfo, Range};
use kernel::{device, prelude::*};

module! {
    type: DaxCxlModule,
    name: "dax_cxl",
    authors: ["CXL DCD Rust contributors"],
    description: "CXL DAX: direct access to CXL regions",
    license: "GPL",
    alias: ["cxl:t8*"],
    imports_ns: ["CXL"],
}

/// The `cxl_dax_region` driver.
struct CxlDaxRegionDriver;

#[vtable]
impl driver::Driver for CxlDaxRegionDriver {
    const NAME: &'static CStr = c"cxl_dax_region";
    type Device<Ctx: device::DeviceContext> = driver::DaxRegionDevice<Ctx>;
    const SUPPRESS_BIND_ATTRS: bool = true;
    const ASYNC_PROBE: bool = true;

    // The dax region and its devices are device-managed: nothing to keep per device.
    type Data = ();

    fn probe<'bound>(
        dev: &'bound Self::Device<device::Core<'_>>,
    ) -> impl PinInit<(), Error> + 'bound {
        probe(dev)
    }

    fn notify(
        dev: &Self::Device<device::Bound>,
        _data: Pin<&()>,
        news: &driver::Notify<'_>,
    ) -> Result {
        let region = dax::Region::of(dev).ok_or(ENXIO)?;
        match news {
            driver::Notify::AddExtent { range, tag, seq } => region.add_extent(*range, tag, *seq),
            driver::Notify::ReleaseExtents(ranges) => region.remove_extents(ranges),
        }
    }
}

/// `cxl_dax_region_probe()`.
fn probe(dev: &driver::DaxRegionDevice<device::Core<'_>>) -> Result {
    let info = DaxRegionInfo::of(dev);
    let start = info.hpa_range.start;
    let nid =
        numa::phys_to_target_node(start).unwrap_or_else(|| numa::memory_add_physaddr_to_nid(start));

    let flags = dax::RegionFlags::for_cxl_region(info.dynamic_capacity);
    // A Dynamic Capacity region starts with no memory: its first device is a 0-byte seed.
    let size = if info.dynamic_capacity {
        0
    } else {
        info.hpa_range.size()
    };
    let region = dax::Region::alloc(
        dev.as_ref(),
        info.region_id,
        info.hpa_range,
        nid,
        dax::PMD_SIZE,
        flags,
    )?;
    if info.dynamic_capacity {
        // The extents accepted before this binding; later ones are notified.
        extent_dev::for_each_extent(dev, |e| {
            let start = info.hpa_range.start.checked_add(e.offset);
            let end = start.and_then(|s| s.checked_add(e.length.checked_sub(1)?));
            let added = match (start, end) {
                (Some(start), Some(end)) => region.add_extent(Range { start, end }, &e.tag, e.seq),
                _ => Err(EINVAL),
            };
            if let Err(err) = added {
                dev_err!(dev, "extent at {:#x} unusable: {:?}\n", e.offset, err);
            }
        });
    }
    region.create_dev_dax(None, size, true)
}

/// The module: the driver, registered late (see the crate documentation).
#[pin_data]
struct DaxCxlModule {
    #[pin]
    driver: driver::DeferredRegistration<CxlDaxRegionDriver>,
}

impl kernel::InPlaceModule for DaxCxlModule {
    fn init(module: &'static ThisModule) -> impl PinInit<Self, Error> {
        // As `cxl_dax_region_init()`: the work item waits for `dax_hmem` first. Module exit
        // flushes it, as `flush_work()` in the C driver, before the driver is unregistered.
        try_pin_init!(Self {
            driver <- driver::DeferredRegistration::new(c"dax_cxl", module, dax::hmem_flush_work),
        })
    }
}
