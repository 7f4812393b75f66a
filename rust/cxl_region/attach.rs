// SPDX-License-Identifier: GPL-2.0

//! Target attach and detach, HDM decoder programming, commit and reset: `region.c` from
//! `store_targetN()` to `commit_store()`. Regions assembled from decoders platform firmware
//! committed (`CXL_REGION_F_AUTO`, see [`crate::auto`]) take the same path, with the branches of
//! the C code where it differs: their targets are staged, then sorted and attached together, and
//! their decoders are validated instead of programmed.
//!
//! Every function here runs under `cxl_rwsem.region` held for writing, shown by the
//! [`RegionWrite`] it takes, and in the order of the C code.

use crate::cxl::interleave;
use crate::cxl::region::{
    ConfigState, Interleave, PartMode, Region, RegionWrite, REGION_F_AUTO, REGION_F_LOCK,
    REGION_F_NEEDS_RESET,
};
use crate::cxl::topology::{
    DecoderState, DpaRead, Dport, EndpointDecoder, Ep, HdmCaps, Port, PortDecoder, RefCounts,
    RegionRef,
};
use kernel::{prelude::*, sync::aref::ARef};

/// `store_targetN()` with a decoder name: `attach_target()`.
pub(crate) fn attach_target(r: &Region, name: &[u8], pos: usize) -> Result {
    let cxled = EndpointDecoder::find(name)?;
    // A test's window: the memdev may go now, with the decoder held (`crate::cxl::fault`).
    crate::cxl::fault::stall_attach_target();
    // A Dynamic Capacity region asks first, and without the region lock (as the upstream series
    // does), that the target's memdev still has its state and supports DCD. Not a failed attach:
    // no warning.
    if r.mode() == Some(PartMode::DynamicRam1) {
        cxled.check_dcd().inspect_err(|e| {
            let why = if *e == ENODEV {
                "No memdev state"
            } else {
                "DCD unsupported"
            };
            dev_dbg!(cxled.as_ref(), "{why}\n");
        })?;
    }
    attach_locked(r, RegionWrite::lock_killable()?, &cxled, Some(pos))
}

/// `attach_target()` for an endpoint decoder platform firmware committed, at no given position,
/// with the lock taken whatever signals are pending (`TASK_UNINTERRUPTIBLE`). The result is only
/// logged, as C ignores it.
pub(crate) fn attach_auto(r: &Region, cxled: &EndpointDecoder) {
    let _ = attach_locked(r, RegionWrite::lock(), cxled, None);
}

/// `__attach_target()` and the warning of `attach_target()`, with `cxl_rwsem.region` held for
/// writing in `g`. Inlined, as `region_attach()`, `decoder_detach_pos()` and `decoder_detach()`,
/// to keep our frames off the allocations' stack traces (see `crate::attrs`); the second callers
/// (auto-assembly, decoder removal) get a copy each.
#[inline(always)]
fn attach_locked(
    r: &Region,
    mut g: RegionWrite,
    cxled: &EndpointDecoder,
    pos: Option<usize>,
) -> Result {
    let rc = {
        let dpa = DpaRead::lock_after(&g);
        region_attach(r, &mut g, &dpa, cxled, pos)
    };
    drop(g);
    if let Err(e) = rc {
        dev_warn!(
            cxled.port().as_ref(),
            "failed to attach {} to {}: {}\n",
            cxled.name(),
            r.name(),
            e.to_errno()
        );
    }
    rc
}

/// `store_targetN()` with `\n`: `detach_target()`.
pub(crate) fn detach_target(r: &Region, pos: usize) -> Result {
    let held = {
        let mut g = RegionWrite::lock_killable()?;
        decoder_detach_pos(r, &mut g, pos)
    };
    release(held);
    Ok(())
}

/// `detach_target()` for a region being unregistered: the lock is taken whatever signals are
/// pending, so the detach cannot fail.
pub(crate) fn detach_target_unregister(r: &Region, pos: usize) {
    let held = {
        let mut g = RegionWrite::lock();
        decoder_detach_pos(r, &mut g, pos)
    };
    release(held);
}

