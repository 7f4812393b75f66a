#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The guest's `qmp` command reaches this VM's monitor (scripts/guest/qmp -> scripts/qmp-relay).
. "$(dirname "$0")/lib.sh"
ksft_main "$@"
need_qmp
NO_OBS=1
DCD=${DCD_QOM:-$(qom_dcd)} || skip_all "QEMU has no cxl-type3 device with DC regions"

r=$(qmp '{"execute": "query-status"}') && ok "qmp query-status returns" || not_ok "qmp query-status: $r"
check "the VM is running" sh -c "echo '$r' | grep -q '\"running\"'"
r=$(qom_get $DCD num-dc-regions)
check "QEMU's $DCD has DC regions ($r)" sh -c "echo '$r' | grep -q '^{\"return\": [1-9]'"
r=$(qmp '{"execute": "no-such-command"}'); rc=$?
expect_eq "an unknown command fails" 1 "$rc"
check "... with QEMU's CommandNotFound" sh -c "echo '$r' | grep -q CommandNotFound"
r=$(qmp 'not json'); rc=$?
expect_eq "a line that is not JSON fails" 1 "$rc"
check "... in the relay" sh -c "echo '$r' | grep -q 'qmp-relay'"
r=$(qmp '{"execute": "query-status"}') && ok "qmp works after the errors" || not_ok "qmp after errors: $r"
# The device side of Dynamic Capacity, as QEMU checks it (256 MiB on: clear of what dc_extents
# leaves accepted in the same boot).
ADD="{\"execute\": \"cxl-add-dynamic-capacity\", \"arguments\": {\"path\": \"$DCD\", \"host-id\": 0, \"selection-policy\": \"prescriptive\", \"region\": 0, \"extents\": [{\"offset\": %d, \"len\": %d}]}}"
r=$(qmp "$(printf "$ADD" 268435456 134217728)")
expect_eq "cxl-add-dynamic-capacity of 128 MiB at 256 MiB" '{"return": {}}' "$r"
r=$(qmp "$(printf "$ADD" 4096 134217728)")
check "a misaligned extent is refused by QEMU" sh -c "echo '$r' | grep -q 'not aligned to region block size'"
# No DC region holds 256 MiB: the host accepted nothing there (the project kernel answers the
# offer accepting nothing, the reference kernel leaves it pending), so QEMU has nothing of the
# host's to release.
r=$(qmp "{\"execute\": \"cxl-release-dynamic-capacity\", \"arguments\": {\"path\": \"$DCD\", \"host-id\": 0, \"removal-policy\": \"prescriptive\", \"region\": 0, \"extents\": [{\"offset\": 268435456, \"len\": 134217728}]}}")
check "no region: the host holds nothing at 256 MiB, QEMU refuses its release ($r)" sh -c "echo '$r' | grep -q error"
