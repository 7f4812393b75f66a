#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The Dynamic Capacity trace events (QEMU): each record the device sends is a
# cxl:cxl_dynamic_capacity event (the core's, with the upstream series' name and fields), and what
# the host did with its extent a cxl_region:cxl_dc_extent event: an add accepted into the region,
# an add refused (outside the region) with the reason, a release. Upstream's cxl-dcd.sh checks
# "event reporting" the same way, from tracefs.
. "$(dirname "$0")/lib.sh"
ksft_main "$@"
need_dcd
need_qmp
NO_OBS=1
T=/sys/kernel/tracing
[ -d $T/events ] || mount -t tracefs nodev $T 2>/dev/null
[ -d $T/events/cxl/cxl_dynamic_capacity ] || skip_all "no cxl:cxl_dynamic_capacity trace event (tracing off, or a kernel without patches/)"
[ -d $T/events/cxl_region/cxl_dc_extent ] || skip_all "no cxl_region:cxl_dc_extent trace event (not the Rust cxl_region)"
snapshot
M=$(dcd_memdev)

if DPA_SIZE=0x10000000 region_up dynamic_ram_1 $M; then
	Z=${REGION#region}
	rd base $CXL/$EPDEC/dpa_resource
	echo >$T/trace
	echo 1 >$T/events/cxl/cxl_dynamic_capacity/enable
	echo 1 >$T/events/cxl_region/cxl_dc_extent/enable
	echo 1 >$T/tracing_on
	expect_eq "add 4 MiB at 0 (in the region)" '{"return": {}}' "$(dc_add 0:4)"
	settle
	expect_eq "add 2 MiB at 300 MiB (outside it)" '{"return": {}}' "$(dc_add 300:2)"
	settle
	expect_eq "release the 4 MiB" '{"return": {}}' "$(dc_release 0:4)"
	settle
	echo 0 >$T/events/cxl/cxl_dynamic_capacity/enable
	echo 0 >$T/events/cxl_region/cxl_dc_extent/enable
	rd_all TRACE $T/trace
	a=$(printf '%x' $((base))) b=$(printf '%x' $((base + 300 * 1048576)))
	expect_eq "one cxl_dynamic_capacity event per record (two adds, one release)" 3 \
		"$(echo "$TRACE" | grep -c 'cxl_dynamic_capacity:')"
	traced "cxl_dynamic_capacity: memdev=$M .*event_type='Add capacity'.* starting_dpa=$a length=400000 " \
		"the record of the add, with its DPA and length"
	traced "cxl_dynamic_capacity: memdev=$M .*event_type='Release capacity'.* starting_dpa=$a length=400000 " \
		"the record of the release"
	traced "cxl_dc_extent: memdev=$M record=add dpa=0x$a length=0x400000 .* region=$Z host=accepted\$" \
		"the host accepted the add into $REGION"
	traced "cxl_dc_extent: memdev=$M record=add dpa=0x$b length=0x200000 .* region=-1 host=refused: outside the region\$" \
		"the host refused the add outside the region, and why"
	traced "cxl_dc_extent: memdev=$M record=release dpa=0x$a length=0x400000 .* region=$Z host=released\$" \
		"the host released the extent"
	echo >$T/trace
	sysfs_write "$REGION" $CXL/$RD/delete_region
	sysfs_write 0 $CXL/$EPDEC/dpa_size
fi
left "dc_trace" ok
