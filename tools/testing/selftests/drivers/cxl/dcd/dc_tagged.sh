#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Tagged capacity end to end, through the CXL side (fixture cxl_dcmock in front of the first DCD
# memdev's mailbox: QEMU 10 sends no tags). Dynamic Capacity event records go through the core's
# event path into cxl_region: a tag group offered in one More chain is accepted whole, each of its
# extents an extentZ.N device showing the tag as its uuid; the dax side claims the whole group by
# writing the tag to daxZ.Y/uuid (in a partition that is not shareable the sequence is the host's:
# arrival order, numbered 0..n); a shared sequence number in such a partition refuses the group; a
# release of one member gives back the whole group, once its dax device lets go; a misaligned
# extent and one over an accepted extent (which QEMU would not offer) are refused. The fixture is the
# witness of every answer (an answer naming capacity it did not offer, or does not hold, is an
# error it counts).
. "$(dirname "$0")/lib.sh"
ksft_main "$@"
need_dcd
need_dcmock
NO_OBS=1
snapshot
M=$(dcd_memdev)
MIB=1048576
TAG=f1e2d3c4-b5a6-4798-8899-aabbccddeeff
TAG2=01020304-0506-4708-890a-0b0c0d0e0f10

mock_load
mock "wrap $M"
mock "mock 1"
if dc_region_up; then
	Z=${REGION#region}
	D=$DAX/dax$Z.0
	DR=$CXL/dax_region$Z/dax_region
	rd BASE $CXL/$EPDEC/dpa_resource
	B=$((BASE))
	mock "add $B 0x200000 $TAG 0 1"
	mock "add $((B + 4 * MIB)) 0x200000 $TAG 0 1"
	mock "add $((B + 8 * MIB)) 0x200000 0 0 0"
	settle
	expect_eq "the chain's three extents are devices" \
		"extent$Z.0=0x0:0x200000 extent$Z.1=0x400000:0x200000 extent$Z.2=0x800000:0x200000" "$(extents_of $REGION)"
	expect_file "extent$Z.0 shows the tag" $TAG $CXL/dax_region$Z/extent$Z.0/uuid
	expect_file "extent$Z.1 shows the tag" $TAG $CXL/dax_region$Z/extent$Z.1/uuid
	check "the untagged extent has no uuid" test ! -e $CXL/dax_region$Z/extent$Z.2/uuid
	expect_eq "the device holds all three for the host" "$(printf '0x%x:0x200000 0x%x:0x200000 0x%x:0x200000' $B $((B + 4 * MIB)) $((B + 8 * MIB)))" "$(mock_get held)"
	expect_file "available_size: all three" $((6 * MIB)) $DR/available_size

	# The tag claims its whole group: 4 MiB in one dax device.
	sysfs_write $TAG $D/uuid
	expect_file "dax$Z.0 claimed the tag group" $((4 * MIB)) $D/size
	expect_file "... its uuid is the tag" $TAG $D/uuid
	expect_file "the untagged one is left" $((2 * MIB)) $DR/available_size

	# A shared sequence number where the partition is not shareable: the group is refused.
	klog_mark
	mark=$KLOG_MARK
	mock "add $((B + 16 * MIB)) 0x200000 $TAG2 0 1"
	mock "add $((B + 18 * MIB)) 0x200000 $TAG2 1 0"
	settle
	n=$(klog_since "$mark" | grep -c 'not accepted')
	expect_eq "both extents of the sequenced group refused, with the reason logged" 2 "$n"
	expect_eq "... no device for them" 3 "$(extents_of $REGION | wc -w)"
	expect_eq "... the device was answered: nothing pending" "" "$(mock_get offered)"

	# The kernel's own refusals of what QEMU would not even offer: a misaligned extent, one that
	# overlaps an accepted extent, each refused with its reason and answered (nothing pending).
	mock_offers "add $((B + 12 * MIB + 65536)) 0x200000 0 0 0" "add $((B + 8 * MIB)) 0x400000 0 0 0"
	expect_eq "a misaligned extent refused for its alignment" 1 \
		"$(refusals 'not aligned to the DC block size')"
	expect_eq "an extent over an accepted one refused for the overlap" 1 \
		"$(refusals 'overlaps an accepted extent')"
	expect_eq "... neither has a device" 3 "$(extents_of $REGION | wc -w)"
	expect_eq "... both answered: nothing pending" "" "$(mock_get offered)"

	# A release of one member of the claimed group waits for the dax device, then takes the group.
	mock "release $((B + 4 * MIB)) 0x200000 $TAG 0 0"
	settle
	expect_eq "claimed: the group stays" 3 "$(extents_of $REGION | wc -w)"
	sysfs_write 0 $D/size
	if wait_gone $CXL/dax_region$Z/extent$Z.0; then ok "let go: the group is released"; else not_ok "let go: the group is released"; fi
	expect_eq "both members' devices are gone, the untagged one stays" "extent$Z.2=0x800000:0x200000" "$(extents_of $REGION)"
	expect_eq "the device holds only the untagged one" "$(printf '0x%x:0x200000' $((B + 8 * MIB)))" "$(mock_get held)"
	mock "release $((B + 8 * MIB)) 0x200000 0 0 0"
	settle
	expect_eq "released: none left" "" "$(extents_of $REGION)"
	expect_eq "the device saw only answers it could take" 0 "$(mock_get errors)"
	[ "$(mock_get errors)" = 0 ] || diag "last: $(mock_get last_error)"
	sysfs_write "$REGION" $CXL/$RD/delete_region
	sysfs_write 0 $CXL/$EPDEC/dpa_size
fi
mock unwrap
mock_unload
left "dc_tagged" ok
