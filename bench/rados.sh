#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# rados.sh - migrate and recall with a rados: store against rados(8) put
# and get of the same files on the same one-node cluster, measured in the
# same run (a benchmark, not a test; `make bench-rados`).  The cluster is
# the tests' (tests/common/ceph: one mon, one memstore OSD on 127.0.0.1).
#
#   1. Large files: BENCH_RADOS_LARGE files of BENCH_RADOS_MB MiB (4 x 128):
#      xfs_hsm migrate against `rados put` of each, xfs_hsm recall against
#      `rados get` of each, cold page cache, durable at the end.
#   2. Small files: BENCH_RADOS_SMALL files of 64 KiB (10000): migrate and
#      recall in files/s; `rados put` of BENCH_RADOS_SAMPLE (200) of them,
#      one process each, for the cost of one object by the command line.
#
#   HSM_BUILDDIR   build tree (default: this tree)
set -eu

. "$(dirname "$0")/cephbench"
_cephbench rados 990 rados ceph-mon ceph-osd rados
nlarge=${BENCH_RADOS_LARGE:-4}
mb=${BENCH_RADOS_MB:-128}
nsmall=${BENCH_RADOS_SMALL:-10000}
sample=${BENCH_RADOS_SAMPLE:-200}
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

echo "== a one-node cluster (memstore), and a filesystem bound to its pool"
_ceph_start hsm
truncate -s 8G "$tmp/fs.img"
mkfs.xfs -q -f "$tmp/fs.img"
mkdir -p "$tmp/fs" "$tmp/src"
mount -o loop "$tmp/fs.img" "$tmp/fs"
"$XFS_HSM" init --store "rados:hsm?conf=$CEPH_CONF" "$tmp/fs" > /dev/null

echo "== large files: $nlarge x $mb MiB"
mkdir "$tmp/fs/large"
for i in $(seq "$nlarge"); do
	head -c $((mb << 20)) /dev/urandom > "$tmp/fs/large/f$i"
done
cold
t0=$(now)
for i in $(seq "$nlarge"); do
	_rados put "base$i" "$tmp/fs/large/f$i"
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
	_rados get "base$i" "$tmp/src/g$i"
done
sync
t1=$(now)
tget=$(secs "$t0" "$t1")
rm -f "$tmp"/src/g*
for i in $(seq "$nlarge"); do _rados rm "base$i"; done
cold
t0=$(now)
"$XFS_HSM" recall "$tmp"/fs/large/f* 2> /dev/null
t1=$(now)
trec=$(secs "$t0" "$t1")
mib=$((nlarge * mb))
echo "  rados put $tput s, xfs_hsm migrate $tmig s: migrate/put $(ratio "$tput" "$tmig")x ($(ratio "$mib" "$tmig") MiB/s)"
echo "  rados get $tget s, xfs_hsm recall $trec s: recall/get $(ratio "$tget" "$trec")x ($(ratio "$mib" "$trec") MiB/s)"
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
	_rados put "small$i" "$tmp/fs/small/f$i"
done
t1=$(now)
tput=$(secs "$t0" "$t1")
echo "  migrate $(ratio "$nsmall" "$tmig") files/s ($(awk -v t="$tmig" -v n="$nsmall" 'BEGIN { printf "%.2f", t * 1000 / n }') ms a file), recall $(ratio "$nsmall" "$trec") files/s"
echo "  rados put, one process per object: $(ratio "$sample" "$tput") objects/s ($(awk -v t="$tput" -v n="$sample" 'BEGIN { printf "%.1f", t * 1000 / n }') ms an object: a process, a connection to the cluster, one write)"
echo "  a migrated object costs a write of its head (a batch's heads go together), a recalled one a read of its metadata and one of its data"
