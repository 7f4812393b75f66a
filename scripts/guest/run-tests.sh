#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Guest side of the suite: runs the named tests of our kselftest target (drivers/cxl/dcd, from the
# kselftest_install that scripts/cxl-vm puts in /kselftest) in this boot, in order, through the
# kernel's run_kselftest.sh: one KTAP stream, each test's own KTAP nested in it. An argument
# VAR=VALUE is exported to the tests (FUZZ_SEED=N, FUZZ_WRITES=M, RACE_ROUNDS=R, ...).
#
# The argument --noqmp starts a second group, run afterwards by a second run_kselftest.sh (its
# own KTAP stream, after a line "@@CXLVM-GROUP noqmp") without the qmp command, as in a guest
# of one's own that has no relay to QEMU's monitor: those tests must skip. tests/run splits the
# output there, so that this saves a boot of a guest without the relay.
#
# The status is 1 if a test of either group failed, else 0.
cd /kselftest || exit 1
sel= sel2= group=1
for t in "$@"; do
	case "$t" in
	--noqmp) group=2 ;;
	*=*) export "$t" ;;
	*) if [ $group = 1 ]; then sel="$sel -t drivers/cxl/dcd:$t.sh"; else sel2="$sel2 -t drivers/cxl/dcd:$t.sh"; fi ;;
	esac
done
banner() { echo "# kernel $(cat /etc/cxlvm/kernel): $(uname -r), modules: $(cut -d' ' -f1 /proc/modules | tr '\n' ' ')"; }
# The tests' output as it comes (ksft_main in lib.sh prints a test's KTAP when it ends), on the
# third serial port: scripts/cxl-vm keeps it as live.out.
[ ! -c /dev/ttyS2 ] || export DCD_KTAP_LIVE=/dev/ttyS2
banner
# shellcheck disable=SC2086
./run_kselftest.sh $sel
rc=$?
[ -n "$sel2" ] || exit $rc
echo "@@CXLVM-GROUP noqmp"
q=$(command -v qmp) && mv "$q" /tmp/qmp.hidden
banner
# shellcheck disable=SC2086
./run_kselftest.sh $sel2
rc2=$?
[ -z "$q" ] || mv /tmp/qmp.hidden "$q"
[ $rc = 0 ] && [ $rc2 = 0 ]
