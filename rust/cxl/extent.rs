// SPDX-License-Identifier: GPL-2.0

//! Dynamic Capacity: the device's records and the host's rules for extents.
//!
//! Pure logic with no kernel dependency: compiled into `cxl_region` and, on the host, by
//! `rust/host-tests` (`cargo test`), which feeds it recorded and mutated device data. Layouts are
//! those of the CXL specification (r3.1 8.2.9.2.1.6 Dynamic Capacity Event Record, 8.2.9.9.9 Dynamic
//! Capacity commands) as the upstream series declares them; the rules are the ones its review
//! settled on (`../shared/dcd-series-notes.md`):
//!
//! - extents arrive as records chained by the More flag and are judged only once the chain closes;
//!   a chain holds at most [`MAX_PENDING`] extents and is dropped after [`CHAIN_TIMEOUT_MS`];
//! - an untagged extent is a group of its own; the extents of one tag are one group, accepted
//!   whole or not at all, and lie in one region. In a partition that is not shareable (its CDAT
//!   DSMAS entry does not say so: the core's `cxl_dpa_partition.shareable`) the shared
//!   sequence is reserved: a non-zero one refuses its group, and the members are placed in
//!   arrival order. In a shareable one every extent is tagged and the sequence numbers of a group
//!   are exactly `0..n`, its placement order. Either way the host numbers the members `0..n` in
//!   placement order ([`Verdicts::seq`]): the numbers the dax side claims a group by;
//! - each extent lies inside the DC partition and the DPA range of one of the device's committed
//!   DC regions (the one that takes it), is aligned to the DC block size, does not overflow and
//!   overlaps nothing accepted; a tag is unique across regions;
//! - the response lists exactly the accepted extents, and is sent even when it lists none.

/// `ca95afa7-f183-4018-8c2f-95268e101a2a`, the Dynamic Capacity event record UUID, as stored in a
/// record (`uuid_t` byte order).
pub(crate) const DC_EVENT_UUID: [u8; 16] = [
    0xca, 0x95, 0xaf, 0xa7, 0xf1, 0x83, 0x40, 0x18, 0x8c, 0x2f, 0x95, 0x26, 0x8e, 0x10, 0x1a, 0x2a,
];
/// Length of an event record (common header included).
pub(crate) const RECORD_LEN: usize = 0x80;
/// Length of an extent (`struct cxl_extent`) in records and in Get DC Extent List output.
pub(crate) const EXTENT_LEN: usize = 0x28;
/// Length of one entry of an Add DC Response / Release DC payload (`updated_extent_list`).
pub(crate) const UPDATED_EXTENT_LEN: usize = 0x18;
/// Header of an Add DC Response / Release DC payload: extent count, flags, reserved.
pub(crate) const RESPONSE_HDR_LEN: usize = 8;
/// Header of Get DC Extent List output: returned count, total count, generation, reserved.
pub(crate) const EXTENT_LIST_HDR_LEN: usize = 16;
/// The most extents one chain may hold; later ones are not accepted (the response leaves them out,
/// so the device keeps them).
pub(crate) const MAX_PENDING: usize = 100;
/// A chain whose next record has not come after this long is dropped.
pub(crate) const CHAIN_TIMEOUT_MS: u64 = 20_000;

const HDR_LEN_OFF: usize = 16;
const EVENT_TYPE_OFF: usize = 0x30;
const HOST_ID_OFF: usize = 0x32;
const PARTITION_OFF: usize = 0x34;
const FLAGS_OFF: usize = 0x35;
const EXTENT_OFF: usize = 0x38;
const FLAG_MORE: u8 = 1 << 0;

fn le16(b: &[u8], off: usize) -> u16 {
    u16::from_le_bytes([b[off], b[off + 1]])
}

fn le32(b: &[u8], off: usize) -> u32 {
    let mut a = [0u8; 4];
    a.copy_from_slice(&b[off..off + 4]);
    u32::from_le_bytes(a)
}

fn le64(b: &[u8], off: usize) -> u64 {
    let mut a = [0u8; 8];
    a.copy_from_slice(&b[off..off + 8]);
    u64::from_le_bytes(a)
}

/// What a Dynamic Capacity event record announces.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum EventKind {
    /// 0x00: the device offers capacity; the host answers with Add DC Response.
    AddCapacity,
    /// 0x01: the device asks for capacity back; the host answers with Release DC when it lets go.
    ReleaseCapacity,
    /// 0x02: the capacity is gone already; ignored, as upstream settled.
    ForcedRelease,
    /// 0x03: a DC region's configuration changed.
    RegionConfigUpdated,
    /// Anything else: logged and ignored.
    Other(u8),
}

impl EventKind {
    fn from_raw(v: u8) -> Self {
        match v {
            0 => Self::AddCapacity,
            1 => Self::ReleaseCapacity,
            2 => Self::ForcedRelease,
            3 => Self::RegionConfigUpdated,
            v => Self::Other(v),
        }
    }

    /// The record's event type byte.
    pub(crate) fn raw(self) -> u8 {
        match self {
            Self::AddCapacity => 0,
            Self::ReleaseCapacity => 1,
            Self::ForcedRelease => 2,
            Self::RegionConfigUpdated => 3,
            Self::Other(v) => v,
        }
    }

    /// What the host does with a record of this kind.
    pub(crate) fn action(self) -> Action {
        match self {
            Self::AddCapacity => Action::Add,
            Self::ReleaseCapacity => Action::Release,
            Self::ForcedRelease | Self::RegionConfigUpdated | Self::Other(_) => Action::Ignore,
        }
    }
}

/// The host's part in an event ([`EventKind::action`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Action {
    /// Collect the extent into its chain; judge and answer when the chain closes.
    Add,
    /// Give back the accepted extents the range touches, with their tag groups.
    Release,
    /// Log and ignore.
    Ignore,
}

/// One extent: a DPA range of the device, with its tag and shared sequence number.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Extent {
    /// First DPA.
    pub(crate) start: u64,
    /// Length in bytes.
    pub(crate) length: u64,
    /// Tag (a UUID, all zeros when untagged).
    pub(crate) tag: [u8; 16],
    /// Shared extent sequence number (0 when unshared).
    pub(crate) seq: u16,
}

impl Extent {
    /// An extent as a record or an extent list holds it (`EXTENT_LEN` bytes from `off`).
    fn parse(b: &[u8], off: usize) -> Self {
        let mut tag = [0u8; 16];
        tag.copy_from_slice(&b[off + 16..off + 32]);
        Self {
            start: le64(b, off),
            length: le64(b, off + 8),
            tag,
            seq: le16(b, off + 32),
        }
    }

    /// One past the last DPA, or `None` when `start + length` overflows.
    pub(crate) fn end(&self) -> Option<u64> {
        self.start.checked_add(self.length)
    }

    /// Whether the extent carries a tag.
    pub(crate) fn tagged(&self) -> bool {
        self.tag != [0; 16]
    }

