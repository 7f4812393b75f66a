#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# A Dynamic Capacity Device that cannot have its event interrupt (a boot without MSI/MSI-X:
# pci=nomsi) gets no Dynamic Capacity at all: the core decides so before it builds the partitions,
# so no memdev shows a dynamic_ram_1 partition, no endpoint decoder takes that mode, and the kernel
# says why. (Before, the partition was built first and outlived the decision: visible and
# allocatable on a device whose DC events would never be read.)
. "$(dirname "$0")/lib.sh"
ksft_main "$@"
grep -qw pci=nomsi /proc/cmdline || skip_all "needs a boot without MSI/MSI-X (pci=nomsi)"
NO_OBS=1
n=$(dmesg | grep -c 'No interrupt support, Dynamic Capacity disabled')
[ "$n" -gt 0 ] || skip_all "no memdev with Dynamic Capacity support in this boot"
ok "the kernel says why for $n device(s): no interrupt support, Dynamic Capacity disabled"
for m in $CXL/mem*; do
	[ -e "$m/serial" ] || continue
	check "${m##*/} shows no dynamic_ram_1 partition" test ! -e "$m/dynamic_ram_1"
done
for d in $CXL/endpoint*/decoder*.*; do
	[ -e "$d/mode" ] || continue
	expect_errno EINVAL dynamic_ram_1 $d/mode $d/dpa_size
done
