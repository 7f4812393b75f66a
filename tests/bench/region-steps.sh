#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Guest side of scripts/bench --steps: each step of a region's life timed alone (stepw: the
# write(2) of the step, CLOCK_MONOTONIC), N cycles of each variant:
#  - ram: a RAM region on the static device (serial 0x2), its dax device left unbound (no memory
#    hot-plug): create, ways, granularity, dpa_mode, dpa_size, size, attach, commit, bind (region
#    probe, cxl_dax_region, dax_cxl's dax region and device), unbind, decommit, detach, delete,
#    dpa_free;
#  - hotplug: the same with dax auto-binding on, so that kmem hot-adds the memory after the bind:
#    online is from the end of the bind's write until every memory block of the region is
#    online; offline (every block, summed) comes before unbind;
#  - dc (project kernel only): a Dynamic Capacity region on the DCD device (serial 0x1): the same
#    steps, and extent_add (a QMP add of 256 MiB until its extentZ.0 device is there), claim (the
#    seed takes the extent, uuid 0), unclaim (size 0) and extent_release (a QMP release until the
#    extent device is gone). The two extent steps are timed by the shell (/proc/uptime, 10 ms) and
#    include the guest's qmp command, about 0.7 s of serial relay under TCG.
# Prints "@@STEP VARIANT:CYCLE STEP NANOSECONDS" lines. With "profile" after the cycle count
# (scripts/bench --profile): the ram variant only, under tests/tools/ksample, whose samples taken
# during each step's write follow as "@@FOLD" lines.
cd /guest || exit 1
. ./lib.sh
# Our VM's DCD device (scripts/cxl-vm, default topology), for dc_add and dc_release.
DCD_QOM=/machine/peripheral/cxl-dcd0
n=${1:-10}
profile=${2:-}
fail() { echo "bench: $*"; exit 1; }
snapshot

# memory_blocks START SIZE: the state file of each memory block of the range.
memory_blocks() {
	local bs b
	bs=$((0x$(cat /sys/devices/system/memory/block_size_bytes)))
	b=$(($1 / bs))
	while [ $b -lt $((($1 + $2) / bs)) ]; do
		echo /sys/devices/system/memory/memory$b/state
		b=$((b + 1))
	done
}

# cycle_up VARIANT:CYCLE MODE SERIAL [online]: one cycle, up to bind; with "online", then until
# every memory block of the region is online.
cycle_up() {
	local m e st
	MODE=$2
	m=$(memdev_by_serial $3) && e=$(endpoint_of $m) && EPDEC=$(first_free_decoder $e) || fail "no decoder"
	size=$(cat $CXL/$m/$MODE/size)
	REGION=$(cat $CXL/$RD/create_${MODE}_region)
	stepw "$1" <<EOF || fail "$1 up"
create $CXL/$RD/create_${MODE}_region $REGION
ways $CXL/$REGION/interleave_ways 1
granularity $CXL/$REGION/interleave_granularity 256
dpa_mode $CXL/$EPDEC/mode $MODE
dpa_size $CXL/$EPDEC/dpa_size $size
size $CXL/$REGION/size $size
attach $CXL/$REGION/target0 $EPDEC
commit $CXL/$REGION/commit 1
EOF
	{
		echo "bind /sys/bus/cxl/drivers/cxl_region/bind $REGION"
		if [ "${4:-}" = online ]; then
			for st in $(memory_blocks $(($(cat $CXL/$REGION/resource))) $size); do
				echo "?online $st online"
			done
		fi
	} | stepw "$1" || fail "$1 bind"
}

cycle_down() {
	stepw "$1" <<EOF || fail "$1 down"
unbind /sys/bus/cxl/drivers/cxl_region/unbind $REGION
decommit $CXL/$REGION/commit 0
detach $CXL/$REGION/target0
delete $CXL/$RD/delete_region $REGION
dpa_free $CXL/$EPDEC/dpa_size 0
EOF
	wait_gone $DAX/dax${REGION#region}.0 || fail "$1: dax device stays"
}

# offline_lines DAXDEV: one "offline" step per online memory block of DAXDEV.
offline_lines() {
	local st
	for st in $(memory_blocks $(($(cat $DAX/$1/resource))) $(($(cat $DAX/$1/size)))); do
		[ "$(cat $st)" != online ] || echo "offline $st offline"
	done
}

c=1
dax_autoprobe 0
while [ $c -le "$n" ]; do
	# Profiled: the sampler from the second cycle on (the first is the warm-up).
	if [ "$profile" = profile ] && [ $c -eq 2 ]; then
		export STEPW_WINDOWS=/tmp/stepw.windows
		: >$STEPW_WINDOWS
		ksample $STEPW_WINDOWS &
		ks=$!
	fi
	cycle_up ram:$c ram 0x2
	cycle_down ram:$c
	c=$((c + 1))
done
if [ "$profile" = profile ]; then
	[ -n "${ks:-}" ] || fail "profile needs 2 cycles or more"
	kill -INT $ks
	wait $ks || fail "ksample failed"
	dax_autoprobe 1
	echo "@@DONE"
	exit 0
fi
dax_autoprobe 1
c=1
while [ $c -le "$n" ]; do
	cycle_up hotplug:$c ram 0x2 online
	D=dax${REGION#region}.0
	offline_lines $D | stepw hotplug:$c || fail "hotplug:$c offline"
	cycle_down hotplug:$c
	c=$((c + 1))
done
if [ -e $CXL/$RD/create_dynamic_ram_1_region ] && command -v qmp >/dev/null; then
	dax_autoprobe 0
	c=1
	while [ $c -le "$n" ]; do
		cycle_up dc:$c dynamic_ram_1 0x1
		Z=${REGION#region}
		t=$(now_ms)
		dc_add 0:256 >/dev/null || fail "dc:$c: QMP add"
		until_present $CXL/dax_region$Z/extent$Z.0 || fail "dc:$c: no extent device"
		echo "@@STEP dc:$c extent_add $((($(now_ms) - t) * 1000000))"
		stepw dc:$c <<EOF || fail "dc:$c claim"
claim $DAX/dax$Z.0/uuid 0
unclaim $DAX/dax$Z.0/size 0
EOF
		t=$(now_ms)
		dc_release 0:256 >/dev/null || fail "dc:$c: QMP release"
		until_gone $CXL/dax_region$Z/extent$Z.0 || fail "dc:$c: extent stays"
		echo "@@STEP dc:$c extent_release $((($(now_ms) - t) * 1000000))"
		cycle_down dc:$c
		c=$((c + 1))
	done
fi
dax_autoprobe 1
lo=$(left_over)
[ -z "$lo" ] || fail "left over: $lo"
echo "@@DONE"
