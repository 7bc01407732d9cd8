#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# 097-aggregate-s3: small files packed into aggregates in an S3 bucket
# (the default of an s3: store), through radosgw on a one-node cluster
# started here.  A tree of small files (and two large ones, which keep an
# object each) migrates: the bucket holds far fewer objects than files,
# its marker says format 2, and audit still lists one object per file.
# Files recalled at random read back byte for byte.  Most files are
# deleted, then xfs_hsmscan --gc marks their members dead and repacks the
# aggregates left mostly dead, killed at each of its durable steps
# (repack-written, repack-repointed, repack-deleted) and run again: every
# remaining file reads right and no object a record names is gone.  Files
# whose members were moved by that repack are deleted and gc is killed
# where it marks one dead (s3agg-dead) and where it marks the way there
# dead (s3agg-unlinked).  The rest repacked again, killed where the
# first slots are pointed at the newest aggregate (repack-shortened):
# every member is still two steps from its first slot.  A migrate killed
# after its aggregate is written
# (s3agg-written) leaves its files right.  Then the filesystem is made
# again and xfs_hsm import rebuilds it from the bucket, a small file
# removed is undeleted from its member, and a member's metadata is
# rewritten by --refresh-paths.  Last, every aggregate overwritten with a
# header whose table length wraps (the damage fuzz_s3agg found; its seed,
# replayed under the sanitizers, is the test for the crash it caused): a
# recall of a member fails with a one-line error naming the file, a
# reader through the daemon gets EIO, never zeros, and the daemon stays
# up.  HSM_AGG_FILES sets the count (2000).

. "$(dirname "$0")/../common/preamble"
. "$(dirname "$0")/../common/ceph"
. "$(dirname "$0")/../common/scanrc"

_require_scratch
_require_xfs_hsmd
_require_ceph
_require_rgw
_require_storeobj

_test_cleanup()
{
	_stop_daemon
	_ceph_stop
}

N=${HSM_AGG_FILES:-2000}
_scratch_setup 2g
_ceph_start hsm
_ceph_start_rgw
M=$SCRATCH_MNT
_s3_cred
URL=$S3_URL
SPEC="s3://hsmbucket/fs1?endpoint=$URL&credentials=$CRED&timeout=30"
"$XFS_HSM" init --store "$SPEC" $M >> $seqres.full 2>&1 || _fail "init"
echo "== index_shards= is a rados: pool's"
"$XFS_HSM" store add $M "s3://hsmbucket/fs2?endpoint=$URL&credentials=$CRED&index_shards=256" 2>&1 |
	_filter_scratch | sed "s|$URL|URL|; s|$TEST_DIR|TEST_DIR|"

# _bucket_counts: $aggs, $states, $heads (objects of their own) of fs1/
_bucket_counts()
{
	_s3 "$URL/hsmbucket?list-type=2&prefix=fs1%2F" |
		grep -o '<Key>[^<]*</Key>' | sed 's|<Key>fs1/||; s|</Key>||' \
		> $tmp.keys
	aggs=$(grep -c '^hsm\.agg\.[0-9a-f]\{24\}$' $tmp.keys)
	states=$(grep -c '^hsm\.aggst\.[0-9a-f]\{24\}$' $tmp.keys)
	heads=$(grep -c '^[0-9a-f]\{32\}\.meta$' $tmp.keys)
}

# N small files of 1 byte to 16 KiB in directories of 500 (an empty file
# has no object), and two large ones
python3 - "$M/d" "$N" <<'PY'
import os, random, sys
top, n = sys.argv[1], int(sys.argv[2])
r = random.Random(97)
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
_audit_clean()
{
	"$XFS_HSMSCAN" --audit $M > $tmp.audit 2>&1
	echo "audit exit=$? $(grep -E '^ *(missing|orphans|shared):' $tmp.audit |
		tr -s ' ' | paste -sd ' ')"
	cat $tmp.audit >> $seqres.full
}
_read_back()
{
	_start_daemon --timeout 60
	_check $1
	_stop_daemon
}

echo "== migrate"
t0=$(date +%s.%N)
"$XFS_HSM" migrate -r $M/d >> $seqres.full 2>&1 || _fail "migrate"
t1=$(date +%s.%N)
"$XFS_HSM" status -r $M/d | awk '{ print $1 }' | sort | uniq -c |
	sed "s/^ *$files /FILES /"
_bucket_counts
aggs_migrated=$aggs
echo "objects of their own: $heads"
[ "$aggs" -ge 1 ] && [ $((aggs * 50)) -le "$files" ] &&
	echo "aggregates far fewer than files"
