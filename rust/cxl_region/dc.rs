// SPDX-License-Identifier: GPL-2.0

//! Dynamic Capacity: the extents a device offers (Add Capacity) and asks back (Release Capacity).
//!
//! The core hands each record of a device's Dynamic Capacity event log to [`event`]. Add Capacity
//! records are collected per device until their More chain closes; the chain is then judged
//! against the device's committed DC regions (`extent::judge`: each extent goes to the region
//! whose DPA range holds it; partition, alignment, overlap, tag groups) and answered with one Add
//! DC Response that lists exactly the accepted extents, none at all included. A Release Capacity
//! record gives back every accepted extent it touches, with the rest of their tag groups, in one
//! Release DC per region, once no dax device holds them and no System RAM lies in them; capacity
//! the host holds in no committed region (its region was decommitted or deleted) is given back at
//! once, checked against the device's own list. Capacity that was never accepted is never
//! released.
//!
//! A DC region enters the state when it is committed and leaves it when its decode is reset
//! (decommit, target detach, delete, unload). The device keeps the extents accepted into it:
//! they are the host's until the device asks for them back, and a DC region committed later over
//! their DPA range reads them back (Get DC Extent List) and takes them.
//!
//! # Locking
//!
//! The state is guarded by the provider's DC mutex, which is never held across a mailbox command
//! and never taken with `cxl_rwsem.region` held except briefly by commit and decode reset (which
//! hold it for writing): a slow or stalled device cannot hold the region lock. Mailbox commands go
//! out with no lock of ours held; the extents an answer changes are marked first (`Accepting`,
//! `Returning`) and settled after it, and each device counts the answers in flight and sent, so
//! that the extent list read at commit, outside the lock, is taken only if no answer changed the
//! device's list meanwhile (else it is read again). Order: `cxl_rwsem.region`, the DC mutex, the
//! `cxl_dax_region` device lock; `cxl_memdev_rwsem` (read, around a command to a device found
//! from its memdev) is never taken inside the DC mutex. Memdevs are held by reference, never
//! named by address: a memdev that goes takes its open chain with it.

use crate::cxl::{
    driver::Notify,
    extent::{
        self, Accepted, Action, Chain, EventKind, Extent, ExtentList, ListScan, Page, Pending,
        Record, Window,
    },
    extent_dev::{self, ExtentDev},
    provider::{dc_state, DcTimer},
    region::{self, DaxRegionDev, DaxRegionLocked, PartMode, Region, RegionWrite},
    topology::{DpaRead, Memdev, MemdevState},
    Range,
};
use crate::RegionProvider;
use kernel::{
    prelude::*,
    sync::{aref::ARef, Arc, Mutex},
    time::{delay::fsleep, ClockSource, Delta, Monotonic},
};

const GET_DC_EXTENT_LIST: u16 = 0x4801;
/// The record types of the trace event, as a record has them.
const ADD: u8 = 0;
const RELEASE: u8 = 1;
const ADD_DC_RESPONSE: u16 = 0x4802;
const RELEASE_DC: u16 = 0x4803;

/// Where an accepted extent is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum HeldState {
    /// Accepted by the judge; the Add DC Response that accepts it is on its way. No device yet.
    Accepting,
    /// The host's.
    Accepted,
    /// The device asked for it back; it goes once no dax device holds it and no System RAM lies
    /// in it.
    Releasing,
    /// The dax region let it go; the Release DC that gives it back is on its way.
    Returning,
}

/// An accepted extent, and its `extentZ.N` device while the region has a dax region.
struct Held {
    /// The extent; `seq` is its place in its tag group (`0..n`, as the dax side claims a group).
    extent: Extent,
    id: u32,
    dev: Option<extent_dev::Registered>,
    state: HeldState,
    /// Why it waits to be released was logged (once per release).
    told: bool,
}

impl Held {
    fn new(extent: Extent, id: u32, state: HeldState) -> Self {
        Self {
            extent,
            id,
            dev: None,
            state,
            told: false,
        }
    }
}

/// A committed Dynamic Capacity region and the extents accepted into it.
struct DcRegion {
    region_id: i32,
    /// Which commit of the region this is (unique in the state): what the extent list read at
    /// commit, and an answer sent meanwhile, find their region by.
    gen: u64,
    memdev: ARef<Memdev>,
    /// The region's window.
    window: Window,
    /// The first host physical address of the region (DPA `window.dpa_start`).
    hpa_start: u64,
    extents: KVec<Held>,
    /// The region's `dax_regionZ` while its driver is bound: the parent of the extent devices.
    dax: Option<ARef<DaxRegionDev>>,
}

impl DcRegion {
    /// The smallest extent id not in use in the region (ids are reused once their extent is
    /// gone: the device name goes with `device_del()`, before the id can be taken again).
    fn free_id(&self) -> u32 {
        (0..)
            .find(|n| self.extents.iter().all(|h| h.id != *n))
            .unwrap_or(0)
    }

    /// The extent's host physical address range (a DC region has one way: HPA and DPA offsets
    /// are the same).
    fn hpa_of(&self, e: &Extent) -> Range {
        let start = self.hpa_start + (e.start - self.window.dpa_start);
        Range {
            start,
            end: start + e.length - 1,
        }
    }

    /// The next place in tag group `tag` (untagged: 0): read back from a device that keeps no
    /// sequence (a partition that is not shareable), a group is numbered in list order.
    fn next_seq(&self, tag: &[u8; 16]) -> u16 {
        if *tag == [0; 16] {
            return 0;
        }
        let n = self.extents.iter().filter(|h| h.extent.tag == *tag).count();
        u16::try_from(n).unwrap_or(u16::MAX)
    }

