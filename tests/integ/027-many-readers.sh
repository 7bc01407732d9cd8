#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# 027-many-readers: 100 readers of one released file cause exactly one
# store read per chunk, in both modes;
# 32 readers of 32 released files proceed side by side.  Every reader
# gets the right bytes.

. "$(dirname "$0")/../common/preamble"

_require_scratch
_require_xfs_hsmd

_scratch_setup 1g
_init_store
M=$SCRATCH_MNT
head -c 16M /dev/urandom > $M/one
sha_one=$(_sha $M/one)
mkdir $M/many
for i in $(seq 32); do
	head -c 2M /dev/urandom > $M/many/f$i
	_sha $M/many/f$i > $TEST_DIR/f$i.sha
done
"$XFS_HSM" migrate -r $M 2>> $seqres.full

# _wait_all PIDS...: wait for these only (the daemon runs in the background)
_wait_all()
{
	local p

	for p in "$@"; do
		wait $p
	done
}

for mode in whole range; do
	echo "== mode $mode"
	_start_daemon --mode $mode --readahead 0
	"$XFS_HSM" release $M/one 2>> $seqres.full
	c0=$(_stat chunks)
	pids=()
	for i in $(seq 100); do
		( [ "$(_sha $M/one)" = "$sha_one" ] && echo ok || echo WRONG ) \
			> $TEST_DIR/one.$i &
		pids+=($!)
	done
	_wait_all "${pids[@]}"
	echo "100 readers of one file: $(cat $TEST_DIR/one.* | grep -c ok) right"
	echo "chunks read from the store: $(( $(_stat chunks) - c0 ))"
	# how many found their chunk in flight depends on when each came
	# (unloaded, most come after it is in): a figure, not a result
	_figure "$mode: 100 readers of one file: $(_stat chunks_dedup)" \
		"waits on a chunk in flight"

	"$XFS_HSM" release -r $M/many 2>> $seqres.full
	c0=$(_stat chunks)
	pids=()
	for i in $(seq 32); do
		( [ "$(_sha $M/many/f$i)" = "$(cat $TEST_DIR/f$i.sha)" ] &&
			echo ok || echo WRONG ) > $TEST_DIR/many.$i &
		pids+=($!)
	done
	_wait_all "${pids[@]}"
	echo "32 readers of 32 files: $(cat $TEST_DIR/many.* | grep -c ok) right"
	echo "chunks read from the store: $(( $(_stat chunks) - c0 ))"
	echo "failures: $(_stat failures)"
	_stop_daemon
done

status=0
exit
