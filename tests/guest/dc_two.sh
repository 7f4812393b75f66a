# SPDX-License-Identifier: GPL-2.0
# Two DC regions on two DCD devices (topology dcd2: cxl-dcd0 serial 0x1, cxl-dcd1 serial 0x4):
# each device's capacity lands in its own region, as its own extent devices, and goes back
# without touching the other's.
NO_OBS=1
if region_up dynamic_ram_1 0x1; then
	A=$REGION AEP=$EPDEC
	if region_up dynamic_ram_1 0x4; then
		B=$REGION BEP=$EPDEC
		expect_eq "cxl-dcd0 offers 4 MiB at 0" '{"return": {}}' "$(dc_capacity add cxl-dcd0 0:4)"
		expect_eq "cxl-dcd1 offers 8 MiB at 64 MiB" '{"return": {}}' "$(dc_capacity add cxl-dcd1 64:8)"
		sleep 1
		expect_eq "$A holds cxl-dcd0's extent only" "extent${A#region}.0=0x0:0x400000" "$(extents_of $A)"
		expect_eq "$B holds cxl-dcd1's extent only" "extent${B#region}.0=0x4000000:0x800000" "$(extents_of $B)"
		expect_eq "cxl-dcd0 takes its extent back" '{"return": {}}' "$(dc_capacity release cxl-dcd0 0:4)"
		sleep 1
		expect_eq "$A has none left" "" "$(extents_of $A)"
		expect_eq "$B keeps its extent" "extent${B#region}.0=0x4000000:0x800000" "$(extents_of $B)"
		r=$(dc_capacity release cxl-dcd1 0:4)
		check "cxl-dcd1 never had 0-4 MiB accepted: QEMU refuses its release ($r)" sh -c "echo '$r' | grep -q error"
		expect_eq "cxl-dcd1 takes its extent back" '{"return": {}}' "$(dc_capacity release cxl-dcd1 64:8)"
		sleep 1
		expect_eq "$B has none left" "" "$(extents_of $B)"
		sysfs_write "$B" $CXL/$RD/delete_region
		sysfs_write 0 $CXL/$BEP/dpa_size
	fi
	sysfs_write "$A" $CXL/$RD/delete_region
	sysfs_write 0 $CXL/$AEP/dpa_size
fi
