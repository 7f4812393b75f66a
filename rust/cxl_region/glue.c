// SPDX-License-Identifier: GPL-2.0
/*
 * The C shims of cxl_region: mutexes (a macro under lockdep); the DCD check,
 * device_is_registered() and cache invalidation (static inlines); the node and
 * memory-tier notifiers (static inlines without NUMA); EDAC registration (a
 * static inline without EDAC); the trace event; the fault point's attribute.
 * See include/rcxl_glue.h.
 */
#include <linux/debugfs.h>
#include <linux/device.h>
#include <linux/fault-inject.h>
#include <linux/memregion.h>
#include <linux/memory-tiers.h>
#include <linux/node.h>

#include <cxlmem.h>

#include "rcxl_glue.h"

#define CREATE_TRACE_POINTS
#include "rcxl_trace.h"

int rcxl_mutex_lock_interruptible(struct mutex *lock)
{
	return mutex_lock_interruptible(lock);
}

bool rcxl_dcd_supported(struct cxl_dev_state *cxlds)
{
	struct cxl_memdev_state *mds = to_cxl_memdev_state(cxlds);

	return mds && cxl_dcd_supported(mds);
}

bool rcxl_device_is_registered(struct device *dev)
{
	return device_is_registered(dev);
}

bool rcxl_cpu_cache_invalidate_memregion(u64 start, u64 len)
{
	if (!cpu_cache_has_invalidate_memregion())
		return false;
	cpu_cache_invalidate_memregion(start, len);
	return true;
}

void rcxl_register_notifiers(struct notifier_block *node_nb,
			     struct notifier_block *adist_nb)
{
	register_node_notifier(node_nb);
	register_mt_adistance_algorithm(adist_nb);
}

void rcxl_unregister_notifiers(struct notifier_block *node_nb,
			       struct notifier_block *adist_nb)
{
	unregister_node_notifier(node_nb);
	unregister_mt_adistance_algorithm(adist_nb);
}

/* trace_cxl_dc_extent() is a static inline. */
void rcxl_trace_dc_extent(const struct device *memdev, int region, u8 record, u64 dpa,
			  u64 length, const u8 *tag, u16 seq, const char *what, const char *why)
{
	trace_cxl_dc_extent(memdev, region, record, dpa, length, tag, seq, what, why);
}

/*
 * A region's debugfs inject_poison and clear_poison (cxl_region_setup_poison()): the file
 * operations are a macro; the write is Rust's (rcxl_region_poison_write()).
 */
static int poison_inject(void *cxlr, u64 offset)
{
	return rcxl_region_poison_write(cxlr, offset, false);
}

static int poison_clear(void *cxlr, u64 offset)
{
	return rcxl_region_poison_write(cxlr, offset, true);
}

DEFINE_DEBUGFS_ATTRIBUTE(poison_inject_fops, NULL, poison_inject, "%llx\n");
DEFINE_DEBUGFS_ATTRIBUTE(poison_clear_fops, NULL, poison_clear, "%llx\n");

struct dentry *rcxl_region_poison_debugfs(struct cxl_region *cxlr)
{
	struct dentry *dentry = cxl_debugfs_create_dir(dev_name(&cxlr->dev));

	debugfs_create_file("inject_poison", 0200, dentry, cxlr, &poison_inject_fops);
	debugfs_create_file("clear_poison", 0200, dentry, cxlr, &poison_clear_fops);
	return dentry;
}

/* A static inline without CONFIG_CXL_EDAC_MEM_FEATURES. */
int rcxl_region_edac_register(struct cxl_region *cxlr)
{
	return devm_cxl_region_edac_register(cxlr);
}

/* debugfs_remove_recursive() is a macro. */
void rcxl_debugfs_remove(struct dentry *dentry)
{
	debugfs_remove_recursive(dentry);
}

/*
 * cxl_region's fault point (Documentation/fault-injection/): debugfs
 * cxl_region/stall_attach_target/, the kernel's fault attributes plus "hold". The attribute is a
 * macro's initializer; the stall itself is Rust's (rust/cxl/fault.rs).
 */
#ifdef CONFIG_FAULT_INJECTION_DEBUG_FS
static DECLARE_FAULT_ATTR(stall_attach_target);
static bool stall_hold;

struct dentry *rcxl_faults_debugfs(void)
{
	struct dentry *dir = debugfs_create_dir("cxl_region", NULL);
	struct dentry *attr;

	attr = fault_create_debugfs_attr("stall_attach_target", dir, &stall_attach_target);
	if (!IS_ERR(attr))
		debugfs_create_bool("hold", 0600, attr, &stall_hold);
	return dir;
}

bool rcxl_stall_attach_target(void)
{
	return should_fail(&stall_attach_target, 1);
}

bool rcxl_stall_held(void)
{
	return READ_ONCE(stall_hold);
}
#else
struct dentry *rcxl_faults_debugfs(void)
{
	return NULL;
}

bool rcxl_stall_attach_target(void)
{
	return false;
}

bool rcxl_stall_held(void)
{
	return false;
}
#endif

/*
 * region.c's translation arithmetic, in Rust (rust/cxl/exports.rs), for the kernel's test module
 * of it alone, as region.c exports it.
 */
EXPORT_SYMBOL_FOR_MODULES(cxl_validate_translation_params, "cxl_translate");
EXPORT_SYMBOL_FOR_MODULES(cxl_calculate_hpa_offset, "cxl_translate");
EXPORT_SYMBOL_FOR_MODULES(cxl_calculate_dpa_offset, "cxl_translate");
EXPORT_SYMBOL_FOR_MODULES(cxl_calculate_position, "cxl_translate");