    /// Adds the devices of the accepted extents that have none, when the region has a dax
    /// region, and tells its driver: with the dax region locked, so that a probing driver sees
    /// each extent either as a device or as a notification. A failure leaves the extent accepted,
    /// without a device.
    fn add_devices(&mut self) {
        let Some(dax) = self.dax.clone() else {
            return;
        };
        dax.with_lock(|l| {
            for i in 0..self.extents.len() {
                let h = &self.extents[i];
                if h.dev.is_some() || h.state != HeldState::Accepted {
                    continue;
                }
                let (e, id) = (h.extent, h.id);
                let offset = e.start - self.window.dpa_start;
                let added =
                    ExtentDev::add(l.dev(), self.region_id, id, offset, e.length, e.tag, e.seq);
                match added {
                    Ok(dev) => self.extents[i].dev = Some(dev),
                    Err(err) => {
                        pr_err!(
                            "region{}: extent {:#x}+{:#x} has no device: {:?}\n",
                            self.region_id,
                            offset,
                            e.length,
                            err
                        );
                        continue;
                    }
                }
                self.tell_dax(l, &e);
            }
        });
    }

    /// Tells the dax region's driver that extent `e` is the host's (usable).
    fn tell_dax(&self, l: &DaxRegionLocked<'_>, e: &Extent) {
        let news = Notify::AddExtent {
            range: self.hpa_of(e),
            tag: e.tag,
            seq: e.seq,
        };
        if let Err(err) = l.notify(&news) {
            pr_err!(
                "region{}: extent {:#x}+{:#x} not usable by dax: {:?}\n",
                self.region_id,
                e.start - self.window.dpa_start,
                e.length,
                err
            );
        }
    }

    /// Makes the `Releasing` extents `Returning` if they can go: no System RAM in them and the
    /// dax region lets them go (all or none: `EBUSY` while a dax device holds one). Returns their
    /// DPA ranges, `None` when they must wait (the reason logged once per release) or there are
    /// none.
    fn let_go(&mut self, mds: &MemdevState) -> Option<KVec<(u64, u64)>> {
        let mut dpa = KVec::new();
        let mut hpa = KVec::new();
        let mut tell = false;
        for h in self
            .extents
            .iter()
            .filter(|h| h.state == HeldState::Releasing)
        {
            tell |= !h.told;
            if dpa
                .push((h.extent.start, h.extent.length), GFP_KERNEL)
                .is_err()
                || hpa.push(self.hpa_of(&h.extent), GFP_KERNEL).is_err()
            {
                dev_err!(
                    mds.as_ref(),
                    "no memory to release extents: retried later\n"
                );
                return None;
            }
        }
        if dpa.is_empty() {
            return None;
        }
        let n = dpa.len();
        let id = self.region_id;
        // Memory that is (or was, and is not yet removed) System RAM is the kernel's: its
        // memory map may lie in it. kmem leaves it so when it cannot remove it.
        if hpa.iter().any(|r| region::system_ram_in(*r)) {
            self.trace_waiting(c"System RAM");
            if tell {
                dev_warn!(
                    mds.as_ref(),
                    "region{}: {} extents to release hold System RAM: released once it is removed\n",
                    id,
                    n
                );
            }
            self.mark_told();
            return None;
        }
        if let Some(dax) = self.dax.clone() {
            let rc = dax.with_lock(|l| l.notify(&Notify::ReleaseExtents(&hpa)));
            if let Err(e) = rc {
                self.trace_waiting(if e == EBUSY {
                    c"in use"
                } else {
                    c"kept by dax"
                });
                if tell && e == EBUSY {
                    dev_info!(
                        mds.as_ref(),
                        "region{}: {} extents to release are in use: released once free\n",
                        id,
                        n
                    );
                } else if tell {
                    dev_err!(
                        mds.as_ref(),
                        "region{}: the dax region keeps extents to release ({:?}): retried\n",
                        id,
                        e
                    );
                }
                self.mark_told();
                return None;
            }
        }
        for h in self.extents.iter_mut() {
            if h.state == HeldState::Releasing {
                h.state = HeldState::Returning;
            }
        }
        Some(dpa)
    }

    /// Traces, once per release, the `Releasing` extents that wait, and `why`.
    fn trace_waiting(&self, why: &CStr) {
        for h in self
            .extents
            .iter()
            .filter(|h| h.state == HeldState::Releasing && !h.told)
        {
            self.memdev
                .trace_dc_extent(self.region_id, RELEASE, &h.extent, c"held back", why);
        }
    }

    fn mark_told(&mut self) {
        for h in self.extents.iter_mut() {
            if h.state == HeldState::Releasing {
                h.told = true;
            }
        }
    }

    /// The Release DC of the `Returning` extents went out: `Ok`, they go (with their devices);
    /// else they are the host's again, and the dax region's.
    fn returned(&mut self, mds: &MemdevState, rc: Result) {
        match rc {
            Ok(()) => {
                let n = self.extents.len();
                for h in self
                    .extents
                    .iter()
                    .filter(|h| h.state == HeldState::Returning)
                {
                    self.memdev.trace_dc_extent(
                        self.region_id,
                        RELEASE,
                        &h.extent,
                        c"released",
                        c"",
                    );
                }
                // Dropping the entries unregisters their devices.
                self.extents.retain(|h| h.state != HeldState::Returning);
                dev_dbg!(
                    mds.as_ref(),
                    "{} extents released from region{}\n",
                    n - self.extents.len(),
                    self.region_id
                );
            }
            Err(err) => {
                dev_err!(
                    mds.as_ref(),
                    "region{}: Release DC failed: {:?}; the extents stay\n",
                    self.region_id,
                    err
                );
                for h in self.extents.iter_mut() {
                    if h.state == HeldState::Returning {
                        h.state = HeldState::Accepted;
                    }
                }
                // The dax region let them go: it gets them back.
                if let Some(dax) = self.dax.clone() {
                    dax.with_lock(|l| {
                        for h in self
                            .extents
                            .iter()
                            .filter(|h| h.state == HeldState::Accepted && h.dev.is_some())
                        {
                            self.tell_dax(l, &h.extent);
                        }
                    });
                }
            }
        }
    }
}

