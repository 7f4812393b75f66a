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
# Two regions on the device (half the partition each): one chain feeds both by DPA, a tag group
# with a member in the other region is refused whole, a tag of one region is refused to the
# other; the dax side's operations (claims, enable, create, ENOSPC, resize refused, give back,
# delete); dax_cxl reloaded while the device offers. A shareable partition (dc_shared_mask, patch 0023):
# a group offered out of sequence order is placed in sequence order, a gap, a doubled number or
# an untagged extent is refused, a release of one member takes the group.
# Checks are named after upstream cxl-dcd.sh's cases where they show one.
. "$(dirname "$0")/lib.sh"
ksft_main "$@"
NO_OBS=1
MIB=1048576
TAG=f1e2d3c4-b5a6-4798-8899-aabbccddeeff
TAG2=01020304-0506-4708-890a-0b0c0d0e0f10
TAG3=a0b1c2d3-e4f5-4a6b-8c7d-8e9fa0b1c2d3
TAG4=44444444-0000-4000-8000-000000000004
TAG5=55555555-0000-4000-8000-000000000005
TAG6=66666666-0000-4000-8000-000000000006
TAG7=77777777-0000-4000-8000-000000000007
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
PD=/sys/bus/platform/devices/cxl_mem.2
MOCK_CTL=$PD/dc_inject
MOCK_STATE=$PD/dc_state
# mock_up PARAMS: cxl_test with cxl_mock_mem PARAMS; M and EP: cxl_mem.2's memdev and endpoint.
mock_up() {
	local i=0
	load_mock "$@"
	until M=$(memdev_by_serial 0x3) && EP=$(endpoint_of $M); do
		i=$((i + 1))
		[ $i -le 300 ] || break
		sleep 0.1
	done
	check "cxl_mem.2's memdev ($M) has its endpoint" test -n "$EP"
	udevadm settle 2>/dev/null || sleep 2
}
mock_up dc_mask=0x4
rd v $CXL/$M/dynamic_ram_1/size
expect_eq "$M has a 512 MiB dynamic_ram_1 partition" $((512 * MIB)) $((v))
check "cxl_mem.2 has the mock's DC files" test -e $MOCK_CTL -a -e $MOCK_STATE
check "cxl_mem.0 (not in dc_mask) has none" test ! -e /sys/bus/platform/devices/cxl_mem.0/dc_inject
check "... nor a dynamic_ram_1 partition" test ! -e $CXL/$(memdev_by_serial 0x1)/dynamic_ram_1

# held_until VALUE TRIES: waits until the device's held list is VALUE, 0.2 s a try, at most TRIES
# tries (the host answers a release a dax device held back within its 1 s retry).
held_until() {
	local i=0
	while [ "$(mock_get held)" != "$1" ] && [ $i -lt $2 ]; do
		sleep 0.2
		i=$((i + 1))
	done
}
# forced_logged DPA: how many times LOG says the forced release of the 2 MiB at DPA was ignored.
forced_logged() { echo "$LOG" | grep -c "forced release of DPA $(printf %#x $1)+0x200000 ignored"; }

