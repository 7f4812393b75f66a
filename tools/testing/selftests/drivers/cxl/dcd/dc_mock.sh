#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Dynamic Capacity on cxl_test's mock device (patch 0021: cxl_mock_mem dc_mask=0x4 gives cxl_mem.2,
# serial 3, a 512 MiB DC partition after its 2 GiB of static capacity, a Dynamic Capacity event log
# and the four DC commands). Its files dc_inject and dc_state take the grammar of the QEMU fixture
# cxl_dcmock ("add|release|forced DPA LEN TAG SEQ MORE", "held DPA LEN TAG SEQ"); the device is
# the witness of every answer: an Add DC Response naming an extent it did not offer (or before
# the offer's More chain closed), a Release DC of capacity it does not hold, a Clear Event
# Records out of order are refused and counted ("errors"). Runs in the cxl_test boots
# (ksft:dc_mock), project kernel (the reference kernel has no DC regions); a DC region on the
# mock device, by sysfs: capacity the device held before the region is read back at commit as an
# extent device, with its tag as uuid; a tagged More chain is accepted whole; an extent of a tag
# the region has already and a misaligned extent are refused and answered; the dax side claims the
# tag group; a forced release is logged and ignored (the device takes its capacity, the host keeps
# the extent device: the series' rule); a release takes the group back, and a later release of
# the force-taken extent is answered (the device counts it stale); a region destroyed with an
# extent and a dax device leaves the extent on the device, and the next region reads it back.
# Checks are named after upstream cxl-dcd.sh's cases where they show one.
. "$(dirname "$0")/lib.sh"
ksft_main "$@"
NO_OBS=1
MIB=1048576
TAG=f1e2d3c4-b5a6-4798-8899-aabbccddeeff
TAG2=01020304-0506-4708-890a-0b0c0d0e0f10
TAG3=a0b1c2d3-e4f5-4a6b-8c7d-8e9fa0b1c2d3
modinfo cxl_mock_mem >/dev/null 2>&1 || skip_all "no cxl_test (cxl_mock_mem)"
modinfo -p cxl_mock_mem 2>/dev/null | grep -q '^dc_mask' || skip_all "cxl_mock_mem has no dc_mask (patch 0021)"
[ -e /sys/module/cxl_region/refcnt ] || skip_all "no DC regions here (the C region code has none)"
klog_mark
mark0=$KLOG_MARK
cxltest_own
# load_mock PARAMS: cxl_mock_mem with PARAMS, then cxl_test.
load_mock() {
	local r
	r=$(rmmod cxl_mock_mem 2>&1; modprobe cxl_mock_mem "$@" 2>&1) && ok "cxl_mock_mem $*" ||
		not_ok "cxl_mock_mem $*: $r"
	r=$(modprobe cxl_test 2>&1) && ok "modprobe cxl_test" || not_ok "modprobe cxl_test: $r"
}
load_mock dc_mask=0x4
PD=/sys/bus/platform/devices/cxl_mem.2
MOCK_CTL=$PD/dc_inject
MOCK_STATE=$PD/dc_state
i=0
until M=$(memdev_by_serial 0x3) && EP=$(endpoint_of $M); do
	i=$((i + 1))
	[ $i -le 300 ] || break
	sleep 0.1
done
check "cxl_mem.2's memdev ($M) has its endpoint" test -n "$EP"
udevadm settle 2>/dev/null || sleep 2
rd v $CXL/$M/dynamic_ram_1/size
expect_eq "$M has a 512 MiB dynamic_ram_1 partition" $((512 * MIB)) $((v))
check "cxl_mem.2 has the mock's DC files" test -e $MOCK_CTL -a -e $MOCK_STATE
check "cxl_mem.0 (not in dc_mask) has none" test ! -e /sys/bus/platform/devices/cxl_mem.0/dc_inject
check "... nor a dynamic_ram_1 partition" test ! -e $CXL/$(memdev_by_serial 0x1)/dynamic_ram_1

