// SPDX-License-Identifier: GPL-2.0
/*
 * The C glue of dax_cxl: dax_hmem_flush_work() is a static inline without CONFIG_DEV_DAX_HMEM and
 * a function exported to dax_cxl alone with it (so it is not in the shared glue of both modules).
 * See include/rcxl_glue.h.
 */
#include <bus.h>

#include "rcxl_glue.h"

void rcxl_dax_hmem_flush_work(void)
{
	dax_hmem_flush_work();
}
