// SPDX-License-Identifier: GPL-2.0

//! Property tests of the parsers of device data (`extent.rs`): DC event records, Get DC Extent
//! List output, the paged list scan, the judging of extent chains and the responses, fed with
//! random and mutated input, many thousands of cases per run.
//!
//! Each run takes a new seed and prints it; `PROP_SEED=N cargo test` repeats a run,
//! `PROP_CASES=N` changes its size (default 20000 per property). Every failure names the seed and
//! the case. The expectations are decoded here from the specification's layouts, independently of
//! the code under test.

use crate::extent::tests::State;
use crate::extent::*;
use std::format;
use std::string::String;
use std::vec::Vec;

/// splitmix64: small, fast, and the same sequence for the same seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn chance(&mut self, one_in: u64) -> bool {
        self.below(one_in) == 0
    }

    fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next() as u8).collect()
    }

    /// A number near the interesting edges as often as a uniform one.
    fn edgy(&mut self) -> u64 {
        const EDGES: [u64; 10] = [
            0,
            1,
            MIB,
            2 * MIB,
            0x1000_0000,
            0x2000_0000,
            0x3000_0000,
            u32::MAX as u64,
            u64::MAX - 2 * MIB + 1,
            u64::MAX,
        ];
        match self.below(3) {
            0 => EDGES[self.below(EDGES.len() as u64) as usize],
            1 => self.next(),
            _ => self.below(64) * 2 * MIB,
        }
    }
}

const MIB: u64 = 1 << 20;

/// The seed of this run (printed once per property) and the number of cases.
fn setup(property: &str) -> (Rng, u64, usize) {
    let seed = std::env::var("PROP_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos() as u64)
                .unwrap_or(1)
        });
    let cases = std::env::var("PROP_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(20_000);
    std::eprintln!("{property}: PROP_SEED={seed} PROP_CASES={cases}");
    (Rng(seed), seed, cases)
}

fn at(seed: u64, case: usize) -> String {
    format!("PROP_SEED={seed}, case {case}")
}

fn le64(b: &[u8], off: usize) -> u64 {
    u64::from_le_bytes(b[off..off + 8].try_into().unwrap())
}

fn le32(b: &[u8], off: usize) -> u32 {
    u32::from_le_bytes(b[off..off + 4].try_into().unwrap())
}

/// An extent as the specification lays it out (`EXTENT_LEN` bytes at `off`).
fn put_extent(b: &mut [u8], off: usize, e: &Extent) {
    b[off..off + 8].copy_from_slice(&e.start.to_le_bytes());
    b[off + 8..off + 16].copy_from_slice(&e.length.to_le_bytes());
    b[off + 16..off + 32].copy_from_slice(&e.tag);
    b[off + 32..off + 34].copy_from_slice(&e.seq.to_le_bytes());
}

fn decoded_extent(b: &[u8], off: usize) -> Extent {
    Extent {
        start: le64(b, off),
        length: le64(b, off + 8),
        tag: b[off + 16..off + 32].try_into().unwrap(),
        seq: u16::from_le_bytes([b[off + 32], b[off + 33]]),
    }
}

/// A valid DC event record (CXL r3.1 Table 8-57 common header, Table 8-60 DC event record).
fn valid_record(rng: &mut Rng) -> Vec<u8> {
    let mut b = rng.bytes(RECORD_LEN);
    b[..16].copy_from_slice(&DC_EVENT_UUID);
    b[16] = RECORD_LEN as u8;
    b[0x30] = rng.below(5) as u8;
    b
}

/// Flips bits, overwrites bytes, or cuts or extends the buffer.
fn mutate(rng: &mut Rng, b: &mut Vec<u8>) {
    for _ in 0..rng.below(4) {
        match rng.below(4) {
            0 if !b.is_empty() => {
                let i = rng.below(b.len() as u64) as usize;
                b[i] ^= 1 << rng.below(8);
            }
            1 if !b.is_empty() => {
                let i = rng.below(b.len() as u64) as usize;
                b[i] = rng.next() as u8;
            }
            2 => b.truncate(rng.below(b.len() as u64 + 1) as usize),
            _ => b.extend({
                let n = rng.below(48) as usize;
                rng.bytes(n)
            }),
        }
    }
}