/// What the state keeps of a device: its open Add Capacity chain, and its answers.
struct DcDev {
    memdev: ARef<Memdev>,
    chain: Option<KBox<Pending>>,
    /// Answers (Add DC Response, Release DC) that changed the device's list, sent so far.
    answers: u64,
    /// Answers on their way (marked, not yet settled).
    in_flight: u32,
}

/// The Dynamic Capacity state of the provider.
#[derive(Default)]
pub(crate) struct DcState {
    regions: KVec<DcRegion>,
    devs: KVec<DcDev>,
    /// The last commit generation handed out.
    gen: u64,
    /// Armed while a chain is open or a release waits; made the first time.
    pub(crate) timer: Option<Arc<DcTimer<RegionProvider>>>,
}

impl DcState {
    fn dev(&mut self, md: &Memdev) -> Option<&mut DcDev> {
        self.devs.iter_mut().find(|d| *d.memdev == *md)
    }

    /// The entry of `md`, made the first time.
    fn dev_entry(&mut self, md: &Memdev) -> Result<&mut DcDev> {
        let i = match self.devs.iter().position(|d| *d.memdev == *md) {
            Some(i) => i,
            None => {
                self.devs.push(
                    DcDev {
                        memdev: md.into(),
                        chain: None,
                        answers: 0,
                        in_flight: 0,
                    },
                    GFP_KERNEL,
                )?;
                self.devs.len() - 1
            }
        };
        Ok(&mut self.devs[i])
    }

    fn region(&mut self, id: i32, gen: u64) -> Option<&mut DcRegion> {
        self.regions
            .iter_mut()
            .find(|r| r.region_id == id && r.gen == gen)
    }

    /// An answer to `md` is on its way. (A device without an entry is gone, or never had a
    /// region or an event: nothing reads its list.)
    fn answer_begins(&mut self, md: &Memdev) {
        if let Some(d) = self.dev(md) {
            d.in_flight += 1;
        }
    }

    /// The answer to `md` has been sent (or failed): the device's list may have changed.
    fn answer_ends(&mut self, md: &Memdev) {
        if let Some(d) = self.dev(md) {
            d.in_flight = d.in_flight.saturating_sub(1);
            d.answers += 1;
        }
    }
}

/// How often a release that waits (for dax devices to let go, for System RAM to be removed) is
/// tried again. Also the longest the timer is ever armed for: a timer already pending keeps its
/// time when armed again, so a longer one (an open chain's stall, 20 s off) would hold back a
/// release that waits for as long.
const RELEASE_RETRY_MS: u64 = 1000;

/// The Dynamic Capacity timer ran. It looks at the open chains once their device has been silent
/// for [`extent::CHAIN_TIMEOUT_MS`]: a stalled chain is dropped and answered with an Add DC
/// Response that accepts nothing, so that the device does not keep its capacity pending. And it
/// tries again, every [`RELEASE_RETRY_MS`], the releases that wait. Returns in how many ms it is
/// to run again.
pub(crate) fn timer(dc: &Mutex<DcState>) -> Option<u64> {
    let stall = end_chains(dc, Some(now_ms()));
    let retry = retry_releases(dc);
    // While a chain is open the timer runs at least every `RELEASE_RETRY_MS` (see there).
    match (stall, retry) {
        (Some(a), _) => Some(a.min(RELEASE_RETRY_MS)),
        (None, true) => Some(RELEASE_RETRY_MS),
        (None, false) => None,
    }
}

/// Tries again the releases that wait. Returns whether some still wait.
fn retry_releases(dc: &Mutex<DcState>) -> bool {
    let mut mds = KVec::new();
    {
        let st = dc.lock();
        for r in st
            .regions
            .iter()
            .filter(|r| r.extents.iter().any(|h| h.state == HeldState::Releasing))
        {
            if mds.iter().all(|m: &ARef<Memdev>| **m != *r.memdev)
                && mds.push(r.memdev.clone(), GFP_KERNEL).is_err()
            {
                return true;
            }
        }
    }
    let mut waiting = false;
    for md in mds.iter() {
        // A memdev without its state any more: its regions go with it, nothing to answer.
        waiting |= md
            .with_dc(|mds| Ok(give_back(dc, mds, md)))
            .unwrap_or(false);
    }
    waiting
}

/// Ends the chains stalled at `now` (every open one when `None`): each is answered with an Add
/// DC Response accepting nothing, then freed. Returns in how many ms the next open chain stalls.
fn end_chains(dc: &Mutex<DcState>, now: Option<u64>) -> Option<u64> {
    let mut next: Option<u64> = None;
    let mut ended = KVec::new();
    {
        let mut st = dc.lock();
        for d in st.devs.iter_mut() {
            let Some(c) = d.chain.as_mut() else {
                continue;
            };
            match c.stalls_in(now) {
                // Closed and answered: freed until the device starts another.
                None => d.chain = None,
                Some(0) => {
                    let n = c.extents().len() + c.dropped();
                    if ended.push((d.memdev.clone(), n), GFP_KERNEL).is_ok() {
                        d.chain = None;
                    } else {
                        // Looked at again at the next run.
                        next = Some(RELEASE_RETRY_MS);
                    }
                }
                Some(wait) => next = Some(next.map_or(wait, |n| n.min(wait))),
            }
        }
    }
    for (md, n) in ended.iter() {
        let _ = md.with_dc(|mds| {
            drop_chain(mds, *n);
            Ok(())
        });
    }
    next
}

