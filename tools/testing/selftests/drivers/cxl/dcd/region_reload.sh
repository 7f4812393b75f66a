#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The Rust cxl_region as a module: unloading with live regions removes them (and their HPA) and
# the decoder attributes; a reload brings the attributes back on every decoder.
. "$(dirname "$0")/lib.sh"
ksft_main "$@"
need_static
need_reload cxl_region

RD=$(root_decoder)
C=$CXL/$RD/create_ram_region
iomem0=$(iomem_cxl)

check "cxl_region is loaded" grep -q '^cxl_region ' /proc/modules
rd name $C
sysfs_write "$name" $C
sysfs_write 1 $CXL/$name/interleave_ways
sysfs_write 4096 $CXL/$name/interleave_granularity
sysfs_write 0x10000000 $CXL/$name/size
check "$name holds HPA" sh -c "grep -q ' : $name\$' /proc/iomem"

r=$(rmmod cxl_region 2>&1) && ok "rmmod cxl_region with $name live" || not_ok "rmmod cxl_region: $r"
check "$name is gone" test ! -e $CXL/$name
check "create_ram_region is gone" test ! -e $C
check "delete_region is gone" test ! -e $CXL/$RD/delete_region
ep=$(endpoint_of $(static_memdev))
check "endpoint decoder region attribute is gone" test ! -e $CXL/$ep/decoder${ep#endpoint}.0/region
expect_eq "the window is as before" "$iomem0" "$(iomem_cxl)"

wait_gone /sys/bus/cxl/drivers/cxl_region
r=$(insmod $MODDIR/cxl_region.ko 2>&1) && ok "insmod cxl_region" || not_ok "insmod cxl_region: $r"
check "create_ram_region is back" test -e $C
check "endpoint decoder region attribute is back" test -e $CXL/$ep/decoder${ep#endpoint}.0/region
expect_file "the released id is offered again" "$name" $C
sysfs_write "$name" $C
sysfs_write "$name" $CXL/$RD/delete_region
check "$name is gone again" test ! -e $CXL/$name

# A committed region, bound, with its dax device (memory offline): unloading cxl_region tears it
# all down (dax region, decoders reset, targets detached, HPA returned), as delete_region would.
if ram_region_up $(static_memdev); then
	dax_offline $DAXDEV
	expect_file "$EPDEC is committed" 1 $CXL/$EP/decoders_committed
	reload_cxl_region
	sysfs_write 0 $CXL/$EPDEC/dpa_size
	ram_region_up $(static_memdev) && ok "a region works after the reload"
	ram_region_down
fi
