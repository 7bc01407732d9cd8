#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# bulk.sh - many small files and a few large ones: migrate, recall and
# release in batches, against cp between the same two filesystems in the
# same run (a benchmark, not a test).
#
# Two loop-mounted XFS filesystems on sparse images: FS (managed) and
# STORE.  Every step starts from a cold page cache and ends durable: cp is
# followed by sync -f of its target; the HSM's commands return once their
# batches are durable.  Ratios are cp's time over the HSM's (above 1: the
# HSM is faster).  Rates are extrapolated to 10^9 files.
#
#   BENCH_SMALL_N    files of 64 KiB (default 10000)
#   BENCH_TINY_N     files of 4 KiB (default 100000)
#   BENCH_LARGE_MB   size of each of the 8 large files (default 128)
#   BENCH_LARGE_ROUNDS  rounds of the large files (default 9): this VM's
#                    disk moves 1 GiB in 1.1 to 2.9 s from one run to the
#                    next, so each round pairs the HSM with cp, and the
#                    median of the rounds' ratios is shown
#   BENCH_SMALL_ROUNDS  rounds of the 64 KiB and 4 KiB sets (default 3):
#                    cp of the 4 KiB set took 11.5 to 17.6 s from one
#                    round to the next, so these are paired rounds too
#   BENCH_IMAGE_SIZE size of each of the two filesystems' images (default
#                    6G; the defaults above use some 4 GiB of each).  They
#                    are written whole before mkfs: the first write of a
#                    block of a sparse image costs the host an allocation
#                    (a round's first 1 GiB took 5 s, the next 1.3 s), and
#                    XFS puts each round's new files in other places, so
#                    on sparse images whichever side wrote fresh blocks
#                    lost, by up to 4x
#   BENCH_PARTS      which parts to run (default "small tiny large daemon
#                    tar")
#   HSM_BUILDDIR     build tree holding the tools (default: this tree)
set -eu

here=$(cd "$(dirname "$0")/.." && pwd)
bdir=${HSM_BUILDDIR:-$here}
. "$here/bench/tools.sh"
XFS_HSM=$(bench_tool xfs_hsm/xfs_hsm)
XFS_HSMD=$(bench_tool xfs_hsm/xfs_hsmd)
small_n=${BENCH_SMALL_N:-10000}
small_rounds=${BENCH_SMALL_ROUNDS:-3}
tiny_n=${BENCH_TINY_N:-100000}
large_mb=${BENCH_LARGE_MB:-128}
large_rounds=${BENCH_LARGE_ROUNDS:-9}
image_size=${BENCH_IMAGE_SIZE:-6G}
parts=${BENCH_PARTS:-"small tiny large daemon tar"}

if [ "$(id -u)" != 0 ]; then
	echo "bulk: needs root (loop devices, mount)" >&2
	exit 77
fi
[ -x "$XFS_HSM" ] || { echo "bulk: build first: $XFS_HSM" >&2; exit 1; }

tmp=$(mktemp -d /tmp/xfs-hsm-bulk.XXXXXX)
hsmd=
cleanup() {
	[ -n "$hsmd" ] && kill "$hsmd" 2> /dev/null && wait "$hsmd" 2> /dev/null
	for m in "$tmp/fs" "$tmp/store"; do
		mountpoint -q "$m" && umount "$m"
	done
	rm -rf "$tmp"
}
trap cleanup EXIT HUP INT QUIT TERM

# an image written whole, with data the host cannot mistake for zeros
mkfs_mount() {	# name size
	head -c 64M /dev/urandom > "$tmp/pattern"
	for i in $(seq $(($(numfmt --from=iec "$2") >> 26))); do
		cat "$tmp/pattern"
	done > "$tmp/$1.img"
	rm "$tmp/pattern"
	mkfs.xfs -q -f "$tmp/$1.img"
	mkdir -p "$tmp/$1"
	mount -o loop "$tmp/$1.img" "$tmp/$1"
}

cold() {
	sync
	echo 3 > /proc/sys/vm/drop_caches
}

now() {
	date +%s.%N
}

# seconds since $1
since() {
	awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.2f\n", b - a }'
}

ratio() {	# cp-seconds hsm-seconds
	awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f\n", a / b }'
}

