// SPDX-License-Identifier: GPL-2.0
/*
 * cxl_dcmock: a test fixture for the guest tests (tools/testing/selftests/drivers/cxl/dcd), not
 * product code. It gives one memdev of a QEMU Dynamic Capacity device the device behaviour QEMU 10
 * cannot produce, by standing in front of its mailbox (cxl_mailbox::mbox_send):
 *
 *   echo "wrap MEMDEV" > /sys/kernel/debug/cxl_dcmock/ctl  stand in front of MEMDEV's mailbox
 *   echo "delay MS" > .../ctl     each DC command (0x4801-0x4803) waits MS ms in the mailbox
 *                                 first, holding its mutex (a slow device); 0: none
 *   echo "mock 1" > .../ctl       the DC commands and the Dynamic Capacity event log are the
 *                                 fixture's (below); "mock 0": QEMU's again
 *   echo "KIND DPA LEN TAG SEQ MORE" > .../ctl
 *                                 a Dynamic Capacity event record into the fixture's log, read at
 *                                 once through the core's event path (cxl_mem_get_event_records()
 *                                 of the DC log, as the event interrupt does): KIND add, release,
 *                                 forced or config; TAG a uuid or 0; MORE 0 or 1
 *   echo "hold 1" > .../ctl       records are queued and not read until "hold 0", which reads
 *                                 them all in one pass of the event path (as one interrupt for
 *                                 a log the device filled at once; the benchmark's offers)
 *   echo unwrap > .../ctl         QEMU's mailbox again (also when the memdev goes, and at unload)
 *   cat /sys/kernel/debug/cxl_dcmock/state
 *
 * With "mock 1" the fixture is the device's Dynamic Capacity: an "add" record offers its extent
 * (pending, in the offer that its More chain forms); Add DC Response must list only extents of the
 * oldest offer, which it then closes (accepted: those listed; the rest dropped, as QEMU and the
 * specification have it); Release DC must list only extents the host holds (whole or in part); a
 * "forced" record takes its range away at once. Get DC Extent List lists what the host holds,
 * with a generation that changes with every change. A command that breaks these rules fails with
 * the Invalid Input return code and changes nothing, and is counted: "errors" in the state file,
 * with the last one, is what a test checks. The state file lists "offered", "held" and "errors".
 */
#include <linux/debugfs.h>
#include <linux/delay.h>
#include <linux/device.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/unaligned.h>
#include <linux/uuid.h>
#include <cxl.h>
#include "fixture.h"
#include <cxlmem.h>

#define MOCK_MAX 512
#define MOCK_RECS 128

struct mock_extent {
	u64 start, len;
	uuid_t tag;
	u16 seq;
	int offer;	/* the offer an offered extent belongs to */
};

static DEFINE_MUTEX(mock_lock);	/* everything below; taken inside the mailbox mutex */
static struct cxl_memdev *wrapped_md;
static struct cxl_memdev_state *wrapped;
static int (*orig_send)(struct cxl_mailbox *mbox, struct cxl_mbox_cmd *cmd);
static unsigned int delay_ms;
static bool mocking;
static bool holding;
static struct mock_extent offered[MOCK_MAX], held[MOCK_MAX];
static int nr_offered, nr_held, offer_id, offer_open;
static u32 generation;
static struct cxl_event_record_raw recs[MOCK_RECS];
static int nr_recs;
static u16 next_handle = 1;
static unsigned int errors;
static char last_error[128];
static struct dentry *dir;

static const uuid_t dc_uuid = UUID_INIT(0xca95afa7, 0xf183, 0x4018, 0x8c, 0x2f, 0x95, 0x26,
					0x8e, 0x10, 0x1a, 0x2a);

/* Record layout after the common header (CXL r3.1 Table 8-50) */
struct dc_record {
	u8 type;
	u8 validity;
	__le16 host_id;
	u8 region_index;
	u8 flags;
	u8 rsvd[2];
	__le64 start, len;
	u8 tag[16];
	__le16 seq;
} __packed;

struct dc_updated {
	__le64 start, len;
	u8 rsvd[8];
} __packed;

