#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# 047-commands-exclusive: the commands change a file's data only while
# they hold it alone.  Without a daemon, recall writes under an F_WRLCK
# lease; an opener that comes meanwhile waits for it, up to the kernel's
# lease-break-time.  Recall finishes if it can within half of that, and
# otherwise stops writing before the opener is let in (its chunks so far
# recorded, the rest left for the next recall), so that no recalled chunk
# lands on a writer's data.  And release frees blocks preallocated past
# EOF (fallocate -n), which hold no data.

. "$(dirname "$0")/../common/preamble"

_require_scratch
_require_cmd fallocate

_scratch_setup 1g
_init_store
M=$SCRATCH_MNT
lbt=$(cat /proc/sys/fs/lease-break-time)
_test_cleanup()
{
	echo "$lbt" > /proc/sys/fs/lease-break-time
}

# round LEASE-BREAK-TIME: recall a 16 MiB file, 300 ms a store read,
# while a writer appends 3 bytes 1.2 s into it
_round()
{
	local pid rc

	echo "$1" > /proc/sys/fs/lease-break-time
	rm -f $M/f
	head -c 16M /dev/urandom > $M/f
	cp $M/f $TEST_DIR/want
	"$XFS_HSM" migrate $M/f >> $seqres.full 2>&1 || _fail "migrate failed"
	LIBHSM_DELAY=store-get=300 "$XFS_HSM" recall $M/f \
		> $tmp.out 2> $tmp.err &
	pid=$!
	sleep 1.2
	echo hi >> $M/f
	echo hi >> $TEST_DIR/want
	wait $pid
	rc=$?
	cat $tmp.err >> $seqres.full
	echo "recall: exit $rc"
	_filter_scratch < $tmp.err
	_status_short $M/f | sed 's/ SCRATCH.*//'
}

echo "== an opener during a recall that can finish in time"
_round 45
cmp $M/f $TEST_DIR/want && echo "bytes right: whole file, then the append"

echo "== an opener during a recall that cannot (lease-break-time 3 s)"
_round 3
# what the map records is the archived data; the append is the writer's
python3 - $M/f $TEST_DIR/want << 'PY'
import sys
a = open(sys.argv[1], "rb").read()
b = open(sys.argv[2], "rb").read()
n = len(b) - 3
ok = a[n:] == b[n:]
right = zero = 0
for c in range(0, n, 1 << 20):
    x, y = a[c:c + (1 << 20)], b[c:c + (1 << 20)]
    right += x == y
    zero += x == bytes(len(x))
print("append right: %s" % ok)
print("chunks recalled right: %s, still released: %s, other: %d" % (
    "some" if 0 < right < 16 else right,
    "some" if 0 < zero < 16 else zero, 16 - right - zero))
PY

echo "== release frees blocks preallocated past EOF"
rm -f $M/p
head -c 1M /dev/urandom > $M/p
fallocate -n -o 1M -l 1M $M/p
sync
echo "before: $(( $(_blocks $M/p) * 512 )) bytes allocated"
"$XFS_HSM" migrate $M/p >> $seqres.full 2>&1 || _fail "migrate p failed"
echo "after: $(( $(_blocks $M/p) * 512 )) bytes allocated, $(_state $M/p)"
"$XFS_HSM" recall $M/p >> $seqres.full 2>&1 || _fail "recall p failed"
echo "recalled: $(( $(_blocks $M/p) * 512 )) bytes allocated, $(_state $M/p)"

status=0
exit