/// The endpoint decoder `cxled` is being unregistered (`cxl_decoder_detach(NULL, cxled, -1,
/// DETACH_INVALIDATE)`): it leaves its region, whatever the region's state.
pub(crate) fn decoder_unregister(cxled: &EndpointDecoder) {
    let held = {
        let mut g = RegionWrite::lock();
        let Some(held) = cxled.decoder().region(&g).map(Region::get) else {
            // Staged in an assembling region at most (`cxl_cancel_auto_attach()`).
            crate::auto::cancel_auto_attach(&g, cxled);
            return;
        };
        cxled.invalidate(&g);
        decoder_detach(&held, &mut g, cxled).then_some(held)
    };
    release(held);
}

/// After a detach, the region leaves its driver (`device_release_driver()`), outside the lock.
fn release(held: Option<ARef<Region>>) {
    if let Some(held) = held {
        held.release_driver();
    }
}

/// `__cxl_decoder_detach()` for the target at `pos`; returns the region, referenced, when a
/// target was detached.
#[inline(always)]
pub(crate) fn decoder_detach_pos(
    r: &Region,
    g: &mut RegionWrite,
    pos: usize,
) -> Option<ARef<Region>> {
    if pos >= r.interleave(g).ways as usize {
        return None;
    }
    let cxled: ARef<EndpointDecoder> = r.target(g, pos)?.into();
    decoder_detach(r, g, &cxled).then(|| r.get())
}

/// The common part of `__cxl_decoder_detach()`: reset a committed region, drop the endpoint's
/// references at every port, and take it out of the target list. Returns whether it was there.
#[inline(always)]
fn decoder_detach(r: &Region, g: &mut RegionWrite, cxled: &EndpointDecoder) -> bool {
    let ways = r.interleave(g).ways;
    if r.state(g) > ConfigState::Active {
        decode_reset(r, g, ways);
        r.set_state(g, ConfigState::Active);
    }
    for port in cxled.ports_up() {
        port_detach_region(port, r, g, cxled);
    }
    let pos = cxled.pos(g);
    if pos < 0 || pos >= ways || r.target(g, pos as usize) != Some(cxled) {
        kernel::warn_on!(true);
        return false;
    }
    if r.state(g) == ConfigState::Active {
        r.set_state(g, ConfigState::InterleaveActive);
        teardown_targets(r, g);
    }
    r.set_target(g, pos as usize, None);
    r.set_nr_targets(g, r.nr_targets(g) - 1);
    cxled.decoder().clear_hpa(g);
    true
}

/// `cxl_region_attach()`: `pos` is the `targetN` written, `None` for a decoder that firmware
/// committed (`-1` in C).
#[inline(always)]
fn region_attach(
    r: &Region,
    g: &mut RegionWrite,
    dpa: &DpaRead,
    cxled: &EndpointDecoder,
    pos: Option<usize>,
) -> Result {
    let Interleave {
        ways,
        granularity: gran,
    } = r.interleave(g);
    check_interleave_cap(cxled.port(), ways, gran)?;
    let part = cxled.part(g);
    if part < 0 {
        return Err(ENODEV);
    }
    // Read under the lock memdev shutdown takes: `-ENODEV` once the memdev lost its state.
    if cxled.memdev().part_mode(part)? != r.mode().map(|m| m as u32) {
        return Err(EINVAL);
    }
    let state = r.state(g);
    if state > ConfigState::InterleaveActive {
        return Err(EBUSY);
    }
    if state < ConfigState::InterleaveActive {
        return Err(ENXIO);
    }
    if r.nr_targets(g) >= ways {
        return Err(EINVAL);
    }
    let rd = r.root_decoder();
    let dport: &Dport = rd
        .port()
        .dport_by_dev(cxled.port().host_bridge())
        .ok_or(ENXIO)?;
    if cxled.decoder().target_type() != r.target_type() {
        return Err(ENXIO);
    }
    if !cxled.has_dpa(dpa) {
        return Err(ENXIO);
    }
    let hpa = r.hpa(g).ok_or(ENXIO)?;
    let want = cxled
        .dpa_size(dpa)
        .checked_mul(ways as u64)
        .and_then(|v| v.checked_add(r.cache_size(g)));
    if want != Some(hpa.size()) {
        return Err(EINVAL);
    }
    r.perf_data_calculate(g, dpa, cxled);

    if r.flag(g, REGION_F_AUTO) {
        return crate::auto::attach(r, g, cxled, pos);
    }
    let pos = pos.ok_or(EINVAL)?;
    validate_position(r, g, cxled, pos)?;
    attach_position(r, g, cxled, dport, pos)?;
    r.set_target(g, pos, Some(cxled));
    cxled.set_pos(g, pos as i32);
    r.set_nr_targets(g, r.nr_targets(g) + 1);
    if r.nr_targets(g) == ways {
        setup_targets(r, g)?;
        r.set_state(g, ConfigState::Active);
        r.shared_upstream_bandwidth_update(g);
    }
    cxled.decoder().set_decode(g, ways, gran, hpa);
    Ok(())
}

