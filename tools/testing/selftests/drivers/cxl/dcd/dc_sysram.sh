#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Capacity is never given back while it is System RAM (QEMU). kmem onlines a claimed extent, then
# is unbound without offlining it: its remove cannot hot-remove memory that is online, so the
# memory stays System RAM ("cannot be hotremoved until the next reboot") while the dax device is
# free, and can be resized to 0, giving the extent back to the dax region. A release from the
# device must then be refused, and tried again, for as long as System RAM lies in the extent: the
# extent, its device and QEMU's copy stay (QEMU refuses a new offer of the range: "already
# accessible"), also once the memory blocks are offline (the memory map of hot-added memory lives
# in it until it is removed).
#
# The System RAM stays until the next reboot, so this test leaves its region up and must run last
# in its boot.
. "$(dirname "$0")/lib.sh"
ksft_main "$@"
need_dcd
need_qmp
command -v daxctl >/dev/null 2>&1 || skip_all "needs daxctl"
NO_OBS=1
MIB=1048576

# held WHY: the extent, its device and QEMU's copy are still there.
held() {
	local r
	expect_eq "$1: extent$Z.0 stays" "extent$Z.0=0x0:0x8000000" "$(extents_of $REGION)"
	r=$(dc_add 0:128)
	case "$r" in
	*"already accessible"*) ok "$1: QEMU still holds it for the host (a new offer is refused)" ;;
	*) not_ok "$1: QEMU still holds it for the host"; diag "QEMU: $r" ;;
	esac
}

if dc_region_up; then
	Z=${REGION#region}
	D=dax$Z.0
	expect_eq "add 128 MiB at 0" '{"return": {}}' "$(dc_add 0:128)"
	settle
	sysfs_write 0 $DAX/$D/uuid
	expect_file "$D claims it" $((128 * MIB)) $DAX/$D/size
	r=$(daxctl reconfigure-device -m system-ram -f $D 2>&1) && ok "daxctl reconfigure-device -m system-ram $D" || not_ok "daxctl reconfigure-device: $r"
	wait_online $D
	# kmem goes without offlining: the memory stays online.
	sysfs_write $D /sys/bus/dax/drivers/kmem/unbind
	check "the memory is still System RAM" grep -q "System RAM (kmem)" /proc/iomem
	dax_forget_ids $D
	sysfs_write 0 $DAX/$D/size
	expect_file "$D let the extent go" 0 $DAX/$D/size
	klog_mark
	mark=$KLOG_MARK
	expect_eq "QEMU asks for the 128 MiB back" '{"return": {}}' "$(dc_release 0:128)"
	sleep 3
	held "System RAM online"
	n=$(klog_since "$mark" | grep -c 'System RAM')
	expect_eq "the kernel says why (System RAM), once, not at every retry" 1 "$n"

	# Offline, but not removed: the memory blocks are still there.
	for b in /sys/devices/system/memory/memory*; do
		rd st $b/state
		[ "$st" = online ] || continue
		rd v $b/valid_zones
		case "$v" in Movable*) echo offline >$b/state 2>/dev/null ;; esac
	done
	sleep 2
	held "memory offline, not removed"
	diag "the region stays up: its System RAM cannot be removed until the next reboot"
fi
