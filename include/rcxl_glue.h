/* SPDX-License-Identifier: GPL-2.0 */
/*
 * C glue for the Rust CXL modules: the few calls Rust cannot make directly because they are
 * macros, static inlines, or take structures from the private headers drivers/cxl/cxl.h and
 * drivers/dax/bus.h, which the kernel's Rust bindings do not cover. Each function is a thin
 * shim; the logic stays in Rust. Declared on the Rust side in rust/cxl/glue.rs.
 */
#ifndef __RCXL_GLUE_H__
#define __RCXL_GLUE_H__

#include <linux/types.h>

struct device;
struct cxl_driver;
struct dax_region;

/* The CXL bus. */
int rcxl_device_type_dax_region(void);
struct cxl_driver *rcxl_driver_register(const char *name, int type,
					int (*probe)(struct device *dev),
					void (*remove)(struct device *dev),
					bool suppress_bind_attrs, bool async_probe,
					int *err);
void rcxl_driver_unregister(struct cxl_driver *drv);
int rcxl_dax_region_info(struct device *dev, u64 *hpa_start, u64 *hpa_end,
			 int *region_id, bool *dynamic_capacity);

/* The dax bus. */
unsigned long rcxl_ioresource_dax_kmem(void);
unsigned long rcxl_ioresource_dax_dcd(void);
struct dax_region *rcxl_alloc_dax_region(struct device *parent, int region_id,
					 u64 start, u64 end, int target_node,
					 unsigned int align,
					 unsigned long flags);
int rcxl_devm_create_dev_dax(struct dax_region *dax_region, int id, u64 size,
			     bool memmap_on_memory);
void rcxl_dax_hmem_flush_work(void);

#endif /* __RCXL_GLUE_H__ */
