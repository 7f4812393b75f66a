#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Regions assembled from decoders that platform firmware committed (cxl_add_to_region()):
# cxl_test's mock commits decoder 0 of the endpoints of cxl_mem.0 and cxl_mem.4 (serials 1 and 5)
# as a 2-way, 4096-byte granularity, 512 MiB RAM region in its first window. QEMU cannot make
# committed decoders (the kernel finds its devices' HDM decoders reset), so this runs on cxl_test
# only (`make ndctl`'s boots, ksft:auto_region) and skips elsewhere. On both kernels: the region,
# its targets in interleave position order, committed, bound, with its dax region; a targetN
# write refused. Where cxl_region is a module (project): endpoints that probed before it loaded
# are assembled when it loads (rmmod cxl_region, reload cxl_test, insmod cxl_region). With the
# mock's parameters, on both kernels: a member that never arrives (fail_autoassemble: the region
# waits with one staged target, which leaves it when its memdev goes), an extended linear
# cache in front of the region (extended_linear_cache), and Soft Reserved memory under the region
# that dax_hmem leaves to CXL (hmem_test).
. "$(dirname "$0")/lib.sh"
ksft_main "$@"
NO_OBS=1
preloaded=1
if ! ls -d $CXL/decoder0.* >/dev/null 2>&1; then
	r=$(modprobe cxl_test 2>&1) || skip_all "no CXL window, and no cxl_test to load: $r"
	ok "modprobe cxl_test"
	preloaded=
	wait_for $CXL/root0 || :
	sleep 2
fi
[ -e /sys/bus/platform/devices/cxl_acpi.0 ] ||
	skip_all "no cxl_test: only its mock has decoders committed before the kernel (QEMU's are reset)"

# mock_wait: cxl_test's memdevs of serials 1 and 5 and their endpoints are there (they probe
# asynchronously: up to 30 s under TCG); M1, M5: the memdevs, D1, D5: their decoder 0.
mock_wait() {
	local i=0
	until M1=$(memdev_by_serial 0x1) && M5=$(memdev_by_serial 0x5) &&
		[ -e "$CXL/$(endpoint_of $M1)/decoders_committed" ] &&
		[ -e "$CXL/$(endpoint_of $M5)/decoders_committed" ]; do
		i=$((i + 1))
		[ $i -le 300 ] || return 1
		sleep 0.1
	done
	udevadm settle 2>/dev/null || sleep 2
	D1=$(basename $CXL/$(endpoint_of $M1)/decoder*.0)
	D5=$(basename $CXL/$(endpoint_of $M5)/decoder*.0)
}

# mock_reload [PARAM]: cxl_test again, with PARAM.
mock_reload() {
	local r
	r=$(rmmod cxl_test 2>&1) && ok "rmmod cxl_test" || not_ok "rmmod cxl_test: $r"
	r=$(modprobe cxl_test "$@" 2>&1) && ok "modprobe cxl_test $*" || not_ok "modprobe cxl_test $*: $r"
	mock_wait || not_ok "cxl_test's memdevs of serials 1 and 5 after modprobe cxl_test $*"
}

