#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Dynamic Capacity (DC) regions on QEMU's DCD device (serial 0x1), by plain sysfs writes: the
# dynamic_ram_1 partition, create_dynamic_ram_1_region, the checks of a DC region (1-way only,
# targets on a DCD memdev in its DC partition), commit, the dax side (IORESOURCE_DAX_DCD: a 0-byte
# seed device, available_size 0, no mapping attribute), a RAM region on the static device next
# to it, teardown and re-create, module unload and reload with a live DC region. The reference
# kernel has no DCD support, so this runs on the project kernel only and records no observation.
. "$(dirname "$0")/lib.sh"
ksft_main "$@"
need_static
need_dcd
need_reload cxl_region dax_cxl
NO_OBS=1

RD=$(root_decoder)
DCMEM=$(dcd_memdev)
STMEM=$(static_memdev)
DCEP=$(endpoint_of $DCMEM)
STEP=$(endpoint_of $STMEM)
C=$CXL/$RD/create_dynamic_ram_1_region
iomem0=$(iomem_cxl)

# The partition (patches 0003-0005): QEMU's DC region 0 is 512 MiB at DPA 0 of a device with no
# static capacity; the static device has no dynamic_ram_1 directory at all.
expect_file "$DCMEM dynamic_ram_1/size" 0x20000000 $CXL/$DCMEM/dynamic_ram_1/size
expect_file "$DCMEM ram/size (no static RAM)" 0x0 $CXL/$DCMEM/ram/size
check "$STMEM has no dynamic_ram_1 directory" test ! -e $CXL/$STMEM/dynamic_ram_1
check "$DCMEM dynamic_ram_1/qos_class hidden (QEMU gives no QoS class)" \
	test ! -e $CXL/$DCMEM/dynamic_ram_1/qos_class
for d in $CXL/root0/decoder[0-9]*.*; do
	expect_eq "$(basename $d): create_dynamic_ram_1_region present exactly when cap_ram" \
		"$(cat $d/cap_ram)" "$(test -e $d/create_dynamic_ram_1_region && echo 1 || echo 0)"
	# What cxl-cli's pending create-region -t dynamic_ram_1 reads (dynamic_ram_1_capable).
	rd v $d/cap_ram
	expect_file "$(basename $d): cap_dynamic_ram_1 is cap_ram ($v): Dynamic Capacity is volatile" "$v" $d/cap_dynamic_ram_1
done

# Naming protocol, shared with create_ram_region.
rd name $C
expect_eq "create_dynamic_ram_1_region offers the id create_ram_region offers" \
	"$(cat $CXL/$RD/create_ram_region)" "$name"
expect_errno EINVAL bogus $C
expect_errno EBUSY region999 $C
sysfs_write "$name" $C
R=$CXL/$name
check "$name exists" test -d $R
expect_errno EBUSY "$name" $C
expect_file "$name mode" dynamic_ram_1 $R/mode
expect_file "$name uuid (read-only, empty)" "" $R/uuid

# 1-way only, refused before any other interleave check and with the upstream message (5 ways is
# invalid for any region; a DC region still says why it refuses it).
klog_mark; mark=$KLOG_MARK
expect_errno EINVAL 2 $R/interleave_ways $R/target0
expect_errno EINVAL 4 $R/interleave_ways $R/target0
expect_errno EINVAL 5 $R/interleave_ways $R/target0
expect_eq "'Interleaving and DCD not supported' logged once per refusal" 3 \
	"$(klog_since "$mark" | grep -c "$name: Interleaving and DCD not supported")"
sysfs_write 1 $R/interleave_ways
sysfs_write 256 $R/interleave_granularity

# Endpoint decoders: no DC mode on the static device, no RAM mode on the DC-only one, no DPA beyond
# the DC partition.
STDEC=$(first_free_decoder $STEP)
DCDEC=$(first_free_decoder $DCEP)
expect_errno EINVAL dynamic_ram_1 $CXL/$STDEC/mode
expect_errno EINVAL ram $CXL/$DCDEC/mode
sysfs_write dynamic_ram_1 $CXL/$DCDEC/mode
expect_file "$DCDEC mode" dynamic_ram_1 $CXL/$DCDEC/mode
expect_errno ENOSPC 0x40000000 $CXL/$DCDEC/dpa_size $CXL/$DCDEC/dpa_resource
sysfs_write 0x10000000 $CXL/$DCDEC/dpa_size
expect_file "$DCDEC DPA inside the DC partition" 0x0 $CXL/$DCDEC/dpa_resource
sysfs_write 0x10000000 $R/size

