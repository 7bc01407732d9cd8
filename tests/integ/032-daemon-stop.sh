#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# 032-daemon-stop: stopping the daemon under load.  Writers creating
# ordinary files while xfs_hsmd stops never see an error (the last moment
# of a stop, when no worker takes events, answers them in the event loop),
# and readers of released files already waiting when SIGTERM comes get
# every byte right.  Five stops in a row.

. "$(dirname "$0")/../common/preamble"

_require_scratch
_require_xfs_hsmd

_scratch_setup 1g
_init_store
M=$SCRATCH_MNT
mkdir $M/w $M/r
for i in $(seq 8); do
	head -c 8M /dev/urandom > $M/r/f$i
	_sha $M/r/f$i > $TEST_DIR/f$i.sha
done
"$XFS_HSM" migrate -r $M/r 2>> $seqres.full

# _writer N: create small files until told to stop; count the failures
_writer()
{
	local i=0 bad=0

	while [ ! -e $TEST_DIR/stop ]; do
		i=$((i + 1))
		head -c 512 /dev/urandom > $M/w/$1.$i 2>> $seqres.full ||
			bad=$((bad + 1))
		cat $M/w/$1.$i > /dev/null 2>> $seqres.full || bad=$((bad + 1))
	done
	echo "$bad $i" > $TEST_DIR/writer.$1
}

# a slow store keeps the recalls in flight when the stop comes
HSMD_ENV="LIBHSM_DELAY=store-get=300"
for round in $(seq 5); do
	rm -f $TEST_DIR/stop $TEST_DIR/writer.* $TEST_DIR/reader.*
	"$XFS_HSM" release -r $M/r 2>> $seqres.full
	_start_daemon
	_writer a & wa=$!
	_writer b & wb=$!
	pids=()
	for i in $(seq 8); do
		( [ "$(_sha $M/r/f$i)" = "$(cat $TEST_DIR/f$i.sha)" ] &&
			echo ok || echo WRONG ) > $TEST_DIR/reader.$i 2>&1 &
		pids+=($!)
	done
	sleep 0.3
	_stop_daemon
	for p in "${pids[@]}"; do
		wait $p
	done
	touch $TEST_DIR/stop
	wait $wa $wb
	read -r bad_a n_a < $TEST_DIR/writer.a
	read -r bad_b n_b < $TEST_DIR/writer.b
	echo "round $round: writer errors $((bad_a + bad_b))," \
		"readers right $(cat $TEST_DIR/reader.* | grep -c '^ok$') of 8"
	echo "round $round: $((n_a + n_b)) files written" >> $seqres.full
	rm -rf $M/w/*
done

status=0
exit