static int mock_refuse(struct cxl_mbox_cmd *cmd, const char *why, u64 start, u64 len)
{
	errors++;
	snprintf(last_error, sizeof(last_error), "opcode %#x: %s (DPA %#llx+%#llx)",
		 cmd->opcode, why, start, len);
	pr_info("cxl_dcmock: refused %s\n", last_error);
	cmd->return_code = CXL_MBOX_CMD_RC_INPUT;
	cmd->size_out = 0;
	return 0;
}

static void drop_at(struct mock_extent *list, int *nr, int i)
{
	memmove(&list[i], &list[i + 1], (*nr - i - 1) * sizeof(*list));
	(*nr)--;
}

static int mock_extent_list(struct cxl_mbox_cmd *cmd)
{
	u32 *in = cmd->payload_in, want, idx, n, i;
	u8 *out = cmd->payload_out;

	if (cmd->size_in < 8 || cmd->size_out < 16)
		return mock_refuse(cmd, "short payload", 0, 0);
	want = le32_to_cpu(in[0]);
	idx = le32_to_cpu(in[1]);
	n = min_t(u32, want, (cmd->size_out - 16) / 0x28);
	n = idx < nr_held ? min_t(u32, n, nr_held - idx) : 0;
	memset(out, 0, 16 + n * 0x28);
	put_unaligned_le32(n, out);
	put_unaligned_le32(nr_held, out + 4);
	put_unaligned_le32(generation, out + 8);
	for (i = 0; i < n; i++) {
		u8 *e = out + 16 + i * 0x28;
		struct mock_extent *x = &held[idx + i];

		put_unaligned_le64(x->start, e);
		put_unaligned_le64(x->len, e + 8);
		memcpy(e + 16, &x->tag, 16);
		put_unaligned_le16(x->seq, e + 32);
	}
	cmd->size_out = 16 + n * 0x28;
	cmd->return_code = CXL_MBOX_CMD_RC_SUCCESS;
	return 0;
}

static int mock_answer(struct cxl_mbox_cmd *cmd)
{
	u8 *in = cmd->payload_in;
	struct dc_updated *u = (void *)(in + 8);
	u32 count, i;
	int j, k;

	if (cmd->size_in < 8)
		return mock_refuse(cmd, "short payload", 0, 0);
	count = get_unaligned_le32(in);
	if (cmd->size_in < 8 + count * sizeof(*u))
		return mock_refuse(cmd, "payload shorter than its count", 0, 0);
	/* Check everything first: a refused command changes nothing */
	for (i = 0; i < count; i++) {
		u64 s = le64_to_cpu(u[i].start), l = le64_to_cpu(u[i].len);
		bool found = false;

		if (cmd->opcode == CXL_MBOX_OP_ADD_DC_RESPONSE) {
			for (j = 0; j < nr_offered && !found; j++)
				found = offered[j].offer == offered[0].offer &&
					offered[j].start == s && offered[j].len == l;
			if (!found)
				return mock_refuse(cmd, "accepts an extent not offered", s, l);
		} else {
			for (j = 0; j < nr_held && !found; j++)
				found = l && s >= held[j].start &&
					s + l <= held[j].start + held[j].len;
			if (!found)
				return mock_refuse(cmd, "releases capacity not held", s, l);
		}
	}
	if (cmd->opcode == CXL_MBOX_OP_ADD_DC_RESPONSE && !nr_offered)
		return mock_refuse(cmd, "answers no offer", 0, 0);
	for (i = 0; i < count; i++) {
		u64 s = le64_to_cpu(u[i].start), l = le64_to_cpu(u[i].len);

		if (cmd->opcode == CXL_MBOX_OP_ADD_DC_RESPONSE) {
			for (j = 0; j < nr_offered; j++)
				if (offered[j].start == s && offered[j].len == l)
					break;
			if (nr_held < MOCK_MAX)
				held[nr_held++] = offered[j];
			drop_at(offered, &nr_offered, j);
			continue;
		}
		/* Release: the part [s, s + l) of the extent holding it */
		for (j = 0; j < nr_held; j++) {
			struct mock_extent *x = &held[j];

			if (s < x->start || s + l > x->start + x->len)
				continue;
			if (s + l < x->start + x->len && nr_held < MOCK_MAX) {
				k = nr_held++;
				held[k] = *x;
				held[k].start = s + l;
				held[k].len = x->start + x->len - (s + l);
			}
			if (s > x->start)
				x->len = s - x->start;
			else
				drop_at(held, &nr_held, j);
			break;
		}
	}
	/* The answer's last payload closes the oldest offer: what it did not accept is dropped */
	if (cmd->opcode == CXL_MBOX_OP_ADD_DC_RESPONSE && !(in[4] & 1) && nr_offered) {
		int first = offered[0].offer;

		for (j = nr_offered - 1; j >= 0; j--)
			if (offered[j].offer == first)
				drop_at(offered, &nr_offered, j);
	}
	generation++;
	cmd->size_out = 0;
	cmd->return_code = CXL_MBOX_CMD_RC_SUCCESS;
	return 0;
}

