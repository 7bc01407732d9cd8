#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# 033-daemon-commands: commands through the daemon, many at once, beside
# readers of other files.  A command's request is its waiter's to free the
# moment it is answered; a worker that still read it afterwards corrupted
# its heap under load (a malloc abort, a restarted worker, a command that
# lost its connection).  Rounds of: release every file, then recall half
# of them with parallel xfs_hsm recall while cat reads the other half.
# Every command must succeed, every file read back right, and the worker
# never be replaced.  Run by make check-sanitize too, where ASan sees any
# use after free at once.

. "$(dirname "$0")/../common/preamble"

_require_scratch
_require_xfs_hsmd

_scratch_setup 1g
_init_store
M=$SCRATCH_MNT
for i in $(seq 8); do
	head -c 1M /dev/urandom > $M/f$i
	sha[$i]=$(_sha $M/f$i)
done
"$XFS_HSM" migrate $M/f* 2>> $seqres.full
_start_daemon

echo "== 25 rounds: release all, recall 4 by command while 4 are read"
bad=0
for r in $(seq 25); do
	"$XFS_HSM" release $M/f* 2>> $seqres.full || bad=$((bad + 1))
	pids=
	for i in 1 2 3 4; do
		"$XFS_HSM" recall $M/f$i 2>> $seqres.full &
		pids="$pids $!"
	done
	for i in 5 6 7 8; do
		cat $M/f$i > /dev/null &
		pids="$pids $!"
	done
	for p in $pids; do
		wait $p || bad=$((bad + 1))
	done
	for i in $(seq 8); do
		[ "$(_sha $M/f$i)" = "${sha[$i]}" ] || bad=$((bad + 1))
	done
done
echo "failed commands or wrong bytes: $bad"
echo "worker restarts: $(_stat restarts)"
echo "events denied: $(_stat failures)"
grep -c "killed by signal" $HSMD_LOG

status=0
exit
