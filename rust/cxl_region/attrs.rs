// SPDX-License-Identifier: GPL-2.0

//! The sysfs attributes of `cxl_region`, each a small typed `show`/`store` pair in the order of
//! `region.c`, and the groups they form: root decoders, switch and endpoint decoders, regions.
//!
//! The stores, and the functions with one caller on their paths to the core's allocating calls,
//! are `#[inline(always)]`: with KASAN and kmemleak every allocation saves a stack trace, and the
//! unwinder pays a module lookup for each of our frames in it, where a frame of C built into the
//! kernel costs a table lookup (`Documentation/design.rst`, "What a step costs against the C").

use crate::cxl::extent_dev::ExtentDev;
use crate::cxl::flags::RootAttr;
use crate::cxl::region::RootDecoder;
use crate::cxl::region::{ConfigState, Coordinate, PartMode, Region, RegionRead, RegionWrite};
use crate::cxl::sysfs::{attr, AttrList, Attribute, Group, ShowBuf, StoreInput, END};
use crate::cxl::topology::PortDecoder;
use crate::{attach, sysfs_input};
use kernel::{prelude::*, sync::atomic::Relaxed};

// Root decoders: added to every root decoder while the module is loaded.

/// `cxl_root_decoder_visible()`: `mode` where the root decoder offers `which`.
fn root_visible(rd: &RootDecoder, which: RootAttr, mode: u16) -> u16 {
    if rd.attr_visible(which) {
        mode
    } else {
        0
    }
}

/// `__create_region_show()`: the next id, printed unsigned as C does. Every `create_*_region`
/// attribute offers the same id.
fn create_region_show(rd: &RootDecoder, out: &mut ShowBuf) -> Result {
    // CAST: C prints the `int` with `%u`.
    out.emit(fmt!("region{}\n", rd.region_id().load(Relaxed) as u32))
}

/// `create_ram_region` (`DC` false) and `create_dynamic_ram_1_region` (`DC` true).
pub(crate) struct CreateRegion<const DC: bool>;

impl<const DC: bool> CreateRegion<DC> {
    const PART_MODE: PartMode = if DC {
        PartMode::DynamicRam1
    } else {
        PartMode::Ram
    };
    const ROOT_ATTR: RootAttr = if DC {
        RootAttr::CreateDynamicRam1
    } else {
        RootAttr::CreateRam
    };
}

impl<const DC: bool> Attribute<RootDecoder> for CreateRegion<DC> {
    const NAME: &'static CStr = if DC {
        c"create_dynamic_ram_1_region"
    } else {
        c"create_ram_region"
    };
    const MODE: u16 = 0o644;

    fn show(rd: &RootDecoder, out: &mut ShowBuf) -> Result {
        create_region_show(rd, out)
    }

    #[inline(always)]
    fn store(rd: &RootDecoder, input: &StoreInput<'_>) -> Result {
        crate::create_region(rd, input, Self::PART_MODE)
    }

    fn visible(rd: &RootDecoder, mode: u16) -> u16 {
        root_visible(rd, Self::ROOT_ATTR, mode)
    }
}

/// `create_pmem_region`.
pub(crate) struct CreatePmemRegion;

impl Attribute<RootDecoder> for CreatePmemRegion {
    const NAME: &'static CStr = c"create_pmem_region";
    const MODE: u16 = 0o644;

    fn show(rd: &RootDecoder, out: &mut ShowBuf) -> Result {
        create_region_show(rd, out)
    }

    #[inline(always)]
    fn store(rd: &RootDecoder, input: &StoreInput<'_>) -> Result {
        crate::create_region(rd, input, PartMode::Pmem)
    }

    fn visible(rd: &RootDecoder, mode: u16) -> u16 {
        root_visible(rd, RootAttr::CreatePmem, mode)
    }
}

/// `delete_region`.
pub(crate) struct DeleteRegion;

impl Attribute<RootDecoder> for DeleteRegion {
    const NAME: &'static CStr = c"delete_region";
    const MODE: u16 = 0o200;

    #[inline(always)]
    fn store(rd: &RootDecoder, input: &StoreInput<'_>) -> Result {
        crate::delete_region(rd, input)
    }

    fn visible(rd: &RootDecoder, mode: u16) -> u16 {
        root_visible(rd, RootAttr::Delete, mode)
    }
}

