#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Guest side of scripts/bench --latency (bench kernels: kernel/bench.config, for the function
# tracer): how long Dynamic Capacity takes inside the guest, from trace timestamps (one buffer,
# one clock), never from the QMP round trip (the host's relay). ROUNDS rounds (the argument,
# default 10) for each N of 1, 10 and
# 100 extents in one offer, on a DC region over the first DCD memdev, with the fixture cxl_dcmock
# (tests/modules) as the device's Dynamic Capacity: QEMU's event log holds 8 records, so an offer
# of 10 or 100 extents cannot come from QEMU's monitor. The fixture queues the offer's N records
# ("hold 1") and lets the host read them in one pass ("hold 0"), as one interrupt would; a round:
#   DEVICE   the event path's read begins (cxl_mem_get_event_records()) -> the N-th extent
#            device is added (device_add(); an extent device is on no bus and in no class, so it
#            sends no uevent, as in the upstream series)
#   ADD      the same read -> the N-th extent is the dax region's, claimable
#            (dax_region_add_extent())
#   CLAIM    the write of the offer's tag to the seed's uuid begins -> device_dax is bound (the
#            write to device_dax/bind returns): daxctl's two steps; then the dax device gives the
#            memory back (unbind, size 0, deleted but for the region's first device)
#   RELEASE  the read of the release request begins (one record: the tag group goes whole) -> the
#            last Release DC mailbox command of it is issued (cxl_dc_mbox_cmd())
# The extents of an offer are 2 MiB each, one tag group (sequence 0: the partition is not
# shareable). Then QEMU's own device, from its event interrupt (irq_handler_entry of the memdev's
# PCI function): QDEVICE (-> the N-th extent device added) and QRELEASE (-> the last Release DC
# command) for offers of 1 and 8 extents from its monitor. Prints "@@LAT KIND N MICROSECONDS" per
# round. The function tracer records entries only: the claim's ends are marks in the trace.
cd /guest || exit 1
. ./lib.sh
ROUNDS=${1:-10}
T=/sys/kernel/tracing
[ -d $T/events ] || mount -t tracefs nodev $T
fail() { echo "bench: $*"; cat /tmp/bench.log 2>/dev/null; echo "${TR:-}" | tail -20; exit 1; }
[ -e $T/set_ftrace_filter ] || fail "no function tracer: boot a bench kernel (--kernel project-bench)"
[ -r "$MODDIR/cxl_dcmock.ko" ] || fail "no cxl_dcmock.ko in $MODDIR"

