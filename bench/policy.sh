#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# policy.sh - xfs_hsm policy against its baselines, measured in the same
# run (a benchmark, not a test; `make bench-policy`).
#
#  1. Candidate selection on the scan benchmark's filesystem (N empty
#     files, 1 % tagged, 5 % other xattrs, a store bound): a dry run of
#     the policy, cold, against raw per-AG bulkstat of the same
#     filesystem with the same threads (bench/rawbulkstat).
#  2. The moves a run triggers: F files of S KiB, old, on a filesystem
#     above its high mark; the policy run (selection, migrate, release)
#     against `xfs_hsm migrate` of the same files named by hand, on a copy
#     of the same filesystem.
#
#   BENCH_POLICY_FILES  N of part 1 (default 1000000)
#   BENCH_POLICY_MOVES  F of part 2 (default 2000), BENCH_POLICY_KIB S (64)
#   BENCH_POLICY_RUNS   rounds of part 1, the median shown (default 3)
#   HSM_BUILDDIR        build tree (default: this tree)
set -eu

here=$(cd "$(dirname "$0")/.." && pwd)
bdir=${HSM_BUILDDIR:-$here}
HSM=$bdir/xfs_hsm/xfs_hsm
RAW=$bdir/bench/rawbulkstat
MKFILES=$bdir/bench/mkfiles
nfiles=${BENCH_POLICY_FILES:-1000000}
nmoves=${BENCH_POLICY_MOVES:-2000}
kib=${BENCH_POLICY_KIB:-64}
runs=${BENCH_POLICY_RUNS:-3}
jobs=$(nproc)

if [ "$(id -u)" != 0 ]; then
	echo "policy: needs root (loop devices, mount, bulkstat)" >&2
	exit 77
fi
for t in "$HSM" "$RAW" "$MKFILES"; do
	[ -x "$t" ] || { echo "policy: build first (make bench-policy): $t" >&2; exit 1; }
done

tmp=$(mktemp -d /tmp/xfs-hsm-bench-policy.XXXXXX)
mnt=$tmp/fs
cleanup() {
	mountpoint -q "$mnt" && umount "$mnt"
	rm -rf "$tmp"
}
trap cleanup EXIT HUP INT QUIT TERM

now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'; }
median() { sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

# fresh IMAGE-SIZE: an empty filesystem at $mnt with a store bound
fresh() {
	mountpoint -q "$mnt" && umount "$mnt"
	rm -rf "$tmp/fs.img" "$tmp/store"
	mkdir -p "$mnt" "$tmp/store"
	truncate -s "$1" "$tmp/fs.img"
	mkfs.xfs -q -f "$tmp/fs.img"
	mount -o loop "$tmp/fs.img" "$mnt"
	"$HSM" init --store "posix:$tmp/store" "$mnt" > /dev/null
}

cold() {
	sync
	echo 3 > /proc/sys/vm/drop_caches
	umount "$mnt"
	mount -o loop "$tmp/fs.img" "$mnt"
}

echo "== candidate selection: $nfiles files, -j $jobs, cold, median of $runs"
fresh 8G
"$MKFILES" "$mnt" "$nfiles" $((nfiles / 10000 + 10)) 10 50 > /dev/null
# every file a candidate as far as age goes: what selection costs
printf '[space]\nhigh_watermark = 1%%\nlow_watermark = 0.5%%\nmin_age = 0\n' \
	> "$tmp/conf"
rs="" ps=""
raw_run() {
	cold
	r=$("$RAW" -j "$jobs" "$mnt" | awk '{ print $4 }')
}
policy_run() {
	cold
	p=$("$HSM" policy --config "$tmp/conf" --dry-run --json -j "$jobs" "$mnt" |
		python3 -c 'import json, sys
s = json.load(sys.stdin)["summary"]
print("%.3f %d" % (s["seconds"], s["inodes_examined"]))')
}
# this VM's disk has slow and fast spells: each goes first in turn
for i in $(seq "$runs"); do
	if [ $((i % 2)) = 1 ]; then
		raw_run
		policy_run
	else
		policy_run
		raw_run
	fi
	echo "  round $i: raw bulkstat $r s, policy --dry-run ${p% *} s (${p#* } inodes)"
	rs="$rs $r"
	ps="$ps ${p% *}"
done
r=$(echo $rs | tr ' ' '\n' | median)
p=$(echo $ps | tr ' ' '\n' | median)
echo "  raw bulkstat $r s, selection $p s: selection/raw $(awk -v a="$r" -v b="$p" 'BEGIN { printf "%.2f", a / b }')x"

echo "== the moves: $nmoves files of $kib KiB, 30 days old, above the high mark"
# a filesystem just big enough that the files put it above 50 %
size=$(( (nmoves * kib / 1024) * 2 + 400 ))M
make_moves() {
	fresh "$size"
	mkdir "$mnt/d"
	for i in $(seq "$nmoves"); do
		head -c $((kib * 1024)) /dev/urandom > "$mnt/d/f$i"
	done
	touch -a -m -d "30 days ago" "$mnt"/d/f*
	sync
}
printf '[space]\nhigh_watermark = 10%%\nlow_watermark = 1%%\nmin_age = 1d\n' \
	> "$tmp/conf"
make_moves
cold
t0=$(now)
"$HSM" policy --config "$tmp/conf" --json "$mnt" > "$tmp/run.json"
sync
t1=$(now)
python3 -c 'import json, sys
s = json.load(open(sys.argv[1]))["summary"]
print("  policy run: migrated and released %d files, released %d, failed %d, in use %d" %
      (s["migrate_files"], s["release_files"], s["failed"], s["in_use"]))' "$tmp/run.json"
tp=$(secs "$t0" "$t1")
make_moves
cold
t0=$(now)
"$HSM" migrate -j "$jobs" "$mnt"/d/f* > /dev/null 2>&1
sync
t1=$(now)
th=$(secs "$t0" "$t1")
echo "  policy run $tp s, the same files migrated by hand $th s: policy/hand $(awk -v a="$th" -v b="$tp" 'BEGIN { printf "%.2f", a / b }')x"
