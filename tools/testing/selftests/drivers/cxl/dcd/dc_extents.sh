#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Dynamic Capacity from QEMU's monitor: cxl_region reads the DC event log, accepts the extents
# that lie in the committed DC region (Add DC Response) and gives back what the device asks for
# (Release DC). The device is the witness: QEMU releases only extents the host accepted ("cannot
# release extent with pending DPA range" while unanswered, an error when never accepted).
. "$(dirname "$0")/lib.sh"
ksft_main "$@"
need_dcd
need_qmp
need_hold
need_reload cxl_region dax_cxl
NO_OBS=1

if dc_region_up; then
	Z=${REGION#region}
	expect_eq "no extent device before any capacity" "" "$(extents_of $REGION)"
	expect_eq "add 128 MiB at 0" '{"return": {}}' "$(dc_add 0:128)"
	settle
	expect_eq "extent$Z.0 under dax_region$Z: offset and length" "extent$Z.0=0x0:0x8000000" "$(extents_of $REGION)"
	check "an untagged extent has no uuid" test ! -e $CXL/dax_region$Z/extent$Z.0/uuid
	expect_eq "the host accepted it: QEMU releases it" '{"return": {}}' "$(dc_release 0:128)"
	settle
	expect_eq "released: its device is gone" "" "$(extents_of $REGION)"
	r=$(dc_release 0:128)
	check "released: a second release is refused by QEMU ($r)" sh -c "echo '$r' | grep -q error"
	expect_eq "the same range can be added again" '{"return": {}}' "$(dc_add 0:128)"
	settle
	expect_eq "... and is accepted again" '{"return": {}}' "$(dc_release 0:128)"
	settle

	expect_eq "three extents in one call (a More chain)" '{"return": {}}' "$(dc_add "0:2 4:2 64:64")"
	settle
	expect_eq "three extent devices, ids from 0" "extent$Z.0=0x0:0x200000 extent$Z.1=0x400000:0x200000 extent$Z.2=0x4000000:0x4000000" "$(extents_of $REGION)"
	# The extent devices are children of dax_region$Z, as the dax devices are: the dax bus
	# deletes only its own (patch 0012), not an extent named to dax_region/delete.
	expect_errno ENXIO extent$Z.1 $CXL/dax_region$Z/dax_region/delete $CXL/dax_region$Z/extent$Z.1/offset $CXL/dax_region$Z/dax_region/available_size
	# Unbinding the region removes the dax region and the extent devices with it; the extents
	# stay accepted and get their devices back when the region is bound again.
	sysfs_write "$REGION" /sys/bus/cxl/drivers/cxl_region/unbind
	check "unbound: no dax_region$Z" test ! -e $CXL/dax_region$Z
	sysfs_write "$REGION" /sys/bus/cxl/drivers/cxl_region/bind
	if wait_for $CXL/dax_region$Z/extent$Z.2; then ok "bound again: the devices are back"; else not_ok "bound again: the devices are back"; fi
	expect_eq "... the same three" "extent$Z.0=0x0:0x200000 extent$Z.1=0x400000:0x200000 extent$Z.2=0x4000000:0x4000000" "$(extents_of $REGION)"
	expect_eq "release the middle one" '{"return": {}}' "$(dc_release 4:2)"
	settle
	expect_eq "its device is gone, the others stay" "extent$Z.0=0x0:0x200000 extent$Z.2=0x4000000:0x4000000" "$(extents_of $REGION)"
	expect_eq "a new extent takes the free id 1" '{"return": {}}' "$(dc_add 8:2)"
	settle
	expect_eq "... extent$Z.1 again" "extent$Z.0=0x0:0x200000 extent$Z.1=0x800000:0x200000 extent$Z.2=0x4000000:0x4000000" "$(extents_of $REGION)"
	expect_eq "release it" '{"return": {}}' "$(dc_release 8:2)"
	expect_eq "and the middle one again: QEMU refuses, it is not accepted" 1 "$(dc_release 4:2 >/dev/null; echo $?)"
	for e in 0:2 64:64; do
		expect_eq "extent $e of the chain was accepted" '{"return": {}}' "$(dc_release $e)"
	done
	settle
	expect_eq "every extent device is gone" "" "$(extents_of $REGION)"

	# A release that touches part of an extent gives back the whole extent.
	expect_eq "add 4 MiB at 8 MiB" '{"return": {}}' "$(dc_add 8:4)"
	settle
	expect_eq "release its first 2 MiB" '{"return": {}}' "$(dc_release 8:2)"
	settle
	r=$(dc_release 10:2)
	check "the host gave back all 4 MiB: its other half is gone too ($r)" sh -c "echo '$r' | grep -q error"

	# Overlap with an accepted extent: QEMU 10 refuses to offer it at all, so the kernel's overlap
	# rule is proven by the host tests of rust/cxl/extent.rs.
	expect_eq "add 4 MiB at 16 MiB" '{"return": {}}' "$(dc_add 16:4)"
	settle
	r=$(dc_add 18:4)
	check "QEMU refuses an add overlapping an accepted extent ($r)" sh -c "echo '$r' | grep -q 'already accessible'"
	expect_eq "the first extent is still accepted" '{"return": {}}' "$(dc_release 16:4)"
	settle

	# Teardown with extents: the bound region is deleted with two extent devices live. They go
	# with it; the device keeps the extents, and a region committed later over them takes them.
	expect_eq "add 2 MiB at 8 MiB and 2 MiB at 300 MiB" '{"return": {}}' "$(dc_add "8:2 300:2")"
	settle
	expect_eq "two extent devices" "extent$Z.0=0x800000:0x200000 extent$Z.1=0x12c00000:0x200000" "$(extents_of $REGION)"
	sysfs_write "$REGION" $CXL/$RD/delete_region
	check "deleted with extents: its dax region and extent devices are gone" test ! -e $CXL/dax_region$Z
	sysfs_write 0 $CXL/$EPDEC/dpa_size
fi

# A region over half the partition: capacity beyond it is refused.
RD=$(root_decoder)
if create_region dynamic_ram_1; then
	R=$CXL/$REGION
	m=$(dcd_memdev) && e=$(endpoint_of $m) && d=$(first_free_decoder $e)
	sysfs_write 1 $R/interleave_ways
	sysfs_write 256 $R/interleave_granularity
	sysfs_write dynamic_ram_1 $CXL/$d/mode
	sysfs_write 0x10000000 $CXL/$d/dpa_size
	sysfs_write 0x10000000 $R/size
	sysfs_write $d $R/target0
	# An offer that arrives while the commit waits for cxl_rwsem.region (held for writing by the
	# fixture cxl_hold, so that the order is certain): the event thread does not take the region
	# lock, so it judges the offer at once, against what is committed then: no DC region, refused
	# and answered (QEMU keeps nothing pending). (An offer that arrives during the commit's own
	# read of the device's list is taken once: dc_slow.)
	CTL=/sys/kernel/debug/cxl_hold/ctl
	r=$(insmod $MODDIR/cxl_hold.ko 2>&1) && ok "insmod cxl_hold" || not_ok "insmod cxl_hold: $r"
	sysfs_write wlock $CTL
	(echo 1 >$R/commit) 2>/dev/null &
	cpid=$!
	sleep 1
	expect_eq "add 2 MiB at 4 MiB while the commit waits" '{"return": {}}' "$(dc_add 4:2)"
	sleep 2
	check "the commit still waits" kill -0 $cpid
	r=$(dc_release 4:2)
	check "the offer was answered while the commit waited: nothing of it is pending ($r)" sh -c "echo '$r' | grep -q non-existing"
	sysfs_write wunlock $CTL
	wait $cpid && ok "the commit completes" || not_ok "the commit completes"
	check "rmmod cxl_hold" rmmod cxl_hold
	# Committed, not bound: extents are accepted, their devices come with the dax region.
	klog_mark; mark=$KLOG_MARK
	expect_eq "add 2 MiB beyond the region" '{"return": {}}' "$(dc_add 256:2)"
	settle
	expect_eq "the kernel says why" 1 "$(klog_since "$mark" | grep -c "not accepted: outside the region")"
	r=$(dc_release 256:2)
	check "never accepted: QEMU refuses its release ($r)" sh -c "echo '$r' | grep -q error"
	check "... and it is not pending either" sh -c "! echo '$r' | grep -q pending"
	expect_eq "inside the region it is accepted" '{"return": {}}' "$(dc_add 0:2)"
	settle
	Z=${REGION#region}
	sysfs_write "$REGION" /sys/bus/cxl/drivers/cxl_region/bind
	if wait_for $CXL/dax_region$Z/extent$Z.1; then ok "accepted before the bind: its device comes with the dax region"; else not_ok "accepted before the bind: its device comes with the dax region"; fi
	# Read back at commit (Get DC Extent List): 8 MiB, left by the deleted region, is taken as
	# extent .0; 300 MiB lies beyond this region and is not. Then the one at 0 (.1).
	expect_eq "read back at commit: 8 MiB; then 0" "extent$Z.0=0x800000:0x200000 extent$Z.1=0x0:0x200000" "$(extents_of $REGION)"
	expect_eq "release 0" '{"return": {}}' "$(dc_release 0:2)"
	settle
	expect_eq "released: only the one read back stays" "extent$Z.0=0x800000:0x200000" "$(extents_of $REGION)"
	# Decommitted and committed again: the region forgets its extents and reads them back.
	sysfs_write 0 $R/commit
	check "decommitted: no dax region" test ! -e $CXL/dax_region$Z
	sysfs_write 1 $R/commit
	sysfs_write "$REGION" /sys/bus/cxl/drivers/cxl_region/bind
	if wait_for $CXL/dax_region$Z/extent$Z.0; then ok "committed again: the extent is read back"; else not_ok "committed again: the extent is read back"; fi
	expect_eq "... the same, the only one" "extent$Z.0=0x800000:0x200000" "$(extents_of $REGION)"
	expect_eq "release it" '{"return": {}}' "$(dc_release 8:2)"
	settle
	expect_eq "released: no extent device" "" "$(extents_of $REGION)"
	r=$(dc_release 8:2)
	check "the host answered with Release DC: QEMU no longer holds it ($r)" sh -c "echo '$r' | grep -q non-existing"
	sysfs_write 0 $R/commit
	klog_mark; mark=$KLOG_MARK
	expect_eq "add to a decommitted region" '{"return": {}}' "$(dc_add 0:2)"
	settle
	expect_eq "no committed DC region: refused" 1 "$(klog_since "$mark" | grep -c "not accepted: outside the region")"
	sysfs_write "$REGION" $CXL/$RD/delete_region
	sysfs_write 0 $CXL/$d/dpa_size
fi
diag "kernel: $(dmesg | grep -E 'extent|Capacity' | grep -v cxl_dcd_test | tail -8)"

# cxl_region unloaded under a bound DC region with extents: the region, its dax region and the
# extent devices go, cleanly. The device keeps the extents; after the reload a new region reads
# them back.
if dc_region_up; then
	Z=${REGION#region}
	if wait_for $CXL/dax_region$Z/extent$Z.0; then ok "a region over the whole partition reads back 300 MiB"; else not_ok "a region over the whole partition reads back 300 MiB"; fi
	expect_eq "add 2 MiB at 16 MiB" '{"return": {}}' "$(dc_add 16:2)"
	settle
	expect_eq "their devices" "extent$Z.0=0x12c00000:0x200000 extent$Z.1=0x1000000:0x200000" "$(extents_of $REGION)"
	# dax_cxl reloaded: the dax side of the region goes and comes back; the extent devices are
	# the CXL side's (children of dax_region$Z) and stay.
	check "rmmod dax_cxl with extent devices live" rmmod dax_cxl
	check "... its seed dax device is gone" test ! -e $DAX/dax$Z.0
	expect_eq "... the extent devices stay" "extent$Z.0=0x12c00000:0x200000 extent$Z.1=0x1000000:0x200000" "$(extents_of $REGION)"
	wait_gone /sys/bus/cxl/drivers/cxl_dax_region
	check "insmod dax_cxl" insmod $MODDIR/dax_cxl.ko
	if wait_for $DAX/dax$Z.0; then ok "the seed dax device is back"; else not_ok "the seed dax device is back"; fi
fi
# Without cxl_region the core refuses each offer (an Add DC Response accepting nothing): nothing
# stays pending in the device, and the next offer after a reload is answered as itself.
r=$(rmmod cxl_region 2>&1) && ok "rmmod cxl_region with extent devices live" || not_ok "rmmod cxl_region: $r"
check "the region is gone" test ! -e $CXL/$REGION
check "its dax region and extent devices are gone" test ! -e $CXL/dax_region$Z
sysfs_write 0 $CXL/$EPDEC/dpa_size
expect_eq "add 2 MiB with no region provider" '{"return": {}}' "$(dc_add 0:2)"
settle
r=$(dc_release 0:2)
check "refused by the core, not left pending ($r)" sh -c "echo '$r' | grep -q non-existing"
wait_gone /sys/bus/cxl/drivers/cxl_region
r=$(insmod $MODDIR/cxl_region.ko 2>&1) && ok "insmod cxl_region" || not_ok "insmod cxl_region: $r"
if dc_region_up; then
	Z=${REGION#region}
	if wait_for $CXL/dax_region$Z/extent$Z.1; then ok "after the reload both extents are read back"; else not_ok "after the reload both extents are read back"; fi
	expect_eq "... as the device lists them" "extent$Z.0=0x12c00000:0x200000 extent$Z.1=0x1000000:0x200000" "$(extents_of $REGION)"
	expect_eq "after the reload an offer is accepted" '{"return": {}}' "$(dc_add 0:2)"
	settle
	expect_eq "... and released" '{"return": {}}' "$(dc_release 0:2)"
	for e in 16:2 300:2; do
		expect_eq "release $e" '{"return": {}}' "$(dc_release $e)"
	done
	settle
	expect_eq "every extent released" "" "$(extents_of $REGION)"
	for e in 16:2 300:2; do
		r=$(dc_release $e)
		check "the host answered with Release DC for $e ($r)" sh -c "echo '$r' | grep -q non-existing"
	done
	sysfs_write "$REGION" $CXL/$RD/delete_region
	sysfs_write 0 $CXL/$EPDEC/dpa_size
fi