/// `cxl_region_validate_position()`.
fn validate_position(r: &Region, g: &RegionWrite, cxled: &EndpointDecoder, pos: usize) -> Result {
    let ways = r.interleave(g).ways as usize;
    if pos >= ways {
        return Err(ENXIO);
    }
    match r.target(g, pos) {
        Some(t) if t == cxled => return Ok(()),
        Some(_) => return Err(EBUSY),
        None => {}
    }
    for i in 0..ways {
        if r.target(g, i).is_some_and(|t| t.memdev() == cxled.memdev()) {
            return Err(EBUSY);
        }
    }
    Ok(())
}

/// `cxl_region_attach_position()`: the host bridge must be the root's target for this position,
/// then a region reference at every port from the endpoint up.
pub(crate) fn attach_position(
    r: &Region,
    g: &mut RegionWrite,
    cxled: &EndpointDecoder,
    dport: &Dport,
    pos: usize,
) -> Result {
    let rd = r.root_decoder();
    let iw = rd.interleave().ways.max(1) as usize;
    if rd.target(pos % iw) != Some(dport) {
        return Err(ENXIO);
    }
    for port in cxled.ports_up() {
        if let Err(e) = port_attach_region(port, r, g, cxled) {
            for p in cxled.ports_up() {
                port_detach_region(p, r, g, cxled);
            }
            return Err(e);
        }
    }
    Ok(())
}

/// `cxl_port_attach_region()`: track the region's interest in `port` for this endpoint.
fn port_attach_region(
    port: &Port,
    r: &Region,
    g: &mut RegionWrite,
    cxled: &EndpointDecoder,
) -> Result {
    let ep = port.ep(cxled.memdev());
    let (rr, targets_inc) = match port.region_ref(r, g) {
        Some(rr) => {
            // A new target port, or an endpoint port that counts its own decode as a target.
            let found = ep.is_some_and(|ep| rr.shares_next(g, ep, Some(ep)));
            let inc = !found || ep.is_none_or(|ep| ep.next().is_none());
            if inc {
                let mut counts = rr.counts();
                counts.targets += 1;
                rr.set_counts(g, counts);
            }
            (rr, inc)
        }
        None => {
            // `cxl_port_pick_region_decoder()`: a free decoder, or the one firmware programmed
            // for the region (it stays registered as long as the endpoint decoder: no reference
            // needs to be kept, as in C).
            let picked;
            let cxld = if *port == *cxled.port() {
                cxled.decoder()
            } else if r.flag(g, REGION_F_AUTO) {
                let hpa = r.hpa(g).ok_or(EBUSY)?;
                picked = port.decoder_by_range(hpa, r.cache_size(g)).ok_or(EBUSY)?;
                &picked
            } else {
                port.free_decoder(g).ok_or(EBUSY)?
            };
            let rr = alloc_region_ref(port, r, g, cxld)?;
            if cxld.has_region(g) {
                unwind(port, r, g, true);
                return Err(EBUSY);
            }
            cxld.set_target_type(g, r.target_type());
            rr.set_decoder(g, cxld);
            (rr, true)
        }
    };
    let Some(cxld) = rr.decoder() else {
        unwind(port, r, g, targets_inc);
        return Err(ENXIO);
    };
    if cxld.is_switch() && rr.counts().targets > cxld.nr_targets() {
        unwind(port, r, g, targets_inc);
        return Err(ENXIO);
    }
    setup_flags(r, g, cxld);
    if let Some(ep) = ep {
        if let Err(e) = rr.add_endpoint(g, cxled, ep) {
            unwind(port, r, g, targets_inc);
            return Err(e);
        }
    }
    let mut counts = rr.counts();
    counts.eps += 1;
    rr.set_counts(g, counts);
    if !cxld.has_region(g) {
        cxld.set_region(g, r);
        // Attached now: no longer only staged.
        if cxld == cxled.decoder() && cxled.state(g) == DecoderState::AutoStaged {
            cxled.set_state(g, DecoderState::Auto);
        }
    }
    Ok(())
}

