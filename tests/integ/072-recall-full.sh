#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# 072-recall-full: a recall into a full filesystem.  With a space policy,
# xfs_hsmd runs it at once (DMAPI's NOSPACE event, in user space): the
# dual-state files it releases make room and the reader gets the right
# bytes.  When nothing can be freed the reader gets ENOSPC, within the
# daemon's bound: never zeros, never a hang.

. "$(dirname "$0")/../common/preamble"

_require_scratch
_require_xfs_hsmd
_require_cmd fallocate

_scratch_setup 400m
_init_store
M=$SCRATCH_MNT
CONF=$TEST_DIR/xfs_hsm.conf

# _fill NAME: a young file taking all the free space but 2 MiB
_fill()
{
	local free

	free=$(python3 -c '
import os, sys
v = os.statvfs(sys.argv[1])
print(v.f_bavail * v.f_frsize - (2 << 20))' $M)
	fallocate -l $free $M/$1 || _fail "fallocate $1"
}

cat > $CONF <<EOF
[space]
high_watermark = 80%
low_watermark = 40%
min_age = 1d
check_interval = 1h
EOF

head -c 100M /dev/urandom > $M/big
big_sum=$(_sha $M/big)
"$XFS_HSM" migrate $M/big >> $seqres.full || _fail "migrate big"
for i in 1 2 3 4 5 6; do
	head -c 30M /dev/urandom > $M/dual$i
	touch -d "40 days ago" $M/dual$i
done
"$XFS_HSM" migrate --keep $M/dual* >> $seqres.full || _fail "migrate --keep"
_fill filler
sync

echo "== the policy makes room"
_start_daemon --policy-config $CONF --timeout 60
got=$(timeout 90 sha256sum < $M/big 2>> $seqres.full | cut -d' ' -f1)
[ "$got" = "$big_sum" ] && echo "big: the right bytes" || echo "big: got '$got'"
grep -q "is full: asking for room" $HSMD_LOG && echo "logged: asked for room"
grep -q "is full: running the space policy now" $HSMD_LOG &&
	echo "logged: the policy ran at once"
for i in 1 2 3 4 5 6; do
	"$XFS_HSM" status $M/dual$i | awk '{ print $1 }'
done | sort | uniq -c | sed 's/^ *//'
_stop_daemon

echo "== nothing to free: ENOSPC, not zeros, not a hang"
head -c 60M /dev/urandom > $M/big2
big2_sum=$(_sha $M/big2)
"$XFS_HSM" migrate $M/big2 >> $seqres.full || _fail "migrate big2"
_fill filler2
sync
_start_daemon --policy-config $CONF --timeout 20
t0=$(date +%s)
timeout 60 cat $M/big2 > /dev/null 2> $tmp.err
rc=$?
t1=$(date +%s)
echo "cat exit=$rc"
grep -q "No space left on device" $tmp.err && echo "the reader got ENOSPC"
[ $((t1 - t0)) -lt 40 ] && echo "within the bound" ||
	echo "took $((t1 - t0)) s"
_figure "ENOSPC reached the reader after $((t1 - t0)) s (room wait: half of --timeout 20)"
case $("$XFS_HSM" status $M/big2 | awk '{ print $1 }') in
released|partial) echo "big2: still released (or partly), as it was" ;;
*) echo "big2: $("$XFS_HSM" status $M/big2)" ;;
esac
rm -f $M/filler2
got=$(timeout 60 sha256sum < $M/big2 2>> $seqres.full | cut -d' ' -f1)
[ "$got" = "$big2_sum" ] && echo "big2 after room was made: the right bytes"
_stop_daemon
cat $HSMD_LOG >> $seqres.full

status=0
exit
