// SPDX-License-Identifier: GPL-2.0
/*
 * C shims shared by the Rust CXL modules: calls whose form depends on the kernel configuration
 * (a function in one, a static inline in another), which Rust bindings cannot reach. See
 * include/rcxl_glue.h. Compiled into each module that needs it.
 */
#include <bus.h>

#include "rcxl_glue.h"

void rcxl_dax_hmem_flush_work(void)
{
	dax_hmem_flush_work();
}
