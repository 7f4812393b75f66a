#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Fault injection (debug kernel: FAILSLAB, FAIL_PAGE_ALLOC). Each step of a region's life is one
# sysfs write; the step is repeated with its Nth allocation failed (/proc/thread-self/fail-nth, so
# only the writing task's allocations fail: kmalloc, kmem_cache and page allocations, GFP_KERNEL
# included), for N = 1, 2, ... until the write makes fewer than N allocations. Each time:
#  - the write fails with an errno (or, when the failed allocation was optional, succeeds and the
#    step's effect is there: the region, its size, target, commit, driver, dax region and device);
#  - the same write then succeeds without a fault and has its whole effect (the state is
#    consistent: the next user works);
#  - the administrator's teardown leaves no region, no HPA, no DPA and no dax device.
# The runner fails the run on any KASAN, lockdep, WARN, BUG or kmemleak report.
#
# Steps: create_ram_region, size (HPA), target0 (attach), commit, bind (region probe: the
# cxl_dax_region, dax_cxl's dax region and device), delete_region of a bound region,
# create_dynamic_ram_1_region, and the bind of a DC region while the device holds an extent (the
# extent list read, the extent device and the seed). dax device auto-binding is off meanwhile
# (drivers_autoprobe), so a RAM region's memory is not hot-added in the middle.
#
# The DC event thread and the release timer are no writer's task: there failslab alone fails the
# Nth allocation made with cxl_region's code on the stack (CONFIG_FAULT_INJECTION_STACKTRACE_FILTER)
# while the device offers an extent and asks for it back; the next offer must then work. The same
# filter fails the allocation of the Add Capacity chain itself, once the timer has freed it.
#
# FAULT_EVERY=1 tries every N (the soak). By default a step is sampled: a first write without a
# fault counts its allocations (M, what fail-nth has left of a large N), then one N is drawn at
# random in each of FAULT_SAMPLE (default 4) equal parts of 1..M, from FAULT_SEED (printed; the
# same seed draws the same Ns), so that every allocation of a step can be the one that fails, not
# only the first ones. The event thread steps, whose allocations cannot be counted that way, take
# N = 1, 2, 3, 5, 8, 13, ... FAULT_STEPS=PATTERN runs only the steps whose names match (e.g.
# 'create_ram_region'); the others skip.
#
# create_*_region may answer EBUSY without a fault: the naming protocol's "another writer took the
# offered name", which here is the delayed release (DEBUG_KOBJECT_RELEASE) of an earlier region
# handing its smaller id back to the root decoder, as C's cxl_region_release() does. Such a write
# is repeated with a newly read name.
. "$(dirname "$0")/lib.sh"
ksft_main "$@"
need_static
NO_OBS=1
FI=/sys/kernel/debug
if [ ! -e /proc/thread-self/fail-nth ] || [ ! -d $FI/failslab ]; then
	skip_all "needs fail-nth and failslab (CONFIG_FAILSLAB, CONFIG_FAULT_INJECTION_DEBUG_FS)"
fi
for f in failslab fail_page_alloc; do
	echo N >$FI/$f/ignore-gfp-wait
	echo 2 >$FI/$f/verbose
	echo 100000 >$FI/$f/verbose_ratelimit_burst
done
echo 0 >$FI/fail_page_alloc/min-order
echo N >$FI/fail_page_alloc/ignore-gfp-highmem
MIB=1048576
S=${FAULT_SEED:-$(($(date +%s) % 1000000))}
[ -n "${FAULT_EVERY:-}" ] ||
	diag "fault sample: seed $S, ${FAULT_SAMPLE:-4} Ns a step (FAULT_SEED=$S FAULT_SAMPLE=${FAULT_SAMPLE:-4} to repeat)"
snapshot
dax_autoprobe 0

