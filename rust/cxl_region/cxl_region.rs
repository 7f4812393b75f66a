// SPDX-License-Identifier: GPL-2.0

//! CXL regions: the Rust port of `drivers/cxl/core/region.c` and `region_dax.c`.
//!
//! Loaded into a kernel built with `CONFIG_CXL_REGION_PROVIDER` (`patches/0002`), the module
//! registers as the CXL core's region provider. It adds `create_ram_region`,
//! `create_dynamic_ram_1_region` and `delete_region` to root decoders and `region` to switch and
//! endpoint decoders, and creates `regionZ` devices with the attributes, errnos and lock order of
//! the C original.
//!
//! Dynamic Capacity (`dynamic_ram_1`) regions follow the upstream DC series: 1-way only, targets on
//! a memdev that still has its state and supports DCD (checked under `cxl_memdev_rwsem`), and the
//! same commit and dax region path as RAM (see `Documentation/dc-regions.rst`).
//!
//! Unloading removes every region (as `delete_region` would) and the attributes, and waits until
//! the last region device is released; the root decoders stay, and a reload offers region ids
//! where they were.
//!
//! The sysfs attributes are in [`attrs`]; target attach, decoder programming and commit in
//! [`attach`]; the `cxl_region` driver here adds the `cxl_dax_region` child that `dax_cxl` binds.
//! Poison listing, DPA->HPA translation for the core's trace records and the region's debugfs
//! poison files are in [`poison`]. RAM regions whose decoders platform firmware committed are
//! assembled as the endpoints probe, and for those that probed before, when the module loads
//! ([`auto`]). PMEM regions hand a `cxl_pmem_region` to `cxl_pmem` (libnvdimm).

// Each module uses part of the shared layer; the rest is not compiled in.
#[expect(dead_code)]
#[path = "../cxl/mod.rs"]
mod cxl;

mod attach;
mod attrs;
mod auto;
mod dc;
mod poison;

use cxl::provider::{self, Provider};
use cxl::region::{
    ConfigState, Interleave, PartMode, Region, RegionRead, RegionWrite, RegionsGuard, RootDecoder,
};
use cxl::sysfs::{Group, StoreInput};
use cxl::{interleave, sysfs_input, topology};
use kernel::{
    device::Core,
    prelude::*,
    sync::atomic::Full, //
};

module! {
    type: CxlRegionModule,
    name: "cxl_region",
    authors: ["CXL DCD Rust contributors"],
    description: "CXL regions (region provider)",
    license: "GPL",
    alias: ["cxl:t6*"],
    imports_ns: ["CXL", "DEVMEM"],
}

/// 256 MiB, the HPA and DPA allocation unit.
const SZ_256M: u64 = 256 << 20;

/// The module: its registration with the core and the region driver. Dropped in field order: the
/// regions go with the provider, then the driver, then the fault point.
struct CxlRegionModule {
    _provider: Pin<KBox<provider::Registration<RegionProvider>>>,
    _driver: Pin<KBox<cxl::driver::Registration<CxlRegionDriver>>>,
    _faults: cxl::fault::FaultPoints,
}

impl kernel::Module for CxlRegionModule {
    fn init(module: &'static ThisModule) -> Result<Self> {
        let faults = cxl::fault::FaultPoints::new();
        let provider = provider::Registration::new(module)?;
        Ok(Self {
            _provider: provider,
            _driver: KBox::pin_init(
                cxl::driver::Registration::new(c"cxl_region", module),
                GFP_KERNEL,
            )?,
            _faults: faults,
        })
    }
}

/// The `cxl_region` driver: a committed region gets its `dax_regionZ`.
struct CxlRegionDriver;

#[vtable]
impl cxl::driver::Driver for CxlRegionDriver {
    const NAME: &'static CStr = c"cxl_region";
    type Device<Ctx: kernel::device::DeviceContext> = cxl::driver::RegionDevice<Ctx>;

    // Everything a bound region holds is device-managed.
    type Data = ();

