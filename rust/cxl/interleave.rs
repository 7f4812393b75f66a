// SPDX-License-Identifier: GPL-2.0

//! Interleave arithmetic of CXL HDM decoders, and the interleave checks of a region.
//!
//! Pure logic with no kernel dependency: it is compiled into the modules that need it and, on the
//! host, by `rust/host-tests` (`cargo test`). The encodings are those of the CXL specification
//! (HDM Decoder Control, "Interleave Ways" and "Interleave Granularity") as `drivers/cxl/cxl.h`
//! implements them; the region checks are those of `set_interleave_ways()` and
//! `set_interleave_granularity()` in `drivers/cxl/core/region.c`.

use core::num::{NonZeroU32, NonZeroU64};

/// A value the hardware encoding or the region rules refuse; the kernel answers `-EINVAL`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Invalid;

/// The smallest interleave granularity, in bytes (`CXL_DECODER_MIN_GRANULARITY`).
pub(crate) const MIN_GRANULARITY: u32 = 256;
/// The largest encoded granularity, 16 KiB (`CXL_DECODER_MAX_ENCODED_IG`).
pub(crate) const MAX_ENCODED_IG: u16 = 6;
/// The largest number of interleave ways.
pub(crate) const MAX_WAYS: u32 = 16;

/// Granularity in bytes of an encoded granularity (`eig_to_granularity()`).
pub(crate) fn eig_to_granularity(eig: u16) -> Result<u32, Invalid> {
    if eig > MAX_ENCODED_IG {
        return Err(Invalid);
    }
    Ok(MIN_GRANULARITY << eig)
}

/// Number of ways of encoded ways (`eiw_to_ways()`): 0-4 encode 1, 2, 4, 8, 16; 8-10 encode 3,
/// 6, 12.
pub(crate) fn eiw_to_ways(eiw: u8) -> Result<u32, Invalid> {
    match eiw {
        0..=4 => Ok(1 << eiw),
        8..=10 => Ok(3 << (eiw - 8)),
        _ => Err(Invalid),
    }
}

/// Encoding of a granularity in bytes (`granularity_to_eig()`): a power of two from 256 to 16K.
pub(crate) fn granularity_to_eig(granularity: i32) -> Result<u16, Invalid> {
    let g = u32::try_from(granularity).map_err(|_| Invalid)?;
    if !(MIN_GRANULARITY..=(MIN_GRANULARITY << MAX_ENCODED_IG)).contains(&g) || !g.is_power_of_two()
    {
        return Err(Invalid);
    }
    // The range check bounds the result to 0..=6.
    Ok((g.trailing_zeros() - MIN_GRANULARITY.trailing_zeros()) as u16)
}

/// Encoding of a number of ways (`ways_to_eiw()`): 1, 2, 4, 8, 16, 3, 6 or 12.
pub(crate) fn ways_to_eiw(ways: u32) -> Result<u8, Invalid> {
    if ways > MAX_WAYS {
        return Err(Invalid);
    }
    if ways.is_power_of_two() {
        // At most 16, so the logarithm is at most 4.
        return Ok(ways.trailing_zeros() as u8);
    }
    if ways % 3 != 0 || !(ways / 3).is_power_of_two() {
        return Err(Invalid);
    }
    // `ways / 3` is 1, 2 or 4 here.
    Ok((ways / 3).trailing_zeros() as u8 + 8)
}

/// Checks the `interleave_ways` a user writes to a region below a root decoder of `root_ways`
/// (`set_interleave_ways()`): a valid encoding, and a power-of-two multiple of the root's ways
/// (also for 3, 6 and 12 ways). Returns the encoding.
pub(crate) fn check_region_ways(ways: i32, root_ways: u32) -> Result<u8, Invalid> {
    // A negative value converts to a huge unsigned one in C, which the encoding refuses.
    let w = u32::try_from(ways).map_err(|_| Invalid)?;
    let eiw = ways_to_eiw(w)?;
    if root_ways == 0 || !(w / root_ways).is_power_of_two() || w % root_ways != 0 {
        return Err(Invalid);
    }
    Ok(eiw)
}

/// Checks the `interleave_granularity` a user writes to a region below a root decoder of
/// `root_ways` and `root_granularity` (`set_interleave_granularity()`): a valid encoding and,
/// when the root interleaves host bridges, equal to the root's. Returns the encoding.
pub(crate) fn check_region_granularity(
    granularity: i32,
    root_ways: u32,
    root_granularity: u32,
) -> Result<u16, Invalid> {
    let eig = granularity_to_eig(granularity)?;
    if root_ways > 1 && u32::try_from(granularity) != Ok(root_granularity) {
        return Err(Invalid);
    }
    Ok(eig)
}