static ROOT_DECODER_ATTRS: AttrList<5> = AttrList::new([
    attr::<RootDecoder, CreatePmemRegion>(),
    attr::<RootDecoder, CreateRegion<false>>(),
    attr::<RootDecoder, CreateRegion<true>>(),
    attr::<RootDecoder, DeleteRegion>(),
    END,
]);

/// The root decoder attributes.
pub(crate) static ROOT_DECODER_GROUP: Group = Group::new(None, &ROOT_DECODER_ATTRS);

// Switch and endpoint decoders.

/// `region`: the region a decoder belongs to.
pub(crate) struct DecoderRegion;

impl Attribute<PortDecoder> for DecoderRegion {
    const NAME: &'static CStr = c"region";
    const MODE: u16 = 0o444;

    fn show(d: &PortDecoder, out: &mut ShowBuf) -> Result {
        let g = RegionRead::lock_interruptible()?;
        match d.region(&g) {
            Some(r) => out.emit(fmt!("{}\n", r.name())),
            None => out.emit(fmt!("\n")),
        }
    }
}

static DECODER_ATTRS: AttrList<2> = AttrList::new([attr::<PortDecoder, DecoderRegion>(), END]);

/// The switch and endpoint decoder attributes.
pub(crate) static DECODER_GROUP: Group = Group::new(None, &DECODER_ATTRS);

// Regions.

/// `uuid`: empty and read-only for RAM and DC regions (tooling expects it on every region).
pub(crate) struct Uuid;

impl Attribute<Region> for Uuid {
    const NAME: &'static CStr = c"uuid";
    const MODE: u16 = 0o644;

    fn show(r: &Region, out: &mut ShowBuf) -> Result {
        let g = RegionRead::lock_interruptible()?;
        if r.mode() != Some(PartMode::Pmem) {
            return out.emit(fmt!("\n"));
        }
        // `%pUb`: the 16 bytes in order, lower case, dashes after 4, 6, 8 and 10.
        let b = r.uuid(&g);
        out.emit(fmt!(
            "{:02x}{:02x}{:02x}{:02x}-{:02x}{:02x}-{:02x}{:02x}-{:02x}{:02x}-{:02x}{:02x}{:02x}{:02x}{:02x}{:02x}\n",
            b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12],
            b[13], b[14], b[15]
        ))
    }

    /// `uuid_store()`: a PMEM region's UUID, unique among regions, until it is active.
    #[inline(always)]
    fn store(r: &Region, input: &StoreInput<'_>) -> Result {
        // UUID_STRING_LEN and the newline.
        if input.bytes().len() != 37 {
            return Err(EINVAL);
        }
        let uuid = input.to_uuid()?;
        if uuid == [0; 16] {
            return Err(EINVAL);
        }
        let g = RegionWrite::lock_killable()?;
        if r.uuid(&g) == uuid {
            return Ok(());
        }
        if r.state(&g) >= ConfigState::Active {
            return Err(EBUSY);
        }
        // `is_dup()`.
        let mut dup = false;
        crate::cxl::region::for_each_region(|other| {
            dup = other.uuid(&g) == uuid;
            dup
        });
        if dup {
            return Err(EBUSY);
        }
        r.set_uuid(&g, uuid);
        Ok(())
    }

    fn visible(r: &Region, mode: u16) -> u16 {
        if r.mode() == Some(PartMode::Pmem) {
            mode
        } else {
            0o444
        }
    }
}

/// `commit`.
pub(crate) struct Commit;

impl Attribute<Region> for Commit {
    const NAME: &'static CStr = c"commit";
    const MODE: u16 = 0o644;

    fn show(r: &Region, out: &mut ShowBuf) -> Result {
        let g = RegionRead::lock_interruptible()?;
        let committed = r.state(&g) == ConfigState::Commit;
        out.emit(fmt!("{}\n", u8::from(committed)))
    }

    #[inline(always)]
    fn store(r: &Region, input: &StoreInput<'_>) -> Result {
        attach::commit_store(r, kernel::str::kstrtobool_bytes(input.bytes())?)
    }
}

/// `interleave_ways`.
pub(crate) struct InterleaveWays;

impl Attribute<Region> for InterleaveWays {
    const NAME: &'static CStr = c"interleave_ways";
    const MODE: u16 = 0o644;

