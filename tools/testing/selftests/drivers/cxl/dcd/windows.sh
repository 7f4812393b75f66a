#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Which root decoders (CXL windows) offer which region files, on every window the platform has:
# create_ram_region where the window can map type-3 RAM (cap_type3 and cap_ram, can_create_ram()),
# on both kernels; on a kernel with DC regions, create_dynamic_ram_1_region exactly where
# create_ram_region is, and cap_dynamic_ram_1 equal to cap_ram (patch 0006). QEMU's windows all
# map RAM, so the absence half is shown where a window cannot: cxl_test's PMEM-only windows (the
# test loads cxl_test when its module is installed and no CXL window is there yet, as in
# `make ndctl`'s boots); where every window maps RAM it says so and skips that half.
. "$(dirname "$0")/lib.sh"
ksft_main "$@"
NO_OBS=1
loaded=
if ! ls -d $CXL/decoder0.* >/dev/null 2>&1; then
	if r=$(modprobe cxl_test 2>&1); then
		ok "modprobe cxl_test"
		loaded=1
		wait_for $CXL/root0 || :
		sleep 2
	else
		diag "no CXL window, and no cxl_test to load: $r"
	fi
fi
dc=
[ ! -e "$CXL/$(root_decoder 2>/dev/null)/create_dynamic_ram_1_region" ] || dc=1
n=0 without=0
for d in $CXL/root*/decoder*.*; do
	[ -e "$d/cap_ram" ] || continue
	name=${d##*/}
	n=$((n + 1))
	rd ram $d/cap_ram
	rd t3 $d/cap_type3
	can=0
	[ "$ram$t3" != 11 ] || can=1
	[ "$can" = 1 ] || without=$((without + 1))
	has=0
	[ ! -e $d/create_ram_region ] || has=1
	expect_eq "$name (cap_ram $ram, cap_type3 $t3): create_ram_region offered $([ $can = 1 ] && echo yes || echo no)" "$can" "$has"
	if [ -n "$dc" ]; then
		hasdc=0
		[ ! -e $d/create_dynamic_ram_1_region ] || hasdc=1
		expect_eq "$name: create_dynamic_ram_1_region where create_ram_region is" "$has" "$hasdc"
		rd cdc $d/cap_dynamic_ram_1
		expect_eq "$name: cap_dynamic_ram_1 is cap_ram" "$ram" "$cdc"
	fi
done
[ $n -gt 0 ] || skip_all "no CXL root decoder"
if [ $without = 0 ]; then
	skip "a window that cannot map RAM offers no RAM or DC region file" "all $n windows here map RAM (QEMU's do; cxl_test has PMEM-only ones)"
else
	ok "$without of $n windows cannot map RAM: the rule was checked where it can fail"
fi
if [ -n "$loaded" ]; then
	r=$(rmmod cxl_test 2>&1) && ok "rmmod cxl_test" || not_ok "rmmod cxl_test: $r"
fi
