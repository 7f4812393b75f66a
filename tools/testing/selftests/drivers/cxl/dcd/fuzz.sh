#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Sysfs fuzzer: FUZZ_WRITES (default 2000) random writes, seeded (FUZZ_SEED, printed; the same seed
# makes the same choices), to every writable attribute of every CXL and dax device that exists at
# that moment, and to the bind/unbind files of the region and dax drivers. Values mix hostile input
# (out-of-range, negative and overflowing numbers, empty, overlong, junk after a valid prefix,
# names of other objects) with values valid for the attribute; now and then a whole valid flow
# (a RAM region up on the static device, a DC region up on the DCD device, QMP adds and releases of
# extents, a claim, a teardown) takes it to deep states. Afterwards an administrator's teardown must
# leave no region, no HPA in /proc/iomem, no DPA allocation and no dax device, and a fresh RAM
# region and a fresh DC region (with an extent, claimed and given back) must work end to end. The
# runner fails the run on any lockdep, KASAN, WARN, BUG or kmemleak report.
#
# Reproduce or soak: scripts/cxl-vm --kernel project run scripts/guest/run-tests.sh \
#	FUZZ_SEED=N FUZZ_WRITES=M fuzz         (or scripts/soak)
. "$(dirname "$0")/lib.sh"
ksft_main "$@"
need_static
NO_OBS=1
writes=${FUZZ_WRITES:-2000}
S=${FUZZ_SEED:-$(($(date +%s) % 1000000))}
diag "fuzz seed $S, $writes writes (FUZZ_SEED=$S FUZZ_WRITES=$writes to repeat)"
MIB=1048576
snapshot
DC=
[ -e $CXL/$RD/create_dynamic_ram_1_region ] && dcd_memdev >/dev/null && DC=1
qmp_ok=
[ -n "$DC" ] && command -v qmp >/dev/null && DCD_QOM=$(qom_of $(dcd_memdev)) && qmp_ok=1

