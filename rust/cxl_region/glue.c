// SPDX-License-Identifier: GPL-2.0
/*
 * The C glue of cxl_region: the shared shims plus the tables the driver core and the CXL core
 * need in C form (attribute groups, device types, the region provider), each forwarding to Rust.
 * See include/rcxl_region_glue.h.
 */
#include "../cxl/glue.c"

#include <linux/device.h>
#include <linux/memregion.h>
#include <linux/memory-tiers.h>
#include <linux/memory.h>
#include <linux/node.h>
#include <linux/notifier.h>
#include <linux/sysfs.h>

#include <cxlmem.h>
#include "core/core.h"

#include "rcxl_region_glue.h"

struct rcxl_dev_attr {
	struct device_attribute attr;
	int id;
};

static int rcxl_attr_id(struct device_attribute *attr)
{
	return container_of(attr, struct rcxl_dev_attr, attr)->id;
}

static ssize_t rcxl_show(struct device *dev, struct device_attribute *attr,
			 char *buf)
{
	return rcxl_rs_attr_show(dev, rcxl_attr_id(attr), buf);
}

static ssize_t rcxl_store(struct device *dev, struct device_attribute *attr,
			  const char *buf, size_t len)
{
	return rcxl_rs_attr_store(dev, rcxl_attr_id(attr), buf, len);
}

#define RCXL_ATTR(_var, _name, _mode, _id)				\
	static struct rcxl_dev_attr _var = {				\
		.attr = __ATTR(_name, _mode, rcxl_show, rcxl_store),	\
		.id = _id,						\
	}

static umode_t rcxl_visible(struct kobject *kobj, struct attribute *a, int n)
{
	struct device_attribute *attr = container_of(a, struct device_attribute, attr);

	return rcxl_rs_attr_visible(kobj_to_dev(kobj), rcxl_attr_id(attr), a->mode);
}

/* Root decoder: added to every root decoder while the module is loaded. */
RCXL_ATTR(rcxl_create_ram_region, create_ram_region, 0644, RCXL_ATTR_CREATE_RAM_REGION);
RCXL_ATTR(rcxl_create_dynamic_ram_1_region, create_dynamic_ram_1_region, 0644,
	  RCXL_ATTR_CREATE_DYNAMIC_RAM_1_REGION);
RCXL_ATTR(rcxl_delete_region, delete_region, 0200, RCXL_ATTR_DELETE_REGION);

static struct attribute *rcxl_root_decoder_attrs[] = {
	&rcxl_create_ram_region.attr.attr,
	&rcxl_create_dynamic_ram_1_region.attr.attr,
	&rcxl_delete_region.attr.attr,
	NULL,
};

static const struct attribute_group rcxl_root_decoder_group = {
	.attrs = rcxl_root_decoder_attrs,
	.is_visible = rcxl_visible,
};

/* Switch and endpoint decoders. */
RCXL_ATTR(rcxl_decoder_region, region, 0444, RCXL_ATTR_DECODER_REGION);

static struct attribute *rcxl_decoder_attrs[] = {
	&rcxl_decoder_region.attr.attr,
	NULL,
};

static const struct attribute_group rcxl_decoder_group = {
	.attrs = rcxl_decoder_attrs,
};

/* Region. */
RCXL_ATTR(rcxl_uuid, uuid, 0644, RCXL_ATTR_UUID);
RCXL_ATTR(rcxl_commit, commit, 0644, RCXL_ATTR_COMMIT);
RCXL_ATTR(rcxl_interleave_ways, interleave_ways, 0644, RCXL_ATTR_INTERLEAVE_WAYS);
RCXL_ATTR(rcxl_interleave_granularity, interleave_granularity, 0644,
	  RCXL_ATTR_INTERLEAVE_GRANULARITY);
