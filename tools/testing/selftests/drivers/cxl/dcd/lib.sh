# SPDX-License-Identifier: GPL-2.0
# Helpers for the CXL DCD selftests (POSIX sh; busybox sh in our VM). Each test program sources
# this file and calls ksft_main first:
#
#	. "$(dirname "$0")/lib.sh"
#	ksft_main "$@"
#
# ksft_main runs the rest of the program as its body and prints the body's results as KTAP in the
# conventions of the kernel's kselftest/ktap_helpers.sh (version line, plan, "ok N - name" /
# "not ok N - name", "# SKIP reason", "# Totals" line; exit status 0 pass, 1 fail, 4 skip). The
# number of results is known only at the end (loops over devices and states), so the body's
# output is collected and printed behind its plan; DCD_KTAP_LIVE=FILE copies it there as it comes.
#
# Devices are found by what they are (dcd_memdev, static_memdev), never by a topology's serials or
# names. What a guest cannot do alone is skipped with its reason: capacity from QEMU's monitor needs
# the `qmp` command of scripts/cxl-vm's guests (need_qmp), a module reload needs the .ko files
# (CXL_DCD_MODDIR, default /lib/modules/cxlvm), the held-reference tests the cxl_hold fixture.
#
# Observations that must be identical on the reference and the project kernel are printed as
# "# @@OBS <test>.<key>=<value>" diagnostic lines; tests/run compares them across kernels.

CXL=/sys/bus/cxl/devices
NL='
'
DAX=/sys/bus/dax/devices
# rd VAR FILE: VAR = the first line of FILE, empty when FILE cannot be read. The helpers below
# read and write sysfs in the shell itself: in a TCG guest with KASAN a fork costs about 17 ms and
# a $(cat FILE) about 38 ms, against 2 ms for a read, and they run thousands of times a run.
rd() {
	eval "$1="
	read -r "$1" 2>/dev/null <"$2" || :
}

# rd_all VAR FILE: VAR = every line of FILE, each ended by a newline (empty when unreadable).
rd_all() {
	local _l _v=
	if [ -r "$2" ]; then
		while IFS= read -r _l || [ -n "$_l" ]; do _v="$_v$_l
"; done 2>/dev/null <"$2"
	fi
	eval "$1=\$_v"
}

# The target's directory: the test program's, or the working directory of a script of ours that
# sources this file from there (the benchmarks, the demo: cd /guest; . ./lib.sh).
KSFT_DIR=$(cd "$(dirname "$0")" && pwd)
[ -r "$KSFT_DIR/kernel-reports" ] || KSFT_DIR=$PWD
MODDIR=${CXL_DCD_MODDIR:-/lib/modules/cxlvm}
# KERNEL: which kernel this is, for the few checks that differ: our VM says (reference, project,
# debug); elsewhere "project" when the cxl_region driver is the Rust module, else "reference".
KERNEL=$(cat /etc/cxlvm/kernel 2>/dev/null) ||
	if [ "$(basename "$(readlink -f /sys/bus/cxl/drivers/cxl_region/module 2>/dev/null)")" = cxl_region ]; then
		KERNEL=project
	else
		KERNEL=reference
	fi

TAP_N=${TAP_N:-0}
TAP_FAILED=${TAP_FAILED:-0}
TEST=${TEST:-$(basename "$0" .sh)}

# ksft_main ARGS: in the program's first run, run it again as the body (DCD_KTAP_BODY=1), then
# print the body's KTAP and exit with the kselftest status. In the body, return at once.
ksft_main() {
	[ -z "${DCD_KTAP_BODY:-}" ] || { trap 'echo "@@END"' EXIT; return 0; }
	local tmp t0 rc n pass fail skip helpers
	tmp=$(mktemp -d)
	t0=$(now_ms)
	(DCD_KTAP_BODY=1 sh "$0" "$@" 2>&1; echo $? >"$tmp/rc") |
		if [ -n "${DCD_KTAP_LIVE:-}" ]; then tee -a "$DCD_KTAP_LIVE"; else cat; fi >"$tmp/body"
	rd rc "$tmp/rc"
	# The kernel's helpers (installed next to run_kselftest.sh, or in the source tree), else the
	# same conventions here.
	helpers=$KSFT_DIR/../../../kselftest/ktap_helpers.sh
	if [ -r "$helpers" ]; then
		. "$helpers"
	else
		KSFT_PASS=0 KSFT_FAIL=1 KSFT_SKIP=4
		ktap_print_header() { echo "TAP version 13"; }
		ktap_set_plan() { echo "1..$1"; }
		ktap_skip_all() { echo "1..0 # SKIP $*"; }
		ktap_print_totals() {
			echo "# Totals: pass:$KTAP_CNT_PASS fail:$KTAP_CNT_FAIL xfail:0 xpass:0 skip:$KTAP_CNT_SKIP error:0"
		}
	fi
	ktap_print_header
	if grep -q '^@@SKIPALL ' "$tmp/body"; then
		ktap_skip_all "$(sed -n 's/^@@SKIPALL //p' "$tmp/body" | head -1)"
		grep '^#' "$tmp/body"
		rm -rf "$tmp"
		exit "$KSFT_SKIP"
	fi
	n=$(grep -c -E '^(not )?ok [0-9]+ ' "$tmp/body")
	# A body that died half way, or printed no result, fails with a result that says so.
	if ! grep -q '^@@END$' "$tmp/body"; then
		n=$((n + 1))
		echo "not ok $n - $TEST: the test program reached its end (it stopped with status $rc)" >>"$tmp/body"
	elif [ "$n" -eq 0 ]; then
		n=1
		echo "not ok 1 - $TEST: the test program printed a result" >>"$tmp/body"
	fi
	# Outside scripts/cxl-vm's guests nobody compares the observations with the reference
	# kernel's (tests/run does, on the host): say so.
	if [ ! -e /etc/cxlvm/kernel ] && grep -q '^# @@OBS ' "$tmp/body"; then
		n=$((n + 1))
		echo "ok $n - $TEST: the @@OBS values, the same as the reference kernel's # SKIP only tests/run (make check) compares the two kernels" >>"$tmp/body"
	fi
	ktap_set_plan "$n"
	# The body's results and diagnostics; anything else it printed (a command's stray output)
	# becomes a diagnostic line, so that the stream stays KTAP.
	sed -E -e '/^@@END$/d' -e '/^(ok|not ok) [0-9]+ /b' -e '/^#/b' -e 's/^/# /' "$tmp/body"
	KTAP_CNT_FAIL=$(grep -c '^not ok [0-9]* ' "$tmp/body")
	KTAP_CNT_SKIP=$(grep -c '^ok [0-9]* .* # SKIP' "$tmp/body")
	KTAP_CNT_PASS=$((n - KTAP_CNT_FAIL - KTAP_CNT_SKIP))
	KTAP_CNT_XFAIL=0
	echo "# @@TIME $TEST $(($(now_ms) - t0))"
	ktap_print_totals
	rm -rf "$tmp"
	[ "$KTAP_CNT_FAIL" -eq 0 ] || exit "$KSFT_FAIL"
	[ "$KTAP_CNT_PASS" -gt 0 ] || exit "$KSFT_SKIP"
	exit "$KSFT_PASS"
}

