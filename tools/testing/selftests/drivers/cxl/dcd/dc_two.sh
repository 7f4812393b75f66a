#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Two DC regions on two DCD devices (the first two memdevs with a DC partition, in serial order:
# 0x1 and 0x4 in scripts/cxl-vm's topology):
# each device's capacity lands in its own region, as its own extent devices, and goes back
# without touching the other's.
. "$(dirname "$0")/lib.sh"
ksft_main "$@"
need_dcd 2
need_qmp
DCD2_QOM=$(qom_of $(dcd_memdev 2)) || skip_all "QEMU has no cxl-type3 device with the serial of $(dcd_memdev 2)"
NO_OBS=1
if region_up dynamic_ram_1 $(dcd_memdev 1); then
	A=$REGION AEP=$EPDEC
	if region_up dynamic_ram_1 $(dcd_memdev 2); then
		B=$REGION BEP=$EPDEC
		expect_eq "the first DCD offers 4 MiB at 0" '{"return": {}}' "$(dc_capacity add "$DCD_QOM" 0:4)"
		expect_eq "the second DCD offers 8 MiB at 64 MiB" '{"return": {}}' "$(dc_capacity add "$DCD2_QOM" 64:8)"
		sleep 1
		expect_eq "$A holds the first DCD's extent only" "extent${A#region}.0=0x0:0x400000" "$(extents_of $A)"
		expect_eq "$B holds the second DCD's extent only" "extent${B#region}.0=0x4000000:0x800000" "$(extents_of $B)"
		expect_eq "the first DCD takes its extent back" '{"return": {}}' "$(dc_capacity release "$DCD_QOM" 0:4)"
		sleep 1
		expect_eq "$A has none left" "" "$(extents_of $A)"
		expect_eq "$B keeps its extent" "extent${B#region}.0=0x4000000:0x800000" "$(extents_of $B)"
		r=$(dc_capacity add "$DCD2_QOM" 64:8)
		check "the first DCD's release left the second's extent with the host: QEMU refuses to offer it again ($r)" sh -c "echo '$r' | grep -q 'already accessible'"
		expect_eq "the second DCD takes its extent back" '{"return": {}}' "$(dc_capacity release "$DCD2_QOM" 64:8)"
		sleep 1
		expect_eq "$B has none left" "" "$(extents_of $B)"
		sysfs_write "$B" $CXL/$RD/delete_region
		sysfs_write 0 $CXL/$BEP/dpa_size
	fi
	sysfs_write "$A" $CXL/$RD/delete_region
	sysfs_write 0 $CXL/$AEP/dpa_size
fi
