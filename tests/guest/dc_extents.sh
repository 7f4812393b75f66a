# SPDX-License-Identifier: GPL-2.0
# Dynamic Capacity from QEMU's monitor: cxl_region reads the DC event log, accepts the extents
# that lie in the committed DC region (Add DC Response) and gives back what the device asks for
# (Release DC). The device is the witness: QEMU releases only extents the host accepted ("cannot
# release extent with pending DPA range" while unanswered, an error when never accepted).
NO_OBS=1
DCD=/machine/peripheral/cxl-dcd0
MIB=1048576

# extents_json "OFF:LEN ..." (MiB): the QMP extents list.
extents_json() {
	local sep= out= e
	for e in $1; do
		out="$out$sep{\"offset\": $((${e%%:*} * MIB)), \"len\": $((${e##*:} * MIB))}"
		sep=", "
	done
	echo "[$out]"
}
dc_add() { qmp "{\"execute\": \"cxl-add-dynamic-capacity\", \"arguments\": {\"path\": \"$DCD\", \"host-id\": 0, \"selection-policy\": \"prescriptive\", \"region\": 0, \"extents\": $(extents_json "$1")}}"; }
dc_release() { qmp "{\"execute\": \"cxl-release-dynamic-capacity\", \"arguments\": {\"path\": \"$DCD\", \"host-id\": 0, \"removal-policy\": \"prescriptive\", \"region\": 0, \"extents\": $(extents_json "$1")}}"; }
# settle: the event thread answers asynchronously.
settle() { sleep 1; }
klog_count() { dmesg | grep -c "$1" || true; }

if dc_region_up; then
	expect_eq "add 128 MiB at 0" '{"return": {}}' "$(dc_add 0:128)"
	settle
	expect_eq "the host accepted it: QEMU releases it" '{"return": {}}' "$(dc_release 0:128)"
	settle
	r=$(dc_release 0:128)
	check "released: a second release is refused by QEMU ($r)" sh -c "echo '$r' | grep -q error"
	expect_eq "the same range can be added again" '{"return": {}}' "$(dc_add 0:128)"
	settle
	expect_eq "... and is accepted again" '{"return": {}}' "$(dc_release 0:128)"
	settle

	expect_eq "three extents in one call (a More chain)" '{"return": {}}' "$(dc_add "0:2 4:2 64:64")"
	settle
	for e in 0:2 4:2 64:64; do
		expect_eq "extent $e of the chain was accepted" '{"return": {}}' "$(dc_release $e)"
	done
	settle

	# A release that touches part of an extent gives back the whole extent.
	expect_eq "add 4 MiB at 8 MiB" '{"return": {}}' "$(dc_add 8:4)"
	settle
	expect_eq "release its first 2 MiB" '{"return": {}}' "$(dc_release 8:2)"
	settle
	r=$(dc_release 10:2)
	check "the host gave back all 4 MiB: its other half is gone too ($r)" sh -c "echo '$r' | grep -q error"

	# Overlap with an accepted extent: QEMU 10 refuses to offer it at all, so the kernel's overlap
	# rule is proven by the host tests of rust/cxl/extent.rs.
	expect_eq "add 4 MiB at 16 MiB" '{"return": {}}' "$(dc_add 16:4)"
	settle
	r=$(dc_add 18:4)
	check "QEMU refuses an add overlapping an accepted extent ($r)" sh -c "echo '$r' | grep -q 'already accessible'"
	expect_eq "the first extent is still accepted" '{"return": {}}' "$(dc_release 16:4)"
	settle

	sysfs_write "$REGION" $CXL/$RD/delete_region
	sysfs_write 0 $CXL/$EPDEC/dpa_size
fi

# A region over half the partition: capacity beyond it is refused.
RD=$(root_decoder)
if create_region dynamic_ram_1; then
	R=$CXL/$REGION
	m=$(memdev_by_serial 0x1) && e=$(endpoint_of $m) && d=$(first_free_decoder $e)
	sysfs_write 1 $R/interleave_ways
	sysfs_write 256 $R/interleave_granularity
	sysfs_write dynamic_ram_1 $CXL/$d/mode
	sysfs_write 0x10000000 $CXL/$d/dpa_size
	sysfs_write 0x10000000 $R/size
	sysfs_write $d $R/target0
	sysfs_write 1 $R/commit
	n0=$(klog_count "not accepted: outside the region")
	expect_eq "add 2 MiB beyond the region" '{"return": {}}' "$(dc_add 256:2)"
	settle
	expect_eq "the kernel says why" $((n0 + 1)) "$(klog_count "not accepted: outside the region")"
	r=$(dc_release 256:2)
	check "never accepted: QEMU refuses its release ($r)" sh -c "echo '$r' | grep -q error"
	check "... and it is not pending either" sh -c "! echo '$r' | grep -q pending"
	expect_eq "inside the region it is accepted" '{"return": {}}' "$(dc_add 0:2)"
	settle
	expect_eq "... and released" '{"return": {}}' "$(dc_release 0:2)"
	settle
	sysfs_write 0 $R/commit
	n0=$(klog_count "not accepted: outside the region")
	expect_eq "add to a decommitted region" '{"return": {}}' "$(dc_add 0:2)"
	settle
	expect_eq "no committed DC region: refused" $((n0 + 1)) "$(klog_count "not accepted: outside the region")"
	sysfs_write "$REGION" $CXL/$RD/delete_region
	sysfs_write 0 $CXL/$d/dpa_size
fi
diag "kernel: $(dmesg | grep -E 'extent|Capacity' | grep -v cxl_dcd_test | tail -8)"
