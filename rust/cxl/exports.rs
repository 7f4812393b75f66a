// SPDX-License-Identifier: GPL-2.0

//! What `drivers/cxl/core/region.c` exports under its C names, for the C that calls them: the
//! translation arithmetic of [`super::interleave`] for the kernel's own test module of it,
//! `cxl_translate` (`tools/testing/cxl/test/cxl_translate.c`; `rust/cxl_region/glue.c` exports the
//! symbols to it alone, as `region.c` does). Prototypes: `drivers/cxl/cxl.h`.

use super::interleave::{self, Invalid};
use kernel::{error::code::EINVAL, ffi::c_int};

// The symbols below are unmangled: a kernel with the region provider (`patches/0002`) builds no
// `region.c`, so nothing else defines them, and their signatures are those of `cxl.h`.

/// `cxl_validate_translation_params()`: 0, or `-EINVAL` for an invalid encoding of ways or
/// granularity or a position outside the ways.
#[no_mangle]
pub(crate) extern "C" fn cxl_validate_translation_params(eiw: u8, eig: u16, pos: c_int) -> c_int {
    match interleave::check_translation(eiw, eig, pos) {
        Ok(()) => 0,
        Err(Invalid) => EINVAL.to_errno(),
    }
}

/// `cxl_calculate_hpa_offset()`: `ULLONG_MAX` for invalid parameters.
#[no_mangle]
pub(crate) extern "C" fn cxl_calculate_hpa_offset(
    dpa_offset: u64,
    pos: c_int,
    eiw: u8,
    eig: u16,
) -> u64 {
    interleave::hpa_offset(dpa_offset, pos, eiw, eig).unwrap_or(u64::MAX)
}

/// `cxl_calculate_dpa_offset()`: `ULLONG_MAX` for invalid parameters.
#[no_mangle]
pub(crate) extern "C" fn cxl_calculate_dpa_offset(hpa_offset: u64, eiw: u8, eig: u16) -> u64 {
    interleave::dpa_offset(hpa_offset, eiw, eig).unwrap_or(u64::MAX)
}

/// `cxl_calculate_position()`: `-EINVAL` for invalid parameters.
#[no_mangle]
pub(crate) extern "C" fn cxl_calculate_position(hpa_offset: u64, eiw: u8, eig: u16) -> c_int {
    interleave::position(hpa_offset, eiw, eig).unwrap_or_else(|Invalid| EINVAL.to_errno())
}