static int mock_get_events(struct cxl_mbox_cmd *cmd)
{
	struct cxl_get_event_payload *pl = cmd->payload_out;
	int n = min_t(int, nr_recs, (cmd->size_out - sizeof(*pl)) / sizeof(recs[0]));

	memset(pl, 0, sizeof(*pl));
	pl->record_count = cpu_to_le16(n);
	if (n < nr_recs)
		pl->flags |= CXL_GET_EVENT_FLAG_MORE_RECORDS;
	memcpy(pl->records, recs, n * sizeof(recs[0]));
	cmd->size_out = struct_size(pl, records, n);
	cmd->return_code = CXL_MBOX_CMD_RC_SUCCESS;
	return 0;
}

static int mock_clear_events(struct cxl_mbox_cmd *cmd)
{
	struct cxl_mbox_clear_event_payload *pl = cmd->payload_in;
	int i, j;

	for (i = 0; i < pl->nr_recs; i++)
		for (j = 0; j < nr_recs; j++)
			if (recs[j].event.generic.hdr.handle == pl->handles[i]) {
				memmove(&recs[j], &recs[j + 1],
					(nr_recs - j - 1) * sizeof(recs[0]));
				nr_recs--;
				break;
			}
	cmd->size_out = 0;
	cmd->return_code = CXL_MBOX_CMD_RC_SUCCESS;
	return 0;
}

static bool is_dc_cmd(u16 op)
{
	return op == CXL_MBOX_OP_GET_DC_EXTENT_LIST || op == CXL_MBOX_OP_ADD_DC_RESPONSE ||
	       op == CXL_MBOX_OP_RELEASE_DC;
}

static bool is_dc_log(struct cxl_mbox_cmd *cmd)
{
	u8 *in = cmd->payload_in;

	return (cmd->opcode == CXL_MBOX_OP_GET_EVENT_RECORD ||
		cmd->opcode == CXL_MBOX_OP_CLEAR_EVENT_RECORD) &&
	       cmd->size_in >= 1 && in[0] == CXL_EVENT_TYPE_DCD;
}

static int mock_send(struct cxl_mailbox *mbox, struct cxl_mbox_cmd *cmd)
{
	int (*send)(struct cxl_mailbox *mbox, struct cxl_mbox_cmd *cmd);
	unsigned int wait;
	int rc;

	mutex_lock(&mbox->mbox_mutex);
	mutex_lock(&mock_lock);
	send = orig_send;
	wait = is_dc_cmd(cmd->opcode) ? delay_ms : 0;
	mutex_unlock(&mock_lock);
	if (wait)
		msleep(wait);
	mutex_lock(&mock_lock);
	if (mocking && is_dc_cmd(cmd->opcode)) {
		rc = cmd->opcode == CXL_MBOX_OP_GET_DC_EXTENT_LIST ? mock_extent_list(cmd) :
								    mock_answer(cmd);
		goto done;
	}
	if (mocking && is_dc_log(cmd)) {
		rc = cmd->opcode == CXL_MBOX_OP_GET_EVENT_RECORD ? mock_get_events(cmd) :
								   mock_clear_events(cmd);
		goto done;
	}
	mutex_unlock(&mock_lock);
	mutex_unlock(&mbox->mbox_mutex);
	return send(mbox, cmd);
done:
	mutex_unlock(&mock_lock);
	mutex_unlock(&mbox->mbox_mutex);
	return rc;
}