# pick WORD...: V = one of the words.
pick() {
	rnd
	shift $((R % $#))
	V=$1
}
long=$(printf '%05000d' 7)
hostile() {
	rnd
	case $((R % 24)) in
	0) V= ;;
	1) V=-1 ;;
	2) V=18446744073709551615 ;;
	3) V=18446744073709551616 ;;
	4) V=0x10000000000000000 ;;
	5) V=99999999999999999999999999 ;;
	6) V=$long ;;
	7) V="1junk" ;;
	8) V="0x" ;;
	9) V=" 1" ;;
	10) V="ram x" ;;
	11) V="-0" ;;
	12) V="+1" ;;
	13) V="1e3" ;;
	14) V="%s%n%x" ;;
	15) V="region99999" ;;
	16) V="decoder0.0" ;;
	17) pick $NAMES ;;
	18) pick $NAMES; V="$V$V" ;;
	19) V="0 1" ;;
	20) V=$(printf '\001\377') ;;
	21) V="4294967296" ;;
	22) V="-2147483648" ;;
	*) V="../../../" ;;
	esac
}
# names: every CXL and dax object name, for values and for bind/unbind (globs, no fork).
names() {
	local d
	NAMES= REGIONS= EPDECS= DAXDEVS= DAXREGIONS=dax_region0
	for d in $CXL/* $DAX/*; do [ ! -e "$d" ] || NAMES="$NAMES ${d##*/}"; done
	for d in $CXL/region*; do [ ! -e "$d" ] || REGIONS="$REGIONS ${d##*/}"; done
	for d in $CXL/endpoint*/decoder[0-9]*; do [ ! -e "$d" ] || EPDECS="$EPDECS ${d##*/}"; done
	for d in $DAX/*; do [ ! -e "$d" ] || DAXDEVS="$DAXDEVS ${d##*/}"; done
	for d in $CXL/dax_region*; do [ ! -e "$d" ] || DAXREGIONS="$DAXREGIONS ${d##*/}"; done
	[ -n "$NAMES" ] || NAMES=none
	[ -n "$REGIONS" ] || REGIONS=region0
	[ -n "$EPDECS" ] || EPDECS=decoder0.0
	[ -n "$DAXDEVS" ] || DAXDEVS=dax0.0
}
# scan: ATTRS, the writable attribute files there are now (not security/ or firmware: sanitize and
# erase would wipe the device, they are not ours), and the drivers' bind/unbind (not kmem's: kmem
# onlines memory, and memory online when its dax device goes stays "until reboot", by design, on
# the C original too; so the RAM flow below also takes its memory offline at once). One fork.
scan() {
	ATTRS="$(find $CXL/*/ $CXL/*/dax_region/ $DAX/*/ -maxdepth 1 -type f -perm -200 ! -name uevent \
		! -path '*/security/*' ! -path '*firmware*' ! -name 'fw_*' 2>/dev/null)
		/sys/bus/cxl/drivers/cxl_region/bind /sys/bus/cxl/drivers/cxl_region/unbind
		/sys/bus/cxl/drivers/cxl_dax_region/bind /sys/bus/cxl/drivers/cxl_dax_region/unbind
		/sys/bus/dax/drivers/device_dax/bind /sys/bus/dax/drivers/device_dax/unbind"
	set -- $ATTRS
	NATTRS=$#
	names
}
# valid FILE: V = a value that is valid for FILE in some state.
valid() {
	case ${1##*/} in
	create_*_region) rd V $1 ;;
	delete_region|bind|unbind)
		case $1 in
		*/dax/*) pick $DAXDEVS ;;
		*cxl_dax_region*) pick $DAXREGIONS ;;
		*) pick $REGIONS ;;
		esac ;;
	commit) pick 0 1 1 ;;
	target[0-9]*) pick $EPDECS "" ;;
	mode) pick ram ram dynamic_ram_1 pmem ;;
	dpa_size) pick 0 0x10000000 0x20000000 0x8000000 0x200000 ;;
	size)
		case $1 in
		$DAX/*) pick 0 0x200000 0x8000000 ;;
		*) pick 0x10000000 0x20000000 0x8000000 0x30000000 ;;
		esac ;;
	interleave_ways) pick 1 1 1 2 4 ;;
	interleave_granularity) pick 256 256 4096 512 ;;
	uuid) pick 0 0 0 aaaaaaaa-0000-4000-8000-000000000001 ;;
	create) V=1 ;;
	delete) pick $DAXDEVS ;;
	align) pick 4096 2097152 1073741824 ;;
	*) pick 0 1 ;;
	esac
}
EXTENTS="0:2 4:2 8:128 256:2 300:64"
# flow: one whole valid step, output and TAP lines dropped (the fuzzed state may refuse it).
flow() {
	rnd
	case $((R % 6)) in
	0) (ram_region_up $(static_memdev) && dax_offline $DAXDEV) >/dev/null 2>&1 ;;
	1) [ -z "$DC" ] || (dc_region_up) >/dev/null 2>&1 ;;
	2) [ -z "$qmp_ok" ] || { pick $EXTENTS; dc_capacity add "$DCD_QOM" "$V" >/dev/null 2>&1; } ;;
	3) [ -z "$qmp_ok" ] || { pick $EXTENTS; dc_capacity release "$DCD_QOM" "$V" >/dev/null 2>&1; } ;;
	4) pick $DAXDEVS; [ ! -e $DAX/$V/uuid ] || echo 0 >$DAX/$V/uuid 2>/dev/null ;;
	*) pick $REGIONS; [ ! -e $CXL/$V ] || teardown_one $V ;;
	esac
}
scan
accepted=0 refused=0 flows=0 n=0 t_flows=0 t_scan=0 rescan= scanned=0
t_start=$(now_ms)
errnos=
# The kernel log is checked at every scan, since the last one: a window of the whole fuzz could
# outgrow the log buffer.
klog_mark; mark=$KLOG_MARK reports=
checklog() {
	local r
	r=$(reports_since "$mark")
	[ -z "$r" ] || reports="$reports$r
"
	klog_mark; mark=$KLOG_MARK
}
while [ $n -lt "$writes" ]; do
	n=$((n + 1))
	# A scan costs about 2 s under TCG: after a write that may have made or removed devices, at
	# most every 100 writes; else every 250. Files that went meanwhile answer ENOENT.
	if { [ -n "$rescan" ] && [ $((n - scanned)) -ge 100 ]; } || [ $((n - scanned)) -ge 250 ]; then
		rescan= scanned=$n
		t0=$(now_ms)
		scan
		checklog
		t_scan=$((t_scan + $(now_ms) - t0))
	fi
	rnd
	if [ $((R % 100)) -eq 0 ]; then
		t0=$(now_ms)
		flow
		flows=$((flows + 1))
		scan
		checklog
		scanned=$n
		t_flows=$((t_flows + $(now_ms) - t0))
		continue
	fi
	rnd
	set -- $ATTRS
	eval A=\${$((R % NATTRS + 1))}
	rnd
	if [ $((R % 2)) -eq 0 ]; then valid $A; else hostile; fi
	w_errno "$V" "$A"
	if [ $ERRNO = OK ]; then
		accepted=$((accepted + 1))
		case ${A##*/} in create*|delete*|bind|unbind|commit|uuid) rescan=1 ;; esac
	else
		refused=$((refused + 1))
		add_word errnos $ERRNO
	fi