# no_wrong_answer: the device refused no answer of the host's (its errors count is 0; else its
# last error is printed).
no_wrong_answer() {
	expect_eq "the device saw only answers it could take" 0 "$(mock_get errors)"
	[ "$(mock_get errors)" = 0 ] || diag "last: $(mock_get last_error)"
}

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
	expect_eq "cxl list -N (the pending cxl-cli): the extents with their tags" \
		"[{\"offset\":\"0x4000000\",\"length\":\"0x200000\",\"uuid\":\"$TAG\"},{\"offset\":\"0x0\",\"length\":\"0x200000\",\"uuid\":\"$TAG2\"},{\"offset\":\"0x200000\",\"length\":\"0x200000\",\"uuid\":\"$TAG2\"}]" \
		"$(client_extents $REGION)"

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

	# Event reporting: each record traced by the core (a tagged one with its tag), and what the
	# host did with it; read after the stale release below.
	T=/sys/kernel/tracing
	[ -d $T/events ] || mount -t tracefs nodev $T 2>/dev/null
	TRACING=
	if [ -d $T/events/cxl/cxl_dynamic_capacity ] && [ -d $T/events/cxl_region/cxl_dc_extent ]; then
		TRACING=1
		# Tracing may have been left off (ndctl's cxl-events.sh turns it off when it ends).
		rd on $T/tracing_on
		echo >$T/trace
		echo 1 >$T/tracing_on
		echo 1 >$T/events/cxl/cxl_dynamic_capacity/enable
		echo 1 >$T/events/cxl_region/cxl_dc_extent/enable
	fi
	mock "add $((B + 20 * MIB)) 0x200000 $TAG3 0 0"
	mock "config 0"
	settle
	expect_eq "an add after the claim: the extent is a device" 4 "$(extents_of $REGION | wc -w)"

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
	expect_eq "the forced release is logged as ignored" 1 "$(forced_logged $((B + 64 * MIB)))"
	expect_eq "... the device no longer holds it" \
		"$(printf '%#x:0x200000 %#x:0x200000' $B $((B + 2 * MIB)))" "$(mock_get held)"
	expect_eq "... the host keeps the extent device" 3 "$(extents_of $REGION | wc -w)"
	# The same for claimed memory: a member of the group dax$Z.0 holds.
	mock_offers "forced $((B + 2 * MIB)) 0x200000 $TAG2 0 0"
	expect_eq "a forced release of claimed memory is logged as ignored" 1 "$(forced_logged $((B + 2 * MIB)))"
	expect_file "... the claim stands" $((4 * MIB)) $D/size
	expect_eq "... the device no longer holds it" "$(printf '%#x:0x200000' $B)" "$(mock_get held)"
	expect_eq "... the host keeps its extent device" 3 "$(extents_of $REGION | wc -w)"

	# A release of a group member, once the dax device lets go: the host gives the group back.
	mock "release $B 0x200000 $TAG2 0 0"
	settle
	expect_eq "remove an extent under a dax device: kept while claimed" 3 "$(extents_of $REGION | wc -w)"
	# ... and released, group and all, once the dax device lets it go: the host retries every
	# second (it waited for an open chain's 20 s timer before).
	sysfs_write 0 $D/size
	held_until "" 15
	expect_eq "multiple extent remove: the device holds nothing" "" "$(mock_get held)"
	expect_eq "... the group's devices are gone" "extent$Z.0=0x4000000:0x200000" "$(extents_of $REGION)"
	expect_eq "... the force-taken member given back with it: stale for the device" 1 \
		"$(mock_get stale_release)"
	# The device asks for the other force-taken extent too: the host gives it back, which the
	# device takes as stale, not as an error.
	mock "release $((B + 64 * MIB)) 0x200000 $TAG 0 0"
	settle
	expect_eq "... the force-taken extent's release is stale" 2 "$(mock_get stale_release)"
	expect_eq "... its device is gone" "" "$(extents_of $REGION)"
	if [ -n "$TRACING" ]; then
		echo 0 >$T/events/cxl/cxl_dynamic_capacity/enable
		echo 0 >$T/events/cxl_region/cxl_dc_extent/enable
		echo "$on" >$T/tracing_on
		rd_all TRACE $T/trace
		a=$(printf '%x' $((B + 20 * MIB)))
		f=$(printf '%x' $((B + 64 * MIB)))
		traced "cxl_dynamic_capacity: memdev=$M .*event_type='Add capacity'.* starting_dpa=$a length=200000 tag=$TAG3 " \
			"event reporting: an add record, with its tag"
		traced "cxl_dc_extent: memdev=$M record=add dpa=0x$a length=0x200000 tag=$TAG3 seq=0 region=$Z host=accepted\$" \
			"event reporting: ... what the host did with it"
		traced "cxl_dynamic_capacity: memdev=$M .*event_type='Region Configuration Updated'" \
			"event reporting: a Region Configuration Updated record"
		traced "cxl_dc_extent: memdev=$M record=region_config .* region=-1 host=ignored\$" \
			"event reporting: ... ignored by the host"
		traced "cxl_dynamic_capacity: memdev=$M .*event_type='Release capacity'.* starting_dpa=$a " \
			"event reporting: a release record"
		traced "cxl_dc_extent: memdev=$M record=release dpa=0x$a .* region=$Z host=released\$" \
			"event reporting: ... released by the host"
		traced "cxl_dynamic_capacity: memdev=$M .*event_type='Forced capacity release'.* starting_dpa=$f " \
			"event reporting: a forced release record"
		traced "cxl_dc_extent: memdev=$M record=forced_release dpa=0x$f .* region=-1 host=ignored\$" \
			"event reporting: ... ignored by the host"
	else
		skip "event reporting" "no cxl:cxl_dynamic_capacity or cxl_region:cxl_dc_extent trace event"
	fi

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
	no_wrong_answer