/// The `out_erase` path of `cxl_port_attach_region()`: `port`'s reference to `r`.
fn unwind(port: &Port, r: &Region, g: &mut RegionWrite, targets_inc: bool) {
    let Some(rr) = port.region_ref(r, g) else {
        return;
    };
    let mut counts = rr.counts();
    if targets_inc {
        counts.targets -= 1;
        rr.set_counts(g, counts);
    }
    if counts.eps == 0 {
        port.free_region_ref(g, r);
    }
}

/// `alloc_region_ref()`: regions must be added to a port in HPA order; a region firmware
/// assembled may come later if its decoder `cxld` has the lower id (`auto_order_ok()`).
fn alloc_region_ref<'a>(
    port: &'a Port,
    r: &Region,
    g: &'a RegionWrite,
    cxld: &PortDecoder,
) -> Result<&'a RegionRef> {
    let start = r.hpa(g).ok_or(ENXIO)?.start;
    let auto = r.flag(g, REGION_F_AUTO);
    let mut violation = false;
    port.for_each_region_ref(g, |it| {
        if it.region_hpa_start(g).is_some_and(|s| s >= start) {
            if auto && it.decoder().is_some_and(|d| d.id() > cxld.id()) {
                return true;
            }
            dev_dbg!(
                r.as_ref(),
                "{}: HPA order violation with {}\n",
                port.name(),
                it.region_name()
            );
            violation = true;
            return false;
        }
        true
    });
    if violation {
        return Err(EBUSY);
    }
    port.alloc_region_ref(r, g)
}

/// `cxl_region_setup_flags()`.
fn setup_flags(r: &Region, g: &RegionWrite, cxld: &PortDecoder) {
    if cxld.endpoint_memdev().is_some_and(|md| md.has_attach()) {
        r.set_flag(g, REGION_F_LOCK, true);
    }
    r.apply_decoder_flags(g, cxld.flags());
}

/// `cxl_port_detach_region()`.
fn port_detach_region(port: &Port, r: &Region, g: &mut RegionWrite, cxled: &EndpointDecoder) {
    let Some(rr) = port.region_ref(r, g) else {
        return;
    };
    let mut counts = rr.counts();
    // Endpoint ports carry no `cxl_ep` and target exactly one endpoint.
    if rr.decoder() == Some(cxled.decoder()) {
        counts.eps -= 1;
    } else if let Some(ep) = rr.remove_endpoint(g, cxled) {
        counts.eps -= 1;
        if !rr.shares_next(g, ep, None) {
            counts.targets -= 1;
        }
    }
    rr.set_counts(g, counts);
    if counts.eps == 0 {
        port.free_region_ref(g, r);
    }
}

/// `check_interleave_cap()`: the port's HDM decoders can do `ways` x `gran`.
fn check_interleave_cap(port: &Port, ways: i32, gran: i32) -> Result {
    let HdmCaps {
        ways_mask: iw_cap,
        address_mask: mask,
    } = port.hdm_caps().ok_or(ENXIO)?;
    let iw = u32::try_from(ways).map_err(|_| ENXIO)?;
    if iw >= u64::BITS || iw_cap & (1 << iw) == 0 {
        return Err(ENXIO);
    }
    let eiw = interleave::ways_to_eiw(iw).map_err(|_| ENXIO)?;
    if eiw == 0 || eiw == 8 {
        return Ok(());
    }
    let eig = u32::from(interleave::granularity_to_eig(gran).map_err(|_| ENXIO)?);
    let eiw = u32::from(eiw);
    let high = if eiw > 8 {
        eiw + eig - 1
    } else {
        eiw + eig + 7
    };
    let low = eig + 8;
    // GENMASK(high, low)
    let want = (u32::MAX >> (31 - high)) & (u32::MAX << low);
    if want & !mask != 0 {
        return Err(ENXIO);
    }
    Ok(())
}