M=$(dcd_memdev)
MIB=1048576
insmod $MODDIR/cxl_dcmock.ko || fail "insmod cxl_dcmock"
mock "wrap $M" >/dev/null
mock "mock 1" >/dev/null
dc_region_up >/tmp/bench.log || fail "DC region"
Z=${REGION#region}
D=$CXL/dax_region$Z
DR=$D/dax_region
rd BASE $CXL/$EPDEC/dpa_resource
B=$((BASE))

echo 0 >$T/tracing_on
echo function >$T/current_tracer
printf '%s\n' cxl_mem_get_event_records device_add dax_region_add_extent cxl_dc_mbox_cmd >$T/set_ftrace_filter ||
	fail "cannot trace the functions"
echo 16384 >$T/buffer_size_kb

trace_on() { echo >$T/trace; echo 1 >$T/tracing_on; }
trace_off() { echo 0 >$T/tracing_on; TR=$(cat $T/trace); }
mark() { echo "$1" >$T/trace_marker; }
# span FIRST LAST [NTH]: microseconds from the first trace line matching FIRST to the NTH line
# (default 1) after it that matches LAST; empty if either is missing.
span() {
	echo "$TR" | awk -v a="$1" -v b="$2" -v n="${3:-1}" '
		/^#/ { next }
		{ ts = ""; for (i = 1; i <= NF; i++) if ($i ~ /^[0-9]+\.[0-9]+:$/) { ts = $i; break } }
		ts == "" { next }
		{ sub(/:$/, "", ts) }
		t0 == "" && $0 ~ a { t0 = ts; next }
		t0 != "" && $0 ~ b && ++k == n { printf "%d\n", (ts - t0) * 1000000 + 0.5; exit }'
}
count() { echo "$TR" | grep -c "$1"; }
# records N KIND: an offer (KIND add, N records) or a release request (KIND release, the first
# extent's record) of this round's tag group, read by the host in one pass.
records() {
	local i=0 more
	mock "hold 1" >/dev/null
	while [ $i -lt "$1" ]; do
		more=1
		[ $i = $(($1 - 1)) ] && more=0
		mock "$2 $((B + i * 2 * MIB)) 0x200000 $TAG 0 $more" >/dev/null
		i=$((i + 1))
	done
	mock "hold 0" >/dev/null
}
extents() { set -- $D/extent$Z.*; [ -e "$1" ] && echo $# || echo 0; }
until_extents() { # N: wait until there are N extent devices
	local i=0
	while [ "$(extents)" != "$1" ]; do
		i=$((i + 1))
		[ $i -lt 4000 ] || fail "$(extents) extent devices, not $1"
		sleep 0.005
	done
}
for n in 1 10 100; do
	r=0
	while [ $r -lt "$ROUNDS" ]; do
		TAG=$(printf '%08x-0000-4000-8000-%012x' "$n" "$r")
		trace_on
		records "$n" add
		until_extents "$n"
		trace_off
		[ "$(count ': device_add')" = "$n" ] || fail "add of $n: $(count ': device_add') devices added"
		[ "$(count ': dax_region_add_extent')" = "$n" ] || fail "add of $n: $(count ': dax_region_add_extent') dax extents"
		echo "@@LAT DEVICE $n $(span ': cxl_mem_get_event_records' ': device_add' "$n")"
		echo "@@LAT ADD $n $(span ': cxl_mem_get_event_records' ': dax_region_add_extent' "$n")"
		# daxctl create-device's first step: a free seed (the dax bus makes one if none)
		w_errno 1 $DR/create
		[ "$ERRNO" = OK ] || fail "create: $ERRNO"
		rd SEED $DR/seed
		trace_on
		mark claim
		echo "$TAG" >$DAX/$SEED/uuid || fail "claim of $n extents by $SEED"
		echo "$SEED" >/sys/bus/dax/drivers/device_dax/bind || fail "bind $SEED"
		mark bound
		trace_off
		rd SIZE $DAX/$SEED/size
		[ "$SIZE" = $((n * 2 * MIB)) ] || fail "$SEED holds $SIZE bytes, not $n extents"
		echo "@@LAT CLAIM $n $(span 'tracing_mark_write: claim' 'tracing_mark_write: bound')"
		echo "$SEED" >/sys/bus/dax/drivers/device_dax/unbind || fail "unbind $SEED"
		echo 0 >$DAX/$SEED/size || fail "give back $SEED"
		# the region's first device stays (the dax bus keeps id 0); later ones go
		[ "$SEED" = "dax$Z.0" ] || echo "$SEED" >$DR/delete || fail "delete $SEED"
		trace_on
		records 1 release
		until_extents 0
		trace_off
		k=$(count ': cxl_dc_mbox_cmd')
		[ "$k" -gt 0 ] || fail "release of $n: no Release DC"
		echo "@@LAT RELEASE $n $(span ': cxl_mem_get_event_records' ': cxl_dc_mbox_cmd' "$k")"
		r=$((r + 1))
	done
done
[ "$(mock_get errors)" = 0 ] || fail "the device saw wrong answers: $(mock_get last_error)"

# The device QEMU is, from its event interrupt: offers of 1 and 8 extents (its event log's most)
# from the monitor, then their release; the trace starts before the QMP command, and each span
# starts at the first interrupt of the memdev's PCI function (its event vector: the mailbox's
# interrupts come after the host's first command).
mock unwrap >/dev/null
rmmod cxl_dcmock || fail "rmmod cxl_dcmock"
DCD_QOM=$(qom_of "$M") || fail "no QEMU device for $M"
PCI=$(basename "$(dirname "$(readlink -f $CXL/$M)")")
echo 1 >$T/events/irq/irq_handler_entry/enable
IRQ="irq_handler_entry: irq=[0-9]+ name=$PCI"
for n in 1 8; do
	ext= i=0
	while [ $i -lt $n ]; do ext="$ext $((i * 2)):2"; i=$((i + 1)); done
	r=0
	while [ $r -lt "$ROUNDS" ]; do
		trace_on
		dc_add "$ext" >/dev/null || fail "QMP add"
		until_extents "$n"
		trace_off
		echo "@@LAT QDEVICE $n $(span "$IRQ" ': device_add' "$n")"
		trace_on
		dc_release "$ext" >/dev/null || fail "QMP release"
		until_extents 0
		trace_off
		k=$(count ': cxl_dc_mbox_cmd')
		[ "$k" -gt 0 ] || fail "QEMU release of $n: no Release DC"
		echo "@@LAT QRELEASE $n $(span "$IRQ" ': cxl_dc_mbox_cmd' "$k")"
		r=$((r + 1))
	done
done
echo 0 >$T/events/irq/irq_handler_entry/enable
