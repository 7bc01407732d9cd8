#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# scan.sh - xfs_hsmscan against its ceiling and its alternatives, measured
# in the same run (a benchmark, not a test; `make bench-scan`).
#
# For each size, a loop-mounted XFS with a store bound (xfs_hsm init: the
# binding says "records 2", so the scan may skip inodes whose attribute
# fork is too small for a record) gets N empty files in N/10000
# directories, 1 % with a valid trusted.hsm record and 5 % with an
# unrelated xattr (bench/mkfiles).  Then, cold (sync, drop_caches, unmount,
# mount) and warm (the same command again):
#   raw bulkstat        bench/rawbulkstat: v5 bulkstat per AG, -j threads,
#                       nothing else: the ceiling
#   xfs_hsmscan         the scanner, same -j
#   xfs_hsmscan --quick with the index a previous --quick scan left
#   nftw + lgetxattr    bench/fswalk: the directory walk
#   getfattr -R         the shell's way
# Every contender must find the same files.  A second filesystem of the
# same shape is made with fork-less untagged inodes (mkfiles -F: what
# kernels that give new inodes no attribute fork produce) to show what
# skipping by bs_forkoff buys.  Printed: rates, the ratios, the per-inode
# cost at each size (linearity), and the time 1e9 inodes would take.
#
#   BENCH_SCAN_SIZES     file counts (default "100000 1000000")
#   BENCH_SCAN_JOBS      threads for the scanners (default: CPUs)
#   BENCH_SCAN_FORKLESS  1 (default) to measure the fork-less variant too
#   BENCH_SCAN_RUNS      rounds of each measurement; the median is shown
#                        (default 3: this VM's disk varies run to run)
#   BENCH_SCAN_LOG       file to keep every round's figures in
#   HSM_BUILDDIR         build tree (default: this tree)
set -eu

here=$(cd "$(dirname "$0")/.." && pwd)
bdir=${HSM_BUILDDIR:-$here}
. "$here/bench/tools.sh"
SCAN=$(bench_tool xfs_hsmscan/xfs_hsmscan)
RAW=$bdir/bench/rawbulkstat
WALK=$bdir/bench/fswalk
MKFILES=$bdir/bench/mkfiles
HSM=$(bench_tool xfs_hsm/xfs_hsm)
sizes=${BENCH_SCAN_SIZES:-100000 1000000}
jobs=${BENCH_SCAN_JOBS:-$(nproc)}
forkless=${BENCH_SCAN_FORKLESS:-1}
runs=${BENCH_SCAN_RUNS:-3}

if [ "$(id -u)" != 0 ]; then
	echo "scan: needs root (loop devices, mount, bulkstat)" >&2
	exit 77
fi
for t in "$SCAN" "$RAW" "$WALK" "$MKFILES" "$HSM"; do
	[ -x "$t" ] || { echo "scan: build first (make bench-scan): $t" >&2; exit 1; }
done
command -v getfattr > /dev/null || { echo "scan: getfattr missing" >&2; exit 1; }

tmp=$(mktemp -d /tmp/xfs-hsm-bench-scan.XXXXXX)
mnt=$tmp/fs
cleanup() {
	mountpoint -q "$mnt" && umount "$mnt"
	rm -rf "$tmp"
}
trap cleanup EXIT HUP INT QUIT TERM

