#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# marker: the crash matrix's rows for the upgrade of a posix store's marker
# from format 1 to 2, which the first migrate of a newer xfs_hsm makes
# (doc/design.md, "The store's marker says its format"): marker-written
# (the new marker durable under a name of its own) and marker-renamed
# (renamed over the old one, the directory not yet synced), each crashed
# three ways: the tool killed at the step (a store step can only kill),
# and killed with the store's filesystem shut down right after, log
# flushed or not (a power cut then).  A case passes when, after remount
# and repair, the marker is the old one or the new one, whole; the file
# migrates again; the marker then says 2 and no new marker file is left;
# and the file, recalled, has its sha256 and mtime.  make check-crash
# runs it.

. "$(dirname "$0")/../common/preamble"
. "$(dirname "$0")/../common/scanrc"

_require_scratch
_require_xfs_hsmscan

_scratch_setup 512m
_store_fs_setup
M=$SCRATCH_MNT
SFS=$TEST_DIR/storefs
_init_store
MARKER=$STORE/.xfs-hsm-store
uuid=$(sed -n 's/^fs_uuid //p' $MARKER)
[ -n "$uuid" ] || _fail "no fs_uuid in the new store's marker"
n=0

# _case STEP KIND: one crash and its recovery; prints the matrix line
_case()
{
	local step=$1 kind=$2 f res="" rc sum mt

	n=$((n + 1))
	f=$M/f$n
	head -c 300000 /dev/urandom > $f
	sync
	sum=$(_sha $f)
	mt=$(_mtime_ns $f)
	# the store as a version that knew format 1 left it
	printf 'xfs-hsm-store 1\nfs_uuid %s\n' "$uuid" > $MARKER
	sync

	LIBHSM_FAULT=$step "$XFS_HSM" migrate $f >> $seqres.full 2>&1
	rc=$?
	[ $rc = 137 ] || res="$res no-crash(exit=$rc)"
	case $kind in
	shutdown)	xfs_io -x -c "shutdown -f" $SFS ;;
	shutdown-nolog)	xfs_io -x -c "shutdown" $SFS ;;
	esac >> $seqres.full 2>&1
	_scratch_cycle_mount $SFS

	case "$(cat $MARKER)" in
	"xfs-hsm-store "[12]$'\n'"fs_uuid $uuid") ;;
	*)	res="$res marker($(head -c 40 $MARKER | tr '\n' ' '))" ;;
	esac
	"$XFS_HSMSCAN" --repair $M >> $seqres.full 2>&1
	rc=$?
	[ $rc = 0 ] || [ $rc = 2 ] || res="$res repair-exit=$rc"
	"$XFS_HSM" migrate $f >> $seqres.full 2>&1 || res="$res migrate"
	[ "$(head -1 $MARKER)" = "xfs-hsm-store 2" ] || res="$res format"
	ls -A $STORE | grep -q '^\.xfs-hsm-store\.' && res="$res leftover"
	"$XFS_HSM" recall $f >> $seqres.full 2>&1 || res="$res recall"
	[ "$(_sha $f)" = "$sum" ] || res="$res sha256"
	[ "$(_mtime_ns $f)" = "$mt" ] || res="$res mtime"
	printf '%-15s %-14s %s\n' $step $kind "${res:-pass}"
	"$XFS_HSM" forget $f >> $seqres.full 2>&1
	rm -f $f
}

for step in marker-written marker-renamed; do
	for kind in kill shutdown shutdown-nolog; do
		_case $step $kind
	done
done

status=0
exit
