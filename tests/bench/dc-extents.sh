#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Guest side of scripts/bench --extents: on a DC region over the DCD device (serial 0x1), N rounds
# of: one 2 MiB extent added from QEMU's monitor (the guest's qmp command), timed until its
# extentZ.N device appears ("@@ADD <ms>"), then released and timed until the device is gone
# ("@@RELEASE <ms>"); then N rounds of one add of 8 extents (the most QEMU's event log holds),
# timed until the eighth device appears ("@@ADD8 <ms>"). 10 ms resolution (/proc/uptime); the
# times include the QMP round trip through the serial relay, measured alone first ("@@QMP <ms>").
cd /guest || exit 1
. ./lib.sh
n=${1:-10}
add() { dc_capacity add cxl-dcd0 "$1" >/dev/null; }
release() { dc_capacity release cxl-dcd0 "$1" >/dev/null; }

dc_region_up >/tmp/up.log || { cat /tmp/up.log; exit 1; }
# The transport alone: a QMP command that does nothing.
r=0
while [ $r -lt "$n" ]; do
	t0=$(now_ms)
	qmp '{"execute": "query-status"}' >/dev/null || exit 1
	echo "@@QMP $(($(now_ms) - t0))"
	r=$((r + 1))
done
Z=${REGION#region}
D=$CXL/dax_region$Z
r=0
while [ $r -lt "$n" ]; do
	t0=$(now_ms)
	add 0:2 || exit 1
	until_present $D/extent$Z.0 || { echo "no extent device"; exit 1; }
	t1=$(now_ms)
	release 0:2 || exit 1
	until_gone $D/extent$Z.0 || { echo "extent device stays"; exit 1; }
	t2=$(now_ms)
	echo "@@ADD $((t1 - t0))"
	echo "@@RELEASE $((t2 - t1))"
	r=$((r + 1))
done
eight="0:2 2:2 4:2 6:2 8:2 10:2 12:2 14:2"
r=0
while [ $r -lt "$n" ]; do
	t0=$(now_ms)
	add "$eight" || exit 1
	until_present $D/extent$Z.7 || { echo "no eighth extent device"; exit 1; }
	t1=$(now_ms)
	echo "@@ADD8 $((t1 - t0))"
	release "$eight" || exit 1
	until_gone $D/extent$Z.0 || exit 1
	until_gone $D/extent$Z.7 || exit 1
	r=$((r + 1))
done
