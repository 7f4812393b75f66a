#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# region.c's address translation arithmetic (DPA offset and position to HPA offset and back, modulo
# and XOR), judged by the kernel's own test module of it, cxl_translate
# (tools/testing/cxl/test/cxl_translate.c, built as it is into tests/modules/translate): on the
# reference kernel against region.c, on the project kernel against cxl_region's Rust
# (rust/cxl/exports.rs). Loaded without vectors it runs its own checks (parameter validation,
# 10000 random round trips); then it is loaded with translate.vectors (tests/tools/translate-vectors:
# every ways and granularity encoding, every position, both arithmetics), at most 128 a load, and
# each vector must print its PASS line.
. "$(dirname "$0")/lib.sh"
ksft_main "$@"
[ -r "$MODDIR/cxl_translate.ko" ] || skip_all "needs the test module cxl_translate.ko (tests/modules/translate) in $MODDIR"
VECTORS=$KSFT_DIR/translate.vectors
[ -r "$VECTORS" ] || skip_all "no translate.vectors next to the test"
NO_OBS=1
rmmod cxl_translate 2>/dev/null

# load WHAT [ARG]: insmod cxl_translate with ARG, then rmmod it; KLOG = the kernel log of the load.
load() {
	local r
	klog_mark
	if r=$(insmod "$MODDIR/cxl_translate.ko" ${2:+"$2"} 2>&1); then
		ok "insmod cxl_translate ($1)"
		rmmod cxl_translate
	else
		not_ok "insmod cxl_translate ($1): $r"
	fi
	KLOG=$(klog_since "$KLOG_MARK") || KLOG="(the kernel log since the mark was overwritten)"
}

load "its own checks"
expect_eq "its own checks: the parameter checks and 10000 random round trips passed" 1 \
	"$(echo "$KLOG" | grep -c 'cxl_translate: Internal validation test completed successfully')"

total=$(grep -c . "$VECTORS")
n=0 batch=0 passed=0 failed=0
while [ $n -lt $total ]; do
	batch=$((batch + 1))
	list=$(sed -n "$((n + 1)),$((n + 128))p" "$VECTORS" | tr '\n' , | sed 's/,$//')
	count=$(sed -n "$((n + 1)),$((n + 128))p" "$VECTORS" | grep -c .)
	load "vectors $((n + 1))-$((n + count))" "table=\"$list\""
	p=$(echo "$KLOG" | grep -c 'CXL Translate Test [0-9]*: PASS')
	f=$(echo "$KLOG" | grep -c 'CXL Translate Test [0-9]*: FAIL')
	if [ "$p" -eq "$count" ] && [ "$f" -eq 0 ]; then
		ok "vectors $((n + 1))-$((n + count)): $count of $count PASS"
	else
		not_ok "vectors $((n + 1))-$((n + count)): $p PASS, $f FAIL of $count"
		echo "$KLOG" | grep -A1 'FAIL' | head -6 | sed 's/^/# /'
	fi
	passed=$((passed + p)) failed=$((failed + f))
	n=$((n + count))
done
diag "$passed of $total vectors passed in $batch loads"
expect_eq "no vector failed" 0 "$failed"
