#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# 023-writes: a write looks like a read to the kernel hooks, so every
# change to a released file must land on top of recalled data: a write
# into the middle, an append, truncate down and up, an O_TRUNC open
# (which raises no event at all), a punch and an allocation with
# fallocate, a write through a shared mapping, truncate(2) by path, a
# write after a partial read.  Afterwards each file
# holds exactly what the same change makes of the original, is flagged
# dirty, and is never released on the strength of the old copy.

. "$(dirname "$0")/../common/preamble"

_require_scratch
_require_xfs_hsmd
_require_cmd xfs_io truncate

_scratch_setup 1g
_init_store
M=$SCRATCH_MNT
O=$TEST_DIR/orig
mkdir $O
changes="write append shrink grow otrunc punch falloc mmap pathtrunc partial"

# _change KIND FILE: make the change
_change()
{
	case $1 in
	write)	printf 'patched!' | dd of=$2 bs=1 seek=1500000 conv=notrunc \
			status=none ;;
	append)	printf 'appended' >> $2 ;;
	shrink)	truncate -s 1234567 $2 ;;
	grow)	truncate -s 5M $2 ;;
	otrunc)	printf 'new' > $2 ;;
	punch)	xfs_io -c "fpunch 1m 64k" $2 ;;
	falloc)	xfs_io -c "falloc 2m 2m" $2 ;;
	mmap)	python3 -c '
import mmap, os, sys
fd = os.open(sys.argv[1], os.O_RDWR)
m = mmap.mmap(fd, 0)
m[2000000:2000005] = b"mmap!"
m.flush()' $2 ;;
	pathtrunc)			# truncate(2): no open, one event
		python3 -c 'import os, sys; os.truncate(sys.argv[1], 2222222)' $2 ;;
	partial)			# read a bit (range mode: partial), write
		dd if=$2 of=/dev/null bs=4k count=1 skip=100 status=none
		printf 'later' | dd of=$2 bs=1 seek=2500000 conv=notrunc \
			status=none ;;
	esac
}

for mode in whole range; do
	echo "== mode $mode"
	for c in $changes; do
		head -c 3M /dev/urandom > $M/$c
		cp $M/$c $O/$c
		_change $c $O/$c	# what the file must become
	done
	"$XFS_HSM" migrate $M/* 2>> $seqres.full
	_start_daemon --mode $mode
	for c in $changes; do
		_change $c $M/$c
		if cmp -s $M/$c $O/$c; then
			echo "$c: right bytes"
		else
			echo "$c: WRONG BYTES"
			cmp $M/$c $O/$c >> $seqres.full 2>&1
		fi
		_daemon_idle
		"$XFS_HSM" status --json $M/$c | python3 -c '
import json, sys
f = json.load(sys.stdin)["files"][0]
print("  %s dirty=%s" % (f["state"], f["dirty"]))'
		"$XFS_HSM" release $M/$c 2>&1 | _filter_all
	done
	echo "failures: $(_stat failures)"
	_stop_daemon
	rm -f $M/*
done

status=0
exit
