#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# 081-store-s3: an S3 bucket as the store, through radosgw on a one-node
# cluster started here.  Credentials only from a root-only file (one
# others may read is refused, naming it); small, sparse and multipart
# (40 MiB: three 16 MiB parts) files migrate (the small ones packed in
# one aggregate, the default), release and come back
# through the daemon byte for byte; the stored objects hold the data, not
# the holes; a paused radosgw gives a reader EIO within the store's
# timeout, the file is not marked lost and reads right once it is back;
# audit lists the bucket.

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

_scratch_setup 1g
_ceph_start hsm
_ceph_start_rgw
M=$SCRATCH_MNT
CRED=$TEST_DIR/s3.cred
printf 'access_key = %s\nsecret_key = %s\n' $S3_ACCESS $S3_SECRET > $CRED
chmod 644 $CRED
SPEC="s3://hsmbucket/fs1?endpoint=http://127.0.0.1:$CEPH_RGW_PORT&credentials=$CRED&timeout=5"

echo "== credentials others may read"
"$XFS_HSM" init --store "$SPEC" $M 2>&1 | sed "s|$M|MNT|g; s|$TEST_DIR|TEST_DIR|g; s|$CEPH_RGW_PORT|PORT|g"
chmod 600 $CRED
"$XFS_HSM" init --store "$SPEC" $M > /dev/null 2>> $seqres.full || _fail "init"
echo "bound: $("$XFS_HSM" status $M > /dev/null 2>&1; echo $?)"

mkdir $M/d
for i in 1 2 3; do head -c $((i * 41))K /dev/urandom > $M/d/small$i; done
truncate -s 30M $M/d/sparse
dd if=/dev/urandom of=$M/d/sparse bs=1M seek=2 count=1 conv=notrunc status=none
dd if=/dev/urandom of=$M/d/sparse bs=1M seek=25 count=2 conv=notrunc status=none
head -c 40M /dev/urandom > $M/d/big
(cd $M && sha256sum d/*) > $tmp.sums
_right()
{
	[ "$(_sha $M/$1)" = "$(grep " $1\$" $tmp.sums | cut -d' ' -f1)" ]
}

echo "== migrate"
"$XFS_HSM" migrate -r $M/d >> $seqres.full 2>&1 || _fail "migrate"
"$XFS_HSM" status -r $M/d | awk '{ print $1 }' | sort | uniq -c | sed 's/^ *//'
_s3 "http://127.0.0.1:$CEPH_RGW_PORT/hsmbucket?list-type=2&prefix=fs1%2F" > $tmp.list
echo "objects: $(grep -o '<Key>fs1/[0-9a-f]\{32\}</Key>' $tmp.list | wc -l) data, $(grep -o '<Key>fs1/[0-9a-f]\{32\}\.meta</Key>' $tmp.list | wc -l) metadata"
# the three small ones: in one aggregate, or one per thread that
# prepared them
aggs=$(grep -o '<Key>fs1/hsm\.agg\.[0-9a-f]\{24\}</Key>' $tmp.list | wc -l)
[ "$aggs" -ge 1 ] && [ "$aggs" -le 3 ] && echo "the small files packed"
total=$(grep -o '<Size>[0-9]*</Size>' $tmp.list | tr -dc '0-9\n' | awk '{ t += $1 } END { print t }')
want=$(( (1 + 2 + 3) * 41 * 1024 + (3 << 20) + (40 << 20) ))
[ "$total" -lt $((want + (1 << 20))) ] && echo "the objects hold the data, not the holes"
_figure "objects: $total bytes for $want bytes of data"

echo "== recall through the daemon"
_scratch_cycle_mount
_start_daemon --timeout 60
bad=0
for f in d/small1 d/small2 d/small3 d/sparse d/big; do
	_right $f || { echo "$f wrong"; bad=$((bad + 1)); }
done
echo "wrong files: $bad"
_stop_daemon

echo "== radosgw paused mid-recall"
"$XFS_HSM" release $M/d/big >> $seqres.full 2>&1 || _fail "release big"
_scratch_cycle_mount
_start_daemon --timeout 60
_ceph_rgw_pause
t0=$(date +%s)
timeout 120 cat $M/d/big > /dev/null 2> $tmp.err
rc=$?
t1=$(date +%s)
echo "cat exit=$rc"
grep -q "Input/output error" $tmp.err && echo "the reader got EIO"
_figure "EIO after $((t1 - t0)) s (store timeout 5 s, daemon timeout 60 s)"
[ $((t1 - t0)) -lt 60 ] && echo "before the daemon's timeout"
"$XFS_HSM" status $M/d/big | awk '{ print "big:", $1, ($2 ~ /L/ ? "lost" : "not lost") }'
_ceph_rgw_resume
_right d/big && echo "big reads right once radosgw is back"
_stop_daemon

echo "== audit lists the bucket"
"$XFS_HSMSCAN" --audit $M > $tmp.audit 2>&1
echo "audit exit=$?"
cat $tmp.audit >> $seqres.full

echo "== names refreshed in the bucket"
mv $M/d/small1 $M/small1
ln $M/small1 $M/d/small1-link
"$XFS_HSMSCAN" --refresh-paths $M 2>&1 | grep "^paths:"
_store_names "$(_file_oid $M/small1)" | _filter_scratch
echo "done"
status=0
exit