# region_of DECODER: the region whose target0 or target1 is DECODER.
region_of() {
	local r t
	for r in $CXL/region*; do
		for t in target0 target1; do
			rd t $r/$t
			[ "$t" = "$1" ] && { echo ${r##*/}; return 0; }
		done
	done
	return 1
}

# auto_check LABEL: the mock's region is there, whole, as firmware committed it.
auto_check() {
	local m1 m5 d1 d5 r t0 v i=0
	# cxl_test's memdevs and ports probe asynchronously: up to 30 s under TCG.
	until m1=$(memdev_by_serial 0x1) && m5=$(memdev_by_serial 0x5) &&
		[ -e "$CXL/$(endpoint_of $m1)/decoders_committed" ] &&
		[ -e "$CXL/$(endpoint_of $m5)/decoders_committed" ]; do
		i=$((i + 1))
		[ $i -le 300 ] || { not_ok "$1: cxl_test's memdevs of serials 1 and 5"; return 1; }
		sleep 0.1
	done
	udevadm settle 2>/dev/null || sleep 2
	d1=$(basename $CXL/$(endpoint_of $m1)/decoder*.0)
	d5=$(basename $CXL/$(endpoint_of $m5)/decoder*.0)
	R=
	for r in $CXL/region*; do
		rd t0 $r/target0
		[ "$t0" = "$d1" ] || [ "$t0" = "$d5" ] && R=${r##*/}
	done
	[ -n "$R" ] || { not_ok "$1: a region over $d1 and $d5 (serials 1 and 5)"; return 1; }
	ok "$1: $R assembled over $d1 and $d5"
	expect_file "$1: $R mode" ram $CXL/$R/mode
	expect_file "$1: $R interleave_ways" 2 $CXL/$R/interleave_ways
	expect_file "$1: $R interleave_granularity" 4096 $CXL/$R/interleave_granularity
	rd v $CXL/$R/size
	expect_eq "$1: $R size 512 MiB" $((0x20000000)) $((v))
	expect_file "$1: $R committed" 1 $CXL/$R/commit
	expect_file "$1: target0 in position order (serial 1 first)" "$d1" $CXL/$R/target0
	expect_file "$1: target1 (serial 5)" "$d5" $CXL/$R/target1
	expect_file "$1: $d1 belongs to $R" "$R" $CXL/$d1/region
	expect_file "$1: $d5 belongs to $R" "$R" $CXL/$d5/region
	check "$1: $R bound to cxl_region" test "$(basename "$(readlink $CXL/$R/driver)")" = cxl_region
	wait_for $CXL/$R/dax_region${R#region} 50 || :
	check "$1: $R has its dax region" test -e $CXL/$R/dax_region${R#region}
	rd v $CXL/$R/resource
	check "$1: /proc/iomem holds $R" grep -q "$(printf '%x' $((v)))-.* : $R" /proc/iomem
	D1=$d1
}

auto_check "at load"
[ -n "$R" ] || exit 0
# Committed by firmware: the target list is not the user's to change.
expect_errno EBUSY "$D1" $CXL/$R/target0 $CXL/$R/commit

# load_cxl_region: insmod from $MODDIR (our QEMU boots) or modprobe (cxl_test boots install it).
load_cxl_region() {
	if [ -r $MODDIR/cxl_region.ko ]; then insmod $MODDIR/cxl_region.ko; else modprobe cxl_region; fi
}
if [ -e /sys/module/cxl_region/refcnt ] && [ -e /sys/module/cxl_test ] &&
	{ [ -r $MODDIR/cxl_region.ko ] || modinfo cxl_region >/dev/null 2>&1; }; then
	# Endpoints that probe before the provider registers: the core's discover_region() finds no
	# provider, and the module finds their committed decoders when it loads.
	r=$(rmmod cxl_region 2>&1) && ok "rmmod cxl_region" || not_ok "rmmod cxl_region: $r"
	check "$R is gone with cxl_region" test ! -e $CXL/$R
	r=$(rmmod cxl_test 2>&1) && ok "rmmod cxl_test" || not_ok "rmmod cxl_test: $r"
	r=$(modprobe cxl_test 2>&1) && ok "modprobe cxl_test without cxl_region" || not_ok "modprobe cxl_test: $r"
	i=0
	until m1=$(memdev_by_serial 0x1) && [ -e "$CXL/$(endpoint_of $m1)/decoders_committed" ]; do
		i=$((i + 1)); [ $i -le 300 ] || break; sleep 0.1
	done
	sleep 2
	n=$(ls -d $CXL/region* 2>/dev/null | wc -l)
	expect_eq "no region without cxl_region" 0 "$n"
	expect_file "serial 1's decoder committed by firmware, unassembled" 1 \
		$CXL/$(endpoint_of $m1)/decoders_committed
	wait_gone /sys/bus/cxl/drivers/cxl_region
	r=$(load_cxl_region 2>&1) && ok "load cxl_region" || not_ok "load cxl_region: $r"
	auto_check "after a late load"
else
	skip "late load assembles what probed before" "cxl_region or cxl_test is not a reloadable module here"
fi

# A member that never arrives: the region waits, with the one that came staged (in the target list,
# not attached: its decoder's region is empty), uncommitted and unbound.
mark=$(klog_mark; echo $KLOG_MARK)
mock_reload fail_autoassemble=1
R=$(region_of $D1) || R=
if [ -z "$R" ]; then
	not_ok "fail_autoassemble: a region with $D1 staged"
else
	ok "fail_autoassemble: $R waits with $D1 staged"
	expect_file "fail_autoassemble: $R target0" "$D1" $CXL/$R/target0
	expect_file "fail_autoassemble: $R target1 empty" "" $CXL/$R/target1
	expect_file "fail_autoassemble: $R not committed" 0 $CXL/$R/commit
	check "fail_autoassemble: $R unbound" test ! -e $CXL/$R/driver
	expect_file "fail_autoassemble: staged $D1 belongs to no region yet" "" $CXL/$D1/region
	rd v $CXL/$R/size
	expect_eq "fail_autoassemble: $R size 512 MiB" $((0x20000000)) $((v))
	# Staged, not free: the decoder cannot be attached again (cxl_region_attach_auto()).
	expect_errno EINVAL "$D1" $CXL/$R/target1 $CXL/$R/target0 $CXL/$R/commit
	# Its memdev goes: it leaves the target list (cxl_cancel_auto_attach()), the region stays.
	w $M1 /sys/bus/cxl/drivers/cxl_mem/unbind
	check "fail_autoassemble: $M1 unbound" test ! -e $CXL/$M1/driver
	expect_file "fail_autoassemble: $R target0 empty once $M1 is gone" "" $CXL/$R/target0
	check "fail_autoassemble: $R stays" test -e $CXL/$R
	w $M1 /sys/bus/cxl/drivers/cxl_mem/bind
fi
expect_eq "fail_autoassemble: no kernel report" "" "$(reports_since $mark)"

# An extended linear cache in front of the region: the region's resource starts that much lower,
# its decoders map the upper part.
mark=$(klog_mark; echo $KLOG_MARK)
mock_reload extended_linear_cache=1
R=$(region_of $D1) || R=
if [ -z "$R" ]; then
	not_ok "extended_linear_cache: a region over $D1"
else
	ok "extended_linear_cache: $R assembled over $D1"
	expect_file "extended_linear_cache: $R committed" 1 $CXL/$R/commit
	rd v $CXL/$R/size
	expect_eq "extended_linear_cache: $R size 1 GiB (cache and CXL memory)" $((0x40000000)) $((v))
	rd v $CXL/$R/extended_linear_cache_size
	expect_eq "extended_linear_cache: $R extended_linear_cache_size 512 MiB" $((0x20000000)) $((v))
	rd res $CXL/$R/resource
	rd st $CXL/$D1/start
	expect_eq "extended_linear_cache: $D1 starts after the cache" $((res + 0x20000000)) $((st))
	check "extended_linear_cache: $R bound to cxl_region" test "$(basename "$(readlink $CXL/$R/driver)")" = cxl_region
	n=$(klog_since "$mark" | grep -c 'MCE notifier not registered')
	check "extended_linear_cache: $R warns that no MCE notifier is registered" test "$n" -ge 1
fi
expect_eq "extended_linear_cache: no kernel report" "" "$(reports_since $mark)"

# Soft Reserved memory in a CXL window (hmem_test: the first half of the mock's first window,
# which the assembled region covers whole): dax_hmem leaves it to CXL and, after the initial probe,
# registers it only if no committed region contains it (cxl_region_contains_resource()). It never
# becomes an hmem device. The deferred check runs from a work item once probing settles: 3 s.
mark=$(klog_mark; echo $KLOG_MARK)
modprobe dax_hmem 2>/dev/null
mock_reload hmem_test=1
R=$(region_of $D1) || R=
check "hmem_test: a region assembled over $D1" test -n "$R"
check "hmem_test: dax_hmem bound the mock's hmem_platform.1" test -e /sys/bus/platform/devices/hmem_platform.1/driver
sleep 3
n=$(ls -d /sys/bus/platform/devices/hmem.* 2>/dev/null | wc -l)
expect_eq "hmem_test: dax_hmem leaves the Soft Reserved range to ${R:-the region} (no hmem device)" 0 "$n"
expect_eq "hmem_test: no kernel report" "" "$(reports_since $mark)"

r=$(rmmod cxl_test 2>&1) && ok "rmmod cxl_test" || not_ok "rmmod cxl_test: $r"
if [ -n "$preloaded" ]; then
	r=$(modprobe cxl_test 2>&1) && ok "modprobe cxl_test (as found)" || not_ok "modprobe cxl_test: $r"
fi
