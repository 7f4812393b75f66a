#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Dynamic capacity becomes memory: each accepted extent is a resource of the DC region's dax
# region (available_size), a dax device claims it by tag through daxX.Y/uuid ("0": one untagged
# extent), device_dax maps it and a static guest program writes and reads back every page, kmem
# onlines it as System RAM through daxctl; a release from QEMU's monitor waits while a dax device
# holds the extent and completes (Release DC) once it lets go. QEMU is the other witness: it
# refuses to release what the host gave back ("non-existing DPA range").
. "$(dirname "$0")/lib.sh"
ksft_main "$@"
need_dcd
need_qmp
need_reload dax_cxl
NO_OBS=1
MIB=1048576
UNTAGGED=00000000-0000-0000-0000-000000000000

if dc_region_up; then
	Z=${REGION#region}
	DR=$CXL/dax_region$Z/dax_region
	D=$DAX/dax$Z.0
	expect_file "no capacity yet: available_size" 0 $DR/available_size
	expect_file "the seed holds no extent: uuid" "" $D/uuid
	expect_errno ENOENT 0 $D/uuid $D/size $DR/available_size
	expect_eq "add 128 MiB at 0" '{"return": {}}' "$(dc_add 0:128)"
	settle
	expect_eq "extent$Z.0" "extent$Z.0=0x0:0x8000000" "$(extents_of $REGION)"
	expect_file "available_size: the extent" $((128 * MIB)) $DR/available_size
	# Bad claims change nothing.
	expect_errno EINVAL not-a-uuid $D/uuid $D/size $DR/available_size
	expect_errno ENOENT 11111111-2222-3333-4444-555555555555 $D/uuid $D/size $DR/available_size
	expect_errno EOPNOTSUPP $((2 * MIB)) $D/size $D/uuid $DR/available_size
	sysfs_write 0 $D/uuid
	expect_file "claimed: size is the extent's" $((128 * MIB)) $D/size
	expect_file "... uuid reads untagged" $UNTAGGED $D/uuid
	expect_file "... available_size 0" 0 $DR/available_size
	expect_errno EBUSY 0 $D/uuid $D/size $DR/available_size
	expect_eq "no mapping attribute" "" "$(ls $D | grep -x mapping)"

	# device_dax binds it, and it is memory: every page written and read back through a mapping.
	sysfs_write dax$Z.0 /sys/bus/dax/drivers/device_dax/bind
	if wait_for /dev/dax$Z.0; then ok "/dev/dax$Z.0"; else not_ok "/dev/dax$Z.0"; fi
	expect_eq "daxtest /dev/dax$Z.0: every page" "ok 32768 pages" "$(daxtest /dev/dax$Z.0 $((128 * MIB)) 2>&1)"
	check "nothing past the claimed size: daxtest of 256 MiB fails" sh -c "! daxtest /dev/dax$Z.0 $((256 * MIB)) >/dev/null 2>&1"

	# A release while a dax device holds the extent waits: no Release DC, the extent stays.
	klog_mark
	mark=$KLOG_MARK
	expect_eq "QEMU asks for the 128 MiB back" '{"return": {}}' "$(dc_release 0:128)"
	sleep 3
	expect_eq "in use: the extent stays" "extent$Z.0=0x0:0x8000000" "$(extents_of $REGION)"
	expect_file "... and the device's size" $((128 * MIB)) $D/size
	log=$(klog_since "$mark")
	case "$log" in
	*"in use: released once free"*) ok "the kernel says why" ;;
	*) not_ok "the kernel says why" ;;
	esac
	expect_errno EBUSY 0 $D/size $D/uuid
	sysfs_write dax$Z.0 /sys/bus/dax/drivers/device_dax/unbind
	# Resizing to 0 gives the extent back; the waiting release then completes.
	sysfs_write 0 $D/size
	if wait_gone $CXL/dax_region$Z/extent$Z.0; then ok "let go: the release completes, extent$Z.0 is gone"; else not_ok "let go: the release completes, extent$Z.0 is gone"; fi
	expect_file "available_size back to 0" 0 $DR/available_size
	r=$(dc_release 0:128)
	check "the host sent Release DC: QEMU no longer holds it ($r)" sh -c "echo '$r' | grep -q non-existing"

	# The same range again, online as System RAM through kmem, then back.
	expect_eq "the range can be added again" '{"return": {}}' "$(dc_add 0:128)"
	settle
	sysfs_write 0 $D/uuid
	rd node $D/target_node
	before=$(node_kb $node)
	# The guest onlines hot-added memory itself (movable): -f tells daxctl to go on regardless.
	r=$(daxctl reconfigure-device -m system-ram -f dax$Z.0 2>&1) && ok "daxctl reconfigure-device -m system-ram dax$Z.0" || not_ok "daxctl reconfigure-device -m system-ram: $r"
	wait_online dax$Z.0
	after=$(node_kb $node)
	expect_eq "node$node grows by the extent (kB)" $((128 * 1024)) $((after - before))
	dax_offline dax$Z.0
	r=$(daxctl reconfigure-device -m devdax -f dax$Z.0 2>&1) && ok "back to devdax" || not_ok "back to devdax: $r"
	sysfs_write dax$Z.0 /sys/bus/dax/drivers/device_dax/unbind
	dax_forget_ids dax$Z.0
	sysfs_write 0 $D/size
	expect_eq "release it" '{"return": {}}' "$(dc_release 0:128)"
	settle
	expect_eq "released: no extent" "" "$(extents_of $REGION)"

	# Two untagged extents: a claim takes exactly one.
	expect_eq "add two 2 MiB extents" '{"return": {}}' "$(dc_add "0:2 4:2")"
	settle
	expect_file "available_size: both" $((4 * MIB)) $DR/available_size
	sysfs_write 0 $D/uuid
	expect_file "one claimed" $((2 * MIB)) $D/size
	expect_file "one left" $((2 * MIB)) $DR/available_size
	sysfs_write 1 $DR/create
	rd seed $DR/seed
	D1=$DAX/$seed
	check "a new seed ($seed)" test -n "$seed" -a -e "$D1" -a "$D1" != "$D"
	sysfs_write 0 $D1/uuid
	expect_file "the new seed claims the other" $((2 * MIB)) $D1/size
	expect_file "none left" 0 $DR/available_size
	expect_errno ENOSPC 1 $DR/create $DR/available_size

	# dax_cxl reloaded with claimed devices: the dax region is made again from the extent
	# devices, with nothing claimed.
	check "rmmod dax_cxl" rmmod dax_cxl
	wait_gone /sys/bus/cxl/drivers/cxl_dax_region
	check "insmod dax_cxl" insmod $MODDIR/dax_cxl.ko
	if wait_for $D; then ok "dax$Z.0 back"; else not_ok "dax$Z.0 back"; fi
	expect_file "both extents are the region's again" $((4 * MIB)) $DR/available_size
	expect_eq "release both" '{"return": {}}' "$(dc_release "0:2 4:2")"
	settle
	expect_eq "released" "" "$(extents_of $REGION)"
	expect_file "available_size 0" 0 $DR/available_size
	sysfs_write "$REGION" $CXL/$RD/delete_region
	sysfs_write 0 $CXL/$EPDEC/dpa_size
fi
