// SPDX-License-Identifier: GPL-2.0

//! Bindings of `drivers/cxl/cxl.h`, `cxlmem.h` and `core/core.h`, generated at build time (see
//! `Kbuild` and `bindgen_parameters`). The kernel's own bindings provide every non-CXL type they
//! refer to.

#![allow(
    dead_code,
    non_camel_case_types,
    non_upper_case_globals,
    non_snake_case,
    improper_ctypes,
    unreachable_pub,
    unsafe_op_in_unsafe_fn,
    missing_docs,
    unnecessary_transmutes,
    clippy::all,
    clippy::as_underscore,
    clippy::cast_lossless,
    clippy::ptr_as_ptr,
    clippy::ref_as_ptr,
    clippy::undocumented_unsafe_blocks
)]

#[allow(unused_imports)]
use kernel::bindings::*;

include!("bindings_generated.rs");

// Bindgen derives no `Default` (`Kbuild`): each impl would be compiled into both modules whether
// used or not (about 2.7 KB of `.text` each). The one needed: `kernel::driver::Registration`
// starts a driver structure from its default.
impl Default for cxl_driver {
    fn default() -> Self {
        // SAFETY: All zeros is a valid `struct cxl_driver` (integers, nullable pointers and
        // `Option`s of function pointers, and a `struct device_driver` made of the same).
        unsafe { core::mem::zeroed() }
    }
}
