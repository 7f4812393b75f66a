#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# A memdev goes with an Add Capacity chain open (fixture cxl_dcmock in front of the second DCD
# memdev's mailbox: QEMU sends every offer whole, the fixture can leave a More chain open). When
# cxl_pci lets the device go, its memdev goes, and its open chain must go with it, at once (not
# 20 s later, and never to a memdev that takes its place). The device bound again starts afresh: its
# next offer is judged alone, and answered (the fixture counts an answer to no offer as an error).
. "$(dirname "$0")/lib.sh"
ksft_main "$@"
need_dcd 2
need_dcmock
NO_OBS=1
M=$(dcd_memdev 2)
rd SN $CXL/$M/serial
PCI=$(readlink -f $CXL/$M/..)
PCI=${PCI##*/}
[ -e /sys/bus/pci/drivers/cxl_pci/$PCI ] || skip_all "$M's parent $PCI is not bound to cxl_pci"

mock_load
mock "wrap $M"
mock "mock 1"
klog_mark
mark=$KLOG_MARK
mock "add 0 0x200000 0 0 1"
sysfs_write $PCI /sys/bus/pci/drivers/cxl_pci/unbind
check "$M is gone" wait_gone $CXL/$M
log=$(klog_since "$mark")
case "$log" in
*"$M: gone with an Add Capacity chain of 1 extents open: dropped"*) ok "the open chain went with $M" ;;
*) not_ok "the open chain went with $M"; diag "kernel log since the mark:"; echo "$log" | tail -5 | sed 's/^/# /' ;;
esac
sysfs_write $PCI /sys/bus/pci/drivers/cxl_pci/bind
i=0
until M2=$(memdev_by_serial $SN) && endpoint_of $M2 >/dev/null; do
	i=$((i + 1))
	[ $i -lt 200 ] || break
	sleep 0.1
done
check "the device is back, with an endpoint ($M2)" endpoint_of "$M2"
mock "wrap $M2"
mock "mock 1"
klog_mark
mark=$KLOG_MARK
mock "add 0 0x200000 0 0 0"
settle
n=$(klog_since "$mark" | grep -c 'not accepted')
expect_eq "the new offer is judged alone: one extent refused (no DC region)" 1 "$n"
expect_eq "... and answered: the device saw no answer to an offer it did not make" 0 "$(mock_get errors)"
expect_eq "... its offer answered: none pending" "" "$(mock_get offered)"
mock unwrap
mock_unload