    /// Whether `[start, end)` and this extent share a byte (an overflowing extent shares none).
    pub(crate) fn overlaps(&self, start: u64, end: u64) -> bool {
        self.end().is_some_and(|e| self.start < end && start < e)
    }
}

/// A Dynamic Capacity event record, parsed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Record {
    /// What the record announces.
    pub(crate) kind: EventKind,
    /// The host the capacity is for.
    pub(crate) host_id: u16,
    /// The DC partition ("updated region index").
    pub(crate) partition: u8,
    /// More records of the same chain follow.
    pub(crate) more: bool,
    /// The extent.
    pub(crate) extent: Extent,
}

/// Why a record is not a Dynamic Capacity event record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum RecordError {
    /// Fewer bytes than a record.
    Short,
    /// Another event record UUID: not ours to parse.
    NotDc,
    /// The header's length field is not `RECORD_LEN`.
    BadLength(u8),
}

impl Record {
    /// Parses the record at the start of `b`.
    pub(crate) fn parse(b: &[u8]) -> Result<Self, RecordError> {
        if b.len() < RECORD_LEN {
            return Err(RecordError::Short);
        }
        if b[..16] != DC_EVENT_UUID {
            return Err(RecordError::NotDc);
        }
        if usize::from(b[HDR_LEN_OFF]) != RECORD_LEN {
            return Err(RecordError::BadLength(b[HDR_LEN_OFF]));
        }
        Ok(Self {
            kind: EventKind::from_raw(b[EVENT_TYPE_OFF]),
            host_id: le16(b, HOST_ID_OFF),
            partition: b[PARTITION_OFF],
            more: b[FLAGS_OFF] & FLAG_MORE != 0,
            extent: Extent::parse(b, EXTENT_OFF),
        })
    }
}

/// Where a region can take extents: its DC partition and the DPA range its endpoint decoder maps.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Window {
    /// The DC partition's index (only the first, 0, backs regions).
    pub(crate) partition: u8,
    /// The partition's DPA range, `[start, end)`.
    pub(crate) part_start: u64,
    /// One past the partition's last DPA.
    pub(crate) part_end: u64,
    /// The region's DPA range, `[start, end)` (inside the partition).
    pub(crate) dpa_start: u64,
    /// One past the region's last DPA.
    pub(crate) dpa_end: u64,
    /// The DC block size (a power of two).
    pub(crate) block: u64,
    /// The partition is shareable: tagged extents only, shared sequence numbers `0..n`.
    pub(crate) shareable: bool,
}

impl Window {
    /// Whether DPA `dpa` lies in the region's DPA range.
    pub(crate) fn holds(&self, dpa: u64) -> bool {
        self.dpa_start <= dpa && dpa < self.dpa_end
    }
}

/// Why an extent is not accepted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Reject {
    /// Length 0.
    Empty,
    /// `start + length` overflows.
    Overflow,
    /// Another partition than the region's.
    Partition,
    /// Not inside the DC partition.
    OutsidePartition,
    /// Inside the partition, not inside a committed DC region.
    OutsideRegion,
    /// Start or length not a multiple of the DC block size.
    Misaligned,
    /// Overlaps an accepted extent, or an earlier one of the same chain.
    Overlap,
    /// The tag is in use by another region, or by earlier extents.
    TagInUse,
    /// The tag group's shared sequence numbers are not `0..n` (a gap or a collision).
    Sequence,
    /// A shared sequence number in a partition that is not shareable.
    SharedSeq,
    /// An untagged extent in a shareable partition.
    Untagged,
    /// Beyond `MAX_PENDING` extents in one chain.
    TooMany,
    /// Another extent of its tag group was rejected.
    Group,
}

impl Reject {
    /// The reason, for the kernel log.
    pub(crate) fn as_str(self) -> &'static str {
        self.as_cstr().to_str().unwrap_or("")
    }

    /// The reason, for a trace event.
    pub(crate) fn as_cstr(self) -> &'static core::ffi::CStr {
        match self {
            Self::Empty => c"empty",
            Self::Overflow => c"start + length overflows",
            Self::Partition => c"not the region's partition",
            Self::OutsidePartition => c"outside the DC partition",
            Self::OutsideRegion => c"outside the region",
            Self::Misaligned => c"not aligned to the DC block size",
            Self::Overlap => c"overlaps an accepted extent",
            Self::TagInUse => c"tag already in use",
            Self::Sequence => c"shared sequence not 0..n",
            Self::SharedSeq => c"shared sequence in a partition that is not shareable",
            Self::Untagged => c"untagged in a shareable partition",
            Self::TooMany => c"too many pending extents",
            Self::Group => {
                c"another extent of its tag group was rejected, or lies in another region"
            }
        }
    }
}

/// The state an extent is judged against, besides its window.
pub(crate) trait Accepted {
    /// Whether an accepted extent (of any region on this device) overlaps `[start, end)`.
    fn overlaps(&self, start: u64, end: u64) -> bool;
    /// Whether an accepted extent of any region carries `tag`.
    fn tag_in_use(&self, tag: &[u8; 16]) -> bool;
}

/// The checks of one extent on its own (`partition` is the record's).
pub(crate) fn check_extent(e: &Extent, partition: u8, w: &Window) -> Result<(), Reject> {
    if e.length == 0 {
        return Err(Reject::Empty);
    }
    let end = e.end().ok_or(Reject::Overflow)?;
    if partition != w.partition {
        return Err(Reject::Partition);
    }
    if e.start < w.part_start || end > w.part_end {
        return Err(Reject::OutsidePartition);
    }
    if e.start < w.dpa_start || end > w.dpa_end {
        return Err(Reject::OutsideRegion);
    }
    let mask = w.block.wrapping_sub(1);
    if w.block == 0 || e.start & mask != 0 || e.length & mask != 0 {
        return Err(Reject::Misaligned);
    }
    Ok(())
}

/// A chain of extents being collected, More flag after More flag.
pub(crate) struct Pending {
    extents: [Extent; MAX_PENDING],
    partitions: [u8; MAX_PENDING],
    len: usize,
    dropped: usize,
    last_ms: u64,
}

/// What [`Pending::push`] leaves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Chain {
    /// More records are to come.
    Open,
    /// The chain is complete: judge it and answer.
    Closed,
}

impl Pending {
    /// An empty chain.
    pub(crate) const fn new() -> Self {
        Self {
            extents: [Extent {
                start: 0,
                length: 0,
                tag: [0; 16],
                seq: 0,
            }; MAX_PENDING],
            partitions: [0; MAX_PENDING],
            len: 0,
            dropped: 0,
            last_ms: 0,
        }
    }