# logged MARK: counts the injected failures the kernel log shows since MARK into INJ_LOGGED, and
# those with cxl_region or dax_cxl code on the stack into INJ_OURS (LOG_LOST counts windows whose
# mark had left the log buffer). Each trial is its own window: the whole run's log outgrows the
# buffer.
INJ_LOGGED=0 INJ_OURS=0 LOG_LOST=0
logged() {
	local log
	log=$(klog_since "$1") || { LOG_LOST=$((LOG_LOST + 1)); return; }
	set -- $(echo "$log" | awk '/FAULT_INJECTION: forcing a failure/ { i++; if (n) c += m; n = 1; m = 0 }
		/\[(cxl_region|dax_cxl)\]/ { m = 1 } END { c += m; print i + 0, c + 0 }')
	INJ_LOGGED=$((INJ_LOGGED + $1)) INJ_OURS=$((INJ_OURS + $2))
}

# fault_write N VALUE FILE: write VALUE to FILE from a task whose Nth allocation from now fails.
# Sets FW (OK or the errno name), HIT (1 when the failure was injected, 0 when the write made
# fewer than N allocations) and LEFT (N less the allocations made, when not injected). The error file and fail-nth are opened before the fault is armed.
fault_write() {
	set -- $( (
		exec 3>/tmp/faults.err 4<>/proc/thread-self/fail-nth
		echo "$1" >&4
		if echo -n "$2" 2>&3 >"$3"; then rc=OK; else rc=FAIL; fi
		read -r left <&4
		echo 0 >&4
		echo "$rc ${left:-x}"
	) )
	HIT=0
	[ "$2" != 0 ] || HIT=1
	FW=$1 LEFT=$2
	if [ "$FW" = FAIL ]; then
		read -r msg </tmp/faults.err
		errno_set "$msg"
		FW=$ERRNO
	fi
}

# rstate: what a region's checks look at, for a diagnostic line.
rstate() {
	local z=${REGION#region}
	echo "$REGION: size=$(cat $CXL/$REGION/size 2>/dev/null) target0=$(cat $CXL/$REGION/target0 2>/dev/null)" \
		"commit=$(cat $CXL/$REGION/commit 2>/dev/null) driver=$(readlink $CXL/$REGION/driver 2>/dev/null | sed 's|.*/||')" \
		"dax_region$z driver=$(readlink $CXL/dax_region$z/driver 2>/dev/null | sed 's|.*/||')" \
		"dax devices: $(ls $DAX 2>/dev/null | tr '\n' ' ')"
}

# chosen NAME LABEL: whether step NAME runs (FAULT_STEPS=PATTERN, a shell pattern on the step's
# name: only those steps, a soak of one); else LABEL is skipped.
chosen() {
	case "$1" in ${FAULT_STEPS:-*}) return 0 ;; esac
	skip "$2" "not in FAULT_STEPS=$FAULT_STEPS"
	return 1
}

# verdict LABEL BAD INJECTED MESSAGE: "ok MESSAGE" when BAD is empty, else "not ok LABEL" and BAD
# as a diagnostic; INJECTED counts into TOTAL_INJECTED.
verdict() {
	if [ -z "$2" ]; then
		ok "$4"
	else
		not_ok "$1"
		diag "${2#; }"
	fi
	TOTAL_INJECTED=$((TOTAL_INJECTED + $3))
}

# step NAME STATE FILE VALUE EFFECT [ABSORBED]: the step from STATE, with fault N = 1, 2, ... (the
# soak) or the sample (see the top). FILE and VALUE are evaluated after STATE is built ($REGION is
# known then). EFFECT is a command that holds once the step took its whole effect: after a write
# without a fault and after the retry of a refused one. ABSORBED (default EFFECT) holds after a
# write that succeeded although an allocation failed: a bind whose failed allocation was in the
# dax region's probe succeeds with that probe failed, as in C (a child's probe failure does not
# fail the parent's).
step() {
	local name=$1 state=$2 ft=$3 vt=$4 eff=$5 abs=${6:-$5} injected=0 absorbed=0 bad= errnos= m n k i
	chosen "$name" "$name under fault injection" || return
	if [ -n "${FAULT_EVERY:-}" ]; then
		n=1
		while trial $n; do
			n=$((n + 1))
			[ $n -le 2000 ] || { bad="$bad; still injecting at N=$n"; break; }
		done
		m=$((n - 1))
	else
		# A write with N beyond the step counts its allocations.
		! trial 1000000 || bad="$bad; more than 1000000 allocations"
		m=$((1000000 - LEFT)) k=${FAULT_SAMPLE:-4} i=0
		[ $k -le $m ] || k=$m
		while [ $i -lt $k ]; do
			rnd
			trial $((i * m / k + 1 + R % ((i + 1) * m / k - i * m / k)))
			i=$((i + 1))
		done
	fi
	verdict "$name under fault injection" "$bad" $injected \
		"$name: $injected failed allocations ($((injected - absorbed)) refused with$errnos, $absorbed absorbed), each time the step then worked and nothing was left; the step makes $m allocations"
}

# trial N: one trial of step's write from its state with the Nth allocation failed; adds to the
# step's counts and to its "bad". Status 0 when the failure was injected.
trial() {
	local n=$1 f v busy r lo mark
	$state || { bad="$bad; cannot build $state for N=$n: $(left_over)"; return 1; }
	klog_mark; mark=$KLOG_MARK
	busy=0
	while :; do
		eval f=$ft v=$vt
		fault_write $n "$v" "$f"
		case "$HIT $FW $name" in "0 EBUSY create"*) ;; *) break ;; esac
		busy=$((busy + 1))
		[ $busy -lt 20 ] || break
	done
	logged "$mark"
	if [ $HIT = 0 ]; then
		[ "$FW" = OK ] || bad="$bad; N=$n not injected, yet $FW"
		[ "$FW" != OK ] || eval "$eff" || bad="$bad; N=$n (no fault): OK, yet not in effect ($eff): $(rstate)"
		lo=$(left_over)
		[ -z "$lo" ] || bad="$bad; N=$n (no fault): $lo"
		return 1
	fi
	injected=$((injected + 1))
	if [ "$FW" = OK ]; then
		absorbed=$((absorbed + 1))
		eval "$abs" || bad="$bad; N=$n absorbed, yet not in effect ($abs): $(rstate)"
	else
		add_word errnos $FW
		# The next user: the same step, without a fault (create takes the next name, and
		# retries the naming protocol's EBUSY as above).
		busy=0
		while :; do
			case $name in create*) eval v=\$\(cat $f\) ;; esac
			w_errno "$v" "$f"; r=$ERRNO
			case "$r $name" in "EBUSY create"*) ;; *) break ;; esac
			busy=$((busy + 1))
			[ $busy -lt 20 ] || break
		done
		[ $busy = 0 ] || diag "N=$n: the write without a fault took $((busy + 1)) names (EBUSY: a delayed release)"
		if [ "$r" = OK ]; then
			eval "$eff" || bad="$bad; N=$n: $FW, then OK without a fault, yet not in effect ($eff): $(rstate)"
		else
			bad="$bad; N=$n: $FW, then the step fails without a fault ($r): $(rstate)"
		fi
	fi
	lo=$(left_over)
	[ -z "$lo" ] || bad="$bad; N=$n ($FW): teardown leaves $lo"
	return 0
}

