#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# 010-crash-matrix: crash every operation at every durable step, two ways
# (kill -9 of xfs_hsm; XFS shutdown without a log flush, a power cut; with
# CRASH_KINDS="kill shutdown shutdown-nolog", the flushed shutdown too),
# remount (log replay), and recover with
# `xfs_hsm recall`, which finishes or undoes what a dead process left.
# Then: same sha256 and mtime as before, nothing pending, no orphan or
# partial object in the store, and the file still migrates and recalls.
# The crash points are libhsm's LIBHSM_FAULT steps (libhsm/fs/fault.c).

. "$(dirname "$0")/../common/preamble"

_require_scratch
_require_storeobj

_scratch_setup 2g
_init_store
M=$SCRATCH_MNT
n=0

# _mkdata FILE MIB: MIB MiB of random data at 0, a hole, 1 MiB at 96 MiB
_mkdata()
{
	head -c $(($2 << 20)) /dev/urandom > "$1"
	head -c 1048576 /dev/urandom |
		dd of="$1" bs=1M seek=96 conv=notrunc status=none
	sync
}

# _named_objects: object ids named by the records of every test file
_named_objects()
{
	"$XFS_HSM" status --json "$M"/c-* 2> /dev/null | python3 -c '
import json, sys
print(len({f["object"] for f in json.load(sys.stdin)["files"] if f["object"]}))'
}

# _case OP STEP ACTION
_case()
{
	local op=$1 step=$2 action=$3 f sum mt rc res=ok mib=4

	n=$((n + 1))
	f=$M/c-$n
	# recall syncs every 64 MiB: make recall-chunk fire in the middle
	[ "$step" = recall-chunk ] && mib=80
	_mkdata "$f" $mib
	sum=$(_sha "$f")
	mt=$(_mtime_ns "$f")
	case $op in
	release|forget)	"$XFS_HSM" migrate --keep "$f" ;;
	recall)		"$XFS_HSM" migrate "$f" ;;
	esac >> "$seqres.full" 2>&1

	LIBHSM_FAULT=$step LIBHSM_FAULT_ACTION=$action \
		"$XFS_HSM" "$op" "$f" >> "$seqres.full" 2>&1
	rc=$?
	[ $rc = 137 ] || res="no-crash(exit=$rc)"
	_scratch_cycle_mount

	"$XFS_HSM" recall "$f" >> "$seqres.full" 2>&1 || res="recall-failed"
	[ "$(_sha "$f")" = "$sum" ] || res="$res,sha"
	[ "$(_mtime_ns "$f")" = "$mt" ] || res="$res,mtime"
	[ "$("$XFS_HSM" status "$f" | awk '{ print $3 }')" = - ] ||
		res="$res,pending"
	[ "$(_objects)" = "$(_named_objects)" ] || res="$res,orphans"
	# a partial upload is a posix store's temporary file: its directory
	[ -z "$(_store_files)" ] || res="$res,partial-left"
	# still a working file: a second full cycle
	if ! "$XFS_HSM" migrate "$f" >> "$seqres.full" 2>&1 ||
	   ! "$XFS_HSM" recall "$f" >> "$seqres.full" 2>&1 ||
	   [ "$(_sha "$f")" != "$sum" ]; then
		res="$res,cycle"
	fi
	printf '%-8s %-17s %-15s %s\n' "$op" "$step" "$action" "$res"
	# removing an archived file would orphan its object (gc's job)
	"$XFS_HSM" forget "$f" >> "$seqres.full" 2>&1
	rm -f "$f"
}

# kill -9 and the power cut; the shutdown that flushes the
# log first, the mildest, with CRASH_KINDS (061 and make check-crash
# crash every step that way too, recovering with --repair)
for action in ${CRASH_KINDS:-kill shutdown-nolog}; do
	for step in migrate-pending migrate-copied migrate-archived; do
		_case migrate $step $action
	done
	for step in release-pending release-punched; do
		_case release $step $action
	done
	for step in recall-pending recall-chunk; do
		_case recall $step $action
	done
	for step in forget-pending forget-deleted; do
		_case forget $step $action
	done
done

status=0
exit