# skip_all REASON: the whole program is skipped (what it needs is not there); ends the body.
skip_all() {
	echo "@@SKIPALL $*"
	exit 0
}

# skip DESCRIPTION REASON: one result, skipped.
skip() {
	TAP_N=$((TAP_N + 1))
	echo "ok $TAP_N - $TEST: $1 # SKIP $2"
}

ok() {
	TAP_N=$((TAP_N + 1))
	echo "ok $TAP_N - $TEST: $*"
}

not_ok() {
	TAP_N=$((TAP_N + 1))
	TAP_FAILED=$((TAP_FAILED + 1))
	echo "not ok $TAP_N - $TEST: $*"
}

diag() { echo "# $*"; }

# check DESCRIPTION COMMAND...: one TAP line for the status of COMMAND.
check() {
	desc=$1
	shift
	if "$@"; then ok "$desc"; else not_ok "$desc"; fi
}

# expect_eq DESCRIPTION EXPECTED ACTUAL
expect_eq() {
	if [ "$2" = "$3" ]; then
		ok "$1"
	else
		not_ok "$1"
		diag "expected '$2', got '$3'"
	fi
}

# expect_file DESCRIPTION EXPECTED FILE: expect_eq of FILE's first line (empty when unreadable).
expect_file() {
	local v
	rd v "$3"
	expect_eq "$1" "$2" "$v"
}

# obs KEY VALUE: a value the host compares between the two kernels.
# Tests of the project kernel only (NO_OBS=1, reset for each test) record none.
obs() { [ -n "${NO_OBS:-}" ] || echo "# @@OBS $TEST.$1=${2:-<empty>}"; }

# obs_file KEY FILE: obs of a sysfs file's content (or <absent>).
obs_file() {
	local v l
	[ -e "$2" ] || { obs "$1" "<absent>"; return; }
	rd_all v "$2"
	# Lines joined by spaces, no trailing one.
	l=
	while [ -n "$v" ]; do
		l="$l${l:+ }${v%%
*}"
		v=${v#*
}
	done
	obs "$1" "$l"
}

# errno_set MESSAGE: ERRNO = the errno name for a strerror() text from busybox (no fork).
errno_set() {
	case "$1" in
	*"Invalid argument"*) ERRNO=EINVAL ;;
	*"Device or resource busy"*) ERRNO=EBUSY ;;
	*"No such device or address"*) ERRNO=ENXIO ;;
	*"No such device"*) ERRNO=ENODEV ;;
	*"No such file or directory"*|*"nonexistent directory"*) ERRNO=ENOENT ;;
	*"Operation not supported"*|*"Not supported"*) ERRNO=EOPNOTSUPP ;;
	*"No space left on device"*) ERRNO=ENOSPC ;;
	*"Numerical result out of range"*) ERRNO=ERANGE ;;
	*"Operation not permitted"*) ERRNO=EPERM ;;
	*"Cannot allocate memory"*) ERRNO=ENOMEM ;;
	*"Permission denied"*) ERRNO=EACCES ;;
	*"Resource temporarily unavailable"*) ERRNO=EAGAIN ;;
	*"Input/output error"*) ERRNO=EIO ;;
	*"No such process"*) ERRNO=ESRCH ;;
	*"File exists"*) ERRNO=EEXIST ;;
	*"Argument list too long"*) ERRNO=E2BIG ;;
	*) ERRNO="UNKNOWN($1)" ;;
	esac
}

# w_errno VALUE FILE: write VALUE to FILE (in this shell, one write); ERRNO = OK or the errno
# name of the failure. The shell's message goes through a file of this process's own (the
# stress and race tests write from several shells at once, and $$ is the same in all of them).
w_errno() {
	local me msg
	read -r me _ </proc/self/stat
	if { echo -n "$1" >"$2"; } 2>/tmp/.w_errno.$me; then
		ERRNO=OK
	else
		rd msg /tmp/.w_errno.$me
		errno_set "$msg"
	fi
}

# write_errno VALUE FILE: w_errno, printed.
write_errno() {
	w_errno "$1" "$2"
	echo "$ERRNO"
}

# sysfs_write VALUE FILE: a write that must succeed (one TAP line).
sysfs_write() {
	w_errno "$1" "$2"
	expect_eq "write '$1' to ${2#/sys/}" OK "$ERRNO"
	[ "$ERRNO" = OK ]
}

# expect_errno ERRNO VALUE FILE [STATEFILE...]: the write fails with ERRNO, and the content of
# FILE and each STATEFILE is unchanged (state unchanged). Records the errno for the kernel diff.
expect_errno() {
	want=$1
	val=$2
	file=$3
	shift 3
	state_of "$file" "$@"
	before=$STATE
	# A state that reads empty before and after (a write-only FILE and no STATEFILE) compares
	# nothing: say so instead of passing.
	case "$before" in *[!\|]*) ;; *) not_ok "expect_errno of '$val' to ${file#/sys/}: no state to compare (write-only and no state file)" ;; esac
	klog_mark
	klog_before=$KLOG_MARK
	w_errno "$val" "$file"
	got=$ERRNO
	state_of "$file" "$@"
	after=$STATE
	expect_eq "write '$val' to ${file#/sys/} fails with $want" "$want" "$got"
	expect_eq "state unchanged after '$val' to ${file#/sys/}" "$before" "$after"
	# Keyed by position, not by value: decoder names in values vary with probe order.
	obs "errno.$TAP_N.$(basename "$file")" "$got"
	new=$(reports_since "$klog_before")
	expect_eq "no kernel warning after '$val' to ${file#/sys/}" "" "$new"
}

# state_of FILE...: STATE = the content of each FILE, each followed by "|" (what expect_errno
# compares before and after a write).
state_of() {
	local f v
	STATE=
	for f in "$@"; do
		rd_all v "$f"
		STATE="$STATE$v|"
	done
}

# klog_mark: puts a line of its own into the kernel log and sets KLOG_MARK to it, for klog_since.
# (A count of lines would not do: the log is a ring buffer, 128 KiB in our kernels; once full, its
# line count stays put while the oldest lines go, and "the lines after the Nth" are then none.)
klog_mark() {
	read -r KLOG_MARK </proc/sys/kernel/random/uuid
	KLOG_MARK="dcd-ksft mark $KLOG_MARK"
	echo "$KLOG_MARK" >/dev/kmsg
}

