#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# A 2-way interleaved RAM region over the first two static devices, in serial order (0x2 and 0x3
# under one host bridge in scripts/cxl-vm's topology): decoder programming at every level, the
# dax device over the whole 512 MiB, teardown.
. "$(dirname "$0")/lib.sh"
ksft_main "$@"
need_static 2

# A 2-way region's size must be a multiple of 2 x 256 MiB.
RD=$(root_decoder)
rd name $CXL/$RD/create_ram_region
sysfs_write "$name" $CXL/$RD/create_ram_region
sysfs_write 2 $CXL/$name/interleave_ways
sysfs_write 256 $CXL/$name/interleave_granularity
expect_errno EINVAL 0x10000000 $CXL/$name/size $CXL/$name/resource
sysfs_write "$name" $CXL/$RD/delete_region

# With one host bridge any order is valid: the host bridge decoder's target list follows the
# region's. Serial order keeps it the same on every boot and kernel.
ram_region_up $(static_memdev 1) $(static_memdev 2) || exit 0
R=$CXL/$REGION
decs=$EPDECS
m0=$MEMDEV
expect_file "$DAXDEV size" 536870912 $DAX/$DAXDEV/size
expect_file "region interleave_ways" 2 $R/interleave_ways
for a in mode size resource interleave_ways interleave_granularity commit; do
	obs_file region.$a $R/$a
done
obs region.target0 "$(decoder_id $(cat $R/target0))"
obs region.target1 "$(decoder_id $(cat $R/target1))"
for a in start size interleave_ways interleave_granularity target_list; do
	obs_file root_decoder.$a $CXL/$RD/$a
done
hb=$(basename "$(readlink -f $CXL/$(endpoint_of $m0)/..)")
hbdec=
for d in $CXL/$hb/decoder*.*; do
	[ "$(cat $d/region 2>/dev/null)" = "$REGION" ] && hbdec=$d
done
check "a host bridge decoder is programmed for $REGION" test -n "$hbdec"
expect_file "host bridge decoder interleave_ways" 2 $hbdec/interleave_ways
expect_file "host bridge decoder interleave_granularity" 256 $hbdec/interleave_granularity
for a in start size interleave_ways interleave_granularity target_list; do
	obs_file hb_decoder.$a $hbdec/$a
done
n=0
for d in $decs; do
	expect_file "$d interleave_ways" 2 $CXL/$d/interleave_ways
	for a in start size interleave_ways interleave_granularity dpa_resource dpa_size mode; do
		obs_file ep$n.$a $CXL/$d/$a
	done
	n=$((n + 1))
done
obs iomem "$(iomem_cxl | tr '\n' ';')"
list=$(cxl list -R -u 2>&1)
obs cxl_list_R "$(echo "$list" | tr -d '\n ')"

ram_region_down
