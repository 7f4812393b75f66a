// SPDX-License-Identifier: GPL-2.0
/*
 * C glue shared by the Rust CXL modules; see include/rcxl_glue.h. Compiled into each module
 * that needs it (out-of-tree modules should not link against each other), so THIS_MODULE and
 * KBUILD_MODNAME name the module the glue is part of.
 */
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/range.h>

#include <cxl.h>
#include <bus.h>

#include "rcxl_glue.h"

int rcxl_device_type_dax_region(void)
{
	return CXL_DEVICE_DAX_REGION;
}

struct cxl_driver *rcxl_driver_register(const char *name, int type,
					int (*probe)(struct device *dev),
					void (*remove)(struct device *dev),
					bool suppress_bind_attrs, bool async_probe,
					int *err)
{
	struct cxl_driver *drv;

	drv = kzalloc_obj(*drv);
	if (!drv) {
		*err = -ENOMEM;
		return NULL;
	}
	drv->name = name;
	drv->id = type;
	drv->probe = probe;
	drv->remove = remove;
	drv->drv.suppress_bind_attrs = suppress_bind_attrs;
	if (async_probe)
		drv->drv.probe_type = PROBE_PREFER_ASYNCHRONOUS;

	*err = cxl_driver_register(drv);
	if (*err) {
		kfree(drv);
		return NULL;
	}
	return drv;
}

void rcxl_driver_unregister(struct cxl_driver *drv)
{
	cxl_driver_unregister(drv);
	kfree(drv);
}

int rcxl_dax_region_info(struct device *dev, u64 *hpa_start, u64 *hpa_end,
			 int *region_id, bool *dynamic_capacity)
{
	struct cxl_dax_region *cxlr_dax = to_cxl_dax_region(dev);

	if (!cxlr_dax)
		return -ENODEV;
	*hpa_start = cxlr_dax->hpa_range.start;
	*hpa_end = cxlr_dax->hpa_range.end;
	*region_id = cxlr_dax->cxlr->id;
	*dynamic_capacity = cxlr_dax->cxlr->mode == CXL_PARTMODE_DYNAMIC_RAM_1;
	return 0;
}

unsigned long rcxl_ioresource_dax_kmem(void)
{
	return IORESOURCE_DAX_KMEM;
}

unsigned long rcxl_ioresource_dax_dcd(void)
{
	return IORESOURCE_DAX_DCD;
}

struct dax_region *rcxl_alloc_dax_region(struct device *parent, int region_id,
					 u64 start, u64 end, int target_node,
					 unsigned int align,
					 unsigned long flags)
{
	struct range range = { .start = start, .end = end };

	return alloc_dax_region(parent, region_id, &range, target_node, align,
				flags);
}

int rcxl_devm_create_dev_dax(struct dax_region *dax_region, int id, u64 size,
			     bool memmap_on_memory)
{
	struct dev_dax_data data = {
		.dax_region = dax_region,
		.id = id,
		.size = size,
		.memmap_on_memory = memmap_on_memory,
	};

	return PTR_ERR_OR_ZERO(devm_create_dev_dax(&data));
}

void rcxl_dax_hmem_flush_work(void)
{
	dax_hmem_flush_work();
}
