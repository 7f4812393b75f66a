// SPDX-License-Identifier: GPL-2.0
/*
 * cxl_hold: a test fixture for the guest tests (dc_tags.sh, dc_extents.sh and held_refs.sh in
 * tools/testing/selftests/drivers/cxl/dcd), not product code.
 *
 * It does what another kernel user of the CXL bus can do and user space cannot:
 *   echo "get NAME" > /sys/kernel/debug/cxl_hold/ctl   hold a reference to the cxl bus device NAME
 *   echo put > .../ctl                                drop it
 *   echo rlock > .../ctl                              a kthread takes cxl_rwsem.region for read
 *   echo runlock > .../ctl                            ... and lets it go
 *   echo wlock > .../ctl, echo wunlock > .../ctl       the same, for write
 *   echo "extent add DAXREGION OFF LEN TAG SEQ" > ...  dax_region_add_extent() on the dax region
 *   echo "extent rm DAXREGION OFF LEN" > ...           dax_region_rm_extents() of one range
 * Whatever is still held is dropped when the module is removed.
 *
 * The extent commands act on the dax region of the cxl_dax_region device DAXREGION (bound to
 * dax_cxl's driver; any other device is refused with ENXIO), at
 * OFF bytes into it, as dax_cxl does for an extent the CXL side accepted (with that device
 * locked); TAG is a uuid or 0 (untagged). They give the dax bus extents QEMU cannot make: tagged
 * ones, sequences, misaligned ones. Each command's errno is the dax bus's.
 */
#include <linux/completion.h>
#include <linux/debugfs.h>
#include <linux/device.h>
#include <linux/kthread.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/uuid.h>
#include <cxl.h>
#include "fixture.h"
#include "core/core.h"
#include "../dax/bus.h"
#include "../dax/dax-private.h"

static DEFINE_MUTEX(hold_lock);
static struct device *held_dev;
static struct task_struct *locker;
static bool locker_writes;
static DECLARE_COMPLETION(locked);
static DECLARE_COMPLETION(unlock);
static struct dentry *dir;

static int locker_fn(void *unused)
{
	if (locker_writes)
		down_write(&cxl_rwsem.region);
	else
		down_read(&cxl_rwsem.region);
	complete(&locked);
	wait_for_completion(&unlock);
	if (locker_writes)
		up_write(&cxl_rwsem.region);
	else
		up_read(&cxl_rwsem.region);
	while (!kthread_should_stop())
		schedule_timeout_interruptible(HZ / 10);
	return 0;
}

static void drop_all(void)
{
	if (held_dev) {
		put_device(held_dev);
		held_dev = NULL;
	}
	if (locker) {
		complete(&unlock);
		kthread_stop(locker);
		locker = NULL;
	}
}

static int extent_cmd(const char *args, bool add)
{
	char name[32], tagstr[UUID_STRING_LEN + 1] = "0";
	unsigned long long off, len;
	struct dax_region *dax_region;
	uuid_t tag = uuid_null;
	struct range range;
	struct device *dev;
	unsigned int seq = 0;
	int n, rc;

	n = sscanf(args, "%31s %lli %lli %36s %u", name, &off, &len, tagstr, &seq);
	if (n != (add ? 5 : 3) || !len || seq > U16_MAX)
		return -EINVAL;
	if (strcmp(tagstr, "0")) {
		rc = uuid_parse(tagstr, &tag);
		if (rc)
			return rc;
	}
	dev = bus_find_device_by_name(&cxl_bus_type, NULL, name);
	if (!dev)
		return -ENODEV;
	device_lock(dev);
	/* Only dax_cxl's driver data is a struct dax_region. */
	dax_region = dev->driver && !strcmp(dev->driver->name, "cxl_dax_region") ?
		     dev_get_drvdata(dev) : NULL;
	if (!dax_region) {
		rc = -ENXIO;
	} else {
		range.start = dax_region->res.start + off;
		range.end = range.start + len - 1;
		rc = add ? dax_region_add_extent(dax_region, &range, &tag, seq) :
			   dax_region_rm_extents(dax_region, &range, 1);
	}
	device_unlock(dev);
	put_device(dev);
	return rc;
}

static ssize_t ctl_write(struct file *f, const char __user *ubuf, size_t len, loff_t *pos)
{
	char buf[160], *cmd;
	ssize_t rc = len;
	int err;

	err = fixture_cmd(buf, sizeof(buf), ubuf, len, &cmd);
	if (err)
		return err;

	guard(mutex)(&hold_lock);
	if (!strncmp(cmd, "get ", 4)) {
		if (held_dev)
			return -EBUSY;
		held_dev = bus_find_device_by_name(&cxl_bus_type, NULL, cmd + 4);
		if (!held_dev)
			rc = -ENODEV;
	} else if (!strcmp(cmd, "put")) {
		if (!held_dev)
			return -ENOENT;
		put_device(held_dev);
		held_dev = NULL;
	} else if (!strcmp(cmd, "rlock") || !strcmp(cmd, "wlock")) {
		if (locker)
			return -EBUSY;
		locker_writes = cmd[0] == 'w';
		reinit_completion(&locked);
		reinit_completion(&unlock);
		locker = kthread_run(locker_fn, NULL, "cxl_hold");
		if (IS_ERR(locker)) {
			rc = PTR_ERR(locker);
			locker = NULL;
		} else {
			wait_for_completion(&locked);
		}
	} else if (!strcmp(cmd, "runlock") || !strcmp(cmd, "wunlock")) {
		if (!locker || locker_writes != (cmd[0] == 'w'))
			return -ENOENT;
		complete(&unlock);
		kthread_stop(locker);
		locker = NULL;
	} else if (!strncmp(cmd, "extent add ", 11)) {
		rc = extent_cmd(cmd + 11, true) ?: len;
	} else if (!strncmp(cmd, "extent rm ", 10)) {
		rc = extent_cmd(cmd + 10, false) ?: len;
	} else {
		rc = -EINVAL;
	}
	return rc;
}

static const struct file_operations ctl_fops = {
	.owner = THIS_MODULE,
	.write = ctl_write,
};

static int __init cxl_hold_init(void)
{
	dir = debugfs_create_dir("cxl_hold", NULL);
	debugfs_create_file("ctl", 0200, dir, NULL, &ctl_fops);
	return 0;
}

static void __exit cxl_hold_exit(void)
{
	debugfs_remove_recursive(dir);
	guard(mutex)(&hold_lock);
	drop_all();
}

module_init(cxl_hold_init);
module_exit(cxl_hold_exit);
MODULE_DESCRIPTION("Test fixture: hold CXL device references and cxl_rwsem.region, add dax extents");
MODULE_LICENSE("GPL");
MODULE_IMPORT_NS("CXL");
