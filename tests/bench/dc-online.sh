#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Guest side of scripts/bench --online: N rounds, alternating, of
#  - Dynamic Capacity to System RAM: 256 MiB added from QEMU's monitor (the guest's qmp command),
#    timed until its extentZ.N device appears ("@@DC_ADD <ms>"); the seed claims it (uuid 0,
#    "@@DC_CLAIM"); daxctl reconfigure-device -m system-ram until every memory block is online
#    ("@@DC_ONLINE"); "@@DC_TOTAL" from the add to online. Then offline, devdax, resize 0, release.
#  - a static RAM region of the same size (the 256 MiB of the device with serial 0x2): create,
#    configure, commit and bind until its dax device appears ("@@RAM_REGION"), then until kmem
#    has onlined every block ("@@RAM_ONLINE"); "@@RAM_TOTAL" from the create to online. Then the
#    user's teardown.
# 10 ms resolution (/proc/uptime). The DC add includes the QMP round trip through the serial
# relay, measured alone first ("@@QMP <ms>").
cd /guest || exit 1
. ./lib.sh
n=${1:-5}
fail() { echo "bench: $*"; cat /tmp/bench.log 2>/dev/null; exit 1; }

round=0
while [ $round -lt "$n" ]; do
	t0=$(now_ms)
	qmp '{"execute": "query-status"}' >/dev/null || fail "qmp"
	echo "@@QMP $(($(now_ms) - t0))"
	round=$((round + 1))
done

dc_region_up >/tmp/bench.log || fail "DC region"
Z=${REGION#region}
DCR=$REGION DCRD=$RD DCDEC=$EPDEC
D=dax$Z.0
round=0
while [ $round -lt "$n" ]; do
	: >/tmp/bench.log
	t0=$(now_ms)
	dc_capacity add cxl-dcd0 0:256 >/dev/null || fail "add"
	until_present $CXL/dax_region$Z/extent$Z.0 4000 || fail "no extent device"
	t1=$(now_ms)
	echo 0 >$DAX/$D/uuid || fail "claim"
	t2=$(now_ms)
	daxctl reconfigure-device -m system-ram -f $D >/dev/null 2>&1 || fail "reconfigure-device"
	wait_online $D >>/tmp/bench.log || fail "online"
	t3=$(now_ms)
	echo "@@DC_ADD $((t1 - t0))"
	echo "@@DC_CLAIM $((t2 - t1))"
	echo "@@DC_ONLINE $((t3 - t2))"
	echo "@@DC_TOTAL $((t3 - t0))"
	daxctl offline-memory $D >>/tmp/bench.log 2>&1 || fail "offline"
	daxctl reconfigure-device -m devdax -f $D >/dev/null 2>&1 || fail "devdax"
	echo $D >/sys/bus/dax/drivers/device_dax/unbind
	dax_forget_ids $D
	echo 0 >$DAX/$D/size || fail "resize 0"
	dc_capacity release cxl-dcd0 0:256 >/dev/null || fail "release"
	until_gone $CXL/dax_region$Z/extent$Z.0 4000 || fail "extent stays"

	t0=$(now_ms)
	region_up ram $(memdev_by_serial 0x2) >>/tmp/bench.log || fail "RAM region"
	t1=$(now_ms)
	wait_online $DAXDEV >>/tmp/bench.log || fail "RAM online"
	t2=$(now_ms)
	echo "@@RAM_REGION $((t1 - t0))"
	echo "@@RAM_ONLINE $((t2 - t1))"
	echo "@@RAM_TOTAL $((t2 - t0))"
	ram_region_down >>/tmp/bench.log
	! grep -q '^not ok' /tmp/bench.log || fail "a step failed"
	round=$((round + 1))
done
