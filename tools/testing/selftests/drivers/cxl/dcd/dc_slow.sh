#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# A slow device cannot hold cxl_rwsem.region (fixture cxl_dcmock, QEMU behind it): every Dynamic
# Capacity command of the first DCD memdev waits 3 s in its mailbox. The commit of a DC region
# reads the device's extent list, and the DC event thread answers an offer; neither may hold the
# region lock across those commands, so that a region attribute read, or a region store, by another
# task completes at once meanwhile (before: they waited for the device, 3 s and more).
. "$(dirname "$0")/lib.sh"
ksft_main "$@"
need_dcd
need_qmp
need_dcmock
NO_OBS=1
snapshot
M=$(dcd_memdev)
SLOW=3000

# timed_ms COMMAND...: runs COMMAND in this shell; MS = how long it took (10 ms resolution).
timed_ms() {
	local t0
	now_set
	t0=$NOW_MS
	"$@"
	now_set
	MS=$((NOW_MS - t0))
}

# quick WHAT MS: one TAP line: WHAT took less than a second (the device waits 3 s a command).
quick() {
	if [ "$2" -lt 1000 ]; then
		ok "$1 while the device is slow: $2 ms"
	else
		not_ok "$1 while the device is slow: $2 ms (waited for the device)"
	fi
}

mock_load
MODE=dynamic_ram_1 MEMDEV=$M
EP=$(endpoint_of $M)
EPDEC=$(first_free_decoder $EP)
EPDECS=$EPDEC
if s_attached; then
	ok "$REGION attached, not committed"
	mock "wrap $M"
	mock "delay $SLOW"
	rm -f /tmp/slow.commit
	(
		w_errno 1 $CXL/$REGION/commit
		echo $ERRNO >/tmp/slow.commit
	) &
	pid=$!
	sleep 0.5
	timed_ms rd v $CXL/$REGION/size
	quick "a read of $REGION/size during its commit's extent list scan" $MS
	# An offer during that read: accepted at once (the region is committed), its answer changes
	# the device's list, so the read starts over and finds it held: one extent, not two.
	expect_eq "an offer of 2 MiB during the read" '{"return": {}}' "$(dc_add 8:2)"
	wait $pid
	rd r /tmp/slow.commit
	expect_eq "the commit succeeds" OK "$r"
	expect_file "$REGION is committed" 1 $CXL/$REGION/commit
	sysfs_write "$REGION" /sys/bus/cxl/drivers/cxl_region/bind
	wait_for $DAX/dax${REGION#region}.0
	sleep 4
	expect_eq "the offer during the read is taken once" "extent${REGION#region}.0=0x800000:0x200000" "$(extents_of $REGION)"

	# The event thread answers an offer (Add DC Response, 3 s) while another task configures a
	# second region (cxl_rwsem.region for writing).
	R1=$REGION
	rd R2 $CXL/$RD/create_dynamic_ram_1_region
	sysfs_write "$R2" $CXL/$RD/create_dynamic_ram_1_region
	expect_eq "an offer of 2 MiB" '{"return": {}}' "$(dc_add 0:2)"
	sleep 1
	timed_ms w_errno 1 $CXL/$R2/interleave_ways
	expect_eq "$R2/interleave_ways written" OK "$ERRNO"
	quick "a write of $R2/interleave_ways while the DC event thread answers an offer" $MS
	sleep 3
	expect_eq "the offer was accepted into $R1" "extent${R1#region}.0=0x800000:0x200000 extent${R1#region}.1=0x0:0x200000" "$(extents_of $R1)"
	mock "delay 0"
	mock unwrap
	expect_eq "the host holds both: QEMU releases them" '{"return": {}}' "$(dc_release "0:2 8:2")"
	settle
	expect_eq "gone" "" "$(extents_of $R1)"
	sysfs_write "$R2" $CXL/$RD/delete_region
else
	not_ok "$REGION attached"
fi
mock_unload
left "dc_slow" ok
