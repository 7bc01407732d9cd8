#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# 046-writer-race: a writer that shifts the file's data (collapse or insert
# range) a moment after its open was let in never meets a punch of the
# daemon's.  The reproducer of the range-mode data loss: an 8 MiB file of
# alternating 4 KiB data blocks and holes, migrated; `cat` reads it whole
# (a read-only opener: in range mode every chunk is recalled by range, with
# blocks reserved over the holes); a writer opens it and, 0 to 3 ms later,
# collapses or inserts 4 KiB at 0.  The daemon used to answer the writer's
# open once the data was durable and only then punch the reserved holes,
# at offsets the shift had moved data into.  Both modes, every delay: the
# bytes after a cache drop must be the shifted original, and the file's
# data map the shifted map (its holes stay holes).

. "$(dirname "$0")/../common/preamble"

_require_scratch
_require_xfs_hsmd

_scratch_setup 1g
_init_store
M=$SCRATCH_MNT

# make FILE: 1024 data blocks of 4 KiB, each followed by a hole
_make()
{
	python3 - "$1" << 'PY'
import os, sys
fd = os.open(sys.argv[1], os.O_CREAT | os.O_WRONLY | os.O_TRUNC, 0o644)
os.ftruncate(fd, 1024 * 8192 - 4096)
for i in range(1024):
    os.pwrite(fd, os.urandom(4096), i * 8192)
os.close(fd)
PY
}

# shift FILE OP MICROSECONDS: open FILE for writing and, after the delay,
# collapse or insert 4 KiB at 0
_shift()
{
	python3 - "$@" << 'PY'
import ctypes, os, sys, time
libc = ctypes.CDLL(None, use_errno=True)
libc.fallocate.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_long,
                           ctypes.c_long]
mode = {"collapse": 0x08, "insert": 0x20}[sys.argv[2]]
fd = os.open(sys.argv[1], os.O_RDWR)
time.sleep(int(sys.argv[3]) / 1e6)
if libc.fallocate(fd, mode, 0, 4096) < 0:
    e = ctypes.get_errno()
    sys.exit("fallocate: " + os.strerror(e))
os.close(fd)
PY
}

# model ORIG OP OUT: the bytes a shift of ORIG must give
_model()
{
	python3 - "$@" << 'PY'
import sys
d = open(sys.argv[1], "rb").read()
d = d[4096:] if sys.argv[2] == "collapse" else b"\0" * 4096 + d
open(sys.argv[3], "wb").write(d)
PY
}

# want_map OP: the data map after the shift (data blocks at odd 4 KiB)
_want_map()
{
	awk -v op=$1 'BEGIN { for (i = 0; i < 1024; i++) {
		s = i * 8192 + (op == "collapse" ? -4096 : 4096)
		if (s >= 0)
			printf("%d-%d\n", s, s + 4096) } }'
}

# bad_blocks A B: 4 KiB blocks that differ
_bad_blocks()
{
	cmp -l "$1" "$2" 2> /dev/null | awk '{ print int(($1 - 1) / 4096) }' |
		uniq | wc -l
}

for mode in range whole; do
	_start_daemon --mode $mode
	for op in collapse insert; do
		bad=0 rounds=0 wrongmap=0
		for us in 0 1500 3000; do
			_make $M/f
			cp $M/f $TEST_DIR/orig
			"$XFS_HSM" migrate $M/f >> $seqres.full 2>&1 ||
				_fail "migrate failed"
			[ "$(_state $M/f)" = released ] || _fail "not released"
			cat $M/f > /dev/null
			_shift $M/f $op $us 2>> $seqres.full ||
				_fail "$op failed"
			_model $TEST_DIR/orig $op $TEST_DIR/want
			_daemon_idle
			sync
			echo 3 > /proc/sys/vm/drop_caches
			n=$(_bad_blocks $M/f $TEST_DIR/want)
			[ "$(stat -c %s $M/f)" = "$(stat -c %s $TEST_DIR/want)" ] ||
				n=$((n + 1))
			# the original's holes, shifted, are still holes
			_datamap $M/f > $tmp.map
			_want_map $op | diff -q - $tmp.map > /dev/null ||
				wrongmap=$((wrongmap + 1))
			echo "$mode $op ${us}us: $n bad blocks" >> $seqres.full
			[ "$n" -gt 0 ] && bad=$((bad + 1))
			rounds=$((rounds + 1))
			rm -f $M/f
		done
		echo "$mode, $op: $bad of $rounds rounds with wrong bytes," \
			"$wrongmap with a wrong data map"
	done
	echo "$mode: failures $(_stat failures)"
	_stop_daemon
done

status=0
exit