# klog_since MARK [PATTERNS]: the kernel log after MARK (with PATTERNS, a file of fixed strings
# one per line, only the lines holding one of them); status 1, and nothing printed, when MARK has
# already left the buffer (what came after it cannot be known whole).
klog_since() {
	dmesg | awk -v m="$1" -v pf="${2:-}" '
		BEGIN { if (pf != "") while ((getline l < pf) > 0) if (l != "") pat[++n] = l }
		f { if (!n) { print; next } for (i = 1; i <= n; i++) if (index($0, pat[i])) { print; break }; next }
		index($0, m) { f = 1 }
		END { exit !f }'
}

# reports_since MARK: the kernel log's lockdep, KASAN, WARN, BUG, ... reports after MARK (the list
# scripts/cxl-vm fails a run on: kernel-reports), or a line saying that the log since MARK is lost.
reports_since() {
	klog_since "$1" "$KSFT_DIR/kernel-reports" || echo "the kernel log since the mark was overwritten: not checked"
}

# memdev_by_serial SERIAL: the memX with that serial (numbering varies by boot). For scripts of
# our own VM (benchmarks, demo); the tests find devices by what they are (below).
memdev_by_serial() {
	for m in $CXL/mem*; do
		[ "$(cat "$m/serial")" = "$1" ] && { basename "$m"; return 0; }
	done
	return 1
}

# memdevs_where PARTITION MIN [NOPARTITION]: the memdevs, in serial order, whose PARTITION (ram,
# dynamic_ram_1) holds at least MIN bytes and, with NOPARTITION, whose NOPARTITION holds none.
memdevs_where() {
	local m
	pick_memdevs "$@"
	for m in $MEMDEVS; do echo $m; done
}

# pick_memdevs PARTITION MIN [NOPARTITION]: memdevs_where, in MEMDEVS (space-separated; no fork).
pick_memdevs() {
	local m size other sn list= min x rest
	for m in $CXL/mem*; do
		[ -e "$m/serial" ] || continue
		rd size "$m/$1/size"
		[ $((${size:-0})) -ge $(($2)) ] || continue
		if [ -n "${3:-}" ]; then
			rd other "$m/$3/size"
			[ $((${other:-0})) -eq 0 ] || continue
		fi
		rd sn "$m/serial"
		list="$list $((sn)):${m##*/}"
	done
	# In serial order: a few memdevs, picked by the smallest serial left.
	MEMDEVS=
	while [ -n "$list" ]; do
		min=
		for x in $list; do [ -n "$min" ] && [ ${x%%:*} -ge ${min%%:*} ] || min=$x; done
		MEMDEVS="$MEMDEVS${MEMDEVS:+ }${min#*:}"
		rest=
		for x in $list; do [ "$x" = "$min" ] || rest="$rest $x"; done
		list=$rest
	done
}

# nth N WORD...: prints the Nth WORD; status 1 when there are fewer.
nth() {
	local n=$1
	shift
	[ "$n" -ge 1 ] && [ $# -ge "$n" ] || return 1
	eval "echo \${$n}"
}

# dcd_memdev [N]: the Nth (default first) memdev with a Dynamic Capacity partition of at least
# 512 MiB, the size the DC tests place their extents in. static_memdev [N]: the Nth with at least
# 256 MiB of static RAM and no DC partition. Status 1 when there is none.
dcd_memdev() { pick_memdevs dynamic_ram_1 0x20000000 && nth "${1:-1}" $MEMDEVS; }
static_memdev() { pick_memdevs ram 0x10000000 dynamic_ram_1 && nth "${1:-1}" $MEMDEVS; }

# need_static / need_dcd [N]: skip the whole program unless there are N (default 1) such memdevs.
need_static() {
	static_memdev "${1:-1}" >/dev/null ||
		skip_all "needs ${1:-1} CXL memdev(s) with at least 256 MiB of static RAM and no DC partition"
}
need_dcd() {
	[ -e "$CXL/$(root_decoder)/create_dynamic_ram_1_region" ] ||
		skip_all "no root decoder offers create_dynamic_ram_1_region: a kernel without DC regions (patches/ and the Rust cxl_region)"
	dcd_memdev "${1:-1}" >/dev/null ||
		skip_all "needs ${1:-1} CXL memdev(s) with a Dynamic Capacity partition of at least 512 MiB"
}

# need_qmp: skip the whole program unless the guest's qmp command reaches its QEMU monitor (the
# relay of scripts/cxl-vm): Dynamic Capacity is added and released from the monitor.
need_qmp() {
	local m why="no qmp command reaching this guest's QEMU monitor (scripts/cxl-vm's relay): extents come from QEMU's monitor"
	command -v qmp >/dev/null 2>&1 || skip_all "$why"
	if m=$(dcd_memdev); then
		DCD_QOM=$(qom_of $m) && return 0
		has_qmp || skip_all "$why"
		skip_all "QEMU has no cxl-type3 device with the serial of $m"
	fi
	has_qmp || skip_all "$why"
}
has_qmp() { command -v qmp >/dev/null 2>&1 && qmp '{"execute": "query-status"}' >/dev/null 2>&1; }

# reloadable MODULE: MODULE is loaded as a module and its .ko is in $MODDIR (to insmod it again).
reloadable() { [ -e "/sys/module/$1/refcnt" ] && [ -r "$MODDIR/$1.ko" ]; }

# need_reload MODULE...: skip the whole program unless each MODULE is reloadable.
need_reload() {
	local m
	for m in "$@"; do
		reloadable $m || skip_all "$m is not a loaded module with its .ko in $MODDIR (CXL_DCD_MODDIR)"
	done
}

# need_hold: skip the whole program without the test fixture cxl_hold (tests/modules) in $MODDIR.
need_hold() {
	[ -r "$MODDIR/cxl_hold.ko" ] || skip_all "needs the test module cxl_hold.ko (tests/modules) in $MODDIR"
}

# need_dcmock: skip the whole program without the test fixture cxl_dcmock (tests/modules) in
# $MODDIR. mock_load / mock_unload: insmod / rmmod it (one TAP line each).
need_dcmock() {
	[ -r "$MODDIR/cxl_dcmock.ko" ] || skip_all "needs the test module cxl_dcmock.ko (tests/modules) in $MODDIR"
}
MOCK=/sys/kernel/debug/cxl_dcmock
mock_load() {
	local r
	r=$(insmod $MODDIR/cxl_dcmock.ko 2>&1) && ok "insmod cxl_dcmock" || not_ok "insmod cxl_dcmock: $r"
}
mock_unload() {
	local r
	r=$(rmmod cxl_dcmock 2>&1) && ok "rmmod cxl_dcmock" || not_ok "rmmod cxl_dcmock: $r"
}

# mock CMD: a command to the fixture (see tests/modules/cxl_dcmock.c), which must succeed. The
# same grammar drives cxl_test's DC mock (dc_mock.sh: MOCK_CTL and MOCK_STATE are its files).
mock() { sysfs_write "$*" ${MOCK_CTL:-$MOCK/ctl}; }

# mock_offers CMD...: each CMD to the fixture (mock), each read by the host before the next
# (settle); LOG = the kernel log since the first. refusals REASON: how many extents LOG shows
# refused for REASON.
mock_offers() {
	local c m
	klog_mark
	m=$KLOG_MARK
	for c in "$@"; do
		mock "$c"
		settle
	done
	LOG=$(klog_since "$m")
}
refusals() { echo "$LOG" | grep -c "not accepted: $1"; }

# cxltest_own: for a program that loads cxl_test itself: skips unless cxl_test's topology (or
# none) is up, and unloads a cxl_test found loaded (CXLTEST_PRELOADED=1 then).
cxltest_own() {
	local r
	[ -e /sys/bus/platform/devices/cxl_acpi.0 ] || [ ! -e $CXL/root0 ] ||
		skip_all "a CXL topology other than cxl_test's is up"
	CXLTEST_PRELOADED=
	[ -e /sys/module/cxl_test ] || return 0
	CXLTEST_PRELOADED=1
	r=$(rmmod cxl_test 2>&1) && ok "rmmod cxl_test" || not_ok "rmmod cxl_test: $r"
}

# mock_get KEY: the value of KEY in the fixture's state file (errors, held, offered, ...).
mock_get() { sed -n "s/^$1 *//p" ${MOCK_STATE:-$MOCK/state}; }

# qom_get PATH PROPERTY: QEMU's reply to qom-get.
qom_get() { qmp "{\"execute\": \"qom-get\", \"arguments\": {\"path\": \"$1\", \"property\": \"$2\"}}"; }

# qom_type3 BASE: the QOM paths of QEMU's cxl-type3 devices under BASE, one per line. Devices
# with an id are under /machine/peripheral, those without under /machine/peripheral-anon.
QOM_BASES="/machine/peripheral /machine/peripheral-anon"
qom_type3() {
	local r
	r=$(qmp "{\"execute\": \"qom-list\", \"arguments\": {\"path\": \"$1\"}}" 2>/dev/null) || return 0
	echo "$r" | tr '{' '\n' | grep '"type": "child<cxl-type3>"' | sed "s|.*\"name\": \"\([^\"]*\)\".*|$1/\1|"
}

# qom_of MEMDEV: the QOM path of MEMDEV's device, found by its serial number; kept for the rest
# of this boot in /tmp (keyed by boot id and serial): each QMP call takes most of a second
# under TCG.
qom_of() {
	local sn b p c boot
	rd sn $CXL/$1/serial
	sn=$((sn))
	rd boot /proc/sys/kernel/random/boot_id
	c=/tmp/.cxl-dcd-qom.$boot.$sn
	[ ! -s "$c" ] || { rd p "$c"; echo "$p"; return 0; }
	for b in $QOM_BASES; do
		for p in $(qom_type3 $b); do
			[ "$(qom_get $p sn)" != "{\"return\": $sn}" ] || { echo "$p" >"$c"; echo "$p"; return 0; }
		done
	done
	return 1
}

# qom_dcd: the QOM path of the first cxl-type3 device with DC regions, by what QEMU says (for a
# kernel that sees no DC partition).
qom_dcd() {
	local b p
	for b in $QOM_BASES; do
		for p in $(qom_type3 $b); do
			case "$(qom_get $p num-dc-regions)" in '{"return": 0}' | *error*) ;; *) echo "$p"; return 0 ;; esac
		done
	done
	return 1
}

