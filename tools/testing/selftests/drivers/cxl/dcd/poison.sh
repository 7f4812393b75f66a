#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Poison in a RAM region (QEMU's static device; both kernels): what the core asks of the region
# code when it traces poison (cxl_dpa_to_region(), cxl_dpa_to_hpa()) and when it lists a memdev
# with committed decoders (cxl_get_poison_by_endpoint()). Poison injected through the memdev's
# debugfs inject_poison at a DPA the region maps is traced (cxl:cxl_poison, trace_type=Inject)
# with the region's name and the HPA the DPA decodes to; trigger_poison_list then lists it
# (trace_type=List) the same way, and no more once clear_poison cleared it. Without a region the
# same poison is listed with no region and no HPA. Upstream ndctl's cxl-poison.sh checks the same
# records on cxl_test; this is the QEMU device.
. "$(dirname "$0")/lib.sh"
ksft_main "$@"
need_static
M=$(static_memdev)
DBG=/sys/kernel/debug/cxl/$M
[ -e $DBG/inject_poison ] || skip_all "$M has no debugfs inject_poison (no debugfs, or the device does not inject poison)"
T=/sys/kernel/tracing
[ -d $T/events ] || mount -t tracefs nodev $T 2>/dev/null
[ -d $T/events/cxl/cxl_poison ] || skip_all "no cxl:cxl_poison trace event (tracing off)"
snapshot

# poison_trace CMD...: runs CMD with cxl:cxl_poison traced; POISON = the records, one a line,
# from "memdev=" on, with host= and serial= dropped (they differ between boots).
poison_trace() {
	echo >$T/trace
	echo 1 >$T/events/cxl/cxl_poison/enable
	"$@"
	echo 0 >$T/events/cxl/cxl_poison/enable
	rd_all POISON $T/trace
	POISON=$(echo "$POISON" | sed -n 's/.*cxl_poison: \(memdev=.*\)/\1/p' | sed 's/ host=[^ ]* serial=[0-9]*//')
}

# traced DESCRIPTION PATTERN: one TAP line: a record of POISON matches PATTERN (an ERE).
traced() {
	if echo "$POISON" | grep -qE "$2"; then ok "$1"; else not_ok "$1"; diag "records: ${POISON:-none}"; diag "expected: $2"; fi
}

# list: trigger_poison_list of $M.
list() { sysfs_write 1 $CXL/$M/trigger_poison_list; }

if DPA_SIZE= ram_region_up "$M"; then
	rd base $CXL/$EPDEC/dpa_resource
	rd start $CXL/$REGION/resource
	dpa=$(printf '0x%x' $((base + 0x1000)))
	hpa=$(printf '0x%x' $((start + 0x1000)))
	u='[-0-9a-f]*'
	poison_trace sysfs_write $dpa $DBG/inject_poison
	traced "the injection is traced in $REGION at HPA $hpa" \
		"^memdev=$M trace_type=Inject region=$REGION region_uuid=$u hpa=$hpa hpa_alias0=0xffffffffffffffff dpa=$dpa dpa_length=0x40 "
	obs inject "$(echo "$POISON" | sed "s/region_uuid=[^ ]* //; s/$hpa/HPA/; s/$dpa/DPA/; s/memdev=$M/memdev=M/")"
	poison_trace list
	traced "trigger_poison_list lists it in $REGION at HPA $hpa" \
		"^memdev=$M trace_type=List region=$REGION region_uuid=$u hpa=$hpa hpa_alias0=0xffffffffffffffff dpa=$dpa dpa_length=0x40 source=Injected "
	expect_eq "one record listed" 1 "$(echo "$POISON" | grep -c 'trace_type=List')"
	obs list "$(echo "$POISON" | sed "s/region_uuid=[^ ]* //; s/$hpa/HPA/; s/$dpa/DPA/; s/memdev=$M/memdev=M/")"
	poison_trace sysfs_write $dpa $DBG/clear_poison
	traced "the clearing is traced in $REGION" "^memdev=$M trace_type=Clear region=$REGION region_uuid=$u hpa=$hpa .*dpa=$dpa "
	poison_trace list
	expect_eq "nothing listed once cleared" 0 "$(echo "$POISON" | grep -c "trace_type=List.* dpa=$dpa ")"
	ram_region_down
	# With no decoder committed the core lists by memdev: the same poison, with no region.
	poison_trace sysfs_write $dpa $DBG/inject_poison
	traced "with no region the injection is traced without one" \
		"^memdev=$M trace_type=Inject region= region_uuid=0{8}-0{4}-0{4}-0{4}-0{12} hpa=0xffffffffffffffff hpa_alias0=0xffffffffffffffff dpa=$dpa "
	poison_trace list
	traced "and listed without one" "^memdev=$M trace_type=List region= .*hpa=0xffffffffffffffff .*dpa=$dpa dpa_length=0x40 source=Injected "
	sysfs_write $dpa $DBG/clear_poison
fi
left "poison" ok