/// Walks the ports of `cxled` from the one below the root down to the endpoint port, as the
/// C loops over `cxl_ep_load()` do.
fn for_each_port_down(cxled: &EndpointDecoder, mut f: impl FnMut(&Port) -> Result) -> Result {
    let md = cxled.memdev();
    let mut iter = cxled.port();
    while let Some(parent) = iter.parent().filter(|p| !p.is_root()) {
        iter = parent;
    }
    let mut port = Some(iter);
    while let Some(p) = port {
        f(p)?;
        port = p.ep(md).and_then(Ep::next);
    }
    Ok(())
}

/// `cxl_region_setup_targets()`: program (in memory) the decoder of every port of every target.
pub(crate) fn setup_targets(r: &Region, g: &RegionWrite) -> Result {
    let ways = r.interleave(g).ways as usize;
    let (mut rch, mut vh) = (0, 0);
    for i in 0..ways {
        let Some(cxled) = r.target(g, i) else {
            continue;
        };
        if r.target_is_rcd(g, i) {
            rch += 1;
            continue;
        }
        vh += 1;
        if let Err(e) = for_each_port_down(cxled, |port| port_setup_targets(port, r, g, cxled)) {
            teardown_targets(r, g);
            return Err(e);
        }
    }
    if rch > 0 && vh > 0 {
        teardown_targets(r, g);
        return Err(ENXIO);
    }
    Ok(())
}

/// `cxl_region_teardown_targets()`: not for a region firmware assembled, whose address space is
/// already active.
fn teardown_targets(r: &Region, g: &RegionWrite) {
    if r.flag(g, REGION_F_AUTO) {
        return;
    }
    let ways = r.interleave(g).ways as usize;
    for i in 0..ways {
        let Some(cxled) = r.target(g, i) else {
            continue;
        };
        if r.target_is_rcd(g, i) {
            continue;
        }
        let _ = for_each_port_down(cxled, |port| {
            if let Some(rr) = port.region_ref(r, g) {
                let mut counts = rr.counts();
                counts.targets_set = 0;
                rr.set_counts(g, counts);
                if let Some(d) = rr.decoder() {
                    d.clear_hpa(g);
                }
            }
            Ok(())
        });
    }
}

/// `check_last_peer()`.
fn check_last_peer(
    r: &Region,
    g: &RegionWrite,
    cxled: &EndpointDecoder,
    port: &Port,
    ep: &Ep,
    distance: usize,
) -> Result {
    let pos = cxled.pos(g) as usize;
    if pos < distance {
        return Err(ENXIO);
    }
    let peer = r.target(g, pos - distance).ok_or(ENXIO)?;
    let peer_ep = port.ep(peer.memdev()).ok_or(ENXIO)?;
    if ep.dport() != peer_ep.dport() {
        return Err(ENXIO);
    }
    Ok(())
}

