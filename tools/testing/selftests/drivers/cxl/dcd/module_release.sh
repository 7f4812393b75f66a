#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Module unload against late releases, on the debug kernel (CONFIG_DEBUG_KOBJECT_RELEASE: every
# kobject is released 1 to 4 s after its last reference goes). cxl_region owns the device types of
# regions and cxl_dax_region devices and their release callbacks; unloading it must wait until the
# last such device has been released, or the delayed releases run from freed module text (an Oops
# or a KASAN report, which the log scan turns into a failure). The pauses after each unload give
# the delayed releases time to happen while the VM still runs.
#
# A guard, not a proof: the modules before the fix pass it too, because free_module() also waits
# for the module's own kobject, whose late release is scheduled after the regions' (see the issue
# note). The fix makes the order guaranteed instead of a matter of those delays.
. "$(dirname "$0")/lib.sh"
ksft_main "$@"
need_static
need_dcd
need_reload cxl_region dax_cxl
NO_OBS=1

uptime_cs() { cut -d' ' -f1 /proc/uptime | tr -d .; }

iomem0=$(iomem_cxl)
if ram_region_up $(static_memdev); then
	RAMREGION=$REGION RAMEP=$EP
	dax_offline $DAXDEV
fi
if dc_region_up; then
	DCREGION=$REGION
fi

t0=$(uptime_cs)
r=$(rmmod cxl_region 2>&1) && ok "rmmod cxl_region with $RAMREGION and $DCREGION live" ||
	not_ok "rmmod cxl_region: $r"
t1=$(uptime_cs)
diag "rmmod cxl_region took $(((t1 - t0) * 10)) ms (it waits for the delayed releases)"
check "$RAMREGION is gone" test ! -e $CXL/$RAMREGION
check "$DCREGION is gone" test ! -e $CXL/$DCREGION
expect_file "no decoder committed on $RAMEP" 0 $CXL/$RAMEP/decoders_committed
expect_eq "the window is as before" "$iomem0" "$(iomem_cxl)"
sleep 5
if wait_gone /sys/bus/cxl/drivers/cxl_region; then ok "the cxl_region driver is gone"; else not_ok "the cxl_region driver is gone"; fi

r=$(rmmod dax_cxl 2>&1) && ok "rmmod dax_cxl" || not_ok "rmmod dax_cxl: $r"
sleep 5
if wait_gone /sys/bus/cxl/drivers/cxl_dax_region; then ok "the cxl_dax_region driver is gone"; else not_ok "the cxl_dax_region driver is gone"; fi

r=$(insmod $MODDIR/cxl_region.ko 2>&1) && ok "insmod cxl_region" || not_ok "insmod cxl_region: $r"
r=$(insmod $MODDIR/dax_cxl.ko 2>&1) && ok "insmod dax_cxl" || not_ok "insmod dax_cxl: $r"
if wait_for /sys/bus/cxl/drivers/cxl_dax_region; then ok "cxl_dax_region driver registered"; else not_ok "cxl_dax_region driver registered"; fi
for d in $CXL/$RAMEP/decoder*.* $CXL/$(endpoint_of $(dcd_memdev))/decoder*.*; do
	[ $(($(cat $d/dpa_size))) -eq 0 ] || sysfs_write 0 $d/dpa_size
done

if ram_region_up $(static_memdev); then
	ok "a RAM region works after the reload"
	ram_region_down
fi
sleep 5
