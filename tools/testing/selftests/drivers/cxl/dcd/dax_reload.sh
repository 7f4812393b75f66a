#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# dax_cxl unload and reload under a live, committed RAM region: the dax side goes away and comes
# back, the region stays committed. (Project kernel: our module.) The memory is taken offline
# first: kmem's remove does not offline memory, so an unload with it online leaves it "stuck online
# until reboot", on the C original as well.
. "$(dirname "$0")/lib.sh"
ksft_main "$@"
need_static
need_reload dax_cxl

if ram_region_up $(static_memdev); then
	R=$CXL/$REGION
	DR=$R/dax_region${REGION#region}
	rd res $DAX/$DAXDEV/resource
	dax_offline $DAXDEV
	check "rmmod dax_cxl" rmmod dax_cxl
	check "$DAXDEV is gone" test ! -e $DAX/$DAXDEV
	check "the cxl_dax_region driver is gone" test ! -e /sys/bus/cxl/drivers/cxl_dax_region
	check "${DR##*/} is unbound" test ! -e $DR/driver
	expect_file "$REGION stays committed" 1 $R/commit
	check "insmod dax_cxl" insmod $MODDIR/dax_cxl.ko
	if wait_for $DAX/$DAXDEV/driver; then ok "$DAXDEV is back and bound"; else not_ok "$DAXDEV is back and bound"; fi
	wait_online $DAXDEV
	expect_file "$DAXDEV size after reload" 268435456 $DAX/$DAXDEV/size
	expect_file "$DAXDEV resource after reload" "$res" $DAX/$DAXDEV/resource
	expect_eq "$DAXDEV onlined again" kmem "$(basename "$(readlink -f $DAX/$DAXDEV/driver)")"
	ram_region_down
fi