# make_fs IMAGE-SIZE NFILES [-F]: a fresh filesystem at $mnt, filled
make_fs() {
	mountpoint -q "$mnt" && umount "$mnt"
	rm -f "$tmp/fs.img" "$tmp/state"/* 2> /dev/null || true
	truncate -s "$1" "$tmp/fs.img"
	mkfs.xfs -q -f "$tmp/fs.img"
	mkdir -p "$mnt" "$tmp/state"
	mount -o loop "$tmp/fs.img" "$mnt"
	rm -rf "$tmp/store"
	mkdir -p "$tmp/store"
	"$HSM" init --store "posix:$tmp/store" "$mnt" > /dev/null
	local dirs=$(($2 / 10000))
	[ $dirs -lt 10 ] && dirs=10
	"$MKFILES" ${3:-} "$mnt" "$2" $dirs 10 50 | awk '{ print $2 }'
	sync
}

cold() {
	sync
	echo 3 > /proc/sys/vm/drop_caches
	umount "$mnt"
	mount -o loop "$tmp/fs.img" "$mnt"
}

now() { date +%s.%N; }

# Each contender prints "inodes found seconds" (found "-": not counted).
c_raw() {
	"$RAW" -j "$jobs" "$mnt" | awk '{ print $2, "-", $4 }'
}

# (the JSON is read after the scan: a python starting beside it would
# take CPU from it)
c_scan() {
	"$SCAN" -j "$jobs" --json "$@" "$mnt" > "$tmp/scan.json" 2> /dev/null ||
		true
	python3 -c '
import json, sys
s = json.load(open(sys.argv[1]))["summary"]
print(s["inodes_scanned"], s["archived"] + s["released"] + s["partial"] +
      s["resident_with_record"], "%.3f" % s["seconds"])
print("  records read %d, skipped by fork size %d" % (s["records_read"],
      s["skipped_by_fork_size"]), file=sys.stderr)' "$tmp/scan.json" \
		2>> "$tmp/log"
}

c_quick() {
	c_scan --quick --state-dir "$tmp/state"
}

c_walk() {
	"$WALK" "$mnt" | awk '{ print $2, $4, $6 }'
}

c_getfattr() {
	local t0 n
	t0=$(now)
	n=$(getfattr -R -P --absolute-names -n trusted.hsm -e hex "$mnt" \
		2> /dev/null | grep -c '^trusted.hsm=' || true)
	echo "- $n $(awk -v a="$t0" -v b="$(now)" 'BEGIN { printf "%.3f", b - a }')"
}

# median of the numbers on stdin
median() {
	sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'
}

# measure NAME FUNC: $runs times cold then warm; appends
# "name|inodes found cold_median|inodes found warm_median" to $tmp/res
measure() {
	local name=$1 fn=$2 i c w cs="" ws=""
	for i in $(seq "$runs"); do
		cold
		c=$($fn)
		w=$($fn)
		cs="$cs ${c##* }"
		ws="$ws ${w##* }"
		echo "  $name round $i: cold $c, warm $w" >> "$tmp/log"
	done
	echo "$name|${c% *} $(echo $cs | tr ' ' '\n' | median)|${w% *} $(echo $ws | tr ' ' '\n' | median)" >> "$tmp/res"
}

# report TAGGED INODES: the table and ratios of $tmp/res
report() {
	awk -F'|' -v tagged="$1" -v n="$2" '
	function rate(s) { return s > 0 ? n / s : 0 }
	{
		split($2, c, " "); split($3, w, " ")
		name[NR] = $1; cs[$1] = c[3]; ws[$1] = w[3]
		f = c[2] == "-" ? "-" : c[2]
		if (f != "-" && (f != tagged || w[2] != tagged)) bad = bad " " $1
		printf("  %-22s cold %8.2f s %9.0f/s   warm %8.2f s %9.0f/s   found %s\n",
		       $1, c[3], rate(c[3]), w[3], rate(w[3]), f)
	}
	END {
		r = "raw bulkstat"; s = "xfs_hsmscan"; q = "xfs_hsmscan --quick"
		wk = "nftw + lgetxattr"; g = "getfattr -R"
		printf("  cold: scan/raw %.2f  quick/raw %.2f  scan vs nftw %.2fx  scan vs getfattr %.2fx\n",
		       cs[r] / cs[s], cs[r] / cs[q], cs[wk] / cs[s], cs[g] / cs[s])
		printf("  warm: scan/raw %.2f  quick/raw %.2f  scan vs nftw %.2fx  scan vs getfattr %.2fx\n",
		       ws[r] / ws[s], ws[r] / ws[q], ws[wk] / ws[s], ws[g] / ws[s])
		if (bad) printf("  MISMATCH: not all found %d files:%s\n", tagged, bad)
		else printf("  all found the same %d files\n", tagged)
	}' "$tmp/res"
}

summary=$tmp/summary
: > "$summary"
: > "$tmp/log"
for n in $sizes; do
	size=2G
	[ "$n" -gt 200000 ] && size=8G
	echo "== $n files, 1% tagged, 5% other xattrs, -j $jobs, median of $runs"
	t0=$(now)
	tagged=$(make_fs $size "$n")
	echo "  made in $(awk -v a="$t0" -v b="$(now)" 'BEGIN { printf "%.0f", b - a }') s"
	: > "$tmp/res"
	measure "raw bulkstat" c_raw
	inodes=$(head -n 1 "$tmp/res" | cut -d'|' -f2 | cut -d' ' -f1)
	measure "xfs_hsmscan" c_scan
	# the index: its epoch must be past the files' ctime (2 s margin)
	sleep 3
	c_quick > /dev/null
	measure "xfs_hsmscan --quick" c_quick
	measure "nftw + lgetxattr" c_walk
	measure "getfattr -R" c_getfattr
	report "$tagged" "$inodes"
	sed "s/^/$n|/" "$tmp/res" >> "$summary"
	if [ "$forkless" = 1 ]; then
		echo "-- the same, untagged inodes without an attribute fork"
		tagged=$(make_fs $size "$n" -F)
		: > "$tmp/res"
		measure "raw bulkstat" c_raw
		measure "xfs_hsmscan" c_scan
		awk -F'|' '{ split($2, c, " "); split($3, w, " "); s[NR] = c[3]; t[NR] = w[3]; f[NR] = c[2] }
		END { printf("  cold: raw %.2f s, scan %.2f s: scan/raw %.2f; warm: scan/raw %.2f; found %s\n",
			     s[1], s[2], s[1] / s[2], t[1] / t[2], f[2]) }' "$tmp/res"
		sed "s/^/$n forkless|/" "$tmp/res" >> "$summary"
	fi
done

echo "== cost per inode (cold, microseconds) at each size: linear if flat"
awk -F'|' '$1 !~ /forkless/ { split($3, c, " "); if (c[1] != "-") ino[$1] = c[1]
	us[$2, $1] = c[3]; names[$2] = 1; szs[$1] = 1 }
	END { for (nm in names) { line = sprintf("  %-22s", nm)
		for (s in szs) if ((nm, s) in us) line = line sprintf(" %s: %.2f", s, us[nm, s] * 1e6 / ino[s])
		print line } }' "$summary" | sort

echo "== 1e9 inodes at the cold rates of the largest size"
last=$(echo $sizes | awk '{ print $NF }')
awk -F'|' -v s="$last" '$1 == s { split($3, c, " "); if (c[1] != "-") n = c[1]; t[$2] = c[3] }
	END { for (k in t) { h = 1e9 / n * t[k] / 3600
		printf("  %-22s %6.1f h\n", k, h) } }' "$summary" | sort

if [ -n "${BENCH_SCAN_LOG:-}" ]; then
	cp "$tmp/log" "$BENCH_SCAN_LOG"
fi