/* Called with mock_lock held: the model starts empty */
static void forget(void)
{
	nr_offered = 0;
	nr_held = 0;
	nr_recs = 0;
	offer_open = 0;
	holding = false;
}

/* Called with mock_lock held */
static void unwrap(void)
{
	struct cxl_mailbox *mbox;

	if (!wrapped)
		return;
	mbox = &wrapped->cxlds.cxl_mbox;
	mutex_unlock(&mock_lock);
	mutex_lock(&mbox->mbox_mutex);
	mutex_lock(&mock_lock);
	WRITE_ONCE(mbox->mbox_send, orig_send);
	mutex_unlock(&mbox->mbox_mutex);
	put_device(&wrapped_md->dev);
	wrapped = NULL;
	wrapped_md = NULL;
	mocking = false;
	delay_ms = 0;
	forget();
}

static int wrap(const char *name)
{
	struct cxl_mailbox *mbox;
	struct cxl_memdev *cxlmd;
	struct device *dev;

	if (wrapped)
		return -EBUSY;
	dev = bus_find_device_by_name(&cxl_bus_type, NULL, name);
	if (!dev)
		return -ENODEV;
	if (!is_cxl_memdev(dev) || !to_cxl_memdev(dev)->cxlds) {
		put_device(dev);
		return -EINVAL;
	}
	cxlmd = to_cxl_memdev(dev);
	wrapped_md = cxlmd;
	wrapped = to_cxl_memdev_state(cxlmd->cxlds);
	mbox = &wrapped->cxlds.cxl_mbox;
	mutex_unlock(&mock_lock);
	mutex_lock(&mbox->mbox_mutex);
	mutex_lock(&mock_lock);
	orig_send = mbox->mbox_send;
	WRITE_ONCE(mbox->mbox_send, mock_send);
	mutex_unlock(&mbox->mbox_mutex);
	errors = 0;
	last_error[0] = '\0';
	generation = 1;
	return 0;
}

/* An event record into the fixture's log; read by the caller once the lock is dropped */
static int queue_record(const char *args)
{
	char kind[16], tagstr[UUID_STRING_LEN + 1];
	unsigned long long start, len;
	unsigned int seq, more;
	struct cxl_event_record_raw *r;
	struct dc_record *d;
	uuid_t tag = uuid_null;
	u8 type;
	int rc;

	if (sscanf(args, "%15s %lli %lli %36s %u %u", kind, &start, &len, tagstr, &seq,
		   &more) != 6 || seq > U16_MAX || more > 1)
		return -EINVAL;
	if (!strcmp(kind, "add"))
		type = 0;
	else if (!strcmp(kind, "release"))
		type = 1;
	else if (!strcmp(kind, "forced"))
		type = 2;
	else if (!strcmp(kind, "config"))
		type = 3;
	else
		return -EINVAL;
	if (strcmp(tagstr, "0")) {
		rc = uuid_parse(tagstr, &tag);
		if (rc)
			return rc;
	}
	if (!wrapped || !mocking)
		return -ENXIO;
	if (nr_recs == MOCK_RECS)
		return -ENOSPC;
	if (type == 0) {
		if (nr_offered == MOCK_MAX)
			return -ENOSPC;
		if (!offer_open)
			offer_open = ++offer_id;
		offered[nr_offered++] = (struct mock_extent) {
			.start = start, .len = len, .tag = tag, .seq = seq, .offer = offer_open,
		};
		if (!more)
			offer_open = 0;
	} else if (type == 2) {
		int j;

		for (j = nr_held - 1; j >= 0; j--)
			if (held[j].start < start + len && start < held[j].start + held[j].len)
				drop_at(held, &nr_held, j);
		generation++;
	}
	r = &recs[nr_recs++];
	memset(r, 0, sizeof(*r));
	uuid_copy(&r->id, &dc_uuid);
	r->event.generic.hdr.length = sizeof(*r);
	r->event.generic.hdr.handle = cpu_to_le16(next_handle++);
	d = (struct dc_record *)r->event.generic.data;
	d->type = type;
	d->flags = more;
	d->start = cpu_to_le64(start);
	d->len = cpu_to_le64(len);
	memcpy(d->tag, &tag, 16);
	d->seq = cpu_to_le16(seq);
	return 0;
}

