#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Bad input: each write fails with the errno of the C original, changes nothing and logs no warning.
. "$(dirname "$0")/lib.sh"
ksft_main "$@"
need_static

RD=$(root_decoder)
MEMDEV=$(static_memdev)
EP=$(endpoint_of $MEMDEV)
EPDEC=$(first_free_decoder $EP)
C=$CXL/$RD/create_ram_region

rd name $C
expect_errno EINVAL bogus $C
expect_errno EBUSY region999 $C
expect_file "create_ram_region still offers $name" "$name" $C
sysfs_write "$name" $C
R=$CXL/$name
expect_errno EBUSY "$name" $C
expect_errno ENODEV region999 $CXL/$RD/delete_region $CXL/$RD/create_ram_region

# A fresh region: nothing to commit, ways must be a valid count.
expect_errno ENXIO 1 $R/commit $R/interleave_ways
expect_errno EINVAL 3 $R/interleave_ways
expect_errno EINVAL 0 $R/interleave_ways
sysfs_write 1 $R/interleave_ways
expect_errno EINVAL 100 $R/interleave_granularity
expect_errno EINVAL 32768 $R/interleave_granularity
sysfs_write 256 $R/interleave_granularity
expect_errno EINVAL 0x1000000 $R/size $R/resource
expect_errno ERANGE 0x200000000 $R/size $R/resource

# Endpoint decoder: no pmem partition, no such mode, DPA size unaligned or beyond the partition.
expect_errno EINVAL pmem $CXL/$EPDEC/mode
expect_errno EINVAL foo $CXL/$EPDEC/mode
sysfs_write ram $CXL/$EPDEC/mode
expect_errno EINVAL 0x1000 $CXL/$EPDEC/dpa_size
expect_errno ENOSPC 0x20000000 $CXL/$EPDEC/dpa_size
sysfs_write 0x10000000 $CXL/$EPDEC/dpa_size

# Wrong state: commit without size, ways after size, commit without targets, bad targets.
expect_errno ENXIO 1 $R/commit
sysfs_write 0x10000000 $R/size
expect_errno EBUSY 2 $R/interleave_ways
expect_errno ENXIO 1 $R/commit $R/target0
expect_errno ENODEV decoder9.9 $R/target0
expect_errno EINVAL "$RD" $R/target0
sysfs_write "$EPDEC" $R/target0
expect_errno EBUSY "$EPDEC" $R/target0 $CXL/$EPDEC/region
sysfs_write 1 $R/commit
expect_errno EBUSY 0x20000000 $R/size $R/resource
expect_errno EBUSY 512 $R/interleave_granularity
expect_errno EBUSY 0 $CXL/$EPDEC/dpa_size
expect_errno ENODEV "$name" /sys/bus/cxl/drivers/cxl_region/unbind $R/commit

# Clean up: decommit, detach, delete.
sysfs_write 0 $R/commit
r=$( (echo >$R/target0) 2>&1) && ok "detach target0" || not_ok "detach target0: $r"
sysfs_write "$name" $CXL/$RD/delete_region
check "$name is gone" test ! -e $R
sysfs_write 0 $CXL/$EPDEC/dpa_size

# Quirks of sscanf("region%d\n") that a port must keep: trailing bytes after the number are
# ignored by create_ram_region, while delete_region compares the whole name (sysfs_streq).
rd name $C
expect_eq "create_ram_region accepts '${name}junk'" OK "$(write_errno "${name}junk" $C)"
obs create_trailing_junk "$(test -d $CXL/$name && echo created || echo absent)"
expect_errno ENODEV "${name}junk" $CXL/$RD/delete_region $CXL/$RD/create_ram_region $CXL/$name/commit
sysfs_write "$name" $CXL/$RD/delete_region
check "$name is gone" test ! -e $CXL/$name