/// The interleave position a caller does not want checked ([`check_translation`] with it checks
/// only the encodings: `CXL_POS_ZERO`).
pub(crate) const POS_ZERO: i32 = 0;

/// Checks the parameters of a translation (`cxl_validate_translation_params()`): valid encodings
/// of ways and granularity, and a position among the ways.
pub(crate) fn check_translation(eiw: u8, eig: u16, pos: i32) -> Result<(), Invalid> {
    let ways = eiw_to_ways(eiw)?;
    eig_to_granularity(eig)?;
    match u32::try_from(pos) {
        Ok(p) if p < ways => Ok(()),
        _ => Err(Invalid),
    }
}

/// Bits `low..=high` of a 64-bit value set (`GENMASK_ULL(high, low)`), `high` at most 63.
const fn genmask(high: u32, low: u32) -> u64 {
    (u64::MAX >> (63 - high)) & (u64::MAX << low)
}

/// The HPA offset within a region of a device's DPA offset, the device at interleave position
/// `pos` (`cxl_calculate_hpa_offset()`; CXL 3.0 8.2.4.19.13, "Device Decode Logic"): the bits
/// above the granularity move up to make room for the ways, and the position goes between.
pub(crate) fn hpa_offset(dpa_offset: u64, pos: i32, eiw: u8, eig: u16) -> Result<u64, Invalid> {
    check_translation(eiw, eig, pos)?;
    let (eiw, eig) = (u32::from(eiw), u32::from(eig));
    // Checked above: 0 <= pos < ways <= 16.
    let pos = pos as u64;
    let upper = dpa_offset & genmask(51, eig + 8);
    let hpa = if eiw < 8 {
        (upper << eiw) | (pos << (eig + 8))
    } else {
        // 3, 6 or 12 ways: the upper bits times 3, times the power of two, plus the position.
        ((((upper >> (eig + 8)) * 3) << (eiw - 8)) + pos) << (eig + 8)
    };
    Ok(hpa | (dpa_offset & genmask(eig + 7, 0)))
}

/// The DPA offset of an HPA offset within a region (`cxl_calculate_dpa_offset()`; CXL 3.2
/// 8.2.4.20.13): the inverse of [`hpa_offset`], the position bits taken out.
pub(crate) fn dpa_offset(hpa_offset: u64, eiw: u8, eig: u16) -> Result<u64, Invalid> {
    check_translation(eiw, eig, POS_ZERO)?;
    let (eiw, eig) = (u32::from(eiw), u32::from(eig));
    let lower = hpa_offset & genmask(eig + 7, 0);
    let upper = if eiw < 8 {
        (hpa_offset & !genmask(eig + eiw + 7, 0)) >> eiw
    } else {
        ((hpa_offset >> (eig + eiw)) / 3) << (eig + 8)
    };
    Ok(upper | lower)
}

/// The interleave position of the device an HPA offset within a region maps to
/// (`cxl_calculate_position()`; CXL 3.2 8.2.4.20.13): the position bits above the granularity,
/// or for 3, 6 and 12 ways the upper bits modulo the ways.
pub(crate) fn position(hpa_offset: u64, eiw: u8, eig: u16) -> Result<i32, Invalid> {
    check_translation(eiw, eig, POS_ZERO)?;
    let ways = u64::from(eiw_to_ways(eiw)?);
    let (eiw, eig) = (u32::from(eiw), u32::from(eig));
    let pos = match eiw {
        0 => 0,
        1..=7 => (hpa_offset >> (eig + 8)) & genmask(eiw - 1, 0),
        _ => (hpa_offset >> (eig + 8)) % ways,
    };
    // Less than the ways, at most 16.
    Ok(pos as i32)
}

/// A window's layout for the translation of regions under a 3, 6 or 12-way host bridge
/// interleave whose start is not a multiple of host bridge ways x 256 MiB (`region.c`'s
/// "unaligned MOD3" arithmetic, where the position is not in the address bits).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Mod3 {
    /// The region's ways and granularity.
    pub(crate) ways: u32,
    pub(crate) granularity: u64,
    /// The root decoder's (host bridge) ways and granularity.
    pub(crate) hb_ways: u32,
    pub(crate) hb_granularity: u64,
    /// The region's first HPA.
    pub(crate) start: u64,
}

