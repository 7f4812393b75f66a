#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Races, RACE_ROUNDS rounds each (default 4), the two sides started together with a delay that
# changes from round to round so that each side lands before, during and after the other:
#  - cxl_mem unbound and rebound while a RAM region, then a DC region, attaches its target, commits
#    and binds;
#  - two writers on one region's attributes (size against target0 and commit);
#  - delete_region against commit;
#  - cxl_region and dax_cxl unloaded and reloaded while another shell creates and deletes regions;
#  - a QMP add of capacity against the DC region's delete, and a QMP release against a claim.
# For delete against commit and release against claim, the rounds also swap which side goes
# first, and from 4 rounds on each order must have been seen: every 4th round puts the two
# sides one after the other, the commit or claim last, and the round before it the other way
# round, so that each run sees both outcomes whatever the timing. Whatever wins, each write
# answers OK or an errno, the administrator's teardown afterwards leaves no region, no HPA, no
# DPA and no dax device, and a fresh region works. The runner fails the run
# on any lockdep, KASAN, WARN, BUG or kmemleak report.
. "$(dirname "$0")/lib.sh"
ksft_main "$@"
NO_OBS=1
rounds=${RACE_ROUNDS:-4}
need_static
ST=$(static_memdev)
DCM=$(dcd_memdev)
snapshot
MIB=1048576
# dax devices stay unbound: a RAM region's memory is not hot-added under the races.
dax_autoprobe 0

# delay ROUND: 0 to 0.3 s, a different one each round (a write from a forked shell takes tens of
# ms under TCG, a whole attach-commit-bind a few hundred).
delay() { set -- $1 0 0.05 0.15 0.3 0.01 0.1 0.2; shift $(( ($1 - 1) % 7 + 1 )); echo $1; }
# lead ROUND: how long the attach side of the memdev race waits before its writes, a different
# one each round. Its writes take no fork, so without it they would all be done before the
# unbind lands (started in a forked shell); with it the unbind also lands before and during them.
lead() { set -- $1 0.15 0 0.1 0 0.3 0.05 0.2; shift $(( ($1 - 1) % 7 + 1 )); echo $1; }

# lap NAME: how long the race since the last lap took (diagnostic).
t_lap=$(now_ms)
lap() { diag "$1 took $(($(now_ms) - t_lap)) ms"; t_lap=$(now_ms); }

# both_orders RACE WHAT OTHER WON LATE OUTCOMES: from 4 rounds on, RACE must have seen its WHAT
# both win (WON times) and come after the OTHER (LATE times); with fewer rounds the outcomes are
# only shown.
both_orders() {
	local m="$1: both orders seen ($4 ${2}s won, $5 came after the $3; outcomes:$6)"
	if [ $rounds -lt 4 ]; then
		diag "$1: outcomes of the $2:$6"
	elif [ $4 -gt 0 ] && [ $5 -gt 0 ]; then
		ok "$m"
	else
		not_ok "$m"
	fi
}

# use MODE MEMDEV: the device and a free endpoint decoder for the next region (after a cxl_mem
# rebind the endpoint and its decoders come back under new names: wait for them).
use() {
	local i=0
	MODE=$1
	while :; do
		MEMDEV=$2 && EP=$(endpoint_of $MEMDEV) && EPDEC=$(first_free_decoder $EP) &&
			return 0
		i=$((i + 1))
		[ $i -lt 100 ] || return 1
		sleep 0.1
	done
}

# fresh NAME MODE MEMDEV: a region comes up whole afterwards, and goes.
fresh() {
	if use $2 $3 && s_bound; then ok "$1: a fresh $2 region comes up afterwards"; else not_ok "$1: a fresh $2 region comes up afterwards"; fi
	left "$1: the fresh region goes"
}

# ---- cxl_mem unbind/rebind against attach, commit and bind
# (cxl_mem unbind deletes the decoders but leaves the memdev its state: the DC check's ENODEV for a
# memdev that goes, which only timing could reach here, is forced every run by dc_gone.sh.)
race_memdev() {
	local mode=$1 memdev=$2 round=1 outcomes= r m l
	while [ $round -le $rounds ]; do
		use $mode $memdev && s_sized || { not_ok "memdev race, $mode: set-up of round $round"; return; }
		m=$MEMDEV
		l=$(lead $round)
		(sleep $(delay $round); echo $m >/sys/bus/cxl/drivers/cxl_mem/unbind; sleep 0.1
			echo $m >/sys/bus/cxl/drivers/cxl_mem/bind) 2>/dev/null &
		[ "$l" = 0 ] || sleep $l
		w_errno $EPDEC $CXL/$REGION/target0; r=$ERRNO
		[ "$r" != OK ] || { w_errno 1 $CXL/$REGION/commit; r=$ERRNO; }
		[ "$r" != OK ] || { w_errno $REGION /sys/bus/cxl/drivers/cxl_region/bind; r=$ERRNO; }
		wait
		add_word outcomes $r
		[ -e $CXL/$m/driver ] || echo $m >/sys/bus/cxl/drivers/cxl_mem/bind 2>/dev/null
		use $mode $memdev || { not_ok "memdev race, $mode: $m has a free endpoint decoder again"; return; }
		left "memdev race, $mode, round $round" || return
		round=$((round + 1))
	done
	ok "cxl_mem unbind/rebind against a $mode region's attach, commit, bind: $rounds rounds (outcomes:$outcomes), nothing left"
	fresh "memdev race" $mode $memdev
}
race_memdev ram $ST
lap "the memdev race, RAM"
DC=
[ -e $CXL/$RD/create_dynamic_ram_1_region ] && [ -n "$DCM" ] && DC=1
[ -z "$DC" ] || { race_memdev dynamic_ram_1 $DCM; lap "the memdev race, DC"; }

