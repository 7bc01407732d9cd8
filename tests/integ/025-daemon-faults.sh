#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# 025-daemon-faults: when the data cannot come back, the reader gets an
# error, never zeros, and the daemon goes on serving other files.
#  - the store object deleted, or one byte of it corrupted: EIO, the file
#    flagged lost (the corrupt chunk never reaches the file);
#  - the store's filesystem shut down (unreachable): EIO, not lost; a
#    store not mounted when the daemon starts: EIO, and once it is mounted
#    the same read succeeds, without a daemon restart;
#  - a store slower than --timeout: EIO at the deadline, and the recall
#    finishes behind it, so the next read succeeds;
#  - the managed filesystem full: ENOSPC; with space again, right bytes.

. "$(dirname "$0")/../common/preamble"

_require_scratch
_require_xfs_hsmd
_require_storeobj

_scratch_setup 400m
_store_fs_setup 300m
_init_store
M=$SCRATCH_MNT

# _read FILE [noidle]: what a reader gets: "right bytes", "WRONG BYTES" or
# the error
_read()
{
	local out rc

	out=$(cat "$1" 2>&1 > $tmp.read)
	rc=$?
	# the state settles after a read (not to be waited for: timed reads)
	[ -n "$HSMD_PID" ] && [ "$2" != noidle ] && _daemon_idle
	if [ $rc -eq 0 ]; then
		cmp -s $tmp.read $TEST_DIR/$(basename "$1").orig &&
			echo "$(basename "$1"): right bytes" ||
			echo "$(basename "$1"): WRONG BYTES"
	else
		echo "$(basename "$1"): ${out##*: }"
	fi
}

for f in gone bad unreach slow full other; do
	head -c 3M /dev/urandom > $M/$f
	cp $M/$f $TEST_DIR/$f.orig
done
"$XFS_HSM" migrate $M/* 2>> $seqres.full

echo "== object deleted"
_store_rm "$(_file_oid $M/gone)"
_start_daemon
_read $M/gone
_status_short $M/gone
_read $M/other

echo "== object corrupted"
_store_corrupt "$(_file_oid $M/bad)" $((1048576 + 77))
_read $M/bad
_settle $M/bad
_status_short $M/bad
"$XFS_HSM" release $M/other 2>> $seqres.full
_read $M/other

echo "== store unreachable"
# its filesystem shut down under the running daemon: EIO, not lost
xfs_io -x -c "shutdown -f" $TEST_DIR/storefs
_read $M/unreach
_status_short $M/unreach
_stop_daemon
umount $TEST_DIR/storefs || _fail "cannot unmount the store filesystem"
# not mounted when the daemon starts: EIO; mounted later: found
_start_daemon
_read $M/unreach
_status_short $M/unreach
mount -o loop $TEST_DIR/storefs.img $TEST_DIR/storefs ||
	_fail "cannot mount the store filesystem again"
_read $M/unreach
_status_short $M/unreach
_stop_daemon

echo "== store slower than the deadline"
HSMD_ENV="LIBHSM_DELAY=store-get=1500"
_start_daemon --timeout 1
HSMD_ENV=
start=$(_timer_start)
_read $M/slow noidle
_within 3 $start "the failed read"
echo "timeouts: $(_stat timeouts)"
for i in $(seq 100); do [ "$(_state $M/slow)" = archived ] && break; sleep 0.1; done
_read $M/slow
_stop_daemon

echo "== filesystem full"
_start_daemon
avail=$(df -B1 --output=avail $M | tail -1)
fallocate -l $((avail - 1048576)) $M/filler
_read $M/full
_settle $M/full
# how many chunks made it before the space ran out varies
"$XFS_HSM" status $M/full | awk '{ print (($1 == "released" ||
	$1 == "partial") ? "not resident" : $1), $2, $3 }'
rm -f $M/filler
_read $M/full
echo "failures: $(_stat failures)"

status=0
exit