static ssize_t ctl_write(struct file *f, const char __user *ubuf, size_t len, loff_t *pos)
{
	struct cxl_memdev_state *mds = NULL;
	char buf[160], *cmd;
	unsigned int v;
	int rc = 0;
	int err;

	err = fixture_cmd(buf, sizeof(buf), ubuf, len, &cmd);
	if (err)
		return err;

	mutex_lock(&mock_lock);
	if (!strncmp(cmd, "wrap ", 5)) {
		rc = wrap(cmd + 5);
	} else if (!strcmp(cmd, "unwrap")) {
		rc = wrapped ? 0 : -ENOENT;
		unwrap();
	} else if (sscanf(cmd, "delay %u", &v) == 1) {
		rc = wrapped ? 0 : -ENXIO;
		if (!rc)
			delay_ms = v;
	} else if (sscanf(cmd, "mock %u", &v) == 1 && v <= 1) {
		rc = wrapped ? 0 : -ENXIO;
		if (!rc && mocking != v) {
			mocking = v;
			forget();
		}
	} else if (sscanf(cmd, "hold %u", &v) == 1 && v <= 1) {
		rc = wrapped && mocking ? 0 : -ENXIO;
		if (!rc) {
			holding = v;
			if (!holding && nr_recs) {
				mds = wrapped;
				get_device(&wrapped_md->dev);
			}
		}
	} else {
		rc = queue_record(cmd);
		if (!rc && !holding) {
			mds = wrapped;
			get_device(&wrapped_md->dev);
		}
	}
	mutex_unlock(&mock_lock);
	if (mds) {
		struct cxl_memdev *cxlmd = mds->cxlds.cxlmd;

		/* As the event interrupt's thread does: the core traces, hands over, clears */
		cxl_mem_get_event_records(mds, CXLDEV_EVENT_STATUS_DCD);
		put_device(&cxlmd->dev);
	}
	return rc ?: len;
}

static int state_show(struct seq_file *s, void *unused)
{
	int i;

	guard(mutex)(&mock_lock);
	seq_printf(s, "memdev %s\nmock %d\ndelay %u\nerrors %u\nlast_error %s\n",
		   wrapped_md ? dev_name(&wrapped_md->dev) : "-", mocking, delay_ms, errors,
		   last_error);
	seq_puts(s, "offered");
	for (i = 0; i < nr_offered; i++)
		seq_printf(s, " %#llx:%#llx", offered[i].start, offered[i].len);
	seq_puts(s, "\nheld");
	for (i = 0; i < nr_held; i++)
		seq_printf(s, " %#llx:%#llx", held[i].start, held[i].len);
	seq_puts(s, "\n");
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(state);

static const struct file_operations ctl_fops = {
	.owner = THIS_MODULE,
	.write = ctl_write,
};

/* The wrapped memdev is going: its mailbox with it */
static int bus_event(struct notifier_block *nb, unsigned long action, void *data)
{
	struct device *dev = data;

	if (action != BUS_NOTIFY_DEL_DEVICE)
		return NOTIFY_DONE;
	mutex_lock(&mock_lock);
	if (wrapped_md && dev == &wrapped_md->dev)
		unwrap();
	mutex_unlock(&mock_lock);
	return NOTIFY_DONE;
}

static struct notifier_block nb = { .notifier_call = bus_event };

static int __init cxl_dcmock_init(void)
{
	int rc = bus_register_notifier(&cxl_bus_type, &nb);

	if (rc)
		return rc;
	dir = debugfs_create_dir("cxl_dcmock", NULL);
	debugfs_create_file("ctl", 0200, dir, NULL, &ctl_fops);
	debugfs_create_file("state", 0444, dir, NULL, &state_fops);
	return 0;
}

static void __exit cxl_dcmock_exit(void)
{
	debugfs_remove_recursive(dir);
	bus_unregister_notifier(&cxl_bus_type, &nb);
	mutex_lock(&mock_lock);
	unwrap();
	mutex_unlock(&mock_lock);
}

module_init(cxl_dcmock_init);
module_exit(cxl_dcmock_exit);
MODULE_DESCRIPTION("Test fixture: a Dynamic Capacity device model in front of a memdev's mailbox");
MODULE_LICENSE("GPL");
MODULE_IMPORT_NS("CXL");