/// `cxl_port_setup_targets()`: the decoder of `port` gets ways, granularity, HPA range and the
/// dport leading to `cxled` in its target list.
fn port_setup_targets(port: &Port, r: &Region, g: &RegionWrite, cxled: &EndpointDecoder) -> Result {
    let rd = r.root_decoder();
    let rr = port.region_ref(r, g).ok_or(ENXIO)?;
    let ep = port.ep(cxled.memdev()).ok_or(ENXIO)?;
    let cxld = rr.decoder().ok_or(ENXIO)?;
    let RefCounts {
        targets: nr_targets,
        targets_set: nr_set,
        ..
    } = rr.counts();
    let parent = port.parent().ok_or(ENXIO)?;

    // Root decoders do x3, x6 and x12; switch decoders powers of two up to x16.
    if nr_targets <= 0 || !(nr_targets as u32).is_power_of_two() {
        return Err(EINVAL);
    }

    if nr_set > 0 {
        // The positions a dport can host are `distance` apart.
        let mut distance: usize = 1;
        let mut iter = port;
        loop {
            distance *= iter
                .region_ref(r, g)
                .map_or(1, |it| it.counts().targets.max(1) as usize);
            match iter.parent() {
                Some(p) if !p.is_root() => iter = p,
                _ => break,
            }
        }
        distance *= rd.interleave().ways.max(1) as usize;
        for i in 0..nr_set as usize {
            if cxld.target(g, i) == Some(ep.dport()) {
                return check_last_peer(r, g, cxled, port, ep, distance);
            }
        }
        return add_target(r, g, rr, cxld, ep);
    }

    let (parent_ig, parent_iw) = if parent.is_root() {
        // The root's granularity is the CFMWS one; a region below interleaved host bridges has
        // the same (interleave_granularity refuses others), so the region's is used.
        let mut iw = rd.interleave().ways;
        if !(iw as u32).is_power_of_two() {
            iw /= 3;
        }
        (r.interleave(g).granularity, iw)
    } else {
        let prr = parent.region_ref(r, g).ok_or(ENXIO)?;
        let parent_interleave = prr.decoder().ok_or(ENXIO)?.interleave();
        (parent_interleave.granularity, parent_interleave.ways)
    };
    interleave::granularity_to_eig(parent_ig).map_err(|_| EINVAL)?;
    interleave::ways_to_eiw(u32::try_from(parent_iw).map_err(|_| EINVAL)?).map_err(|_| EINVAL)?;
    let iw = nr_targets;
    interleave::ways_to_eiw(iw as u32).map_err(|_| EINVAL)?;
    let eig =
        interleave::granularity_to_eig(parent_ig.saturating_mul(parent_iw)).map_err(|_| EINVAL)?;
    let ig = interleave::eig_to_granularity(eig).map_err(|_| EINVAL)? as i32;
    if iw > 8 || iw > cxld.nr_targets() {
        return Err(ENXIO);
    }
    if r.flag(g, REGION_F_AUTO) {
        // Firmware programmed the decoder: it must be what the topology implies.
        let got = cxld.interleave();
        let range = cxld.hpa_range(g);
        let hpa = r.hpa(g);
        let maps = r.maps(g, range);
        if got.ways != iw || (iw > 1 && got.granularity != ig) || !maps || !cxld.is_enabled() {
            let (start, end) = hpa.map_or((0, 0), |h| (h.start, h.end));
            dev_err!(
                r.as_ref(),
                "{}:{} cxl_port_setup_targets expected iw: {} ig: {} [mem {:#x}-{:#x}]\n",
                port.uport_name(),
                port.name(),
                iw,
                ig,
                start,
                end
            );
            dev_err!(
                r.as_ref(),
                "{}:{} cxl_port_setup_targets got iw: {} ig: {} state: {} {:#x}:{:#x}\n",
                port.uport_name(),
                port.name(),
                got.ways,
                got.granularity,
                if cxld.is_enabled() {
                    "enabled"
                } else {
                    "disabled"
                },
                range.start,
                range.end
            );
            return Err(ENXIO);
        }
    } else {
        check_interleave_cap(port, iw, ig)?;
        cxld.set_decode(g, iw, ig, r.hpa(g).ok_or(ENXIO)?);
    }
    add_target(r, g, rr, cxld, ep)
}

/// The `add_target` label of `cxl_port_setup_targets()`: firmware's target list is checked, not
/// written.
fn add_target(r: &Region, g: &RegionWrite, rr: &RegionRef, cxld: &PortDecoder, ep: &Ep) -> Result {
    let mut counts = rr.counts();
    if counts.targets_set == counts.targets {
        return Err(ENXIO);
    }
    if r.flag(g, REGION_F_AUTO) {
        if cxld.target(g, counts.targets_set as usize) != Some(ep.dport()) {
            return Err(ENXIO);
        }
    } else {
        cxld.set_target(g, counts.targets_set as usize, ep.dport())?;
    }
    counts.targets_set += 1;
    rr.set_counts(g, counts);
    Ok(())
}

