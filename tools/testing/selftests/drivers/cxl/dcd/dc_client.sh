#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# What the pending cxl-cli / daxctl Dynamic Capacity series does, by the sysfs reads and writes of
# its commands (no released client knows DCD; ../shared notes, "The client side"): `cxl list -m`'s
# dynamic_ram_1_size, `cxl create-region -t dynamic_ram_1` on a root decoder whose
# cap_dynamic_ram_1 is 1, `cxl list -N`'s extents, `daxctl create-device --uuid` (create, the
# seed's uuid, its size, device_dax bound; "0": one untagged extent; a uuid of no extent is
# ENOENT; nothing left is ENOSPC at create). On QEMU
# (untagged extents); dc_mock.sh makes the same calls on cxl_test's mock, with tags.
. "$(dirname "$0")/lib.sh"
ksft_main "$@"
need_dcd
need_qmp
NO_OBS=1
MIB=1048576

M=$(dcd_memdev)
rd v $CXL/$M/dynamic_ram_1/size
expect_eq "cxl list -m: dynamic_ram_1_size of $M" $((512 * MIB)) $((v))
n=0
for d in $CXL/decoder0.*; do
	c=0
	[ ! -e $d/cap_dynamic_ram_1 ] || rd c $d/cap_dynamic_ram_1
	[ "$c" != 1 ] || n=$((n + 1))
done
check "cxl create-region -t dynamic_ram_1: a root decoder is dynamic_ram_1 capable" test $n -gt 0
if dc_region_up; then
	Z=${REGION#region}
	expect_eq "cxl list -N: no extents yet" "[]" "$(client_extents $REGION)"
	expect_eq "daxctl create-device with nothing to claim: ENOSPC" "create: ENOSPC" \
		"$(client_create_device $REGION 0)"
	expect_eq "QEMU adds two 2 MiB extents" '{"return": {}}' "$(dc_add "0:2 4:2")"
	settle
	expect_eq "cxl list -N: the two extents, untagged (no uuid)" \
		'[{"offset":"0x0","length":"0x200000"},{"offset":"0x400000","length":"0x200000"}]' \
		"$(client_extents $REGION)"
	expect_eq "daxctl create-device --uuid of no extent: ENOENT" "uuid: ENOENT" \
		"$(client_create_device $REGION 11111111-2222-4333-8444-555555555555)"
	out=$(client_create_device $REGION 0)
	expect_eq "daxctl create-device --uuid 0: one untagged extent ($out)" $((2 * MIB)) "${out#* }"
	out=$(client_create_device $REGION 0)
	expect_eq "... again: the other ($out)" $((2 * MIB)) "${out#* }"
	expect_eq "... a third: nothing left, ENOSPC" "create: ENOSPC" "$(client_create_device $REGION 0)"
	for d in $DAX/dax$Z.*; do
		rd v $d/size
		[ $((v)) -eq 0 ] || { dax_disable ${d##*/}; sysfs_write 0 $d/size; }
	done
	expect_eq "QEMU takes both back" '{"return": {}}' "$(dc_release "0:2 4:2")"
	settle
	expect_eq "cxl list -N: none" "[]" "$(client_extents $REGION)"
	teardown_one $REGION
	check "$REGION goes" wait_gone $CXL/$REGION 50
fi
