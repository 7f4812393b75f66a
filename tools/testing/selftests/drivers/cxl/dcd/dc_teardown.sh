#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# A DC region torn down while dax devices hold its capacity: one claimed device was online as
# System RAM (offline first, as the C requires: kmem's remove does not offline memory), one is
# bound to device_dax and open in a process, one extent is unclaimed. delete_region takes the dax
# side down with them; the memory node shrinks back, the CXL window is as before, and the extents
# stay the host's: a new region over the same range reads all three back, unclaimed. Then
# cxl_region is unloaded while a claimed device is mapped by a running process: the process keeps
# its file, the module goes, and after the reload the extent is read back and can be released.
. "$(dirname "$0")/lib.sh"
ksft_main "$@"
need_dcd
need_qmp
need_reload cxl_region
NO_OBS=1
MIB=1048576
iomem0=$(iomem_cxl)
ALL="extent%s.0=0x0:0x8000000 extent%s.1=0x10000000:0x200000 extent%s.2=0x10400000:0x200000"

if dc_region_up; then
	Z=${REGION#region}
	DR=$CXL/dax_region$Z/dax_region
	expect_eq "add 128 MiB at 0, 2 MiB at 256 and at 260" '{"return": {}}' "$(dc_add "0:128 256:2 260:2")"
	settle
	expect_eq "three extents" "$(printf "$ALL" $Z $Z $Z)" "$(extents_of $REGION)"

	# dax$Z.0: the 128 MiB, online as System RAM, then offline (still bound to kmem).
	sysfs_write 0 $DAX/dax$Z.0/uuid
	rd node $DAX/dax$Z.0/target_node
	before=$(node_kb $node)
	r=$(daxctl reconfigure-device -m system-ram -f dax$Z.0 2>&1) && ok "dax$Z.0 to system-ram" || not_ok "dax$Z.0 to system-ram: $r"
	wait_online dax$Z.0
	expect_eq "node$node grows by 128 MiB (kB)" $((128 * 1024)) $(($(node_kb $node) - before))
	dax_offline dax$Z.0

	# dax$Z.1: one 2 MiB extent, device_dax, mapped and then held open by a process.
	sysfs_write 1 $DR/create
	D1=$DAX/$(cat $DR/seed)
	sysfs_write 0 $D1/uuid
	expect_file "${D1##*/} claims 2 MiB" $((2 * MIB)) $D1/size
	sysfs_write ${D1##*/} /sys/bus/dax/drivers/device_dax/bind
	wait_for /dev/${D1##*/}
	expect_eq "daxtest /dev/${D1##*/}" "ok 512 pages" "$(daxtest /dev/${D1##*/} $((2 * MIB)) 2>&1)"
	sleep 600 <>/dev/${D1##*/} &
	holder=$!
	expect_file "one extent unclaimed" $((2 * MIB)) $DR/available_size

	sysfs_write "$REGION" $CXL/$RD/delete_region
	check "$REGION is gone" test ! -e $CXL/$REGION
	check "its dax devices are gone" sh -c "! ls -d $DAX/dax$Z.* >/dev/null 2>&1"
	check "the holder still runs" kill -0 $holder
	kill $holder
	wait $holder 2>/dev/null
	expect_eq "node$node is back to its size (kB)" "$before" "$(node_kb $node)"
	expect_eq "the window is as before" "$iomem0" "$(iomem_cxl)"
	dax_forget_ids dax$Z.0
	sysfs_write 0 $CXL/$EPDEC/dpa_size
fi

# The extents stay the host's: a new region reads all three back, none claimed.
if dc_region_up; then
	Z=${REGION#region}
	DR=$CXL/dax_region$Z/dax_region
	if wait_for $CXL/dax_region$Z/extent$Z.2; then ok "the new region reads the extents back"; else not_ok "the new region reads the extents back"; fi
	expect_eq "... all three" "$(printf "$ALL" $Z $Z $Z)" "$(extents_of $REGION)"
	expect_file "... unclaimed" $((132 * MIB)) $DR/available_size
	expect_file "the seed is empty" 0 $DAX/dax$Z.0/size
	expect_eq "release the 2 MiB extents" '{"return": {}}' "$(dc_release "256:2 260:2")"
	settle
	expect_eq "the 128 MiB extent is left" "extent$Z.0=0x0:0x8000000" "$(extents_of $REGION)"

	# cxl_region unloaded while dax$Z.0 holds the extent, bound to device_dax and mapped.
	sysfs_write 0 $DAX/dax$Z.0/uuid
	sysfs_write dax$Z.0 /sys/bus/dax/drivers/device_dax/bind
	wait_for /dev/dax$Z.0
	expect_eq "daxtest /dev/dax$Z.0" "ok 32768 pages" "$(daxtest /dev/dax$Z.0 $((128 * MIB)) 2>&1)"
	sleep 600 <>/dev/dax$Z.0 &
	holder=$!
	r=$(rmmod cxl_region 2>&1) && ok "rmmod cxl_region with dax$Z.0 claimed and open" || not_ok "rmmod cxl_region: $r"
	check "$REGION is gone" test ! -e $CXL/$REGION
	check "dax$Z.0 is gone" test ! -e $DAX/dax$Z.0
	check "the holder still runs" kill -0 $holder
	kill $holder
	wait $holder 2>/dev/null
	expect_eq "the window is as before" "$iomem0" "$(iomem_cxl)"
	sysfs_write 0 $CXL/$EPDEC/dpa_size
	wait_gone /sys/bus/cxl/drivers/cxl_region
	r=$(insmod $MODDIR/cxl_region.ko 2>&1) && ok "insmod cxl_region" || not_ok "insmod cxl_region: $r"
fi

if dc_region_up; then
	Z=${REGION#region}
	DR=$CXL/dax_region$Z/dax_region
	if wait_for $CXL/dax_region$Z/extent$Z.0; then ok "after the reload the extent is read back"; else not_ok "after the reload the extent is read back"; fi
	expect_file "... unclaimed" $((128 * MIB)) $DR/available_size
	expect_eq "release it" '{"return": {}}' "$(dc_release 0:128)"
	settle
	expect_eq "no extent left" "" "$(extents_of $REGION)"
	r=$(dc_release 0:128)
	check "QEMU holds nothing more ($r)" sh -c "echo '$r' | grep -q non-existing"
	sysfs_write "$REGION" $CXL/$RD/delete_region
	sysfs_write 0 $CXL/$EPDEC/dpa_size
	expect_eq "the window is as before" "$iomem0" "$(iomem_cxl)"
fi