/// `commit_decoder()`: decoders without a commit op are pass-through switch decoders.
fn commit_decoder(g: &RegionWrite, cxld: &PortDecoder) -> Result {
    match cxld.commit(g) {
        Some(rc) => rc,
        None if cxld.is_switch() && cxld.nr_targets() <= 1 => Ok(()),
        None => {
            kernel::warn_on!(true);
            Err(ENXIO)
        }
    }
}

/// `cxl_region_decode_commit()`: each target's decoders bottom up; on failure the failed chain
/// and the targets committed before are reset.
pub(crate) fn decode_commit(r: &Region, g: &RegionWrite) -> Result {
    let n = r.nr_targets(g) as usize;
    for i in 0..n {
        let Some(cxled) = r.target(g, i) else {
            continue;
        };
        let mut failed = None;
        for port in cxled.ports_up() {
            // A port without the region's reference (it has one at every port from attach on)
            // fails like a decoder that does not commit: what was committed is reset.
            let rc = port
                .region_ref(r, g)
                .and_then(RegionRef::decoder)
                .ok_or(ENXIO)
                .and_then(|d| commit_decoder(g, d));
            if let Err(e) = rc {
                failed = Some((port, e));
                break;
            }
        }
        if let Some((port, e)) = failed {
            // Reset from the failed port down, then the endpoint decoder.
            let md = cxled.memdev();
            let mut p = Some(port);
            while let Some(pt) = p {
                let Some(ep) = pt.ep(md) else { break };
                if let Some(d) = pt.region_ref(r, g).and_then(RegionRef::decoder) {
                    d.reset(g);
                }
                p = ep.next();
            }
            cxled.decoder().reset(g);
            decode_reset(r, g, i as i32);
            return Err(e);
        }
    }
    Ok(())
}

/// `cxl_region_decode_reset()`: the first `count` targets' decoders, top down, last target
/// first.
pub(crate) fn decode_reset(r: &Region, g: &RegionWrite, count: i32) {
    if r.flag(g, REGION_F_LOCK) {
        return;
    }
    crate::dc::region_reset(r, g);
    // Flush or complain before teardown, as C does; the result does not stop the reset.
    let _ = r.invalidate_memregion(g);
    for i in (0..count.max(0) as usize).rev() {
        let Some(cxled) = r.target(g, i) else {
            continue;
        };
        if !r.target_is_rcd(g, i) {
            let _ = for_each_port_down(cxled, |port| {
                if *port != *cxled.port() {
                    if let Some(d) = port.region_ref(r, g).and_then(RegionRef::decoder) {
                        d.reset(g);
                    }
                    r.set_flag(g, REGION_F_NEEDS_RESET, true);
                }
                Ok(())
            });
        }
        cxled.decoder().reset(g);
        r.set_flag(g, REGION_F_NEEDS_RESET, true);
    }
    r.set_flag(g, REGION_F_NEEDS_RESET, false);
}

/// `commit_store()`.
pub(crate) fn commit_store(r: &Region, commit: bool) -> Result {
    if commit {
        let g = RegionWrite::lock_killable()?;
        let state = r.state(&g);
        if state >= ConfigState::Commit {
            return Ok(());
        }
        if state < ConfigState::Active {
            return Err(ENXIO);
        }
        r.invalidate_memregion(&g)?;
        decode_commit(r, &g)?;
        r.set_state(&g, ConfigState::Commit);
        let committed = crate::dc::region_committed(r, &g);
        // The extents the device holds are read with the region lock dropped: a slow device
        // must not hold it.
        drop(g);
        if let Some(c) = committed {
            crate::dc::read_back(r, c);
        }
        return Ok(());
    }
    {
        let g = RegionWrite::lock_killable()?;
        if r.flag(&g, REGION_F_LOCK) {
            return Err(EPERM);
        }
        if r.state(&g) < ConfigState::Commit {
            return Ok(());
        }
        r.set_state(&g, ConfigState::ResetPending);
    }
    // Unbind with the reset pending, so that the region cannot go active again before it.
    r.release_driver();
    let g = RegionWrite::lock();
    if r.state(&g) == ConfigState::ResetPending {
        decode_reset(r, &g, r.interleave(&g).ways);
        r.set_state(&g, ConfigState::Active);
    }
    Ok(())
}
