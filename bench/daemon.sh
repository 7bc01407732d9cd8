#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# daemon.sh - what xfs_hsmd costs and how fast it brings data back, as
# ratios against baselines measured in the same run (a benchmark, not a
# test).  Two loop-mounted XFS filesystems on sparse images: FS (managed)
# and STORE (the store: another "disk").
#
#  1. resident files: open, read 4 KiB, close, N times, without and with
#     the daemon (after the first event, an ignore mark silences the file);
#  2. a sequential read of a released file (whole mode, and range mode
#     with readahead) against cp of its store object to FS, from a cold
#     cache; cp alone, and cp followed by fsync (the recall is durable);
#     with STORE as fast as the page cache, then limited to the rates of
#     real secondary storage (BENCH_STORE_RATES);
#  3. time to the first byte of a 4 KiB read at a random offset of a
#     released file, in range mode (whole mode recalls all of it first);
#  4. 32 readers of 32 released files at once against 32 parallel cps;
#  5. 100 readers of one released file: chunks read from the store.
#
#   BENCH_OPENS      open/read/close rounds (default 100000)
#   BENCH_BIG_MB     size of the sequential file (default 1024)
#   BENCH_MANY_MB    size of each of the 32 files (default 32)
#   BENCH_RUNS       rounds of 2. and 4., alternating which goes first
#                    (default 2)
#   BENCH_PARTS      which of the parts to run (default "1 2 3 4 5")
#   BENCH_STORE_RATES  2. again with reads of STORE limited to each of
#                    these MiB/s (default "400 1024"; "" for none)
#   HSM_BUILDDIR     build tree (default: this tree)
set -eu

here=$(cd "$(dirname "$0")/.." && pwd)
bdir=${HSM_BUILDDIR:-$here}
. "$here/bench/tools.sh"
XFS_HSM=$(bench_tool xfs_hsm/xfs_hsm)
XFS_HSMD=$(bench_tool xfs_hsm/xfs_hsmd)
OPENREAD=$bdir/bench/openread
opens=${BENCH_OPENS:-100000}
big_mb=${BENCH_BIG_MB:-1024}
many_mb=${BENCH_MANY_MB:-32}
runs=${BENCH_RUNS:-2}
store_rates=${BENCH_STORE_RATES-400 1024}
parts=" ${BENCH_PARTS:-1 2 3 4 5} "
want() { case "$parts" in *" $1 "*) return 0 ;; esac; return 1; }

if [ "$(id -u)" != 0 ]; then
	echo "daemon: needs root (loop devices, mount, fanotify)" >&2
	exit 77
fi
for b in "$XFS_HSM" "$XFS_HSMD" "$OPENREAD"; do
	[ -x "$b" ] || { echo "daemon: build first: $b" >&2; exit 1; }
done

tmp=$(mktemp -d /tmp/xfs-hsm-bench.XXXXXX)
HSMD=
stop_daemon() {
	[ -n "$HSMD" ] || return 0
	kill -TERM "$HSMD" 2>/dev/null || true
	wait "$HSMD" 2>/dev/null || true
	HSMD=
}
# store_rate MiB/s: from here on, reads of STORE by this shell and what
# it starts (cp, xfs_hsmd) are limited to that rate, as a store of disks,
# tape or a network would be (0: no limit).  cgroup v2 io.max or v1 blkio.
cg=
store_rate() {
	local dev mm
	dev=$(findmnt -n -o SOURCE "$tmp/store")
	mm=$(lsblk -n -d -o MAJ:MIN "$dev" | tr -d ' ')
	if [ -z "$cg" ]; then
		if [ -w /sys/fs/cgroup/cgroup.subtree_control ] &&
		   grep -qw io /sys/fs/cgroup/cgroup.controllers; then
			cg=/sys/fs/cgroup/xfs-hsm-bench.$$
			echo +io > /sys/fs/cgroup/cgroup.subtree_control
		elif [ -d /sys/fs/cgroup/blkio ]; then
			cg=/sys/fs/cgroup/blkio/xfs-hsm-bench.$$
		else
			return 1
		fi
		mkdir -p "$cg"
		echo $$ > "$cg/cgroup.procs"
	fi
	if [ -e "$cg/io.max" ]; then
		[ "$1" = 0 ] && echo "$mm rbps=max" > "$cg/io.max" ||
			echo "$mm rbps=$(( $1 << 20 ))" > "$cg/io.max"
	else
		echo "$mm $(( $1 << 20 ))" > "$cg/blkio.throttle.read_bps_device"
	fi
}
store_unlimit() {
	[ -n "$cg" ] || return 0
	store_rate 0 || true
	echo $$ > "$(dirname "$cg")/cgroup.procs"
	rmdir "$cg" 2>/dev/null || true
	cg=
}

cleanup() {
	stop_daemon
	store_unlimit
	for m in "$tmp/fs" "$tmp/store"; do
		mountpoint -q "$m" && umount "$m"
	done
	rm -rf "$tmp"
}
trap cleanup EXIT HUP INT QUIT TERM

