// SPDX-License-Identifier: GPL-2.0
/* The C glue of dax_cxl: the shared shims, built into this module. */
#include "../cxl/glue.c"