#[test]
fn records_parse_exactly_what_the_bytes_say_and_refuse_the_rest() {
    let (mut rng, seed, cases) = setup("records");
    let mut parsed = 0;
    for case in 0..cases {
        let mut b = if rng.chance(4) {
            let n = rng.below(2 * RECORD_LEN as u64) as usize;
            rng.bytes(n)
        } else {
            valid_record(&mut rng)
        };
        mutate(&mut rng, &mut b);
        let got = Record::parse(&b);
        let want = if b.len() < RECORD_LEN {
            Err(RecordError::Short)
        } else if b[..16] != DC_EVENT_UUID {
            Err(RecordError::NotDc)
        } else if b[16] as usize != RECORD_LEN {
            Err(RecordError::BadLength(b[16]))
        } else {
            Ok(())
        };
        match (got, want) {
            (Ok(r), Ok(())) => {
                parsed += 1;
                let kind = match b[0x30] {
                    0 => EventKind::AddCapacity,
                    1 => EventKind::ReleaseCapacity,
                    2 => EventKind::ForcedRelease,
                    3 => EventKind::RegionConfigUpdated,
                    v => EventKind::Other(v),
                };
                assert_eq!(r.kind, kind, "{}", at(seed, case));
                assert_eq!(
                    r.host_id,
                    u16::from_le_bytes([b[0x32], b[0x33]]),
                    "{}",
                    at(seed, case)
                );
                assert_eq!(r.partition, b[0x34], "{}", at(seed, case));
                assert_eq!(r.more, b[0x35] & 1 != 0, "{}", at(seed, case));
                assert_eq!(r.extent, decoded_extent(&b, 0x38), "{}", at(seed, case));
            }
            (Err(e), Err(w)) => assert_eq!(e, w, "{}", at(seed, case)),
            (g, w) => panic!("{}: parse gave {g:?}, the bytes say {w:?}", at(seed, case)),
        }
    }
    // Both outcomes were reached, or the mutations tested nothing.
    assert!(
        parsed > cases / 10 && parsed < cases - cases / 10,
        "{parsed} of {cases} parsed"
    );
}

/// Get DC Extent List output: a header (returned, total, generation) and `returned` extents.
fn list_bytes(returned: u32, total: u32, generation: u32, room: usize, rng: &mut Rng) -> Vec<u8> {
    let mut b = rng.bytes(EXTENT_LIST_HDR_LEN + room * EXTENT_LEN);
    b[..4].copy_from_slice(&returned.to_le_bytes());
    b[4..8].copy_from_slice(&total.to_le_bytes());
    b[8..12].copy_from_slice(&generation.to_le_bytes());
    b
}

#[test]
fn extent_lists_are_bounds_checked_against_buffer_request_and_total() {
    let (mut rng, seed, cases) = setup("extent lists");
    let mut parsed = 0;
    for case in 0..cases {
        let requested = rng.below(12) as u32;
        let start = if rng.chance(8) {
            rng.next() as u32
        } else {
            rng.below(12) as u32
        };
        let returned = if rng.chance(8) {
            rng.next() as u32
        } else {
            rng.below(14) as u32
        };
        let total = if rng.chance(8) {
            rng.next() as u32
        } else {
            start.wrapping_add(rng.below(16) as u32)
        };
        let room = rng.below(14) as usize;
        let mut b = list_bytes(returned, total, rng.next() as u32, room, &mut rng);
        if rng.chance(3) {
            mutate(&mut rng, &mut b);
        }
        let got = ExtentList::parse(&b, requested, start);
        if b.len() < EXTENT_LIST_HDR_LEN {
            assert_eq!(got, Err(ListError::Short), "{}", at(seed, case));
            continue;
        }
        let (ret, tot) = (le32(&b, 0), le32(&b, 4));
        let fits = (b.len() - EXTENT_LIST_HDR_LEN) / EXTENT_LEN;
        let want = if ret > requested || ret as usize > fits {
            Err(ListError::BadCount)
        } else if start as u64 + ret as u64 > tot as u64 {
            Err(ListError::BadTotal)
        } else {
            Ok(ExtentList {
                returned: ret,
                total: tot,
                generation: le32(&b, 8),
            })
        };
        assert_eq!(got, want, "{}", at(seed, case));
        if let Ok(l) = got {
            parsed += 1;
            for i in 0..l.returned as usize {
                let off = EXTENT_LIST_HDR_LEN + i * EXTENT_LEN;
                assert_eq!(
                    ExtentList::extent(&b, i),
                    decoded_extent(&b, off),
                    "{}",
                    at(seed, case)
                );
            }
        }
    }
    assert!(
        parsed > cases / 10 && parsed < cases - cases / 10,
        "{parsed} of {cases} parsed"
    );
}

/// A device that answers Get DC Extent List from its list, and misbehaves at random: a changed
/// generation or total between pages, fewer or more extents than asked for, short output.
struct Device {
    total: u32,
    generation: u32,
    /// One in how many answers is wrong (0: never).
    hostile: u64,
    /// The list changes before every answer.
    churn: bool,
}

