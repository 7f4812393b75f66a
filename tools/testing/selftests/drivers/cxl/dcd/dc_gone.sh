#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# A memdev goes with an Add Capacity chain open (fixture cxl_dcmock in front of the second DCD
# memdev's mailbox: QEMU sends every offer whole, the fixture can leave a More chain open). When
# cxl_pci lets the device go, its memdev goes, and its open chain must go with it, at once (not
# 20 s later, and never to a memdev that takes its place). The device bound again starts afresh: its
# next offer is judged alone, and answered (the fixture counts an answer to no offer as an error).
# Then the race of a DC region's target write against its memdev going, forced (cxl_region's
# fault point stall_attach_target holds the write after it found the endpoint decoder, while
# cxl_pci lets the device go): the write must answer ENODEV from the memdev-state check (upstream
# store_targetN()'s), attach nothing, and the region must go cleanly. A race test would only hope
# for that window (cxl_mem unbind, which races.sh does, never clears the memdev's state).
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

# rebind: cxl_pci takes the device again; M2 = its memdev once it has an endpoint (up to 20 s).
rebind() {
	local i=0
	sysfs_write $PCI /sys/bus/pci/drivers/cxl_pci/bind
	until M2=$(memdev_by_serial $SN) && endpoint_of $M2 >/dev/null; do
		i=$((i + 1))
		[ $i -lt 200 ] || break
		sleep 0.1
	done
	check "the device is back, with an endpoint ($M2)" endpoint_of "$M2"
}

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
rebind
mock "wrap $M2"
mock "mock 1"
mock_offers "add 0 0x200000 0 0 0"
expect_eq "the new offer is judged alone: one extent refused (no DC region)" 1 "$(refusals '')"
expect_eq "... and answered: the device saw no answer to an offer it did not make" 0 "$(mock_get errors)"
expect_eq "... its offer answered: none pending" "" "$(mock_get offered)"
mock unwrap
mock_unload

# ---- the memdev goes between the target write's decoder lookup and its memdev-state check
F=/sys/kernel/debug/cxl_region/stall_attach_target
if [ ! -d $F ]; then
	skip "a DC target write whose memdev goes meanwhile" "no cxl_region fault point (cxl_region not loaded, or no CONFIG_FAULT_INJECTION_DEBUG_FS)"
	exit 0
fi
RD=$(root_decoder)
MODE=dynamic_ram_1
MEMDEV=$M2
EP=$(endpoint_of $M2)
EPDEC=$(first_free_decoder $EP)
EPDECS=$EPDEC
check "a DC region sized over $EPDEC of $M2" s_sized
rd before $CXL/$REGION/target0
echo 1 >$F/hold
echo 1 >$F/verbose
echo 1 >$F/times
echo Y >$F/task-filter
echo 100 >$F/probability
klog_mark
mark=$KLOG_MARK
out=/tmp/.dc_gone.$$
# Only this shell's writes meet the point (task-filter); its target write stalls in it.
(echo 1 >/proc/self/make-it-fail; w_errno $EPDEC $CXL/$REGION/target0; echo $ERRNO >$out) &
stalled() { klog_since "$mark" | grep -q "name stall_attach_target"; }
i=0
until stalled; do
	i=$((i + 1))
	[ $i -lt 100 ] || break
	sleep 0.1
done
check "the target write stalls at the fault point" stalled
w_errno $PCI /sys/bus/pci/drivers/cxl_pci/unbind
expect_eq "cxl_pci lets $M2's device go while the write stalls" OK "$ERRNO"
check "$M2 is gone" wait_gone $CXL/$M2
echo 0 >$F/hold
wait
echo 0 >$F/probability
rd got $out
rm -f $out
expect_eq "the stalled target write answers ENODEV: its memdev has no state" ENODEV "$got"
rd after $CXL/$REGION/target0
expect_eq "$REGION has no target0 after it" "$before" "$after"
expect_eq "no kernel warning" "" "$(reports_since "$mark")"
teardown_one $REGION
check "$REGION goes" wait_gone $CXL/$REGION
rebind