# text_of MODULE: "START END" of MODULE's code, from /proc/kallsyms (fixed-width hex addresses,
# compared as strings): its first text symbol, and the first symbol after its last one.
text_of() {
	sort /proc/kallsyms | awk -v m="[$1]" '
		$4 == m && ($2 == "t" || $2 == "T") { if (lo == "") lo = $1; hi = $1; next }
		hi != "" && end == "" && $1 > hi { end = $1 }
		END { if (lo != "") print lo, (end != "" ? end : hi) }'
}

# The DC event thread and the release timer run in no task a test can arm with fail-nth. There
# failslab itself fails the Nth allocation from now made with cxl_region's code on the stack, in
# whatever task (its stacktrace filter: require-start/-end on the module's text). failslab counts
# such allocations in a counter debugfs does not show, fails one when the counter reaches a
# multiple of "interval", and stops counting once "times" is spent: with interval = counter + N
# the Nth fails, and the counter is then known again (EV_COUNT). A trial that injects nothing
# leaves the counter unknown, so it ends the only sweep that uses it.
FS=$FI/failslab
EV_COUNT=0
ev_arm() {
	EV_INT=$((EV_COUNT + $1))
	echo 0 >$FS/space
	echo $EV_INT >$FS/interval
	echo 1 >$FS/times
	echo 100 >$FS/probability
}
# ev_disarm: no more failures; EV_HIT=1 when the armed one was injected.
ev_disarm() {
	echo 0 >$FS/probability
	EV_HIT=0
	if [ "$(cat $FS/times)" = 0 ]; then
		EV_HIT=1
		[ $EV_INT = 1 ] || EV_COUNT=$EV_INT
	fi
}