_s3 "$URL/hsmbucket/fs1/xfs-hsm-store" | head -1
_figure "$files files in $aggs aggregates and $heads objects of their own, $(echo "$t0 $t1" | awk -v n=$files '{ printf "%.0f", n / ($2 - $1) }') files/s"
"$XFS_HSMSCAN" --audit $M > $tmp.audit 2>&1
echo "audit exit=$?"
[ "$(awk '/store objects:/ { print $NF }' $tmp.audit)" = "$files" ] &&
	echo "audit lists one object per file"

echo "== recall at random through the daemon"
_scratch_cycle_mount
cut -c67- $tmp.sums | shuf -n 300 --random-source=<(yes) > $tmp.some
_read_back $tmp.some

echo "== most files deleted, gc repacks, killed at each step"
cut -c67- $tmp.sums | awk 'NR % 5 != 1 && !/big/' > $tmp.gone
cut -c67- $tmp.sums | awk 'NR % 5 == 1 || /big/' > $tmp.kept
(cd $M && xargs rm -f < $tmp.gone)
for step in repack-written repack-repointed repack-deleted; do
	rm -f $tmp.once
	LIBHSM_FAULT=$step LIBHSM_FAULT_ONCE=$tmp.once \
		"$XFS_HSMSCAN" --gc --grace 0 $M >> $seqres.full 2>&1
	rc=$?
	echo "$step: killed=$([ -e $tmp.once ] && echo yes || echo no) exit=$([ $rc = 137 ] && echo kill || echo $rc)"
	"$XFS_HSMSCAN" --audit $M > $tmp.audit 2>&1
	awk '/^ *missing:/ { print "missing:", $NF }' $tmp.audit
	_read_back $tmp.kept
done
"$XFS_HSMSCAN" --gc --grace 0 $M > $tmp.gc 2>&1
echo "gc again exit=$?"
cat $tmp.gc >> $seqres.full
_bucket_counts
[ "$aggs" -lt "$aggs_migrated" ] && echo "fewer aggregates after the repack"
_figure "after the repack: $aggs aggregates (of $aggs_migrated) and $states states for $(wc -l < $tmp.kept) files"
_audit_clean
_scratch_cycle_mount
_read_back $tmp.kept

echo "== moved members deleted, gc killed where it marks them dead"
# the kept small files now live in the repack's aggregate, reached from
# their first slot: deleting one marks it dead there, then the way there
grep -v big $tmp.kept | awk 'NR % 4 == 0' > $tmp.gone2
grep -v -x -F -f $tmp.gone2 $tmp.kept > $tmp.kept2
mv $tmp.kept2 $tmp.kept
(cd $M && xargs rm -f < $tmp.gone2)
for step in s3agg-dead s3agg-unlinked; do
	rm -f $tmp.once
	LIBHSM_FAULT=$step LIBHSM_FAULT_ONCE=$tmp.once \
		"$XFS_HSMSCAN" --gc --grace 0 $M >> $seqres.full 2>&1
	rc=$?
	echo "$step: killed=$([ -e $tmp.once ] && echo yes || echo no) exit=$([ $rc = 137 ] && echo kill || echo $rc)"
	_read_back $tmp.kept
done
"$XFS_HSMSCAN" --gc --grace 0 $M >> $seqres.full 2>&1
_audit_clean
"$XFS_HSMSCAN" --audit $M 2>&1 | awk '/store objects:/ { print $NF }' |
	sed "s/^$(wc -l < $tmp.kept)\$/objects: one per kept file/"

echo "== repacked again: every way stays two steps long"
# two in three of the small files left go: the repack's aggregate is
# repacked in turn, and each member's first slot is pointed straight at
# the newest one (killed once there, and run again)
grep -v big $tmp.kept | awk 'NR % 3 != 0' > $tmp.gone3
grep -v -x -F -f $tmp.gone3 $tmp.kept > $tmp.kept3
mv $tmp.kept3 $tmp.kept
(cd $M && xargs rm -f < $tmp.gone3)
rm -f $tmp.once
LIBHSM_FAULT=repack-shortened LIBHSM_FAULT_ONCE=$tmp.once \
	"$XFS_HSMSCAN" --gc --grace 0 $M >> $seqres.full 2>&1