/// Answers an unfinished chain of `n` extents (stalled, or `cxl_region` going): nothing of it is
/// accepted.
fn drop_chain(mds: &MemdevState, n: usize) {
    dev_warn!(
        mds.as_ref(),
        "Add Capacity chain of {} extents ended unfinished: none accepted\n",
        n
    );
    answer_none(mds);
}

/// Answers the device's Add Capacity chain with an Add DC Response that accepts nothing.
fn answer_none(mds: &MemdevState) {
    if let Err(e) = respond(mds, ADD_DC_RESPONSE, &[]) {
        dev_err!(mds.as_ref(), "Add DC Response failed: {:?}\n", e);
    }
}

/// `cxl_region` is going: no more events come. Open chains are answered (accepting nothing); the
/// registration stops the timer afterwards. (Waiting releases stay with the device: the regions
/// are gone already.)
pub(crate) fn shutdown(dc: &Mutex<DcState>) {
    end_chains(dc, None);
}

/// The memdev `md` lost its device state (it is being unregistered): its events have stopped,
/// and its open chain, which nothing can answer any more, goes with it.
pub(crate) fn memdev_gone(dc: &Mutex<DcState>, md: &Memdev) {
    let gone = {
        let mut st = dc.lock();
        match st.devs.iter().position(|d| *d.memdev == *md) {
            Some(i) => st.devs.remove(i).ok(),
            None => None,
        }
    };
    if let Some(n) = gone
        .and_then(|d| d.chain)
        .map(|c| c.extents().len() + c.dropped())
        .filter(|n| *n > 0)
    {
        dev_warn!(
            md.as_ref(),
            "gone with an Add Capacity chain of {} extents open: dropped\n",
            n
        );
    }
}

/// The accepted extents of every region, as `extent::judge` asks about them for a device, and
/// those a region being read back has taken so far (`taking`, for overlap only).
struct View<'a> {
    regions: &'a [DcRegion],
    memdev: &'a Memdev,
    taking: &'a [Held],
}

impl Accepted for View<'_> {
    fn overlaps(&self, start: u64, end: u64) -> bool {
        let held = self
            .regions
            .iter()
            .filter(|r| *r.memdev == *self.memdev)
            .flat_map(|r| r.extents.iter());
        Iterator::chain(held, self.taking.iter()).any(|h| h.extent.overlaps(start, end))
    }

    fn tag_in_use(&self, tag: &[u8; 16]) -> bool {
        self.regions
            .iter()
            .flat_map(|r| r.extents.iter())
            .any(|h| h.extent.tag == *tag)
    }
}

fn now_ms() -> u64 {
    (Monotonic::ktime_get() / 1_000_000) as u64
}

/// A DC region just committed, whose device's extent list is still to be read
/// ([`read_back`]).
pub(crate) struct Committed {
    region_id: i32,
    gen: u64,
    memdev: ARef<Memdev>,
}

/// A committed DC region starts taking extents: offered capacity from now on, and (once the
/// caller has dropped the region lock) what its device holds for the host already, accepted
/// into an earlier region or before `cxl_region` was reloaded ([`read_back`]).
pub(crate) fn region_committed(r: &Region, g: &RegionWrite) -> Option<Committed> {
    if r.mode() != Some(PartMode::DynamicRam1) {
        return None;
    }
    let dc = dc_state::<RegionProvider>(r)?;
    let cxled = r.target(g, 0)?;
    let memdev = cxled.memdev();
    let (Some((dpa_start, dpa_end)), Ok(Some((part, shareable))), Some(hpa)) = (
        cxled.dpa_range(&DpaRead::lock_after(g)),
        memdev.part_range(cxled.part(g)),
        r.hpa(g),
    ) else {
        return None;
    };
    // Under `cxl_memdev_rwsem`: the memdev's entry is made before it can go (`memdev_gone`).
    memdev
        .with_dc(|mds| {
            let mut st = dc.lock();
            st.dev_entry(memdev)?;
            add_region(
                &mut st,
                r,
                memdev,
                mds.dc_block_size(),
                (part, shareable),
                (dpa_start, dpa_end),
                hpa.start,
            )
        })
        .inspect_err(|e| {
            dev_err!(
                r.as_ref(),
                "takes no extents ({:?}): offered capacity will be refused\n",
                e
            )
        })
        .ok()
}

/// Adds the state of a DC region just committed.
fn add_region(
    st: &mut DcState,
    r: &Region,
    memdev: &Memdev,
    block: u64,
    ((part_start, part_end), shareable): ((u64, u64), bool),
    (dpa_start, dpa_end): (u64, u64),
    hpa_start: u64,
) -> Result<Committed> {
    st.gen += 1;
    let entry = DcRegion {
        region_id: r.id(),
        gen: st.gen,
        memdev: memdev.into(),
        window: Window {
            partition: 0,
            part_start,
            part_end,
            dpa_start,
            dpa_end,
            block,
            shareable,
        },
        hpa_start,
        extents: KVec::new(),
        dax: None,
    };
    let done = Committed {
        region_id: entry.region_id,
        gen: entry.gen,
        memdev: entry.memdev.clone(),
    };
    // A region id is unique while the region lives; drop what a previous holder left.
    st.regions.retain(|x| x.region_id != entry.region_id);
    st.regions.push(entry, GFP_KERNEL)?;
    Ok(done)
}

