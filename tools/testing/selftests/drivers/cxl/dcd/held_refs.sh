#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# What user space cannot do, done by the test fixture cxl_hold (tests/modules): another kernel
# user holds a reference or cxl_rwsem.region.
#
# 1. Unload with a device still referenced: a region (and then a cxl_dax_region device) is
#    deleted while cxl_hold holds a reference to it; `rmmod cxl_region` must wait until that
#    reference is dropped, because the device's release callback is cxl_region's code. Before the
#    fix rmmod returned at once and the late release ran from freed module text.
# 2. Delete against a contended cxl_rwsem.region, killed: the detach of the targets cannot be
#    interrupted (the C original's killable lock gave up on SIGKILL and left the endpoint decoder
#    committed, pointing at a freed region). Project kernels only: the reference C behaves as
#    before the fix.
. "$(dirname "$0")/lib.sh"
ksft_main "$@"
need_static
need_hold
need_reload cxl_region
NO_OBS=1
CTL=/sys/kernel/debug/cxl_hold/ctl

state_of() { sed -n 's/^State:[[:space:]]*\([A-Z]\).*/\1/p' /proc/$1/status 2>/dev/null; }

r=$(insmod $MODDIR/cxl_hold.ko 2>&1) && ok "insmod cxl_hold" || not_ok "insmod cxl_hold: $r"

# 1. A held region, then a held cxl_dax_region device, across rmmod cxl_region.
for what in region dax_region; do
	dc_region_up || break
	dev=$REGION
	[ $what = region ] || dev=dax_region${REGION#region}
	sysfs_write "get $dev" $CTL
	sysfs_write "$REGION" $CXL/$RD/delete_region
	check "$dev is gone from sysfs" test ! -e $CXL/$dev
	sysfs_write 0 $CXL/$EPDEC/dpa_size
	rm -f /tmp/rmmod.rc
	(
		rmmod cxl_region
		echo $? >/tmp/rmmod.rc
	) &
	pid=$!
	sleep 2
	check "rmmod cxl_region waits while $dev is referenced" test ! -e /tmp/rmmod.rc
	expect_eq "cxl_region is going" Unloading "$(awk '$1 == "cxl_region" { print $5 }' /proc/modules)"
	sysfs_write put $CTL
	wait $pid
	expect_file "rmmod cxl_region returns once $dev is released" 0 /tmp/rmmod.rc
	wait_gone /sys/bus/cxl/drivers/cxl_region
	r=$(insmod $MODDIR/cxl_region.ko 2>&1) && ok "insmod cxl_region" || not_ok "insmod cxl_region: $r"
done

# 2. delete_region against a reader of cxl_rwsem.region, killed while it waits.
if [ "$KERNEL" != reference ] && dc_region_up; then
	sysfs_write rlock $CTL
	(echo "$REGION" >$CXL/$RD/delete_region) 2>/dev/null &
	pid=$!
	sleep 1
	expect_eq "delete_region waits for cxl_rwsem.region" D "$(state_of $pid)"
	kill -9 $pid
	sleep 1
	expect_eq "after SIGKILL the detach still waits" D "$(state_of $pid)"
	sysfs_write runlock $CTL
	wait $pid
	check "$REGION is gone" test ! -e $CXL/$REGION
	expect_file "$EPDEC belongs to no region" "" $CXL/$EPDEC/region
	expect_file "no decoder committed on $EP" 0 $CXL/$EP/decoders_committed
	sysfs_write 0 $CXL/$EPDEC/dpa_size
	if dc_region_up; then
		ok "a DC region works after the killed delete"
		sysfs_write "$REGION" $CXL/$RD/delete_region
		sysfs_write 0 $CXL/$EPDEC/dpa_size
	fi
fi

r=$(rmmod cxl_hold 2>&1) && ok "rmmod cxl_hold" || not_ok "rmmod cxl_hold: $r"