RCXL_ATTR(rcxl_resource, resource, 0444, RCXL_ATTR_RESOURCE);
RCXL_ATTR(rcxl_size, size, 0644, RCXL_ATTR_SIZE);
RCXL_ATTR(rcxl_mode, mode, 0444, RCXL_ATTR_MODE);
RCXL_ATTR(rcxl_extended_linear_cache_size, extended_linear_cache_size, 0444,
	  RCXL_ATTR_EXTENDED_LINEAR_CACHE_SIZE);
RCXL_ATTR(rcxl_locked, locked, 0444, RCXL_ATTR_LOCKED);

static struct attribute *rcxl_region_attrs[] = {
	&rcxl_uuid.attr.attr,
	&rcxl_commit.attr.attr,
	&rcxl_interleave_ways.attr.attr,
	&rcxl_interleave_granularity.attr.attr,
	&rcxl_resource.attr.attr,
	&rcxl_size.attr.attr,
	&rcxl_mode.attr.attr,
	&rcxl_extended_linear_cache_size.attr.attr,
	&rcxl_locked.attr.attr,
	NULL,
};

static const struct attribute_group rcxl_region_group = {
	.attrs = rcxl_region_attrs,
	.is_visible = rcxl_visible,
};

#define RCXL_TARGET(n) \
	RCXL_ATTR(rcxl_target##n, target##n, 0644, RCXL_ATTR_TARGET0 + (n))
RCXL_TARGET(0); RCXL_TARGET(1); RCXL_TARGET(2); RCXL_TARGET(3);
RCXL_TARGET(4); RCXL_TARGET(5); RCXL_TARGET(6); RCXL_TARGET(7);
RCXL_TARGET(8); RCXL_TARGET(9); RCXL_TARGET(10); RCXL_TARGET(11);
RCXL_TARGET(12); RCXL_TARGET(13); RCXL_TARGET(14); RCXL_TARGET(15);

static struct attribute *rcxl_target_attrs[] = {
	&rcxl_target0.attr.attr, &rcxl_target1.attr.attr,
	&rcxl_target2.attr.attr, &rcxl_target3.attr.attr,
	&rcxl_target4.attr.attr, &rcxl_target5.attr.attr,
	&rcxl_target6.attr.attr, &rcxl_target7.attr.attr,
	&rcxl_target8.attr.attr, &rcxl_target9.attr.attr,
	&rcxl_target10.attr.attr, &rcxl_target11.attr.attr,
	&rcxl_target12.attr.attr, &rcxl_target13.attr.attr,
	&rcxl_target14.attr.attr, &rcxl_target15.attr.attr,
	NULL,
};

static const struct attribute_group rcxl_target_group = {
	.attrs = rcxl_target_attrs,
	.is_visible = rcxl_visible,
};

#define RCXL_ACCESS(l, name, id)					\
	RCXL_ATTR(rcxl_access##l##_##name, name, 0444, id)
RCXL_ACCESS(0, read_bandwidth, RCXL_ATTR_ACCESS0_READ_BANDWIDTH);
RCXL_ACCESS(0, write_bandwidth, RCXL_ATTR_ACCESS0_WRITE_BANDWIDTH);
RCXL_ACCESS(0, read_latency, RCXL_ATTR_ACCESS0_READ_LATENCY);
RCXL_ACCESS(0, write_latency, RCXL_ATTR_ACCESS0_WRITE_LATENCY);
RCXL_ACCESS(1, read_bandwidth, RCXL_ATTR_ACCESS1_READ_BANDWIDTH);
RCXL_ACCESS(1, write_bandwidth, RCXL_ATTR_ACCESS1_WRITE_BANDWIDTH);
RCXL_ACCESS(1, read_latency, RCXL_ATTR_ACCESS1_READ_LATENCY);
RCXL_ACCESS(1, write_latency, RCXL_ATTR_ACCESS1_WRITE_LATENCY);

static struct attribute *rcxl_access0_attrs[] = {
	&rcxl_access0_read_bandwidth.attr.attr,
	&rcxl_access0_write_bandwidth.attr.attr,
	&rcxl_access0_read_latency.attr.attr,
	&rcxl_access0_write_latency.attr.attr,
	NULL,
};

static struct attribute *rcxl_access1_attrs[] = {
	&rcxl_access1_read_bandwidth.attr.attr,
	&rcxl_access1_write_bandwidth.attr.attr,
	&rcxl_access1_read_latency.attr.attr,
	&rcxl_access1_write_latency.attr.attr,
	NULL,
};

static const struct attribute_group rcxl_access0_group = {
	.name = "access0",
	.attrs = rcxl_access0_attrs,
	.is_visible = rcxl_visible,
};

static const struct attribute_group rcxl_access1_group = {
	.name = "access1",
	.attrs = rcxl_access1_attrs,
	.is_visible = rcxl_visible,
};

static const struct attribute_group *rcxl_region_groups[] = {
	&cxl_base_attribute_group,
	&rcxl_region_group,
	&rcxl_target_group,
	&rcxl_access0_group,
	&rcxl_access1_group,
	NULL,
};

static void rcxl_region_type_release(struct device *dev)
{
	rcxl_rs_region_release(dev);
}

static const struct device_type rcxl_region_type = {
	.name = "cxl_region",
	.release = rcxl_region_type_release,
	.groups = rcxl_region_groups,
};

static struct lock_class_key rcxl_region_key;

/* cxl_region_alloc() of region.c: a region device, initialized, not added. */
struct cxl_region *rcxl_region_alloc(struct cxl_root_decoder *cxlrd, int id)
{
	struct cxl_region *cxlr;
	struct device *dev;

	cxlr = kzalloc_obj(*cxlr);
	if (!cxlr)
		return NULL;

	dev = &cxlr->dev;
	device_initialize(dev);
	lockdep_set_class(&dev->mutex, &rcxl_region_key);
	dev->parent = &cxlrd->cxlsd.cxld.dev;
	/* Keep the root decoder pinned until the release returns the region id. */
	get_device(dev->parent);
	cxlr->cxlrd = cxlrd;
	cxlr->id = id;
	device_set_pm_not_required(dev);
	dev->bus = &cxl_bus_type;
	dev->type = &rcxl_region_type;
	return cxlr;
}

/* The targetN files follow interleave_ways. */
int rcxl_region_update_targets(struct cxl_region *cxlr)
{
	return sysfs_update_group(&cxlr->dev.kobj, &rcxl_target_group);
}

/* alloc_region_ref() of region.c, after its HPA order check (done in Rust). */
struct cxl_region_ref *rcxl_region_ref_alloc(struct cxl_port *port,
					     struct cxl_region *cxlr, int *err)
{
	struct cxl_region_ref *cxl_rr;

	cxl_rr = kzalloc_obj(*cxl_rr);
	if (!cxl_rr) {
		*err = -ENOMEM;
		return NULL;
	}
	cxl_rr->port = port;
	cxl_rr->region = cxlr;
	cxl_rr->nr_targets = 1;
	xa_init(&cxl_rr->endpoints);

	*err = xa_insert(&port->regions, (unsigned long)cxlr, cxl_rr, GFP_KERNEL);
	if (*err) {
		kfree(cxl_rr);
		return NULL;
	}
	return cxl_rr;
}

/* free_region_ref() of region.c, after the decoder was released (in Rust). */
void rcxl_region_ref_free(struct cxl_region_ref *cxl_rr)
{
	xa_erase(&cxl_rr->port->regions, (unsigned long)cxl_rr->region);
	xa_destroy(&cxl_rr->endpoints);
	kfree(cxl_rr);
}

/* The access0/access1 files follow the coordinates. */
void rcxl_region_update_access(struct cxl_region *cxlr)
{
	if (sysfs_update_group(&cxlr->dev.kobj, &rcxl_access0_group))
		dev_dbg(&cxlr->dev, "Failed to update access0 group\n");
	if (sysfs_update_group(&cxlr->dev.kobj, &rcxl_access1_group))
		dev_dbg(&cxlr->dev, "Failed to update access1 group\n");
}

static void rcxl_shutdown_notifiers(void *_cxlr)
{
	struct cxl_region *cxlr = _cxlr;

	unregister_node_notifier(&cxlr->node_notifier);
	unregister_mt_adistance_algorithm(&cxlr->adist_notifier);
}

/* The notifiers cxl_region_probe() registers, unregistered when the driver unbinds. */
int rcxl_region_register_notifiers(struct cxl_region *cxlr,
				   int (*node_cb)(struct notifier_block *nb,
						  unsigned long action, void *arg),
				   int (*adist_cb)(struct notifier_block *nb,
						   unsigned long nid, void *data))
{
	cxlr->node_notifier.notifier_call = node_cb;
	cxlr->node_notifier.priority = CXL_CALLBACK_PRI;
	register_node_notifier(&cxlr->node_notifier);

	cxlr->adist_notifier.notifier_call = adist_cb;
	cxlr->adist_notifier.priority = 100;
	register_mt_adistance_algorithm(&cxlr->adist_notifier);

	return devm_add_action_or_reset(&cxlr->dev, rcxl_shutdown_notifiers, cxlr);
}

bool rcxl_is_region(struct device *dev)
{
	return dev->type == &rcxl_region_type;
}

/* Whether the CPU caches could be invalidated over [start, start + len). */
bool rcxl_cpu_cache_invalidate_memregion(u64 start, u64 len)
{
	if (!cpu_cache_has_invalidate_memregion())
		return false;
	cpu_cache_invalidate_memregion(start, len);
	return true;
}

static void rcxl_dax_region_release(struct device *dev)
{
	kfree(container_of(dev, struct cxl_dax_region, dev));
}

static const struct attribute_group *rcxl_dax_region_groups[] = {
	&cxl_base_attribute_group,
	NULL,
};

static const struct device_type rcxl_dax_region_type = {
	.name = "cxl_dax_region",
	.release = rcxl_dax_region_release,
	.groups = rcxl_dax_region_groups,
};

static struct lock_class_key rcxl_dax_region_key;

static void rcxl_dax_region_unregister(void *dev)
{
	device_unregister(dev);
}

/*
 * devm_cxl_add_dax_region() of region_dax.c without the state check (done in Rust under the
 * lock): the dax_regionZ child that dax_cxl binds, removed with the region driver's binding.
 */
int rcxl_dax_region_add(struct cxl_region *cxlr, u64 start, u64 end)
{
	struct cxl_dax_region *cxlr_dax;
	struct device *dev;
	int rc;

	cxlr_dax = kzalloc_obj(*cxlr_dax);
	if (!cxlr_dax)
		return -ENOMEM;
	cxlr_dax->hpa_range.start = start;
	cxlr_dax->hpa_range.end = end;
	cxlr_dax->cxlr = cxlr;

	dev = &cxlr_dax->dev;
	device_initialize(dev);
	lockdep_set_class(&dev->mutex, &rcxl_dax_region_key);
	device_set_pm_not_required(dev);
	dev->parent = &cxlr->dev;
	dev->bus = &cxl_bus_type;
	dev->type = &rcxl_dax_region_type;

	rc = dev_set_name(dev, "dax_region%d", cxlr->id);
	if (!rc)
		rc = device_add(dev);
	if (rc) {
		put_device(dev);
		return rc;
	}
	return devm_add_action_or_reset(&cxlr->dev, rcxl_dax_region_unregister, dev);
}

int rcxl_root_regions_lock(struct cxl_root_decoder *cxlrd, bool interruptible)
{
	if (interruptible)
		return mutex_lock_interruptible(&cxlrd->regions_lock);
	mutex_lock(&cxlrd->regions_lock);
	return 0;
}

void rcxl_root_regions_unlock(struct cxl_root_decoder *cxlrd)
{
	mutex_unlock(&cxlrd->regions_lock);
}

/* cxl_dcd_supported() is a static inline of cxlmem.h; the caller holds cxl_memdev_rwsem. */
bool rcxl_dcd_supported(struct cxl_dev_state *cxlds)
{
	struct cxl_memdev_state *mds = to_cxl_memdev_state(cxlds);

	return mds && cxl_dcd_supported(mds);
}

static int rcxl_decoder_detach(struct cxl_region *cxlr,
			       struct cxl_endpoint_decoder *cxled, int pos,
			       enum cxl_detach_mode mode)
{
	return rcxl_rs_decoder_detach(cxlr, cxled, pos, mode);
}

static const struct cxl_region_provider rcxl_provider = {
	.region_type = &rcxl_region_type,
	.dax_region_type = &rcxl_dax_region_type,
	.decoder_detach = rcxl_decoder_detach,
	.kill_regions = rcxl_rs_kill_regions,
};

/*
 * The decoder attributes are added to every decoder on the bus and to each new one before user
 * space hears of it (BUS_NOTIFY_ADD_DEVICE runs ahead of the KOBJ_ADD uevent). A decoder the
 * notifier and the walk both see is decorated once: a group whose files exist is refused whole.
 */
static const struct attribute_group *rcxl_decoder_group_of(struct device *dev)
{
	if (is_root_decoder(dev))
		return &rcxl_root_decoder_group;
	if (is_switch_decoder(dev) || is_endpoint_decoder(dev))
		return &rcxl_decoder_group;
	return NULL;
}

static int rcxl_decorate(struct device *dev, void *unused)
{
	const struct attribute_group *grp = rcxl_decoder_group_of(dev);
	int rc;

	if (!grp)
		return 0;
	rc = sysfs_create_group(&dev->kobj, grp);
	if (rc && rc != -EEXIST)
		dev_warn(dev, "cannot add the region attributes: %d\n", rc);
	return 0;
}

static int rcxl_undecorate(struct device *dev, void *unused)
{
	const struct attribute_group *grp = rcxl_decoder_group_of(dev);

	if (grp)
		sysfs_remove_group(&dev->kobj, grp);
	return 0;
}

static int rcxl_bus_notify(struct notifier_block *nb, unsigned long action,
			   void *data)
{
	if (action == BUS_NOTIFY_ADD_DEVICE)
		rcxl_decorate(data, NULL);
	return NOTIFY_DONE;
}

static struct notifier_block rcxl_bus_nb = {
	.notifier_call = rcxl_bus_notify,
};

int rcxl_region_provider_init(void)
{
	int rc;

	rc = cxl_region_provider_register(&rcxl_provider);
	if (rc)
		return rc;
	rc = bus_register_notifier(&cxl_bus_type, &rcxl_bus_nb);
	if (rc) {
		cxl_region_provider_unregister(&rcxl_provider);
		return rc;
	}
	bus_for_each_dev(&cxl_bus_type, NULL, NULL, rcxl_decorate);
	return 0;
}

static int rcxl_remove_regions(struct device *dev, void *unused)
{
	if (is_root_decoder(dev))
		rcxl_rs_remove_regions(to_cxl_root_decoder(dev));
	return 0;
}

/*
 * Module exit: no new regions (the attributes go first, which waits for writers in flight), then
 * every region is unregistered, then the core stops calling in.
 */
void rcxl_region_provider_exit(void)
{
	bus_unregister_notifier(&cxl_bus_type, &rcxl_bus_nb);
	bus_for_each_dev(&cxl_bus_type, NULL, NULL, rcxl_undecorate);
	bus_for_each_dev(&cxl_bus_type, NULL, NULL, rcxl_remove_regions);
	cxl_region_provider_unregister(&rcxl_provider);
}