/// Reads the device's extent list for a region just committed, with no lock of the region held,
/// and takes what lies in the region. The list is taken only if no answer to the device went out
/// meanwhile (one that did changes the list); else it is read again, at most
/// [`extent::MAX_LIST_RESTARTS`] times. Nothing is taken if the region was reset meanwhile.
pub(crate) fn read_back(r: &Region, c: Committed) {
    let Some(dc) = dc_state::<RegionProvider>(r) else {
        return;
    };
    let mut restarts = 0;
    let mut waits = 0;
    loop {
        let answers = {
            let mut st = dc.lock();
            if st.region(c.region_id, c.gen).is_none() {
                return;
            }
            match st.dev(&c.memdev).map(|d| (d.in_flight, d.answers)) {
                // Gone: nothing reads its list any more.
                None => return,
                Some((0, answers)) => answers,
                Some(_) if waits < 1000 => {
                    drop(st);
                    // An answer is on its way: it settles in a mailbox command's time.
                    waits += 1;
                    fsleep(Delta::from_millis(10));
                    continue;
                }
                _ => {
                    pr_err!(
                        "region{}: the extents its device holds are not read: busy\n",
                        c.region_id
                    );
                    return;
                }
            }
        };
        let listed = c.memdev.with_dc(read_extents);
        let mut st = dc.lock();
        let st = &mut *st;
        let Some(ri) = st
            .regions
            .iter()
            .position(|r| r.region_id == c.region_id && r.gen == c.gen)
        else {
            return;
        };
        let settled = st
            .dev(&c.memdev)
            .is_some_and(|d| d.in_flight == 0 && d.answers == answers);
        if !settled {
            restarts += 1;
            if restarts > extent::MAX_LIST_RESTARTS {
                pr_err!(
                    "region{}: the device's extent list kept changing: not read back\n",
                    c.region_id
                );
                return;
            }
            continue;
        }
        match listed {
            Ok(listed) => {
                let mut entry = st.regions.remove(ri).ok();
                if let Some(e) = entry.as_mut() {
                    take_listed(e, &st.regions, &listed);
                    e.add_devices();
                }
                if let Some(e) = entry {
                    // Room was there: it was just removed.
                    let _ = st.regions.push(e, GFP_KERNEL);
                }
            }
            Err(e) => pr_err!(
                "region{}: the extents the device holds are not read ({:?}): they stay out of the region\n",
                c.region_id,
                e
            ),
        }
        return;
    }
}

/// Get DC Extent List, read whole: the extents the device holds for the host.
fn read_extents(mds: &MemdevState) -> Result<KVec<Extent>> {
    let mut buf = KVec::from_elem(0u8, mds.payload_size(), GFP_KERNEL)?;
    let mut scan = ListScan::new(buf.len());
    let mut listed = KVec::new();
    while let Some(req) = scan.request() {
        let n = mds.dc_cmd(GET_DC_EXTENT_LIST, &req, &mut buf)?;
        match scan.take(&buf[..n]) {
            Ok(Page::Extents(k)) => {
                for i in 0..k {
                    listed.push(ExtentList::extent(&buf, i), GFP_KERNEL)?;
                }
            }
            Ok(Page::Restart) => listed.clear(),
            Err(e) => {
                dev_err!(mds.as_ref(), "Get DC Extent List refused: {:?}\n", e);
                return Err(EIO);
            }
        }
    }
    Ok(listed)
}

/// Takes into `entry` the extents of `listed` that lie in its DPA range and obey the rules
/// (`extent::check_listed`); `others` are the other committed DC regions. An extent the region
/// holds already (accepted since its commit) is skipped.
fn take_listed(entry: &mut DcRegion, others: &[DcRegion], listed: &[Extent]) {
    let id = entry.region_id;
    for e in listed {
        if entry
            .extents
            .iter()
            .any(|h| h.extent.start == e.start && h.extent.length == e.length)
        {
            continue;
        }
        let verdict = extent::check_listed(
            e,
            &entry.window,
            &View {
                regions: others,
                memdev: &entry.memdev,
                taking: &entry.extents,
            },
        );
        match verdict {
            None => {}
            Some(Ok(())) => {
                let mut x = *e;
                if !entry.window.shareable {
                    x.seq = entry.next_seq(&e.tag);
                }
                let held = Held::new(x, entry.free_id(), HeldState::Accepted);
                if entry.extents.push(held, GFP_KERNEL).is_err() {
                    pr_err!("region{}: no memory for extent DPA {:#x}\n", id, e.start);
                    return;
                }
                pr_debug!(
                    "region{}: extent DPA {:#x}+{:#x} read back\n",
                    id,
                    e.start,
                    e.length
                );
            }
            Some(Err(why)) => pr_warn!(
                "region{}: extent DPA {:#x}+{:#x} the device holds is not taken: {}\n",
                id,
                e.start,
                e.length,
                why.as_str()
            ),
        }
    }
}