# ev_ready NAME LABEL: when step NAME runs and the kernel and the symbols allow it, failslab
# counts only allocations with cxl_region's code on the stack; else LABEL is skipped (1).
# ev_filter_off: every allocation again.
ev_ready() {
	local t
	chosen "$1" "$2" || return 1
	t=$(text_of cxl_region)
	if [ ! -e $FS/require-start ] || [ -z "$t" ]; then
		skip "$2" "needs CONFIG_FAULT_INJECTION_STACKTRACE_FILTER and cxl_region's symbols"
		return 1
	fi
	echo 0x${t% *} >$FS/require-start
	echo 0x${t#* } >$FS/require-end
}
ev_filter_off() {
	echo 0 >$FS/require-start
	echo 0xffffffffffffffff >$FS/require-end
	echo 1 >$FS/interval
}

# chain_step: the Add Capacity chain itself finds no memory. A device's chain is kept between
# offers until the timer frees it, CHAIN_TIMEOUT (20 s) after an offer of several extents began:
# so a two-extent offer first, given back, and 22 s later a one-extent offer with the first
# allocation of cxl_region's code failed, the chain's. The offer must be answered accepting
# nothing (no extent device; the kernel log names the chain), and the same offer without a fault
# is then accepted and given back (unanswered, the device would keep it pending and refuse it).
chain_step() {
	local name="DC event thread: no memory for the Add Capacity chain" z=${REGION#region} bad= mark log
	local d=$CXL/dax_region$z
	ev_ready "$name" "$name" || return
	dc_add "0:2 2:2" >/dev/null 2>&1
	wait_for $d/extent$z.1 100 || bad="$bad; the two-extent offer was not accepted: $(extents_of $REGION)"
	dc_release "0:2 2:2" >/dev/null 2>&1
	wait_gone $d/extent$z.0 100 && wait_gone $d/extent$z.1 100 || bad="$bad; the two extents were not given back: $(extents_of $REGION)"
	sleep 22
	klog_mark; mark=$KLOG_MARK
	# interval 1: the first such allocation fails, whatever failslab's counter is.
	EV_COUNT=0
	ev_arm 1
	dc_add "0:2" >/dev/null 2>&1
	sleep 3
	ev_disarm
	[ $EV_HIT = 1 ] || bad="$bad; no allocation was failed"
	log=$(klog_since "$mark") || bad="$bad; the kernel log since the offer was overwritten"
	logged "$mark"
	echo "$log" | grep -q 'no memory for an Add Capacity chain' ||
		bad="$bad; the failed allocation was not the chain's: $(echo "$log" | grep -v FAULT_INJECTION | head -3)"
	if [ -e $d/extent$z.0 ]; then
		bad="$bad; the offer was accepted without a chain"
		dc_release "0:2" >/dev/null 2>&1
		wait_gone $d/extent$z.0 100
	fi
	dc_add "0:2" >/dev/null 2>&1
	wait_for $d/extent$z.0 100 || bad="$bad; then the same offer without a fault is not accepted: $(extents_of $REGION)"
	dc_release "0:2" >/dev/null 2>&1
	wait_gone $d/extent$z.0 100 || bad="$bad; then the extent is not given back: $(extents_of $REGION)"
	ev_filter_off
	verdict "$name" "$bad" $EV_HIT \
		"$name: the offer was answered accepting nothing, and the same offer then accepted and given back"
}

# event_step: from a bound DC region $REGION with no extent, the device offers an extent (Add
# Capacity: the event thread judges the chain, answers, adds extentZ.0) and asks for it back
# (Release Capacity: given back at once, or by the timer), with the Nth allocation of cxl_region's
# code failed, N as in step. Each time, the same offer without a fault is then accepted and given
# back (neither the host nor the device keeps a trace of the failed one), and no kernel report
# follows (the runner's check).
event_step() {
	local name="DC event thread and release timer (Add and Release Capacity)" n=0 a=1 b=2 \
		injected=0 came=0 kept=0 last=0 bad= z=${REGION#region} ext got t mark
	ext=$CXL/dax_region$z/extent$z.0
	ev_ready "$name" "$name under fault injection" || return
	while :; do
		if [ -n "${FAULT_EVERY:-}" ]; then n=$((n + 1)); else n=$a a=$b b=$((a + n)); fi
		klog_mark; mark=$KLOG_MARK
		ev_arm $n
		dc_add "0:2" >/dev/null 2>&1
		wait_for $ext 30
		got=0
		[ ! -e $ext ] || got=1
		dc_release "0:2" >/dev/null 2>&1
		wait_gone $ext 30
		# A release the dax region refused is retried by the timer every second.
		sleep 1
		ev_disarm
		logged "$mark"
		if [ $EV_HIT = 0 ]; then
			[ $got = 1 ] || bad="$bad; N=$n not injected, yet the offered extent was not accepted"
			[ ! -e $ext ] || bad="$bad; N=$n not injected, yet the extent was not given back"
			break
		fi
		injected=$((injected + 1)) came=$((came + got)) last=$n
		# A failed Release DC keeps the extent, on both sides: a second request gives it back.
		if [ -e $ext ]; then
			kept=$((kept + 1))
			dc_release "0:2" >/dev/null 2>&1
			wait_gone $ext 100 || bad="$bad; N=$n: the extent kept is not given back when asked again"
		fi
		dc_add "0:2" >/dev/null 2>&1
		wait_for $ext 100 || bad="$bad; N=$n (came: $got): then an offer without a fault is not accepted: $(extents_of $REGION)"
		dc_release "0:2" >/dev/null 2>&1
		wait_gone $ext 100 || bad="$bad; N=$n (came: $got): then the extent is not given back: $(extents_of $REGION)"
		[ -z "$bad" ] || break
		[ $n -lt 2000 ] || { bad="$bad; still injecting at N=$n"; break; }
	done
	ev_filter_off
	verdict "$name under fault injection" "$bad" $injected \
		"$name: $injected failed allocations ($came with the extent accepted anyway, $kept with it kept at the release), each time the next offer was accepted and given back; the pair makes $last to $((n - 1)) such allocations"
}

TOTAL_INJECTED=0
MODE=ram
MEMDEV=$(static_memdev)
EP=$(endpoint_of $MEMDEV)
EPDEC=$(first_free_decoder $EP)
EPDECS=$EPDEC
# The effects. A bound region's dax region is bound to dax_cxl and has its device (the seed, for
# a DC region); when an absorbed failure was in dax_cxl's probe, the dax region is there unbound.
CREATED='test -e $CXL/$v'
BOUND='wait_for $CXL/$REGION/driver 50 && wait_for $CXL/dax_region${REGION#region}/driver 50 && wait_for $DAX/dax${REGION#region}.0 50'
BOUND_ABSORBED='wait_for $CXL/$REGION/driver 50 && wait_for $CXL/dax_region${REGION#region} 50 &&
	{ [ ! -e $CXL/dax_region${REGION#region}/driver ] || wait_for $DAX/dax${REGION#region}.0 50; }'
step create_ram_region s_clean '$CXL/$RD/create_ram_region' '$(cat $CXL/$RD/create_ram_region)' "$CREATED"
step "RAM region size (HPA)" s_created '$CXL/$REGION/size' '$(cat $CXL/$MEMDEV/ram/size)' \
	'[ $(($(cat $CXL/$REGION/size))) = $(($v)) ]'
step "RAM region target0 (attach)" s_sized '$CXL/$REGION/target0' '$EPDEC' '[ "$(cat $CXL/$REGION/target0)" = $EPDEC ]'
step "RAM region commit" s_attached '$CXL/$REGION/commit' 1 '[ "$(cat $CXL/$REGION/commit)" = 1 ]'
step "RAM region bind (probe, dax region and device)" s_committed /sys/bus/cxl/drivers/cxl_region/bind '$REGION' \
	"$BOUND" "$BOUND_ABSORBED"
step "delete_region of a bound RAM region" s_bound '$CXL/$RD/delete_region' '$REGION' 'wait_gone $CXL/$REGION 50'

if [ ! -e $CXL/$RD/create_dynamic_ram_1_region ] || ! dcd_memdev >/dev/null; then
	skip "the DC steps" "no DC region support or no DCD memdev"
elif ! command -v qmp >/dev/null || ! DCD_QOM=$(qom_of $(dcd_memdev)); then
	skip "the DC steps" "no qmp command reaching this guest's QEMU monitor"
else
	MODE=dynamic_ram_1
	MEMDEV=$(dcd_memdev)
	EP=$(endpoint_of $MEMDEV)
	EPDEC=$(first_free_decoder $EP)
	EPDECS=$EPDEC
	step create_dynamic_ram_1_region s_clean '$CXL/$RD/create_dynamic_ram_1_region' \
		'$(cat $CXL/$RD/create_dynamic_ram_1_region)' "$CREATED"
	# The device holds one extent for the host (added while a region was there to accept it):
	# each bind reads it back into extentZ.0.
	if s_bound; then
		dc_add "0:2" >/dev/null
		wait_for $CXL/dax_region${REGION#region}/extent${REGION#region}.0 100
		check "the DC region accepts an extent before the faults" test -e $CXL/dax_region${REGION#region}/extent${REGION#region}.0
	else
		not_ok "a DC region comes up before the faults"
	fi
	left "before the DC bind step" ok
	step "DC region bind with an extent (list read, extent device, seed)" s_committed \
		/sys/bus/cxl/drivers/cxl_region/bind '$REGION' \
		"$BOUND"' && wait_for $CXL/dax_region${REGION#region}/extent${REGION#region}.0 50' "$BOUND_ABSORBED"
	# Give it back: a region takes it, the device is asked to release it.
	if s_bound && wait_for $CXL/dax_region${REGION#region}/extent${REGION#region}.0; then
		dc_release "0:2" >/dev/null
		wait_gone $CXL/dax_region${REGION#region}/extent${REGION#region}.0 100
		check "the extent is released after the faults" test ! -e $CXL/dax_region${REGION#region}/extent${REGION#region}.0
	else
		not_ok "a DC region takes the extent back after the faults"
	fi
	# The event thread and the release timer (no fail-nth reaches them), from a new bound DC
	# region with no extent.
	left "before the event thread step"
	if s_bound; then
		event_step
		chain_step
	else
		not_ok "a DC region comes up before the faults in the event thread"
	fi
	left "after the DC steps" ok
fi

dax_autoprobe 1
for f in failslab fail_page_alloc; do echo Y >$FI/$f/ignore-gfp-wait; done
inj=$INJ_LOGGED ours=$INJ_OURS
diag "$TOTAL_INJECTED allocations failed (by fail-nth; by failslab in the event thread); the kernel log shows $inj of them ($(( TOTAL_INJECTED - inj )) were __GFP_NOWARN allocations, failed silently), $ours with cxl_region or dax_cxl on the stack"
expect_eq "the kernel log of every trial was read whole" 0 $LOG_LOST
if [ -n "${FAULT_STEPS:-}" ]; then
	skip "failures were injected into our modules' paths" "only some steps ran (FAULT_STEPS=$FAULT_STEPS)"
else
	check "failures were injected into our modules' paths" test "$ours" -gt 0
fi
