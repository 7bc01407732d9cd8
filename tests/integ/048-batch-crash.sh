#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# 048-batch-crash: a crash in the middle of a batch loses nothing.  A
# batch of 24 files (small, 1 MiB, sparse, empty, a hard link) is
# migrated, released, recalled or forgotten in one run, crashed at each of
# the batch's durable steps (batch-prepared: the pending records forced;
# batch-published: the store copies durable and visible; batch-synced:
# the recalled data durable; batch-forced: the final records forced) and
# at the operation's own steps, by kill -9 or an XFS shutdown without a
# log flush (a power cut), the two in turn (both at every step with
# CRASH_ALL=1: make check-crash).  Then the recovery procedure:
# remount, xfs_hsmscan --repair, start the daemon.  Each file may end
# done or as it was (that depends on where the crash fell), but every
# byte and every mtime must be the original, nothing may stay pending,
# and the store may hold no orphan and miss no copy.  Four of the steps
# again with 5 files a batch (rows "op/5"): two batches run at once, so
# the crash finds the next batch under way.

. "$(dirname "$0")/../common/preamble"
. "$(dirname "$0")/../common/scanrc"

_scan_scratch 2g
_require_xfs_hsmd

N=24
declare -A STEPS=(
	[migrate]="batch-prepared migrate-copied batch-published migrate-archived batch-forced"
	[release]="release-punched batch-forced"
	[recall]="recall-pending batch-synced batch-forced"
	[forget]="batch-prepared forget-deleted batch-forced"
)

# _mkset DIR: the files of a batch, and their sums and mtimes in DIR.sums
_mkset()
{
	local d=$1 i

	mkdir -p "$d"
	for i in $(seq 1 20); do
		head -c $((i * 4099)) /dev/urandom > "$d/s$i"
	done
	head -c 1M /dev/urandom > "$d/m1"
	truncate -s 8M "$d/sp"
	head -c 64K /dev/urandom | dd of="$d/sp" bs=1M seek=3 conv=notrunc \
		status=none
	: > "$d/empty"
	ln "$d/s1" "$d/link"
	sync
	(cd "$d" && for f in *; do
		echo "$f $(_sha "$f") $(_mtime_ns "$f")"
	done) > "$d.sums"
}

# _check DIR: every file as it was; prints what went wrong
_check()
{
	local d=$1 f sum mt bad=""

	while read -r f sum mt; do
		[ "$(_sha "$d/$f")" = "$sum" ] || bad="$bad sha:$f"
		[ "$(_mtime_ns "$d/$f")" = "$mt" ] || bad="$bad mtime:$f"
	done < "$d.sums"
	echo "$bad"
}

# _states DIR: how many files are in each state (for the log)
_states()
{
	"$XFS_HSM" status "$1"/* 2> /dev/null | awk '{ print $1 }' |
		sort | uniq -c | xargs
}

# _case OP STEP KIND [OPTION...]: one crash, the recovery, the checks
n=0
_case()
{
	local op=$1 step=$2 kind=$3 d res="" bad rc label=$1

	shift 3
	[ $# = 0 ] || label="$op/${*: -1}"
	n=$((n + 1))
	d=$M/b$n
	_mkset "$d"
	case $op in
	release|forget)
		"$XFS_HSM" migrate --keep -r "$d" ;;
	recall)	"$XFS_HSM" migrate -r "$d" ;;
	esac >> "$seqres.full" 2>&1
	(LIBHSM_FAULT=$step LIBHSM_FAULT_ACTION=$kind \
		exec "$XFS_HSM" $op "$@" -r "$d") >> "$seqres.full" 2>&1
	rc=$?
	[ $rc = 137 ] || res="$res no-crash(exit=$rc)"
	_scratch_cycle_mount
	"$XFS_HSMSCAN" --repair "$M" >> "$seqres.full" 2>&1
	rc=$?
	[ $rc = 0 ] || [ $rc = 2 ] || res="$res repair-exit=$rc"
	echo "$label $step $kind: $(_states "$d")" >> "$seqres.full"
	_start_daemon
	bad=$(_check "$d")
	[ -z "$bad" ] || res="$res$bad"
	_stop_daemon
	[ -z "$("$XFS_HSM" status "$d"/* 2> /dev/null |
		awk '$3 != "-"')" ] || res="$res pending"
	"$XFS_HSMSCAN" --audit "$M" > "$tmp.audit" 2>&1 ||
		res="$res audit-exit"
	cat "$tmp.audit" >> "$seqres.full"
	[ "$(grep -cE '^(orphans|missing|shared): +0$' \
		"$tmp.audit")" = 3 ] || res="$res audit"
	printf '%-8s %-17s %-15s %s\n' "$label" $step $kind "${res:-pass}"
	# removing archived files would orphan their objects
	"$XFS_HSM" recall -r "$d" >> "$seqres.full" 2>&1
	"$XFS_HSM" forget -r "$d" >> "$seqres.full" 2>&1
	rm -rf "$d" "$d.sums"
}

k=0
for op in migrate release recall forget; do
	for step in ${STEPS[$op]}; do
		kinds="kill shutdown-nolog"
		if [ -z "$CRASH_ALL" ]; then
			k=$((k + 1))
			[ $((k % 2)) = 1 ] && kinds=kill || kinds=shutdown-nolog
		fi
		for kind in $kinds; do
			_case $op $step $kind
		done
	done
done

# Two batches in flight: 5 files a batch, so the crash at one batch's
# step finds the next one under way (and the hard link's two names in
# two batches: the second waits for the first)
for c in "migrate batch-published" "migrate batch-forced" \
	 "release batch-forced" "recall batch-synced"; do
	kinds="kill shutdown-nolog"
	if [ -z "$CRASH_ALL" ]; then
		k=$((k + 1))
		[ $((k % 2)) = 1 ] && kinds=kill || kinds=shutdown-nolog
	fi
	for kind in $kinds; do
		_case $c $kind --batch-files 5
	done
done

status=0
exit