    #[inline(always)]
    fn probe<'bound>(dev: &'bound Self::Device<Core<'_>>) -> impl PinInit<(), Error> + 'bound {
        region_probe(dev)
    }
}

/// `cxl_region_probe()`.
#[inline(always)]
fn region_probe(dev: &cxl::driver::RegionDevice<Core<'_>>) -> Result {
    let r = Region::from_device(dev);
    // `cxl_region_can_probe()`.
    let hpa = {
        let g = RegionRead::lock_interruptible()?;
        if r.state(&g) < ConfigState::Commit {
            return Err(ENXIO);
        }
        if r.flag(&g, cxl::region::REGION_F_NEEDS_RESET) {
            dev_err!(
                r.as_ref(),
                "failed to activate, re-commit region and retry\n"
            );
            return Err(ENXIO);
        }
        r.hpa(&g).ok_or(ENXIO)?
    };
    // From here on, whatever moves the region away from COMMIT releases the driver.
    r.register_notifiers::<RegionProvider>(dev)?;
    // A region fronted by an extended linear cache needs the core's MCE notifier to offline the
    // aliased page on a memory error. It exists only with `CONFIG_CXL_MCE` (off in the kernels
    // built here: the C warns the same way), and its registration is core-internal: not ported.
    if r.cache_size_fixed() != 0 {
        if cfg!(CONFIG_CXL_MCE) {
            dev_warn!(
                r.as_ref(),
                "MCE notifier not registered: not ported to the region provider\n"
            );
        } else {
            dev_warn!(
                r.as_ref(),
                "CONFIG_CXL_MCE disabled, MCE notifier not registered\n"
            );
        }
    }
    poison::setup(r, dev)?;
    // An accelerator driver attached to a member memdev manages the region itself.
    let attached = {
        let g = RegionRead::lock_interruptible()?;
        let attached = r.targets(&g).any(|t| t.memdev().has_attach());
        attached
    };
    if attached {
        return Ok(());
    }
    // Memory scrub control for RAM and PMEM regions, as C; its failure is only logged. None for
    // Dynamic Capacity regions: their memory comes and goes by extent, and the series (as far as
    // its notes go) names no EDAC rule for them.
    if matches!(r.mode(), Some(PartMode::Ram | PartMode::Pmem)) && r.register_edac(dev).is_err() {
        dev_dbg!(
            r.as_ref(),
            "CXL EDAC registration for region_id={} failed\n",
            r.id()
        );
    }
    match r.mode() {
        // A region any part of which is already online as System RAM is not CXL's to manage.
        Some(PartMode::Ram | PartMode::DynamicRam1) if r.overlaps_system_ram(hpa) => Ok(()),
        Some(PartMode::Ram) => r.add_dax_region(dev, dc::dax_region_gone).map(|_| ()),
        Some(PartMode::DynamicRam1) => {
            let dax = r.add_dax_region(dev, dc::dax_region_gone)?;
            dc::dax_region_added(r, dax);
            Ok(())
        }
        Some(PartMode::Pmem) => r.add_pmem_region(dev),
        None => Err(ENXIO),
    }
}

/// The region provider: its attributes and what the core calls into.
struct RegionProvider;