done
ok "$writes writes: $accepted accepted, $refused refused ($errnos ), $flows valid flows"
diag "fuzz took $(($(now_ms) - t_start)) ms: flows $t_flows ms, attribute scans $t_scan ms"
checklog
expect_eq "no kernel report during the fuzz" "" "$(echo "$reports" | head -3)"

# The administrator's teardown, then nothing may be left.
names
for reg in $REGIONS; do [ ! -e $CXL/$reg ] || teardown_one $reg; done
names
free_dpa
for d in $(ls $DAX 2>/dev/null); do dax_forget_ids $d; done
expect_eq "no region left" "" "$(ls $CXL | grep '^region')"
dax_list
expect_eq "no dax device left" "$dax0" "$DAXLIST"
expect_eq "the CXL window is as before" "$iomem0" "$(iomem_cxl)"
left=$(dpa_held | cut -d' ' -f1)
expect_eq "no DPA allocated" "" "$left"

# A fresh RAM region works end to end.
if ram_region_up $(static_memdev); then
	ram_region_down
fi
# A fresh DC region takes back what the device still holds, gives it back, and an extent goes
# the whole way: add, claim, give back, release.
if [ -n "$DC" ] && [ -z "$qmp_ok" ]; then
	skip "a fresh DC region with an extent, end to end" "no qmp command reaching this guest's QEMU monitor"
elif [ -n "$DC" ] && dc_region_up; then
	Z=${REGION#region}
	sleep 1
	for e in $CXL/dax_region$Z/extent$Z.*; do
		[ -e $e ] || continue
		rd o $e/offset
		rd l $e/length
		o=$((o / MIB)) l=$((l / MIB))
		dc_capacity release "$DCD_QOM" "$o:$l" >/dev/null
	done
	wait_gone $CXL/dax_region$Z/extent$Z.0
	expect_eq "every extent the fuzz left given back" "" "$(extents_of $REGION)"
	expect_eq "add 2 MiB" '{"return": {}}' "$(dc_capacity add "$DCD_QOM" 0:2)"
	if wait_for $CXL/dax_region$Z/extent$Z.0; then ok "accepted"; else not_ok "accepted"; fi
	sysfs_write 0 $DAX/dax$Z.0/uuid
	expect_file "claimed" $((2 * MIB)) $DAX/dax$Z.0/size
	sysfs_write 0 $DAX/dax$Z.0/size
	expect_eq "release it" '{"return": {}}' "$(dc_capacity release "$DCD_QOM" 0:2)"
	if wait_gone $CXL/dax_region$Z/extent$Z.0; then ok "released"; else not_ok "released"; fi
	sysfs_write "$REGION" $CXL/$RD/delete_region
	sysfs_write 0 $CXL/$EPDEC/dpa_size
fi
expect_eq "the CXL window is as before, at the end" "$iomem0" "$(iomem_cxl)"
