#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# 086-aggregate: small files packed into aggregates in a RADOS store (the
# default of a rados: store), on a one-node cluster started here.  A tree
# of small files (and two large ones, which keep an object each) migrates;
# the pool holds far fewer objects than files, and audit still lists one
# object per file.  Files recalled at random read back byte for byte.
# Most of the files are deleted, then xfs_hsmscan --gc removes their
# members and repacks the aggregates left mostly dead, killed at each of
# its durable steps (repack-written, repack-repointed, repack-deleted) and
# run again: every remaining file reads right, no object a record names
# is gone.  aggregate= on a directory store is refused.  A migrate killed
# between an aggregate and its index (agg-written) and after the index
# (agg-indexed) leaves the files right, and gc takes the garbage.  Then
# the filesystem is made again and xfs_hsm import rebuilds it from the
# aggregated store.  A small file removed is undeleted from its member
# and reads right after a gc.  Last, a new filesystem bound to a pool
# namespace made with index_shards=4096: its index shards are named by
# 12 bits, its marker is version 2, every file reads back, gc repacks
# its aggregates once most of their files are deleted and the rest still
# read back, and a spec
# asking another shard count for that pool is refused.
# HSM_AGG_FILES=100000 runs it with the issue's 100,000 files: make
# check-crash does, as tests/crash/aggregate-100k.sh.

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

N=${HSM_AGG_FILES:-2000}
_scratch_setup 2g
_ceph_start hsm
M=$SCRATCH_MNT
SPEC="rados:hsm?conf=$CEPH_CONF&timeout=30"
"$XFS_HSM" init --store "$SPEC" $M >> $seqres.full 2>&1 || _fail "init"
echo "== aggregate= is the rados: store's"
mkdir -p $TEST_DIR/dirstore
"$XFS_HSM" store add $M "posix:$TEST_DIR/dirstore?aggregate=1M" 2>&1 |
	_filter_scratch
"$XFS_HSM" store add $M "rados:hsm?conf=$CEPH_CONF&aggregate=5M" 2>&1 |
	_filter_scratch | sed "s|$CEPH_CONF|CONF|"

# N small files of 1 byte to 16 KiB in directories of 500 (an empty file
# has no object), and two large ones
python3 - "$M/d" "$N" <<'PY'
import os, random, sys
top, n = sys.argv[1], int(sys.argv[2])
r = random.Random(86)
for i in range(n):
    d = os.path.join(top, "%03d" % (i // 500))
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "f%06d" % i), "wb") as f:
        f.write(os.urandom(r.choice([1, 100, 4096, 4096, 9000, 16384])))
with open(os.path.join(top, "big300k"), "wb") as f:
    f.write(os.urandom(300 << 10))
with open(os.path.join(top, "big5m"), "wb") as f:
    f.write(os.urandom(5 << 20))
PY
(cd $M && find d -type f | sort | xargs sha256sum) > $tmp.sums
files=$(wc -l < $tmp.sums)

# _check LIST: every file of LIST (names under $M) against its sum
_check()
{
	_sums_check $tmp.sums "$1"
}
_pool_counts()
{
	_rados ls > $tmp.pool
	aggs=$(grep -c '^hsm\.agg\.[0-9a-f]\{32\}$' $tmp.pool)
	heads=$(grep -c '^[0-9a-f]\{32\}$' $tmp.pool)
}
_audit_clean()
{
	"$XFS_HSMSCAN" --audit $M > $tmp.audit 2>&1
	echo "audit exit=$? $(grep -E '^ *(missing|orphans|shared):' $tmp.audit |
		tr -s ' ' | paste -sd ' ')"
	cat $tmp.audit >> $seqres.full
}

echo "== migrate"
t0=$(date +%s.%N)
"$XFS_HSM" migrate -r $M/d >> $seqres.full 2>&1 || _fail "migrate"
t1=$(date +%s.%N)
"$XFS_HSM" status -r $M/d | awk '{ print $1 }' | sort | uniq -c |
	sed "s/^ *$files /FILES /"
_pool_counts
aggs_migrated=$aggs
echo "heads $heads"
[ "$aggs" -ge 1 ] && [ $((aggs * 50)) -le "$files" ] &&
	echo "aggregates far fewer than files"
