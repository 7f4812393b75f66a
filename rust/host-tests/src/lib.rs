// SPDX-License-Identifier: GPL-2.0

//! The pure logic of the kernel modules, compiled on the host for `cargo test`. Each file is the
//! very one the modules include; nothing here is a copy.

#![no_std]
// `allow`, not `expect`: outside `cargo test` nothing calls the logic, inside it everything does.
#![allow(dead_code)]

#[cfg(test)]
extern crate std;

#[path = "../../cxl/flags.rs"]
mod flags;

#[path = "../../cxl/interleave.rs"]
mod interleave;

#[path = "../../cxl/sysfs_input.rs"]
mod sysfs_input;

#[path = "../../cxl/extent.rs"]
mod extent;

#[cfg(test)]
mod props;
