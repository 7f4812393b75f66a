#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# A PMEM region on QEMU's persistent type-3 device (scripts/cxl-vm --topology pmem: 256 MiB of
# persistent memory with a label storage area; both kernels). By sysfs: a region without a uuid
# cannot be sized (ENXIO), a malformed uuid is refused (EINVAL, nothing changed), then the region
# is configured, committed and bound, and its cxl_pmem_region (pmem_regionZ) gives libnvdimm a
# region of the same size; `ndctl create-namespace` puts a namespace on it and data written to its
# block device reads back; the region has its EDAC scrub control (region_edac). The region goes,
# and `cxl create-region -t pmem` makes it again over the same DPA: the namespace comes back from
# its label and the data is still there (the CXL region's interleave set, hence the label's
# cookie, is the same). Poison QEMU's monitor puts into the region's DPA is listed with the
# region's name and HPA by `cxl list --media-errors` and the trace record, identically on both
# kernels.
. "$(dirname "$0")/lib.sh"
ksft_main "$@"
pick_memdevs pmem 0x10000000
M=$(nth 1 $MEMDEVS) || skip_all "needs a CXL memdev with at least 256 MiB of persistent memory (scripts/cxl-vm --topology pmem)"
RD=$(root_decoder pmem) || skip_all "no root decoder offers create_pmem_region"
command -v ndctl >/dev/null || skip_all "no ndctl command"
ND=/sys/bus/nd/devices
snapshot
RD=$(root_decoder pmem)
EP=$(endpoint_of $M)
EPDEC=$(first_free_decoder $EP)
EPDECS=$EPDEC
rd psize $CXL/$M/pmem/size
obs memdev.pmem_size "$psize"
obs_file root.cap_pmem $CXL/$RD/cap_pmem

# nd_region_of REGION: the libnvdimm region its pmem_regionZ registered (on the nvdimm bridge's
# bus), found by its resource: the CXL region's.
nd_region_of() {
	local r a b
	rd b $CXL/$1/resource
	for r in $ND/region*; do
		rd a $r/resource
		[ -n "$a" ] && [ $((a)) -eq $((b)) ] && { echo "${r##*/}"; return 0; }
	done
	return 1
}

# nd_region_wait REGION: NR = its libnvdimm region, waited for (up to 10 s); one TAP line.
nd_region_wait() {
	local i=0
	while ! NR=$(nd_region_of $1) && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
	if [ -n "$NR" ]; then ok "libnvdimm $NR under pmem_region${1#region}"; else not_ok "a libnvdimm region under pmem_region${1#region}"; fi
}

# reads_back DESCRIPTION BLOCKDEV: one TAP line: the first MiB of BLOCKDEV is /tmp/pmem.pat.
reads_back() { check "$1" sh -c "dd if=/dev/$2 bs=64k count=16 2>/dev/null | cmp -s - /tmp/pmem.pat"; }