# files/s, and hours for 10^9 files at that rate
rate() {	# files seconds
	awk -v n="$1" -v s="$2" 'BEGIN {
		r = n / s
		printf "%.0f files/s (10^9 files: %.1f days)", r, 1e9 / r / 86400
	}'
}

# make_set NAME COUNT KIB: COUNT files of KIB KiB of random data, 100 to
# a directory
make_set() {
	local d=$tmp/fs/$1 i=0 left=$2

	mkdir -p "$d"
	while [ "$left" -gt 0 ]; do
		local n=$((left < 100 ? left : 100))

		mkdir -p "$d/d$i"
		head -c $((n * $3 * 1024)) /dev/urandom |
			split -b "$3"k -a 3 - "$d/d$i/f"
		left=$((left - n))
		i=$((i + 1))
	done
}

median() { sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

report() {	# label files hsm-seconds cp-seconds
	printf '%-34s hsm %7.2f s  cp %7.2f s  ratio %s  %s\n' "$1" "$3" \
		"$4" "$(ratio "$4" "$3")" "$(rate "$2" "$3")"
}

# migrate and recall of set NAME (COUNT files) of filesystem $fs, whose
# store is on $store, against cp, both ways: the seconds in cp_out, mig,
# rec and cp_in
fs=$tmp/fs
store=$tmp/store
measure() {	# name count
	local set=$1 n=$2 t

	cold
	t=$(now)
	cp -r "$fs/$set" "$store/cp/" && sync -f "$store/cp"
	cp_out=$(since "$t")
	cold
	t=$(now)
	"$XFS_HSM" migrate -r "$fs/$set" 2> /dev/null
	mig=$(since "$t")
	cold
	t=$(now)
	"$XFS_HSM" recall -r "$fs/$set" 2> /dev/null
	rec=$(since "$t")
	cold
	t=$(now)
	cp -r "$store/cp/$set" "$fs/cpback" && sync -f "$fs"
	cp_in=$(since "$t")
	rm -rf "$fs/cpback" "$store/cp/$set"
}

# measure, ROUNDS times: each round, then the medians of the rounds'
# times and ratios, and the rates of the median times; the set's files
# end resident and forgotten
measure_rounds() {	# name count rounds
	local r ratios_out= ratios_in= migs= recs= cps_out= cps_in=

	for r in $(seq "$3"); do
		measure "$1" "$2"
		printf '  round %s: migrate %s s, cp %s s; recall %s s, cp %s s\n' \
			"$r" "$mig" "$cp_out" "$rec" "$cp_in"
		ratios_out="$ratios_out $(ratio "$cp_out" "$mig")"
		ratios_in="$ratios_in $(ratio "$cp_in" "$rec")"
		migs="$migs $mig"
		recs="$recs $rec"
		cps_out="$cps_out $cp_out"
		cps_in="$cps_in $cp_in"
		"$XFS_HSM" forget -r "$fs/$1" 2> /dev/null
	done
	mig=$(echo $migs | tr ' ' '\n' | median)
	rec=$(echo $recs | tr ' ' '\n' | median)
	printf '%-34s median of %s rounds: hsm %7.2f s  cp %7.2f s  ratio %s  %s\n' \
		"migrate $1" "$3" "$mig" \
		"$(echo $cps_out | tr ' ' '\n' | median)" \
		"$(echo $ratios_out | tr ' ' '\n' | median)" "$(rate "$2" "$mig")"
	printf '%-34s median of %s rounds: hsm %7.2f s  cp %7.2f s  ratio %s  %s\n' \
		"recall $1" "$3" "$rec" \
		"$(echo $cps_in | tr ' ' '\n' | median)" \
		"$(echo $ratios_in | tr ' ' '\n' | median)" "$(rate "$2" "$rec")"
}

mkfs_mount fs "$image_size"
mkfs_mount store "$image_size"
mkdir -p "$tmp/store/hsm" "$tmp/store/cp"
"$XFS_HSM" init --store "posix:$tmp/store/hsm" "$tmp/fs" > /dev/null

echo "== $(nproc) CPUs; every step cold and durable at its end"
for p in $parts; do
	case $p in
	small)
		make_set small "$small_n" 64
		measure_rounds small "$small_n" "$small_rounds"
		;;
	tiny)
		make_set tiny "$tiny_n" 4
		measure_rounds tiny "$tiny_n" "$small_rounds"
		# release of archived files (their copies are durable)
		"$XFS_HSM" migrate -k -r "$tmp/fs/tiny" 2> /dev/null
		cold
		t=$(now)
		"$XFS_HSM" release -r "$tmp/fs/tiny" 2> /dev/null
		printf '%-34s %7.2f s  %s\n' "release tiny (archived)" \
			"$(since "$t")" "$(rate "$tiny_n" "$(since "$t")")"
		"$XFS_HSM" forget -r "$tmp/fs/tiny" 2> /dev/null || true
		;;
	large)
		mkdir -p "$tmp/fs/large"
		for i in 1 2 3 4 5 6 7 8; do
			head -c $((large_mb << 20)) /dev/urandom \
				> "$tmp/fs/large/f$i"
		done
		measure_rounds large 8 "$large_rounds"
		;;
	daemon)
		# the same migrate, with a daemon serving: the commands send
		# their batches to it
		[ -d "$tmp/fs/small" ] || make_set small "$small_n" 64
		"$XFS_HSM" recall -r "$tmp/fs/small" 2> /dev/null
		"$XFS_HSM" forget -r "$tmp/fs/small" 2> /dev/null
		"$XFS_HSMD" -f "$tmp/fs" 2> "$tmp/hsmd.log" &
		hsmd=$!
		for i in $(seq 100); do
			"$XFS_HSM" stats "$tmp/fs" > /dev/null 2>&1 && break
			sleep 0.1
		done
		cold
		t=$(now)
		cp -r "$tmp/fs/small" "$tmp/store/cp/" &&
			sync -f "$tmp/store/cp"
		cp_out=$(since "$t")
		cold
		t=$(now)
		"$XFS_HSM" migrate -r "$tmp/fs/small" 2> /dev/null
		report "migrate small, through xfs_hsmd" "$small_n" \
			"$(since "$t")" "$cp_out"
		rm -rf "$tmp/store/cp/small"
		kill "$hsmd"
		wait "$hsmd" || true
		hsmd=
		;;
	tar)
		# a reader of a released tree, through the daemon, against cp
		# of the store objects that hold its data (theirs only: the
		# other parts leave objects too) into the same filesystem,
		# before the daemon watches it (it would make cp's new files
		# pay for its events)
		[ -d "$tmp/fs/small" ] || make_set small "$small_n" 64
		"$XFS_HSM" recall -r "$tmp/fs/small" 2> /dev/null
		"$XFS_HSM" forget -r "$tmp/fs/small" 2> /dev/null
		objs=$tmp/store/hsm/objects
		find "$objs" -type f | sort > "$tmp/objs.before"
		"$XFS_HSM" migrate -r "$tmp/fs/small" 2> /dev/null
		find "$objs" -type f | sort |
			comm -13 "$tmp/objs.before" - |
			sed "s|^$objs/||" > "$tmp/objs.small"
		mkdir "$tmp/fs/objcopy"
		cold
		t=$(now)
		(cd "$objs" && xargs -d '\n' cp --parents -t "$tmp/fs/objcopy" \
			< "$tmp/objs.small") && sync -f "$tmp/fs"
		cp_obj=$(since "$t")
		echo "  ($(wc -l < "$tmp/objs.small") object files copied)"
		rm -rf "$tmp/fs/objcopy"
		"$XFS_HSMD" -f "$tmp/fs" 2> "$tmp/hsmd.log" &
		hsmd=$!
		for i in $(seq 100); do
			"$XFS_HSM" stats "$tmp/fs" > /dev/null 2>&1 && break
			sleep 0.1
		done
		cold
		t=$(now)
		tar c -C "$tmp/fs" small | cat > /dev/null
		tar_s=$(since "$t")
		report "tar c of small, released" "$small_n" "$tar_s" \
			"$cp_obj"
		echo "  (tar within 2x of cp of the objects: ratio >= 0.5)"
		kill "$hsmd"
		wait "$hsmd" || true
		hsmd=
		;;
	esac
done
