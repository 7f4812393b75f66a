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
//! same commit and dax region path as RAM (see `Documentation/dc-regions.md`).
//!
//! Unloading removes every region (as `delete_region` would) and the attributes; the root
//! decoders stay, and a reload offers region ids where they were.
//!
//! Target attach, decoder programming and commit are in [`attach`]; the `cxl_region` driver here
//! adds the `cxl_dax_region` child that `dax_cxl` binds. RAM and DC regions created through sysfs
//! only: PMEM regions, auto-assembly of firmware-committed decoders, poison listing and injection and
//! DPA->HPA translation for trace events are not ported (see `Documentation/design.md`).

// Each module uses part of the shared layer; the rest is dead code in this crate.
#[allow(dead_code)]
#[path = "../cxl/mod.rs"]
mod cxl;

#[path = "../cxl/region.rs"]
mod region_abi;

// `eiw_to_ways()` (decoding register values) is used by the host tests only.
#[allow(dead_code)]
#[path = "../cxl/interleave.rs"]
mod interleave;

#[path = "../cxl/sysfs_input.rs"]
mod sysfs_input;

#[path = "../cxl/topology.rs"]
mod topology;

mod attach;

use core::fmt::Write;
use kernel::{prelude::*, sync::atomic::Relaxed};
use region_abi::{
    Attr, ConfigState, Object, PartMode, Provider, Region, RegionLocked, RegionRead, RegionWrite,
    RootDecoder, ShowBuf, StoreInput,
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

/// The module: its registration with the core and the region driver. Dropped in field order:
/// the regions go with the provider, then the driver.
struct CxlRegionModule {
    _provider: region_abi::Registration,
    _driver: cxl::driver::Registration<CxlRegionDriver>,
}

impl kernel::Module for CxlRegionModule {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        let provider = region_abi::Registration::new()?;
        Ok(Self {
            _provider: provider,
            _driver: cxl::driver::Registration::new()?,
        })
    }
}

/// The `cxl_region` driver: a committed region gets its `dax_regionZ`.
struct CxlRegionDriver;

impl cxl::driver::Driver for CxlRegionDriver {
    const NAME: &'static CStr = c"cxl_region";
    const TYPE: cxl::DeviceType = cxl::DeviceType::Region;

    /// `cxl_region_probe()` for RAM regions created through sysfs. Not ported yet: the debugfs
    /// poison files, EDAC.
    fn probe(dev: &kernel::device::Device<kernel::device::Core<'_>>) -> Result {
        let r = Region::from_device(dev).ok_or(ENODEV)?;
        // `cxl_region_can_probe()`.
        let hpa = {
            let g = RegionRead::lock()?;
            if r.state(&g) < ConfigState::Commit {
                return Err(ENXIO);
            }
            if r.flag(&g, region_abi::REGION_F_NEEDS_RESET) {
                pr_err!(
                    "{}: failed to activate, re-commit region and retry\n",
                    r.name().to_str().unwrap_or("?")
                );
                return Err(ENXIO);
            }
            r.hpa(&g).ok_or(ENXIO)?
        };
        // From here on, whatever moves the region away from COMMIT releases the driver.
        r.register_notifiers()?;
        // An accelerator driver attached to a member memdev manages the region itself.
        let attached = {
            let g = RegionRead::lock()?;
            (0..r.nr_targets(&g) as usize)
                .filter_map(|i| r.target(&g, i))
                .any(|t| t.memdev().has_attach())
        };
        if attached {
            return Ok(());
        }
        match r.mode() {
            // A region any part of which is already online as System RAM is not CXL's to manage.
            Some(PartMode::Ram | PartMode::DynamicRam1) if r.overlaps_system_ram(hpa) => Ok(()),
            Some(PartMode::Ram | PartMode::DynamicRam1) => r.add_dax_region(),
            _ => Err(ENXIO),
        }
    }
}

/// The logic behind the attributes and the core's calls.
pub(crate) struct RegionProvider;

impl Provider for RegionProvider {
    fn show(obj: Object<'_>, attr: Attr, out: &mut ShowBuf) -> Result {
        match obj {
            Object::RootDecoder(rd) => root_decoder_show(rd, attr, out),
            Object::Decoder(d) => {
                let g = RegionRead::lock()?;
                let name = d.region(&g).map(Region::name);
                emit(
                    out,
                    format_args!("{}\n", name.map_or(Ok(""), |n| n.to_str()).unwrap_or("")),
                )
            }
            Object::Region(r) => region_show(r, attr, out),
        }
    }