/// `region_is_unaligned_mod3()`: host bridge ways not a power of two, and a region start that is
/// not a multiple of host bridge ways x 256 MiB.
pub(crate) fn is_unaligned_mod3(hb_ways: u32, start: u64) -> bool {
    !hb_ways.is_power_of_two() && start % (u64::from(hb_ways) << 28) != 0
}

/// `restore_parent()`: the address in the parent of `addr` at interleave position `pos` of `ways`
/// at granularity `gran` (a power of two).
fn restore_parent(addr: u64, pos: u64, gran: u64, ways: u64) -> u64 {
    let mask = gran - 1;
    (addr & !mask)
        .wrapping_mul(ways)
        .wrapping_add(pos * gran)
        .wrapping_add(addr & mask)
}

/// `unaligned_dpa_to_hpa()`: the HPA of DPA offset `dpa_offset` of the device at region position
/// `pos` (`decode_pos()` splits it into the position below its host bridge and the host bridge's
/// position); `None` for a layout the CXL specification does not allow (region ways 3, 6 or 12 over
/// host bridge ways 3, 6 or 12 that divide them) or no match.
pub(crate) fn unaligned_dpa_to_hpa(m: &Mod3, pos: i32, dpa_offset: u64) -> Option<u64> {
    let allowed: &[u32] = match m.hb_ways {
        3 => &[3, 6, 12],
        6 => &[6, 12],
        12 => &[12],
        _ => &[],
    };
    if !allowed.contains(&m.ways) || !m.hb_granularity.is_power_of_two() {
        return None;
    }
    let pos = u32::try_from(pos).ok()?;
    // Divisors that cannot be 0 (the ways checked above): no division-by-zero panic path.
    let hb = NonZeroU32::new(m.hb_ways)?;
    let per_hb = NonZeroU32::new(m.ways / hb)?;
    let (pos_port, pos_hb) = (pos % per_hb, pos / per_hb);
    let hpa_port = if m.hb_granularity != m.granularity {
        restore_parent(
            dpa_offset,
            u64::from(pos_port),
            m.granularity,
            u64::from(per_hb.get()),
        )
    } else {
        dpa_offset
    };
    let shift = m.hb_granularity.trailing_zeros();
    let hb_ways = NonZeroU64::from(hb);
    (0..hb_ways.get())
        .map(|p| restore_parent(hpa_port, p, m.hb_granularity, hb_ways.get()).wrapping_add(m.start))
        .find(|hpa| (hpa >> shift) % hb_ways == u64::from(pos_hb))
}

/// The DPA offset `unaligned_region_offset_to_dpa_result()` tries for region offset `offset`
/// (the same for every device; the caller keeps the device whose [`unaligned_dpa_to_hpa`] of it
/// is the HPA): the offset's interleave set times the host bridge granularity, plus the offset
/// within the granule.
pub(crate) fn unaligned_dpa_offset(m: &Mod3, offset: u64) -> u64 {
    let width = m.hb_granularity * u64::from(m.hb_ways);
    (offset / width) * m.hb_granularity + offset % m.hb_granularity
}

/// Whether a region whose resource is `[res_start, res_end]`, with `cache` bytes of extended
/// linear cache at its front, decodes exactly `[start, end]` (`spa_maps_hpa()`: the CXL
/// decoders map the high end of the range, after the cache).
pub(crate) fn spa_maps_hpa(res: Option<(u64, u64)>, cache: u64, start: u64, end: u64) -> bool {
    res.is_some_and(|(s, e)| s.wrapping_add(cache) == start && e == end)
}

/// Why an extended linear cache cannot be placed in front of an assembled region.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ElcMismatch {
    /// The window's cache is not the size of the region's CXL memory (the 1:1 ratio the only
    /// known implementation has).
    Size,
    /// The cache would start below the window.
    Start,
}

/// `cxl_extended_linear_cache_resize()`: the start of the resource of a region of `size` bytes
/// of CXL memory at `start`, with the window's `cache` bytes of cache in front of it, in a window
/// starting at `window_start`; `Ok(start)` unchanged without a cache.
pub(crate) fn elc_start(
    start: u64,
    size: u64,
    cache: u64,
    window_start: u64,
) -> Result<u64, ElcMismatch> {
    if cache == 0 {
        return Ok(start);
    }
    if size != cache {
        return Err(ElcMismatch::Size);
    }
    match start.checked_sub(cache) {
        Some(s) if s >= window_start => Ok(s),
        _ => Err(ElcMismatch::Start),
    }
}

