// SPDX-License-Identifier: GPL-2.0

//! Dynamic Capacity: the extents a device offers (Add Capacity) and asks back (Release Capacity).
//!
//! The core hands each record of a device's Dynamic Capacity event log to [`event`]. Add Capacity
//! records are collected per device until their More chain closes; the chain is then judged
//! against the committed DC region of the device (`extent::judge`: partition, region, block
//! alignment, overlap, tag groups) and answered with one Add DC Response that lists exactly the
//! accepted extents, none at all included. A Release Capacity record gives back every accepted
//! extent it touches, with the rest of their tag groups, in one Release DC; capacity that was never
//! accepted is never released.
//!
//! A DC region enters the state when it is committed and leaves it when its decode is reset
//! (decommit, target detach, delete, unload). The device keeps the extents accepted into it:
//! they are the host's until the device asks for them back, and a DC region committed later over
//! their DPA range reads them back (Get DC Extent List) and takes them.
//!
//! # Locking
//!
//! `cxl_rwsem.region` (read in the event thread, write on commit and reset), then the state's
//! mutex. The event thread holds the device's event log lock around all of it, and sends the
//! mailbox commands with both held: the answer and the state change are one step.

use crate::cxl::{
    driver::Notify,
    extent::{
        self, Accepted, Action, Chain, EventKind, Extent, ExtentList, ListScan, Page, Pending,
        Record, Reject, Window,
    },
    extent_dev::{self, ExtentDev},
    provider::dc_state,
    region::{DaxRegionDev, DaxRegionLocked, PartMode, Region, RegionRead, RegionWrite},
    topology::{DpaRead, Memdev, MemdevState},
    work, Range,
};
use crate::RegionProvider;
use kernel::{
    prelude::*,
    sync::{aref::ARef, Arc, Mutex},
    time::{msecs_to_jiffies, ClockSource, Monotonic},
    workqueue::{self, impl_has_delayed_work, new_delayed_work, DelayedWork, WorkItem},
};

const GET_DC_EXTENT_LIST: u16 = 0x4801;
const ADD_DC_RESPONSE: u16 = 0x4802;
const RELEASE_DC: u16 = 0x4803;

/// An accepted extent, and its `extentZ.N` device while the region has a dax region.
struct Held {
    extent: Extent,
    id: u32,
    dev: Option<extent_dev::Registered>,
    /// The device asked for it back; it goes once no dax device holds it.
    releasing: bool,
}

impl Held {
    fn new(extent: Extent, id: u32) -> Self {
        Self {
            extent,
            id,
            dev: None,
            releasing: false,
        }
    }
}

/// A committed Dynamic Capacity region and the extents accepted into it.
struct DcRegion {
    region_id: i32,
    memdev: usize,
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