/// The decode of a region is reset: it takes no more extents. Those accepted stay the host's on
/// the device. Nothing to do (and no lock to take) for a region of another mode.
pub(crate) fn region_reset(r: &Region, _: &RegionWrite) {
    if r.mode() != Some(PartMode::DynamicRam1) {
        return;
    }
    let Some(dc) = dc_state::<RegionProvider>(r) else {
        return;
    };
    let mut st = dc.lock();
    let id = r.id();
    if let Some(i) = st.regions.iter().position(|x| x.region_id == id) {
        if let Ok(gone) = st.regions.remove(i) {
            if !gone.extents.is_empty() {
                dev_info!(
                    r.as_ref(),
                    "decode reset with {} extents accepted: the device keeps them\n",
                    gone.extents.len()
                );
            }
        }
    }
}

/// The `dax_regionZ` of a bound DC region is there: the accepted extents get their devices.
pub(crate) fn dax_region_added(r: &Region, dax: ARef<DaxRegionDev>) {
    with_region(r, |reg| {
        reg.dax = Some(dax);
        reg.add_devices();
    });
}

/// The `dax_regionZ` of a DC region is about to go (its driver unbinds): the extent devices go
/// first. The extents stay accepted.
pub(crate) fn dax_region_gone(r: &Region) {
    with_region(r, |reg| {
        if let Some(dax) = reg.dax.take() {
            dax.with_lock(|_| {
                for h in reg.extents.iter_mut() {
                    h.dev = None;
                }
            });
        }
    });
}

/// Runs `f` on the DC state of `r`, if it is a committed DC region.
fn with_region(r: &Region, f: impl FnOnce(&mut DcRegion)) {
    let Some(dc) = dc_state::<RegionProvider>(r) else {
        return;
    };
    let id = r.id();
    if let Some(reg) = dc.lock().regions.iter_mut().find(|x| x.region_id == id) {
        f(reg);
    }
}

/// A record of `mds`'s Dynamic Capacity event log.
pub(crate) fn event(dc: &Mutex<DcState>, mds: &MemdevState, record: &[u8]) {
    let rec = match Record::parse(record) {
        Ok(rec) => rec,
        Err(e) => {
            dev_warn!(
                mds.as_ref(),
                "Dynamic Capacity event record refused: {:?}\n",
                e
            );
            return;
        }
    };
    match (rec.kind.action(), rec.kind) {
        (Action::Add, _) => add_capacity(dc, mds, &rec),
        (Action::Release, _) => release_capacity(dc, mds, &rec),
        (Action::Ignore, EventKind::ForcedRelease) => {
            mds.memdev()
                .trace_dc_extent(-1, rec.kind.raw(), &rec.extent, c"ignored", c"");
            dev_warn!(
                mds.as_ref(),
                "forced release of DPA {:#x}+{:#x} ignored\n",
                rec.extent.start,
                rec.extent.length
            )
        }
        (Action::Ignore, kind) => {
            mds.memdev()
                .trace_dc_extent(-1, kind.raw(), &rec.extent, c"ignored", c"");
            dev_dbg!(mds.as_ref(), "Dynamic Capacity event {:?} ignored\n", kind)
        }
    }
}

/// Sends `opcode` (Add DC Response or Release DC) listing `ranges`, split over as many payloads
/// as the mailbox needs (More set on all but the last); one payload listing nothing when empty,
/// built on the stack: an answer accepting nothing needs no memory. `ENOMEM`: nothing was sent.
fn respond(mds: &MemdevState, opcode: u16, ranges: &[(u64, u64)]) -> Result {
    if ranges.is_empty() {
        let mut hdr = [0u8; extent::RESPONSE_HDR_LEN];
        let len = extent::encode_response(core::iter::empty(), false, &mut hdr).ok_or(EINVAL)?;
        mds.dc_cmd(opcode, &hdr[..len], &mut [])?;
        return Ok(());
    }
    let size = mds.payload_size();
    let per = extent::extents_per_response(size);
    if per == 0 {
        return Err(EINVAL);
    }
    let mut buf = KVec::from_elem(0u8, size, GFP_KERNEL)?;
    let mut rest = ranges;
    loop {
        let (now, later) = rest.split_at(rest.len().min(per));
        let len = extent::encode_response(now.iter().copied(), !later.is_empty(), &mut buf)
            .ok_or(EINVAL)?;
        mds.dc_cmd(opcode, &buf[..len], &mut [])?;
        if later.is_empty() {
            return Ok(());
        }
        rest = later;
    }
}

/// Where the accepted extents of a chain go: a region (by index into `DcState::regions`) each.
struct Route {
    ranges: KVec<(u64, u64)>,
}