rc=$?
echo "repack-shortened: killed=$([ -e $tmp.once ] && echo yes || echo no) exit=$([ $rc = 137 ] && echo kill || echo $rc)"
_read_back $tmp.kept
"$XFS_HSMSCAN" --gc --grace 0 $M >> $seqres.full 2>&1
_read_back $tmp.kept
_audit_clean
# each kept small file's first slot: moved straight to an aggregate there
long=0
for p in $(grep -v big $tmp.kept); do
	oid=$(_scan_oid $M/$p)
	slot=$((16#${oid:26:6}))
	to=$(_s3 "$URL/hsmbucket/fs1/hsm.aggst.${oid:0:24}" |
		awk -v s=$slot '$1 == "moved" && $2 == s { print $3 }')
	[ -n "$to" ] && _s3 -o /dev/null -f -I "$URL/hsmbucket/fs1/hsm.agg.$to" ||
		long=$((long + 1))
done
echo "members more than two steps away: $long"

echo "== a migrate killed once its aggregate is written"
mkdir $M/late
for i in $(seq 1 40); do head -c $((i * 100)) /dev/urandom > $M/late/n$i; done
(cd $M && sha256sum late/*) >> $tmp.sums
ls $M/late | sed "s|^|late/|" > $tmp.new
LIBHSM_FAULT=s3agg-written "$XFS_HSM" migrate -r $M/late >> $seqres.full 2>&1
echo "s3agg-written: migrate exit=$?"
_check $tmp.new
"$XFS_HSMSCAN" --repair $M >> $seqres.full 2>&1
"$XFS_HSM" migrate -r $M/late >> $seqres.full 2>&1 || _fail "migrate late"
cat $tmp.new >> $tmp.kept
"$XFS_HSMSCAN" --gc --grace 0 $M >> $seqres.full 2>&1
_audit_clean

echo "== the filesystem made again, imported from the bucket"
_scratch_cycle_mount
_read_back $tmp.kept
uuid=$(xfs_admin -u $TEST_DIR/mnt.img | awk '{ print $3 }')
umount $M || _fail "umount"
mkfs.xfs -q -f -m uuid=$uuid $TEST_DIR/mnt.img >> $seqres.full 2>&1 || _fail "mkfs"
mount -o loop $TEST_DIR/mnt.img $M || _fail "mount"
"$XFS_HSM" import -s "$SPEC" $M > $tmp.out 2>&1
echo "import exit=$?"
grep -E "^(stubs made|conflicts|failed):" $tmp.out | sed 's/ ([^)]*)//' |
	sed "s/ $(wc -l < $tmp.kept)\$/ KEPT/"
_read_back $tmp.kept

echo "== undelete of an aggregated member"
_bucket_counts
p=$(grep -v big $tmp.kept | shuf -n 1 --random-source=<(yes))
oid=$(_scan_oid $M/$p)
grep -q "^$oid\.meta\$" $tmp.keys && echo "$p has an object of its own"
rm $M/$p
"$XFS_HSM" undelete $oid $M/$p > $tmp.out 2>&1
echo "undelete exit=$?"
cat $tmp.out >> $seqres.full
_state $M/$p
"$XFS_HSMSCAN" --gc --grace 0 $M >> $seqres.full 2>&1
echo "$p" > $tmp.one
_read_back $tmp.one
_audit_clean

echo "== a member's names rewritten"
q=$(grep -v big $tmp.kept | grep -v -x -F "$p" | shuf -n 1 --random-source=<(yes))
mv $M/$q $M/moved-here
"$XFS_HSMSCAN" --refresh-paths $M 2>&1 | grep "^paths:" |
	sed 's/[0-9]* objects checked/N objects checked/; s/[0-9]* current/N current/'
_store_names "$(_file_oid $M/moved-here)" | _filter_scratch
echo "moved-here" > $tmp.one
sed -i "s|  $q\$|  moved-here|" $tmp.sums
_read_back $tmp.one

echo "== a damaged aggregate is refused, not followed"
r=$(grep -v big $tmp.kept | grep -v -x -F "$p" | grep -v -x -F "$q" |
	shuf -n 1 --random-source=<(yes))
oid=$(_file_oid $M/$r)
"$XFS_HSM" release $M/$r >> $seqres.full 2>&1 || _fail "release $r"
# every aggregate, so that wherever a repack moved it, it is damaged
_bucket_counts
for k in $(grep '^hsm\.agg\.[0-9a-f]\{24\}$' $tmp.keys); do
	printf 'xfs-hsm-aggregate 1 1 18446744073709551615\n0 %s 0 1 1 0\n\n' \
		$oid | _s3 -X PUT --data-binary @- "$URL/hsmbucket/fs1/$k" ||
		_fail "put a damaged aggregate"
done
"$XFS_HSM" recall $M/$r 2>&1 | _filter_scratch | sed "s|$r|FILE|"
echo "recall exit=${PIPESTATUS[0]}"
_state $M/$r
_start_daemon --timeout 60
cat $M/$r > $tmp.read 2> $tmp.err
echo "cat exit=$? $(grep -o 'Input/output error' $tmp.err), bytes read: $(stat -c %s $tmp.read)"
"$XFS_HSM" stats $M > /dev/null 2>&1 && echo "daemon up"
_stop_daemon
status=0
exit