    fn show(r: &Region, out: &mut ShowBuf) -> Result {
        let g = RegionRead::lock_interruptible()?;
        out.emit(fmt!("{}\n", r.interleave(&g).ways))
    }

    #[inline(always)]
    fn store(r: &Region, input: &StoreInput<'_>) -> Result {
        let val = input.to_int()?;
        let g = RegionWrite::lock_killable()?;
        crate::set_interleave_ways(r, &g, val)
    }
}

/// `interleave_granularity`.
pub(crate) struct InterleaveGranularity;

impl Attribute<Region> for InterleaveGranularity {
    const NAME: &'static CStr = c"interleave_granularity";
    const MODE: u16 = 0o644;

    fn show(r: &Region, out: &mut ShowBuf) -> Result {
        let g = RegionRead::lock_interruptible()?;
        out.emit(fmt!("{}\n", r.interleave(&g).granularity))
    }

    #[inline(always)]
    fn store(r: &Region, input: &StoreInput<'_>) -> Result {
        let val = input.to_int()?;
        let g = RegionWrite::lock_killable()?;
        crate::set_interleave_granularity(r, &g, val)
    }
}

/// `resource`: the start of the HPA range, all ones without one.
pub(crate) struct Resource;

impl Attribute<Region> for Resource {
    const NAME: &'static CStr = c"resource";
    const MODE: u16 = 0o444;

    fn show(r: &Region, out: &mut ShowBuf) -> Result {
        let g = RegionRead::lock_interruptible()?;
        let start = r.hpa(&g).map_or(u64::MAX, |h| h.start);
        out.emit(fmt!("{start:#x}\n"))
    }
}

/// `size`: allocates (or frees, with 0) the HPA range.
pub(crate) struct Size;

impl Attribute<Region> for Size {
    const NAME: &'static CStr = c"size";
    const MODE: u16 = 0o644;

    fn show(r: &Region, out: &mut ShowBuf) -> Result {
        let g = RegionRead::lock_interruptible()?;
        let size = r.hpa(&g).map_or(0, |h| h.size());
        out.emit(fmt!("{size:#x}\n"))
    }

    #[inline(always)]
    fn store(r: &Region, input: &StoreInput<'_>) -> Result {
        let val = input.to_u64()?;
        let g = RegionWrite::lock_killable()?;
        if val != 0 {
            crate::alloc_hpa(r, &g, val)
        } else {
            crate::free_hpa(r, &g)
        }
    }
}

/// `mode`: no lock, the mode is constant.
pub(crate) struct Mode;

impl Attribute<Region> for Mode {
    const NAME: &'static CStr = c"mode";
    const MODE: u16 = 0o444;

    fn show(r: &Region, out: &mut ShowBuf) -> Result {
        let desc = match r.mode() {
            Some(PartMode::Ram) => "ram",
            Some(PartMode::Pmem) => "pmem",
            Some(PartMode::DynamicRam1) => "dynamic_ram_1",
            None => "",
        };
        out.emit(fmt!("{desc}\n"))
    }
}

/// `extended_linear_cache_size`, hidden without such a cache.
pub(crate) struct ExtendedLinearCacheSize;

impl Attribute<Region> for ExtendedLinearCacheSize {
    const NAME: &'static CStr = c"extended_linear_cache_size";
    const MODE: u16 = 0o444;

    fn show(r: &Region, out: &mut ShowBuf) -> Result {
        let g = RegionRead::lock_interruptible()?;
        // `%pap`: the value in hex, zero-padded to the width of a physical address.
        out.emit(fmt!("{:#018x}\n", r.cache_size(&g)))
    }

    // No lock, as in C (see `Region::cache_size_fixed`).
    fn visible(r: &Region, mode: u16) -> u16 {
        if r.cache_size_fixed() == 0 {
            0
        } else {
            mode
        }
    }
}

/// `locked`.
pub(crate) struct Locked;

impl Attribute<Region> for Locked {
    const NAME: &'static CStr = c"locked";
    const MODE: u16 = 0o444;

    fn show(r: &Region, out: &mut ShowBuf) -> Result {
        let g = RegionRead::lock_interruptible()?;
        out.emit(fmt!("{}\n", u8::from(r.locked(&g))))
    }
}