# endpoint_of MEMDEV: the endpointN port whose upstream port is MEMDEV.
endpoint_of() {
	for e in $CXL/endpoint*; do
		[ "$e/uport" -ef "$CXL/$1" ] && { echo "${e##*/}"; return 0; }
	done
	return 1
}

# poison_trace CMD...: runs CMD with cxl:cxl_poison traced (tracefs at $T); POISON = the records,
# one a line, from "memdev=" on, with host= and serial= dropped (they differ between boots).
poison_trace() {
	echo >$T/trace
	echo 1 >$T/events/cxl/cxl_poison/enable
	"$@"
	echo 0 >$T/events/cxl/cxl_poison/enable
	rd_all POISON $T/trace
	POISON=$(echo "$POISON" | sed -n 's/.*cxl_poison: \(memdev=.*\)/\1/p' | sed 's/ host=[^ ]* serial=[0-9]*//')
}

# traced REGEX DESCRIPTION: one TAP line, whether a line of $TRACE (a tracefs read) matches REGEX.
traced() {
	if echo "$TRACE" | grep -qE "$1"; then ok "traced: $2"; else not_ok "traced: $2"; diag "no line matches '$1'"; fi
}

# region_edac REGION MEMDEV: the bound 1-way REGION's EDAC memory scrub control, its memdev's
# patrol scrub as one device (devm_cxl_region_edac_register() at bind; QEMU's type-3 devices offer
# the feature): there, its attributes observed, and a cycle written to it reaches MEMDEV's.
region_edac() {
	local e=/sys/bus/edac/devices/cxl_$1/scrub0 max
	if [ ! -d /sys/bus/edac/devices/cxl_$2/scrub0 ]; then
		skip "$1's EDAC scrub device" "$2 has no EDAC scrub control (no CONFIG_CXL_EDAC_SCRUB, or no patrol scrub)"
		return
	elif [ ! -d $e ]; then
		not_ok "$1 has an EDAC scrub device (edac/devices/cxl_$1/scrub0)"
		return
	fi
	ok "$1 has an EDAC scrub device (edac/devices/cxl_$1/scrub0)"
	for a in enable_background min_cycle_duration max_cycle_duration current_cycle_duration; do
		obs_file edac.$a $e/$a
	done
	rd max $e/max_cycle_duration
	sysfs_write "$max" $e/current_cycle_duration
	expect_file "$2's scrub cycle follows $1's" "$max" /sys/bus/edac/devices/cxl_$2/scrub0/current_cycle_duration
}

# root_decoder [MODE]: the first root decoder that can create regions of MODE (ram, pmem;
# default ram).
root_decoder() {
	for d in $CXL/decoder*; do
		[ -e "$d/create_${1:-ram}_region" ] && { echo "${d##*/}"; return 0; }
	done
	return 1
}

# first_free_decoder ENDPOINT: the lowest endpoint decoder with dpa_size 0 and no region.
first_free_decoder() {
	local v
	for d in $CXL/$1/decoder*.*; do
		rd v "$d/dpa_size"
		[ $((v)) -eq 0 ] && { echo "${d##*/}"; return 0; }
	done
	return 1
}

