#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# 093-recall-range: xfs_hsm recall --range brings back only the 1 MiB
# chunks covering the bytes asked for, recorded in the chunk map as
# xfs_hsmd's range recall does: the file becomes "partial", the bytes
# asked for read back right, and a later whole recall (or, with xfs_hsmd,
# a reader) finishes it.  Without and with the daemon; a range past the
# end is clipped; a bad spec is refused naming it; a crash after the map
# and before the record leaves a file the next recall finishes.

. "$(dirname "$0")/../common/preamble"

_require_scratch
_require_xfs_hsmd

_scratch_setup 1g
_init_store
M=$SCRATCH_MNT

# _resident FILE: which MiB chunks hold written data (FIEMAP), e.g. "3 4"
_resident()
{
	_datamap "$1" | awk -F- '{ for (c = int($1 / 1048576);
		c * 1048576 < $2; c++) printf("%s%d", n++ ? " " : "", c) }
		END { print "" }'
}

# _same FILE OFF LEN: the bytes [OFF, OFF+LEN) (KiB) equal the original's
_same()
{
	cmp -s <(dd if=$1 bs=1k skip=$2 count=$3 status=none) \
		<(dd if=$TEST_DIR/orig bs=1k skip=$2 count=$3 status=none) &&
		echo "bytes $2K+$3K: equal" || echo "bytes $2K+$3K: DIFFER"
}

head -c 8M /dev/urandom > $TEST_DIR/orig
head -c 100K /dev/urandom >> $TEST_DIR/orig	# a short last chunk
cp $TEST_DIR/orig $M/f
"$XFS_HSM" migrate $M/f 2>> $seqres.full

echo "== no daemon: 1M:2M and 6100K:10"
"$XFS_HSM" recall -v --range 1M:2M --range 6100K:10 $M/f | _filter_scratch
echo "exit $?"
_status_short $M/f
echo "chunks with data: $(_resident $M/f)"
_same $M/f 1024 2048
_same $M/f 6100 1
echo "== the same again: nothing to do"
"$XFS_HSM" recall -v --range 1M:1M $M/f | _filter_scratch
echo "== past the end: clipped to the last chunk"
"$XFS_HSM" recall --range 8M:1G $M/f
echo "exit $?"
echo "chunks with data: $(_resident $M/f)"
_same $M/f 8192 100
echo "== bad specs"
for spec in 1M 1M: :4K 0:0 x:1 1M:-1 18446744073709551615:2; do
	"$XFS_HSM" recall --range "$spec" $M/f 2> $tmp.err
	rc=$?
	head -n 1 $tmp.err
	echo "exit $rc"
done
"$XFS_HSM" release --range 0:1M $M/f > /dev/null 2>&1
echo "release --range: exit $?"
echo "== a whole recall finishes it"
"$XFS_HSM" recall $M/f
_status_short $M/f
cmp -s $M/f $TEST_DIR/orig && echo "f: all bytes equal"

echo "== crash after the map, before the record"
"$XFS_HSM" release $M/f 2>> $seqres.full
LIBHSM_FAULT=recall-range-mapped "$XFS_HSM" recall --range 2M:1 $M/f \
	>> $seqres.full 2>&1
echo "killed: $([ $? -eq 137 ] && echo yes || echo no)"
_status_short $M/f
echo "chunks with data: $(_resident $M/f)"
"$XFS_HSM" recall --range 5M:1 $M/f
_status_short $M/f
echo "chunks with data: $(_resident $M/f)"
_same $M/f 2048 1024
_same $M/f 5120 1024

echo "== with xfs_hsmd (whole mode): 3M:1"
"$XFS_HSM" release $M/f 2>> $seqres.full
_start_daemon
"$XFS_HSM" recall -v --range 3M:1 --range 7M:1M $M/f | _filter_scratch
echo "chunks read: $(_stat chunks)"
_status_short $M/f
# not _resident: its open would recall the rest (whole mode)
"$XFS_HSM" status --map $M/f | _filter_scratch
echo "== a reader finishes it"
cmp -s $M/f $TEST_DIR/orig && echo "f: all bytes equal"
_daemon_idle
_settle $M/f
_status_short $M/f
echo "chunks read: $(_stat chunks)"
echo "failures: $(_stat failures)"
_stop_daemon

status=0
exit
