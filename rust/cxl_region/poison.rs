// SPDX-License-Identifier: GPL-2.0

//! Poison and address translation for the core's poison and event record paths
//! (`cxl_get_poison_by_endpoint()`, `cxl_dpa_to_region()`, `cxl_dpa_to_hpa()` of `region.c`): the
//! core calls them with `cxl_rwsem.region` and `cxl_rwsem.dpa` held for reading ([`CoreHeld`]),
//! to list a memdev's poison by the decoders that map it and to name the region and HPA in the
//! `cxl_poison`, `cxl_general_media` and `cxl_dram` trace records.

use crate::cxl::{
    cxl_bindings as c, interleave,
    region::{Interleave, Region, RegionDpaRead, RegionLocked},
    rwsem::{CoreHeld, Held},
    topology::{DpaSem, Memdev, Port},
};
use kernel::prelude::*;

/// `cxl_mem_get_poison()` for a partition of mode `mode`: an invalid physical address is not an
/// error in a RAM partition (device support for volatile poison is optional).
fn get_poison(md: &Memdev, offset: u64, len: u64, r: Option<&Region>, mode: Option<u32>) -> Result {
    match md.get_poison(offset, len, r) {
        Err(e) if e == EFAULT && mode == Some(c::cxl_partition_mode_CXL_PARTMODE_RAM) => Ok(()),
        rc => rc,
    }
}

/// `cxl_get_poison_by_endpoint()`: each decoder with DPA, in id order up to the last committed
/// one, lists what it skips (unattributed) and what it maps (attributed to its region); then the
/// rest of the device after the last committed decoder's partition allocations
/// (`cxl_get_poison_unmapped()`).
pub(crate) fn by_endpoint(port: &Port, held: &CoreHeld) -> Result {
    let md = port.endpoint_memdev().ok_or(EINVAL)?;
    let commit_end = port.commit_end(held);
    let mut rc = Ok(());
    let mut tail = None;
    port.for_each_endpoint_decoder(held, |cxled| {
        let Some((start, end)) = cxled.dpa_range(held) else {
            return true;
        };
        let part = cxled.part(held);
        let mode = md.part_mode(part).ok().flatten();
        let skip = cxled.skip(held);
        if skip != 0 {
            rc = get_poison(md, start.wrapping_sub(skip), skip, None, mode);
            if rc.is_err() {
                return false;
            }
        }
        rc = get_poison(md, start, end - start, cxled.decoder().region(held), mode);
        if rc.is_err() {
            return false;
        }
        if cxled.decoder().id() == commit_end {
            tail = Some(part);
            return false;
        }
        true
    });
    rc?;
    let Some(part) = tail.and_then(|p| usize::try_from(p).ok()) else {
        return Ok(());
    };
    for i in part.. {
        let Some((offset, length, mode)) = md.part_tail(i, held)? else {
            break;
        };
        if length == 0 {
            break;
        }
        get_poison(md, offset, length, None, Some(mode))?;
    }
    Ok(())
}

/// `cxl_dpa_to_region()`: the region of the endpoint decoder of `md` whose DPA allocation holds
/// `dpa`; `None` when no decoder maps it, or its decoder has no region (yet).
pub(crate) fn dpa_to_region<'a>(
    md: &'a Memdev,
    dpa: u64,
    held: &'a CoreHeld,
) -> Option<&'a Region> {
    if !md.is_bound() {
        return None;
    }
    let port = md.endpoint(held)?;
    if !port.has_committed(held) {
        return None;
    }
    let mut found = None;
    port.for_each_endpoint_decoder(held, |cxled| match cxled.dpa_range(held) {
        Some((start, end)) if start < end && (start..end).contains(&dpa) => {
            found = Some(cxled.decoder().region(held));
            false
        }
        _ => true,
    });
    found.flatten()
}

/// `cxl_dpa_to_hpa()`: the HPA of `dpa` of `md` in region `r`, through the region's interleave
/// (and the root decoder's XOR translation, if any), checked to fall in the region and, for
/// modulo arithmetic, in the chunk of `md`'s position.
pub(crate) fn dpa_to_hpa(r: &Region, md: &Memdev, dpa: u64, held: &CoreHeld) -> Option<u64> {
    if r.flag(held, c::CXL_REGION_F_NORMALIZED_ADDRESSING) {
        return None;
    }
    let cxled = r.targets(held).find(|t| t.memdev() == md)?;
    let (base, _) = cxled.dpa_range(held)?;
    let res = r.hpa(held)?;
    let rd = r.root_decoder();
    let ig = r.interleave(held);
    let pos = cxled.pos(held);
    let mod3 = unaligned_mod3(r, held);
    let hpa = match mod3 {
        Some(m) => interleave::unaligned_dpa_to_hpa(&m, pos, dpa.wrapping_sub(base))?,
        None => {
            let (eiw, eig) = encodings(ig)?;
            interleave::hpa_offset(dpa.wrapping_sub(base), pos, eiw, eig)
                .ok()?
                .wrapping_add(res.start)
        }
    };
    let hpa = hpa.wrapping_add(r.cache_size(held));
    let xor = rd.hpa_to_spa(hpa);
    let hpa = xor.unwrap_or(hpa);
    if hpa == u64::MAX || !(res.start..=res.end).contains(&hpa) {
        return None;
    }
    // The chunk check applies to aligned modulo arithmetic only (`cxl_is_hpa_in_chunk()`).
    if xor.is_none() && mod3.is_none() {
        let (gran, ways) = (
            u64::try_from(ig.granularity).ok()?,
            u64::try_from(ig.ways).ok()?,
        );
        let offset = (hpa - res.start) % (gran * ways);
        let pos = u64::try_from(pos).ok()?;
        if !(pos * gran..(pos + 1) * gran).contains(&offset) {
            return None;
        }
    }
    Some(hpa)
}