# iomem_cxl: the /proc/iomem lines of the CXL window and the 20 after it (what is inside it),
# less the reserved ranges. iomem_set: the same in IOMEM (no fork).
iomem_set() {
	local l after=0
	IOMEM=
	while IFS= read -r l; do
		case "$l" in
		*"CXL Window"*) after=21 ;;
		esac
		[ $after -gt 0 ] || continue
		after=$((after - 1))
		case "$l" in
		*" : Reserved")
			case "${l% : Reserved}" in *[!0-9a-f\ -]* | *-*-* | "") ;; *-*) continue ;; esac ;;
		esac
		IOMEM="$IOMEM${IOMEM:+
}$l"
	done </proc/iomem
}
iomem_cxl() {
	iomem_set
	[ -z "$IOMEM" ] || echo "$IOMEM"
}


# wait_for PATH [TENTHS]: wait until PATH exists (default 20 s).
wait_for() {
	local i=0
	while [ ! -e "$1" ]; do
		i=$((i + 1))
		[ $i -le "${2:-200}" ] || return 1
		sleep 0.1
	done
}

# wait_gone PATH [TENTHS]: wait until PATH is gone (default 20 s).
wait_gone() {
	local i=0
	while [ -e "$1" ]; do
		i=$((i + 1))
		[ $i -le "${2:-200}" ] || return 1
		sleep 0.1
	done
}

# wait_online DAXDEV: wait until kmem has onlined every memory block of the device, as the real
# client counts them (up to 10 s); one TAP line. A count daxctl could not take (negative: -2 when
# it fails to read the memory sections, just after kmem bound the device) is waited out, not
# taken as every block online.
wait_online() {
	local i=0 l
	while :; do
		l=$(daxctl list -d $1 2>/dev/null | tr -d ' \n')
		case "$l" in
		*'"total_memblocks":0'*) ;;
		*'"online_memblocks":'*)
			on=${l#*\"online_memblocks\":}
			on=${on%%[,\}]*}
			total=${l#*\"total_memblocks\":}
			total=${total%%[,\}]*}
			[ "$on" != "$total" ] || [ "$total" -lt 0 ] || { ok "$1: all $total memory blocks online"; return 0; }
			;;
		esac
		i=$((i + 1))
		[ $i -le 100 ] || { not_ok "$1: all memory blocks online"; diag "daxctl list: $l"; return 1; }
		sleep 0.1
	done
}

# dax_offline DAXDEV: take the memory of a kmem-bound dax device offline with the real client.
# daxctl 81 now and then fails to count the memory blocks of a device that kmem has just bound
# ("failed to get number of memory sections": seen once in 45 cycles, on the reference kernel); that
# case is retried once, with a diagnostic line, rather than failing the run.
dax_offline() {
	out=$(daxctl offline-memory $1 2>&1)
	case "$out" in
	*"failed to get number of memory sections"*)
		diag "daxctl could not count the memory blocks of $1; retrying once: $(echo $out)"
		sleep 0.5
		out=$(daxctl offline-memory $1 2>&1)
		;;
	esac
	expect_eq "daxctl offline-memory $1" "offlined memory for 1 device" "$out"
}

# dax_forget_ids DAXDEV: drop the id that daxctl reconfigure-device wrote to the new_id of
# device_dax and kmem, so that a later device of the same name binds by its region's type again.
dax_forget_ids() {
	local d
	for d in device_dax kmem; do
		echo "$1" >/sys/bus/dax/drivers/$d/remove_id 2>/dev/null || true
	done
}

# create_region MODE: create a region of MODE (ram, dynamic_ram_1) on $RD through
# create_MODE_region with the naming protocol (read the offered name, write it back), taking a new
# name when another writer got the offered one first (EBUSY). Sets REGION.
create_region() {
	local tries=0 r
	while :; do
		rd REGION $CXL/$RD/create_$1_region
		w_errno "$REGION" $CXL/$RD/create_$1_region
		r=$ERRNO
		if [ "$r" = EBUSY ] && [ $tries -lt 50 ]; then
			tries=$((tries + 1))
			continue
		fi
		expect_eq "create $REGION through $RD/create_$1_region" OK "$r"
		[ "$r" = OK ]
		return
	done
}