    /// Adds the devices of the extents that have none, when the region has a dax region, and
    /// tells its driver: with the dax region locked, so that a probing driver sees each extent
    /// either as a device or as a notification. A failure leaves the extent accepted, without a
    /// device.
    fn add_devices(&mut self) {
        let Some(dax) = self.dax.clone() else {
            return;
        };
        dax.with_lock(|l| {
            for i in 0..self.extents.len() {
                let (e, id) = (self.extents[i].extent, self.extents[i].id);
                if self.extents[i].dev.is_some() {
                    continue;
                }
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

    /// Gives back the extents marked `releasing`: the dax region lets them go (all or none:
    /// `EBUSY` while a dax device holds one), then the device is told (Release DC), then their
    /// devices go, all with the dax region locked. Returns whether none is left to give back.
    /// `retry` when the timer tries again (nothing new to log).
    fn give_back(&mut self, mds: &MemdevState, retry: bool) -> bool {
        let mut dpa = KVec::new();
        let mut hpa = KVec::new();
        for h in self.extents.iter().filter(|h| h.releasing) {
            let hpa_range = self.hpa_of(&h.extent);
            if dpa
                .push((h.extent.start, h.extent.length), GFP_KERNEL)
                .is_err()
                || hpa.push(hpa_range, GFP_KERNEL).is_err()
            {
                dev_err!(
                    mds.as_ref(),
                    "no memory to release extents: retried later\n"
                );
                return false;
            }
        }
        if dpa.is_empty() {
            return true;
        }
        let region_id = self.region_id;
        let go = |this: &mut Self, l: Option<&DaxRegionLocked<'_>>| {
            if let Some(l) = l {
                if let Err(e) = l.notify(&Notify::ReleaseExtents(&hpa)) {
                    if !retry && e == EBUSY {
                        dev_info!(
                            mds.as_ref(),
                            "region{}: {} extents to release are in use: released once free\n",
                            region_id,
                            dpa.len()
                        );
                    } else if !retry {
                        dev_err!(
                            mds.as_ref(),
                            "region{}: the dax region keeps extents to release ({:?}): retried\n",
                            region_id,
                            e
                        );
                    }
                    return false;
                }
            }
            match respond(mds, RELEASE_DC, &dpa) {
                Ok(()) => {
                    // Dropping the entries unregisters their devices.
                    this.extents.retain(|h| !h.releasing);
                    dev_dbg!(
                        mds.as_ref(),
                        "{} extents released from region{}\n",
                        dpa.len(),
                        region_id
                    );
                    true
                }
                Err(err) => {
                    dev_err!(
                        mds.as_ref(),
                        "Release DC of {} extents failed: {:?}; they stay\n",
                        dpa.len(),
                        err
                    );
                    // The dax region let them go: it gets them back.
                    if let Some(l) = l {
                        for h in this.extents.iter().filter(|h| h.releasing) {
                            this.tell_dax(l, &h.extent);
                        }
                    }
                    for h in this.extents.iter_mut() {
                        h.releasing = false;
                    }
                    true
                }
            }
        };
        match self.dax.clone() {
            Some(dax) => dax.with_lock(|l| go(self, Some(l))),
            None => go(self, None),
        }
    }
}

/// The Add Capacity chain a device is sending.
struct DcChain {
    memdev: usize,
    pending: KBox<Pending>,
}

/// The Dynamic Capacity state of the provider.
#[derive(Default)]
pub(crate) struct DcState {
    regions: KVec<DcRegion>,
    chains: KVec<DcChain>,
    /// Armed while a chain is open or a release waits; made the first time.
    timer: Option<Arc<DcTimer>>,
}

/// How often a release that waits for dax devices to let go is tried again.
const RELEASE_RETRY_MS: u64 = 1000;

/// The Dynamic Capacity timer. It looks at the open chains once their device has been silent
/// for [`extent::CHAIN_TIMEOUT_MS`]: a stalled chain is dropped and answered with an Add DC
/// Response that accepts nothing, so that the device does not keep its capacity pending. And it
/// tries again, every [`RELEASE_RETRY_MS`], the releases that wait for dax devices to let go.
#[pin_data]
pub(crate) struct DcTimer {
    #[pin]
    work: DelayedWork<DcTimer>,
}

impl_has_delayed_work! {
    impl HasDelayedWork<Self> for DcTimer { self.work }
}

impl WorkItem for DcTimer {
    type Pointer = Arc<DcTimer>;

    fn run(this: Arc<DcTimer>) {
        let Some(dc) = dc_state::<RegionProvider, _>(&*this) else {
            return;
        };
        let next = {
            let _g = RegionRead::lock();
            let mut st = dc.lock();
            let stall = end_chains(&mut st.chains, Some(now_ms()));
            let retry = retry_releases(&mut st.regions).then_some(RELEASE_RETRY_MS);
            match (stall, retry) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            }
        };
        if let Some(ms) = next {
            // Fails only while `shutdown()` cancels the timer.
            let _ = workqueue::system().enqueue_delayed(this, msecs_to_jiffies(ms as u32));
        }
    }
}

/// Arms the timer to run in `ms` (or earlier, when it is armed already: it arms itself again
/// for what is left).
fn arm(timer: &mut Option<Arc<DcTimer>>, ms: u64) {
    if timer.is_none() {
        let t = Arc::pin_init(
            pin_init!(DcTimer {
                work <- new_delayed_work!("cxl_region::DcTimer"),
            }),
            GFP_KERNEL,
        );
        // Without one, a stalled chain is still dropped when its device sends the next record,
        // and a waiting release is tried again at the next release.
        *timer = t.ok();
    }
    if let Some(t) = timer {
        let _ = workqueue::system().enqueue_delayed(t.clone(), msecs_to_jiffies(ms as u32));
    }
}

/// Runs `f` on the device state of memdev `id` while it is there: `None` once its device is
/// removed or shut down (then nothing is to be answered).
fn with_mds<R>(id: usize, f: impl FnOnce(&MemdevState) -> R) -> Option<R> {
    Memdev::find(id)?.with_dc(|mds| Ok(f(mds))).ok()
}

/// Tries again the releases that wait for dax devices to let go. Returns whether some still
/// wait.
fn retry_releases(regions: &mut KVec<DcRegion>) -> bool {
    let mut waiting = false;
    for r in regions
        .iter_mut()
        .filter(|r| r.extents.iter().any(|h| h.releasing))
    {
        waiting |= !with_mds(r.memdev, |mds| r.give_back(mds, true)).unwrap_or(true);
    }
    waiting
}

/// Ends the chains stalled at `now` (every open one when `None`): each is answered with an Add
/// DC Response accepting nothing, then freed. Returns in how many ms the next open chain stalls.
fn end_chains(chains: &mut KVec<DcChain>, now: Option<u64>) -> Option<u64> {
    let mut next: Option<u64> = None;
    let mut i = 0;
    while i < chains.len() {
        let c = &mut chains[i];
        let Some(wait) = c.pending.stalls_in(now) else {
            // Closed and answered: free it until the device starts another.
            let _ = chains.remove(i);
            continue;
        };
        if wait > 0 {
            next = Some(next.map_or(wait, |n| n.min(wait)));
            i += 1;
            continue;
        }
        with_mds(c.memdev, |mds| drop_chain(mds, &mut c.pending));
        let _ = chains.remove(i);
    }
    next
}

/// Ends an unfinished chain (stalled, or `cxl_region` going): nothing of it is accepted.
fn drop_chain(mds: &MemdevState, chain: &mut Pending) {
    dev_warn!(
        mds.as_ref(),
        "Add Capacity chain of {} extents ended unfinished: none accepted\n",
        chain.extents().len() + chain.dropped()
    );
    chain.clear();
    answer_none(mds);
}

/// Answers the device's Add Capacity chain with an Add DC Response that accepts nothing.
fn answer_none(mds: &MemdevState) {
    if let Err(e) = respond(mds, ADD_DC_RESPONSE, &[]) {
        dev_err!(mds.as_ref(), "Add DC Response failed: {:?}\n", e);
    }
}

/// `cxl_region` is going: no more events come. Open chains are answered (accepting nothing) and
/// the timer is stopped. (Waiting releases stay with the device: the regions are gone already.)
pub(crate) fn shutdown(dc: &Mutex<DcState>) {
    let timer = {
        let _g = RegionRead::lock();
        let mut st = dc.lock();
        end_chains(&mut st.chains, None);
        st.timer.take()
    };
    if let Some(t) = timer {
        work::cancel_delayed_sync(&t);
    }
}

/// The accepted extents of every region, as `extent::judge` asks about them for a device, and
/// those a region being committed has taken so far (`taking`, for overlap only).
struct View<'a> {
    regions: &'a [DcRegion],
    memdev: usize,
    taking: &'a [Held],
}

impl Accepted for View<'_> {
    fn overlaps(&self, start: u64, end: u64) -> bool {
        let held = self
            .regions
            .iter()
            .filter(|r| r.memdev == self.memdev)
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

/// A committed DC region starts taking extents, beginning with those its device holds for the
/// host already (accepted into an earlier region, or before `cxl_region` was reloaded), read
/// with Get DC Extent List.
///
/// `cxl_rwsem.region`, held for writing, keeps the event thread out for the whole scan: no Add
/// Capacity chain is judged or answered meanwhile, so the list cannot change under the host's
/// feet, and a record that arrives waits in the event log (the thread takes the lock after the
/// log lock, never the other way round), to be judged against the region with its extents.
pub(crate) fn region_committed(r: &Region, g: &RegionWrite) {
    if r.mode() != Some(PartMode::DynamicRam1) {
        return;
    }
    let Some(dc) = dc_state::<RegionProvider, _>(r) else {
        return;
    };
    let Some(cxled) = r.target(g, 0) else {
        return;
    };
    let memdev = cxled.memdev();
    let (Some((dpa_start, dpa_end)), Ok(Some((part_start, part_end))), Some(hpa)) = (
        cxled.dpa_range(&DpaRead::lock_after(g)),
        memdev.part_range(cxled.part(g)),
        r.hpa(g),
    ) else {
        return;
    };
    let mut block = 0;
    let listed = memdev.with_dc(|mds| {
        block = mds.dc_block_size();
        read_extents(mds)
    });
    let mut entry = DcRegion {
        region_id: r.id(),
        memdev: memdev.id(),
        window: Window {
            partition: 0,
            part_start,
            part_end,
            dpa_start,
            dpa_end,
            block,
        },
        hpa_start: hpa.start,
        extents: KVec::new(),
        dax: None,
    };
    let mut st = dc.lock();
    // A region id is unique while the region lives; drop what a previous holder left.
    st.regions.retain(|x| x.region_id != entry.region_id);
    match listed {
        Ok(listed) => take_listed(r, &mut entry, &st.regions, &listed),
        Err(e) => dev_err!(
            r.as_ref(),
            "the extents the device holds are not read ({:?}): they stay out of the region\n",
            e
        ),
    }
    if st.regions.push(entry, GFP_KERNEL).is_err() {
        dev_err!(
            r.as_ref(),
            "no memory for its extents: offered capacity will be refused\n"
        );
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
/// (`extent::check_listed`); `others` are the other committed DC regions.
fn take_listed(r: &Region, entry: &mut DcRegion, others: &[DcRegion], listed: &[Extent]) {
    for e in listed {
        let verdict = extent::check_listed(
            e,
            &entry.window,
            &View {
                regions: others,
                memdev: entry.memdev,
                taking: &entry.extents,
            },
        );
        match verdict {
            None => {}
            Some(Ok(())) => {
                let held = Held::new(*e, entry.free_id());
                if entry.extents.push(held, GFP_KERNEL).is_err() {
                    dev_err!(r.as_ref(), "no memory for extent DPA {:#x}\n", e.start);
                    return;
                }
                dev_dbg!(
                    r.as_ref(),
                    "extent DPA {:#x}+{:#x} read back\n",
                    e.start,
                    e.length
                );
            }
            Some(Err(why)) => dev_warn!(
                r.as_ref(),
                "extent DPA {:#x}+{:#x} the device holds is not taken: {}\n",
                e.start,
                e.length,
                why.as_str()
            ),
        }
    }
}

/// The decode of a region is reset: it takes no more extents. Those accepted stay the host's on
/// the device.
pub(crate) fn region_reset(r: &Region, _: &RegionWrite) {
    let Some(dc) = dc_state::<RegionProvider, _>(r) else {
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
    let Some(dc) = dc_state::<RegionProvider, _>(r) else {
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
        (Action::Ignore, EventKind::ForcedRelease) => dev_warn!(
            mds.as_ref(),
            "forced release of DPA {:#x}+{:#x} ignored\n",
            rec.extent.start,
            rec.extent.length
        ),
        (Action::Ignore, kind) => {
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

fn add_capacity(dc: &Mutex<DcState>, mds: &MemdevState, rec: &Record) {
    let now = now_ms();
    let _g = RegionRead::lock();
    let mut guard = dc.lock();
    let DcState {
        regions,
        chains,
        timer,
    } = &mut *guard;
    let id = mds.memdev_id();
    let ci = match chains.iter().position(|c| c.memdev == id) {
        Some(i) => i,
        None => {
            // Built in place: a chain is 4 KiB, too much for the event thread's stack.
            let chain =
                KBox::init(pin_init::init_zeroed::<Pending>(), GFP_KERNEL).and_then(|pending| {
                    chains
                        .push(
                            DcChain {
                                memdev: id,
                                pending,
                            },
                            GFP_KERNEL,
                        )
                        .map_err(Error::from)
                });
            if chain.is_err() {
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
            chains.len() - 1
        }
    };
    let chain = &mut chains[ci].pending;
    if chain.stalled(now) {
        drop_chain(mds, chain);
    }
    if chain.push(rec, now) == Chain::Open {
        arm(timer, extent::CHAIN_TIMEOUT_MS);
        return;
    }

    let ext = chain.extents();
    let region = regions.iter().position(|r| r.memdev == id);
    let verdicts = region.map(|ri| {
        extent::judge(
            chain,
            &regions[ri].window,
            &View {
                regions,
                memdev: id,
                taking: &[],
            },
        )
    });
    let mut ranges = KVec::new();
    for (i, e) in ext.iter().enumerate() {
        let verdict = verdicts
            .as_ref()
            .map_or(Err(Reject::OutsideRegion), |v| v.get(i));
        if let Err(why) = verdict {
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
    let accepted = match (region, &verdicts) {
        (Some(ri), Some(v))
            if regions[ri]
                .extents
                .reserve(v.accepted_count(), GFP_KERNEL)
                .is_ok()
                && ranges.reserve(v.accepted_count(), GFP_KERNEL).is_ok() =>
        {
            for i in v.accepted() {
                let _ = ranges.push_within_capacity((ext[i].start, ext[i].length));
            }
            Some((ri, v))
        }
        (Some(_), Some(v)) => {
            dev_err!(
                mds.as_ref(),
                "no memory to track {} extents: none accepted\n",
                v.accepted_count()
            );
            None
        }
        _ => None,
    };
    match respond(mds, ADD_DC_RESPONSE, &ranges) {
        Ok(()) => {
            if let Some((ri, v)) = accepted {
                let r = &mut regions[ri];
                for i in v.accepted() {
                    let _ = r
                        .extents
                        .push_within_capacity(Held::new(ext[i], r.free_id()));
                    dev_dbg!(
                        mds.as_ref(),
                        "extent DPA {:#x}+{:#x} accepted into region{}\n",
                        ext[i].start,
                        ext[i].length,
                        r.region_id
                    );
                }
                r.add_devices();
            }
        }
        Err(e) if e == ENOMEM => {
            // Nothing sent: the device gets an answer accepting nothing instead.
            dev_err!(
                mds.as_ref(),
                "no memory for an Add DC Response of {} extents: none accepted\n",
                ranges.len()
            );
            answer_none(mds);
        }
        Err(e) => dev_err!(
            mds.as_ref(),
            "Add DC Response failed ({:?}): {} extents not accepted\n",
            e,
            ranges.len()
        ),
    }
    chain.clear();
}

fn release_capacity(dc: &Mutex<DcState>, mds: &MemdevState, rec: &Record) {
    let _g = RegionRead::lock();
    let mut guard = dc.lock();
    let DcState { regions, timer, .. } = &mut *guard;
    let id = mds.memdev_id();
    let e = rec.extent;
    let end = e.end().unwrap_or(u64::MAX);
    let Some(r) = regions.iter_mut().find(|r| r.memdev == id) else {
        dev_warn!(
            mds.as_ref(),
            "release of DPA {:#x}+{:#x}: no DC region, ignored\n",
            e.start,
            e.length
        );
        return;
    };
    // The extents the range touches, and the rest of their tag groups: a group goes whole.
    let touched = |x: &Extent| x.overlaps(e.start, end);
    let mut tags = KVec::new();
    for h in r
        .extents
        .iter()
        .filter(|h| touched(&h.extent) && h.extent.tagged())
    {
        if tags.push(h.extent.tag, GFP_KERNEL).is_err() {
            dev_err!(mds.as_ref(), "no memory to release DPA {:#x}\n", e.start);
            return;
        }
    }
    let mut n = 0;
    for h in r.extents.iter_mut() {
        if touched(&h.extent) || (h.extent.tagged() && tags.contains(&h.extent.tag)) {
            h.releasing = true;
            n += 1;
        }
    }
    if n == 0 {
        // Never release what was not accepted.
        dev_warn!(
            mds.as_ref(),
            "release of DPA {:#x}+{:#x}: not accepted, ignored\n",
            e.start,
            e.length
        );
        return;
    }
    if !r.give_back(mds, false) {
        // In use: the timer tries again until the dax devices let go.
        arm(timer, RELEASE_RETRY_MS);
    }
}