/// Judges a closed chain of `md` against its committed DC regions, logs each refusal, and marks
/// the accepted extents `Accepting` in their regions. Returns what the Add DC Response lists.
fn judge_chain(st: &mut DcState, mds: &MemdevState, md: &Memdev) -> Route {
    let mut route = Route {
        ranges: KVec::new(),
    };
    let DcState { regions, devs, .. } = st;
    let Some(chain) = devs
        .iter_mut()
        .find(|d| *d.memdev == *md)
        .and_then(|d| d.chain.as_mut())
    else {
        return route;
    };
    // The device's regions and their windows (as many as its endpoint decoders, a few).
    let mut idx = KVec::new();
    let mut windows = KVec::new();
    for (i, r) in regions.iter().enumerate() {
        if *r.memdev == *md
            && (idx.push(i, GFP_KERNEL).is_err() || windows.push(r.window, GFP_KERNEL).is_err())
        {
            dev_err!(
                mds.as_ref(),
                "no memory to judge offered capacity: none accepted\n"
            );
            idx.clear();
            windows.clear();
            break;
        }
    }
    let ext = chain.extents();
    let v = extent::judge(
        chain,
        &windows,
        &View {
            regions,
            memdev: md,
            taking: &[],
        },
    );
    for (i, e) in ext.iter().enumerate() {
        if let Err(why) = v.get(i) {
            md.trace_dc_extent(-1, ADD, e, c"refused", why.as_cstr());
            dev_warn!(
                mds.as_ref(),
                "extent DPA {:#x}+{:#x} not accepted: {}\n",
                e.start,
                e.length,
                why.as_str()
            );
        }
    }
    if chain.dropped() != 0 {
        dev_warn!(
            mds.as_ref(),
            "{} extents beyond {} pending not accepted\n",
            chain.dropped(),
            extent::MAX_PENDING
        );
    }
    // Room for the accepted extents first: the device must not hand over capacity the host then
    // cannot track.
    let mut room = route.ranges.reserve(v.accepted_count(), GFP_KERNEL).is_ok();
    for (k, &ri) in idx.iter().enumerate() {
        let n = v.accepted().filter(|&i| v.window(i) == k).count();
        room &= regions[ri].extents.reserve(n, GFP_KERNEL).is_ok();
    }
    if !room {
        dev_err!(
            mds.as_ref(),
            "no memory to track {} extents: none accepted\n",
            v.accepted_count()
        );
    } else {
        for i in v.accepted() {
            let r = &mut regions[idx[v.window(i)]];
            let mut e = ext[i];
            e.seq = v.seq(i);
            let _ = r
                .extents
                .push_within_capacity(Held::new(e, r.free_id(), HeldState::Accepting));
            let _ = route.ranges.push_within_capacity((e.start, e.length));
        }
    }
    chain.clear();
    route
}

fn add_capacity(dc: &Mutex<DcState>, mds: &MemdevState, rec: &Record) {
    let now = now_ms();
    let md = mds.memdev();
    // A stalled chain is answered (accepting nothing) before this record starts a new one.
    let stalled = {
        let mut st = dc.lock();
        match st.dev(&md).and_then(|d| d.chain.as_mut()) {
            Some(c) if c.stalled(now) => {
                let n = c.extents().len() + c.dropped();
                c.clear();
                Some(n)
            }
            _ => None,
        }
    };
    if let Some(n) = stalled {
        drop_chain(mds, n);
    }
    let route = {
        let mut guard = dc.lock();
        let st = &mut *guard;
        let chain = st.dev_entry(&md).and_then(|d| {
            if d.chain.is_none() {
                // Built in place: a chain is 4 KiB, too much for the event thread's stack.
                d.chain = Some(KBox::init(pin_init::init_zeroed::<Pending>(), GFP_KERNEL)?);
            }
            d.chain.as_mut().ok_or(ENOMEM)
        });
        let chain = match chain {
            Ok(c) => c,
            Err(_) => {
                drop(guard);
                // The record is dropped; the device still gets its one answer per chain, at
                // the chain's end (an unanswered chain stays pending on the device, and it
                // offers nothing that overlaps it).
                dev_err!(
                    mds.as_ref(),
                    "no memory for an Add Capacity chain: DPA {:#x}+{:#x} not accepted\n",
                    rec.extent.start,
                    rec.extent.length
                );
                if !rec.more {
                    answer_none(mds);
                }
                return;
            }
        };
        if chain.push(rec, now) == Chain::Open {
            DcTimer::arm(
                &mut st.timer,
                extent::CHAIN_TIMEOUT_MS.min(RELEASE_RETRY_MS),
            );
            return;
        }
        let route = judge_chain(st, mds, &md);
        st.answer_begins(&md);
        route
    };
    let rc = respond(mds, ADD_DC_RESPONSE, &route.ranges);
    if rc == Err(ENOMEM) {
        // Nothing sent: the device gets an answer accepting nothing instead.
        dev_err!(
            mds.as_ref(),
            "no memory for an Add DC Response of {} extents: none accepted\n",
            route.ranges.len()
        );
        answer_none(mds);
    } else if let Err(e) = rc {
        dev_err!(
            mds.as_ref(),
            "Add DC Response failed ({:?}): {} extents not accepted\n",
            e,
            route.ranges.len()
        );
    }
    let mut st = dc.lock();
    st.answer_ends(&md);
    for r in st.regions.iter_mut().filter(|r| *r.memdev == *md) {
        if rc.is_ok() {
            for h in r.extents.iter_mut() {
                if h.state == HeldState::Accepting {
                    h.state = HeldState::Accepted;
                    md.trace_dc_extent(r.region_id, ADD, &h.extent, c"accepted", c"");
                    dev_dbg!(
                        mds.as_ref(),
                        "extent DPA {:#x}+{:#x} accepted into region{}\n",
                        h.extent.start,
                        h.extent.length,
                        r.region_id
                    );
                }
            }
            r.add_devices();
        } else {
            for h in r.extents.iter().filter(|h| h.state == HeldState::Accepting) {
                md.trace_dc_extent(
                    r.region_id,
                    ADD,
                    &h.extent,
                    c"refused",
                    c"Add DC Response failed",
                );
            }
            r.extents.retain(|h| h.state != HeldState::Accepting);
        }
    }
}

/// Marks `Releasing` the extents of `md`'s regions that `[start, end)` touches, with the rest of
/// their tag groups (a group goes whole). Returns how many it marked.
fn mark_releasing(st: &mut DcState, md: &Memdev, start: u64, end: u64) -> Result<usize> {
    let mut n = 0;
    for r in st.regions.iter_mut().filter(|r| *r.memdev == *md) {
        let touched = |x: &Extent| x.overlaps(start, end);
        let mut tags = KVec::new();
        for h in r
            .extents
            .iter()
            .filter(|h| touched(&h.extent) && h.extent.tagged())
        {
            tags.push(h.extent.tag, GFP_KERNEL)?;
        }
        for h in r.extents.iter_mut() {
            if h.state != HeldState::Accepted && h.state != HeldState::Releasing {
                continue;
            }
            if touched(&h.extent) || (h.extent.tagged() && tags.contains(&h.extent.tag)) {
                if h.state != HeldState::Releasing {
                    h.state = HeldState::Releasing;
                    h.told = false;
                }
                n += 1;
            }
        }
    }
    Ok(n)
}

