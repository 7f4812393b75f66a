#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The demo, run in the guest by scripts/demo: a Dynamic Capacity region on the DCD device (its
# dax region with a 0-byte seed device, as the Rust dax_cxl sets it up; capacity added and
# released from QEMU's monitor, shown as extent devices, claimed by the seed, mapped, onlined as
# System RAM and given back), then a RAM region on the static CXL
# device, onlined by kmem; each driven by plain sysfs writes and torn down again.
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

DCMEM=$(memdev_by_serial 0x1)
if [ -e $CXL/$RD/create_dynamic_ram_1_region ]; then
	step "The DCD device's Dynamic Capacity partition (patches/0003-0005)"
	run "cat $CXL/$DCMEM/dynamic_ram_1/size"
	run "ls $CXL/$DCMEM"
	DCEP=$(endpoint_of $DCMEM); DCDEC=$(first_free_decoder $DCEP)
	echo "DCD memdev $DCMEM, endpoint $DCEP, endpoint decoder $DCDEC"

	step "Create a Dynamic Capacity region (the Rust cxl_region)"
	DCR=$(cat $CXL/$RD/create_dynamic_ram_1_region)
	run "echo $DCR > $CXL/$RD/create_dynamic_ram_1_region"
	run "cat $CXL/$DCR/mode"
	run "echo 1 > $CXL/$DCR/interleave_ways"
	run "echo 256 > $CXL/$DCR/interleave_granularity"
	run "echo dynamic_ram_1 > $CXL/$DCDEC/mode"
	run "echo 0x20000000 > $CXL/$DCDEC/dpa_size"
	run "echo 0x20000000 > $CXL/$DCR/size"
	run "echo $DCDEC > $CXL/$DCR/target0"
	run "echo 1 > $CXL/$DCR/commit"
	run "echo $DCR > /sys/bus/cxl/drivers/cxl_region/bind"
	DCDAX=dax${DCR#region}.0
	wait_for $DAX/$DCDAX || { echo "FAILED: $DCDAX did not appear"; exit 1; }

	step "Its dax side (the Rust dax_cxl, IORESOURCE_DAX_DCD): no capacity until the device adds extents"
	DR=$CXL/$DCR/dax_region${DCR#region}/dax_region
	run "cat $DR/size"
	run "cat $DR/available_size"
	run "cat $DR/seed"
	run "cat $DAX/$DCDAX/size"
	run "ls $DAX/$DCDAX"
	echo "(no 'mapping' attribute on $DCDAX)"
	run "echo 2 > $CXL/$DCR/interleave_ways 2>&1 || echo 'interleave_ways 2 refused: Invalid argument'"
	run "cxl list -R -u -r $DCR"

	Z=${DCR#region}
	EXT='{"path": "/machine/peripheral/cxl-dcd0", "host-id": 0, "region": 0, "extents": [{"offset": 0, "len": 134217728}, {"offset": 268435456, "len": 33554432}]}'
	step "The device offers capacity: two extents (128 MiB at 0, 32 MiB at 256 MiB) from QEMU's monitor, through the guest's qmp command"
	run "qmp '{\"execute\": \"cxl-add-dynamic-capacity\", \"arguments\": {\"selection-policy\": \"prescriptive\", ${EXT#\{}}'"
	wait_for $CXL/dax_region$Z/extent$Z.1 || { echo "FAILED: no extent devices"; exit 1; }
	step "cxl_region read the DC event log, accepted both (Add DC Response) and shows them under dax_region$Z"
	run "ls -d $CXL/dax_region$Z/extent*"
	run "grep . $CXL/dax_region$Z/extent$Z.*/offset $CXL/dax_region$Z/extent$Z.*/length"
	step "The dax region has the capacity (dax_cxl made each extent a resource of it); the seed claims one untagged extent by writing 0 to its uuid"
	run "cat $DR/available_size"
	run "echo 0 > $DAX/$DCDAX/uuid"
	run "cat $DAX/$DCDAX/size $DAX/$DCDAX/uuid $DR/available_size"
	step "device_dax binds it: a program maps /dev/$DCDAX, writes every page and reads it back"
	run "echo $DCDAX > /sys/bus/dax/drivers/device_dax/bind"
	wait_for /dev/$DCDAX || { echo "FAILED: no /dev/$DCDAX"; exit 1; }
	run "daxtest /dev/$DCDAX 134217728"
	run "echo $DCDAX > /sys/bus/dax/drivers/device_dax/unbind"
	step "kmem onlines it as System RAM on its NUMA node (daxctl reconfigure-device), and back"
	NODE=$(cat $DAX/$DCDAX/target_node)
	run "grep MemTotal /sys/devices/system/node/node$NODE/meminfo 2>/dev/null || echo 'node$NODE: no memory yet'"
	run "daxctl reconfigure-device -m system-ram -f $DCDAX"
	wait_online $DCDAX
	run "grep MemTotal /sys/devices/system/node/node$NODE/meminfo"
	run "daxctl offline-memory $DCDAX"
	run "daxctl reconfigure-device -m devdax -f $DCDAX >/dev/null"
	run "echo $DCDAX > /sys/bus/dax/drivers/device_dax/unbind"
	dax_forget_ids $DCDAX
	step "Resizing the device to 0 gives the extent back to the dax region"
	run "echo 0 > $DAX/$DCDAX/size"
	run "cat $DR/available_size"
	step "The device asks for them back (Release Capacity); cxl_region answers with Release DC"
	run "qmp '{\"execute\": \"cxl-release-dynamic-capacity\", \"arguments\": {\"removal-policy\": \"prescriptive\", ${EXT#\{}}'"
	i=0; while [ -e $CXL/dax_region$Z/extent$Z.0 ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
	run "ls -d $CXL/dax_region$Z/extent* 2>/dev/null || echo '(no extent left)'"

	step "Tear the DC region down"
	run "echo $DCR > /sys/bus/cxl/drivers/cxl_region/unbind"
	run "echo 0 > $CXL/$DCR/commit"
	run "echo > $CXL/$DCR/target0"
	run "echo $DCR > $CXL/$RD/delete_region"
	run "echo 0 > $CXL/$DCDEC/dpa_size"
else
	echo "(no create_dynamic_ram_1_region on $RD: this kernel has no DC region support; the project kernel has)"
fi

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