# A static memdev's decoder, of the region's size, is refused as a DC target (no DCD).
klog_mark; mark=$KLOG_MARK
sysfs_write ram $CXL/$STDEC/mode
sysfs_write 0x10000000 $CXL/$STDEC/dpa_size
expect_errno EINVAL "$STDEC" $R/target0 $CXL/$STDEC/region
sysfs_write 0 $CXL/$STDEC/dpa_size

# The DC checks come first, ahead of the region lock and every other target check: a decoder of
# the static memdev that never had a mode (no partition) is refused with EINVAL (no DCD) by the
# DC region, where a RAM region answers ENODEV (no partition) for it. Not a failed attach either:
# no "failed to attach" warning.
STNONE=
for d in $CXL/$STEP/decoder*.*; do
	[ "$(cat $d/mode)" = none ] && { STNONE=$(basename $d); break; }
done
expect_errno EINVAL "$STNONE" $R/target0 $CXL/$STNONE/region
expect_eq "no 'failed to attach' warning for the DCD refusals" 0 \
	"$(klog_since "$mark" | grep -c 'failed to attach')"

# ... and the DC decoder is refused by a RAM region of its size (mode mismatch).
rd RR $CXL/$RD/create_ram_region
sysfs_write "$RR" $CXL/$RD/create_ram_region
sysfs_write 1 $CXL/$RR/interleave_ways
sysfs_write 256 $CXL/$RR/interleave_granularity
sysfs_write 0x10000000 $CXL/$RR/size
expect_errno ENODEV "$STNONE" $CXL/$RR/target0 $CXL/$STNONE/region
klog_mark
mark=$KLOG_MARK
expect_errno EINVAL "$DCDEC" $CXL/$RR/target0 $CXL/$DCDEC/region
log=$(klog_since "$mark")
case "$log" in
*"failed to attach $DCDEC to $RR: -22"*) ok "a failed RAM attach warns, as in C" ;;
*) not_ok "a failed RAM attach warns, as in C" ;;
esac
sysfs_write "$RR" $CXL/$RD/delete_region

sysfs_write "$DCDEC" $R/target0
expect_file "$DCDEC belongs to $name" "$name" $CXL/$DCDEC/region
sysfs_write 1 $R/commit
expect_file "$DCEP has one decoder committed" 1 $CXL/$DCEP/decoders_committed
hb=$(basename "$(readlink -f $CXL/$DCEP/..)")
expect_file "$hb (host bridge) has one decoder committed" 1 $CXL/$hb/decoders_committed
check "that decoder of $hb belongs to $name" sh -c "grep -lx $name $CXL/$hb/decoder*/region | grep -q ."

# Writes after commit change nothing.
expect_errno EBUSY 0x20000000 $R/size $R/resource
expect_errno EBUSY 512 $R/interleave_granularity
expect_errno EBUSY 1 $R/interleave_ways
expect_errno EINVAL 2 $R/interleave_ways
expect_errno EBUSY "$DCDEC" $R/target0 $CXL/$DCDEC/region
expect_errno EBUSY 0 $CXL/$DCDEC/dpa_size
expect_errno EBUSY dynamic_ram_1 $CXL/$DCDEC/mode

