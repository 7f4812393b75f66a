#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The real client drives the region: cxl create-region -t ram on the static device (serial 0x2),
# the dax device comes up and is onlined; after offlining, cxl disable-region and
# destroy-region tear it all down.
. "$(dirname "$0")/lib.sh"
ksft_main "$@"
need_static

RD=$(root_decoder)
m=$(static_memdev)
out=$(cxl create-region -t ram -d $RD -m $m 2>&1)
rc=$?
expect_eq "cxl create-region -t ram -d $RD -m $m" 0 "$rc"
[ $rc = 0 ] || diag "$(echo "$out" | tr '\n' ' ')"
REGION=$(echo "$out" | tr -d '\n ' | sed -n 's/.*"region":"\(region[0-9]*\)".*/\1/p')
check "create-region names the region ($REGION)" test -d "$CXL/$REGION"
DAXDEV=dax${REGION#region}.0
if wait_for $DAX/$DAXDEV/driver; then ok "$DAXDEV is bound"; else not_ok "$DAXDEV is bound"; fi
wait_online $DAXDEV
for a in mode size resource interleave_ways interleave_granularity commit; do
	obs_file region.$a $CXL/$REGION/$a
done
obs region.target0 "$(decoder_id $(cat $CXL/$REGION/target0 2>/dev/null))"
obs_file dax.size $DAX/$DAXDEV/size
obs cxl_list_R "$(cxl list -R -u 2>&1 | tr -d '\n ')"

dax_offline $DAXDEV
out=$(cxl disable-region $REGION 2>&1)
rc=$?
expect_eq "cxl disable-region $REGION" 0 "$rc"
obs disable_output "$(echo "$out" | tr '\n' ' ')"
check "$DAXDEV is gone after disable-region" test ! -e $DAX/$DAXDEV
out=$(cxl destroy-region $REGION 2>&1)
rc=$?
expect_eq "cxl destroy-region $REGION" 0 "$rc"
[ $rc = 0 ] || diag "$(echo "$out" | tr '\n' ' ')"
obs destroy_output "$(echo "$out" | tr '\n' ' ')"
check "$REGION is gone" test ! -e $CXL/$REGION
ep=$(endpoint_of $m)
freed=1
for d in $CXL/$ep/decoder*.*; do
	[ $(($(cat $d/dpa_size))) -eq 0 ] || freed=0
done
obs dpa_freed $freed