impl Device {
    fn answer(&mut self, rng: &mut Rng, req: [u8; 8], payload: usize) -> Vec<u8> {
        let asked = le32(&req, 0);
        let start = le32(&req, 4);
        let fits = (payload - EXTENT_LIST_HDR_LEN) / EXTENT_LEN;
        if self.churn {
            self.generation = self.generation.wrapping_add(1);
        }
        let mut returned = self.total.saturating_sub(start).min(asked).min(fits as u32);
        if self.hostile != 0 && rng.chance(self.hostile) {
            match rng.below(5) {
                0 => self.generation = self.generation.wrapping_add(1),
                1 => self.total = rng.below(20) as u32,
                2 => returned = rng.below(8) as u32,
                3 => self.total = MAX_LISTED + rng.below(3) as u32,
                _ => {}
            }
        }
        let room = (returned as usize).min(fits);
        let mut b = list_bytes(returned, self.total, self.generation, room, rng);
        if self.hostile != 0 && rng.chance(self.hostile) {
            mutate(rng, &mut b);
        }
        b
    }
}

#[test]
fn a_list_scan_ends_and_reads_every_extent_once_or_fails_with_a_reason() {
    let (mut rng, seed, cases) = setup("list scans");
    let (mut whole, mut failed) = (0, 0);
    for case in 0..cases / 10 {
        let payload = EXTENT_LIST_HDR_LEN
            + (1 + rng.below(6) as usize) * EXTENT_LEN
            + rng.below(EXTENT_LEN as u64) as usize;
        let mut dev = Device {
            total: if rng.chance(50) {
                rng.below(MAX_LISTED as u64 + 2) as u32
            } else {
                rng.below(24) as u32
            },
            generation: rng.next() as u32,
            hostile: [0, 3, 10, 40][rng.below(4) as usize],
            churn: rng.chance(8),
        };
        let mut scan = ListScan::new(payload);
        let per_page = ((payload - EXTENT_LIST_HDR_LEN) / EXTENT_LEN) as u32;
        // Each pass reads at most MAX_LISTED extents, at least one per page, and restarts are
        // bounded: a scan that has not ended by then never will.
        let bound = (MAX_LIST_RESTARTS as usize + 1) * (MAX_LISTED as usize + 2);
        let mut read = 0u64;
        let mut steps = 0;
        let mut restarts = 0;
        let result = loop {
            steps += 1;
            assert!(steps <= bound, "{}: the scan does not end", at(seed, case));
            let Some(req) = scan.request() else {
                break Ok(());
            };
            assert_eq!(le32(&req, 0), per_page, "{}", at(seed, case));
            assert_eq!(
                le32(&req, 4) as u64,
                read,
                "{}: the next index is what was read",
                at(seed, case)
            );
            let b = dev.answer(&mut rng, req, payload);
            match scan.take(&b) {
                Ok(Page::Extents(n)) => {
                    assert!(n as u32 <= per_page, "{}", at(seed, case));
                    assert_eq!(n as u32, le32(&b, 0), "{}", at(seed, case));
                    read += n as u64;
                }
                Ok(Page::Restart) => {
                    read = 0;
                    restarts += 1;
                    assert!(
                        restarts <= MAX_LIST_RESTARTS,
                        "{}: restarts without end",
                        at(seed, case)
                    );
                }
                Err(e) => break Err(e),
            }
        };
        // A list that changes on every page ends the scan after the allowed restarts.
        if dev.churn && dev.hostile == 0 && dev.total > per_page && dev.total <= MAX_LISTED {
            assert_eq!(result, Err(ScanError::Unstable), "{}", at(seed, case));
            assert_eq!(restarts, MAX_LIST_RESTARTS, "{}", at(seed, case));
        }
        match result {
            Ok(()) => {
                whole += 1;
                assert!(read <= MAX_LISTED as u64, "{}", at(seed, case));
                if dev.hostile == 0 && !dev.churn {
                    assert_eq!(read, dev.total as u64, "{}", at(seed, case));
                }
            }
            Err(e) => {
                failed += 1;
                let honest_and_small = dev.hostile == 0 && !dev.churn && dev.total <= MAX_LISTED;
                assert!(
                    !honest_and_small,
                    "{}: an honest device's list failed: {e:?}",
                    at(seed, case)
                );
            }
        }
    }
    assert!(whole > 0 && failed > 0, "{whole} whole, {failed} failed");
}