impl Provider for RegionProvider {
    const REGION_GROUPS: &'static [&'static Group] = attrs::REGION_GROUPS;
    const ROOT_DECODER_GROUP: &'static Group = &attrs::ROOT_DECODER_GROUP;
    const DECODER_GROUP: &'static Group = &attrs::DECODER_GROUP;
    const EXTENT_GROUP: &'static Group = &attrs::EXTENT_GROUP;
    const ACCESS_GROUPS: [&'static Group; 2] = [&attrs::ACCESS0_GROUP, &attrs::ACCESS1_GROUP];

    fn remove_regions(rd: &RootDecoder, dying: bool) {
        rd.remove_all_regions(dying, detach_all);
    }

    fn decoder_unregister(cxled: &topology::EndpointDecoder) {
        attach::decoder_unregister(cxled);
    }

    type Dc = dc::DcState;

    fn dc_event(dc: &kernel::sync::Mutex<dc::DcState>, mds: &topology::MemdevState, record: &[u8]) {
        dc::event(dc, mds, record);
    }

    fn dc_shutdown(dc: &kernel::sync::Mutex<dc::DcState>) {
        dc::shutdown(dc);
    }

    fn dc_timer(dc: &kernel::sync::Mutex<dc::DcState>) -> Option<u64> {
        dc::timer(dc)
    }

    fn dc_timer_slot(
        dc: &mut dc::DcState,
    ) -> &mut Option<kernel::sync::Arc<provider::DcTimer<Self>>> {
        &mut dc.timer
    }

    fn dc_memdev_gone(dc: &kernel::sync::Mutex<dc::DcState>, md: &topology::Memdev) {
        dc::memdev_gone(dc, md);
    }

    fn poison_by_endpoint(port: &topology::Port, held: &cxl::rwsem::CoreHeld) -> Result {
        poison::by_endpoint(port, held)
    }

    fn dpa_to_region<'a>(
        md: &'a topology::Memdev,
        dpa: u64,
        held: &'a cxl::rwsem::CoreHeld,
    ) -> Option<&'a Region> {
        poison::dpa_to_region(md, dpa, held)
    }

    fn dpa_to_hpa(
        r: &Region,
        md: &topology::Memdev,
        dpa: u64,
        held: &cxl::rwsem::CoreHeld,
    ) -> Option<u64> {
        poison::dpa_to_hpa(r, md, dpa, held)
    }

    fn region_poison(
        r: &Region,
        offset: u64,
        clear: bool,
        held: &cxl::region::RegionDpaRead,
    ) -> Result {
        poison::region_poison(r, offset, clear, held)
    }

    fn add_to_region(cxled: &topology::EndpointDecoder) -> Result {
        auto::add_to_region(cxled)
    }

    fn registered() {
        auto::discover_all();
    }

    fn memdev_attach_region(
        md: &topology::Memdev,
    ) -> Result<(kernel::sync::aref::ARef<Region>, cxl::Range)> {
        auto::memdev_attach_region(md)
    }

    fn unregister_region(r: &Region) {
        let rd = r.root_decoder();
        let mut regions = rd.lock_regions_uninterruptible();
        if regions.get(r.id()).is_some_and(|x| core::ptr::eq(x, r)) {
            regions.unregister_id(r.id(), detach_all);
        }
    }

    /// `cxl_region_contains_resource()` and `region_contains_resource()`. C's
    /// `resource_contains()` also compares the two resources' types; both are always
    /// `IORESOURCE_MEM` here (a region's HPA, `dax_hmem`'s Soft Reserved range).
    fn contains_resource(range: cxl::Range) -> bool {
        let g = RegionRead::lock();
        let mut found = false;
        cxl::region::for_each_region(|r| {
            found =
                r.state(&g) == ConfigState::Commit && r.hpa(&g).is_some_and(|h| h.contains(&range));
            found
        });
        found
    }
}

/// `create_region_store()` and `__create_region()`: the compare-and-exchange naming protocol.
/// The writer names the id it read from `create_*_region`; only one writer of that id wins, the
/// others get `-EBUSY`.
#[inline(always)]
fn create_region(rd: &RootDecoder, input: &StoreInput<'_>, mode: PartMode) -> Result {
    let id = sysfs_input::scan_region_id(input.bytes()).ok_or(EINVAL)?;
    let mut regions = rd.lock_regions()?;
    create_region_locked(&mut regions, rd, id, mode, cxl::region::HOSTONLYMEM)?;
    Ok(())
}

