/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The CXL core's private headers, for rust/cxl/bindings_generated.rs (see Kbuild): the kernel's
 * own Rust bindings stop at include/.
 */
#include <cxlmem.h>
#include <cxl.h>
#include "core/core.h"
#include <bus.h>
#include <linux/memregion.h>
#include <linux/memory-tiers.h>
#include <linux/memory.h>

/* Macros bindgen cannot evaluate, as constants (the kernel's RUST_CONST_HELPER_ trick). */
const unsigned long RCXL_DECODER_F_RAM = CXL_DECODER_F_RAM;
const unsigned long RCXL_DECODER_F_PMEM = CXL_DECODER_F_PMEM;
const unsigned long RCXL_DECODER_F_TYPE3 = CXL_DECODER_F_TYPE3;
const unsigned long RCXL_DECODER_F_LOCK = CXL_DECODER_F_LOCK;
const unsigned long RCXL_DECODER_F_ENABLE = CXL_DECODER_F_ENABLE;
const unsigned long RCXL_DECODER_F_NORMALIZED_ADDRESSING = CXL_DECODER_F_NORMALIZED_ADDRESSING;
const resource_size_t RCXL_SZ_256M = SZ_256M;
const unsigned long RCXL_BUS_NOTIFY_ADD_DEVICE = BUS_NOTIFY_ADD_DEVICE;
const int RCXL_CALLBACK_PRI = CXL_CALLBACK_PRI;
const unsigned long RCXL_IORESOURCE_DAX_KMEM = IORESOURCE_DAX_KMEM;
const unsigned long RCXL_IORESOURCE_DAX_DCD = IORESOURCE_DAX_DCD;
