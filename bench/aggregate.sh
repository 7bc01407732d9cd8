#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# aggregate.sh - migrate of many small files to RADOS (or, with
# BENCH_AGG_STORE=s3, to S3 through radosgw) with and without small-file
# aggregation, measured in the same run on the same one-node cluster
# (tests/common/ceph: one mon, one memstore OSD on 127.0.0.1); a
# benchmark, not a test: `make bench-aggregate`.
#
#   BENCH_AGG_FILES files of BENCH_AGG_SIZE bytes (100000 x 4096), once to
#   a pool (bucket prefix) with the store's default (aggregate=256K) and
#   once to one with aggregate=0 (one object per file), each from its own
#   filesystem: files/s, objects written (rados ls, or the bucket's
#   listing), and the ratios; then recall of BENCH_AGG_RECALL (2000) files
#   at random from each, files/s.  The baseline: `rados put` (curl PUT) of
#   BENCH_AGG_SAMPLE (200) of the files, one process per object.
#
#   HSM_BUILDDIR   build tree (default: this tree)
set -eu

. "$(dirname "$0")/cephbench"
store=${BENCH_AGG_STORE:-rados}
case $store in
rados)	_cephbench aggregate 991 rados ceph-mon ceph-osd rados ;;
s3)	_cephbench aggregate 991 s3 ceph-mon ceph-osd radosgw radosgw-admin \
		curl ;;
*)	echo "aggregate: BENCH_AGG_STORE is rados or s3" >&2; exit 1 ;;
esac
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
s3() {
	curl -sS --fail --aws-sigv4 "aws:amz:us-east-1:s3" \
		--user "$S3_ACCESS:$S3_SECRET" \
		-H "x-amz-content-sha256: UNSIGNED-PAYLOAD" "$@"
}
# objects in pool (bucket prefix) $1, the store's marker aside
objects() {
	if [ "$store" = rados ]; then
		rados -c "$CEPH_CONF" -p "$1" ls | grep -vc '^xfs-hsm-store$'
		return
	fi
	timeout 300 radosgw-admin -c "$CEPH_CONF" bucket list --bucket=hsm \
		--max-entries=100000000 2> /dev/null | python3 -c '
import json, sys
p = sys.argv[1] + "/"
print(sum(1 for o in json.load(sys.stdin) if o["name"].startswith(p) and
          o["name"] != p + "xfs-hsm-store"))' "$1"
}

echo "== a one-node cluster (memstore), two $store stores, two filesystems"
_ceph_start hsm
if [ "$store" = rados ]; then
	timeout 60 ceph -c "$CEPH_CONF" osd pool create plain 8 8 \
		> /dev/null 2>&1
	timeout 60 ceph -c "$CEPH_CONF" osd pool application enable plain \
		rados > /dev/null 2>&1
	spec_agg="rados:hsm?conf=$CEPH_CONF"
	spec_plain="rados:plain?conf=$CEPH_CONF&aggregate=0"
else
	_ceph_start_rgw
	url=http://127.0.0.1:$CEPH_RGW_PORT
	printf 'access_key = %s\nsecret_key = %s\n' "$S3_ACCESS" \
		"$S3_SECRET" > "$tmp/cred"
	chmod 600 "$tmp/cred"
	spec_agg="s3://hsm/hsm?endpoint=$url&credentials=$tmp/cred"
	spec_plain="s3://hsm/plain?endpoint=$url&credentials=$tmp/cred&aggregate=0"
fi
for kind in agg plain; do
	truncate -s 4G "$tmp/$kind.img"
	mkfs.xfs -q -f "$tmp/$kind.img"
	mkdir -p "$tmp/$kind"
	mount -o loop "$tmp/$kind.img" "$tmp/$kind"
done
"$XFS_HSM" init --store "$spec_agg" "$tmp/agg" > /dev/null
"$XFS_HSM" init --store "$spec_plain" "$tmp/plain" > /dev/null
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
	f=$tmp/agg/d/0000/f$(printf %06d "$i")
	if [ "$store" = rados ]; then
		_rados put "put$i" "$f"
	else
		s3 -T "$f" "$url/hsm/put$i" -o /dev/null
	fi
done
t1=$(now)
tput=$(secs "$t0" "$t1")
putname=$([ "$store" = rados ] && echo "rados put" || echo "curl PUT")

echo "== summary"
echo "  migrate, aggregated: ${rate[agg]} files/s, ${objs[agg]} objects ($(ratio "$nfiles" "${objs[agg]}") files an object)"
echo "  migrate, an object per file: ${rate[plain]} files/s, ${objs[plain]} objects"
echo "  aggregated/plain: $(ratio "${rate[agg]}" "${rate[plain]}")x the files/s, $(ratio "${objs[plain]}" "${objs[agg]}")x fewer objects"
echo "  recall at random: aggregated ${rrate[agg]} files/s, plain ${rrate[plain]} files/s"
echo "  $putname, one process per object: $(ratio "$sample" "$tput") objects/s"