    fn store(obj: Object<'_>, attr: Attr, input: &StoreInput<'_>) -> Result {
        match obj {
            Object::RootDecoder(rd) => match attr {
                Attr::CreateRamRegion => create_region(rd, input, PartMode::Ram),
                Attr::CreateDynamicRam1Region => create_region(rd, input, PartMode::DynamicRam1),
                Attr::DeleteRegion => delete_region(rd, input),
                _ => Err(EINVAL),
            },
            Object::Decoder(_) => Err(EINVAL),
            Object::Region(r) => region_store(r, attr, input),
        }
    }

    fn visible(obj: Object<'_>, attr: Attr, mode: u16) -> u16 {
        match (obj, attr) {
            // `cxl_root_decoder_visible()`.
            (Object::RootDecoder(rd), Attr::CreateRamRegion | Attr::CreateDynamicRam1Region)
                if !rd.can_create_ram() =>
            {
                0
            }
            (Object::RootDecoder(rd), Attr::DeleteRegion)
                if !rd.can_create_ram() && !rd.can_create_pmem() =>
            {
                0
            }
            // `cxl_region_visible()`: tooling expects `uuid` on every region.
            (Object::Region(r), Attr::Uuid) if r.mode() != Some(PartMode::Pmem) => 0o444,
            (Object::Region(r), Attr::ExtendedLinearCacheSize) => {
                // Visibility is evaluated at device_add() and on interleave_ways changes, with
                // or without the lock held by the caller; the cache size never changes for a
                // region created through sysfs.
                match RegionRead::lock() {
                    Ok(g) if r.cache_size(&g) != 0 => mode,
                    _ => 0,
                }
            }
            // `cxl_region_access<N>_coordinate_visible()`: only known coordinates.
            (Object::Region(r), Attr::Access(level, what)) => {
                if r.coordinate(level, what) == 0 {
                    0
                } else {
                    mode
                }
            }
            // `cxl_region_target_visible()`: one file per interleave way.
            (Object::Region(r), Attr::Target(pos)) => {
                if pos < r.interleave_ways_unlocked().max(0) as usize {
                    mode
                } else {
                    0
                }
            }
            _ => mode,
        }
    }

    fn remove_regions(rd: &RootDecoder, dying: bool) {
        rd.remove_all_regions(dying, detach_all);
    }

    fn decoder_unregister(cxled: &topology::EndpointDecoder) {
        attach::decoder_unregister(cxled);
    }
}

fn emit(out: &mut ShowBuf, args: core::fmt::Arguments<'_>) -> Result {
    out.write_fmt(args).map_err(|_| EINVAL)
}

fn root_decoder_show(rd: &RootDecoder, attr: Attr, out: &mut ShowBuf) -> Result {
    match attr {
        // `__create_region_show()`: the next id, printed unsigned as C does.
        // All `create_*_region` attributes name the same next id.
        Attr::CreateRamRegion | Attr::CreateDynamicRam1Region => emit(
            out,
            format_args!("region{}\n", rd.region_id().load(Relaxed) as u32),
        ),
        _ => Err(EINVAL),
    }
}

/// `create_region_store()` and `__create_region()`: the compare-and-exchange naming protocol.
/// The writer names the id it read from `create_*_region`; only one writer of that id wins, the
/// others get `-EBUSY`.
fn create_region(rd: &RootDecoder, input: &StoreInput<'_>, mode: PartMode) -> Result {
    let id = sysfs_input::scan_region_id(input.bytes()).ok_or(EINVAL)?;
    let mut regions = rd.lock_regions()?;
    if regions.is_dead() {
        return Err(ENXIO);
    }
    let next = region_abi::memregion_alloc()?;
    if rd
        .region_id()
        .cmpxchg(id, next, kernel::sync::atomic::Full)
        .is_err()
    {
        region_abi::memregion_free(next);
        return Err(EBUSY);
    }
    regions.add_region(id, mode)?;
    Ok(())
}

/// The targets leave a region being unregistered (its sysfs is closed, so the ways are fixed).
fn detach_all(r: &Region) {
    for pos in 0..r.interleave_ways_unlocked().max(0) as usize {
        let _ = attach::detach_target(r, pos);
    }
}

/// `delete_region_store()`: unregisters the region whatever its state, as C does.
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

