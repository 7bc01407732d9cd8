#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# aggregate.sh - migrate of many small files to RADOS with and without
# small-file aggregation, measured in the same run on the same one-node
# cluster (tests/common/ceph: one mon, one memstore OSD on 127.0.0.1); a
# benchmark, not a test: `make bench-aggregate`.
#
#   BENCH_AGG_FILES files of BENCH_AGG_SIZE bytes (100000 x 4096), once to
#   a pool with the rados: store's default (aggregate=256K) and once to a
#   pool with aggregate=0 (one object per file), each from its own
#   filesystem: files/s, objects written (rados ls), and the ratios; then
#   recall of BENCH_AGG_RECALL (2000) files at random from each, files/s.
#   The baseline: `rados put` of BENCH_AGG_SAMPLE (200) of the files, one
#   process per object, and a pool's objects per file.
#
#   HSM_BUILDDIR   build tree (default: this tree)
set -eu

. "$(dirname "$0")/cephbench"
_cephbench aggregate 991 rados ceph-mon ceph-osd rados
nfiles=${BENCH_AGG_FILES:-100000}
size=${BENCH_AGG_SIZE:-4096}
nrecall=${BENCH_AGG_RECALL:-2000}
sample=${BENCH_AGG_SAMPLE:-200}
cleanup() {
	local m

	for m in "$tmp/agg" "$tmp/plain"; do
		mountpoint -q "$m" && umount "$m"
	done
	_ceph_stop
	rm -rf "$tmp"
}
trap cleanup EXIT HUP INT QUIT TERM

now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
cold() { sync; echo 3 > /proc/sys/vm/drop_caches; }
# objects in pool $1, the store's marker aside
objects() { rados -c "$CEPH_CONF" -p "$1" ls | grep -vc '^xfs-hsm-store$'; }

echo "== a one-node cluster (memstore), two pools, two filesystems"
_ceph_start hsm
timeout 60 ceph -c "$CEPH_CONF" osd pool create plain 8 8 > /dev/null 2>&1
timeout 60 ceph -c "$CEPH_CONF" osd pool application enable plain rados \
	> /dev/null 2>&1
for kind in agg plain; do
	truncate -s 4G "$tmp/$kind.img"
	mkfs.xfs -q -f "$tmp/$kind.img"
	mkdir -p "$tmp/$kind"
	mount -o loop "$tmp/$kind.img" "$tmp/$kind"
done
"$XFS_HSM" init --store "rados:hsm?conf=$CEPH_CONF" "$tmp/agg" > /dev/null
"$XFS_HSM" init --store "rados:plain?conf=$CEPH_CONF&aggregate=0" \
	"$tmp/plain" > /dev/null
for kind in agg plain; do
	python3 - "$tmp/$kind/d" "$nfiles" "$size" <<'PY'
import os, sys
top, n, size = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
for i in range(n):
    d = os.path.join(top, "%04d" % (i // 1000))
    if i % 1000 == 0:
        os.makedirs(d)
    with open(os.path.join(d, "f%06d" % i), "wb") as f:
        f.write(os.urandom(size))
PY
done

declare -A rate objs rrate
for kind in plain agg; do
	pool=$([ $kind = agg ] && echo hsm || echo plain)
	echo "== migrate $nfiles x $size bytes, $kind"
	cold
	t0=$(now)
	"$XFS_HSM" migrate -r "$tmp/$kind/d" 2> /dev/null
	t1=$(now)
	rate[$kind]=$(ratio "$nfiles" "$(secs "$t0" "$t1")")
	objs[$kind]=$(objects $pool)
	echo "  $(secs "$t0" "$t1") s: ${rate[$kind]} files/s, ${objs[$kind]} objects written"
	find "$tmp/$kind/d" -type f | shuf -n "$nrecall" > "$tmp/recall"
	umount "$tmp/$kind" && mount -o loop "$tmp/$kind.img" "$tmp/$kind"
	t0=$(now)
	xargs "$XFS_HSM" recall < "$tmp/recall" 2> /dev/null
	t1=$(now)
	rrate[$kind]=$(ratio "$nrecall" "$(secs "$t0" "$t1")")
	echo "  recall of $nrecall at random: ${rrate[$kind]} files/s"
done

t0=$(now)
for i in $(seq "$sample"); do
	_rados put "put$i" "$tmp/agg/d/0000/f$(printf %06d "$i")"
done
t1=$(now)
tput=$(secs "$t0" "$t1")

echo "== summary"
echo "  migrate, aggregated: ${rate[agg]} files/s, ${objs[agg]} objects ($(ratio "$nfiles" "${objs[agg]}") files an object)"
echo "  migrate, an object per file: ${rate[plain]} files/s, ${objs[plain]} objects"
echo "  aggregated/plain: $(ratio "${rate[agg]}" "${rate[plain]}")x the files/s, $(ratio "${objs[plain]}" "${objs[agg]}")x fewer objects"
echo "  recall at random: aggregated ${rrate[agg]} files/s, plain ${rrate[plain]} files/s"
echo "  rados put, one process per object: $(ratio "$sample" "$tput") objects/s"
