#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Guest side of `make ndctl`: runs the named tests of ndctl's CXL suite (the peer suite, unmodified,
# in /ndctl/test) one after the other on cxl_test, each between "@@NDCTL-BEGIN NAME" and
# "@@NDCTL-END NAME STATUS SECONDS" lines (0 passed, 77 skipped, else failed: meson's convention;
# the test's guest time), which the host turns into TAP. A name "ksft:NAME" is a program of our own
# kselftest target run the same way (through run_kselftest.sh, from /kselftest): the tests of ours
# that need cxl_test's topology. The status is 0.
cd /ndctl/test || exit 1
export NDCTL=/usr/bin/ndctl DAXCTL=/usr/bin/daxctl CXL=/usr/bin/cxl TEST_PATH=/ndctl/test
echo "# kernel $(cat /etc/cxlvm/kernel): $(uname -r), modules: $(cut -d' ' -f1 /proc/modules | tr '\n' ' ')"
for t in "$@"; do
	echo "@@NDCTL-BEGIN $t"
	t0=$(date +%s)
	case "$t" in
	ksft:*)
		out=$(cd /kselftest && ./run_kselftest.sh -t "drivers/cxl/dcd:${t#ksft:}.sh" 2>&1)
		echo "$out"
		# The runner's own line for the program: "not ok" fails, "# SKIP" skips.
		if echo "$out" | grep -q '^not ok [0-9]* selftests:'; then
			rc=1
		elif echo "$out" | grep -q '^ok [0-9]* selftests:.*# SKIP'; then
			rc=77
		elif echo "$out" | grep -q '^ok [0-9]* selftests:'; then
			rc=0
		else
			rc=1
		fi
		;;
	*)
		bash "./$t.sh" 2>&1
		rc=$?
		;;
	esac
	echo "@@NDCTL-END $t $rc $(($(date +%s) - t0))"
done
exit 0
