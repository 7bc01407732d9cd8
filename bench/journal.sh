#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# journal.sh - what the change journal costs and what it buys (a
# benchmark, not a test; `make bench-journal`).
#
# Overhead: a write-heavy workload on a loop-mounted XFS with xfs_hsmd
# running, with its journal and without it (--no-journal), alternately,
# on a fresh filesystem each round: untar a source tree (/usr/include by
# default), checkpoint, then small appends spread over every directory
# (BENCH_J_APPENDS appends of 64 bytes, open/append/close, spread evenly
# over the files, cycling when there are fewer files), each phase
# ending with sync -f.  Printed: the median times, the ratio journal /
# none (1.00: free), and the journal's bytes, flushes and directories per
# epoch.
#
# Lookup: BENCH_J_INODES empty files in 1000 directories (bench/mkfiles),
# the daemon running; checkpoint, change one file in each of 100
# directories, then, cold (caches dropped): `xfs_hsm changes --since N`
# (the journal) against `xfs_hsmscan --changed-since` (a full bulkstat
# ctime scan) and the journal's own fallback (the daemon stopped: a
# bulkstat scan and a directory-only walk).  Every answer must hold the
# 100 directories.
#
#   BENCH_J_SRC       the tree to untar (default /usr/include)
#   BENCH_J_APPENDS   appends (default 20000)
#   BENCH_J_RUNS      rounds of each overhead measurement; the median
#                     is shown (default 7: this VM's disk varies)
#   BENCH_J_INODES    files for the lookup part (default 1000000)
#   BENCH_J_PARTS     "overhead lookup" (default both)
#   HSM_BUILDDIR      build tree (default: this tree)
set -eu

here=$(cd "$(dirname "$0")/.." && pwd)
bdir=${HSM_BUILDDIR:-$here}
. "$here/bench/tools.sh"
HSM=$(bench_tool xfs_hsm/xfs_hsm)
HSMD=$(bench_tool xfs_hsm/xfs_hsmd)
SCAN=$(bench_tool xfs_hsmscan/xfs_hsmscan)
MKFILES=$bdir/bench/mkfiles
src=${BENCH_J_SRC:-/usr/include}
appends=${BENCH_J_APPENDS:-20000}
runs=${BENCH_J_RUNS:-7}
inodes=${BENCH_J_INODES:-1000000}
parts=${BENCH_J_PARTS:-overhead lookup}

if [ "$(id -u)" != 0 ]; then
	echo "journal: needs root (loop devices, mount, fanotify)" >&2
	exit 77
fi
for t in "$HSM" "$HSMD" "$SCAN" "$MKFILES"; do
	[ -x "$t" ] || { echo "journal: build first (make bench-journal): $t" >&2; exit 1; }
done

tmp=$(mktemp -d /tmp/xfs-hsm-bench-journal.XXXXXX)
mnt=$tmp/fs
hsmd=
export XFS_HSM_STATEDIR=$tmp/state
cleanup() {
	[ -n "$hsmd" ] && kill "$hsmd" 2> /dev/null && wait "$hsmd" 2> /dev/null
	mountpoint -q "$mnt" && umount "$mnt"
	rm -rf "$tmp"
}
trap cleanup EXIT HUP INT QUIT TERM

newfs() {	# size
	mountpoint -q "$mnt" && umount "$mnt"
	rm -f "$tmp/fs.img"
	truncate -s "$1" "$tmp/fs.img"
	mkfs.xfs -q -f "$tmp/fs.img"
	mkdir -p "$mnt"
	mount -o loop "$tmp/fs.img" "$mnt"
}

start_daemon() {	# options
	"$HSMD" -f "$@" "$mnt" 2>> "$tmp/hsmd.log" &
	hsmd=$!
	for _ in $(seq 100); do
		"$HSM" stats "$mnt" > /dev/null 2>&1 && return 0
		sleep 0.1
	done
	echo "journal: xfs_hsmd did not start" >&2
	exit 1
}

stop_daemon() {
	kill "$hsmd"
	wait "$hsmd" 2> /dev/null || true
	hsmd=
}

