#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The behaviours of upstream's DCD cases that QEMU's device can show as well as cxl_test's mock,
# on QEMU (lib.sh dc_common): the More bit, cxl list's extents, a uuid with no match leaving the
# seed intact, dax device operations, an extent removed under a dax device, multiple and partial
# extent removal. dc_mock.sh runs the same body on the mock; tests/run compares what each showed.
. "$(dirname "$0")/lib.sh"
ksft_main "$@"
need_dcd
need_qmp
NO_OBS=1
DCB=qemu

if dc_region_up; then
	Z=${REGION#region}
	DR=$CXL/dax_region$Z/dax_region
	D=$DAX/dax$Z.0
	dc_common
	teardown_one $REGION
	check "$REGION goes" wait_gone $CXL/$REGION 50
fi