# ---- two writers on one region
round=1
use ram $ST
while [ $round -le $rounds ]; do
	rd size $CXL/$MEMDEV/ram/size
	s_created && w ram $CXL/$EPDEC/mode && w $size $CXL/$EPDEC/dpa_size ||
		{ not_ok "two writers: set-up of round $round"; break; }
	(i=0; while [ $i -lt 6 ]; do w $size $CXL/$REGION/size; w 0 $CXL/$REGION/size; i=$((i + 1)); done) &
	(sleep $(delay $round); i=0
		while [ $i -lt 6 ]; do w $EPDEC $CXL/$REGION/target0; w 1 $CXL/$REGION/commit; w 0 $CXL/$REGION/commit
			echo >$CXL/$REGION/target0 2>/dev/null; i=$((i + 1)); done) &
	wait
	# Whatever the interleaving, what the region shows is consistent.
	rd sz $CXL/$REGION/size
	sz=$((sz))
	rd t0 $CXL/$REGION/target0
	rd c $CXL/$REGION/commit
	if [ "$c" = 1 ] && { [ $sz -eq 0 ] || [ -z "$t0" ]; }; then
		not_ok "two writers, round $round: committed without size or target (size $sz, target0 '$t0')"
	fi
	left "two writers, round $round" || break
	round=$((round + 1))
done
[ $round -le $rounds ] || ok "two writers (size against target0 and commit) on one region: $rounds rounds of 6 x 6 writes, consistent, nothing left"
lap "two writers"

# ---- delete_region against commit
# Odd rounds commit at once and delete after the delay, even rounds the other way round; the
# commit's outcome is recorded either way. Rounds 4k+3 and 4k put the sides in order (commit
# then delete, delete then commit): from 4 rounds on the commit must be seen both winning (OK)
# and coming after the delete (an errno).
RES=$(mktemp)
round=1 outcomes= commit_ok=0 commit_late=0
use ram $ST
while [ $round -le $rounds ]; do
	s_attached || { not_ok "delete against commit: set-up of round $round"; break; }
	case $((round % 4)) in
	3)
		w_errno 1 $CXL/$REGION/commit; r=$ERRNO
		w $REGION $CXL/$RD/delete_region
		;;
	0)
		w $REGION $CXL/$RD/delete_region
		w_errno 1 $CXL/$REGION/commit; r=$ERRNO
		;;
	2)
		(sleep $(delay $round); write_errno 1 $CXL/$REGION/commit >$RES) &
		w $REGION $CXL/$RD/delete_region
		wait
		rd r $RES
		;;
	*)
		(sleep $(delay $round); w $REGION $CXL/$RD/delete_region) &
		w_errno 1 $CXL/$REGION/commit; r=$ERRNO
		wait
		;;
	esac
	add_word outcomes $r
	if [ "$r" = OK ]; then commit_ok=$((commit_ok + 1)); else commit_late=$((commit_late + 1)); fi
	wait_gone $CXL/$REGION 50
	check "delete against commit, round $round: the region is gone" test ! -e $CXL/$REGION
	expect_file "delete against commit, round $round: $EPDEC belongs to no region" "" $CXL/$EPDEC/region
	expect_file "delete against commit, round $round: no decoder committed on $EP" 0 $CXL/$EP/decoders_committed
	left "delete against commit, round $round" || break
	round=$((round + 1))
done
both_orders "delete against commit" commit delete $commit_ok $commit_late "$outcomes"
fresh "delete against commit" ram $ST
lap "delete against commit"

# ---- module unload against create and delete
if ! reloadable cxl_region || ! reloadable dax_cxl; then
	skip "module unload against create and delete" "cxl_region and dax_cxl are not both reloadable modules"
