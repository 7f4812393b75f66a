#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Guest side of scripts/bench: N RAM region cycles on the static device (serial 0x2): create,
# configure, commit, bind, wait for the dax device to be onlined by kmem, then the full teardown.
# Prints "@@CYCLE <ms>" per cycle (10 ms resolution: /proc/uptime).
cd /guest || exit 1
. ./lib.sh
n=${1:-20}
cycle=0
while [ $cycle -lt "$n" ]; do
	t0=$(now_ms)
	ram_region_up $(memdev_by_serial 0x2) >/tmp/cycle.log || { cat /tmp/cycle.log; exit 1; }
	ram_region_down >>/tmp/cycle.log
	t1=$(now_ms)
	if grep -q '^not ok' /tmp/cycle.log; then cat /tmp/cycle.log; exit 1; fi
	echo "@@CYCLE $((t1 - t0))"
	cycle=$((cycle + 1))
done