fn window(rng: &mut Rng) -> Window {
    let block = 1 << (6 + rng.below(20));
    let part_start = rng.below(4) * 0x1000_0000;
    let part_end = part_start + (1 + rng.below(3)) * 0x1000_0000;
    let dpa_start = part_start + rng.below(2) * 0x800_0000;
    Window {
        partition: rng.below(2) as u8,
        part_start,
        part_end,
        dpa_start,
        dpa_end: (dpa_start + (1 + rng.below(4)) * 0x400_0000).min(part_end),
        block: if rng.chance(50) { 0 } else { block },
        shareable: rng.chance(3),
    }
}

/// Mostly plausible extents around the window, some hostile.
fn extent(rng: &mut Rng, w: &Window) -> Extent {
    let b = w.block.max(64);
    let start = if rng.chance(6) {
        rng.edgy()
    } else {
        w.dpa_start + rng.below(64) * b * 8 / 4
    };
    let length = if rng.chance(6) {
        rng.edgy()
    } else {
        (1 + rng.below(8)) * b
    };
    let (tag, seq) = match rng.below(3) {
        0 => (
            [0; 16],
            if rng.chance(8) {
                rng.below(3) as u16
            } else {
                0
            },
        ),
        _ => ([1 + rng.below(4) as u8; 16], rng.below(5) as u16),
    };
    Extent {
        start: if rng.chance(10) {
            start | rng.below(b)
        } else {
            start
        },
        length,
        tag,
        seq,
    }
}

fn record_of(e: &Extent, partition: u8, more: bool) -> Vec<u8> {
    let mut b = std::vec![0u8; RECORD_LEN];
    b[..16].copy_from_slice(&DC_EVENT_UUID);
    b[16] = RECORD_LEN as u8;
    b[0x34] = partition;
    b[0x35] = more as u8;
    put_extent(&mut b, 0x38, e);
    b
}

#[test]
fn judged_chains_accept_only_valid_disjoint_whole_groups_in_sequence_order() {
    let (mut rng, seed, cases) = setup("chains");
    let (mut some, mut none) = (0, 0);
    for case in 0..cases / 4 {
        let w = window(&mut rng);
        let mut st = State::default();
        for _ in 0..rng.below(3) {
            let s = w.dpa_start + rng.below(16) * 0x100_0000;
            st.ranges.push((s, s + 0x100_0000));
        }
        if rng.chance(4) {
            st.tags.push([1 + rng.below(4) as u8; 16]);
        }
        let n = if rng.chance(20) {
            MAX_PENDING + rng.below(5) as usize
        } else {
            1 + rng.below(12) as usize
        };
        let mut p = Pending::new();
        let mut sent = Vec::new();
        for k in 0..n {
            let e = extent(&mut rng, &w);
            let part = if rng.chance(20) {
                w.partition ^ 1
            } else {
                w.partition
            };
            let r = Record::parse(&record_of(&e, part, k + 1 < n)).unwrap();
            let c = p.push(&r, k as u64);
            assert_eq!(c == Chain::Closed, k + 1 == n, "{}", at(seed, case));
            sent.push((e, part));
        }
        let kept = n.min(MAX_PENDING);
        assert_eq!(p.extents().len(), kept, "{}", at(seed, case));
        assert_eq!(p.dropped(), n - kept, "{}", at(seed, case));
        let v = judge(&p, &[w], &st);
        assert_eq!(v.len(), kept, "{}", at(seed, case));
        let order: Vec<usize> = v.accepted().collect();
        let oks = (0..kept).filter(|&i| v.get(i).is_ok()).count();
        assert_eq!(
            order.len(),
            oks,
            "{}: accepted() lists the Ok verdicts",
            at(seed, case)
        );
        assert_eq!(v.accepted_count(), oks, "{}", at(seed, case));
        if oks > 0 {
            some += 1
        } else {
            none += 1
        }
        for (k, &i) in order.iter().enumerate() {
            let (e, part) = sent[i];
            assert!(
                !order[..k].contains(&i),
                "{}: accepted twice",
                at(seed, case)
            );
            assert_eq!(check_extent(&e, part, &w), Ok(()), "{}", at(seed, case));
            let end = e.end().unwrap();
            assert!(
                !st.overlaps(e.start, end),
                "{}: overlaps the device's",
                at(seed, case)
            );
            for &j in &order[..k] {
                assert!(
                    !sent[j].0.overlaps(e.start, end),
                    "{}: accepted overlap",
                    at(seed, case)
                );
            }
            if e.tagged() {
                assert!(!st.tags.contains(&e.tag), "{}: tag in use", at(seed, case));
            }
        }
        // Tag groups: all or nothing, and placed by sequence 0..n (or all 0, arrival order).
        for t in 1..=4u8 {
            let members: Vec<usize> = (0..kept).filter(|&i| sent[i].0.tag == [t; 16]).collect();
            let ok = members.iter().filter(|&&i| v.get(i).is_ok()).count();
            assert!(
                ok == 0 || ok == members.len(),
                "{}: tag {t} split",
                at(seed, case)
            );
            if ok == 0 || members.is_empty() {
                continue;
            }
            let placed: Vec<usize> = order
                .iter()
                .copied()
                .filter(|i| members.contains(i))
                .collect();
            let seqs: Vec<u16> = placed.iter().map(|&i| sent[i].0.seq).collect();
            let numbered: Vec<u16> = placed.iter().map(|&i| v.seq(i)).collect();
            let want: Vec<u16> = (0..seqs.len() as u16).collect();
            assert_eq!(
                numbered,
                want,
                "{}: the host numbers a group 0..n in placement order",
                at(seed, case)
            );
            if !w.shareable {
                assert!(
                    seqs.iter().all(|&s| s == 0),
                    "{}: a shared sequence outside a shareable partition",
                    at(seed, case)
                );
                assert_eq!(
                    placed,
                    members,
                    "{}: unshared group out of arrival order",
                    at(seed, case)
                );
            } else {
                let want: Vec<u16> = (0..seqs.len() as u16).collect();
                assert_eq!(
                    seqs,
                    want,
                    "{}: shared group out of sequence",
                    at(seed, case)
                );
            }
        }
        // Every refusal has a reason an extent of this chain could have.
        for (i, (e, _)) in sent.iter().enumerate().take(kept) {
            if let Err(r) = v.get(i) {
                assert!(!r.as_str().is_empty(), "{}", at(seed, case));
                if r == Reject::Group || r == Reject::TagInUse {
                    assert!(
                        e.tagged(),
                        "{}: {r:?} on an untagged extent",
                        at(seed, case)
                    );
                }
            }
        }
    }
    assert!(
        some > 0 && none > 0,
        "{some} chains accepted some, {none} none"
    );
}