static REGION_ATTRS: AttrList<10> = AttrList::new([
    attr::<Region, Uuid>(),
    attr::<Region, Commit>(),
    attr::<Region, InterleaveWays>(),
    attr::<Region, InterleaveGranularity>(),
    attr::<Region, Resource>(),
    attr::<Region, Size>(),
    attr::<Region, Mode>(),
    attr::<Region, ExtendedLinearCacheSize>(),
    attr::<Region, Locked>(),
    END,
]);

pub(crate) static REGION_GROUP: Group = Group::new(None, &REGION_ATTRS);

/// `targetN`: the endpoint decoder at interleave position `N`; one file per interleave way.
pub(crate) struct Target<const N: usize>;

const TARGET_NAMES: [&CStr; 16] = [
    c"target0",
    c"target1",
    c"target2",
    c"target3",
    c"target4",
    c"target5",
    c"target6",
    c"target7",
    c"target8",
    c"target9",
    c"target10",
    c"target11",
    c"target12",
    c"target13",
    c"target14",
    c"target15",
];

// Sixteen attributes share one body each: the per-position callbacks only pass `N` on.
impl<const N: usize> Attribute<Region> for Target<N> {
    const NAME: &'static CStr = TARGET_NAMES[N];
    const MODE: u16 = 0o644;

    fn show(r: &Region, out: &mut ShowBuf) -> Result {
        target_show(r, N, out)
    }

    #[inline(always)]
    fn store(r: &Region, input: &StoreInput<'_>) -> Result {
        target_store(r, N, input)
    }

    fn visible(r: &Region, mode: u16) -> u16 {
        target_visible(r, N, mode)
    }
}

/// `show_targetN()`.
#[inline(never)]
fn target_show(r: &Region, pos: usize, out: &mut ShowBuf) -> Result {
    let g = RegionRead::lock_interruptible()?;
    if pos >= r.interleave(&g).ways as usize {
        return Err(ENXIO);
    }
    match r.target(&g, pos) {
        Some(t) => out.emit(fmt!("{}\n", t.name())),
        None => out.emit(fmt!("\n")),
    }
}

/// `store_targetN()`.
#[inline(never)]
fn target_store(r: &Region, pos: usize, input: &StoreInput<'_>) -> Result {
    if sysfs_input::sysfs_streq(input.bytes(), b"\n") {
        attach::detach_target(r, pos)
    } else {
        attach::attach_target(r, input.bytes(), pos)
    }
}

/// `cxl_region_target_visible()`: one file per interleave way.
#[inline(never)]
fn target_visible(r: &Region, pos: usize, mode: u16) -> u16 {
    if pos < r.interleave_ways_unlocked().max(0) as usize {
        mode
    } else {
        0
    }
}

static TARGET_ATTRS: AttrList<17> = AttrList::new([
    attr::<Region, Target<0>>(),
    attr::<Region, Target<1>>(),
    attr::<Region, Target<2>>(),
    attr::<Region, Target<3>>(),
    attr::<Region, Target<4>>(),
    attr::<Region, Target<5>>(),
    attr::<Region, Target<6>>(),
    attr::<Region, Target<7>>(),
    attr::<Region, Target<8>>(),
    attr::<Region, Target<9>>(),
    attr::<Region, Target<10>>(),
    attr::<Region, Target<11>>(),
    attr::<Region, Target<12>>(),
    attr::<Region, Target<13>>(),
    attr::<Region, Target<14>>(),
    attr::<Region, Target<15>>(),
    END,
]);

/// The `targetN` files, which follow `interleave_ways`.
pub(crate) static TARGET_GROUP: Group = Group::new(None, &TARGET_ATTRS);

/// `access<L>/<coordinate W>`: a QoS coordinate of access class `L`, shown only when known.
pub(crate) struct Access<const L: usize, const W: usize>;

const COORDINATES: [(&CStr, Coordinate); 4] = [
    (c"read_bandwidth", Coordinate::ReadBandwidth),
    (c"write_bandwidth", Coordinate::WriteBandwidth),
    (c"read_latency", Coordinate::ReadLatency),
    (c"write_latency", Coordinate::WriteLatency),
];

impl<const L: usize, const W: usize> Attribute<Region> for Access<L, W> {
    const NAME: &'static CStr = COORDINATES[W].0;
    const MODE: u16 = 0o444;

    fn show(r: &Region, out: &mut ShowBuf) -> Result {
        access_show(r, L, COORDINATES[W].1, out)
    }