# region_up MODE MEMDEV...: create, configure, commit and bind a region of MODE (ram,
# dynamic_ram_1) interleaved over these memdevs (one per way, in this order), each
# contributing its whole MODE partition (DPA_SIZE bytes of it when set: what is left of the
# partition after the decoders before), by plain sysfs writes; wait for its first dax device. Sets
# REGION, RD, MEMDEV, EP, EPDEC (those of the first memdev), EPDECS (all endpoint decoders, in
# position order), DAXDEV. One TAP line per step; returns 1 at the first failure.
region_up() {
	local mode=$1
	shift
	RD=$(root_decoder) || { not_ok "root decoder"; return 1; }
	create_region $mode || return 1
	R=$CXL/$REGION
	sysfs_write $# $R/interleave_ways || return 1
	sysfs_write 256 $R/interleave_granularity || return 1
	EPDECS=
	total=0
	for m in "$@"; do
		[ -e "$CXL/$m" ] || { not_ok "memdev '$m'"; return 1; }
		e=$(endpoint_of "$m") || { not_ok "endpoint of $m"; return 1; }
		d=$(first_free_decoder "$e") || { not_ok "free decoder on $e"; return 1; }
		rd size $CXL/$m/$mode/size
		size=${DPA_SIZE:-$size}
		sysfs_write $mode $CXL/$d/mode || return 1
		sysfs_write "$size" $CXL/$d/dpa_size || return 1
		[ -n "$EPDECS" ] || { MEMDEV=$m; EP=$e; EPDEC=$d; }
		EPDECS="$EPDECS $d"
		total=$((total + size))
	done
	sysfs_write "$(printf '%#x' $total)" $R/size || return 1
	pos=0
	for d in $EPDECS; do
		sysfs_write "$d" $R/target$pos || return 1
		pos=$((pos + 1))
	done
	sysfs_write 1 $R/commit || return 1
	sysfs_write "$REGION" /sys/bus/cxl/drivers/cxl_region/bind || return 1
	DAXDEV=dax${REGION#region}.0
	if wait_for $DAX/$DAXDEV; then ok "$DAXDEV appears"; else not_ok "$DAXDEV appears"; return 1; fi
}

# ram_region_up MEMDEV...: region_up of a RAM region, whose dax device kmem binds and onlines.
ram_region_up() {
	region_up ram "$@" || return 1
	if wait_for $DAX/$DAXDEV/driver; then ok "$DAXDEV is bound"; else not_ok "$DAXDEV is bound"; return 1; fi
	wait_online $DAXDEV
}

# dc_region_up: region_up of a Dynamic Capacity region over the whole DC partition of the first
# DCD memdev (dcd_memdev); its dax device is the 0-byte seed.
dc_region_up() { region_up dynamic_ram_1 "$(dcd_memdev)"; }

# ram_region_down: the user's teardown order: offline the memory, unbind the region, decommit,
# detach the targets, delete the region, free the endpoint decoders' DPA.
ram_region_down() {
	R=$CXL/$REGION
	[ ! -e $DAX/$DAXDEV ] || dax_offline $DAXDEV
	sysfs_write "$REGION" /sys/bus/cxl/drivers/cxl_region/unbind
	if wait_gone $DAX/$DAXDEV; then ok "$DAXDEV is gone after unbind"; else not_ok "$DAXDEV is gone after unbind"; fi
	sysfs_write 0 $R/commit
	pos=0
	for d in $EPDECS; do
		w_errno "$NL" $R/target$pos
		[ "$ERRNO" = OK ] && ok "detach target$pos" || not_ok "detach target$pos: $ERRNO"
		pos=$((pos + 1))
	done
	sysfs_write "$REGION" $CXL/$RD/delete_region
	# Under CONCURRENT=1 another shell may already have created a new region by the same name.
	[ -n "${CONCURRENT:-}" ] || check "$REGION is gone" test ! -e $R
	for d in $EPDECS; do
		rd v $CXL/$d/region
		expect_eq "$d belongs to no region" "" "$v"
		sysfs_write 0 $CXL/$d/dpa_size
	done
}

# reload_cxl_region: rmmod cxl_region with $REGION (as region_up left it) live and committed; it
# goes as delete_region would ($REGION and $DAXDEV gone, no decoder committed on $EP, the CXL
# window as $iomem0). Then insmod cxl_region again, once its driver directory is gone.
reload_cxl_region() {
	local r
	r=$(rmmod cxl_region 2>&1) && ok "rmmod cxl_region with committed $REGION" || not_ok "rmmod cxl_region: $r"
	check "$REGION is gone" test ! -e $CXL/$REGION
	check "$DAXDEV is gone" test ! -e $DAX/$DAXDEV
	rd r $CXL/$EP/decoders_committed
	expect_eq "no decoder committed on $EP" 0 "$r"
	iomem_set
	expect_eq "the window is as before" "$iomem0" "$IOMEM"
	# The driver's directory goes with its kobject, up to 4 s later on the debug kernel.
	wait_gone /sys/bus/cxl/drivers/cxl_region
	r=$(insmod $MODDIR/cxl_region.ko 2>&1) && ok "insmod cxl_region again" || not_ok "insmod: $r"
}

# decoder_id DECODER: a name for an endpoint decoder that is the same on every boot: the serial
# of its memdev and its index on the endpoint (decoderE.N numbering follows probe order).
decoder_id() {
	local sn
	[ -n "$1" ] || { echo "<none>"; return; }
	# Endpoint decoders are named after their port: decoderN.M is endpointN's.
	ep=endpoint${1#decoder}
	ep=${ep%.*}
	[ -e $CXL/$ep/$1 ] || ep=$(basename "$(readlink -f $CXL/$1/..)")
	rd sn $CXL/$ep/uport/serial
	echo "mem(serial $sn).decoder.${1##*.}"
}

# dc_capacity add|release DEVICE "OFF:LEN ..." (MiB): cxl-add- or cxl-release-dynamic-capacity of
# these extents in DC region 0 of DEVICE (prescriptive), through the guest's qmp command. DEVICE:
# a QOM path (/machine/...), or a device id under /machine/peripheral (our VM's scripts). Prints
# QEMU's reply; the status is qmp's (1 on an error reply).
dc_capacity() {
	local pol=selection-policy sep= ext= e path=$2
	[ "$1" = add ] || pol=removal-policy
	case "$path" in /*) ;; *) path=/machine/peripheral/$path ;; esac
	for e in $3; do
		ext="$ext$sep{\"offset\": $((${e%%:*} * 1048576)), \"len\": $((${e##*:} * 1048576))}"
		sep=", "
	done
	qmp "{\"execute\": \"cxl-$1-dynamic-capacity\", \"arguments\": {\"path\": \"$path\", \"host-id\": 0, \"$pol\": \"prescriptive\", \"region\": 0, \"extents\": [$ext]}}"
}

# dc_add / dc_release "OFF:LEN ...": dc_capacity on the first DCD memdev, $DCD_QOM (set by
# need_qmp, or by the caller). settle: time for the DC event thread to answer.
dc_add() { dc_capacity add "$DCD_QOM" "$1"; }
dc_release() { dc_capacity release "$DCD_QOM" "$1"; }
settle() { sleep 1; }

# rnd: R = the next pseudo-random number (0..2^31-1) of a 64-bit LCG whose state is S (the seed),
# no fork.
rnd() {
	S=$((S * 6364136223846793005 + 1442695040888963407))
	R=$(((S >> 33) & 0x7fffffff))
}

# node_kb NODE: MemTotal of NUMA node NODE in kB (0 while the node has no memory).
node_kb() { awk '/MemTotal/ { print $4 }' /sys/devices/system/node/node$1/meminfo 2>/dev/null || echo 0; }

# now_ms: milliseconds since boot (10 ms resolution: /proc/uptime).
now_ms() {
	now_set
	echo $NOW_MS
}

# now_set: NOW_MS and NOW_S = milliseconds and seconds since boot (no fork).
now_set() {
	local u f
	read -r u f </proc/uptime
	f=${u#*.}
	NOW_S=${u%.*}
	NOW_MS=$((NOW_S * 1000 + ${f#0} * 10))
}

# until_present / until_gone PATH [TRIES]: wait in 5 ms steps, for timing (default 2000 tries).
until_present() { i=0; while [ ! -e "$1" ]; do i=$((i + 1)); [ $i -lt "${2:-2000}" ] || return 1; sleep 0.005; done; }
until_gone() { i=0; while [ -e "$1" ]; do i=$((i + 1)); [ $i -lt "${2:-2000}" ] || return 1; sleep 0.005; done; }

# each_extent DIR Z FN: FN EXTENT_DIR for each extentZ.N under DIR (a dax region's directory), by
# id (a glob sorts extent0.10 before extent0.2; ids have gaps where extents went). FN adds to its
# caller's variables (no fork).
each_extent() {
	local d n=0 i=0
	for d in $1/extent$2.*; do [ ! -e "$d" ] || n=$((n + 1)); done
	while [ $n -gt 0 ] && [ $i -lt 100000 ]; do
		d=$1/extent$2.$i
		i=$((i + 1))
		[ -e $d ] || continue
		$3 $d
		n=$((n - 1))
	done
}

# extents_of REGION: "extentZ.N=offset:length ..." of the extent devices under the region's dax
# region, by id; empty when there are none.
extents_of() {
	local out= o l
	each_extent $CXL/dax_region${1#region} ${1#region} extent_word
	echo "${out# }"
}
extent_word() {
	rd o $1/offset
	rd l $1/length
	out="$out ${1##*/}=$o:$l"
}

# The pending cxl-cli / daxctl Dynamic Capacity series (no released client knows DCD), as the
# sysfs reads and writes of its commands, so that a test shows our ABI serves them.
# client_extents REGION: the "extents" of `cxl list -r REGION -N`, [{"offset","length"[,"uuid"]}]
# from REGION/dax_regionZ/extentZ.N in id order ("uuid" only where the file is: untagged hides it).
client_extents() {
	local out= o l u
	each_extent $CXL/$1/dax_region${1#region} ${1#region} extent_json
	echo "[${out#,}]"
}
extent_json() {
	rd o $1/offset
	rd l $1/length
	u=
	if [ -e $1/uuid ]; then
		rd u $1/uuid
		u=",\"uuid\":\"$u\""
	fi
	out="$out,{\"offset\":\"$o\",\"length\":\"$l\"$u}"
}
# client_create_device REGION UUID: `daxctl create-device -r REGION --uuid UUID` ("0": one untagged
# extent): 1 to the dax region's create, UUID to its seed's uuid, the seed's size, then the device
# enabled (device_dax bound: the dax bus then makes the region's next device its seed). Prints
# "DEVICE SIZE", or "create: ERRNO" / "uuid: ERRNO" / "enable: ERRNO" for the write that failed.
client_create_device() {
	local dr=$CXL/$1/dax_region${1#region}/dax_region seed size
	w_errno 1 $dr/create
	[ "$ERRNO" = OK ] || { echo "create: $ERRNO"; return 1; }
	rd seed $dr/seed
	w_errno "$2" $DAX/$seed/uuid
	[ "$ERRNO" = OK ] || { echo "uuid: $ERRNO"; return 1; }
	rd size $DAX/$seed/size
	w_errno $seed /sys/bus/dax/drivers/device_dax/bind
	[ "$ERRNO" = OK ] || { echo "enable: $ERRNO"; return 1; }
	echo "$seed $((size))"
}
# dax_disable DEVICE...: each DEVICE (daxZ.N) unbound from its driver, if it has one.
dax_disable() {
	local d
	for d in "$@"; do
		[ ! -e $DAX/$d/driver ] || sysfs_write $d $DAX/$d/driver/unbind
	done
}

# The behaviours of upstream's DCD cases that QEMU's device can show as well as cxl_test's mock
# (tags, shared sequences, forced release, misaligned or overlapping offers are the mock's alone),
# run on both by one body: dc_common.sh (QEMU, DCB=qemu) and dc_mock.sh (the mock, DCB=mock).
# xobs KEY VALUE: what one of them showed; tests/run compares the two backends' values.
xobs() { echo "# @@XOBS dc_common.$1=${2:-<empty>}"; }
# dcb_chain add|release "OFF:LEN ...": one More chain of extents (MiB from the start of the DC
# partition) from the backend: QEMU's monitor (dc_add / dc_release), or the mock's dc_inject (DPA
# from $B, the partition's). Then settle.
dcb_chain() {
	local e n=0 i=0 r
	if [ "$DCB" = qemu ]; then
		r=$(dc_capacity $1 "$DCD_QOM" "$2")
		[ "$r" = '{"return": {}}' ] || not_ok "QEMU: $1 $2: $r"
	else
		for e in $2; do n=$((n + 1)); done
		for e in $2; do
			i=$((i + 1))
			mock "$1 $((B + ${e%:*} * 1048576)) $((${e#*:} * 1048576)) 0 0 $([ $i -lt $n ] && echo 1 || echo 0)"
		done
	fi
	settle
}
# dc_common: on the DC region $REGION (Z; DR its dax region, D its seed) over a whole 512 MiB DC
# partition that holds nothing: the More bit, cxl list's extents, a uuid with no match (the seed
# intact), dax device operations, an extent removed under a dax device, multiple and partial
# extent removal. Leaves the region empty.
dc_common() {
	local v s h r off D1 seed i
	dcb_chain add "0:2 4:2"
	v=$(extents_of $REGION | sed "s/extent$Z\.//g")
	expect_eq "the More bit [$DCB]: one chain, two extents" "0=0x0:0x200000 1=0x400000:0x200000" "$v"
	xobs more_bit "$v"
	xobs cxl_list_extents "$(client_extents $REGION)"
	rd v $DR/available_size
	expect_eq "... available_size [$DCB]" $((4 * 1048576)) $((v))
	xobs available_size $((v))
	w_errno 5a5a5a5a-0000-4000-8000-000000000000 $D/uuid
	expect_eq "uuid with no match [$DCB]: ENOENT" ENOENT "$ERRNO"
	xobs uuid_no_match $ERRNO
	rd v $D/uuid
	rd s $D/size
	expect_eq "uuid with no match, seed intact [$DCB]: no uuid, size 0" ":0" "$v:$((s))"
	xobs uuid_no_match_seed "$v:$((s))"
	w_errno $((4 * 1048576)) $D/size
	expect_eq "dax device operations [$DCB]: a resize other than to 0 is not supported" EOPNOTSUPP "$ERRNO"
	xobs resize $ERRNO
	sysfs_write 0 $D/uuid
	rd s $D/size
	rd h $CXL/$REGION/resource
	rd r $D/resource
	off=$(((r - h) / 1048576))
	expect_eq "... a claim of one untagged extent [$DCB]" $((2 * 1048576)) $((s))
	xobs claim_untagged "$((s)) at $off MiB"
	w_errno 0 $D/uuid
	xobs claim_again $ERRNO
	# Enabled as daxctl does (device_dax bound): the seed no more; the region's next device is.
	sysfs_write ${D##*/} /sys/bus/dax/drivers/device_dax/bind
	rd seed $DR/seed
	expect_eq "... enabled (device_dax), it is the seed no more [$DCB]" "" "$seed"
	xobs enabled_seed "$seed"
	sysfs_write 1 $DR/create
	rd seed $DR/seed
	D1=$DAX/$seed
	sysfs_write 0 $D1/uuid
	rd s $D1/size
	expect_eq "... a second device claims the other [$DCB]" $((2 * 1048576)) $((s))
	xobs second_device $((s))
	w_errno 1 $DR/create
	expect_eq "... none left to create a device for [$DCB]" ENOSPC "$ERRNO"
	xobs create_none_left $ERRNO
	sysfs_write 0 $D1/size
	rd v $DR/available_size
	xobs give_back $((v))
	sysfs_write $seed $DR/delete
	wait_gone $D1 50 && v=gone || v=present
	expect_eq "... a device of size 0 deleted [$DCB]" gone $v
	xobs delete $v
	# The first device's extent asked back: kept while claimed, released once let go.
	dcb_chain release "$off:2"
	v=$(extents_of $REGION | wc -w)
	expect_eq "remove an extent under a dax device [$DCB]: kept while claimed" 2 "$v"
	xobs remove_under_dax $v
	dax_disable ${D##*/}
	sysfs_write 0 $D/size
	i=0
	while [ "$(extents_of $REGION | wc -w)" != 1 ] && [ $i -lt 25 ]; do sleep 0.2; i=$((i + 1)); done
	v=$(extents_of $REGION | sed "s/extent$Z\.//g")
	xobs remove_after_let_go "$v"
	expect_eq "... released once let go [$DCB]" 1 "$(echo $v | wc -w)"
	dcb_chain release "$((4 - off)):2"
	dcb_chain add "8:2 12:2"
	dcb_chain release "8:2 12:2"
	v=$(extents_of $REGION)
	expect_eq "multiple extent remove [$DCB]: none left" "" "$v"
	xobs multiple_remove "$v"
	dcb_chain add "16:4"
	dcb_chain release "16:2"
	v=$(extents_of $REGION)
	expect_eq "partial extent remove [$DCB]: the whole extent goes" "" "$v"
	xobs partial_remove "$v"
	rd v $DR/available_size
	xobs available_size_end $((v))
}

# teardown_one REGION: the administrator's teardown of one region of $RD, whatever its state:
# memory offline, region unbound, decommitted, targets detached, deleted; then free_dpa. Quiet.
teardown_one() {
	local z=${1#region} d t
	for d in $DAX/dax$z.*; do
		[ -e "$d" ] || continue
		! [ "$d/driver" -ef /sys/bus/dax/drivers/kmem ] || daxctl offline-memory ${d##*/} >/dev/null 2>&1
	done
	echo $1 >/sys/bus/cxl/drivers/cxl_region/unbind 2>/dev/null
	echo 0 >$CXL/$1/commit 2>/dev/null
	for t in $CXL/$1/target*; do [ ! -e $t ] || echo >$t 2>/dev/null; done
	echo $1 >$CXL/$RD/delete_region 2>/dev/null
	free_dpa
}
# dpa_held: "DECODER SIZE" for each endpoint decoder of $EPDECS whose DPA size is not 0. One grep
# reads them all: a command substitution per file costs a fork, slow in a TCG guest, and these
# checks run after every round of the race and fault tests.
dpa_held() {
	local d files=
	for d in $EPDECS; do files="$files $CXL/$d/dpa_size"; done
	[ -n "$files" ] || return 0
	# shellcheck disable=SC2086
	grep -H . $files 2>/dev/null | while IFS=: read -r d v; do
		[ $((v)) -eq 0 ] || { d=${d%/dpa_size}; echo "${d##*/} $v"; }
	done
}

# free_dpa: free the DPA of each endpoint decoder of $EPDECS that belongs to no region. Quiet.
free_dpa() {
	local d v r
	dpa_held | while read -r d v; do
		rd r $CXL/$d/region
		[ -n "$r" ] || echo 0 >$CXL/$d/dpa_size 2>/dev/null
	done
}

# w VALUE FILE: a quiet write; its status.
w() { { echo -n "$1" >"$2"; } 2>/dev/null; }

# Quiet builders of a region's states, each from nothing by plain writes (1 on failure), for the
# fault and race tests: a region of MODE (ram, dynamic_ram_1) on $RD over $EPDEC of $MEMDEV, of
# $SIZE bytes (default: the whole partition).
# The create retries the naming protocol's EBUSY (a delayed release may hand a smaller id back).
s_clean() { REGION=; }
s_created() {
	local tries=0
	until rd REGION $CXL/$RD/create_${MODE}_region && [ -n "$REGION" ] && w $REGION $CXL/$RD/create_${MODE}_region; do
		tries=$((tries + 1))
		[ $tries -lt 20 ] || return 1
	done
	w 1 $CXL/$REGION/interleave_ways && w 256 $CXL/$REGION/interleave_granularity
}
s_sized() {
	local size=${SIZE:-}
	[ -n "$size" ] || rd size $CXL/$MEMDEV/$MODE/size
	s_created && w $MODE $CXL/$EPDEC/mode && w "$size" $CXL/$EPDEC/dpa_size && w "$size" $CXL/$REGION/size
}
s_attached() { s_sized && w $EPDEC $CXL/$REGION/target0; }
s_committed() { s_attached && w 1 $CXL/$REGION/commit; }
s_bound() { s_committed && w $REGION /sys/bus/cxl/drivers/cxl_region/bind; }

# snapshot: what left_over compares against, read before a harness starts: the root decoder $RD,
# the CXL window's /proc/iomem lines $iomem0, the dax devices $dax0.
snapshot() {
	RD=$(root_decoder)
	iomem_set
	iomem0=$IOMEM
	dax_list
	dax0=$DAXLIST
}

# dax_list: DAXLIST = the dax devices' names, each followed by a space.
dax_list() {
	local d
	DAXLIST=
	for d in $DAX/*; do [ ! -e "$d" ] || DAXLIST="$DAXLIST${d##*/} "; done
}

# dax_autoprobe 0|1: whether new dax devices are bound (by kmem, hot-adding a RAM region's memory).
dax_autoprobe() { echo $1 >/sys/bus/dax/drivers_autoprobe; }

# add_word VAR WORD: append WORD to the space-separated list in VAR unless it is there already.
add_word() { eval "case \" \$$1 \" in *\" $2 \"*) ;; *) $1=\"\$$1 $2\" ;; esac"; }

# left_over: the administrator's teardown of every region, then what it left that it must not
# (printed; empty when nothing): regions, dax devices other than $dax0, the CXL window other than
# $iomem0, DPA on any endpoint decoder.
left_over() {
	local reg d left=
	EPDECS=
	for d in $CXL/endpoint*/decoder*.*; do [ ! -e "$d" ] || EPDECS="$EPDECS ${d##*/}"; done
	for reg in $CXL/region*; do [ ! -e "$reg" ] || teardown_one ${reg##*/}; done
	free_dpa
	for reg in $CXL/region*; do [ ! -e "$reg" ] || left="$left${reg##*/} "; done
	[ -z "$left" ] || echo "regions: $left"
	dax_list
	[ "$DAXLIST" = "$dax0" ] || echo "dax devices: $DAXLIST"
	iomem_set
	[ "$IOMEM" = "$iomem0" ] || echo "CXL window: $(echo "$IOMEM" | tr '\n' ' ')"
	dpa_held | sed 's/^/DPA: /'
}

# left NAME [ok]: left_over, as TAP: a not-ok line naming NAME (and what was left) and status 1
# when something was left; with "ok", an ok line when nothing was.
left() {
	local lo
	lo=$(left_over)
	if [ -n "$lo" ]; then
		not_ok "$1: nothing left after the teardown"
		diag "$lo"
		return 1
	fi
	[ "${2:-}" != ok ] || ok "$1: nothing left after the teardown"
}
