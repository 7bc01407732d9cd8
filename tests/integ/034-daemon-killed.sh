#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# 034-daemon-killed: kill -9 of every daemon process at once (an OOM kill,
# systemctl kill, a stop escalated to SIGKILL) while readers wait for
# recalls from a slow store, under a service manager (tests/common/svcmgr,
# playing systemd).  The fanotify group and the table of events read but
# not answered are in the manager's descriptor store, so the kernel keeps
# the readers waiting instead of letting them through to holes, and the
# restarted daemon answers them.  6 rounds a mode at random moments
# (KILL_ROUNDS=10 for the 20 of a longer run), whole and range mode: no reader gets wrong bytes, every reader finishes after the
# restart (right bytes, or EIO for an event the dead daemon had read but
# not yet noted: a window of a few instructions), and after a clean stop
# and `xfs_hsmscan --repair` (which may finish a recall a killed daemon
# left) every file is resident, archived or released with nothing
# pending, and reads right.

. "$(dirname "$0")/../common/preamble"
. "$(dirname "$0")/../common/scanrc"

_require_scratch
_require_xfs_hsmd
_require_svcmgr

_scratch_setup 1g
_init_store
M=$SCRATCH_MNT
N=4
ROUNDS=${KILL_ROUNDS:-6}	# per mode
seed=${KILL_SEED:-$$}
RANDOM=$seed
echo "seed $seed (KILL_SEED replays it)" >> $seqres.full

for i in $(seq $N); do
	head -c 4M /dev/urandom > $M/f$i
	_sha $M/f$i > $TEST_DIR/f$i.sha
done

# _readers ROUND: N readers of the whole file, and one of 64 KiB at 3 MiB
# (a range in range mode); each writes ok, eio or WRONG
_readers()
{
	local i

	for i in $(seq $N); do
		(
			if out=$(timeout 120 sha256sum < $M/f$i 2> $TEST_DIR/r$i.err); then
				[ "${out%% *}" = "$(cat $TEST_DIR/f$i.sha)" ] &&
					echo ok || echo WRONG
			elif grep -q "Input/output error" $TEST_DIR/r$i.err; then
				echo eio
			else
				echo "other: $(cat $TEST_DIR/r$i.err)"
			fi > $TEST_DIR/r$1.$i
		) &
		readers+=($!)
	done
	(
		if timeout 120 dd if=$M/f1 bs=64k skip=48 count=1 status=none \
				> $TEST_DIR/part 2> $TEST_DIR/p.err; then
			dd if=$TEST_DIR/f1.orig bs=64k skip=48 count=1 status=none |
				cmp -s - $TEST_DIR/part && echo ok || echo WRONG
		elif grep -q "Input/output error" $TEST_DIR/p.err; then
			echo eio
		else
			echo "other: $(cat $TEST_DIR/p.err)"
		fi > $TEST_DIR/r$1.part
	) &
	readers+=($!)
}
cp $M/f1 $TEST_DIR/f1.orig

total=0 right=0 eio=0 wrong=0 other=0 adopted=0
for mode in ${KILL_MODES:-whole range}; do
	echo "== mode $mode"
	HSMD_ENV="LIBHSM_DELAY=store-get=300"
	_start_service --mode $mode
	for round in $(seq $ROUNDS); do
		"$XFS_HSM" migrate $M/f* >> $seqres.full 2>&1
		readers=()
		_readers $mode.$round
		# a random moment: before, during or after the recalls
		sleep "$((RANDOM % 1200 / 1000)).$(printf %03d $((RANDOM % 1000)))"
		_crash_service
		wait "${readers[@]}"
		for r in $TEST_DIR/r$mode.$round.*; do
			total=$((total + 1))
			case $(cat $r) in
			ok)	right=$((right + 1)) ;;
			eio)	eio=$((eio + 1)) ;;
			WRONG)	wrong=$((wrong + 1))
				echo "$mode round $round: $(basename $r) read wrong bytes" ;;
			*)	other=$((other + 1))
				echo "$mode round $round: $(basename $r): $(cat $r)" ;;
			esac
		done
	done
	_daemon_idle
	_stop_service
	grep -o 'took over [0-9]* events' $HSMD_LOG |
		awk '{ n += $3 } END { print n + 0 }' > $TEST_DIR/adopted
	adopted=$((adopted + $(cat $TEST_DIR/adopted)))
	echo "starts: $(_svc_state starts), stored descriptors after the stop: $(_svc_state fds)"
	cat $HSMD_LOG >> $seqres.full
	: > $HSMD_LOG
done
echo "readers: $total, finished: $((right + eio + wrong)), wrong bytes: $wrong, other errors: $other"
_figure "readers $total: $right right bytes, $eio EIO; $adopted events taken over from killed daemons"
[ $adopted -gt 0 ] && echo "events were taken over from a killed daemon"

echo "== repair, then every file"
# a recall a killed daemon left half done with no reader waiting (its
# reader had its range, or got EIO) stays RECALLING until a reader or a
# repair finishes it (exit 2): allowed; what a repair leaves is nothing
# (a second one exits 0)
"$XFS_HSMSCAN" --repair $M >> $seqres.full 2>&1
rc=$?
[ $rc = 0 ] || [ $rc = 2 ] && echo "repair exit: 0 or 2" || echo "repair exit=$rc"
"$XFS_HSMSCAN" --repair $M >> $seqres.full 2>&1
echo "second repair exit=$?"
for i in $(seq $N); do
	st=$("$XFS_HSM" status $M/f$i 2> /dev/null | awk '{ print $3 }')
	[ "$st" = - ] || echo "f$i: pending $st"
	"$XFS_HSM" recall $M/f$i >> $seqres.full 2>&1
	[ "$(_sha $M/f$i)" = "$(cat $TEST_DIR/f$i.sha)" ] || echo "f$i: sha256 differs"
done
echo "files checked: $N"

status=0
exit
