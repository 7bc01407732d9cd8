#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# 028-range-mode: recall by range.  An open reserves unwritten blocks (so
# st_blocks looks full to hole-probing tools), records RECALLING (which
# stays while the file is open: the record is settled only once nobody
# has the file open) and recalls nothing; a 4 KiB
# read at a random offset brings back one recall unit; --chunk-size sets
# the unit; a sequential reader is recalled ahead of; once every chunk is
# back the file is archived again and its data map is the original one
# (the blocks reserved in its holes are punched again).  The resident map
# survives a daemon restart: what was recalled stays resident.

. "$(dirname "$0")/../common/preamble"

_require_scratch
_require_xfs_hsmd

_scratch_setup 1g
_init_store
M=$SCRATCH_MNT
head -c 8M /dev/urandom > $M/r
head -c 2M /dev/urandom > $M/sp
head -c 2M /dev/urandom | dd of=$M/sp bs=1M seek=10 conv=notrunc status=none
truncate -s 16M $M/sp
cp $M/r $TEST_DIR/r.orig
_fingerprint_nb $M/r > $tmp.fp.r
_fingerprint_nb $M/sp > $tmp.fp.sp
"$XFS_HSM" migrate $M/r $M/sp 2>> $seqres.full

# _resident FILE: which MiB chunks hold written data (FIEMAP), e.g. "3 4"
_resident()
{
	_datamap "$1" | awk -F- '{ for (c = int($1 / 1048576);
		c * 1048576 < $2; c++) printf("%s%d", n++ ? " " : "", c) }
		END { print "" }'
}

_start_daemon --mode range --readahead 0
echo "== open"
exec 3< $M/r
_status_short $M/r
echo "st_blocks covers the size: $([ $(( $(_blocks $M/r) * 512 )) -ge 8388608 ] &&
	echo yes || echo no)"
echo "chunks with data: $(_resident $M/r)"
echo "== a 4 KiB read at 5 MiB + 123 KiB"
blk=$(( (5 * 1024 + 123) / 4 ))
cmp -s <(dd if=$M/r bs=4k skip=$blk count=1 status=none) \
	<(dd if=$TEST_DIR/r.orig bs=4k skip=$blk count=1 status=none) &&
	echo "4 KiB: right bytes"
echo "chunks with data: $(_resident $M/r)"
_settle $M/r
_status_short $M/r
exec 3<&-

echo "== restart: what is back stays back"
_stop_daemon
_start_daemon --mode range --readahead 0 --chunk-size 2M
echo "chunks with data: $(_resident $M/r)"
echo "== with --chunk-size 2M, a read at 0 brings back 0-1"
dd if=$M/r of=/dev/null bs=4k count=1 status=none
echo "chunks with data: $(_resident $M/r)"
_stop_daemon

echo "== a sequential reader, with readahead"
_start_daemon --mode range --readahead 2
cat $M/r > /dev/null
_daemon_idle
_status_short $M/r
_fingerprint_nb $M/r | diff - $tmp.fp.r > /dev/null && echo "r: as before"
echo "== a sparse file read whole"
cat $M/sp > /dev/null
_daemon_idle
_status_short $M/sp
_fingerprint_nb $M/sp | diff - $tmp.fp.sp && echo "sp: as before, holes too"
echo "failures: $(_stat failures)"
_stop_daemon

# The first read of a sequential reader waits for its own unit only: its
# readahead is queued after it.  One worker, 1 s a store read: the
# reader's batch is chunks 0-3, and 4-7 take 4 s more, time enough for a
# busy machine to run the count (taken from the daemon: a probe's open
# would wait for that worker).
echo "== a first read at 0 waits for its own chunks, not the readahead"
"$XFS_HSM" release $M/r 2>> $seqres.full
HSMD_ENV="LIBHSM_DELAY=store-get=1000"
_start_daemon --mode range --readahead 8 --workers 1
HSMD_ENV=
cmp -s <(dd if=$M/r bs=4k count=1 status=none) \
	<(dd if=$TEST_DIR/r.orig bs=4k count=1 status=none) &&
	echo "4 KiB at 0: right bytes"
echo "chunks read when it is answered: $(_stat chunks)"
cmp -s $M/r $TEST_DIR/r.orig && echo "r: all 8 MiB right"
echo "chunks read: $(_stat chunks)"
echo "failures: $(_stat failures)"

status=0
exit
