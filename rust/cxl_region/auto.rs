// SPDX-License-Identifier: GPL-2.0

//! Regions assembled from endpoint decoders that platform firmware committed:
//! `cxl_add_to_region()` and what it calls in `region.c`.
//!
//! Each such decoder (found committed at enumeration: enabled, state `AUTO`, its DPA reserved)
//! finds, or constructs, the region over its HPA range under the root decoder's `regions_lock`,
//! and is staged in its target list. The last to arrive sorts the targets into their interleave
//! positions, attaches them, checks (does not program) the decoders of every port against the
//! topology, and the region is committed as firmware left it, then bound to its driver.
//!
//! The core calls this from the probe of each endpoint port (the provider's `add_to_region`
//! op). Endpoints that probed before this module registered are found by [`discover_all`], which
//! replays that call for each of their committed decoders.

use crate::attach;
use crate::cxl::interleave::{self, ElcMismatch};
use crate::cxl::provider;
use crate::cxl::region::{
    self, ConfigState, Interleave, PartMode, Region, RegionRead, RegionWrite, RegionsGuard,
    RootDecoder, REGION_F_AUTO,
};
use crate::cxl::topology::{self, DecoderState, EndpointDecoder, Port};
use crate::cxl::Range;
use kernel::{prelude::*, sync::aref::ARef};

/// `cxl_add_to_region()`: only the root decoder's and the construction's errors are returned;
/// a failed attach is logged, as in C.
pub(crate) fn add_to_region(cxled: &EndpointDecoder) -> Result {
    let (range, il) = {
        let g = RegionRead::lock();
        (cxled.decoder().hpa_range(&g), cxled.decoder().interleave())
    };
    let rd = root_decoder(cxled, range)?;
    // One task constructs the region of a range, the others join it.
    let mut regions = rd.lock_regions_uninterruptible();
    if provider::closing() {
        return Err(ENXIO);
    }
    let found = regions
        .find(|r| r.maps(&RegionRead::lock(), range))
        .map(Region::get);
    let r = match found {
        Some(r) => r,
        None => construct_region(&mut regions, &rd, cxled, range, il)?,
    };
    attach::attach_auto(&r, cxled);
    let (commit, hpa) = {
        let g = RegionRead::lock();
        (r.state(&g) == ConfigState::Commit, r.hpa(&g))
    };
    if commit && r.attach_driver().is_err() {
        let hpa = hpa.unwrap_or(Range { start: 0, end: 0 });
        dev_err!(
            r.as_ref(),
            "failed to enable, range: [mem {:#x}-{:#x}]\n",
            hpa.start,
            hpa.end
        );
    }
    drop(regions);
    Ok(())
}

/// `get_cxl_root_decoder()`: the window that contains `range`, referenced.
fn root_decoder(cxled: &EndpointDecoder, range: Range) -> Result<ARef<RootDecoder>> {
    let md = cxled.memdev();
    let port = cxled.port();
    // Only the AMD address translation driver sets up a translation, and it needs the C region
    // code: its layout is not ours to fill in.
    if port.root_translates() {
        dev_err!(
            md.host(),
            "{}:{} Failed to setup translation for address range {:#x}:{:#x}\n",
            md.name(),
            cxled.name(),
            range.start,
            range.end
        );
        return Err(EOPNOTSUPP);
    }
    port.root().root_decoder_for(range).ok_or_else(|| {
        dev_err!(
            md.host(),
            "{}:{} no CXL window for range {:#x}:{:#x}\n",
            md.name(),
            cxled.name(),
            range.start,
            range.end
        );
        ENXIO
    })
}

/// `construct_region()`: an empty region over `range`, with the decoder's partition mode.
fn construct_region(
    regions: &mut RegionsGuard<'_>,
    rd: &RootDecoder,
    cxled: &EndpointDecoder,
    range: Range,
    il: Interleave,
) -> Result<ARef<Region>> {
    let md = cxled.memdev();
    let part = cxled.part_unlocked();
    if part < 0 {
        return Err(EBUSY);
    }
    let created = loop {
        let id = rd.region_id().load(kernel::sync::atomic::Relaxed);
        match create_for(regions, rd, cxled, part, id) {
            Err(e) if e == EBUSY => continue,
            other => break other,
        }
    };
    let r = created.inspect_err(|e| {
        dev_err!(
            md.host(),
            "{}:{}: construct_region failed assign region: {:?}\n",
            md.name(),
            cxled.name(),
            e
        );
    })?;
    if let Err(e) = construct_locked(&r, cxled, range, il) {
        regions.unregister_id(r.id(), crate::detach_all);
        return Err(e);
    }
    Ok(r)
}