_figure "$files files in $aggs aggregates and $heads objects of their own, $(echo "$t0 $t1" | awk -v n=$files '{ printf "%.0f", n / ($2 - $1) }') files/s"
"$XFS_HSMSCAN" --audit $M > $tmp.audit 2>&1
echo "audit exit=$?"
[ "$(awk '/store objects:/ { print $NF }' $tmp.audit)" = "$files" ] &&
	echo "audit lists one object per file"

echo "== recall at random through the daemon"
_scratch_cycle_mount
_start_daemon --timeout 60
cut -c67- $tmp.sums | shuf -n 300 --random-source=<(yes) > $tmp.some
_check $tmp.some
_stop_daemon

echo "== most files deleted, gc repacks, killed at each step"
# keep one file in five, and the large ones
cut -c67- $tmp.sums | awk 'NR % 5 != 1 && !/big/' > $tmp.gone
cut -c67- $tmp.sums | awk 'NR % 5 == 1 || /big/' > $tmp.kept
(cd $M && xargs rm -f < $tmp.gone)
# each gc removes the deleted files' members first, then repacks; the
# killed ones stop at their step, the next starts over
for step in repack-written repack-repointed repack-deleted; do
	rm -f $tmp.once
	LIBHSM_FAULT=$step LIBHSM_FAULT_ONCE=$tmp.once \
		"$XFS_HSMSCAN" --gc --grace 0 $M >> $seqres.full 2>&1
	rc=$?
	echo "$step: killed=$([ -e $tmp.once ] && echo yes || echo no) exit=$([ $rc = 137 ] && echo kill || echo $rc)"
	"$XFS_HSMSCAN" --audit $M > $tmp.audit 2>&1
	awk '/^ *missing:/ { print "missing:", $NF }' $tmp.audit
	_start_daemon --timeout 60
	_check $tmp.kept
	_stop_daemon
done
"$XFS_HSMSCAN" --gc --grace 0 $M > $tmp.gc 2>&1
echo "gc again exit=$?"
cat $tmp.gc >> $seqres.full
before=$aggs_migrated
_pool_counts
[ "$aggs" -lt "$before" ] && echo "fewer aggregates after the repack"
_figure "after the repack: $aggs aggregates (of $before) for $(wc -l < $tmp.kept) files"
_audit_clean
_scratch_cycle_mount
_start_daemon --timeout 60
_check $tmp.kept
_stop_daemon

