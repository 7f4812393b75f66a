#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Guest side of the suite: runs the named test files (tests/guest/NAME.sh) in this boot, in order,
# as one TAP stream. Exit status 1 if any test failed. An argument VAR=VALUE sets VAR for the tests
# after it (FUZZ_SEED=N, FUZZ_WRITES=M, STRESS_SECONDS=S).
cd /guest || exit 1
. ./lib.sh
echo "TAP version 13"
diag "kernel $KERNEL: $(uname -r), modules: $(cut -d' ' -f1 /proc/modules | tr '\n' ' ')"
for t in "$@"; do
	case "$t" in
	*=*) export "$t"; continue ;;
	esac
	TEST=$t
	NO_OBS=
	diag "---- $t"
	_tn=$t _t0=$(now_ms)
	if [ -f "./$t.sh" ]; then
		. "./$t.sh"
	else
		not_ok "no such test file"
	fi
	# One line per test file for the runner's timing summary (tests/run).
	echo "@@TIME $_tn $(($(now_ms) - _t0))"
done
echo "1..$TAP_N"
[ "$TAP_FAILED" -eq 0 ]