    /// Adds an Add Capacity record's extent at time `now_ms`. Beyond `MAX_PENDING` the extent is
    /// counted and left out (never accepted).
    pub(crate) fn push(&mut self, r: &Record, now_ms: u64) -> Chain {
        if self.len < MAX_PENDING {
            self.extents[self.len] = r.extent;
            self.partitions[self.len] = r.partition;
            self.len += 1;
        } else {
            self.dropped += 1;
        }
        self.last_ms = now_ms;
        if r.more {
            Chain::Open
        } else {
            Chain::Closed
        }
    }

    /// Whether an open chain has waited too long for its next record at `now_ms`.
    pub(crate) fn stalled(&self, now_ms: u64) -> bool {
        self.stalls_in(Some(now_ms)) == Some(0)
    }

    /// In how many ms after `now_ms` the chain stalls (0: it has), `None` when it is empty.
    /// `None` for `now_ms` asks for every open chain to count as stalled.
    pub(crate) fn stalls_in(&self, now_ms: Option<u64>) -> Option<u64> {
        if self.is_empty() {
            return None;
        }
        let Some(now) = now_ms else {
            return Some(0);
        };
        Some(CHAIN_TIMEOUT_MS.saturating_sub(now.saturating_sub(self.last_ms)))
    }

    /// Whether nothing is collected.
    pub(crate) fn is_empty(&self) -> bool {
        self.len == 0 && self.dropped == 0
    }

    /// The collected extents, in arrival order.
    pub(crate) fn extents(&self) -> &[Extent] {
        &self.extents[..self.len]
    }

    /// The partition of each collected extent.
    pub(crate) fn partitions(&self) -> &[u8] {
        &self.partitions[..self.len]
    }

    /// How many extents were left out for lack of room.
    pub(crate) fn dropped(&self) -> usize {
        self.dropped
    }

    /// Empties the chain.
    pub(crate) fn clear(&mut self) {
        self.len = 0;
        self.dropped = 0;
    }
}

/// The verdict on each extent of a closed chain, the order of the accepted ones, and for each
/// accepted one its region (an index into the windows judged against) and its place in its group.
pub(crate) struct Verdicts {
    verdict: [Result<(), Reject>; MAX_PENDING],
    order: [u8; MAX_PENDING],
    window: [u8; MAX_PENDING],
    seq: [u16; MAX_PENDING],
    accepted: usize,
    len: usize,
}

impl Verdicts {
    /// The verdict on the `i`-th extent of the chain.
    pub(crate) fn get(&self, i: usize) -> Result<(), Reject> {
        self.verdict[i]
    }

    /// Indices of the accepted extents, group by group, each group in placement order.
    pub(crate) fn accepted(&self) -> impl ExactSizeIterator<Item = usize> + '_ {
        self.order[..self.accepted].iter().map(|&i| usize::from(i))
    }

    /// How many extents were accepted.
    pub(crate) fn accepted_count(&self) -> usize {
        self.accepted
    }

    /// How many extents were judged.
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// The window (region) the accepted `i`-th extent goes to.
    pub(crate) fn window(&self, i: usize) -> usize {
        usize::from(self.window[i])
    }

    /// The place of the accepted `i`-th extent in its group, `0..n` (0 for an untagged one).
    pub(crate) fn seq(&self, i: usize) -> u16 {
        self.seq[i]
    }
}

/// The window of `windows` whose DPA range holds `dpa`.
pub(crate) fn window_of(windows: &[Window], dpa: u64) -> Option<usize> {
    windows.iter().position(|w| w.holds(dpa))
}

/// Judges a closed chain against the device's committed DC regions (`windows`, one per region)
/// and the accepted extents: each extent on its own, then each tag group as a whole, in the order
/// the groups first appear. A group goes to the region that holds its first member; a member
/// outside that region refuses the group.
pub(crate) fn judge(p: &Pending, windows: &[Window], acc: &impl Accepted) -> Verdicts {
    let ext = p.extents();
    let n = ext.len();
    let mut v = Verdicts {
        verdict: [Ok(()); MAX_PENDING],
        order: [0; MAX_PENDING],
        window: [0; MAX_PENDING],
        seq: [0; MAX_PENDING],
        accepted: 0,
        len: n,
    };
    let mut done = [false; MAX_PENDING];
    for first in 0..n {
        if done[first] {
            continue;
        }
        // The group: this extent alone, or every extent with its tag, in arrival order.
        let mut group = [0u8; MAX_PENDING];
        let mut g = 0;
        for (i, e) in ext.iter().enumerate().skip(first) {
            if i == first || (ext[first].tagged() && e.tag == ext[first].tag) {
                group[g] = i as u8;
                g += 1;
                done[i] = true;
            }
        }
        let group = &mut group[..g];
        // Its region; without one, the first region says why (or there is none).
        let wi = window_of(windows, ext[first].start);
        let w = wi
            .or((!windows.is_empty()).then_some(0))
            .map(|k| &windows[k]);
        let shareable = wi.is_some_and(|k| windows[k].shareable);
        let mut failed = None;
        if w.is_none() {
            failed = Some(Reject::OutsideRegion);
        }
        if failed.is_none() && ext[first].tagged() && acc.tag_in_use(&ext[first].tag) {
            failed = Some(Reject::TagInUse);
        }
        if failed.is_none() && shareable {
            // Placement order: by shared sequence, stable (insertion sort: n is small, no alloc),
            // which must then be exactly 0..n.
            for k in 1..group.len() {
                let mut j = k;
                while j > 0 && ext[usize::from(group[j - 1])].seq > ext[usize::from(group[j])].seq {
                    group.swap(j - 1, j);
                    j -= 1;
                }
            }
            if !ext[first].tagged() {
                failed = Some(Reject::Untagged);
            } else if group
                .iter()
                .enumerate()
                .any(|(k, &i)| usize::from(ext[usize::from(i)].seq) != k)
            {
                failed = Some(Reject::Sequence);
            }
        } else if failed.is_none() && group.iter().any(|&i| ext[usize::from(i)].seq != 0) {
            failed = Some(Reject::SharedSeq);
        }
        for k in 0..group.len() {
            let i = usize::from(group[k]);
            let e = &ext[i];
            let r = match (failed, w) {
                (Some(reason), _) => Err(reason),
                (None, None) => Err(Reject::OutsideRegion),
                (None, Some(w)) => check_extent(e, p.partitions()[i], w).and_then(|()| {
                    // end() is Some: check_extent() refused an overflow.
                    let end = e.end().unwrap_or(u64::MAX);
                    // Accepted groups, and the members of this one placed before it.
                    let clash = v.order[..v.accepted]
                        .iter()
                        .chain(group[..k].iter())
                        .map(|&j| usize::from(j))
                        .filter(|&j| v.verdict[j].is_ok())
                        .any(|j| ext[j].overlaps(e.start, end));
                    if clash || acc.overlaps(e.start, end) {
                        return Err(Reject::Overlap);
                    }
                    Ok(())
                }),
            };
            if failed.is_none() {
                failed = r.err();
            }
            v.verdict[i] = r;
        }
        if failed.is_some() {
            // All or nothing: the members that passed on their own go with the group.
            for &i in group.iter() {
                let i = usize::from(i);
                if v.verdict[i].is_ok() {
                    v.verdict[i] = Err(Reject::Group);
                }
            }
        } else {
            for (k, &i) in group.iter().enumerate() {
                v.order[v.accepted] = i;
                v.accepted += 1;
                // `wi` is Some: `w` was, or the group failed.
                v.window[usize::from(i)] = wi.unwrap_or(0) as u8;
                v.seq[usize::from(i)] = k as u16;
            }
        }
    }
    v
}