    fn visible(r: &Region, mode: u16) -> u16 {
        access_visible(r, L, COORDINATES[W].1, mode)
    }
}

/// `<coordinate>_access<L>_show()`: no lock, `-ENOENT` for an unknown coordinate.
#[inline(never)]
fn access_show(r: &Region, level: usize, what: Coordinate, out: &mut ShowBuf) -> Result {
    match r.coordinate(level, what) {
        0 => Err(ENOENT),
        v => out.emit(fmt!("{v}\n")),
    }
}

/// `cxl_region_access<L>_coordinate_visible()`: only known coordinates.
#[inline(never)]
fn access_visible(r: &Region, level: usize, what: Coordinate, mode: u16) -> u16 {
    if r.coordinate(level, what) == 0 {
        0
    } else {
        mode
    }
}

static ACCESS0_ATTRS: AttrList<5> = AttrList::new([
    attr::<Region, Access<0, 0>>(),
    attr::<Region, Access<0, 1>>(),
    attr::<Region, Access<0, 2>>(),
    attr::<Region, Access<0, 3>>(),
    END,
]);

static ACCESS1_ATTRS: AttrList<5> = AttrList::new([
    attr::<Region, Access<1, 0>>(),
    attr::<Region, Access<1, 1>>(),
    attr::<Region, Access<1, 2>>(),
    attr::<Region, Access<1, 3>>(),
    END,
]);

/// `access0/`: the coordinates for initiators in the region's node.
pub(crate) static ACCESS0_GROUP: Group = Group::new(Some(c"access0"), &ACCESS0_ATTRS);
/// `access1/`: the coordinates for CPU initiators.
pub(crate) static ACCESS1_GROUP: Group = Group::new(Some(c"access1"), &ACCESS1_ATTRS);

/// The groups of a region device (`cxl_region_type.groups`), after the core's base group.
pub(crate) const REGION_GROUPS: &[&Group] =
    &[&REGION_GROUP, &TARGET_GROUP, &ACCESS0_GROUP, &ACCESS1_GROUP];

// Extents: `extentZ.N` under a DC region's `dax_regionZ`.

/// `offset`: the extent's offset in the region's HPA range.
pub(crate) struct ExtentOffset;

impl Attribute<ExtentDev> for ExtentOffset {
    const NAME: &'static CStr = c"offset";
    const MODE: u16 = 0o444;

    fn show(e: &ExtentDev, out: &mut ShowBuf) -> Result {
        out.emit(fmt!("{:#x}\n", e.offset()))
    }
}

/// `length`: the extent's length in bytes.
pub(crate) struct ExtentLength;

impl Attribute<ExtentDev> for ExtentLength {
    const NAME: &'static CStr = c"length";
    const MODE: u16 = 0o444;

    fn show(e: &ExtentDev, out: &mut ShowBuf) -> Result {
        out.emit(fmt!("{:#x}\n", e.length()))
    }
}

/// `uuid`: the extent's tag, hidden when untagged.
pub(crate) struct ExtentUuid;

impl Attribute<ExtentDev> for ExtentUuid {
    const NAME: &'static CStr = c"uuid";
    const MODE: u16 = 0o444;

    fn show(e: &ExtentDev, out: &mut ShowBuf) -> Result {
        let t = e.tag();
        out.emit(fmt!(
            "{:02x}{:02x}{:02x}{:02x}-{:02x}{:02x}-{:02x}{:02x}-{:02x}{:02x}-\
             {:02x}{:02x}{:02x}{:02x}{:02x}{:02x}\n",
            t[0],
            t[1],
            t[2],
            t[3],
            t[4],
            t[5],
            t[6],
            t[7],
            t[8],
            t[9],
            t[10],
            t[11],
            t[12],
            t[13],
            t[14],
            t[15]
        ))
    }

    fn visible(e: &ExtentDev, mode: u16) -> u16 {
        if e.tag() == [0; 16] {
            0
        } else {
            mode
        }
    }
}

static EXTENT_ATTRS: AttrList<4> = AttrList::new([
    attr::<ExtentDev, ExtentOffset>(),
    attr::<ExtentDev, ExtentLength>(),
    attr::<ExtentDev, ExtentUuid>(),
    END,
]);

/// The attributes of extent devices.
pub(crate) static EXTENT_GROUP: Group = Group::new(None, &EXTENT_ATTRS);
