#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# RAM region lifecycle on the static device (serial 0x2): create, configure, commit, bind; the dax
# region and its dax device; kmem onlines the memory as a NUMA node; the real cxl client sees it;
# its EDAC scrub control (region_edac); teardown; and a second cycle that gets the same HPA back
# (nothing lost).
. "$(dirname "$0")/lib.sh"
ksft_main "$@"
need_static

if ram_region_up $(static_memdev); then
	R=$CXL/$REGION
	DR=$R/dax_region${REGION#region}
	D=$DAX/$DAXDEV
	expect_file "region mode" ram $R/mode
	expect_file "region size: the whole RAM partition" "$(cat $CXL/$MEMDEV/ram/size)" $R/size
	expect_file "region commit" 1 $R/commit
	expect_file "region target0" "$EPDEC" $R/target0
	rd res $R/resource
	check "region resource is inside the CXL window" grep -q "^ *${res#0x}-.* : $REGION\$" /proc/iomem
	check "the cxl_dax_region device is bound to cxl_dax_region" test -e $DR/driver
	expect_file "dax region size" "$(($(cat $CXL/$MEMDEV/ram/size)))" $DR/dax_region/size
	expect_file "dax region align" 2097152 $DR/dax_region/align
	expect_file "dax region available_size" 0 $DR/dax_region/available_size
	expect_file "dax region id" "${REGION#region}" $DR/dax_region/id
	expect_file "$DAXDEV size" 268435456 $D/size
	expect_file "$DAXDEV resource" "$res" $D/resource
	expect_file "$DAXDEV align" 2097152 $D/align
	expect_file "$DAXDEV memmap_on_memory" 1 $D/memmap_on_memory
	check "$DAXDEV has a mapping0" test -d $D/mapping0
	expect_eq "$DAXDEV driver" kmem "$(basename "$(readlink -f $D/driver)")"
	rd node $D/target_node
	check "target_node $node is a NUMA node other than node 0" test "$node" -gt 0
	total=$(sed -n 's/^Node [0-9]* MemTotal: *\([0-9]*\) kB/\1/p' /sys/devices/system/node/node$node/meminfo 2>/dev/null)
	expect_eq "node$node holds the region's 256 MiB" 262144 "$total"
	online=0
	for m in /sys/devices/system/node/node$node/memory*; do
		rd st $m/state
		[ "$st" = online ] && online=$((online + 1))
	done
	expect_eq "all memory blocks of node$node online" "$(ls -d /sys/devices/system/node/node$node/memory* | wc -l)" "$online"
	check "node$node has memory blocks" test "$online" -gt 0

	for a in mode size resource interleave_ways interleave_granularity commit uuid locked; do
		obs_file region.$a $R/$a
	done
	obs region.target0 "$(decoder_id $(cat $R/target0))"
	# Performance: the region's access coordinates, what the region driver's node notifier gave
	# the new node, and the memory tier its abstract distance put the node in.
	for c in access0 access1; do
		obs region.$c "$(cd $R/$c 2>/dev/null && for f in *; do printf '%s=%s ' "$f" "$(cat $f 2>/dev/null)"; done)"
		obs node.$c "$(cd /sys/devices/system/node/node$node/$c/initiators 2>/dev/null &&
			for f in *_bandwidth *_latency; do printf '%s=%s ' "$f" "$(cat $f 2>/dev/null)"; done)"
	done
	obs node.memory_tiers "$(for t in /sys/devices/virtual/memory_tiering/memory_tier*; do
		[ -e $t/nodelist ] && printf '%s:%s ' "$(basename $t)" "$(cat $t/nodelist)"; done)"
	for a in start size interleave_ways interleave_granularity locked target_list mode dpa_resource dpa_size; do
		obs_file root_decoder.$a $CXL/$RD/$a
		obs_file ep_decoder.$a $CXL/$EPDEC/$a
	done
	hbdec=$(basename "$(readlink -f $CXL/$EP/..)")
	for d in $CXL/$hbdec/decoder*.*; do
		[ "$(cat $d/size)" != 0x0 ] || continue
		for a in start size interleave_ways interleave_granularity target_list locked; do
			obs_file switch_decoder.$a $d/$a
		done
	done
	for a in id size align available_size seed; do
		obs_file dax_region.$a $DR/dax_region/$a
	done
	for a in size resource align target_node numa_node memmap_on_memory modalias mapping0/start mapping0/end mapping0/page_offset; do
		obs_file dax.$a $D/$a
	done
	obs node_memtotal_kb "$total"
	obs iomem "$(iomem_cxl | tr '\n' ';')"

	list=$(cxl list -R -u 2>&1)
	diag "cxl list -R -u: $(echo "$list" | tr -d '\n ')"
	check "cxl list -R shows $REGION" sh -c "echo '$list' | grep -q '\"region\":\"$REGION\"'"
	check "cxl list -R shows its size" sh -c "echo '$list' | grep -q '\"size\":\"256.00 MiB'"
	check "cxl list -R shows it committed" sh -c "echo '$list' | grep -q '\"decode_state\":\"commit\"'"
	obs cxl_list_R "$(echo "$list" | tr -d '\n ')"
	dl=$(daxctl list -d $DAXDEV 2>&1)
	check "daxctl list shows $DAXDEV in system-ram mode" sh -c "echo '$dl' | grep -q '\"mode\":\"system-ram\"'"
	obs daxctl_list "$(echo "$dl" | tr -d '\n ')"

	region_edac $REGION $MEMDEV

	ram_region_down
	check "$REGION's EDAC device goes with its driver" test ! -e /sys/bus/edac/devices/cxl_$REGION
	obs_file after.ep_decoder.dpa_size $CXL/$EPDEC/dpa_size
	obs_file after.ep_decoder.mode $CXL/$EPDEC/mode
	obs iomem_after "$(iomem_cxl | tr '\n' ';')"
	check "node$node has no memory left" sh -c "! ls -d /sys/devices/system/node/node$node/memory* >/dev/null 2>&1"

	# A second cycle: the same HPA comes back, so none was lost.
	if ram_region_up $(static_memdev); then
		expect_file "second cycle gets the same HPA" "$res" $CXL/$REGION/resource
		ram_region_down
	fi
fi