/// Encodes one Add DC Response or Release DC payload into `buf`: `ranges` (start, length) and the
/// More flag. Returns the payload length, or `None` when `buf` is too small.
pub(crate) fn encode_response(
    ranges: impl ExactSizeIterator<Item = (u64, u64)>,
    more: bool,
    buf: &mut [u8],
) -> Option<usize> {
    let count = ranges.len();
    let len = RESPONSE_HDR_LEN.checked_add(count.checked_mul(UPDATED_EXTENT_LEN)?)?;
    let out = buf.get_mut(..len)?;
    out.fill(0);
    out[..4].copy_from_slice(&u32::try_from(count).ok()?.to_le_bytes());
    out[4] = if more { FLAG_MORE } else { 0 };
    for (k, (start, length)) in ranges.enumerate() {
        let off = RESPONSE_HDR_LEN + k * UPDATED_EXTENT_LEN;
        out[off..off + 8].copy_from_slice(&start.to_le_bytes());
        out[off + 8..off + 16].copy_from_slice(&length.to_le_bytes());
    }
    Some(len)
}

/// How many extents one Add DC Response / Release DC payload of at most `payload_max` bytes holds.
pub(crate) fn extents_per_response(payload_max: usize) -> usize {
    payload_max.saturating_sub(RESPONSE_HDR_LEN) / UPDATED_EXTENT_LEN
}

/// The header of Get DC Extent List output.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct ExtentList {
    /// Extents in this output.
    pub(crate) returned: u32,
    /// Extents the device holds for this host.
    pub(crate) total: u32,
    /// Changes whenever the device's extent list does.
    pub(crate) generation: u32,
}

/// Why Get DC Extent List output is refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ListError {
    /// Shorter than its header.
    Short,
    /// More extents returned than asked for, or than the output holds.
    BadCount,
    /// More extents returned than the total, or the index past the total.
    BadTotal,
}

impl ExtentList {
    /// Parses Get DC Extent List output `b` (of `b.len()` bytes), asked for `requested` extents
    /// from index `start`.
    pub(crate) fn parse(b: &[u8], requested: u32, start: u32) -> Result<Self, ListError> {
        if b.len() < EXTENT_LIST_HDR_LEN {
            return Err(ListError::Short);
        }
        let l = Self {
            returned: le32(b, 0),
            total: le32(b, 4),
            generation: le32(b, 8),
        };
        let room = (b.len() - EXTENT_LIST_HDR_LEN) / EXTENT_LEN;
        if l.returned > requested || l.returned as usize > room {
            return Err(ListError::BadCount);
        }
        if u64::from(start) + u64::from(l.returned) > u64::from(l.total) {
            return Err(ListError::BadTotal);
        }
        Ok(l)
    }

    /// The `i`-th extent of output `b` (`i < returned`, checked by [`ExtentList::parse`]).
    pub(crate) fn extent(b: &[u8], i: usize) -> Extent {
        Extent::parse(b, EXTENT_LIST_HDR_LEN + i * EXTENT_LEN)
    }
}

/// The most extents a device may list for the host; a longer list is refused as implausible (it
/// would be read a page at a time under `cxl_rwsem.region`).
pub(crate) const MAX_LISTED: u32 = 4096;
/// How often reading the list starts over because the device changed it meanwhile.
pub(crate) const MAX_LIST_RESTARTS: u32 = 8;

/// Why reading a whole extent list failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ScanError {
    /// A page of output refused by [`ExtentList::parse`].
    Page(ListError),
    /// The device lists more than [`MAX_LISTED`] extents.
    TooMany,
    /// The device returned no extent while the list has more.
    NoProgress,
    /// The list kept changing: [`MAX_LIST_RESTARTS`] restarts.
    Unstable,
}

/// What one page of a [`ListScan`] gave.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Page {
    /// The page's first `n` extents ([`ExtentList::extent`]) are the next ones of the list.
    Extents(usize),
    /// The list changed (its generation or total): drop what was read, the scan starts over.
    Restart,
}

/// Reading the device's whole extent list, one Get DC Extent List at a time: each page must
/// belong to the same generation and total as the first, else the scan starts over.
pub(crate) struct ListScan {
    per_page: u32,
    next: u32,
    head: Option<(u32, u32)>,
    restarts: u32,
}

impl ListScan {
    /// A scan whose output pages hold at most `payload_max` bytes.
    pub(crate) fn new(payload_max: usize) -> Self {
        let per = payload_max.saturating_sub(EXTENT_LIST_HDR_LEN) / EXTENT_LEN;
        Self {
            per_page: u32::try_from(per).unwrap_or(u32::MAX),
            next: 0,
            head: None,
            restarts: 0,
        }
    }

    /// The input of the next Get DC Extent List (extent count, start index), `None` once the list
    /// is read whole.
    pub(crate) fn request(&self) -> Option<[u8; 8]> {
        if matches!(self.head, Some((total, _)) if self.next >= total) {
            return None;
        }
        let mut b = [0u8; 8];
        b[..4].copy_from_slice(&self.per_page.to_le_bytes());
        b[4..].copy_from_slice(&self.next.to_le_bytes());
        Some(b)
    }

    /// Takes the output `b` of the last [`ListScan::request`].
    pub(crate) fn take(&mut self, b: &[u8]) -> Result<Page, ScanError> {
        let l = ExtentList::parse(b, self.per_page, self.next).map_err(ScanError::Page)?;
        if l.total > MAX_LISTED {
            return Err(ScanError::TooMany);
        }
        match self.head {
            None => self.head = Some((l.total, l.generation)),
            Some(head) if head != (l.total, l.generation) => {
                self.restarts += 1;
                if self.restarts > MAX_LIST_RESTARTS {
                    return Err(ScanError::Unstable);
                }
                self.head = None;
                self.next = 0;
                return Ok(Page::Restart);
            }
            Some(_) => {}
        }
        if l.returned == 0 && self.next < l.total {
            return Err(ScanError::NoProgress);
        }
        // parse() checked next + returned <= total.
        self.next += l.returned;
        Ok(Page::Extents(l.returned as usize))
    }
}

