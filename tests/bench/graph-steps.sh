#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Guest side of a function-graph look at region steps (issue 33), on the bench kernels
# (kernel/bench.config): the graph of dev_attr_store for create_ram_region, interleave_ways,
# interleave_granularity, target0 (attach, detach), commit (decommit) and delete_region, N cycles
# after a warm-up; per step and traced function, "@@G STEP FUNCTION CALLS MICROSECONDS" (one line
# per cycle). Rust code is not traced (no ftrace flags for rustc in 7.3); the C functions it calls
# are. Tracing inflates every duration many times: compare call counts first. Run on both
# kernels, then compare:
#   scripts/cxl-vm --kernel reference-bench --topology small run tests/bench/graph-steps.sh 6 >ref.out
#   scripts/cxl-vm --kernel project-bench --topology small run tests/bench/graph-steps.sh 6 >proj.out
#   python3 tests/bench/graph-compare.py ref.out proj.out 6
cd /guest || exit 1
. ./lib.sh
T=/sys/kernel/tracing
[ -d $T/events ] || mount -t tracefs nodev $T
RD=$(root_decoder)
M=$(memdev_by_serial 0x2)
EPDEC=$(first_free_decoder $(endpoint_of $M))
SIZE=$(cat $CXL/$M/ram/size)
N=${1:-6}
echo 0 > $T/tracing_on
echo function_graph > $T/current_tracer
echo dev_attr_store > $T/set_graph_function
echo 1 > $T/options/funcgraph-tail
echo 0 > $T/options/funcgraph-irqs
echo 30000 > $T/buffer_size_kb
step() { # NAME VALUE FILE
	echo > $T/trace
	echo 1 > $T/tracing_on
	echo "$2" > "$3"
	echo 0 > $T/tracing_on
	awk -v s="$1" '
		/us +\|/ {
			line = $0
			sub(/^.*\| */, "", line)
			dur = $0; sub(/ *us.*$/, "", dur); sub(/^.*\) *[+!#*@$]? */, "", dur)
			f = ""
			if (line ~ /^[A-Za-z_].*\(\);/) { f = line; sub(/\(.*$/, "", f) }
			else if (line ~ /^} \/\* /) { f = line; sub(/^} \/\* /, "", f); sub(/ \*\/.*$/, "", f) }
			if (f != "") { n[f]++; t[f] += dur }
		}
		END { for (f in n) printf "@@G %s %s %d %.1f\n", s, f, n[f], t[f] }' $T/trace
}
for i in $(seq 0 $N); do
	read -r name < $CXL/$RD/create_ram_region
	if [ $i = 0 ]; then
		echo $name > $CXL/$RD/create_ram_region; echo 1 > $CXL/$name/interleave_ways
		echo $name > $CXL/$RD/delete_region; continue
	fi
	step create $name $CXL/$RD/create_ram_region
	step ways 1 $CXL/$name/interleave_ways
	step granularity 256 $CXL/$name/interleave_granularity
	echo ram > $CXL/$EPDEC/mode; echo $SIZE > $CXL/$EPDEC/dpa_size; echo $SIZE > $CXL/$name/size
	step attach $EPDEC $CXL/$name/target0
	echo 1 > $CXL/$name/commit
	step decommit 0 $CXL/$name/commit
	step detach "" $CXL/$name/target0
	echo 0 > $CXL/$EPDEC/dpa_size
	step delete $name $CXL/$RD/delete_region
done
