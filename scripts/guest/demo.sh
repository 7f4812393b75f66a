#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The demo, run in the guest by scripts/demo: a RAM region on the static CXL device, driven by
# plain sysfs writes, bound by the Rust dax_cxl, onlined by kmem; then torn down.
. /guest/lib.sh

step() { echo; echo "== $*"; }
run() { echo "\$ $*"; sh -c "$*" || { echo "FAILED: $*"; exit 1; }; }

step "The modules behind the cxl_region and cxl_dax_region drivers (project kernel: the Rust cxl_region and dax_cxl of this tree; reference: the C region code in cxl_core and the C dax_cxl)"
run "cat /proc/modules | cut -d' ' -f1"
run "readlink -f /sys/bus/cxl/drivers/cxl_region/module"
run "readlink -f /sys/bus/cxl/drivers/cxl_dax_region/module"

step "The topology (memdevs found by serial: 0x1 is the DCD device, 0x2 the static one)"
run "cxl list -M -u"
MEM=$(memdev_by_serial 0x2); EP=$(endpoint_of $MEM); RD=$(root_decoder); DEC=$(first_free_decoder $EP)
echo "static memdev $MEM, endpoint $EP, endpoint decoder $DEC, root decoder $RD"

step "Create a RAM region"
REGION=$(cat $CXL/$RD/create_ram_region)
run "echo $REGION > $CXL/$RD/create_ram_region"
run "echo 1 > $CXL/$REGION/interleave_ways"
run "echo 256 > $CXL/$REGION/interleave_granularity"
run "echo ram > $CXL/$DEC/mode"
run "echo 0x10000000 > $CXL/$DEC/dpa_size"
run "echo 0x10000000 > $CXL/$REGION/size"
run "echo $DEC > $CXL/$REGION/target0"
run "echo 1 > $CXL/$REGION/commit"
run "echo $REGION > /sys/bus/cxl/drivers/cxl_region/bind"
DAXDEV=dax${REGION#region}.0
wait_for $DAX/$DAXDEV/driver || { echo "FAILED: $DAXDEV did not appear"; exit 1; }
wait_online $DAXDEV >/dev/null || { echo "FAILED: $DAXDEV memory not online"; exit 1; }

step "The dax side, created by the Rust dax_cxl"
run "ls $CXL/$REGION/dax_region${REGION#region}/dax_region"
run "cat $CXL/$REGION/dax_region${REGION#region}/dax_region/size"
run "cat $DAX/$DAXDEV/size $DAX/$DAXDEV/resource $DAX/$DAXDEV/target_node"
run "readlink -f $DAX/$DAXDEV/driver"
run "cxl list -R -u"
run "daxctl list -d $DAXDEV -u"
run "grep -A3 'CXL Window' /proc/iomem"
run "grep MemTotal /sys/devices/system/node/node$(cat $DAX/$DAXDEV/target_node)/meminfo"

step "Tear down"
run "daxctl offline-memory $DAXDEV"
run "echo $REGION > /sys/bus/cxl/drivers/cxl_region/unbind"
run "echo 0 > $CXL/$REGION/commit"
run "echo > $CXL/$REGION/target0"
run "echo $REGION > $CXL/$RD/delete_region"
run "echo 0 > $CXL/$DEC/dpa_size"
echo
echo "demo complete"
