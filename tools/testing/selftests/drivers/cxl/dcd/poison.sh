#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Poison in a RAM region (QEMU's static device; both kernels): what the core asks of the region
# code when it traces poison (cxl_dpa_to_region(), cxl_dpa_to_hpa()) and when it lists a memdev
# with committed decoders (cxl_get_poison_by_endpoint()). Poison injected through the memdev's
# debugfs inject_poison at a DPA the region maps is traced (cxl:cxl_poison, trace_type=Inject)
# with the region's name and the HPA the DPA decodes to; trigger_poison_list then lists it
# (trace_type=List) the same way, and no more once clear_poison cleared it. Without a region the
# same poison is listed with no region and no HPA. Upstream ndctl's cxl-poison.sh checks the same
# records on cxl_test; this is the QEMU device, whose monitor also poisons its own list
# (cxl-inject-poison: listed in the region, also by the real client's cxl list --media-errors).
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
u='[-0-9a-f]*'

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
	# Poison the device itself knows of (QEMU's cxl-inject-poison, into its own list, no
	# mailbox command from this host): listed in the region, also by the real client.
	if has_qmp && Q=$(qom_of $M); then
		dpa3=$(printf '0x%x' $((base + 0x3000)))
		hpa3=$(printf '0x%x' $((start + 0x3000)))
		r=$(qmp "{\"execute\": \"cxl-inject-poison\", \"arguments\": {\"path\": \"$Q\", \"start\": $((dpa3)), \"length\": 128}}")
		expect_eq "QEMU's monitor poisons 128 bytes at DPA $dpa3 of $M" '{"return": {}}' "$r"
		poison_trace list
		traced "trigger_poison_list lists QEMU's poison in $REGION at HPA $hpa3" \
			"^memdev=$M trace_type=List region=$REGION region_uuid=$u hpa=$hpa3 hpa_alias0=0xffffffffffffffff dpa=$dpa3 dpa_length=0x80 "
		obs qemu "$(echo "$POISON" | sed "s/region_uuid=[^ ]* //; s/$hpa3/HPA/; s/$dpa3/DPA/; s/memdev=$M/memdev=M/")"
		if command -v cxl >/dev/null; then
			out=$(cxl list -r $REGION --media-errors 2>&1)
			obs client "$(echo "$out" | tr -d ' \n')"
			check "cxl list -r $REGION --media-errors names offset $(printf '%#x' 0x3000) and length 128" \
				sh -c "echo '$out' | tr -d ' \n' | grep -q '\"offset\":12288,\"length\":128'"
		fi
		sysfs_write $dpa3 $DBG/clear_poison
		sysfs_write $(printf '0x%x' $((base + 0x3040))) $DBG/clear_poison
	else
		skip "QEMU's own poison" "no qmp command reaching this guest's monitor"
	fi
	# The region's own files take an offset into the region (cxl_region_setup_poison()).
	RDBG=/sys/kernel/debug/cxl/$REGION
	if check "$REGION has debugfs inject_poison and clear_poison" test -e $RDBG/inject_poison -a -e $RDBG/clear_poison; then
		dpa2=$(printf '0x%x' $((base + 0x2040)))
		hpa2=$(printf '0x%x' $((start + 0x2040)))
		poison_trace sysfs_write 0x2040 $RDBG/inject_poison
		traced "offset 0x2040 of $REGION poisons $M at DPA $dpa2 (HPA $hpa2)" \
			"^memdev=$M trace_type=Inject region=$REGION region_uuid=$u hpa=$hpa2 hpa_alias0=0xffffffffffffffff dpa=$dpa2 dpa_length=0x40 "
		poison_trace list
		traced "it is listed at that DPA" "^memdev=$M trace_type=List region=$REGION .*hpa=$hpa2 .*dpa=$dpa2 dpa_length=0x40 source=Injected "
		poison_trace sysfs_write 0x2040 $RDBG/clear_poison
		traced "the region's clear_poison clears it" "^memdev=$M trace_type=Clear region=$REGION .*dpa=$dpa2 "
		poison_trace list
		expect_eq "nothing listed once cleared through the region" 0 "$(echo "$POISON" | grep -c 'trace_type=List')"
		# An offset past the region's end: EINVAL, and nothing reaches the device.
		rd size $CXL/$REGION/size
		poison_trace w_errno "$(printf "%#x" $((size)))" $RDBG/inject_poison
		expect_eq "offset $(printf '%#x' $((size))) (the region's size) is refused with EINVAL" EINVAL "$ERRNO"
		expect_eq "and nothing is injected" "" "$POISON"
		obs region "records $(echo "$POISON" | grep -c 'trace_type=') errno $ERRNO"
	fi
	ram_region_down
	check "$RDBG is gone with the region" test ! -e $RDBG
	# With no decoder committed the core lists by memdev: the same poison, with no region.
	poison_trace sysfs_write $dpa $DBG/inject_poison
	traced "with no region the injection is traced without one" \
		"^memdev=$M trace_type=Inject region= region_uuid=0{8}-0{4}-0{4}-0{4}-0{12} hpa=0xffffffffffffffff hpa_alias0=0xffffffffffffffff dpa=$dpa "
	poison_trace list
	traced "and listed without one" "^memdev=$M trace_type=List region= .*hpa=0xffffffffffffffff .*dpa=$dpa dpa_length=0x40 source=Injected "
	sysfs_write $dpa $DBG/clear_poison
fi
# A 2-way region over two static devices (256-byte granularity): offset 0x340 is the fourth
# chunk, position 1, the second device's second chunk: DPA base + 0x140; listing that device
# names the region and HPA start + 0x340 back (the DPA to HPA of position 1).
if M2=$(static_memdev 2) && DPA_SIZE= ram_region_up "$M" "$M2"; then
	set -- $EPDECS
	rd base2 $CXL/$2/dpa_resource
	rd start $CXL/$REGION/resource
	dpa2=$(printf '0x%x' $((base2 + 0x140)))
	hpa2=$(printf '0x%x' $((start + 0x340)))
	RDBG=/sys/kernel/debug/cxl/$REGION
	poison_trace sysfs_write 0x340 $RDBG/inject_poison
	traced "offset 0x340 of the 2-way $REGION poisons $M2 at DPA $dpa2 (HPA $hpa2)" \
		"^memdev=$M2 trace_type=Inject region=$REGION region_uuid=$u hpa=$hpa2 hpa_alias0=0xffffffffffffffff dpa=$dpa2 dpa_length=0x40 "
	DBG2=/sys/kernel/debug/cxl/$M2
	poison_trace sysfs_write 1 $CXL/$M2/trigger_poison_list
	traced "$M2 lists it in $REGION at HPA $hpa2" "^memdev=$M2 trace_type=List region=$REGION .*hpa=$hpa2 .*dpa=$dpa2 dpa_length=0x40 source=Injected "
	poison_trace sysfs_write 1 $CXL/$M/trigger_poison_list
	expect_eq "$M lists nothing" 0 "$(echo "$POISON" | grep -c 'trace_type=List')"
	obs interleave "$(echo "$POISON" | grep -c trace_type=) $(printf '%#x %#x' $((dpa2 - base2)) $((hpa2 - start)))"
	sysfs_write 0x340 $RDBG/clear_poison
	ram_region_down
fi
left "poison" ok