/// `__create_region()` for the mode of partition `part` of `cxled`'s memdev: RAM or PMEM, as in
/// C. A Dynamic Capacity region is not assembled (nothing could test one; the upstream series
/// does not say how its extents would be read back).
fn create_for(
    regions: &mut RegionsGuard<'_>,
    rd: &RootDecoder,
    cxled: &EndpointDecoder,
    part: i32,
    id: i32,
) -> Result<ARef<Region>> {
    let raw = cxled.memdev().part_mode(part)?;
    let mode = match raw {
        Some(m) if m == PartMode::Ram as u32 => PartMode::Ram,
        Some(m) if m == PartMode::Pmem as u32 => PartMode::Pmem,
        _ => {
            dev_err!(
                cxled.as_ref(),
                "unsupported mode {}\n",
                raw.map_or(-1, i64::from)
            );
            return Err(EINVAL);
        }
    };
    let target_type = cxled.decoder().target_type();
    crate::create_region_locked(regions, rd, id, mode, target_type).map(Region::get)
}

/// `__construct_region()`: the region takes firmware's range (with the window's extended linear
/// cache in front of it), ways and granularity, and waits for its targets.
fn construct_locked(r: &Region, cxled: &EndpointDecoder, range: Range, il: Interleave) -> Result {
    let md = cxled.memdev();
    let g = RegionWrite::lock();
    if r.state(&g) >= ConfigState::InterleaveActive {
        dev_err!(
            md.host(),
            "{}:{}: __construct_region autodiscovery interrupted\n",
            md.name(),
            cxled.name()
        );
        return Err(EBUSY);
    }
    r.set_flag(&g, REGION_F_AUTO, true);
    let rd = r.root_decoder();
    let cache = rd.cache_size();
    let (start, cache) =
        match interleave::elc_start(range.start, range.size(), cache, rd.window_start()) {
            Ok(start) => (start, cache),
            Err(why) => {
                if why == ElcMismatch::Size {
                    dev_warn!(
                        r.as_ref(),
                        "Extended Linear Cache size {:#x} != CXL size {:#x}. No Support!",
                        cache,
                        range.size()
                    );
                }
                dev_warn!(
                    md.host(),
                    "Extended linear cache calculation failed rc:{}\n",
                    ENXIO.to_errno()
                );
                (range.start, 0)
            }
        };
    if !r.set_assembled_hpa(&g, range, start, cache)? {
        dev_warn!(
            md.host(),
            "{}:{}: __construct_region {} cannot insert resource\n",
            md.name(),
            cxled.name(),
            r.name()
        );
    }
    // `extended_linear_cache_size` appears with a cache, then `target0..N-1`.
    crate::attrs::REGION_GROUP.update(r.as_ref())?;
    r.set_interleave_granularity(&g, il.granularity);
    r.set_interleave_ways(&g, il.ways, &crate::attrs::TARGET_GROUP)?;
    r.set_state(&g, ConfigState::InterleaveActive);
    Ok(())
}

/// The tail of `cxl_region_attach()` for a region firmware committed, after the common checks:
/// `cxled` is staged; with the last target, all are sorted into position, attached, and the
/// region is committed once every port's decoder matches.
pub(crate) fn attach(
    r: &Region,
    g: &mut RegionWrite,
    cxled: &EndpointDecoder,
    pos: Option<usize>,
) -> Result {
    stage(r, g, cxled, pos)?;
    if r.nr_targets(g) < r.interleave(g).ways {
        // Await more targets.
        return Ok(());
    }
    // Every target is here: the enumeration that matters to the region is done.
    sort_targets(r, g)?;
    let rd = r.root_decoder();
    for i in 0..r.nr_targets(g).max(0) as usize {
        let Some(t) = r.target(g, i).map(ARef::<EndpointDecoder>::from) else {
            return Err(ENXIO);
        };
        let dport = rd
            .port()
            .dport_by_dev(t.port().host_bridge())
            .ok_or(ENXIO)?;
        attach::attach_position(r, g, &t, dport, i)?;
    }
    attach::setup_targets(r, g)?;
    // Firmware committed the decoders: the region is committed as it is.
    r.set_state(g, ConfigState::Commit);
    r.shared_upstream_bandwidth_update(g);
    Ok(())
}