/// `__create_region()` with `regions_lock` held: `region<id>` if `id` is still the one offered
/// (`-EBUSY` if another writer took it), for memory of `target_type`.
fn create_region_locked<'a>(
    regions: &'a mut RegionsGuard<'_>,
    rd: &RootDecoder,
    id: i32,
    mode: PartMode,
    target_type: u32,
) -> Result<&'a Region> {
    if regions.is_dead() {
        return Err(ENXIO);
    }
    let next = cxl::region::memregion_alloc()?;
    if rd.region_id().cmpxchg(id, next, Full).is_err() {
        cxl::region::memregion_free(next);
        return Err(EBUSY);
    }
    regions.add_region(id, mode, target_type)
}

/// The targets leave a region being unregistered (its sysfs is closed, so the ways are fixed).
/// The lock is taken whatever signals are pending: a region must not go with its decoders still
/// committed.
fn detach_all(r: &Region) {
    for pos in 0..r.interleave_ways_unlocked().max(0) as usize {
        attach::detach_target_unregister(r, pos);
    }
}

/// `delete_region_store()`: unregisters the region whatever its state, as C does.
#[inline(always)]
fn delete_region(rd: &RootDecoder, input: &StoreInput<'_>) -> Result {
    let mut regions = rd.lock_regions()?;
    let id = sysfs_input::scan_region_id(input.bytes()).ok_or(EINVAL)?;
    let region = regions.get(id).ok_or(ENODEV)?;
    if !sysfs_input::sysfs_streq(input.bytes(), region.name().to_bytes()) {
        return Err(ENODEV);
    }
    regions.unregister_id(id, detach_all);
    Ok(())
}

/// `set_interleave_ways()`: value checks first, then `-EBUSY` once the HPA is allocated.
#[inline(always)]
fn set_interleave_ways(r: &Region, g: &RegionWrite, val: i32) -> Result {
    // A Dynamic Capacity region maps one device: its extents are per device. Checked first, as
    // the upstream series does.
    if r.mode() == Some(PartMode::DynamicRam1) && val != 1 {
        dev_err!(r.as_ref(), "Interleaving and DCD not supported\n");
        return Err(EINVAL);
    }
    let root = r.root_decoder().interleave();
    interleave::check_region_ways(val, root.ways as u32).map_err(|_| EINVAL)?;
    if r.state(g) >= ConfigState::InterleaveActive {
        return Err(EBUSY);
    }
    r.set_interleave_ways(g, val, &attrs::TARGET_GROUP)
}

/// `set_interleave_granularity()`.
fn set_interleave_granularity(r: &Region, g: &RegionWrite, val: i32) -> Result {
    let root = r.root_decoder().interleave();
    interleave::check_region_granularity(val, root.ways as u32, root.granularity as u32)
        .map_err(|_| EINVAL)?;
    if r.state(g) >= ConfigState::InterleaveActive {
        return Err(EBUSY);
    }
    r.set_interleave_granularity(g, val);
    Ok(())
}

/// `alloc_hpa()`.
fn alloc_hpa(r: &Region, g: &RegionWrite, size: u64) -> Result {
    if let Some(hpa) = r.hpa(g) {
        // The same size again is a no-op; another one needs the old freed first.
        return if hpa.size() == size {
            Ok(())
        } else {
            Err(EBUSY)
        };
    }
    if r.state(g) >= ConfigState::InterleaveActive {
        return Err(EBUSY);
    }
    let Interleave {
        ways,
        granularity: gran,
    } = r.interleave(g);
    // Ways, granularity and the UUID of a PMEM region come first.
    if ways == 0 || gran == 0 || (r.mode() == Some(PartMode::Pmem) && r.uuid(g) == [0; 16]) {
        return Err(ENXIO);
    }
    if size % (SZ_256M * ways as u64) != 0 {
        return Err(EINVAL);
    }
    r.alloc_hpa(g, size)?;
    r.set_state(g, ConfigState::InterleaveActive);
    Ok(())
}

/// `free_hpa()`.
fn free_hpa(r: &Region, g: &RegionWrite) -> Result {
    if r.hpa(g).is_none() {
        return Ok(());
    }
    if r.state(g) >= ConfigState::Active {
        return Err(EBUSY);
    }
    r.release_hpa(g);
    r.set_state(g, ConfigState::Idle);
    Ok(())
}
