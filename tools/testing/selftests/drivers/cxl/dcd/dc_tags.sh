#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The dax bus's claim rules for what QEMU cannot offer (it drops tags and sequence numbers). The
# test fixture cxl_hold gives extents to a DC region's dax region exactly as dax_cxl gives an
# accepted one (dax_region_add_extent, with the cxl_dax_region device locked): tagged, in sequence,
# with gaps, misaligned. A tag claims its whole group, in sequence order, as one device; a gap, a
# doubled sequence number, a misaligned member, a group already claimed, a tag nobody has and "0"
# with only tagged extents each fail with their errno and change nothing (a claim that failed
# half-way gives back what it took); an extent is not removed while claimed; the dax region frees
# the rest when it goes.
. "$(dirname "$0")/lib.sh"
ksft_main "$@"
need_dcd
need_hold
NO_OBS=1
MIB=1048576
TA=aaaaaaaa-0000-4000-8000-000000000001
TB=bbbbbbbb-0000-4000-8000-000000000002
TC=cccccccc-0000-4000-8000-000000000003
TD=dddddddd-0000-4000-8000-000000000004
CTL=/sys/kernel/debug/cxl_hold/ctl
iomem0=$(iomem_cxl)
# fx add|rm OFF LEN [TAG SEQ] (MiB into the dax region): the fixture's errno, or OK.
fx() { write_errno "extent $1 dax_region$Z $(($2 * MIB)) $(($3 * MIB))${4:+ $4 $5}" $CTL; }

if dc_region_up; then
	Z=${REGION#region}
	DR=$CXL/dax_region$Z/dax_region
	D=$DAX/dax$Z.0
	rd base $CXL/$REGION/resource
	r=$(insmod $MODDIR/cxl_hold.ko 2>&1) && ok "insmod cxl_hold" || not_ok "insmod cxl_hold: $r"

	expect_eq "the fixture refuses a device that is not a cxl_dax_region" ENXIO \
		"$(write_errno "extent add $REGION 0 $((2 * MIB)) 0 0" $CTL)"
	expect_eq "tag A, sequence 1 at 402 MiB" OK "$(fx add 402 2 $TA 1)"
	expect_eq "tag A, sequence 0 at 400 MiB" OK "$(fx add 400 2 $TA 0)"
	expect_eq "an extent over another is refused" EBUSY "$(fx add 401 2 0 0)"
	expect_eq "an extent outside the region is refused" EBUSY "$(fx add 511 2 0 0)"
	expect_file "available_size: tag A's two" $((4 * MIB)) $DR/available_size
	expect_errno ENOENT 0 $D/uuid $D/size $DR/available_size
	expect_errno ENOENT $TB $D/uuid $D/size $DR/available_size
	sysfs_write $TA $D/uuid
	expect_file "tag A claimed whole" $((4 * MIB)) $D/size
	expect_file "... in sequence order: it starts at sequence 0's extent" "$(printf '%#x' $((base + 400 * MIB)))" $D/resource
	expect_file "... uuid reads the tag" $TA $D/uuid
	expect_file "... available_size 0" 0 $DR/available_size

	expect_errno ENOSPC 1 $DR/create $DR/seed $DR/available_size
	expect_eq "tag B, sequence 0 at 410 MiB" OK "$(fx add 410 2 $TB 0)"
	expect_eq "tag B, sequence 2 at 412 MiB" OK "$(fx add 412 2 $TB 2)"
	sysfs_write 1 $DR/create
	# The seed stays dax$Z.0 (never bound); the new device is dax$Z.1.
	D1=$DAX/dax$Z.1
	check "a new device ${D1##*/}" test -e $D1/uuid
	expect_errno EBUSY $TA $D1/uuid $D1/size $D/size $DR/available_size
	expect_errno EINVAL $TB $D1/uuid $D1/size $DR/available_size
	expect_eq "tag D, sequence 0 twice" "OK OK" "$(fx add 416 2 $TD 0) $(fx add 418 2 $TD 0)"
	expect_errno EINVAL $TD $D1/uuid $D1/size $DR/available_size
	# Sequence 0 is claimed first, then 1 is misaligned: the claim gives 0 back.
	expect_eq "tag C, sequence 0 at 420 MiB" OK "$(fx add 420 2 $TC 0)"
	expect_eq "tag C, sequence 1 at 423 MiB, 1 MiB (misaligned)" OK "$(fx add 423 1 $TC 1)"
	expect_errno EINVAL $TC $D1/uuid $D1/size $DR/available_size
	expect_eq "remove the misaligned extent" OK "$(fx rm 423 1)"
	sysfs_write $TC $D1/uuid
	expect_file "tag C's sequence 0 was given back: now claimed" $((2 * MIB)) $D1/size

	expect_eq "a claimed extent is not removed" EBUSY "$(fx rm 400 2)"
	expect_eq "... nor a set that holds one" EBUSY "$(fx rm 402 2)"
	expect_file "... the device keeps it" $((4 * MIB)) $D/size
	expect_eq "a range the region does not hold is skipped" OK "$(fx rm 300 2)"
	sysfs_write 0 $D/size
	expect_file "resize 0 gives tag A back" $((4 * MIB + 8 * MIB)) $DR/available_size
	expect_eq "then it is removed" "OK OK" "$(fx rm 400 2) $(fx rm 402 2)"
	expect_file "available_size: tags B and D" $((8 * MIB)) $DR/available_size
	expect_eq "an untagged extent at 430 MiB" OK "$(fx add 430 2 0 0)"
	sysfs_write 0 $D/uuid
	expect_file "0 takes the untagged one, not a tagged one" "$(printf '%#x' $((base + 430 * MIB)))" $D/resource
	expect_file "... uuid reads untagged" 00000000-0000-0000-0000-000000000000 $D/uuid

	check "rmmod cxl_hold" rmmod cxl_hold
	# The dax region frees the extents left (tags B and D, claimed C and the untagged one) with
	# its devices: kmemleak would see one it lost.
	sysfs_write "$REGION" $CXL/$RD/delete_region
	check "$REGION is gone" test ! -e $CXL/$REGION
	sysfs_write 0 $CXL/$EPDEC/dpa_size
	expect_eq "the window is as before" "$iomem0" "$(iomem_cxl)"
fi