/// `cxl_region_attach_auto()`: `cxled` goes to the first free slot until the targets are sorted.
fn stage(r: &Region, g: &RegionWrite, cxled: &EndpointDecoder, pos: Option<usize>) -> Result {
    if cxled.state(g) != DecoderState::Auto {
        dev_err!(
            r.as_ref(),
            "{}: unable to add decoder to autodetected region\n",
            cxled.name()
        );
        return Err(EINVAL);
    }
    if let Some(pos) = pos {
        dev_dbg!(
            r.as_ref(),
            "{}: expected auto position, not {}\n",
            cxled.name(),
            pos
        );
        return Err(EINVAL);
    }
    let ways = r.interleave(g).ways;
    if r.nr_targets(g) >= ways {
        dev_err!(
            r.as_ref(),
            "{}: no more target slots available\n",
            cxled.name()
        );
        return Err(ENXIO);
    }
    let Some(slot) = (0..ways.max(0) as usize).find(|&i| r.target(g, i).is_none()) else {
        dev_err!(
            r.as_ref(),
            "{}: unable to find a free target slot\n",
            cxled.name()
        );
        return Err(ENXIO);
    };
    r.set_target(g, slot, Some(cxled));
    cxled.set_pos(g, slot as i32);
    cxled.set_state(g, DecoderState::AutoStaged);
    r.set_nr_targets(g, r.nr_targets(g) + 1);
    Ok(())
}

/// `cxl_region_sort_targets()`: every target's position from the topology (all computed, for
/// their debug lines, even after one failed), then the target list in position order.
fn sort_targets(r: &Region, g: &RegionWrite) -> Result {
    let range = r.hpa_range(g);
    let n = r.nr_targets(g).max(0) as usize;
    let mut v: KVec<(i32, &EndpointDecoder)> = KVec::with_capacity(n, GFP_KERNEL)?;
    let mut failed = false;
    for i in 0..n {
        let Some(t) = r.target(g, i) else {
            failed = true;
            continue;
        };
        let pos = interleave_pos(t, g, range).unwrap_or(-1);
        t.set_pos(g, pos);
        failed |= pos < 0;
        v.push((pos, t), GFP_KERNEL)?;
    }
    v.sort_unstable_by_key(|(pos, _)| *pos);
    for (i, (_, t)) in v.iter().enumerate() {
        r.set_target(g, i, Some(t));
    }
    dev_dbg!(
        r.as_ref(),
        "region sort {}\n",
        if failed { "failed" } else { "successful" }
    );
    if failed {
        return Err(ENXIO);
    }
    Ok(())
}

/// `cxl_calc_interleave_pos()`: from the endpoint port up to the root, the position is refined
/// by each port's place in its parent decoder's target list.
fn interleave_pos(cxled: &EndpointDecoder, g: &RegionWrite, range: Range) -> Result<i32> {
    let port = cxled.port();
    let mut pos = 0;
    let mut iter = Some(port);
    while let Some(p) = iter.filter(|p| !p.is_root()) {
        let (parent_pos, parent_ways) = pos_and_ways(p, g, range)?;
        pos = interleave::fold_position(pos, parent_ways, parent_pos);
        iter = p.parent();
    }
    let md = cxled.memdev();
    dev_dbg!(
        md.as_ref(),
        "decoder:{} port:{} range:{:#x}-{:#x} pos:{}\n",
        cxled.name(),
        port.name(),
        range.start,
        range.end,
        pos
    );
    Ok(pos)
}