# dc_up: a DC region over the whole partition (REGION; Z, DR, D: its number, dax region and seed
# dax device), on the first window where it attaches (RD, kept for later calls): sized, attached,
# committed (which reads the device's extent list) and bound. The first time, B is the partition's
# DPA, and the device is given capacity it holds for the host before the region commits
# (upstream's pre-existing extents).
dc_up() {
	local d rds=$RD
	[ -n "$rds" ] || rds=$(for d in $CXL/decoder0.*; do [ ! -e $d/create_dynamic_ram_1_region ] || echo ${d##*/}; done)
	REGION=
	for RD in $rds; do
		if s_sized; then
			if [ -z "$B" ]; then
				rd B $CXL/$EPDEC/dpa_resource
				B=$((B))
				mock "held $((B + 64 * MIB)) 0x200000 $TAG 0"
			fi
			w $EPDEC $CXL/$REGION/target0 && break
		fi
		teardown_one $REGION
		REGION=
	done
	if [ -z "$REGION" ]; then
		not_ok "a DC region over $EPDEC of $M on a window of cxl_test"
		return 1
	fi
	ok "$REGION over $EPDEC of $M on $RD (DPA $(printf %#x $B))"
	sysfs_write 1 $CXL/$REGION/commit
	sysfs_write $REGION /sys/bus/cxl/drivers/cxl_region/bind
	Z=${REGION#region}
	DR=$CXL/dax_region$Z/dax_region
	D=$DAX/dax$Z.0
	wait_for $D 50 || :
}

MODE=dynamic_ram_1
MEMDEV=$M
EPDEC=$(first_free_decoder $EP)
EPDECS=$EPDEC
B=
RD=
if dc_up; then
	expect_file "dax$Z.0, the seed, has no size" 0 $D/size
	expect_eq "pre-existing extents: the held capacity is read back at commit as a device" \
		"extent$Z.0=0x4000000:0x200000" "$(extents_of $REGION)"
	expect_file "pre-existing extents: extent$Z.0 shows its tag" $TAG $CXL/dax_region$Z/extent$Z.0/uuid

	# A tagged More chain: accepted whole when it closes.
	mock "add $B 0x200000 $TAG2 0 1"
	mock "add $((B + 2 * MIB)) 0x200000 $TAG2 0 0"
	settle
	expect_eq "the More bit: the chain's two extents are devices once it closes" \
		"extent$Z.0=0x4000000:0x200000 extent$Z.1=0x0:0x200000 extent$Z.2=0x200000:0x200000" \
		"$(extents_of $REGION)"
	expect_file "tag injection, uuid show: extent$Z.1 shows the chain's tag" $TAG2 \
		$CXL/dax_region$Z/extent$Z.1/uuid
	expect_eq "the device holds the three for the host" \
		"$(printf '%#x:0x200000 %#x:0x200000 %#x:0x200000' $((B + 64 * MIB)) $B $((B + 2 * MIB)))" \
		"$(mock_get held)"
	expect_eq "... nothing left pending" "" "$(mock_get offered)"

	# Refused, and answered: a later offer of a tag the region has already (a tag group arrives
	# whole), a misaligned extent (the block is 2 MiB), one over accepted extents.
	mock_offers "add $((B + 4 * MIB)) 0x200000 $TAG 0 0" "add $((B + 8 * MIB + 65536)) 0x200000 0 0 0" \
		"add $B 0x400000 0 0 0"
	expect_eq "uniqueness across More chains: an extent of a tag already in the region refused" 1 \
		"$(refusals 'tag already in use')"
	expect_eq "alignment rejection: a misaligned extent refused" 1 \
		"$(refusals 'not aligned to the DC block size')"
	expect_eq "overlapping extents rejected: one over the accepted chain refused" 1 \
		"$(refusals 'overlaps an accepted extent')"
	expect_eq "... all three answered: nothing pending" "" "$(mock_get offered)"
	expect_eq "... all three dropped by the device" 3 "$(mock_get dropped)"
	expect_eq "... no device for them" 3 "$(extents_of $REGION | wc -w)"

	# The dax side: a uuid that matches no extent claims nothing; the chain's tag claims its group.
	expect_errno ENOENT 5a5a5a5a-0000-4000-8000-000000000000 $D/uuid $D/size
	expect_file "uuid with no match: the seed is intact (no uuid)" "" $D/uuid
	sysfs_write $TAG2 $D/uuid
	expect_file "uuid aggregation, a dax device spanning two extents: dax$Z.0 claimed the group (4 MiB)" \
		$((4 * MIB)) $D/size

	# Event reporting: a tagged record traced by the core with its tag, and what the host did.
	T=/sys/kernel/tracing
	[ -d $T/events ] || mount -t tracefs nodev $T 2>/dev/null
	if [ -d $T/events/cxl/cxl_dynamic_capacity ] && [ -d $T/events/cxl_region/cxl_dc_extent ]; then
		# Tracing may have been left off (ndctl's cxl-events.sh turns it off when it ends).
		rd on $T/tracing_on
		echo >$T/trace
		echo 1 >$T/tracing_on
		echo 1 >$T/events/cxl/cxl_dynamic_capacity/enable
		echo 1 >$T/events/cxl_region/cxl_dc_extent/enable
		mock "add $((B + 20 * MIB)) 0x200000 $TAG3 0 0"
		settle
		echo 0 >$T/events/cxl/cxl_dynamic_capacity/enable
		echo 0 >$T/events/cxl_region/cxl_dc_extent/enable
		echo "$on" >$T/tracing_on
		rd_all TRACE $T/trace
		a=$(printf '%x' $((B + 20 * MIB)))
		traced "cxl_dynamic_capacity: memdev=$M .*event_type='Add capacity'.* starting_dpa=$a length=200000 tag=$TAG3 " \
			"event reporting: the record, with its tag"
		traced "cxl_dc_extent: memdev=$M record=add dpa=0x$a length=0x200000 tag=$TAG3 seq=0 region=$Z host=accepted\$" \
			"event reporting: what the host did with it"
	else
		mock "add $((B + 20 * MIB)) 0x200000 $TAG3 0 0"
		settle
		skip "event reporting" "no cxl:cxl_dynamic_capacity or cxl_region:cxl_dc_extent trace event"
	fi
	expect_eq "... the extent is a device" 4 "$(extents_of $REGION | wc -w)"

	# A release of part of an extent takes the whole extent back.
	mock "release $((B + 20 * MIB)) 0x100000 $TAG3 0 0"
	settle
	expect_eq "partial extent remove: the whole extent is released" \
		"$(printf '%#x:0x200000 %#x:0x200000 %#x:0x200000' $((B + 64 * MIB)) $B $((B + 2 * MIB)))" \
		"$(mock_get held)"
	expect_eq "... its device is gone" 3 "$(extents_of $REGION | wc -w)"

	# A forced release: the device takes its capacity at once; the host logs it and keeps the
	# extent (the series ignores forced releases).
	mock_offers "forced $((B + 64 * MIB)) 0x200000 $TAG 0 0"
	n=$(echo "$LOG" | grep -c "forced release of DPA $(printf %#x $((B + 64 * MIB)))+0x200000 ignored")
	expect_eq "the forced release is logged as ignored" 1 "$n"
	expect_eq "... the device no longer holds it" \
		"$(printf '%#x:0x200000 %#x:0x200000' $B $((B + 2 * MIB)))" "$(mock_get held)"
	expect_eq "... the host keeps the extent device" 3 "$(extents_of $REGION | wc -w)"

	# A release of a group member, once the dax device lets go: the host gives the group back.
	mock "release $B 0x200000 $TAG2 0 0"
	settle
	expect_eq "remove an extent under a dax device: kept while claimed" 3 "$(extents_of $REGION | wc -w)"
	# ... and released, group and all, once the dax device lets it go: the host retries every
	# second (it waited for an open chain's 20 s timer before).
	sysfs_write 0 $D/size
	i=0
	while [ "$(mock_get held)" != "" ] && [ $i -lt 15 ]; do sleep 0.2; i=$((i + 1)); done
	expect_eq "multiple extent remove: the device holds nothing" "" "$(mock_get held)"
	expect_eq "... the group's devices are gone" "extent$Z.0=0x4000000:0x200000" "$(extents_of $REGION)"
	# The device asks for the force-taken extent too: the host gives it back, which the device
	# takes as stale, not as an error.
	mock "release $((B + 64 * MIB)) 0x200000 $TAG 0 0"
	settle
	expect_eq "... the force-taken extent's release is stale" 1 "$(mock_get stale_release)"
	expect_eq "... its device is gone" "" "$(extents_of $REGION)"

	# A region destroyed with an extent and a dax device on it: the extent stays the host's on
	# the device (extents outlive their region), and the next region over that DPA reads it back.
	mock "add $((B + 30 * MIB)) 0x200000 0 0 0"
	settle
	sysfs_write 0 $D/uuid
	expect_file "dax$Z.0 claimed the untagged extent (uuid 0)" $((2 * MIB)) $D/size
	teardown_one $REGION
	check "destroy with extent and dax device: $REGION goes" wait_gone $CXL/$REGION 50
	expect_eq "... the device still holds the extent for the host" \
		"$(printf '%#x:0x200000' $((B + 30 * MIB)))" "$(mock_get held)"
	if dc_up; then
		expect_eq "destroy a region without removing its extents: the next region reads it back" \
			"extent$Z.0=0x1e00000:0x200000" "$(extents_of $REGION)"
		mock "release $((B + 30 * MIB)) 0x200000 0 0 0"
		settle
		expect_eq "... released: the device holds nothing" "" "$(mock_get held)"
		teardown_one $REGION
		check "$REGION goes" wait_gone $CXL/$REGION 50
	fi
	expect_eq "the device saw only answers it could take" 0 "$(mock_get errors)"
	[ "$(mock_get errors)" = 0 ] || diag "last: $(mock_get last_error)"
fi

r=$(rmmod cxl_test 2>&1) && ok "rmmod cxl_test" || not_ok "rmmod cxl_test: $r"
load_mock
[ -n "$CXLTEST_PRELOADED" ] || { r=$(rmmod cxl_test 2>&1) || not_ok "rmmod cxl_test: $r"; }
expect_eq "no kernel report" "" "$(reports_since "$mark0")"
