#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Bounded stress: several shells at once, for STRESS_SECONDS (default 20) per round, 2 rounds:
#  - full RAM region cycles on the static device (create ... dax online ... teardown);
#  - two shells racing to create and delete empty regions (the naming protocol answers EBUSY to
#    the loser, which is expected);
# with dax_cxl and cxl_region unloaded and reloaded between rounds on the project kernel.
# Afterwards no region is left, the root decoder's free HPA is back to its start value, and the
# kernel log is checked by the runner (lockdep, KASAN, WARN, kmemleak).
. "$(dirname "$0")/lib.sh"
ksft_main "$@"
need_static

secs=${STRESS_SECONDS:-20}
RD=$(root_decoder)
free0=$(cxl list -D -d $RD | tr -d ' \n' | sed -n 's/.*"max_available_extent":\([0-9]*\).*/\1/p')
check "root decoder free HPA is known ($free0)" test -n "$free0"

# empty_churn SECONDS: create and delete empty regions until the time is up; prints the count.
empty_churn() {
	local end n=0 name r
	now_set
	end=$((NOW_S + $1))
	while now_set && [ $NOW_S -lt "$end" ]; do
		rd name $CXL/$RD/create_ram_region
		w_errno "$name" $CXL/$RD/create_ram_region; r=$ERRNO
		case "$r" in
		OK)
			w_errno "$name" $CXL/$RD/delete_region; r=$ERRNO
			[ "$r" = OK ] || { echo "delete_region $name: $r"; return 1; }
			n=$((n + 1))
			;;
		EBUSY) ;;
		*) echo "create_ram_region $name: $r"; return 1 ;;
		esac
	done
	echo "$n"
}

# region_cycles SECONDS: full region cycles until the time is up; prints the count.
region_cycles() {
	local end n=0
	now_set
	end=$((NOW_S + $1))
	while now_set && [ $NOW_S -lt "$end" ]; do
		ram_region_up $(static_memdev) >/tmp/stress-cycle.log && ram_region_down >>/tmp/stress-cycle.log
		if grep -q '^not ok' /tmp/stress-cycle.log; then cat /tmp/stress-cycle.log; return 1; fi
		n=$((n + 1))
	done
	echo "$n"
}

CONCURRENT=1
round=1
while [ $round -le 2 ]; do
	region_cycles $secs >/tmp/stress-a.out 2>&1 &
	a=$!
	empty_churn $secs >/tmp/stress-b.out 2>&1 &
	b=$!
	empty_churn $secs >/tmp/stress-c.out 2>&1 &
	c=$!
	wait $a; ra=$?
	wait $b; rb=$?
	wait $c; rc=$?
	expect_eq "round $round: region cycles ($(tail -1 /tmp/stress-a.out))" 0 "$ra"
	[ $ra = 0 ] || diag "$(tail -20 /tmp/stress-a.out | tr '\n' ' ')"
	expect_eq "round $round: empty region churn, shell 1 ($(tail -1 /tmp/stress-b.out))" 0 "$rb"
	expect_eq "round $round: empty region churn, shell 2 ($(tail -1 /tmp/stress-c.out))" 0 "$rc"
	check "round $round: no region left" sh -c "! ls -d $CXL/region* >/dev/null 2>&1"
	if reloadable cxl_region && reloadable dax_cxl; then
		check "round $round: rmmod dax_cxl" rmmod dax_cxl
		check "round $round: rmmod cxl_region" rmmod cxl_region
		check "round $round: insmod cxl_region" insmod $MODDIR/cxl_region.ko
		check "round $round: insmod dax_cxl" insmod $MODDIR/dax_cxl.ko
	fi
	round=$((round + 1))
done
CONCURRENT=
free1=$(cxl list -D -d $RD | tr -d ' \n' | sed -n 's/.*"max_available_extent":\([0-9]*\).*/\1/p')
expect_eq "root decoder free HPA back to its start value" "$free0" "$free1"