/// `find_pos_and_ways()`: the decoder of `port`'s parent that maps `range` (a root decoder: that
/// contains it), its ways, and the place of `port`'s downstream port in its target list.
fn pos_and_ways(port: &Port, g: &RegionWrite, range: Range) -> Result<(i32, i32)> {
    let parent = port.parent().ok_or(ENXIO)?;
    let Some(d) = parent.decoder_by_range(range, 0) else {
        dev_err!(
            port.as_ref(),
            "failed to find decoder mapping {:#x}-{:#x}\n",
            range.start,
            range.end
        );
        return Err(ENXIO);
    };
    let ways = d.interleave().ways;
    let dport = port.parent_dport();
    for i in 0..ways.max(0) {
        if dport.is_some() && d.target(g, i as usize) == dport {
            return Ok((i, ways));
        }
    }
    dev_err!(
        port.as_ref(),
        "failed to find {}:{} in target list of {}\n",
        port.name(),
        dport.map_or(c"(none)", |d| d.dev_name()),
        d.name()
    );
    Err(ENXIO)
}

/// `cxl_cancel_auto_attach()`: an endpoint decoder that goes while only staged leaves the target
/// list of the region that was assembling.
pub(crate) fn cancel_auto_attach(g: &RegionWrite, cxled: &EndpointDecoder) {
    if cxled.state(g) != DecoderState::AutoStaged {
        return;
    }
    region::for_each_region(|r| {
        let ways = r.interleave(g).ways.max(0) as usize;
        let Some(i) = (0..ways).find(|&i| r.target(g, i) == Some(cxled)) else {
            return false;
        };
        r.set_nr_targets(g, r.nr_targets(g) - 1);
        cxled.set_state(g, DecoderState::Auto);
        cxled.set_pos(g, -1);
        r.set_target(g, i, None);
        true
    });
}

/// The `discover_region()` calls the core made before this module registered (it made them,
/// and they did nothing): for each bound endpoint port, under its device lock as its probe
/// holds it, each enabled decoder that firmware committed and no region holds, in id order.
pub(crate) fn discover_all() {
    let Ok(ports) = topology::endpoint_ports() else {
        pr_err!("cxl_region: out of memory: committed decoders are not assembled\n");
        return;
    };
    for port in ports.iter() {
        port.with_device_lock(|| {
            if !port.is_bound() {
                return;
            }
            let mut found: KVec<ARef<EndpointDecoder>> = KVec::new();
            {
                let g = RegionRead::lock();
                port.for_each_endpoint_decoder(&g, |d| {
                    if d.decoder().is_enabled()
                        && d.state(&g) == DecoderState::Auto
                        && !d.decoder().has_region(&g)
                    {
                        // Without memory the decoder stays unassembled, as a failed add does.
                        let _ = found.push(d.into(), GFP_KERNEL);
                    }
                    true
                });
            }
            for d in found.iter() {
                if add_to_region(d).is_err() {
                    let range = d.decoder().hpa_range(&RegionRead::lock());
                    dev_dbg!(
                        d.as_ref(),
                        "failed to add to region: {:#x}-{:#x}\n",
                        range.start,
                        range.end
                    );
                }
            }
        });
    }
}

/// `cxl_memdev_attach_region()` less what the core keeps (the endpoint's device lock around
/// this call, and the devm action that unregisters the region with the endpoint): the region of
/// the memdev's first endpoint decoder that has one, if committed and not interleaved,
/// referenced, with its HPA range. As in C, one mapped decoder per memdev is assumed, and the
/// region is the one assembled from what firmware committed.
pub(crate) fn memdev_attach_region(md: &topology::Memdev) -> Result<(ARef<Region>, Range)> {
    let g = region::RegionDpaRead::lock();
    let ep = md.endpoint(&g).ok_or(ENXIO)?;
    let mut found = None;
    // `first_mapped_decoder()`.
    ep.for_each_endpoint_decoder(&g, |d| {
        found = d.decoder().region(&g);
        found.is_none()
    });
    let Some(r) = found else {
        dev_dbg!(md.as_ref(), "no region found for memdev {}\n", md.name());
        return Err(ENXIO);
    };
    if r.state(&g) < ConfigState::Commit {
        dev_dbg!(
            md.as_ref(),
            "region {} not committed for memdev {}\n",
            r.name(),
            md.name()
        );
        return Err(ENXIO);
    }
    if r.nr_targets(&g) > 1 {
        dev_dbg!(md.as_ref(), "Only attach to local non-interleaved region\n");
        return Err(ENXIO);
    }
    // Committed: its HPA is allocated.
    let hpa = r.hpa(&g).ok_or(ENXIO)?;
    Ok((r.get(), hpa))
}
