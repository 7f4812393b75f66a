// SPDX-License-Identifier: GPL-2.0

//! The flag rules of regions: which region flags a decoder imposes (`cxl_region_setup_flags()`),
//! which root decoder attributes are visible (`cxl_root_decoder_visible()`), and which flags the
//! dax region of a CXL region gets (`drivers/dax/cxl.c`).
//!
//! Pure logic with no kernel dependency, compiled into the modules and, on the host, by
//! `rust/host-tests`. The bit values are those of `drivers/cxl/cxl.h` and `drivers/dax/bus.h`;
//! the modules check them against the kernel's at build time, so a header that changes them
//! breaks the build instead of the behaviour.

/// `CXL_DECODER_F_RAM`: the decoder (window) can map volatile memory.
pub(crate) const DECODER_F_RAM: usize = 1 << 0;
/// `CXL_DECODER_F_PMEM`: the decoder (window) can map persistent memory.
pub(crate) const DECODER_F_PMEM: usize = 1 << 1;
/// `CXL_DECODER_F_TYPE3`: the decoder (window) maps host-only coherent memory (type 3 devices).
pub(crate) const DECODER_F_TYPE3: usize = 1 << 3;
/// `CXL_DECODER_F_LOCK`: the decoder's configuration is fixed by firmware.
pub(crate) const DECODER_F_LOCK: usize = 1 << 4;
/// `CXL_DECODER_F_NORMALIZED_ADDRESSING`.
pub(crate) const DECODER_F_NORMALIZED_ADDRESSING: usize = 1 << 6;

/// Bit number of `CXL_REGION_F_AUTO`: the region was assembled from decoders platform firmware
/// committed.
pub(crate) const REGION_F_AUTO: u32 = 0;
/// Bit number of `CXL_REGION_F_NEEDS_RESET`: a decoder reset was interrupted.
pub(crate) const REGION_F_NEEDS_RESET: u32 = 1;
/// Bit number of `CXL_REGION_F_LOCK`: the region's decoders may not be reset (`commit` 0 is
/// `-EPERM`).
pub(crate) const REGION_F_LOCK: u32 = 2;
/// Bit number of `CXL_REGION_F_NORMALIZED_ADDRESSING`.
pub(crate) const REGION_F_NORMALIZED_ADDRESSING: u32 = 3;

/// `IORESOURCE_DAX_KMEM`: the dax region's devices bind the `kmem` driver (System RAM) by default.
pub(crate) const IORESOURCE_DAX_KMEM: u64 = 1 << 1;
/// `IORESOURCE_DAX_DCD`: the dax region spans Dynamic Capacity.
pub(crate) const IORESOURCE_DAX_DCD: u64 = 1 << 2;

/// The region flags (`cxlr->flags`, a bitmap of `CXL_REGION_F_*` bit numbers) after a decoder
/// with `decoder_flags` (`CXL_DECODER_F_*`) joins the region: `cxl_region_setup_flags()` without
/// its endpoint-memdev part. The root decoder passes through here when the region is created, each
/// port decoder when a target attaches.
pub(crate) fn region_flags_with_decoder(region_flags: usize, decoder_flags: usize) -> usize {
    let mut flags = region_flags;
    if decoder_flags & DECODER_F_LOCK != 0 {
        flags |= 1 << REGION_F_LOCK;
        flags &= !(1 << REGION_F_NEEDS_RESET);
    }
    if decoder_flags & DECODER_F_NORMALIZED_ADDRESSING != 0 {
        flags |= 1 << REGION_F_NORMALIZED_ADDRESSING;
    }
    flags
}

/// Whether a root decoder can host RAM regions (`can_create_ram()`).
pub(crate) fn can_create_ram(decoder_flags: usize) -> bool {
    let want = DECODER_F_TYPE3 | DECODER_F_RAM;
    decoder_flags & want == want
}

/// Whether a root decoder can host PMEM regions (`can_create_pmem()`).
pub(crate) fn can_create_pmem(decoder_flags: usize) -> bool {
    let want = DECODER_F_TYPE3 | DECODER_F_PMEM;
    decoder_flags & want == want
}