# --- By sysfs
create_region pmem || exit 0
R=$CXL/$REGION
obs_file new.mode $R/mode
obs_file new.uuid $R/uuid
sysfs_write 1 $R/interleave_ways
sysfs_write 256 $R/interleave_granularity
sysfs_write pmem $CXL/$EPDEC/mode
sysfs_write "$psize" $CXL/$EPDEC/dpa_size
expect_errno ENXIO "$psize" $R/size $R/uuid $R/resource
# uuid takes exactly a uuid and its newline (what echo writes), as region.c's uuid_store().
read -r U </proc/sys/kernel/random/uuid
expect_errno EINVAL "not-a-uuid$NL" $R/uuid $R/size
expect_errno EINVAL "$U" $R/uuid $R/size
expect_errno EINVAL "zzzzzzzz-${U#*-}$NL" $R/uuid $R/size
expect_errno EINVAL "00000000-0000-0000-0000-000000000000$NL" $R/uuid $R/size
sysfs_write "$U$NL" $R/uuid
expect_file "$REGION/uuid reads back what was written" "$U" $R/uuid
sysfs_write "$psize" $R/size
sysfs_write $EPDEC $R/target0
sysfs_write 1 $R/commit
sysfs_write $REGION /sys/bus/cxl/drivers/cxl_region/bind
PR=$R/pmem_region${REGION#region}
if wait_for $PR; then ok "pmem_region${REGION#region} appears under $REGION"; else not_ok "pmem_region${REGION#region} appears under $REGION"; fi
check "pmem_region${REGION#region} is bound to cxl_pmem_region" test -e $PR/driver
for a in mode size interleave_ways interleave_granularity commit; do
	obs_file region.$a $R/$a
done
# Another region may not take the same uuid (EBUSY), and this one's is fixed while it is active.
R1=$REGION
if create_region pmem; then
	expect_errno EBUSY "$U$NL" $CXL/$REGION/uuid $CXL/$REGION/size
	sysfs_write $REGION $CXL/$RD/delete_region
fi
REGION=$R1
read -r U2 </proc/sys/kernel/random/uuid
expect_errno EBUSY "$U2$NL" $R/uuid $R/size
nd_region_wait $REGION
expect_file "$NR is as large as $REGION" "$(($(cat $R/size)))" $ND/$NR/size
obs_file nd.size $ND/$NR/size
obs_file nd.mappings $ND/$NR/mappings
out=$(ndctl create-namespace -r $NR -m fsdax 2>&1)
rc=$?
expect_eq "ndctl create-namespace -r $NR -m fsdax" 0 "$rc"
[ $rc = 0 ] || diag "$(echo "$out" | tr '\n' ' ')"
NS=$(echo "$out" | tr -d '\n ' | sed -n 's/.*"dev":"\(namespace[0-9.]*\)".*/\1/p')
BLK=$(echo "$out" | tr -d '\n ' | sed -n 's/.*"blockdev":"\(pmem[0-9a-z.]*\)".*/\1/p')
obs namespace.mode "$(echo "$out" | tr -d '\n ' | sed -n 's/.*"mode":"\([a-z]*\)".*/\1/p')"
check "the namespace has a block device ($BLK)" test -b /dev/$BLK
dd if=/dev/urandom of=/tmp/pmem.pat bs=64k count=16 2>/dev/null
dd if=/tmp/pmem.pat of=/dev/$BLK bs=64k conv=fsync 2>/dev/null
reads_back "1 MiB written to /dev/$BLK reads back" $BLK
region_edac $REGION $M
# The region goes with the namespace still on it: disabled first, as the client does.
out=$(cxl disable-region $REGION 2>&1)
expect_eq "cxl disable-region $REGION" 0 "$?"
check "$REGION's EDAC device goes with its driver" test ! -e /sys/bus/edac/devices/cxl_$REGION
check "$PR is gone with the unbind" test ! -e $PR
check "/dev/$BLK is gone with it" test ! -e /dev/$BLK
out=$(cxl destroy-region $REGION 2>&1)
expect_eq "cxl destroy-region $REGION" 0 "$?"
[ ! -e $R ] && ok "$REGION is gone" || not_ok "$REGION is gone"
rd v $CXL/$EPDEC/dpa_size
expect_eq "$EPDEC's DPA is free" 0 $((v))

# --- By the real client, over the same DPA
out=$(cxl create-region -t pmem -d $RD -m $M 2>&1)
rc=$?
expect_eq "cxl create-region -t pmem -d $RD -m $M" 0 "$rc"
[ $rc = 0 ] || diag "$(echo "$out" | tr '\n' ' ')"
REGION=$(echo "$out" | tr -d '\n ' | sed -n 's/.*"region":"\(region[0-9]*\)".*/\1/p')
R=$CXL/$REGION
check "create-region names the region ($REGION)" test -d "$R"
obs client.type "$(echo "$out" | tr -d '\n ' | sed -n 's/.*"type":"\([a-z]*\)".*/\1/p')"
rd u2 $R/uuid
check "the client gave $REGION a uuid of its own" sh -c "[ -n '$u2' ] && [ '$u2' != '$U' ] && [ '$u2' != 00000000-0000-0000-0000-000000000000 ]"
nd_region_wait $REGION
# The namespace's label is in the device's label storage area: it comes back by itself.
i=0
while ! BLK2=$(ls $ND/$NR/namespace*/block 2>/dev/null | head -1) && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
list=$(ndctl list -r $NR -N 2>&1 | tr -d '\n ')
check "ndctl lists the namespace again, from its label" sh -c "echo '$list' | grep -q '\"mode\":\"fsdax\"'"
BLK=$(echo "$list" | sed -n 's/.*"blockdev":"\(pmem[0-9a-z.]*\)".*/\1/p')
reads_back "the data written before reads back through /dev/$BLK" $BLK

# --- Poison from QEMU's monitor in the committed region's DPA
T=/sys/kernel/tracing
[ -d $T/events ] || mount -t tracefs nodev $T 2>/dev/null
if has_qmp && Q=$(qom_of $M) && [ -d $T/events/cxl/cxl_poison ]; then
	rd base $CXL/$(cat $R/target0)/dpa_resource
	rd start $R/resource
	dpa=$(printf '0x%x' $((base + 0x5000)))
	hpa=$(printf '0x%x' $((start + 0x5000)))
	r=$(qmp "{\"execute\": \"cxl-inject-poison\", \"arguments\": {\"path\": \"$Q\", \"start\": $((dpa)), \"length\": 256}}")
	expect_eq "QEMU's monitor poisons 256 bytes at DPA $dpa of $M" '{"return": {}}' "$r"
	poison_trace sysfs_write 1 $CXL/$M/trigger_poison_list
	P=$POISON
	check "the record names $REGION and HPA $hpa" sh -c "echo '$P' | grep -qE '^memdev=$M trace_type=List region=$REGION region_uuid=$u2 hpa=$hpa hpa_alias0=0xffffffffffffffff dpa=$dpa dpa_length=0x100 '"
	obs poison.trace "$(echo "$P" | sed "s/region_uuid=[^ ]* //; s/$hpa/HPA/; s/$dpa/DPA/; s/memdev=$M/memdev=M/; s/region=$REGION/region=R/")"
	out=$(cxl list -r $REGION --media-errors 2>&1 | tr -d ' \n')
	check "cxl list -r $REGION --media-errors names offset 0x5000 and length 256" \
		sh -c "echo '$out' | grep -q '\"offset\":20480,\"length\":256'"
	obs poison.client "$(echo "$out" | sed "s/$REGION/R/g; s/$u2/U/g; s/\"resource\":[0-9]*/\"resource\":HPA/; s/\"decoder\":\"decoder[0-9.]*\"/\"decoder\":D/")"
	DBG=/sys/kernel/debug/cxl/$M
	# Cleared 64 bytes at a time, as the debugfs file takes it.
	for o in 0 0x40 0x80 0xc0; do
		[ ! -e $DBG/clear_poison ] || w $(printf '0x%x' $((dpa + o))) $DBG/clear_poison
	done
else
	skip "poison from QEMU's monitor" "no qmp command, no QOM path for $M, or no cxl:cxl_poison trace event"
fi

out=$(ndctl destroy-namespace -f all -r $NR 2>&1)
expect_eq "ndctl destroy-namespace -f all -r $NR" 0 "$?"
out=$(cxl destroy-region -f $REGION 2>&1)
rc=$?
expect_eq "cxl destroy-region -f $REGION" 0 "$rc"
[ $rc = 0 ] || diag "$(echo "$out" | tr '\n' ' ')"
left "pmem_region" ok