# The dax side.
sysfs_write "$name" /sys/bus/cxl/drivers/cxl_region/bind
Z=${name#region}
DAXDEV=dax$Z.0
if wait_for $DAX/$DAXDEV; then ok "$DAXDEV appears"; else not_ok "$DAXDEV appears"; fi
check "dax_region$Z exists under $name" test -d $R/dax_region$Z
DR=$(readlink -f $DAX/$DAXDEV/..)/dax_region
expect_file "dax_region$Z available_size" 0 $DR/available_size
expect_file "dax_region$Z size" 268435456 $DR/size
expect_file "dax_region$Z seed" $DAXDEV $DR/seed
expect_file "$DAXDEV size" 0 $DAX/$DAXDEV/size
check "$DAXDEV has no mapping attribute" test ! -e $DAX/$DAXDEV/mapping
# IORESOURCE_DAX_DCD alone, not with IORESOURCE_DAX_KMEM: the region's devices match device_dax
# (which refuses a 0-byte device), not kmem.
expect_errno ENODEV $DAXDEV /sys/bus/dax/drivers/kmem/bind $DAX/$DAXDEV/size
expect_errno ENXIO $DAXDEV /sys/bus/dax/drivers/device_dax/bind $DAX/$DAXDEV/size
check "$DAXDEV has no driver (nothing to map)" test ! -e $DAX/$DAXDEV/driver
expect_errno ENOSPC 1 $DR/create $DR/seed
# A DC dax device is not resized: it claims extents through its uuid (patches/0013).
expect_errno EOPNOTSUPP 0x200000 $DAX/$DAXDEV/size $DR/available_size
check "cxl list shows $name" sh -c "cxl list -R | grep -q '\"region\":\"$name\"'"
check "$name holds its HPA in /proc/iomem" sh -c "grep -q ' : $name\$' /proc/iomem"

# A RAM region on the static device works next to the live DC region.
DCNAME=$name
if ram_region_up $(static_memdev); then
	ram_region_down
fi
check "$DCNAME is still there" test -e $CXL/$DCNAME/dax_region$Z

# Teardown in the user's order, then the whole partition.
name=$DCNAME
R=$CXL/$name
sysfs_write "$name" /sys/bus/cxl/drivers/cxl_region/unbind
if wait_gone $DAX/$DAXDEV; then ok "$DAXDEV gone after unbind"; else not_ok "$DAXDEV gone after unbind"; fi
sysfs_write 0 $R/commit
expect_file "no decoder committed on $DCEP" 0 $CXL/$DCEP/decoders_committed
r=$( (echo >$R/target0) 2>&1) && ok "detach target0" || not_ok "detach target0: $r"
sysfs_write "$name" $CXL/$RD/delete_region
check "$name is gone" test ! -e $R
sysfs_write 0 $CXL/$DCDEC/dpa_size
expect_eq "the window is as before" "$iomem0" "$(iomem_cxl)"

if dc_region_up; then
	ok "re-created $REGION over the whole DC partition"
	DR=$(readlink -f $DAX/$DAXDEV/..)/dax_region
	expect_file "dax_region size" 536870912 $DR/size
	expect_file "available_size" 0 $DR/available_size
	expect_file "seed" $DAXDEV $DR/seed

	# dax_cxl unloaded under the live region: its dax devices go; back after the reload.
	r=$(rmmod dax_cxl 2>&1) && ok "rmmod dax_cxl with $REGION live" || not_ok "rmmod dax_cxl: $r"
	if wait_gone $DAX/$DAXDEV; then ok "$DAXDEV gone"; else not_ok "$DAXDEV gone"; fi
	r=$(insmod $MODDIR/dax_cxl.ko 2>&1) && ok "insmod dax_cxl" || not_ok "insmod dax_cxl: $r"
	if wait_for $DAX/$DAXDEV; then ok "seed $DAXDEV back"; else not_ok "seed $DAXDEV back"; fi
	expect_file "$DAXDEV size after reload" 0 $DAX/$DAXDEV/size

	# cxl_region unloaded with the DC region live and committed: torn down as delete_region would.
	reload_cxl_region
	check "create_dynamic_ram_1_region is back" test -e $C
	sysfs_write 0 $CXL/$EPDEC/dpa_size
	if dc_region_up; then
		ok "a DC region works after the reload"
		sysfs_write "$REGION" /sys/bus/cxl/drivers/cxl_region/unbind
		sysfs_write 0 $CXL/$REGION/commit
		sysfs_write "$REGION" $CXL/$RD/delete_region
		sysfs_write 0 $CXL/$EPDEC/dpa_size
	fi
fi
expect_eq "the window is as before at the end" "$iomem0" "$(iomem_cxl)"