mkfs_mount() {	# name size
	truncate -s "$2" "$tmp/$1.img"
	mkfs.xfs -q -f "$tmp/$1.img"
	mkdir -p "$tmp/$1"
	mount -o loop "$tmp/$1.img" "$tmp/$1"
}

cold() {
	sync
	echo 3 > /proc/sys/vm/drop_caches
}

timed() {	# seconds taken by "$@"
	local t0 t1
	t0=$(date +%s.%N)
	"$@"
	t1=$(date +%s.%N)
	awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f\n", b - a }'
}

rate() { awk -v b="$1" -v s="$2" 'BEGIN { printf "%.1f", b / 1048576 / s }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
sum() { awk '{ t += $1 } END { print t }'; }

start_daemon() {	# options...
	"$XFS_HSMD" -f "$@" "$tmp/fs" >> "$tmp/hsmd.log" 2>&1 &
	HSMD=$!
	for _ in $(seq 100); do
		"$XFS_HSM" stats "$tmp/fs" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	echo "daemon: xfs_hsmd did not start" >&2
	cat "$tmp/hsmd.log" >&2
	exit 1
}

stat_of() {	# counter
	"$XFS_HSM" stats --json "$tmp/fs" | python3 -c '
import json, sys
print(json.load(sys.stdin)[sys.argv[1]])' "$1"
}

object_of() {	# file -> its store object
	local o
	o=$("$XFS_HSM" status --json "$1" 2>/dev/null | python3 -c '
import json, sys
print(json.load(sys.stdin)["files"][0]["object"])')
	echo "$tmp/store/hsm/objects/${o:0:2}/$o"
}

mkfs_mount fs 8G
mkfs_mount store 8G
mkdir -p "$tmp/store/hsm"
"$XFS_HSM" init --store "posix:$tmp/store/hsm" "$tmp/fs" >/dev/null

if want 1; then
echo "== 1. resident files: $opens x open + read 4 KiB + close"
head -c 4096 /dev/urandom > "$tmp/fs/small"
base=0; with=0
for r in 1 2 3; do
	b=$("$OPENREAD" "$tmp/fs/small" "$opens")
	start_daemon
	"$OPENREAD" "$tmp/fs/small" 1 >/dev/null	# the one event
	w=$("$OPENREAD" "$tmp/fs/small" "$opens")
	stop_daemon
	echo "  round $r: without ${b}s, with ${w}s" >&2
	base=$(awk -v a="$base" -v b="$b" 'BEGIN { print a + b }')
	with=$(awk -v a="$with" -v b="$w" 'BEGIN { print a + b }')
done
printf '%-44s %s (goal <= 1.2)\n' "with daemon / without" "$(ratio "$with" "$base")"

fi
# 3. reads the file of 2., 5. one of the files of 4.
if want 3 && ! want 2; then parts="$parts 2 "; fi
if want 5 && ! want 4; then parts="$parts 4 "; fi

# seq_read LABEL: 2. in both modes, at the store's current speed
seq_read() {
	local mode r a c h tc tcs th
	for mode in whole range; do
		start_daemon --mode "$mode"
		tc=0; tcs=0; th=0
		for r in $(seq "$runs"); do
			"$XFS_HSM" release "$tmp/fs/big" 2>/dev/null
			rm -f "$tmp/fs/cp.out"
			cold
			if [ $((r % 2)) = 1 ]; then
				a=$(timed cp "$obj" "$tmp/fs/cp.out")
				rm -f "$tmp/fs/cp.out"; cold
				c=$(timed sh -c "cp '$obj' '$tmp/fs/cp.out' && sync -f '$tmp/fs/cp.out'")
				cold
				h=$(timed sh -c "cat '$tmp/fs/big' > /dev/null")
			else
				h=$(timed sh -c "cat '$tmp/fs/big' > /dev/null")
				cold
				a=$(timed cp "$obj" "$tmp/fs/cp.out")
				rm -f "$tmp/fs/cp.out"; cold
				c=$(timed sh -c "cp '$obj' '$tmp/fs/cp.out' && sync -f '$tmp/fs/cp.out'")
			fi
			echo "  $1, $mode round $r: cp ${a}s, cp+fsync ${c}s, read ${h}s" >&2
			tc=$(awk -v x="$tc" -v y="$a" 'BEGIN { print x + y }')
			tcs=$(awk -v x="$tcs" -v y="$c" 'BEGIN { print x + y }')
			th=$(awk -v x="$th" -v y="$h" 'BEGIN { print x + y }')
		done
		rm -f "$tmp/fs/cp.out"
		stop_daemon
		printf '%-44s %s MiB/s; cp %s, cp+fsync %s; ratio %s / %s (goal >= 0.9)\n' \
			"read, $mode mode, $1" "$(rate $((bytes * runs)) "$th")" \
			"$(rate $((bytes * runs)) "$tc")" "$(rate $((bytes * runs)) "$tcs")" \
			"$(ratio "$tc" "$th")" "$(ratio "$tcs" "$th")"
	done
}

if want 2; then
echo "== 2. sequential read of a released $big_mb MiB file, cold"
head -c $((big_mb << 20)) /dev/urandom > "$tmp/fs/big"
"$XFS_HSM" migrate "$tmp/fs/big" 2>/dev/null
obj=$(object_of "$tmp/fs/big")
bytes=$((big_mb << 20))
seq_read "store unlimited"
for mbps in $store_rates; do
	if ! store_rate "$mbps"; then
		echo "  no cgroup io controller: store rates not measured" >&2
		break
	fi
	seq_read "store at $mbps MiB/s"
done
store_unlimit

fi
if want 3; then
echo "== 3. first byte of a 4 KiB read at a random offset, range mode"
start_daemon --mode range
lat=$(for r in 1 2 3 4 5; do
	"$XFS_HSM" release "$tmp/fs/big" 2>/dev/null
	cold
	python3 - "$tmp/fs/big" "$big_mb" <<'PY'
import os, random, sys, time
fd = os.open(sys.argv[1], os.O_RDONLY)
off = random.randrange(int(sys.argv[2]) << 8) << 12
t = time.perf_counter()
os.pread(fd, 4096, off)
print("%.1f" % ((time.perf_counter() - t) * 1000))
PY
done | sort -n)
echo "  latencies (ms): $(echo $lat)" >&2
printf '%-44s %s ms (median of 5)\n' "first byte, range mode" "$(echo "$lat" | sed -n 3p)"
stop_daemon
start_daemon --mode whole
"$XFS_HSM" release "$tmp/fs/big" 2>/dev/null
cold
w=$(timed dd if="$tmp/fs/big" of=/dev/null bs=4k count=1 skip=1000 status=none)
printf '%-44s %s ms (the whole file first)\n' "first byte, whole mode" \
	"$(awk -v s="$w" 'BEGIN { printf "%.0f", s * 1000 }')"
stop_daemon

fi
if want 4; then
echo "== 4. 32 readers of 32 released $many_mb MiB files, cold"
mkdir -p "$tmp/fs/many"
for i in $(seq 32); do
	head -c $((many_mb << 20)) /dev/urandom > "$tmp/fs/many/f$i"
done
"$XFS_HSM" migrate -r "$tmp/fs/many" 2>/dev/null
for i in $(seq 32); do object_of "$tmp/fs/many/f$i"; done > "$tmp/objs"
start_daemon
th=0; tc=0
for r in $(seq "$runs"); do
	"$XFS_HSM" release -r "$tmp/fs/many" 2>/dev/null
	rm -rf "$tmp/fs/cps"; mkdir -p "$tmp/fs/cps"
	cold
	readers="for i in \$(seq 32); do cat $tmp/fs/many/f\$i > /dev/null & done; wait"
	cps="n=0; while read o; do n=\$((n+1)); cp \$o $tmp/fs/cps/c\$n & done < $tmp/objs; wait"
	if [ $((r % 2)) = 1 ]; then
		h=$(timed bash -c "$readers"); cold; c=$(timed bash -c "$cps")
	else
		c=$(timed bash -c "$cps"); rm -rf "$tmp/fs/cps"; mkdir -p "$tmp/fs/cps"
		cold; h=$(timed bash -c "$readers")
	fi
	echo "  round $r: 32 readers ${h}s, 32 cps ${c}s" >&2
	th=$(awk -v x="$th" -v y="$h" 'BEGIN { print x + y }')
	tc=$(awk -v x="$tc" -v y="$c" 'BEGIN { print x + y }')
done
rm -rf "$tmp/fs/cps"
bytes=$((32 * many_mb << 20))
printf '%-44s %s MiB/s; 32 cps %s MiB/s; ratio %s\n' "32 readers, aggregate" \
	"$(rate $((bytes * runs)) "$th")" "$(rate $((bytes * runs)) "$tc")" \
	"$(ratio "$tc" "$th")"

fi
if want 5; then
echo "== 5. 100 readers of one released $many_mb MiB file"
"$XFS_HSM" release "$tmp/fs/many/f1" 2>/dev/null
c0=$(stat_of chunks); d0=$(stat_of chunks_dedup)
cold
for i in $(seq 100); do cat "$tmp/fs/many/f1" > /dev/null & done
wait $(jobs -p | grep -v "^$HSMD\$") 2>/dev/null || true
printf '%-44s %s for %s chunks of data (%s waits deduplicated)\n' \
	"store reads" "$(( $(stat_of chunks) - c0 ))" "$many_mb" \
	"$(( $(stat_of chunks_dedup) - d0 ))"
echo "  daemon RSS: $(ps -o rss= -p "$(pgrep -P "$HSMD" | head -1)") KiB" >&2
stop_daemon
fi