/// Gives back what `md`'s regions have marked `Releasing` and can let go, one Release DC per
/// region. Returns whether some still wait.
fn give_back(dc: &Mutex<DcState>, mds: &MemdevState, md: &Memdev) -> bool {
    let mut waiting = false;
    let mut ids = KVec::new();
    {
        let st = dc.lock();
        for r in st.regions.iter().filter(|r| {
            *r.memdev == *md && r.extents.iter().any(|h| h.state == HeldState::Releasing)
        }) {
            if ids.push((r.region_id, r.gen), GFP_KERNEL).is_err() {
                return true;
            }
        }
    }
    for &(id, gen) in ids.iter() {
        let dpa = {
            let mut st = dc.lock();
            let Some(r) = st.region(id, gen) else {
                continue;
            };
            let dpa = r.let_go(mds);
            waiting |= r.extents.iter().any(|h| h.state == HeldState::Releasing);
            let Some(dpa) = dpa else {
                continue;
            };
            st.answer_begins(md);
            dpa
        };
        let rc = respond(mds, RELEASE_DC, &dpa);
        let mut st = dc.lock();
        st.answer_ends(md);
        if let Some(r) = st.region(id, gen) {
            r.returned(mds, rc);
        }
    }
    waiting
}

/// What [`release_unheld`] did.
enum Unheld {
    /// Gave back this many extents of the device's list, held in no region (0: none of the
    /// range is the host's).
    Given(usize),
    /// A region committed meanwhile holds them: it gives them back.
    InRegion,
}

/// Gives back the extents of the device's list that `[start, end)` touches (with their tag
/// groups) and no region holds: the host holds them in no committed region (their region was
/// decommitted or deleted), so they are free to go.
fn release_unheld(
    dc: &Mutex<DcState>,
    mds: &MemdevState,
    md: &Memdev,
    start: u64,
    end: u64,
) -> Result<Unheld> {
    dc.lock().answer_begins(md);
    let rc = (|| {
        let listed = read_extents(mds)?;
        let mut give = KVec::new();
        {
            let mut st = dc.lock();
            if mark_releasing(&mut st, md, start, end)? > 0 {
                return Ok(Unheld::InRegion);
            }
            let held = |x: &Extent| {
                st.regions
                    .iter()
                    .filter(|r| *r.memdev == *md)
                    .flat_map(|r| r.extents.iter())
                    .any(|h| h.extent.overlaps(x.start, x.end().unwrap_or(u64::MAX)))
            };
            let mut tags = KVec::new();
            for x in listed
                .iter()
                .filter(|x| x.overlaps(start, end) && x.tagged())
            {
                tags.push(x.tag, GFP_KERNEL)?;
            }
            for x in listed.iter() {
                let ours = x.overlaps(start, end) || (x.tagged() && tags.contains(&x.tag));
                if ours && x.end().is_some() && !held(x) {
                    give.push((x.start, x.length), GFP_KERNEL)?;
                }
            }
        }
        if !give.is_empty() {
            respond(mds, RELEASE_DC, &give)?;
            for &(start, length) in give.iter() {
                let e = Extent {
                    start,
                    length,
                    ..Extent::default()
                };
                md.trace_dc_extent(-1, RELEASE, &e, c"released", c"held in no region");
            }
        }
        Ok(Unheld::Given(give.len()))
    })();
    dc.lock().answer_ends(md);
    rc
}

fn release_capacity(dc: &Mutex<DcState>, mds: &MemdevState, rec: &Record) {
    let md = mds.memdev();
    let e = rec.extent;
    let end = e.end().unwrap_or(u64::MAX);
    let marked = mark_releasing(&mut dc.lock(), &md, e.start, end);
    let marked = match marked {
        Ok(0) => match release_unheld(dc, mds, &md, e.start, end) {
            Ok(Unheld::Given(0)) => {
                md.trace_dc_extent(-1, RELEASE, &e, c"ignored", c"not accepted");
                dev_warn!(
                    mds.as_ref(),
                    "release of DPA {:#x}+{:#x}: not accepted, ignored\n",
                    e.start,
                    e.length
                );
                return;
            }
            Ok(Unheld::InRegion) => Ok(1),
            Ok(Unheld::Given(n)) => {
                dev_info!(
                    mds.as_ref(),
                    "release of DPA {:#x}+{:#x}: {} extents held in no region given back\n",
                    e.start,
                    e.length,
                    n
                );
                return;
            }
            Err(err) => {
                dev_err!(
                    mds.as_ref(),
                    "release of DPA {:#x}+{:#x} not answered: {:?}\n",
                    e.start,
                    e.length,
                    err
                );
                return;
            }
        },
        m => m,
    };
    match marked {
        Ok(_) => {
            if give_back(dc, mds, &md) {
                // Waits: the timer tries again until it can go.
                DcTimer::arm(&mut dc.lock().timer, RELEASE_RETRY_MS);
            }
        }
        Err(err) => dev_err!(
            mds.as_ref(),
            "no memory to release DPA {:#x}: {:?}\n",
            e.start,
            err
        ),
    }
}
