#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# 026-worker-crash: kill -9 of the daemon's worker while readers wait for
# recalls.  The supervisor holds the fanotify group, so the kernel keeps
# their events pending instead of letting them through to zeros; the next
# worker adopts them and answers each after its data is back (or with EIO
# when it cannot tell what the event was for).  No reader ever gets wrong
# bytes; after the restart every file reads right.  Twice, the second
# time killing the new worker while it is still adopting.

. "$(dirname "$0")/../common/preamble"

_require_scratch
_require_xfs_hsmd

_scratch_setup 1g
_init_store
M=$SCRATCH_MNT
N=8
for i in $(seq $N); do
	head -c 3M /dev/urandom > $M/f$i
	_sha $M/f$i > $TEST_DIR/f$i.sha
done
"$XFS_HSM" migrate $M/f* 2>> $seqres.full
HSMD_ENV="LIBHSM_DELAY=store-get=150"
_start_daemon

# _readers ROUND: N readers, each writes "ok", "eio" or "WRONG" to a file
_readers()
{
	local i

	for i in $(seq $N); do
		(
			if out=$(sha256sum < $M/f$i 2> $TEST_DIR/r$i.err); then
				[ "${out%% *}" = "$(cat $TEST_DIR/f$i.sha)" ] &&
					echo ok || echo WRONG
			elif grep -q "Input/output error" $TEST_DIR/r$i.err; then
				echo eio
			else
				echo "other: $(cat $TEST_DIR/r$i.err)"
			fi > $TEST_DIR/r$1.$i
		) &
		readers+=($!)
		_bg_track $!
	done
}

# _summary ROUND: how the readers of ROUND ended
_summary()
{
	local wrong other ended

	wrong=$(cat $TEST_DIR/r$1.* | grep -c WRONG)
	other=$(cat $TEST_DIR/r$1.* | grep -c other)
	ended=$(cat $TEST_DIR/r$1.* | grep -cE '^(ok|eio)$')
	cat $TEST_DIR/r$1.* >> $seqres.full
	echo "round $1: $ended of $N readers ended with right bytes or EIO," \
		"$wrong with wrong bytes, $other otherwise"
}

for round in 1 2; do
	echo "== round $round"
	"$XFS_HSM" release $M/f* 2>> $seqres.full
	readers=()
	_readers $round
	sleep 0.5
	w=$(_daemon_worker)
	kill -9 $w
	if [ $round = 2 ]; then
		# the next worker, while it adopts
		for i in $(seq 50); do
			n=$(_daemon_worker)
			[ -n "$n" ] && [ "$n" != "$w" ] && break
			sleep 0.05
		done
		sleep 0.2
		kill -9 $n
	fi
	wait "${readers[@]}"
	_summary $round
	for i in $(seq 100); do
		"$XFS_HSM" stats $M > /dev/null 2>&1 && break
		sleep 0.1
	done
	ok=0
	for i in $(seq $N); do
		[ "$(_sha $M/f$i)" = "$(cat $TEST_DIR/f$i.sha)" ] && ok=$((ok + 1))
	done
	echo "after the restart: $ok of $N files right"
done
echo "restarts: $(_stat restarts)"
grep -c "killed by signal 9" $HSMD_LOG

status=0
exit