fi

# The cases QEMU's device can show too, by the body dc_common.sh runs on QEMU (lib.sh): tests/run
# compares the two.
DCB=mock
EPDEC=$(first_free_decoder $EP)
EPDECS=$EPDEC
if [ -n "$B" ] && dc_up; then
	dc_common
	teardown_one $REGION
	check "$REGION goes" wait_gone $CXL/$REGION 50
	expect_eq "the device holds nothing" "" "$(mock_get held)"
	no_wrong_answer
fi

# Two regions on the device, each over half of the partition through an endpoint decoder of its
# own: an extent goes to the region whose DPA holds it, a tag group lies in one region, a tag is
# unique across them. Then the dax side's operations on the first, and dax_cxl reloaded while
# the device offers capacity.
SIZE=$((256 * MIB))
EPA=$(first_free_decoder $EP)
EPDEC=$EPA
EPDECS=$EPA
if [ -n "$B" ] && dc_up; then
	RA=$REGION ZA=$Z DA=$D DRA=$DR
	EPB=$(first_free_decoder $EP)
	EPDEC=$EPB
	EPDECS="$EPA $EPB"
	if dc_up; then
		RB=$REGION ZB=$Z DB=$D
		rd a $CXL/$EPA/dpa_resource
		rd b $CXL/$EPB/dpa_resource
		expect_eq "two regions: $RA and $RB over the two halves of the partition" \
			"$B $((B + SIZE))" "$((a)) $((b))"
		mock "add $((B + 10 * MIB)) 0x200000 0 0 1"
		mock "add $((B + SIZE + 10 * MIB)) 0x200000 0 0 0"
		settle
		expect_eq "two regions: one chain, an extent for each, by its DPA" \
			"extent$ZA.0=0xa00000:0x200000 | extent$ZB.0=0xa00000:0x200000" \
			"$(extents_of $RA) | $(extents_of $RB)"
		d0=$(mock_get dropped)
		mock_offers "add $((B + 20 * MIB)) 0x200000 $TAG4 0 1" \
			"add $((B + SIZE + 20 * MIB)) 0x200000 $TAG4 0 0"
		expect_eq "a tag group with a member outside the region: the member refused" 1 \
			"$(refusals 'outside the region')"
		expect_eq "... and the rest of the group with it" 1 \
			"$(refusals 'another extent of its tag group was rejected')"
		expect_eq "... the device dropped both" $((d0 + 2)) "$(mock_get dropped)"
		expect_eq "... neither region has one" "1 1" "$(extents_of $RA | wc -w) $(extents_of $RB | wc -w)"
		mock "add $((B + 30 * MIB)) 0x200000 $TAG4 0 0"
		settle
		expect_file "the tag in $RA alone: accepted" $TAG4 $CXL/dax_region$ZA/extent$ZA.1/uuid
		mock_offers "add $((B + SIZE + 30 * MIB)) 0x200000 $TAG4 0 0"
		expect_eq "a tag used by another region: refused" 1 "$(refusals 'tag already in use')"
		expect_eq "... $RB has no extent of it" "extent$ZB.0=0xa00000:0x200000" "$(extents_of $RB)"
		expect_eq "... the device dropped it" $((d0 + 3)) "$(mock_get dropped)"

		# The dax side (dax device operations): the two extents of $RA are its available size;
		# a resize other than to 0 is not supported; a claim by tag and one by "0"; a second
		# device from the region's create; no more once nothing is left; a size of 0 gives an
		# extent back; a device of size 0 is deleted.
		expect_file "dax device operations: available_size is $RA's two extents" $((4 * MIB)) \
			$DRA/available_size
		expect_errno EOPNOTSUPP $((2 * MIB)) $DA/size $DA/uuid $DRA/available_size
		sysfs_write $TAG4 $DA/uuid
		expect_file "... dax$ZA.0 claims the tag" $((2 * MIB)) $DA/size
		expect_file "... and shows it" $TAG4 $DA/uuid
		rd seed $DRA/seed
		check "... claimed, still the seed (dax$ZA.0)" test "$seed" = dax$ZA.0
		sysfs_write dax$ZA.0 /sys/bus/dax/drivers/device_dax/bind
		rd seed $DRA/seed
		expect_eq "... enabled (device_dax bound), the seed no more" "" "$seed"
		sysfs_write 1 $DRA/create
		rd seed $DRA/seed
		D1=$DAX/$seed
		check "... create: a second device ($seed)" test -n "$seed" -a -e "$D1" -a "$D1" != "$DA"
		sysfs_write 0 $D1/uuid
		expect_file "... it claims the untagged extent" $((2 * MIB)) $D1/size
		expect_file "... none left" 0 $DRA/available_size
		expect_errno ENOSPC 1 $DRA/create $DRA/available_size
		sysfs_write 0 $D1/size
		expect_file "... a size of 0 gives the extent back" $((2 * MIB)) $DRA/available_size
		sysfs_write $seed $DRA/delete
		check "... and the device of size 0 can be deleted" wait_gone $D1 50
		expect_file "... the claimed one is untouched" $((2 * MIB)) $DA/size

		# dax_cxl reloaded: the CXL side takes an offer while it is away; the dax regions come
		# back with every extent, none claimed.
		r=$(rmmod dax_cxl 2>&1) && ok "driver reload: rmmod dax_cxl" || not_ok "rmmod dax_cxl: $r"
		check "... $RA's dax devices go" wait_gone $DA 50
		mock "add $((B + 40 * MIB)) 0x200000 0 0 0"
		settle
		expect_eq "... an offer while dax_cxl is away is accepted" \
			"extent$ZA.0=0xa00000:0x200000 extent$ZA.1=0x1e00000:0x200000 extent$ZA.2=0x2800000:0x200000" \
			"$(extents_of $RA)"
		r=$(modprobe dax_cxl 2>&1) && ok "... modprobe dax_cxl" || not_ok "modprobe dax_cxl: $r"
		check "... dax$ZA.0 is back" wait_for $DA 50
		check "... dax$ZB.0 is back" wait_for $DB 50
		expect_file "... $RA's three extents, none claimed" $((6 * MIB)) $DRA/available_size
		expect_file "... dax$ZA.0 is an empty seed" 0 $DA/size
		sysfs_write 0 $DA/uuid
		expect_file "... and claims an untagged one" $((2 * MIB)) $DA/size
		sysfs_write 0 $DA/size

		mock "release $((B + 10 * MIB)) 0x200000 0 0 0"
		mock "release $((B + 30 * MIB)) 0x200000 $TAG4 0 0"
		mock "release $((B + 40 * MIB)) 0x200000 0 0 0"
		mock "release $((B + SIZE + 10 * MIB)) 0x200000 0 0 0"
		held_until "" 25
		expect_eq "two regions: the releases free both" "" "$(mock_get held)"
		expect_eq "... no extent left" " | " "$(extents_of $RA) | $(extents_of $RB)"
		teardown_one $RB
		check "$RB goes" wait_gone $CXL/$RB 50
	fi
	teardown_one $RA
	check "$RA goes" wait_gone $CXL/$RA 50
	no_wrong_answer