/// One step of `cxl_calc_interleave_pos()`, from the endpoint up: the position below a port,
/// refined by that port's place (`parent_pos`) among its parent decoder's `parent_ways`
/// targets.
pub(crate) fn fold_position(pos: i32, parent_ways: i32, parent_pos: i32) -> i32 {
    pos * parent_ways + parent_pos
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The ways the CXL specification defines, with their encodings.
    const WAYS: [(u32, u8); 8] = [
        (1, 0),
        (2, 1),
        (4, 2),
        (8, 3),
        (16, 4),
        (3, 8),
        (6, 9),
        (12, 10),
    ];

    #[test]
    fn ways_encoding_matches_the_specification() {
        for w in 0..=64u32 {
            let want = WAYS.iter().find(|(ways, _)| *ways == w).map(|(_, e)| *e);
            assert_eq!(ways_to_eiw(w).ok(), want, "ways {w}");
        }
        assert_eq!(ways_to_eiw(u32::MAX), Err(Invalid));
    }

    #[test]
    fn ways_decoding_is_the_inverse() {
        for eiw in 0..=u8::MAX {
            let want = WAYS.iter().find(|(_, e)| *e == eiw).map(|(w, _)| *w);
            assert_eq!(eiw_to_ways(eiw).ok(), want, "eiw {eiw}");
        }
    }

    #[test]
    fn granularity_encoding() {
        for g in -1..=40000i32 {
            let want = (0..=6u16).find(|e| 256i32 << e == g);
            assert_eq!(granularity_to_eig(g).ok(), want, "granularity {g}");
        }
        assert_eq!(granularity_to_eig(i32::MIN), Err(Invalid));
        assert_eq!(granularity_to_eig(i32::MAX), Err(Invalid));
        for eig in 0..=u16::MAX {
            match eig_to_granularity(eig) {
                Ok(g) => assert_eq!(granularity_to_eig(g as i32), Ok(eig)),
                Err(Invalid) => assert!(eig > MAX_ENCODED_IG),
            }
        }
    }

    #[test]
    fn region_ways_below_the_root() {
        // A region's ways must be a power-of-two multiple of the root's, even for 3, 6 and 12
        // ways: below a 1-way root 3, 6 and 12 are refused, below a 3-way root only they pass.
        let allowed = |root: u32| -> [u32; 5] {
            match root {
                1 => [1, 2, 4, 8, 16],
                2 => [2, 4, 8, 16, 0],
                3 => [3, 6, 12, 0, 0],
                4 => [4, 8, 16, 0, 0],
                _ => [0; 5],
            }
        };
        for root in 1..=4u32 {
            for w in -4..=40i32 {
                let want = w > 0 && allowed(root).contains(&(w as u32));
                assert_eq!(
                    check_region_ways(w, root).is_ok(),
                    want,
                    "ways {w} below root {root}"
                );
            }
        }
        assert_eq!(check_region_ways(2, 1), Ok(1));
        assert_eq!(check_region_ways(6, 3), Ok(9));
        assert_eq!(check_region_ways(i32::MIN, 1), Err(Invalid));
        assert_eq!(check_region_ways(1, 0), Err(Invalid));
    }

    #[test]
    fn region_granularity_below_the_root() {
        assert_eq!(check_region_granularity(256, 1, 8192), Ok(0));
        assert_eq!(check_region_granularity(16384, 1, 8192), Ok(6));
        assert_eq!(check_region_granularity(100, 1, 8192), Err(Invalid));
        assert_eq!(check_region_granularity(32768, 1, 8192), Err(Invalid));
        // An interleaved root forces its own granularity.
        assert_eq!(check_region_granularity(8192, 2, 8192), Ok(5));
        assert_eq!(check_region_granularity(256, 2, 8192), Err(Invalid));
    }

    /// Every encoding of the ways and of the granularity, with every position of the ways.
    fn each_layout(mut f: impl FnMut(u8, u16, u32, i32)) {
        for (ways, eiw) in WAYS {
            for eig in 0..=MAX_ENCODED_IG {
                for pos in 0..ways {
                    f(eiw, eig, ways, pos as i32);
                }
            }
        }
    }

    #[test]
    fn translation_parameters() {
        for eiw in 0..=u8::MAX {
            for eig in [0, 3, 6, 7, 0x10, u16::MAX] {
                for pos in [-1, 0, 1, 2, 3, 5, 6, 11, 12, 15, 16, i32::MIN, i32::MAX] {
                    let want = eiw_to_ways(eiw).is_ok_and(|w| pos >= 0 && (pos as u32) < w)
                        && eig <= MAX_ENCODED_IG;
                    assert_eq!(
                        check_translation(eiw, eig, pos).is_ok(),
                        want,
                        "{eiw} {eig} {pos}"
                    );
                }
            }
        }
    }

    /// The translation against the specification's formula, written independently of the
    /// code's split by ways: HPA offset = ((DPA offset >> (IG + 8)) * ways + pos) << (IG + 8),
    /// plus the DPA offset's bits below the granularity; and back.
    #[test]
    fn translation_is_the_specification_formula_and_its_inverse() {
        let dpas = [
            0u64,
            1,
            0xff,
            0x100,
            0x3fff,
            0x4000,
            0x1234_5678_9abc,
            (1 << 44) - 1,
        ];
        each_layout(|eiw, eig, ways, pos| {
            let g = 8 + u32::from(eig);
            for dpa in dpas {
                let want =
                    (((dpa >> g) * u64::from(ways) + pos as u64) << g) | (dpa & ((1 << g) - 1));
                let hpa = hpa_offset(dpa, pos, eiw, eig);
                assert_eq!(hpa, Ok(want), "dpa {dpa:#x} pos {pos} eiw {eiw} eig {eig}");
                assert_eq!(
                    dpa_offset(want, eiw, eig),
                    Ok(dpa),
                    "hpa {want:#x} eiw {eiw} eig {eig}"
                );
                assert_eq!(
                    position(want, eiw, eig),
                    Ok(pos),
                    "hpa {want:#x} eiw {eiw} eig {eig}"
                );
            }
        });
    }

    #[test]
    fn translation_refuses_what_the_checks_refuse() {
        assert_eq!(hpa_offset(0, 2, 1, 0), Err(Invalid));
        assert_eq!(hpa_offset(0, -1, 0, 0), Err(Invalid));
        assert_eq!(hpa_offset(0, 0, 5, 0), Err(Invalid));
        assert_eq!(dpa_offset(0, 1, 7), Err(Invalid));
        assert_eq!(position(0, 11, 0), Err(Invalid));
        // The C masks DPA bits above 51 off.
        assert_eq!(hpa_offset(1 << 52, 0, 0, 0), Ok(0));
        assert_eq!(
            hpa_offset(u64::MAX, 2, 8, 6),
            Ok(hpa_offset((1 << 52) - 1, 2, 8, 6).unwrap())
        );
    }

    /// Region ways equal to the host bridge ways (one device below each host bridge), every
    /// granularity, windows starting at 256 MiB multiples.
    fn each_mod3(mut f: impl FnMut(Mod3, u8, u16)) {
        for (ways, eiw) in [(3u32, 8u8), (6, 9), (12, 10)] {
            for eig in 0..=MAX_ENCODED_IG {
                let g = 256u64 << eig;
                for k in 1..=(2 * u64::from(ways)) {
                    f(
                        Mod3 {
                            ways,
                            granularity: g,
                            hb_ways: ways,
                            hb_granularity: g,
                            start: k << 28,
                        },
                        eiw,
                        eig,
                    );
                }
            }
        }
    }

    #[test]
    fn mod3_alignment() {
        assert!(!is_unaligned_mod3(4, 1 << 28));
        assert!(!is_unaligned_mod3(3, 3 << 28));
        assert!(is_unaligned_mod3(3, 4 << 28));
        assert!(is_unaligned_mod3(6, 9 << 28));
        assert!(!is_unaligned_mod3(12, 24 << 28));
    }

    /// Where the window is aligned, the unaligned arithmetic gives what the modulo one gives.
    #[test]
    fn mod3_aligned_is_modulo() {
        each_mod3(|m, eiw, eig| {
            if is_unaligned_mod3(m.hb_ways, m.start) {
                return;
            }
            for pos in 0..m.ways as i32 {
                for dpa in [0u64, 0x40, 0x1234_5678, (1 << 30) - 1] {
                    let want = hpa_offset(dpa, pos, eiw, eig).unwrap() + m.start;
                    assert_eq!(
                        unaligned_dpa_to_hpa(&m, pos, dpa),
                        Some(want),
                        "{m:?} {pos} {dpa:#x}"
                    );
                }
            }
        });
    }

    /// Where it is not, the devices' DPA offsets still cover the region's HPA one to one, and
    /// the target-independent DPA offset of each HPA is the one it came from.
    #[test]
    fn mod3_unaligned_is_one_to_one() {
        each_mod3(|m, _, _| {
            if !is_unaligned_mod3(m.hb_ways, m.start) {
                return;
            }
            let g = m.hb_granularity;
            let sets = 5u64;
            let size = sets * g * u64::from(m.ways);
            let mut seen = std::vec![false; (size / g) as usize];
            for pos in 0..m.ways as i32 {
                for dpa in (0..sets * g).step_by(g as usize / 2) {
                    let hpa = unaligned_dpa_to_hpa(&m, pos, dpa).expect("a match");
                    assert!(
                        hpa >= m.start && hpa < m.start + size,
                        "{m:?} {pos} {dpa:#x}"
                    );
                    assert_eq!(unaligned_dpa_offset(&m, hpa - m.start), dpa, "{m:?} {pos}");
                    if dpa % g == 0 {
                        let chunk = ((hpa - m.start) / g) as usize;
                        assert!(!seen[chunk], "{m:?} {pos} {dpa:#x}: chunk twice");
                        seen[chunk] = true;
                    }
                }
            }
            assert!(seen.iter().all(|s| *s), "{m:?}: a chunk no device maps");
        });
    }

    #[test]
    fn mod3_refuses_what_the_specification_does_not_allow() {
        let m = Mod3 {
            ways: 4,
            granularity: 256,
            hb_ways: 3,
            hb_granularity: 256,
            start: 1 << 28,
        };
        assert_eq!(unaligned_dpa_to_hpa(&m, 0, 0), None);
        let m = Mod3 {
            ways: 3,
            granularity: 256,
            hb_ways: 6,
            hb_granularity: 256,
            start: 1 << 28,
        };
        assert_eq!(unaligned_dpa_to_hpa(&m, 0, 0), None);
    }

    #[test]
    fn spa_maps_hpa_exact_and_after_the_cache() {
        let res = Some((0x1000_0000, 0x4fff_ffff));
        assert!(spa_maps_hpa(res, 0, 0x1000_0000, 0x4fff_ffff));
        assert!(!spa_maps_hpa(res, 0, 0x1000_0000, 0x3fff_ffff));
        assert!(!spa_maps_hpa(res, 0, 0x2000_0000, 0x4fff_ffff));
        // With 512 MiB of cache the decoders map the upper part only.
        assert!(spa_maps_hpa(res, 0x2000_0000, 0x3000_0000, 0x4fff_ffff));
        assert!(!spa_maps_hpa(res, 0x2000_0000, 0x1000_0000, 0x4fff_ffff));
        assert!(!spa_maps_hpa(None, 0, 0, u64::MAX));
    }

    #[test]
    fn elc_start_moves_the_front_into_the_window() {
        assert_eq!(
            elc_start(0x3000_0000, 0x2000_0000, 0, 0x1000_0000),
            Ok(0x3000_0000)
        );
        assert_eq!(
            elc_start(0x3000_0000, 0x2000_0000, 0x2000_0000, 0x1000_0000),
            Ok(0x1000_0000)
        );
        assert_eq!(
            elc_start(0x3000_0000, 0x2000_0000, 0x1000_0000, 0x1000_0000),
            Err(ElcMismatch::Size)
        );
        assert_eq!(
            elc_start(0x3000_0000, 0x2000_0000, 0x2000_0000, 0x2000_0000),
            Err(ElcMismatch::Start)
        );
        assert_eq!(
            elc_start(0x1000, 0x2000, 0x2000, 0),
            Err(ElcMismatch::Start)
        );
    }

    #[test]
    fn fold_position_as_the_c_example() {
        // region.c's 4-way example: host bridges 0 and 1 in the root, two memdevs each.
        // (memdev's place in its host bridge, host bridge's place in the root) -> position.
        for (hb_pos, root_pos, want) in [(0, 0, 0), (0, 1, 1), (1, 0, 2), (1, 1, 3)] {
            let pos = fold_position(fold_position(0, 2, hb_pos), 2, root_pos);
            assert_eq!(pos, want);
        }
    }
}
