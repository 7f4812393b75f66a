#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Region devices without targets: the naming protocol of create_ram_region, the attributes of a new
# region, interleave settings, HPA allocation from the window and its return, delete_region, and
# the decoder 'region' attribute. Runs on every kernel; the values are compared between them.
. "$(dirname "$0")/lib.sh"
ksft_main "$@"
need_static

RD=$(root_decoder)
C=$CXL/$RD/create_ram_region
MEMDEV=$(static_memdev)
EP=$(endpoint_of $MEMDEV)
EPDEC=$(first_free_decoder $EP)
iomem0=$(iomem_cxl)

check "$RD has delete_region" test -e $CXL/$RD/delete_region
obs_file root.delete_region.mode "$(ls -l $CXL/$RD/delete_region 2>/dev/null | cut -c1-10)"
check "$EPDEC has a region attribute" test -e $CXL/$EPDEC/region
obs_file endpoint_decoder.region $CXL/$EPDEC/region
hb=$(basename "$(readlink -f $CXL/$EP/..)")
obs_file switch_decoder.region $CXL/$hb/decoder${hb#port}.0/region

# The naming protocol: only the offered name creates, once.
rd name $C
obs offered_first "${name%%[0-9]*}"
expect_errno EINVAL bogus $C
expect_errno EBUSY region999 $C
expect_file "create_ram_region still offers $name" "$name" $C
sysfs_write "$name" $C
R=$CXL/$name
check "$name exists" test -d $R
expect_errno EBUSY "$name" $C
check "create_ram_region offers another name" test "$(cat $C)" != "$name"

# A new region, attribute by attribute.
for a in mode uuid commit interleave_ways interleave_granularity resource size locked; do
	obs_file new.$a $R/$a
done
obs new.files "$(ls $R | grep -v -e '^power$' -e '^subsystem$' -e '^uevent$' | tr '\n' ' ')"
obs new.uuid_mode "$(ls -l $R/uuid | cut -c1-10)"
expect_file "$name mode" ram $R/mode
expect_file "$name resource without HPA" 0xffffffffffffffff $R/resource
check "no targetN before interleave_ways" test ! -e $R/target0

# Interleave: value checks, then the targetN files follow the ways.
expect_errno EINVAL 0 $R/interleave_ways
expect_errno EINVAL 3 $R/interleave_ways
expect_errno EINVAL 5 $R/interleave_ways
expect_errno EINVAL -1 $R/interleave_ways
expect_errno EINVAL abc $R/interleave_ways
sysfs_write 2 $R/interleave_ways
check "target0 and target1 with 2 ways" test -e $R/target1
check "no target2 with 2 ways" test ! -e $R/target2
sysfs_write 1 $R/interleave_ways
check "target0 with 1 way" test -e $R/target0
check "no target1 with 1 way" test ! -e $R/target1
obs_file ways1.target0 $R/target0
expect_errno EINVAL 100 $R/interleave_granularity
expect_errno EINVAL 128 $R/interleave_granularity
expect_errno EINVAL 32768 $R/interleave_granularity
sysfs_write 4096 $R/interleave_granularity
obs_file gran $R/interleave_granularity

# Size: 256 MiB x ways, from the window, listed in /proc/iomem, returned on size 0.
expect_errno EINVAL 0x1000000 $R/size $R/resource
expect_errno ERANGE 0x200000000 $R/size $R/resource
expect_errno EINVAL abc $R/size $R/resource
sysfs_write 0x20000000 $R/size
obs_file sized.size $R/size
check "$name resource is in the window" test "$(cat $R/resource)" != 0xffffffffffffffff
check "$name is listed in /proc/iomem" sh -c "grep -q ' : $name\$' /proc/iomem"
obs iomem.sized "$(iomem_cxl | sed 's/^ *[0-9a-f]*-[0-9a-f]* : //' | tr '\n' ',')"
sysfs_write 0x20000000 $R/size
expect_errno EBUSY 0x10000000 $R/size $R/resource
expect_errno EBUSY 2 $R/interleave_ways
expect_errno EBUSY 512 $R/interleave_granularity
expect_errno ENXIO 1 $R/commit $R/size
sysfs_write 0 $R/commit
sysfs_write 0 $R/size
expect_file "$name resource after size 0" 0xffffffffffffffff $R/resource
check "$name left /proc/iomem" sh -c "! grep -q ' : $name\$' /proc/iomem"
sysfs_write 1 $R/interleave_ways
sysfs_write 0x10000000 $R/size

# delete_region: exact name, then the region, its HPA and its id are returned.
expect_errno ENODEV region999 $CXL/$RD/delete_region $CXL/$RD/create_ram_region
expect_errno ENODEV "${name}x" $CXL/$RD/delete_region $CXL/$RD/create_ram_region $CXL/$name/commit
expect_errno EINVAL bogus $CXL/$RD/delete_region $CXL/$RD/create_ram_region $CXL/$name/commit
sysfs_write "$name" $CXL/$RD/delete_region
check "$name is gone" test ! -e $R
expect_eq "the window is as before" "$iomem0" "$(iomem_cxl)"
expect_file "create_ram_region offers $name again" "$name" $C

# Two regions at once, ids in order, deleted out of order.
n1=$(cat $C); sysfs_write "$n1" $C
n2=$(cat $C); sysfs_write "$n2" $C
check "$n1 and $n2 both exist" test -d $CXL/$n1 -a -d $CXL/$n2
sysfs_write "$n1" $CXL/$RD/delete_region
expect_file "the lower id is offered again" "$n1" $C
sysfs_write "$n2" $CXL/$RD/delete_region
check "both are gone" test ! -e $CXL/$n1 -a ! -e $CXL/$n2