fi

# A shareable partition (cxl_mock_mem dc_shared_mask; the core reads the CDAT DSMAS Shareable
# flag, patch 0022): every extent is tagged and a tag group's shared sequence numbers are 0..n,
# the order its capacity is placed in.
r=$(rmmod cxl_test 2>&1) && ok "rmmod cxl_test" || not_ok "rmmod cxl_test: $r"
mock_up dc_mask=0x4 dc_shared_mask=0x4
SIZE=
MEMDEV=$M
EPDEC=$(first_free_decoder $EP)
EPDECS=$EPDEC
B=
RD=
if dc_up; then
	expect_eq "a shareable partition: the held tagged extent is read back" \
		"extent$Z.0=0x4000000:0x200000" "$(extents_of $REGION)"
	# Offered out of sequence order: 1, 0, 2.
	mock "add $((B + 4 * MIB)) 0x200000 $TAG5 1 1"
	mock "add $((B + 12 * MIB)) 0x200000 $TAG5 0 1"
	mock "add $((B + 8 * MIB)) 0x200000 $TAG5 2 0"
	settle
	expect_eq "shared extent inject: the group is accepted whole" 4 "$(extents_of $REGION | wc -w)"
	expect_eq "daxctl create-device --uuid (the pending daxctl) of no extent: ENOENT" "uuid: ENOENT" \
		"$(client_create_device $REGION 5a5a5a5a-0000-4000-8000-000000000000)"
	out=$(client_create_device $REGION $TAG5)
	DS=$DAX/${out% *}
	expect_eq "daxctl create-device --uuid of the group: one device of the three ($out)" \
		$((6 * MIB)) "${out#* }"
	rd h $CXL/$REGION/resource
	rd r $DS/resource
	expect_eq "... its first range is sequence 0's extent, not the first offered" \
		"$(printf %#x $((h + 12 * MIB)))" "$(printf %#x $((r)))"
	d0=$(mock_get dropped)
	mock_offers "add $((B + 20 * MIB)) 0x200000 $TAG6 0 1" "add $((B + 22 * MIB)) 0x200000 $TAG6 2 0" \
		"add $((B + 24 * MIB)) 0x200000 $TAG7 0 1" "add $((B + 26 * MIB)) 0x200000 $TAG7 0 0" \
		"add $((B + 28 * MIB)) 0x200000 0 0 0"
	expect_eq "sequence gap, doubled sequence: both groups refused whole" 4 \
		"$(refusals 'shared sequence not 0..n')"
	expect_eq "an untagged extent in a shareable partition: refused" 1 \
		"$(refusals 'untagged in a shareable partition')"
	expect_eq "... the device dropped the five" $((d0 + 5)) "$(mock_get dropped)"
	expect_eq "... no device for them" 4 "$(extents_of $REGION | wc -w)"
	# A release of one member takes the whole group back once the dax device lets it go.
	dax_disable ${DS##*/}
	sysfs_write 0 $DS/size
	mock "release $((B + 8 * MIB)) 0x200000 $TAG5 2 0"
	held_until "$(printf %#x $((B + 64 * MIB))):0x200000" 25
	expect_eq "release by tag takes the whole group" \
		"$(printf %#x $((B + 64 * MIB))):0x200000" "$(mock_get held)"
	expect_eq "... its devices are gone" "extent$Z.0=0x4000000:0x200000" "$(extents_of $REGION)"
	mock "release $((B + 64 * MIB)) 0x200000 $TAG 0 0"
	settle
	expect_eq "... and the last: the device holds nothing" "" "$(mock_get held)"
	teardown_one $REGION
	check "$REGION goes" wait_gone $CXL/$REGION 50
	no_wrong_answer
fi

r=$(rmmod cxl_test 2>&1) && ok "rmmod cxl_test" || not_ok "rmmod cxl_test: $r"
load_mock
[ -n "$CXLTEST_PRELOADED" ] || { r=$(rmmod cxl_test 2>&1) || not_ok "rmmod cxl_test: $r"; }
expect_eq "no kernel report" "" "$(reports_since "$mark0")"
