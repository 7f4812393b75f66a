/* SPDX-License-Identifier: GPL-2.0 */
/*
 * C glue of the Rust cxl_region (rust/cxl_region/glue.c): the attribute tables, device types and
 * the region-provider registration the core sees, each entry forwarding to the Rust functions
 * declared at the end. Decisions (validation, state, naming) are made in Rust.
 */
#ifndef __RCXL_REGION_GLUE_H__
#define __RCXL_REGION_GLUE_H__

#include <linux/types.h>

struct device;
struct cxl_region;
struct cxl_root_decoder;
struct cxl_endpoint_decoder;
struct cxl_port;
struct cxl_region_ref;
struct cxl_dev_state;
struct notifier_block;

/* The sysfs attributes of cxl_region; the Rust side dispatches on these. */
enum rcxl_attr {
	/* root decoder */
	RCXL_ATTR_CREATE_RAM_REGION,
	RCXL_ATTR_CREATE_DYNAMIC_RAM_1_REGION,
	RCXL_ATTR_DELETE_REGION,
	/* switch and endpoint decoder */
	RCXL_ATTR_DECODER_REGION,
	/* region */
	RCXL_ATTR_UUID,
	RCXL_ATTR_COMMIT,
	RCXL_ATTR_INTERLEAVE_WAYS,
	RCXL_ATTR_INTERLEAVE_GRANULARITY,
	RCXL_ATTR_RESOURCE,
	RCXL_ATTR_SIZE,
	RCXL_ATTR_MODE,
	RCXL_ATTR_EXTENDED_LINEAR_CACHE_SIZE,
	RCXL_ATTR_LOCKED,
	/* region access0/ and access1/ */
	RCXL_ATTR_ACCESS0_READ_BANDWIDTH,
	RCXL_ATTR_ACCESS0_WRITE_BANDWIDTH,
	RCXL_ATTR_ACCESS0_READ_LATENCY,
	RCXL_ATTR_ACCESS0_WRITE_LATENCY,
	RCXL_ATTR_ACCESS1_READ_BANDWIDTH,
	RCXL_ATTR_ACCESS1_WRITE_BANDWIDTH,
	RCXL_ATTR_ACCESS1_READ_LATENCY,
	RCXL_ATTR_ACCESS1_WRITE_LATENCY,
	/* region targets: RCXL_ATTR_TARGET0 + position */
	RCXL_ATTR_TARGET0,
	RCXL_ATTR_END = RCXL_ATTR_TARGET0 + 16,
};

/* Glue for Rust. */
int rcxl_region_provider_init(void);
void rcxl_region_provider_exit(void);
struct cxl_region *rcxl_region_alloc(struct cxl_root_decoder *cxlrd, int id);
int rcxl_region_update_targets(struct cxl_region *cxlr);
struct cxl_region_ref *rcxl_region_ref_alloc(struct cxl_port *port,
					     struct cxl_region *cxlr, int *err);
void rcxl_region_ref_free(struct cxl_region_ref *cxl_rr);
int rcxl_dax_region_add(struct cxl_region *cxlr, u64 start, u64 end);
bool rcxl_is_region(struct device *dev);
bool rcxl_cpu_cache_invalidate_memregion(u64 start, u64 len);
int rcxl_region_register_notifiers(struct cxl_region *cxlr,
				   int (*node_cb)(struct notifier_block *nb,
						  unsigned long action, void *arg),
				   int (*adist_cb)(struct notifier_block *nb,
						   unsigned long nid, void *data));
void rcxl_region_update_access(struct cxl_region *cxlr);
int rcxl_root_regions_lock(struct cxl_root_decoder *cxlrd, bool interruptible);
void rcxl_root_regions_unlock(struct cxl_root_decoder *cxlrd);
bool rcxl_dcd_supported(struct cxl_dev_state *cxlds);

/* Rust, called by the glue. */
ssize_t rcxl_rs_attr_show(struct device *dev, int attr, char *buf);
ssize_t rcxl_rs_attr_store(struct device *dev, int attr, const char *buf,
			   size_t len);
umode_t rcxl_rs_attr_visible(struct device *dev, int attr, umode_t mode);
void rcxl_rs_region_release(struct device *dev);
int rcxl_rs_decoder_detach(struct cxl_region *cxlr,
			   struct cxl_endpoint_decoder *cxled, int pos, int mode);
void rcxl_rs_kill_regions(struct cxl_root_decoder *cxlrd);
void rcxl_rs_remove_regions(struct cxl_root_decoder *cxlrd);

#endif /* __RCXL_REGION_GLUE_H__ */
