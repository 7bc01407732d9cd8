#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# migrate-recall.sh - migrate and recall throughput against cp between the
# same two filesystems, measured in the same run (a benchmark, not a test).
#
# Two loop-mounted XFS filesystems on sparse images: FS (managed) and STORE.
# Each measurement starts with a cold page cache and ends durable (cp is
# followed by sync of the target filesystem; the HSM fsyncs as it goes).
#
#   BENCH_LARGE_MB   size of each of the 8 large files (default 128)
#   BENCH_SMALL_N    number of 64 KiB files (default 2000)
#   HSM_BUILDDIR     build tree holding xfs_hsm/xfs_hsm (default: this tree)
set -eu

here=$(cd "$(dirname "$0")/.." && pwd)
bdir=${HSM_BUILDDIR:-$here}
XFS_HSM=$bdir/xfs_hsm/xfs_hsm
large_mb=${BENCH_LARGE_MB:-128}
small_n=${BENCH_SMALL_N:-2000}

if [ "$(id -u)" != 0 ]; then
	echo "migrate-recall: needs root (loop devices, mount)" >&2
	exit 77
fi
[ -x "$XFS_HSM" ] || { echo "migrate-recall: build first: $XFS_HSM" >&2; exit 1; }

tmp=$(mktemp -d /tmp/xfs-hsm-bench.XXXXXX)
cleanup() {
	for m in "$tmp/fs" "$tmp/store"; do
		mountpoint -q "$m" && umount "$m"
	done
	rm -rf "$tmp"
}
trap cleanup EXIT HUP INT QUIT TERM

mkfs_mount() {	# image size, mount point
	truncate -s "$2" "$tmp/$1.img"
	mkfs.xfs -q -f "$tmp/$1.img"
	mkdir -p "$tmp/$1"
	mount -o loop "$tmp/$1.img" "$tmp/$1"
}

cold() {
	sync
	echo 3 > /proc/sys/vm/drop_caches
}

# seconds taken by "$@"
timed() {
	local t0 t1
	t0=$(date +%s.%N)
	"$@"
	t1=$(date +%s.%N)
	echo "$t1 - $t0" | bc -l
}

rate() {	# bytes seconds -> MiB/s
	echo "scale=1; $1 / 1048576 / $2" | bc -l
}

ratio() {
	echo "scale=2; $1 / $2" | bc -l
}

mkfs_mount fs 8G
mkfs_mount store 8G
mkdir -p "$tmp/store/hsm" "$tmp/store/cp" "$tmp/fs/large" "$tmp/fs/small"
"$XFS_HSM" init --store "posix:$tmp/store/hsm" "$tmp/fs" >/dev/null

echo "== data set: 8 x $large_mb MiB random, $small_n x 64 KiB random"
for i in $(seq 1 8); do
	head -c $((large_mb << 20)) /dev/urandom > "$tmp/fs/large/f$i"
done
head -c $((small_n * 65536)) /dev/urandom |
	split -b 65536 -a 5 - "$tmp/fs/small/s"
large_bytes=$((8 * large_mb << 20))
small_bytes=$((small_n * 65536))

report() {	# label bytes hsm_secs cp_secs
	printf '%-28s hsm %8s MiB/s   cp %8s MiB/s   ratio hsm/cp %s\n' \
		"$1" "$(rate "$2" "$3")" "$(rate "$2" "$4")" "$(ratio "$4" "$3")"
}

for set in large small; do
	bytes=$large_bytes
	[ $set = small ] && bytes=$small_bytes

	cold
	t_cp_out=$(timed sh -c "cp -r '$tmp/fs/$set' '$tmp/store/cp/' && sync -f '$tmp/store/cp'")
	cold
	t_mig=$(timed "$XFS_HSM" migrate -r "$tmp/fs/$set" 2>/dev/null)
	report "migrate $set" $bytes "$t_mig" "$t_cp_out"

	cold
	t_rec=$(timed "$XFS_HSM" recall -r "$tmp/fs/$set" 2>/dev/null)
	rm -rf "$tmp/fs/cpback"
	mkdir "$tmp/fs/cpback"
	cold
	t_cp_in=$(timed sh -c "cp -r '$tmp/store/cp/$set' '$tmp/fs/cpback/' && sync -f '$tmp/fs/cpback'")
	report "recall $set" $bytes "$t_rec" "$t_cp_in"
	rm -rf "$tmp/fs/cpback" "$tmp/store/cp/$set"
done

# small files again with 4 workers: fsync latency overlaps (group commit)
cold
t_cp_out=$(timed sh -c "cp -r '$tmp/fs/small' '$tmp/store/cp/' && sync -f '$tmp/store/cp'")
"$XFS_HSM" forget -r "$tmp/fs/small" 2>/dev/null
cold
t_mig=$(timed "$XFS_HSM" migrate -r -j 4 "$tmp/fs/small" 2>/dev/null)
report "migrate small -j 4" $small_bytes "$t_mig" "$t_cp_out"
cold
t_rec=$(timed "$XFS_HSM" recall -r -j 4 "$tmp/fs/small" 2>/dev/null)
mkdir "$tmp/fs/cpback"
cold
t_cp_in=$(timed sh -c "cp -r '$tmp/store/cp/small' '$tmp/fs/cpback/' && sync -f '$tmp/fs/cpback'")
report "recall small -j 4" $small_bytes "$t_rec" "$t_cp_in"