/// The region-creating attributes of a root decoder.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum RootAttr {
    /// `create_pmem_region`.
    CreatePmem,
    /// `create_ram_region`.
    CreateRam,
    /// `create_dynamic_ram_1_region`.
    CreateDynamicRam1,
    /// `delete_region`.
    Delete,
}

/// Whether `attr` is visible on a root decoder with `decoder_flags` (`cxl_root_decoder_visible()`
/// plus the DC series): a Dynamic Capacity region is volatile memory, so it is offered exactly
/// where RAM regions are.
pub(crate) fn root_attr_visible(decoder_flags: usize, attr: RootAttr) -> bool {
    match attr {
        RootAttr::CreatePmem => can_create_pmem(decoder_flags),
        RootAttr::CreateRam | RootAttr::CreateDynamicRam1 => can_create_ram(decoder_flags),
        RootAttr::Delete => can_create_ram(decoder_flags) || can_create_pmem(decoder_flags),
    }
}

/// The `IORESOURCE_DAX_*` flags of the dax region over a CXL region: a Dynamic Capacity region's
/// dax devices bind `device_dax` by default (system RAM is chosen with `daxctl`), a RAM region's
/// go to `kmem`. As the upstream DC series has it, DCD replaces KMEM rather than joining it.
pub(crate) fn dax_region_flags(dynamic_capacity: bool) -> u64 {
    if dynamic_capacity {
        IORESOURCE_DAX_DCD
    } else {
        IORESOURCE_DAX_KMEM
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_locked_decoder_locks_the_region_and_clears_a_pending_reset() {
        let pending = 1 << REGION_F_NEEDS_RESET;
        let flags = region_flags_with_decoder(pending, DECODER_F_RAM | DECODER_F_LOCK);
        assert_eq!(flags, 1 << REGION_F_LOCK);
    }

    #[test]
    fn an_unlocked_decoder_changes_nothing() {
        let flags = 1 << REGION_F_NEEDS_RESET;
        assert_eq!(
            region_flags_with_decoder(flags, DECODER_F_RAM | DECODER_F_TYPE3),
            flags
        );
        assert_eq!(region_flags_with_decoder(0, 0), 0);
    }

    #[test]
    fn normalized_addressing_is_inherited() {
        let flags = region_flags_with_decoder(0, DECODER_F_NORMALIZED_ADDRESSING);
        assert_eq!(flags, 1 << REGION_F_NORMALIZED_ADDRESSING);
    }

    #[test]
    fn lock_is_sticky_across_decoders() {
        let locked = region_flags_with_decoder(0, DECODER_F_LOCK);
        assert_eq!(region_flags_with_decoder(locked, 0), locked);
    }

    /// Every combination of the decoder flags below bit 7, against the rule written out bit by
    /// bit (`cxl_root_decoder_visible()`: a RAM region needs a type 3 window that may map RAM, a
    /// PMEM region one that may map PMEM; the DC series: a DC region needs what a RAM region
    /// needs), not against the function's own match.
    #[test]
    fn root_decoder_attributes_over_every_flag_combination() {
        for flags in 0..(1usize << 7) {
            let ram = flags & 0b1 != 0;
            let pmem = flags & 0b10 != 0;
            let type3 = flags & 0b1000 != 0;
            let want = [
                (RootAttr::CreatePmem, type3 && pmem),
                (RootAttr::CreateRam, type3 && ram),
                (RootAttr::CreateDynamicRam1, type3 && ram),
                (RootAttr::Delete, type3 && (ram || pmem)),
            ];
            for (attr, visible) in want {
                assert_eq!(
                    root_attr_visible(flags, attr),
                    visible,
                    "{attr:?}, flags {flags:#x}"
                );
            }
        }
    }

    /// The values of `drivers/dax/bus.h`: a DC dax region is `IORESOURCE_DAX_DCD` (bit 2) alone,
    /// without `IORESOURCE_DAX_KMEM` (bit 1); a RAM region's is `IORESOURCE_DAX_KMEM` alone.
    #[test]
    fn dc_dax_region_is_dcd_only() {
        assert_eq!(dax_region_flags(true), 0b100);
        assert_eq!(dax_region_flags(false), 0b10);
    }
}
