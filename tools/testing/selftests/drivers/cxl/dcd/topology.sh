#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The CXL topology as the kernel enumerates it: root, host bridge, the memdevs the tests need (a
# DCD memdev and a static one, found by what they are), their endpoints and decoders, and which
# dax_cxl and cxl_region drivers are loaded.
. "$(dirname "$0")/lib.sh"
ksft_main "$@"
need_static

check "root0 exists" test -d $CXL/root0
rd=$(root_decoder) && ok "a root decoder can create RAM regions ($rd)" || not_ok "no root decoder with create_ram_region"
expect_file "$rd cap_ram" 1 $CXL/$rd/cap_ram
obs_file root_decoder.cap_ram $CXL/$rd/cap_ram
obs_file root_decoder.cap_pmem $CXL/$rd/cap_pmem
obs_file root_decoder.interleave_ways $CXL/$rd/interleave_ways
obs_file root_decoder.interleave_granularity $CXL/$rd/interleave_granularity
obs_file root_decoder.size $CXL/$rd/size
obs_file root_decoder.target_list $CXL/$rd/target_list

vmem=$(static_memdev) && ok "a static memdev with 256 MiB of RAM or more ($vmem)" || not_ok "no static memdev"
# In scripts/cxl-vm's guests, the sizes it gave the devices.
[ ! -e /etc/cxlvm/memdevs ] || expect_eq "static memdev ram/size" 0x10000000 "$(cat $CXL/$vmem/ram/size 2>/dev/null)"
# The DCD memdev: on a kernel with DC support, the one with a DC partition; on stock 7.3.4, which
# knows no DC partition, the first memdev (in serial order) without static RAM.
if [ "$KERNEL" != reference ]; then
	dcd=$(dcd_memdev) && ok "a DCD memdev with a DC partition of 512 MiB or more ($dcd)" || not_ok "no DCD memdev"
else
	dcd=$(memdevs_where ram 0 | grep -vxF "$(memdevs_where ram 0x10000000)" | head -1)
	check "a memdev without static RAM ($dcd)" test -n "$dcd"
fi
obs_file static.ram_size $CXL/$vmem/ram/size
# The one intended difference: stock 7.3.4 knows no DC partition and reports the length of an empty
# resource (0x1) as the DC-only device's RAM size; with patches/0004 partition 0 is dynamic_ram_1
# and the RAM size is 0.
if [ "$KERNEL" = project ]; then
	expect_file "DCD memdev ram/size (no static RAM)" 0x0 $CXL/$dcd/ram/size
	[ ! -e /etc/cxlvm/memdevs ] || expect_eq "DCD memdev dynamic_ram_1/size" 0x20000000 "$(cat $CXL/$dcd/dynamic_ram_1/size)"
else
	expect_file "DCD memdev ram/size (stock quirk)" 0x1 $CXL/$dcd/ram/size
	check "no dynamic_ram_1 directory on the stock kernel" test ! -e $CXL/$dcd/dynamic_ram_1
fi
obs_file static.payload_max $CXL/$vmem/payload_max

for m in $dcd $vmem; do
	ep=$(endpoint_of $m) && ok "$m has an endpoint port ($ep)" || not_ok "$m has no endpoint port"
	n=$(ls -d $CXL/$ep/decoder*.* 2>/dev/null | wc -l)
	expect_eq "$ep has 4 decoders" 4 "$n"
done
hb=$(basename "$(readlink -f $CXL/$ep/..)")
check "the endpoints sit below host bridge port $hb" test -d "$CXL/$hb"
expect_eq "$hb has 4 decoders" 4 "$(ls -d $CXL/$hb/decoder*.* 2>/dev/null | wc -l)"

drv=/sys/bus/cxl/drivers/cxl_dax_region
check "the cxl_dax_region driver is registered" test -d $drv
expect_eq "cxl_dax_region is provided by dax_cxl" dax_cxl "$(basename "$(readlink -f $drv/module)")"
check "cxl_dax_region has no bind attribute (suppress_bind_attrs)" test ! -e $drv/bind
if [ ! -r $MODDIR/dax_cxl.ko ]; then
	skip "which dax_cxl is loaded" "no dax_cxl.ko in $MODDIR (CXL_DCD_MODDIR)"
elif [ "$KERNEL" != reference ]; then
	check "the loaded dax_cxl is the Rust module of this tree" grep -q '_RNv' $MODDIR/dax_cxl.ko
else
	check "the loaded dax_cxl is the C module" sh -c "! grep -q '_RNv' $MODDIR/dax_cxl.ko"
fi
rdrv=/sys/bus/cxl/drivers/cxl_region
if [ "$KERNEL" = project ]; then
	check "the cxl_region driver is the Rust module of this tree" sh -c \
		"[ \"\$(basename \"\$(readlink -f $rdrv/module)\")\" = cxl_region ] && grep -q '_RNv' $MODDIR/cxl_region.ko"
else
	check "the cxl_region driver is the C one in cxl_core" sh -c \
		"[ \"\$(basename \"\$(readlink -f $rdrv/module)\")\" = cxl_core ]"
fi
