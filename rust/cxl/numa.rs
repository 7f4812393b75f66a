// SPDX-License-Identifier: GPL-2.0

//! NUMA node look-ups for hot-plugged physical address ranges.

use kernel::bindings;

/// A NUMA node id, or `None` for `NUMA_NO_NODE`.
pub(crate) type Node = Option<i32>;

/// The target node that firmware (ACPI SRAT/CEDT) assigned to `addr`, `phys_to_target_node()`.
pub(crate) fn phys_to_target_node(addr: u64) -> Node {
    // SAFETY: A pure look-up in the firmware NUMA tables; any address is valid input.
    let nid = unsafe { bindings::phys_to_target_node(addr) };
    (nid != bindings::NUMA_NO_NODE).then_some(nid)
}

/// The node that memory hot-plug would put `addr` on, `memory_add_physaddr_to_nid()`.
pub(crate) fn memory_add_physaddr_to_nid(addr: u64) -> i32 {
    // SAFETY: A pure look-up in the NUMA memory info; any address is valid input.
    unsafe { bindings::memory_add_physaddr_to_nid(addr) }
}