else
	(now_set; end=$((NOW_S + rounds * 3))
		while now_set && [ $NOW_S -lt "$end" ]; do
			{ rd n $CXL/$RD/create_ram_region && [ -n "$n" ] && w $n $CXL/$RD/create_ram_region &&
				w $n $CXL/$RD/delete_region; } || sleep 0.05
		done) &
	churn=$!
	round=1 bad=
	while [ $round -le $rounds ]; do
		sleep $(delay $round)
		r=$(rmmod dax_cxl 2>&1) || bad="$bad; rmmod dax_cxl: $r"
		r=$(rmmod cxl_region 2>&1) || bad="$bad; rmmod cxl_region: $r"
		wait_gone /sys/bus/cxl/drivers/cxl_region
		r=$(insmod $MODDIR/cxl_region.ko 2>&1) || bad="$bad; insmod cxl_region: $r"
		r=$(insmod $MODDIR/dax_cxl.ko 2>&1) || bad="$bad; insmod dax_cxl: $r"
		round=$((round + 1))
	done
	wait $churn
	expect_eq "cxl_region and dax_cxl unloaded and reloaded $rounds times while a shell creates and deletes regions" "" "${bad#; }"
	left "module unload race" ok
	fresh "module unload race" ram $ST
	lap "module unload"
fi

# ---- QMP add against delete, QMP release against a claim (DC)
if [ -z "$DC" ]; then
	skip "QMP add against delete, release against claim" "no DC region support or no DCD memdev"
elif ! command -v qmp >/dev/null || ! DCD_QOM=$(qom_of $DCM); then
	skip "QMP add against delete, release against claim" "no qmp command reaching this guest's QEMU monitor"
else
	use dynamic_ram_1 $DCM
	round=1 kept=0
	while [ $round -le $rounds ]; do
		s_bound || { not_ok "add against delete: set-up of round $round"; break; }
		(sleep $(delay $round); w $REGION $CXL/$RD/delete_region) &
		dc_add "$((round * 2)):2" >/dev/null
		wait
		settle
		left "add against delete, round $round" || break
		round=$((round + 1))
	done
	# What the device gave the host meanwhile comes back on the next region; give it all back.
	if s_bound; then
		Z=${REGION#region}
		sleep 1
		kept=$(extents_of $REGION)
		for e in $CXL/dax_region$Z/extent$Z.*; do
			[ -e $e ] || continue
			rd o $e/offset
			rd l $e/length
			dc_release "$((o / MIB)):$((l / MIB))" >/dev/null
		done
		wait_for_none() { i=0; while ls -d $CXL/dax_region$Z/extent$Z.* >/dev/null 2>&1; do i=$((i + 1)); [ $i -lt 50 ] || return 1; sleep 0.1; done; }
		wait_for_none
		expect_eq "QMP add against delete: $rounds rounds; the extents a later region read back ($kept) are released" "" "$(extents_of $REGION)"
	else
		not_ok "add against delete: a DC region comes up afterwards"
	fi
	left "add against delete" ok

	# Odd rounds claim at once and ask for the extent back after the delay; even rounds ask
	# first and claim after the delay, while the request travels through QEMU and the event
	# thread. Rounds 4k claim only once the extent is gone, rounds 4k+3 ask only once the claim
	# is made: from 4 rounds on the claim must be seen both winning, OK, and losing, ENOENT.
	round=1 outcomes= claim_ok=0 claim_late=0
	while [ $round -le $rounds ]; do
		if ! s_bound; then not_ok "release against claim: set-up of round $round"; break; fi
		Z=${REGION#region}
		dc_add "0:2" >/dev/null
		wait_for $CXL/dax_region$Z/extent$Z.0 100
		case $((round % 4)) in
		3)
			w_errno 0 $DAX/dax$Z.0/uuid; r=$ERRNO
			dc_release "0:2" >/dev/null
			;;
		0)
			dc_release "0:2" >/dev/null
			wait_gone $CXL/dax_region$Z/extent$Z.0 100
			w_errno 0 $DAX/dax$Z.0/uuid; r=$ERRNO
			;;
		2)
			(sleep $(delay $round); write_errno 0 $DAX/dax$Z.0/uuid >$RES) &
			dc_release "0:2" >/dev/null
			wait
			rd r $RES
			;;
		*)
			(sleep $(delay $round); dc_release "0:2" >/dev/null) &
			w_errno 0 $DAX/dax$Z.0/uuid; r=$ERRNO
			wait
			;;
		esac
		add_word outcomes $r
		case $r in
		OK) claim_ok=$((claim_ok + 1)) ;;
		ENOENT) claim_late=$((claim_late + 1)) ;;
		*) not_ok "release against claim, round $round: the claim answers OK or ENOENT, not $r" ;;
		esac
		# Whichever won: give the capacity back; the release (retried by the region while the
		# device is claimed) then takes the extent away.
		w 0 $DAX/dax$Z.0/size
		wait_gone $CXL/dax_region$Z/extent$Z.0 50 || dc_release "0:2" >/dev/null
		wait_gone $CXL/dax_region$Z/extent$Z.0 50
		check "release against claim, round $round: the extent is gone once unclaimed" test ! -e $CXL/dax_region$Z/extent$Z.0
		left "release against claim, round $round" || break
		round=$((round + 1))
	done
	both_orders "release against claim" claim release $claim_ok $claim_late "$outcomes"
	fresh "QMP races" dynamic_ram_1 $DCM
	lap "QMP add against delete, release against claim"
fi
dax_autoprobe 1
rm -f $RES
