#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# s3.sh - migrate and recall with an s3: store against curl PUT and GET of
# the same files (one request each, SigV4-signed by curl), on radosgw of
# the tests' one-node cluster, measured in the same run (a benchmark, not
# a test; `make bench-s3`).
#
#   1. Large files: BENCH_S3_LARGE files of BENCH_S3_MB MiB (4 x 128):
#      xfs_hsm migrate (multipart, 16 MiB parts) against curl PUT of each,
#      xfs_hsm recall against curl GET of each; cold page cache.
#   2. Small files: BENCH_S3_SMALL files of 64 KiB (10000): migrate and
#      recall in files/s; curl PUT of BENCH_S3_SAMPLE (200) of them, one
#      process each, for the cost of one object by the command line.
#
#   HSM_BUILDDIR   build tree (default: this tree)
set -eu

. "$(dirname "$0")/cephbench"
_cephbench s3 991 s3 ceph-mon ceph-osd radosgw radosgw-admin curl
nlarge=${BENCH_S3_LARGE:-4}
mb=${BENCH_S3_MB:-128}
nsmall=${BENCH_S3_SMALL:-10000}
sample=${BENCH_S3_SAMPLE:-200}
cleanup() {
	mountpoint -q "$tmp/fs" && umount "$tmp/fs"
	_ceph_stop
	rm -rf "$tmp"
}
trap cleanup EXIT HUP INT QUIT TERM

now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
cold() { sync; echo 3 > /proc/sys/vm/drop_caches; }

echo "== radosgw on a one-node cluster (memstore), a filesystem bound to a bucket"
_ceph_start hsm
_ceph_start_rgw
url=http://127.0.0.1:$CEPH_RGW_PORT
s3() {
	curl -sS --fail --aws-sigv4 "aws:amz:us-east-1:s3" \
		--user "$S3_ACCESS:$S3_SECRET" \
		-H "x-amz-content-sha256: UNSIGNED-PAYLOAD" "$@"
}
printf 'access_key = %s\nsecret_key = %s\n' "$S3_ACCESS" "$S3_SECRET" > "$tmp/cred"
chmod 600 "$tmp/cred"
truncate -s 8G "$tmp/fs.img"
mkfs.xfs -q -f "$tmp/fs.img"
mkdir -p "$tmp/fs" "$tmp/out"
mount -o loop "$tmp/fs.img" "$tmp/fs"
"$XFS_HSM" init --store "s3://hsm/fs?endpoint=$url&credentials=$tmp/cred" "$tmp/fs" > /dev/null
s3 -X PUT "$url/base" -o /dev/null

# radosgw makes a pool for multipart uploads at the first one (about 2 s
# here): pay that, and a first PUT, before anything is timed
head -c 20M /dev/urandom > "$tmp/fs/warm"
"$XFS_HSM" migrate "$tmp/fs/warm" 2> /dev/null
s3 -T "$tmp/fs/warm" "$url/base/warm" -o /dev/null
"$XFS_HSM" recall "$tmp/fs/warm" 2> /dev/null
"$XFS_HSM" forget "$tmp/fs/warm" 2> /dev/null
rm -f "$tmp/fs/warm"

echo "== large files: $nlarge x $mb MiB"
mkdir "$tmp/fs/large"
for i in $(seq "$nlarge"); do
	head -c $((mb << 20)) /dev/urandom > "$tmp/fs/large/f$i"
done
cold
t0=$(now)
for i in $(seq "$nlarge"); do
	s3 -T "$tmp/fs/large/f$i" "$url/base/f$i" -o /dev/null
done
t1=$(now)
tput=$(secs "$t0" "$t1")
cold
t0=$(now)
"$XFS_HSM" migrate "$tmp"/fs/large/f* 2> /dev/null
t1=$(now)
tmig=$(secs "$t0" "$t1")
cold
t0=$(now)
for i in $(seq "$nlarge"); do
	s3 "$url/base/f$i" -o "$tmp/out/g$i"
done
sync
t1=$(now)
tget=$(secs "$t0" "$t1")
rm -f "$tmp"/out/g*
cold
t0=$(now)
"$XFS_HSM" recall "$tmp"/fs/large/f* 2> /dev/null
t1=$(now)
trec=$(secs "$t0" "$t1")
mib=$((nlarge * mb))
echo "  curl PUT $tput s, xfs_hsm migrate $tmig s: migrate/PUT $(ratio "$tput" "$tmig")x ($(ratio "$mib" "$tmig") MiB/s)"
echo "  curl GET $tget s, xfs_hsm recall $trec s: recall/GET $(ratio "$tget" "$trec")x ($(ratio "$mib" "$trec") MiB/s)"
"$XFS_HSM" forget "$tmp"/fs/large/f* 2> /dev/null || true
rm -rf "$tmp/fs/large"

echo "== small files: $nsmall x 64 KiB"
mkdir "$tmp/fs/small"
for i in $(seq "$nsmall"); do
	head -c 65536 /dev/urandom > "$tmp/fs/small/f$i"
done
cold
t0=$(now)
"$XFS_HSM" migrate -r "$tmp/fs/small" 2> /dev/null
t1=$(now)
tmig=$(secs "$t0" "$t1")
cold
t0=$(now)
"$XFS_HSM" recall -r "$tmp/fs/small" 2> /dev/null
t1=$(now)
trec=$(secs "$t0" "$t1")
t0=$(now)
for i in $(seq "$sample"); do
	s3 -T "$tmp/fs/small/f$i" "$url/base/s$i" -o /dev/null
done
t1=$(now)
tput=$(secs "$t0" "$t1")
echo "  migrate $(ratio "$nsmall" "$tmig") files/s ($(awk -v t="$tmig" -v n="$nsmall" 'BEGIN { printf "%.2f", t * 1000 / n }') ms a file), recall $(ratio "$nsmall" "$trec") files/s"
echo "  curl PUT, one process per object: $(ratio "$sample" "$tput") objects/s ($(awk -v t="$tput" -v n="$sample" 'BEGIN { printf "%.1f", t * 1000 / n }') ms an object)"
echo "  a migrated object costs a HEAD (is it there?), a PUT of its data and one of its metadata, in turn; a recalled one a GET of its metadata and ranged GETs of its data"
