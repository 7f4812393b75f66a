// SPDX-License-Identifier: GPL-2.0

//! Interleave arithmetic of CXL HDM decoders, and the interleave checks of a region.
//!
//! Pure logic with no kernel dependency: it is compiled into the modules that need it and, on the
//! host, by `rust/host-tests` (`cargo test`). The encodings are those of the CXL specification
//! (HDM Decoder Control, "Interleave Ways" and "Interleave Granularity") as `drivers/cxl/cxl.h`
//! implements them; the region checks are those of `set_interleave_ways()` and
//! `set_interleave_granularity()` in `drivers/cxl/core/region.c`.

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
}
