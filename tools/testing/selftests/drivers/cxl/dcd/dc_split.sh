#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Two DC regions on one device (QEMU): the first DCD memdev's DC partition split between two
# regions, each over one endpoint decoder (256 MiB each). Capacity offered into either half lands
# in the region whose DPA range holds it, also within one offer (a More chain spanning both); each
# release is answered (QEMU's refusal of a second release proves it), also for an extent of a region
# that is unbound or decommitted; and the regions come down in either order.
. "$(dirname "$0")/lib.sh"
ksft_main "$@"
need_dcd
need_qmp
NO_OBS=1
snapshot
M=$(dcd_memdev)
HALF=0x10000000

# released OFF:LEN WHY: QEMU refuses a second release of the range (the host gave it back).
released() {
	local r
	r=$(dc_release "$1")
	case "$r" in
	*error*) ok "$2: a second release of $1 is refused by QEMU" ;;
	*) not_ok "$2: a second release of $1 is refused by QEMU"; diag "QEMU: $r" ;;
	esac
}

# two_up: regions A (DC offsets 0-256 MiB) and B (256-512 MiB) on $M, bound.
two_up() {
	DPA_SIZE=$HALF region_up dynamic_ram_1 $M || return 1
	A=$REGION AEP=$EPDEC
	DPA_SIZE=$HALF region_up dynamic_ram_1 $M || return 1
	B=$REGION BEP=$EPDEC
	ZA=${A#region} ZB=${B#region}
}

# down FIRST SECOND: delete both regions in this order, then free the DPA (the higher decoder first).
down() {
	sysfs_write "$1" $CXL/$RD/delete_region
	sysfs_write "$2" $CXL/$RD/delete_region
	sysfs_write 0 $CXL/$BEP/dpa_size
	sysfs_write 0 $CXL/$AEP/dpa_size
}

if two_up; then
	expect_eq "one offer into each half" '{"return": {}}' "$(dc_add "0:4 300:8")"
	settle
	expect_eq "$A holds the extent of its half" "extent$ZA.0=0x0:0x400000" "$(extents_of $A)"
	expect_eq "$B holds the extent of its half (DC offset 300 MiB)" "extent$ZB.0=0x2c00000:0x800000" "$(extents_of $B)"
	expect_eq "B's extent asked back" '{"return": {}}' "$(dc_release 300:8)"
	settle
	expect_eq "$B has none left" "" "$(extents_of $B)"
	expect_eq "$A keeps its extent" "extent$ZA.0=0x0:0x400000" "$(extents_of $A)"
	released 300:8 "$B"
	expect_eq "A's extent asked back" '{"return": {}}' "$(dc_release 0:4)"
	settle
	expect_eq "$A has none left" "" "$(extents_of $A)"
	released 0:4 "$A"

	# A release for the extent of an unbound region, then of a decommitted one (the upper: HDM
	# decoders commit in order, so the lower one could not commit again before it).
	expect_eq "2 MiB into each half" '{"return": {}}' "$(dc_add "8:2 260:2")"
	settle
	expect_eq "$A's extent" "extent$ZA.0=0x800000:0x200000" "$(extents_of $A)"
	expect_eq "$B's extent" "extent$ZB.0=0x400000:0x200000" "$(extents_of $B)"
	sysfs_write "$A" /sys/bus/cxl/drivers/cxl_region/unbind
	expect_eq "release of $A's extent while $A is unbound" '{"return": {}}' "$(dc_release 8:2)"
	settle
	released 8:2 "unbound $A"
	sysfs_write "$A" /sys/bus/cxl/drivers/cxl_region/bind
	wait_for $DAX/dax$ZA.0
	expect_eq "bound again: the released extent does not come back" "" "$(extents_of $A)"
	sysfs_write "$B" /sys/bus/cxl/drivers/cxl_region/unbind
	sysfs_write 0 $CXL/$B/commit
	expect_eq "release of $B's extent after $B is decommitted" '{"return": {}}' "$(dc_release 260:2)"
	settle
	released 260:2 "decommitted $B"
	sysfs_write 1 $CXL/$B/commit
	sysfs_write "$B" /sys/bus/cxl/drivers/cxl_region/bind
	wait_for $DAX/dax$ZB.0
	expect_eq "committed again: the released extent is not read back" "" "$(extents_of $B)"
	down "$A" "$B"
fi

# Round 2: one offer into both halves, the upper region deleted first; a region over the whole
# partition then reads both extents back.
if two_up; then
	expect_eq "one offer into each half" '{"return": {}}' "$(dc_add "8:2 264:2")"
	settle
	expect_eq "$A's extent" "extent$ZA.0=0x800000:0x200000" "$(extents_of $A)"
	expect_eq "$B's extent" "extent$ZB.0=0x800000:0x200000" "$(extents_of $B)"
	down "$B" "$A"
	if dc_region_up; then
		Z=${REGION#region}
		expect_eq "a region over the whole partition reads both back" \
			"extent$Z.0=0x800000:0x200000 extent$Z.1=0x10800000:0x200000" "$(extents_of $REGION)"
		expect_eq "both asked back" '{"return": {}}' "$(dc_release "8:2 264:2")"
		settle
		expect_eq "none left" "" "$(extents_of $REGION)"
		released 8:2 "$REGION"
		sysfs_write "$REGION" $CXL/$RD/delete_region
		sysfs_write 0 $CXL/$EPDEC/dpa_size
	fi
fi
left "dc_split" ok