#[test]
fn listed_extents_are_skipped_only_when_wholly_outside_the_region() {
    let (mut rng, seed, cases) = setup("listed extents");
    for case in 0..cases {
        let w = window(&mut rng);
        let e = extent(&mut rng, &w);
        let mut st = State::default();
        if rng.chance(3) {
            let s = w.dpa_start + rng.below(8) * 0x100_0000;
            st.ranges.push((s, s + 0x100_0000));
        }
        let got = check_listed(&e, &w, &st);
        let outside = e.length != 0
            && e.end()
                .is_some_and(|end| end <= w.dpa_start || e.start >= w.dpa_end);
        assert_eq!(got.is_none(), outside, "{}", at(seed, case));
        if let Some(Ok(())) = got {
            assert_eq!(
                check_extent(&e, w.partition, &w),
                Ok(()),
                "{}",
                at(seed, case)
            );
            assert!(
                !st.overlaps(e.start, e.end().unwrap()),
                "{}",
                at(seed, case)
            );
        }
    }
}

#[test]
fn responses_fit_their_buffer_or_are_not_written() {
    let (mut rng, seed, cases) = setup("responses");
    for case in 0..cases {
        let ranges: Vec<(u64, u64)> = (0..rng.below(12))
            .map(|_| (rng.next(), rng.next()))
            .collect();
        let n = rng.below(300) as usize;
        let mut buf = rng.bytes(n);
        let more = rng.chance(2);
        let need = RESPONSE_HDR_LEN + ranges.len() * UPDATED_EXTENT_LEN;
        let got = encode_response(ranges.iter().copied(), more, &mut buf);
        if buf.len() < need {
            assert_eq!(got, None, "{}", at(seed, case));
            continue;
        }
        assert_eq!(got, Some(need), "{}", at(seed, case));
        assert_eq!(le32(&buf, 0) as usize, ranges.len(), "{}", at(seed, case));
        assert_eq!(buf[4], more as u8, "{}", at(seed, case));
        for (k, &(s, l)) in ranges.iter().enumerate() {
            let off = RESPONSE_HDR_LEN + k * UPDATED_EXTENT_LEN;
            assert_eq!(
                (le64(&buf, off), le64(&buf, off + 8)),
                (s, l),
                "{}",
                at(seed, case)
            );
            assert_eq!(
                le64(&buf, off + 16),
                0,
                "{}: reserved bytes",
                at(seed, case)
            );
        }
        assert!(
            extents_per_response(buf.len()) >= ranges.len(),
            "{}",
            at(seed, case)
        );
    }
}
