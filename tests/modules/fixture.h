/* SPDX-License-Identifier: GPL-2.0 */
/* What the test fixtures (tests/modules) share: reading a command written to a debugfs file. */
#ifndef __CXL_FIXTURE_H__
#define __CXL_FIXTURE_H__

#include <linux/string.h>
#include <linux/uaccess.h>

/*
 * The command in @ubuf (@len bytes), copied into @buf (@size bytes) and trimmed: *@cmd. 0, or
 * -EINVAL when it does not fit, -EFAULT when it cannot be read.
 */
static inline int fixture_cmd(char *buf, size_t size, const char __user *ubuf, size_t len,
			      char **cmd)
{
	if (len >= size)
		return -EINVAL;
	if (copy_from_user(buf, ubuf, len))
		return -EFAULT;
	buf[len] = '\0';
	*cmd = strim(buf);
	return 0;
}

#endif /* __CXL_FIXTURE_H__ */
