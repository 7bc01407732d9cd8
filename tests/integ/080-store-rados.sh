#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# 080-store-rados: a Ceph RADOS pool as the store, on a one-node cluster
# started here.  Files small, sparse and larger than the cluster's object
# size limit (128 MiB) migrate, release and come back through the daemon
# byte for byte; what is stored is data only (no holes) in parts under the
# limit.  A paused OSD gives a reader EIO within the store's timeout, the
# file is not marked lost, and it reads right once the OSD is back.
# audit and gc list the pool.

. "$(dirname "$0")/../common/preamble"
. "$(dirname "$0")/../common/ceph"
. "$(dirname "$0")/../common/scanrc"

_require_scratch
_require_xfs_hsmd
_require_ceph

_test_cleanup()
{
	_stop_daemon
	_ceph_stop
}

_scratch_setup 1g
_ceph_start hsm
M=$SCRATCH_MNT
# one object per file: the layout of heads and parts (086 aggregates)
SPEC="rados:hsm?conf=$CEPH_CONF&timeout=5&aggregate=0"
"$XFS_HSM" init --store "$SPEC" $M >> $seqres.full 2>&1 || _fail "init"
echo "bound: $("$XFS_HSM" init --store "$SPEC" $M | sed "s|$M|MNT|; s|$CEPH_CONF|CONF|; s|&aggregate=0||")"

mkdir $M/d
for i in 1 2 3 4 5; do head -c $((i * 37))K /dev/urandom > $M/d/small$i; done
# data at 3-5 MiB (head and part 1) and 150 MiB (part 3), a hole over
# all of part 2 (68-132 MiB)
truncate -s 160M $M/d/sparse
dd if=/dev/urandom of=$M/d/sparse bs=1M seek=3 count=2 conv=notrunc status=none
dd if=/dev/urandom of=$M/d/sparse bs=1M seek=150 count=1 conv=notrunc status=none
head -c 200M /dev/urandom > $M/d/big
(cd $M && sha256sum d/*) > $tmp.sums
_right()
{
	[ "$(_sha $M/$1)" = "$(grep " $1\$" $tmp.sums | cut -d' ' -f1)" ]
}

echo "== migrate"
"$XFS_HSM" migrate -r $M/d >> $seqres.full 2>&1 || _fail "migrate"
"$XFS_HSM" status -r $M/d | awk '{ print $1 }' | sort | uniq -c | sed 's/^ *//'
heads=$(_rados ls | grep -c '^[0-9a-f]\{32\}$')
parts=$(_rados ls | grep -c '^[0-9a-f]\{32\}\.[0-9]*$')
echo "heads $heads"
# big: 4 MiB in its head, 196 MiB in parts 1-4 of up to 64 MiB; sparse:
# parts 1 and 3, none for the hole
echo "parts $parts"
_rados ls | sed -n 's/^[0-9a-f]\{32\}\.\([0-9]*\)$/part \1/p' | sort | uniq -c |
	sed 's/^ *//'
_rados ls | while read -r o; do _rados stat "$o"; done |
	awk '{ for (i = 1; i < NF; i++) if ($i == "size") s = $(i + 1) + 0
	       t += s; if (s > m) m = s }
	     END { print m, t }' > $tmp.sizes
read -r max total < $tmp.sizes
[ "$max" -le 134217728 ] && echo "every object under the 128 MiB limit"
want=$(( (1 + 2 + 3 + 4 + 5) * 37 * 1024 + (3 << 20) + (200 << 20) ))
_figure "objects' sizes: $total bytes, for $want bytes of data (largest $max; holes inside an object are not written)"

echo "== recall through the daemon"
_scratch_cycle_mount
_start_daemon --timeout 60
bad=0
for f in d/small1 d/small2 d/small3 d/small4 d/small5 d/sparse d/big; do
	_right $f || { echo "$f wrong"; bad=$((bad + 1)); }
done
echo "wrong files: $bad"
_stop_daemon		# which makes what was read durable and final
"$XFS_HSM" status $M/d/sparse | awk '{ print "sparse:", $1 }'

echo "== the OSD paused mid-recall"
"$XFS_HSM" release $M/d/big >> $seqres.full 2>&1 || _fail "release big"
_scratch_cycle_mount
_start_daemon --timeout 60
_ceph_osd_pause
t0=$(date +%s)
timeout 120 cat $M/d/big > /dev/null 2> $tmp.err
rc=$?
t1=$(date +%s)
echo "cat exit=$rc"
grep -q "Input/output error" $tmp.err && echo "the reader got EIO"
_figure "EIO after $((t1 - t0)) s (store timeout 5 s, daemon timeout 60 s)"
[ $((t1 - t0)) -lt 60 ] && echo "before the daemon's timeout"
"$XFS_HSM" status $M/d/big | awk '{ print "big:", $1, ($2 ~ /L/ ? "lost" : "not lost") }'
_ceph_osd_resume
_right d/big && echo "big reads right once the OSD is back"
_stop_daemon

echo "== audit lists the pool"
"$XFS_HSMSCAN" --audit $M > $tmp.audit 2>&1
echo "audit exit=$?"
grep -Ei "missing|orphan|corrupt" $tmp.audit | grep -v " 0$" | head -5 >> $seqres.full
echo "done"
status=0
exit
