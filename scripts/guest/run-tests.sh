#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Guest side of the suite: runs the named tests of our kselftest target (drivers/cxl/dcd, from the
# kselftest_install that scripts/cxl-vm puts in /kselftest) in this boot, in order, through the
# kernel's run_kselftest.sh: one KTAP stream, each test's own KTAP nested in it. An argument
# VAR=VALUE is exported to the tests (FUZZ_SEED=N, FUZZ_WRITES=M, RACE_ROUNDS=R, ...). The
# status is run_kselftest.sh's: 1 if a test failed.
cd /kselftest || exit 1
sel=
for t in "$@"; do
	case "$t" in
	*=*) export "$t" ;;
	*) sel="$sel -t drivers/cxl/dcd:$t.sh" ;;
	esac
done
echo "# kernel $(cat /etc/cxlvm/kernel): $(uname -r), modules: $(cut -d' ' -f1 /proc/modules | tr '\n' ' ')"
# The tests' output as it comes (ksft_main in lib.sh prints a test's KTAP when it ends), on the
# third serial port: scripts/cxl-vm keeps it as live.out.
[ ! -c /dev/ttyS2 ] || export DCD_KTAP_LIVE=/dev/ttyS2
# shellcheck disable=SC2086
exec ./run_kselftest.sh $sel