/// `cxl_region_setup_poison()`: the region's debugfs `inject_poison` and `clear_poison`, when
/// every member memdev can inject and clear poison (not with normalized addressing, where there
/// is no SPA to DPA translation).
pub(crate) fn setup(
    r: &Region,
    dev: &crate::cxl::driver::RegionDevice<kernel::device::Bound>,
) -> Result {
    {
        let g = crate::cxl::region::RegionRead::lock_interruptible()?;
        if r.flag(&g, c::CXL_REGION_F_NORMALIZED_ADDRESSING) {
            return Ok(());
        }
        if !r
            .targets(&g)
            .all(|t| t.memdev().can_inject_and_clear_poison())
        {
            return Ok(());
        }
    }
    r.add_poison_debugfs(dev)
}

/// A write of the region's debugfs `inject_poison` / `clear_poison`
/// (`cxl_region_debugfs_poison_inject()` / `_clear()`): `offset` into the region, checked to lie
/// in it past the extended linear cache, translated to a memdev and DPA.
pub(crate) fn region_poison(r: &Region, offset: u64, clear: bool, held: &RegionDpaRead) -> Result {
    let res = r.hpa(held).ok_or(EINVAL)?;
    let cache = r.cache_size(held);
    if offset < cache {
        dev_err!(
            r.as_ref(),
            "Offset {:#x} is within extended linear cache {:#x}\n",
            offset,
            cache
        );
        return Err(EINVAL);
    }
    let size = res.end - res.start + 1;
    if offset >= size {
        dev_err!(
            r.as_ref(),
            "Offset {:#x} exceeds region size {:#x}\n",
            offset,
            size
        );
        return Err(EINVAL);
    }
    let (md, dpa) = offset_to_dpa(r, offset - cache, held)?;
    md.poison_locked(dpa, clear, held)
}

/// `region_offset_to_dpa_result()`: the memdev and DPA that region offset `offset` decodes to,
/// through the root decoder's SPA to HPA translation, if any, and the modulo arithmetic.
fn offset_to_dpa<'a>(
    r: &'a Region,
    offset: u64,
    held: &'a (impl RegionLocked + Held<DpaSem>),
) -> Result<(&'a Memdev, u64)> {
    let res = r.hpa(held).ok_or(ENXIO)?;
    let rd = r.root_decoder();
    let hpa_offset = match rd.spa_to_hpa(res.start + offset) {
        None => offset,
        Some(u64::MAX) => return Err(ENXIO),
        Some(hpa) => hpa.wrapping_sub(res.start),
    };
    if let Some(m) = unaligned_mod3(r, held) {
        // `unaligned_region_offset_to_dpa_result()`: not invertible algebraically; the device
        // whose DPA offset maps back to the HPA is the one.
        let hpa = res.start + offset;
        let dpa_offset = interleave::unaligned_dpa_offset(&m, offset);
        let found = r
            .targets(held)
            .find(|t| interleave::unaligned_dpa_to_hpa(&m, t.pos(held), dpa_offset) == Some(hpa));
        let Some(cxled) = found else {
            dev_err!(
                r.as_ref(),
                "failed to resolve HPA {:#x} in unaligned MOD3 region\n",
                hpa
            );
            return Err(ENXIO);
        };
        let (base, _) = cxled.dpa_range(held).ok_or(EINVAL)?;
        return Ok((cxled.memdev(), base + dpa_offset));
    }
    let (eiw, eig) = encodings(r.interleave(held)).ok_or(ENXIO)?;
    let invalid = |_| ENXIO;
    let pos = interleave::position(hpa_offset, eiw, eig).map_err(invalid)?;
    if pos >= r.nr_targets(held) {
        return Err(ENXIO);
    }
    let dpa_offset = interleave::dpa_offset(hpa_offset, eiw, eig).map_err(invalid)?;
    let cxled = r.targets(held).find(|t| t.pos(held) == pos);
    let Some(cxled) = cxled else {
        dev_err!(r.as_ref(), "No device found for position {}\n", pos);
        return Err(ENXIO);
    };
    let (base, _) = cxled.dpa_range(held).ok_or(EINVAL)?;
    Ok((cxled.memdev(), base + dpa_offset))
}

/// The encodings of a region's ways and granularity (valid in a region with HPA: its ways and
/// granularity were checked when set).
fn encodings(ig: Interleave) -> Option<(u8, u16)> {
    let eiw = interleave::ways_to_eiw(u32::try_from(ig.ways).ok()?).ok()?;
    Some((eiw, interleave::granularity_to_eig(ig.granularity).ok()?))
}

/// The layout of `r` for the unaligned MOD3 arithmetic when `r` needs it
/// (`region_is_unaligned_mod3()`: a window interleaving 3, 6 or 12 host bridges, the region not
/// starting at a multiple of host bridge ways x 256 MiB), else `None`.
fn unaligned_mod3(r: &Region, held: &impl RegionLocked) -> Option<interleave::Mod3> {
    let root = r.root_decoder().interleave();
    let hb_ways = u32::try_from(root.ways).ok()?;
    let start = r.hpa(held)?.start;
    if !interleave::is_unaligned_mod3(hb_ways, start) {
        return None;
    }
    let ig = r.interleave(held);
    Some(interleave::Mod3 {
        ways: u32::try_from(ig.ways).ok()?,
        granularity: u64::try_from(ig.granularity).ok()?,
        hb_ways,
        hb_granularity: u64::try_from(root.granularity).ok()?,
        start,
    })
}
