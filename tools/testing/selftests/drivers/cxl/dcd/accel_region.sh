#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The region of an accelerator's memory (cxl_memdev_attach_region()): cxl_test's type2_test=1 mock
# (cxl_mock_accel, a CXL_DEVTYPE_DEVMEM device of 512 MiB whose endpoint decoder 0 firmware
# committed in the first window) adds its memdev with devm_cxl_probe_mem(). Its probe succeeds only
# if the memdev adopts the region the core assembled from that decoder: 1-way, committed, locked,
# bound, without a dax region (the accelerator's driver owns the memory), and the region goes when
# the accelerator does. QEMU has no type-2 device: cxl_test only (`make ndctl`'s boots,
# ksft:accel_region), both kernels. Where cxl_region is a module (project) an adopted region pins
# it: rmmod cxl_region is refused while the accelerator holds its region.
. "$(dirname "$0")/lib.sh"
ksft_main "$@"
NO_OBS=1
modinfo cxl_mock_accel >/dev/null 2>&1 || skip_all "no cxl_test (cxl_mock_accel)"
klog_mark
mark=$KLOG_MARK
cxltest_own
r=$(modprobe cxl_test type2_test=1 2>&1) && ok "modprobe cxl_test type2_test=1" ||
	not_ok "modprobe cxl_test type2_test=1: $r"
r=$(modprobe cxl_mock_accel 2>&1) && ok "modprobe cxl_mock_accel" || not_ok "modprobe cxl_mock_accel: $r"
ACC=/sys/bus/platform/devices/cxl_type2_accel.0
DRV=/sys/bus/platform/drivers/cxl_mock_accel

# accel_up LABEL: the accelerator probed (it probes asynchronously: up to 30 s under TCG), its
# memdev MD, endpoint EP, decoder 0 D and region R, checked whole.
accel_up() {
	local i=0 v
	until [ -e $ACC/driver ]; do
		i=$((i + 1))
		[ $i -le 300 ] || break
		sleep 0.1
	done
	udevadm settle 2>/dev/null || sleep 2
	check "$1: cxl_type2_accel.0 bound to cxl_mock_accel (its memdev attached its region)" \
		test "$ACC/driver" -ef $DRV
	MD=$(basename $ACC/mem* 2>/dev/null)
	EP=$(endpoint_of "$MD") || { not_ok "$1: the accelerator's memdev ($MD) has an endpoint"; return 1; }
	D=$(basename $CXL/$EP/decoder*.0)
	R=
	for r in $CXL/region*; do
		rd v $r/target0
		[ "$v" = "$D" ] && R=${r##*/}
	done
	[ -n "$R" ] || { not_ok "$1: a region over $D of $MD"; return 1; }
	ok "$1: $R over $D of $MD"
	expect_file "$1: $D belongs to $R" "$R" $CXL/$D/region
	expect_file "$1: $R interleave_ways" 1 $CXL/$R/interleave_ways
	expect_file "$1: $R committed" 1 $CXL/$R/commit
	expect_file "$1: $R locked (its memdev's driver owns it)" 1 $CXL/$R/locked
	rd v $CXL/$R/size
	expect_eq "$1: $R size 512 MiB" $((0x20000000)) $((v))
	check "$1: $R bound to cxl_region" test "$(basename "$(readlink $CXL/$R/driver)")" = cxl_region
	check "$1: $R has no dax region (not memory expansion)" test ! -e $CXL/$R/dax_region${R#region}
}

accel_up "at load"
if [ -n "$R" ]; then
	# The region goes with the accelerator (the endpoint's devm action), and comes back with it.
	gone=$R
	w cxl_type2_accel.0 $DRV/unbind
	check "unbind: cxl_type2_accel.0 unbound" test ! -e $ACC/driver
	check "unbind: $gone goes with the accelerator" wait_gone $CXL/$gone 100
	check "unbind: the memdev goes" test ! -e $CXL/$MD
	w cxl_type2_accel.0 $DRV/bind
	accel_up "bound again"
fi
if [ -n "$R" ] && [ -e /sys/module/cxl_region/refcnt ]; then
	# A module: the adopted region holds it (the endpoint's action drops the region in the core).
	r=$(rmmod cxl_region 2>&1) && not_ok "rmmod cxl_region while $MD holds $R: not refused" ||
		ok "rmmod cxl_region while $MD holds $R: refused ($r)"
	check "$R is still there" test -e $CXL/$R/commit
	w cxl_type2_accel.0 $DRV/unbind
	check "unbind: $R goes" wait_gone $CXL/$R 100
	r=$(rmmod cxl_region 2>&1) && ok "rmmod cxl_region once the accelerator is gone" ||
		not_ok "rmmod cxl_region once the accelerator is gone: $r"
	if [ -r $MODDIR/cxl_region.ko ]; then r=$(insmod $MODDIR/cxl_region.ko 2>&1); else r=$(modprobe cxl_region 2>&1); fi
	[ -z "$r" ] && ok "load cxl_region again" || not_ok "load cxl_region again: $r"
	w cxl_type2_accel.0 $DRV/bind
	accel_up "after cxl_region's reload"
else
	skip "rmmod cxl_region while an accelerator holds its region" "cxl_region is not a module here"
fi
r=$(rmmod cxl_mock_accel 2>&1) && ok "rmmod cxl_mock_accel" || not_ok "rmmod cxl_mock_accel: $r"
n=0
for r in $CXL/region*; do [ ! -e "$r" ] || n=$((n + 1)); done
expect_eq "no region left once the accelerator's driver is gone" 0 $n
r=$(rmmod cxl_test 2>&1) && ok "rmmod cxl_test" || not_ok "rmmod cxl_test: $r"
if [ -n "$CXLTEST_PRELOADED" ]; then
	r=$(modprobe cxl_test 2>&1) && ok "modprobe cxl_test (as found)" || not_ok "modprobe cxl_test: $r"
fi
expect_eq "no kernel report" "" "$(reports_since "$mark")"
