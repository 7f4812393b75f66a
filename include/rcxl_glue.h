/* SPDX-License-Identifier: GPL-2.0 */
/*
 * C shims of the Rust CXL modules: calls that are macros, or static inlines in some kernel
 * configurations, which the Rust bindings cannot reach. No logic. Declared on the Rust side in
 * rust/cxl/glue.rs.
 */
#ifndef __RCXL_GLUE_H__
#define __RCXL_GLUE_H__

#include <linux/types.h>

struct device;
struct mutex;
struct notifier_block;
struct cxl_dev_state;

/* The dax bus (dax_cxl only: rust/dax_cxl/glue.c). */
void rcxl_dax_hmem_flush_work(void);

/* Regions (cxl_region only: rust/cxl_region/glue.c). */
int rcxl_mutex_lock_interruptible(struct mutex *lock);
bool rcxl_dcd_supported(struct cxl_dev_state *cxlds);
bool rcxl_device_is_registered(struct device *dev);
bool rcxl_cpu_cache_invalidate_memregion(u64 start, u64 len);
void rcxl_register_notifiers(struct notifier_block *node_nb,
			     struct notifier_block *adist_nb);
void rcxl_unregister_notifiers(struct notifier_block *node_nb,
			       struct notifier_block *adist_nb);
void rcxl_trace_dc_extent(const struct device *memdev, int region, u8 record, u64 dpa,
			  u64 length, const u8 *tag, u16 seq, const char *what, const char *why);

struct cxl_region;
struct dentry;
struct dentry *rcxl_region_poison_debugfs(struct cxl_region *cxlr);
void rcxl_debugfs_remove(struct dentry *dentry);
int rcxl_region_edac_register(struct cxl_region *cxlr);
/* cxl_region's fault point, a no-op without CONFIG_FAULT_INJECTION_DEBUG_FS. */
struct dentry *rcxl_faults_debugfs(void);
bool rcxl_stall_attach_target(void);
bool rcxl_stall_held(void);
/* In Rust (rust/cxl/region.rs): the region debugfs files' write. */
int rcxl_region_poison_write(void *cxlr, u64 offset, bool clear);

#endif /* __RCXL_GLUE_H__ */