echo "== a migrate killed at agg-written and at agg-indexed"
for step in agg-written agg-indexed; do
	mkdir $M/$step
	for i in $(seq 1 40); do head -c $((i * 100)) /dev/urandom > $M/$step/n$i; done
	(cd $M && sha256sum $step/*) >> $tmp.sums
	ls $M/$step | sed "s|^|$step/|" > $tmp.new
	LIBHSM_FAULT=$step "$XFS_HSM" migrate -r $M/$step >> $seqres.full 2>&1
	echo "$step: migrate exit=$?"
	_check $tmp.new
	"$XFS_HSMSCAN" --repair $M >> $seqres.full 2>&1
	"$XFS_HSM" migrate -r $M/$step >> $seqres.full 2>&1 || _fail "migrate $step"
	cat $tmp.new >> $tmp.kept
done
"$XFS_HSMSCAN" --gc --grace 0 $M >> $seqres.full 2>&1
echo "gc exit=$?"
_audit_clean
"$XFS_HSMSCAN" --audit $M 2>&1 | grep -c '^orphan [0-9a-f]' | sed 's/^/orphans left: /'

echo "== the filesystem made again, imported from the aggregated store"
_scratch_cycle_mount
_start_daemon --timeout 60
_check $tmp.kept
_stop_daemon
uuid=$(xfs_admin -u $TEST_DIR/mnt.img | awk '{ print $3 }')
umount $M || _fail "umount"
mkfs.xfs -q -f -m uuid=$uuid $TEST_DIR/mnt.img >> $seqres.full 2>&1 || _fail "mkfs"
mount -o loop $TEST_DIR/mnt.img $M || _fail "mount"
"$XFS_HSM" import -s "$SPEC" $M > $tmp.out 2>&1
echo "import exit=$?"
grep -E "^(stubs made|conflicts|failed):" $tmp.out | sed 's/ ([^)]*)//' |
	sed "s/ $(wc -l < $tmp.kept)\$/ KEPT/"
_start_daemon --timeout 60
_check $tmp.kept
_stop_daemon

echo "== undelete of an aggregated member"
# a small kept file: its bytes live in an aggregate, not an object of
# its own; removed, undeleted by its oid at its path, gc run, read back
p=$(grep -v big $tmp.kept | shuf -n 1 --random-source=<(yes))
oid=$(_scan_oid $M/$p)
_rados stat $oid > /dev/null 2>&1 && echo "$p has an object of its own"
rm $M/$p
"$XFS_HSM" undelete $oid $M/$p > $tmp.out 2>&1
echo "undelete exit=$?"
cat $tmp.out >> $seqres.full
_state $M/$p
"$XFS_HSMSCAN" --gc --grace 0 $M >> $seqres.full 2>&1
echo "gc exit=$?"
echo "$p" > $tmp.one
_start_daemon --timeout 60
_check $tmp.one
_stop_daemon
_audit_clean

echo "== an index of 4096 shards, fixed when its pool is first used"
# a new filesystem bound to a new namespace with index_shards=4096: the
# shards are named by their 12 bits, the marker says version 2 (older
# versions know only 256 shards and must refuse it), and every file
# reads back through that index
umount $M || _fail "umount"
mkfs.xfs -q -f $TEST_DIR/mnt.img >> $seqres.full 2>&1 || _fail "mkfs"
mount -o loop $TEST_DIR/mnt.img $M || _fail "mount"
WIDE="rados:hsm?conf=$CEPH_CONF&timeout=30&namespace=wide"
"$XFS_HSM" init --store "$WIDE&index_shards=1000" $M 2>&1 |
	_filter_scratch | sed "s|$CEPH_CONF|CONF|"
"$XFS_HSM" init --store "$WIDE&index_shards=4096" $M >> $seqres.full 2>&1 ||
	_fail "init wide"
python3 - "$M/w" <<'PY'
import os, sys
os.makedirs(sys.argv[1])
for i in range(300):
    with open(os.path.join(sys.argv[1], "f%03d" % i), "wb") as f:
        f.write(os.urandom(100 + 37 * i))
PY
(cd $M && find w -type f | sort | xargs sha256sum) > $tmp.sums
cut -c67- $tmp.sums > $tmp.wide
"$XFS_HSM" migrate -r $M/w >> $seqres.full 2>&1 || _fail "migrate wide"
_rados -N wide get xfs-hsm-store - | head -1
_rados -N wide ls > $tmp.pool
echo "shards named by 12 bits: $(grep -c '^hsm\.aggidx\.[0-9a-f]\{3\}$' $tmp.pool)" |
	sed 's/: [1-9][0-9]*$/: many/'
echo "shards of another width: $(grep '^hsm\.aggidx\.' $tmp.pool |
	grep -vc '^hsm\.aggidx\.[0-9a-f]\{3\}$')"
_scratch_cycle_mount
_start_daemon --timeout 60
_check $tmp.wide
_stop_daemon
_audit_clean
# a repack there must find each live member in its 12-bit shard: one
# looked up in a wrong shard would count as dead, and the aggregate
# holding it would go
grep '^hsm\.agg\.' $tmp.pool | sort > $tmp.aggs.before
awk 'NR % 5 != 1' $tmp.wide > $tmp.gone
awk 'NR % 5 == 1' $tmp.wide > $tmp.wide.kept
(cd $M && xargs rm -f < $tmp.gone)
"$XFS_HSMSCAN" --gc --grace 0 $M >> $seqres.full 2>&1
echo "gc exit=$?"
_rados -N wide ls | grep '^hsm\.agg\.' | sort > $tmp.aggs.after
echo "aggregates repacked: $(comm -23 $tmp.aggs.before $tmp.aggs.after | wc -l | sed 's/^[1-9][0-9]*$/some/'), new: $(comm -13 $tmp.aggs.before $tmp.aggs.after | wc -l | sed 's/^[1-9][0-9]*$/some/')"
_audit_clean
_scratch_cycle_mount
_start_daemon --timeout 60
_check $tmp.wide.kept
_stop_daemon
"$XFS_HSM" store add $M "$WIDE&index_shards=256" 2>&1 | _filter_scratch |
	sed "s|$CEPH_CONF|CONF|"
status=0
exit