/// What a region committing makes of an extent its device lists as the host's: `None` when the
/// extent lies wholly outside the region's DPA range (another region's, or no region's); else
/// whether the region takes it. `acc` knows the device's accepted extents, the ones taken so far
/// included (overlap), and the tags of the other regions: the members of a tag group are listed
/// one by one, so the region's own group must not count as in use.
pub(crate) fn check_listed(
    e: &Extent,
    w: &Window,
    acc: &impl Accepted,
) -> Option<Result<(), Reject>> {
    if let Some(end) = e.end() {
        if e.length != 0 && (end <= w.dpa_start || e.start >= w.dpa_end) {
            return None;
        }
    }
    Some(check_extent(e, w.partition, w).and_then(|()| {
        // end() is Some: check_extent() refused an overflow.
        if acc.overlaps(e.start, e.end().unwrap_or(u64::MAX)) {
            return Err(Reject::Overlap);
        }
        if e.tagged() && acc.tag_in_use(&e.tag) {
            return Err(Reject::TagInUse);
        }
        match (w.shareable, e.tagged(), e.seq) {
            (true, false, _) => Err(Reject::Untagged),
            (false, _, s) if s != 0 => Err(Reject::SharedSeq),
            _ => Ok(()),
        }
    }))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use std::vec::Vec;

    const MIB: u64 = 1 << 20;
    const W: Window = Window {
        partition: 0,
        part_start: 0x1000_0000,
        part_end: 0x3000_0000,
        dpa_start: 0x1000_0000,
        dpa_end: 0x2000_0000,
        block: 2 * MIB,
        shareable: false,
    };
    /// A second region of the same device, over the upper half of the partition.
    const W2: Window = Window {
        dpa_start: 0x2000_0000,
        dpa_end: 0x3000_0000,
        ..W
    };
    /// `W` in a shareable partition.
    const WS: Window = Window {
        shareable: true,
        ..W
    };

    /// A record as the device writes it.
    fn record(kind: u8, partition: u8, more: bool, e: &Extent) -> [u8; RECORD_LEN] {
        let mut b = [0u8; RECORD_LEN];
        b[..16].copy_from_slice(&DC_EVENT_UUID);
        b[HDR_LEN_OFF] = RECORD_LEN as u8;
        b[EVENT_TYPE_OFF] = kind;
        b[HOST_ID_OFF] = 0;
        b[PARTITION_OFF] = partition;
        b[FLAGS_OFF] = if more { FLAG_MORE } else { 0 };
        b[EXTENT_OFF..EXTENT_OFF + 8].copy_from_slice(&e.start.to_le_bytes());
        b[EXTENT_OFF + 8..EXTENT_OFF + 16].copy_from_slice(&e.length.to_le_bytes());
        b[EXTENT_OFF + 16..EXTENT_OFF + 32].copy_from_slice(&e.tag);
        b[EXTENT_OFF + 32..EXTENT_OFF + 34].copy_from_slice(&e.seq.to_le_bytes());
        b
    }

    fn ext(start: u64, length: u64) -> Extent {
        Extent {
            start,
            length,
            ..Extent::default()
        }
    }

    fn tagged(start: u64, length: u64, t: u8, seq: u16) -> Extent {
        Extent {
            start,
            length,
            tag: [t; 16],
            seq,
        }
    }

    /// The accepted extents and tags of the device, for `judge` (also the host property tests').
    #[derive(Default)]
    pub(crate) struct State {
        pub(crate) ranges: Vec<(u64, u64)>,
        pub(crate) tags: Vec<[u8; 16]>,
    }

    impl Accepted for State {
        fn overlaps(&self, start: u64, end: u64) -> bool {
            self.ranges.iter().any(|&(s, e)| s < end && start < e)
        }
        fn tag_in_use(&self, tag: &[u8; 16]) -> bool {
            self.tags.contains(tag)
        }
    }

    /// Pushes `extents` as one chain (More on all but the last) and judges it against `W`.
    fn chain(extents: &[Extent], st: &State) -> (Pending, Verdicts) {
        chain_in(extents, &[W], st)
    }

    /// `chain` against the regions `windows`.
    fn chain_in(extents: &[Extent], windows: &[Window], st: &State) -> (Pending, Verdicts) {
        let mut p = Pending::new();
        for (k, e) in extents.iter().enumerate() {
            let more = k + 1 < extents.len();
            let r = Record::parse(&record(0, 0, more, e)).unwrap();
            let c = p.push(&r, 0);
            assert_eq!(c, if more { Chain::Open } else { Chain::Closed });
        }
        let v = judge(&p, windows, st);
        (p, v)
    }

    #[test]
    fn a_record_round_trips() {
        let e = tagged(0x1020_0000, 4 * MIB, 7, 3);
        let r = Record::parse(&record(1, 0, true, &e)).unwrap();
        assert_eq!(r.kind, EventKind::ReleaseCapacity);
        assert!(r.more);
        assert_eq!(r.extent, e);
        assert!(r.extent.tagged());
    }

    #[test]
    fn records_of_other_kinds_and_shapes_are_told_apart() {
        let e = ext(0x1000_0000, 2 * MIB);
        for (k, want) in [
            (0, EventKind::AddCapacity),
            (2, EventKind::ForcedRelease),
            (3, EventKind::RegionConfigUpdated),
            (9, EventKind::Other(9)),
        ] {
            assert_eq!(Record::parse(&record(k, 0, false, &e)).unwrap().kind, want);
        }
        let mut b = record(0, 0, false, &e);
        assert_eq!(Record::parse(&b[..RECORD_LEN - 1]), Err(RecordError::Short));
        b[HDR_LEN_OFF] = 0x70;
        assert_eq!(Record::parse(&b), Err(RecordError::BadLength(0x70)));
        b[0] ^= 1;
        assert_eq!(Record::parse(&b), Err(RecordError::NotDc));
    }

    #[test]
    fn one_aligned_extent_inside_the_region_is_accepted() {
        let (_, v) = chain(&[ext(0x1000_0000, 128 * MIB)], &State::default());
        assert_eq!(v.get(0), Ok(()));
        assert_eq!(v.accepted().collect::<Vec<_>>(), [0]);
    }

    #[test]
    fn each_rule_refuses_its_extent_and_only_it() {
        let st = State {
            ranges: std::vec![(0x1800_0000, 0x1820_0000)],
            tags: Vec::new(),
        };
        let cases = [
            (ext(0x1000_0000, 0), Reject::Empty),
            (ext(u64::MAX - MIB, 4 * MIB), Reject::Overflow),
            (ext(0x0fe0_0000, 4 * MIB), Reject::OutsidePartition),
            (ext(0x2000_0000, 2 * MIB), Reject::OutsideRegion),
            (ext(0x1000_1000, 2 * MIB), Reject::Misaligned),
            (ext(0x1000_0000, 3 * MIB), Reject::Misaligned),
            (ext(0x17e0_0000, 4 * MIB), Reject::Overlap),
        ];
        let mut all: Vec<Extent> = cases.iter().map(|c| c.0).collect();
        all.push(ext(0x1100_0000, 2 * MIB));
        let (_, v) = chain(&all, &st);
        for (k, (_, want)) in cases.iter().enumerate() {
            assert_eq!(v.get(k), Err(*want), "case {k}");
        }
        assert_eq!(v.get(cases.len()), Ok(()));
        assert_eq!(v.accepted_count(), 1);
    }

    #[test]
    fn each_extent_goes_to_the_region_that_holds_it() {
        let (_, v) = chain_in(
            &[
                ext(0x2040_0000, 2 * MIB),
                ext(0x1000_0000, 4 * MIB),
                ext(0x3000_0000, 2 * MIB),
            ],
            &[W, W2],
            &State::default(),
        );
        assert_eq!(v.get(0), Ok(()));
        assert_eq!(v.window(0), 1);
        assert_eq!(v.get(1), Ok(()));
        assert_eq!(v.window(1), 0);
        assert_eq!(v.get(2), Err(Reject::OutsidePartition));
        // No region at all: nothing is accepted.
        let (_, v) = chain_in(&[ext(0x1000_0000, 2 * MIB)], &[], &State::default());
        assert_eq!(v.get(0), Err(Reject::OutsideRegion));
        // An extent that straddles two regions belongs to neither.
        let (_, v) = chain_in(&[ext(0x1ff0_0000, 2 * MIB)], &[W, W2], &State::default());
        assert_eq!(v.get(0), Err(Reject::OutsideRegion));
    }

    #[test]
    fn a_tag_group_lies_in_one_region() {
        let (_, v) = chain_in(
            &[
                tagged(0x1000_0000, 2 * MIB, 5, 0),
                tagged(0x2000_0000, 2 * MIB, 5, 0),
            ],
            &[W, W2],
            &State::default(),
        );
        assert_eq!(v.get(0), Err(Reject::Group));
        assert_eq!(v.get(1), Err(Reject::OutsideRegion));
    }

    #[test]
    fn the_block_size_is_the_devices_not_the_page_size() {
        let w = Window {
            block: 64 * 1024,
            ..W
        };
        assert_eq!(check_extent(&ext(0x1001_0000, 0x1_0000), 0, &w), Ok(()));
        assert_eq!(
            check_extent(&ext(0x1001_0000, 0x1_0000), 0, &W),
            Err(Reject::Misaligned)
        );
    }

    #[test]
    fn another_partition_is_refused() {
        assert_eq!(
            check_extent(&ext(0x1000_0000, 2 * MIB), 1, &W),
            Err(Reject::Partition)
        );
    }

    #[test]
    fn overlapping_extents_of_one_chain_keep_the_first() {
        let (_, v) = chain(
            &[
                ext(0x1000_0000, 4 * MIB),
                ext(0x1020_0000, 4 * MIB),
                ext(0x1000_0000, 4 * MIB),
            ],
            &State::default(),
        );
        assert_eq!(v.get(0), Ok(()));
        assert_eq!(v.get(1), Err(Reject::Overlap));
        assert_eq!(v.get(2), Err(Reject::Overlap));
    }

    #[test]
    fn a_chain_of_only_duplicates_accepts_nothing_and_still_has_verdicts() {
        let st = State {
            ranges: std::vec![(0x1000_0000, 0x1020_0000)],
            tags: Vec::new(),
        };
        let (_, v) = chain(&[ext(0x1000_0000, 2 * MIB), ext(0x1000_0000, 2 * MIB)], &st);
        assert_eq!(v.len(), 2);
        assert_eq!(v.accepted_count(), 0);
        // The response is still sent, listing nothing.
        let mut buf = [0xffu8; 64];
        assert_eq!(
            encode_response(v.accepted().map(|_| (0, 0)), false, &mut buf),
            Some(8)
        );
        assert_eq!(buf[..8], [0; 8]);
    }

    #[test]
    fn untagged_extents_are_groups_of_one() {
        let (_, v) = chain(
            &[
                ext(0x1000_0000, 2 * MIB),
                ext(0x1000_1000, 2 * MIB),
                ext(0x1020_0000, 2 * MIB),
            ],
            &State::default(),
        );
        assert_eq!(v.get(0), Ok(()));
        assert_eq!(v.get(1), Err(Reject::Misaligned));
        assert_eq!(v.get(2), Ok(()));
    }

    #[test]
    fn a_chain_holds_max_pending_and_counts_the_rest() {
        let mut p = Pending::new();
        for k in 0..(MAX_PENDING as u64 + 5) {
            let e = ext(0x1000_0000 + k * 2 * MIB, 2 * MIB);
            let r = Record::parse(&record(0, 0, true, &e)).unwrap();
            assert_eq!(p.push(&r, k), Chain::Open);
        }
        assert_eq!(p.extents().len(), MAX_PENDING);
        assert_eq!(p.dropped(), 5);
        assert!(!p.stalled(MAX_PENDING as u64 + CHAIN_TIMEOUT_MS - 1));
        assert!(p.stalled(MAX_PENDING as u64 + 4 + CHAIN_TIMEOUT_MS));
        // The last record came at 104: the timer looks again when the rest of the 20 s is over.
        assert_eq!(p.stalls_in(Some(1104)), Some(CHAIN_TIMEOUT_MS - 1000));
        assert_eq!(p.stalls_in(Some(104 + CHAIN_TIMEOUT_MS)), Some(0));
        assert_eq!(
            p.stalls_in(Some(0)),
            Some(CHAIN_TIMEOUT_MS),
            "a clock read before the record"
        );
        assert_eq!(p.stalls_in(None), Some(0), "shutdown ends every open chain");
        p.clear();
        assert!(p.is_empty());
        assert!(!p.stalled(u64::MAX));
        assert_eq!(p.stalls_in(None), None);
    }

    #[test]
    fn responses_encode_and_split_by_payload_size() {
        let mut buf = [0u8; 2 * UPDATED_EXTENT_LEN + RESPONSE_HDR_LEN];
        let ranges = [(0x1000_0000u64, 2 * MIB), (0x1020_0000, 4 * MIB)];
        assert_eq!(
            encode_response(ranges.iter().copied(), true, &mut buf),
            Some(buf.len())
        );
        assert_eq!(le32(&buf, 0), 2);
        assert_eq!(buf[4], FLAG_MORE);
        assert_eq!(le64(&buf, 8), 0x1000_0000);
        assert_eq!(le64(&buf, 16), 2 * MIB);
        assert_eq!(le64(&buf, 32), 0x1020_0000);
        assert_eq!(
            encode_response(ranges.iter().copied(), false, &mut buf[..40]),
            None
        );
        assert_eq!(extents_per_response(2048), 85);
        assert_eq!(extents_per_response(4), 0);
    }

    fn list(returned: u32, total: u32, gen: u32, room: usize) -> Vec<u8> {
        let mut b = std::vec![0u8; EXTENT_LIST_HDR_LEN + room * EXTENT_LEN];
        b[..4].copy_from_slice(&returned.to_le_bytes());
        b[4..8].copy_from_slice(&total.to_le_bytes());
        b[8..12].copy_from_slice(&gen.to_le_bytes());
        for i in 0..room {
            let off = EXTENT_LIST_HDR_LEN + i * EXTENT_LEN;
            b[off..off + 8].copy_from_slice(&(0x1000_0000 + i as u64 * 2 * MIB).to_le_bytes());
            b[off + 8..off + 16].copy_from_slice(&(2 * MIB).to_le_bytes());
        }
        b
    }

    #[test]
    fn extent_lists_are_bounds_checked() {
        let b = list(2, 5, 9, 2);
        let l = ExtentList::parse(&b, 2, 3).unwrap();
        assert_eq!((l.returned, l.total, l.generation), (2, 5, 9));
        assert_eq!(ExtentList::extent(&b, 1), ext(0x1020_0000, 2 * MIB));
        assert_eq!(ExtentList::parse(&b[..15], 2, 0), Err(ListError::Short));
        assert_eq!(ExtentList::parse(&b, 1, 0), Err(ListError::BadCount));
        assert_eq!(
            ExtentList::parse(&list(3, 5, 9, 2), 8, 0),
            Err(ListError::BadCount)
        );
        assert_eq!(
            ExtentList::parse(&list(2, 1, 9, 2), 8, 0),
            Err(ListError::BadTotal)
        );
        assert_eq!(ExtentList::parse(&b, 2, u32::MAX), Err(ListError::BadTotal));
    }

    /// QEMU 10 drops the tag and the shared sequence of the extents it sends and cannot send a
    /// forced release: these rules are proven here only, on records built as a device writes
    /// them (the VM tests cannot reach them).
    mod beyond_qemu {
        use super::*;

        #[test]
        fn a_shareable_tag_group_is_accepted_whole_in_sequence_order() {
            let (_, v) = chain_in(
                &[
                    tagged(0x1040_0000, 2 * MIB, 5, 2),
                    tagged(0x1100_0000, 2 * MIB, 6, 0),
                    tagged(0x1000_0000, 2 * MIB, 5, 0),
                    tagged(0x1020_0000, 2 * MIB, 5, 1),
                ],
                &[WS],
                &State::default(),
            );
            assert_eq!(v.accepted().collect::<Vec<_>>(), [2, 3, 0, 1]);
            assert_eq!([v.seq(2), v.seq(3), v.seq(0), v.seq(1)], [0, 1, 2, 0]);
        }

        #[test]
        fn an_untagged_extent_in_a_shareable_partition_is_refused() {
            let (_, v) = chain_in(&[ext(0x1000_0000, 2 * MIB)], &[WS], &State::default());
            assert_eq!(v.get(0), Err(Reject::Untagged));
        }

        /// The upstream rule (v11): outside a shareable partition the sequence is reserved, and
        /// a group of one tag is placed in arrival order and numbered by the host, so that the
        /// dax side, which claims a group only as `0..n`, can claim it. Before, a tag group whose
        /// extents all carried 0 was accepted here and refused by the claim.
        #[test]
        fn an_unshared_tag_group_is_numbered_in_arrival_order() {
            let (_, v) = chain(
                &[
                    tagged(0x1040_0000, 2 * MIB, 5, 0),
                    tagged(0x1000_0000, 2 * MIB, 5, 0),
                    tagged(0x1080_0000, 2 * MIB, 5, 0),
                ],
                &State::default(),
            );
            assert_eq!(v.accepted().collect::<Vec<_>>(), [0, 1, 2]);
            assert_eq!([v.seq(0), v.seq(1), v.seq(2)], [0, 1, 2]);
        }

        #[test]
        fn a_shared_sequence_outside_a_shareable_partition_refuses_the_group() {
            let (_, v) = chain(
                &[
                    tagged(0x1000_0000, 2 * MIB, 5, 0),
                    tagged(0x1020_0000, 2 * MIB, 5, 1),
                    ext(0x1100_0000, 2 * MIB),
                ],
                &State::default(),
            );
            assert_eq!(v.get(0), Err(Reject::SharedSeq));
            assert_eq!(v.get(1), Err(Reject::SharedSeq));
            assert_eq!(v.get(2), Ok(()));
        }

        #[test]
        fn one_bad_extent_rejects_its_whole_tag_group_and_nothing_else() {
            let (_, v) = chain(
                &[
                    tagged(0x1000_0000, 2 * MIB, 5, 0),
                    tagged(0x1020_1000, 2 * MIB, 5, 0),
                    tagged(0x1100_0000, 2 * MIB, 6, 0),
                ],
                &State::default(),
            );
            assert_eq!(v.get(0), Err(Reject::Group));
            assert_eq!(v.get(1), Err(Reject::Misaligned));
            assert_eq!(v.get(2), Ok(()));
            assert_eq!(v.accepted().collect::<Vec<_>>(), [2]);
        }

        #[test]
        fn sequence_gaps_and_collisions_reject_the_group() {
            for seqs in [[0u16, 2], [1, 1], [1, 2], [0, 0]] {
                let (_, v) = chain_in(
                    &[
                        tagged(0x1000_0000, 2 * MIB, 5, seqs[0]),
                        tagged(0x1020_0000, 2 * MIB, 5, seqs[1]),
                    ],
                    &[WS],
                    &State::default(),
                );
                assert_eq!(v.get(0), Err(Reject::Sequence), "{seqs:?}");
                assert_eq!(v.get(1), Err(Reject::Sequence), "{seqs:?}");
            }
        }

        #[test]
        fn a_tag_in_use_elsewhere_is_refused() {
            let st = State {
                ranges: Vec::new(),
                tags: std::vec![[5; 16]],
            };
            let (_, v) = chain(&[tagged(0x1000_0000, 2 * MIB, 5, 0)], &st);
            assert_eq!(v.get(0), Err(Reject::TagInUse));
        }

        #[test]
        fn a_forced_release_is_ignored() {
            let e = ext(0x1000_0000, 2 * MIB);
            let r = Record::parse(&record(2, 0, false, &e)).unwrap();
            assert_eq!(r.kind, EventKind::ForcedRelease);
            assert_eq!(r.kind.action(), Action::Ignore);
        }
    }

    /// A device's extent list behind Get DC Extent List, with a hook that may change it between
    /// pages (as a device would), and the pages it was asked for.
    struct Device {
        list: Vec<Extent>,
        generation: u32,
        payload: usize,
        asked: Vec<(u32, u32)>,
    }

    impl Device {
        fn new(n: usize, payload: usize) -> Self {
            Self {
                list: (0..n as u64)
                    .map(|i| ext(0x1000_0000 + i * 2 * MIB, 2 * MIB))
                    .collect(),
                generation: 1,
                payload,
                asked: Vec::new(),
            }
        }

        /// The output for input `req`, as the specification has the device build it.
        fn answer(&mut self, req: &[u8; 8]) -> Vec<u8> {
            let (count, start) = (le32(req, 0), le32(req, 4));
            self.asked.push((count, start));
            let room = (self.payload - EXTENT_LIST_HDR_LEN) / EXTENT_LEN;
            let total = self.list.len() as u32;
            let n = count.min(total.saturating_sub(start)).min(room as u32);
            let mut b = std::vec![0u8; EXTENT_LIST_HDR_LEN + n as usize * EXTENT_LEN];
            b[..4].copy_from_slice(&n.to_le_bytes());
            b[4..8].copy_from_slice(&total.to_le_bytes());
            b[8..12].copy_from_slice(&self.generation.to_le_bytes());
            for k in 0..n as usize {
                let e = &self.list[start as usize + k];
                let off = EXTENT_LIST_HDR_LEN + k * EXTENT_LEN;
                b[off..off + 8].copy_from_slice(&e.start.to_le_bytes());
                b[off + 8..off + 16].copy_from_slice(&e.length.to_le_bytes());
                b[off + 16..off + 32].copy_from_slice(&e.tag);
                b[off + 32..off + 34].copy_from_slice(&e.seq.to_le_bytes());
            }
            b
        }
    }

    /// Reads the whole list as `dc.rs` does; `between` runs after each page.
    fn scan(
        d: &mut Device,
        mut between: impl FnMut(&mut Device, usize),
    ) -> Result<Vec<Extent>, ScanError> {
        let mut s = ListScan::new(d.payload);
        let mut out = Vec::new();
        let mut pages = 0;
        while let Some(req) = s.request() {
            let b = d.answer(&req);
            match s.take(&b)? {
                Page::Extents(n) => out.extend((0..n).map(|i| ExtentList::extent(&b, i))),
                Page::Restart => out.clear(),
            }
            pages += 1;
            assert!(pages < 10_000, "the scan must end");
            between(d, pages);
        }
        Ok(out)
    }

    #[test]
    fn an_extent_list_is_read_whole_a_page_at_a_time() {
        // 2048-byte payloads hold 50 extents: 120 extents take three pages.
        let mut d = Device::new(120, 2048);
        assert_eq!(scan(&mut d, |_, _| {}), Ok(d.list.clone()));
        assert_eq!(d.asked, std::vec![(50, 0), (50, 50), (50, 100)]);
        let mut empty = Device::new(0, 2048);
        assert_eq!(scan(&mut empty, |_, _| {}), Ok(Vec::new()));
        assert_eq!(empty.asked.len(), 1);
    }

    #[test]
    fn a_list_that_changes_during_the_scan_is_read_again_from_the_start() {
        // The generation changes after the first page: the scan starts over and returns the new
        // list, not a mix.
        let mut d = Device::new(120, 2048);
        let got = scan(&mut d, |d, page| {
            if page == 1 {
                d.list.remove(0);
                d.generation += 1;
            }
        });
        assert_eq!(got, Ok(d.list.clone()));
        assert_eq!(d.asked.first(), Some(&(50, 0)));
        assert_eq!(d.asked[2], (50, 0), "restarted at index 0");
        // A device that only changes its total (a generation it never bumps) is caught too.
        let mut d = Device::new(120, 2048);
        let got = scan(&mut d, |d, page| {
            if page == 1 {
                d.list.push(ext(0x2000_0000, 2 * MIB));
            }
        });
        assert_eq!(got, Ok(d.list.clone()));
        // One that never settles is given up on.
        let mut d = Device::new(120, 2048);
        let got = scan(&mut d, |d, _| d.generation += 1);
        assert_eq!(got, Err(ScanError::Unstable));
        // Each try: a first page, then one that shows the change.
        assert_eq!(d.asked.len() as u32, 2 * (MAX_LIST_RESTARTS + 1));
    }

    #[test]
    fn hostile_extent_list_headers_are_refused() {
        let mut s = ListScan::new(2048);
        assert_eq!(
            s.take(&list(0, MAX_LISTED + 1, 1, 0)),
            Err(ScanError::TooMany)
        );
        let mut s = ListScan::new(2048);
        assert_eq!(s.take(&list(0, 5, 1, 0)), Err(ScanError::NoProgress));
        let mut s = ListScan::new(2048);
        assert_eq!(
            s.take(&list(51, 60, 1, 51)),
            Err(ScanError::Page(ListError::BadCount)),
            "more than asked for"
        );
        let mut s = ListScan::new(2048);
        assert_eq!(s.take(&list(2, 5, 1, 2)), Ok(Page::Extents(2)));
        assert_eq!(
            s.take(&list(4, 5, 1, 4)),
            Err(ScanError::Page(ListError::BadTotal)),
            "past the total"
        );
    }

    #[test]
    fn listed_extents_are_taken_only_when_they_obey_the_rules() {
        let st = State {
            ranges: std::vec![(0x1100_0000, 0x1120_0000)],
            tags: std::vec![[2; 16]],
        };
        let take = |e: Extent| check_listed(&e, &W, &st);
        assert_eq!(take(ext(0x1000_0000, 2 * MIB)), Some(Ok(())));
        assert_eq!(take(ext(0x2000_0000, 2 * MIB)), None, "another region's");
        assert_eq!(take(ext(0x0800_0000, 2 * MIB)), None, "below the region");
        assert_eq!(
            take(ext(0x1ff0_0000, 2 * MIB)),
            Some(Err(Reject::OutsideRegion)),
            "straddles the region's end"
        );
        assert_eq!(
            take(ext(0x1010_0000, 2 * MIB)),
            Some(Err(Reject::Misaligned))
        );
        assert_eq!(take(ext(0x1100_0000, 2 * MIB)), Some(Err(Reject::Overlap)));
        assert_eq!(take(ext(0x1000_0000, 0)), Some(Err(Reject::Empty)));
        assert_eq!(
            take(ext(u64::MAX - MIB, 2 * MIB)),
            Some(Err(Reject::Overflow))
        );
        assert_eq!(
            take(tagged(0x1000_0000, 2 * MIB, 2, 0)),
            Some(Err(Reject::TagInUse)),
            "another region's tag"
        );
        assert_eq!(take(tagged(0x1000_0000, 2 * MIB, 3, 0)), Some(Ok(())));
        assert_eq!(
            take(tagged(0x1000_0000, 2 * MIB, 3, 1)),
            Some(Err(Reject::SharedSeq)),
            "a sequence outside a shareable partition"
        );
        let shared = |e: Extent| check_listed(&e, &WS, &st);
        assert_eq!(shared(tagged(0x1000_0000, 2 * MIB, 3, 1)), Some(Ok(())));
        assert_eq!(
            shared(ext(0x1000_0000, 2 * MIB)),
            Some(Err(Reject::Untagged))
        );
    }
}