now() { date +%s.%N; }
median() { sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

# appends: 64 bytes to $appends files, spread over every directory
append_all() {
	python3 - "$mnt/src" "$appends" <<'PY'
import os, sys
files = []
for d, _, fs in os.walk(sys.argv[1]):
    files += [os.path.join(d, f) for f in fs
              if not os.path.islink(os.path.join(d, f))]
n = int(sys.argv[2])
step = max(1, len(files) // n)
for p in (files[(i * step) % len(files)] for i in range(n)):
    with open(p, "ab") as f:
        f.write(b"x" * 64)
PY
}

overhead() {
	local mode r t0 t1 t2
	tar cf "$tmp/src.tar" -C "$(dirname "$src")" "$(basename "$src")"
	echo "== overhead: untar $(du -sh "$src" | cut -f1) ($(find "$src" -type f | wc -l) files, $(find "$src" -type d | wc -l) directories), then $appends appends"
	: > "$tmp/times"
	for r in $(seq "$runs"); do
		for mode in journal none; do
			newfs 4g
			if [ $mode = none ]; then start_daemon --no-journal; else start_daemon; fi
			mkdir "$mnt/src"
			sync; echo 3 > /proc/sys/vm/drop_caches
			t0=$(now)
			tar xf "$tmp/src.tar" -C "$mnt/src"
			sync -f "$mnt"
			t1=$(now)
			[ $mode = journal ] && "$HSM" changes --checkpoint "$mnt" > /dev/null
			t1b=$(now)
			append_all
			sync -f "$mnt"
			t2=$(now)
			echo "$mode untar $(echo "$t1 - $t0" | bc)" >> "$tmp/times"
			echo "$mode append $(echo "$t2 - $t1b" | bc)" >> "$tmp/times"
			if [ $mode = journal ]; then
				"$HSM" changes --json --since 1 "$mnt" > "$tmp/epochs.json"
			fi
			stop_daemon
		done
	done
	for phase in untar append; do
		j=$(awk -v p=$phase '$1 == "journal" && $2 == p { print $3 }' "$tmp/times" | median)
		n=$(awk -v p=$phase '$1 == "none" && $2 == p { print $3 }' "$tmp/times" | median)
		printf "%-7s none %7.2f s   journal %7.2f s   journal/none %.3f\n" \
			$phase "$n" "$j" "$(echo "$j / $n" | bc -l)"
	done
	python3 - "$tmp/epochs.json" <<'PY'
import json, sys
j = json.load(open(sys.argv[1]))
names = {1: "untar", 2: "appends"}
for e in j["epochs"]:
    if e["epoch"] in names:
        print("epoch %d (%s): %d directories, %d bytes, %d flushes, %s"
              % (e["epoch"], names[e["epoch"]], e["directories"],
                 e["bytes"], e["flushes"],
                 "vouched" if e["vouched"] else "NOT vouched"))
PY
}

lookup() {
	local n t0 t1 since e
	echo "== lookup: $inodes inodes, 100 changed directories"
	newfs 8g
	"$MKFILES" "$mnt" "$inodes" 1000 1 1 > /dev/null
	start_daemon
	e=$("$HSM" changes --checkpoint --json "$mnt" |
	    python3 -c 'import json,sys; print(json.load(sys.stdin)["current"])')
	sleep 1.1
	since=$(date +%s)
	ls -d "$mnt"/*/ | head -1000 | awk 'NR % 10 == 0' > "$tmp/dirs"
	while read -r d; do echo x > "$d/changed"; done < "$tmp/dirs"
	sync -f "$mnt"
	check() {	# json-file label
		python3 - "$1" "$tmp/dirs" "$2" <<'PY'
import json, sys
j = json.load(open(sys.argv[1]))
want = {d.rstrip("/") for d in open(sys.argv[2]).read().split()}
have = {d["path"] for d in j["directories"]}
print("  %-28s %s, holds all 100: %s" % (sys.argv[3], j["source"], want <= have))
PY
	}
	sync; echo 3 > /proc/sys/vm/drop_caches
	t0=$(now)
	"$HSM" changes --json --since "$e" "$mnt" > "$tmp/j.json"
	t1=$(now)
	tj=$(echo "$t1 - $t0" | bc)
	check "$tmp/j.json" "journal"
	sync; echo 3 > /proc/sys/vm/drop_caches
	t0=$(now)
	n=$("$SCAN" --changed-since "@$since" "$mnt" 2> /dev/null | wc -l)
	t1=$(now)
	ts=$(echo "$t1 - $t0" | bc)
	echo "  xfs_hsmscan --changed-since  $n inodes (no directories: it names no paths without --paths)"
	stop_daemon
	sync; echo 3 > /proc/sys/vm/drop_caches
	t0=$(now)
	"$HSM" changes --json --since "$e" "$mnt" > "$tmp/f.json" 2> /dev/null
	t1=$(now)
	tf=$(echo "$t1 - $t0" | bc)
	check "$tmp/f.json" "no daemon (fallback)"
	printf "journal %.3f s   bulkstat scan %.3f s   fallback (scan + walk) %.3f s\n" "$tj" "$ts" "$tf"
	printf "scan / journal %.0fx   fallback / journal %.0fx\n" \
		"$(echo "$ts / $tj" | bc -l)" "$(echo "$tf / $tj" | bc -l)"
}

for p in $parts; do
	$p
done