fn region_show(r: &Region, attr: Attr, out: &mut ShowBuf) -> Result {
    match attr {
        // `<attr>_access<N>_show()`: no lock, -ENOENT for an unknown coordinate.
        Attr::Access(level, what) => {
            let v = r.coordinate(level, what);
            if v == 0 {
                return Err(ENOENT);
            }
            return emit(out, format_args!("{v}\n"));
        }
        // `mode_show()` takes no lock: the mode is constant.
        Attr::Mode => {
            let desc = match r.mode() {
                Some(PartMode::Ram) => "ram",
                Some(PartMode::Pmem) => "pmem",
                Some(PartMode::DynamicRam1) => "dynamic_ram_1",
                None => "",
            };
            return emit(out, format_args!("{desc}\n"));
        }
        _ => {}
    }
    let g = RegionRead::lock()?;
    match attr {
        // RAM regions have no UUID: an empty line, as C prints for them.
        Attr::Uuid => emit(out, format_args!("\n")),
        Attr::Commit => emit(
            out,
            format_args!("{}\n", u8::from(r.state(&g) == ConfigState::Commit)),
        ),
        Attr::InterleaveWays => emit(out, format_args!("{}\n", r.interleave(&g).0)),
        Attr::InterleaveGranularity => emit(out, format_args!("{}\n", r.interleave(&g).1)),
        Attr::Resource => {
            let start = r.hpa(&g).map_or(u64::MAX, |h| h.start);
            emit(out, format_args!("{start:#x}\n"))
        }
        Attr::Size => {
            let size = r.hpa(&g).map_or(0, |h| h.size());
            emit(out, format_args!("{size:#x}\n"))
        }
        // `%pap`: the value in hex, zero-padded to the width of a physical address.
        Attr::ExtendedLinearCacheSize => emit(out, format_args!("{:#018x}\n", r.cache_size(&g))),
        Attr::Locked => emit(out, format_args!("{}\n", u8::from(r.locked(&g)))),
        Attr::Target(pos) => show_target(r, &g, pos, out),
        _ => Err(EINVAL),
    }
}

/// `show_targetN()`.
fn show_target(r: &Region, g: &impl RegionLocked, pos: usize, out: &mut ShowBuf) -> Result {
    if pos >= r.interleave(g).0 as usize {
        return Err(ENXIO);
    }
    match r.target(g, pos) {
        Some(t) => emit(out, format_args!("{}\n", t.name().to_str().unwrap_or(""))),
        None => emit(out, format_args!("\n")),
    }
}

fn region_store(r: &Region, attr: Attr, input: &StoreInput<'_>) -> Result {
    match attr {
        Attr::InterleaveWays => {
            let val = input.to_int()?;
            let g = RegionWrite::lock()?;
            set_interleave_ways(r, &g, val)
        }
        Attr::InterleaveGranularity => {
            let val = input.to_int()?;
            let g = RegionWrite::lock()?;
            set_interleave_granularity(r, &g, val)
        }
        Attr::Size => {
            let val = input.to_u64()?;
            let g = RegionWrite::lock()?;
            if val != 0 {
                alloc_hpa(r, &g, val)
            } else {
                free_hpa(r, &g)
            }
        }
        Attr::Commit => attach::commit_store(r, kernel::str::kstrtobool_bytes(input.bytes())?),
        Attr::Target(pos) => {
            if sysfs_input::sysfs_streq(input.bytes(), b"\n") {
                attach::detach_target(r, pos)
            } else {
                attach::attach_target(r, input.bytes(), pos)
            }
        }
        _ => Err(EINVAL),
    }
}

/// `set_interleave_ways()`: value checks first, then `-EBUSY` once the HPA is allocated.
fn set_interleave_ways(r: &Region, g: &RegionWrite, val: i32) -> Result {
    let (root_ways, _) = r.root_decoder().interleave();
    interleave::check_region_ways(val, root_ways as u32).map_err(|_| EINVAL)?;
    // A Dynamic Capacity region maps one device: its extents are per device.
    if r.mode() == Some(PartMode::DynamicRam1) && val != 1 {
        return Err(EINVAL);
    }
    if r.state(g) >= ConfigState::InterleaveActive {
        return Err(EBUSY);
    }
    r.set_interleave_ways(g, val)
}

/// `set_interleave_granularity()`.
fn set_interleave_granularity(r: &Region, g: &RegionWrite, val: i32) -> Result {
    let (root_ways, root_gran) = r.root_decoder().interleave();
    interleave::check_region_granularity(val, root_ways as u32, root_gran as u32)
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
    let (ways, gran) = r.interleave(g);
    // Ways, granularity (and the UUID of a PMEM region) come first. PMEM regions are not ported:
    // one could only exist with a UUID this module cannot set, so it never gets HPA.
    if ways == 0 || gran == 0 || r.mode() == Some(PartMode::Pmem) {
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
