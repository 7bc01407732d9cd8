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
#   BENCH_RUNS       rounds of each measurement, an even number: half run
#                    the HSM step first, half cp; totals are compared
#                    (default 4: this VM's disk varies run to run)
#   HSM_BUILDDIR     build tree holding xfs_hsm/xfs_hsm (default: this tree)
set -eu

here=$(cd "$(dirname "$0")/.." && pwd)
bdir=${HSM_BUILDDIR:-$here}
. "$here/bench/tools.sh"
XFS_HSM=$(bench_tool xfs_hsm/xfs_hsm)
large_mb=${BENCH_LARGE_MB:-128}
small_n=${BENCH_SMALL_N:-2000}
runs=${BENCH_RUNS:-4}

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
	awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f\n", b - a }'
}

rate() {	# bytes seconds -> MiB/s
	awk -v b="$1" -v s="$2" 'BEGIN { printf "%.1f\n", b / 1048576 / s }'
}

ratio() {
	awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f\n", a / b }'
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
cp -r "$tmp/fs/large" "$tmp/fs/large.twin"
cp -r "$tmp/fs/small" "$tmp/fs/small.twin"
large_bytes=$((8 * large_mb << 20))
small_bytes=$((small_n * 65536))

report() {	# label bytes hsm_secs cp_secs
	printf '%-22s hsm %8s MiB/s   cp %8s MiB/s   ratio hsm/cp %s\n' \
		"$1" "$(rate "$2" "$3")" "$(rate "$2" "$4")" "$(ratio "$4" "$3")"
}

sum() {
	awk '{ t += $1 } END { print t }'
}

# One round for a data set: the four times (cp out, migrate, recall, cp
# back) on one line.  cp reads SET.twin, an identical copy, so that the
# plain migrate (archive + release in one pass) can run before or after
# it.  Odd rounds run the HSM step second, even rounds first: on this VM
# the first large write after a cold sync pays for the host's write-back.
# Objects are forgotten at the end so the next round copies again.
round() {	# set jobs round-number
	local set=$1 jobs=$2 a b c d
	local cp_out="cp -r '$tmp/fs/$set.twin' '$tmp/store/cp/' && sync -f '$tmp/store/cp'"
	local cp_in="cp -r '$tmp/store/cp/$set.twin' '$tmp/fs/cpback/' && sync -f '$tmp/fs/cpback'"

	mkdir -p "$tmp/fs/cpback"
	cold
	if [ $(($3 % 2)) = 1 ]; then
		a=$(timed sh -c "$cp_out")
		cold
		b=$(timed "$XFS_HSM" migrate -r -j "$jobs" "$tmp/fs/$set" 2>/dev/null)
		cold
		c=$(timed "$XFS_HSM" recall -r -j "$jobs" "$tmp/fs/$set" 2>/dev/null)
		cold
		d=$(timed sh -c "$cp_in")
	else
		b=$(timed "$XFS_HSM" migrate -r -j "$jobs" "$tmp/fs/$set" 2>/dev/null)
		cold
		a=$(timed sh -c "$cp_out")
		cold
		d=$(timed sh -c "$cp_in")
		cold
		c=$(timed "$XFS_HSM" recall -r -j "$jobs" "$tmp/fs/$set" 2>/dev/null)
	fi
	"$XFS_HSM" forget -r -j 4 "$tmp/fs/$set" 2>/dev/null
	rm -rf "$tmp/fs/cpback" "$tmp/store/cp/$set.twin"
	echo "$a $b $c $d"
}

measure() {	# label set bytes jobs
	local i res cp_out mig rec cp_in

	res=$(for i in $(seq "$runs"); do round "$2" "$4" "$i"; done)
	echo "$res" | sed "s/^/  $1 round times (cp-out migrate recall cp-in): /" >&2
	cp_out=$(echo "$res" | awk '{ print $1 }' | sum)
	mig=$(echo "$res" | awk '{ print $2 }' | sum)
	rec=$(echo "$res" | awk '{ print $3 }' | sum)
	cp_in=$(echo "$res" | awk '{ print $4 }' | sum)
	report "migrate $1" $(($3 * runs)) "$mig" "$cp_out"
	report "recall $1" $(($3 * runs)) "$rec" "$cp_in"
}

echo "== totals of $runs rounds; every step from a cold cache, durable at its end"
measure "large" large $large_bytes 1
measure "small" small $small_bytes 1
measure "small -j 4" small $small_bytes 4
