#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# 061-repair-crash: the crash-recovery procedure of xfs_hsmscan(8).  Every
# operation is crashed for real at every durable step (libhsm's
# LIBHSM_FAULT points), three ways: kill -9, XFS shutdown with the log
# flushed, and without (a power cut).  Then: unmount, mount (log replay),
# xfs_hsmscan finds exactly the pending operations, --repair finishes or
# undoes each (exit 2) as DESIGN.md says, and afterwards every file has
# its bytes (sha256, after a recall where released) and mtime, nothing is
# pending, the store holds no orphan, partial or missing object, and a
# second --repair has nothing to do (exit 0).

. "$(dirname "$0")/../common/preamble"
. "$(dirname "$0")/../common/scanrc"

_scan_scratch 2g

# A file's own steps fire before its batch's barrier: a power cut there
# loses what the barrier had not yet forced, and the batch-* steps, after
# each barrier, are the ones that must survive it.
STEPS="migrate:migrate-pending migrate:batch-prepared migrate:migrate-copied
migrate:batch-published migrate:migrate-archived migrate:batch-forced
release:release-pending release:release-punched release:batch-forced
recall:recall-pending recall:recall-chunk recall:batch-synced
forget:forget-pending forget:batch-prepared forget:forget-deleted"

# _stepname OP:STEP: a batch step is named after its operation too
_stepname()
{
	case ${1#*:} in
	batch-*)	echo "${1%%:*}.${1#*:}" ;;
	*)		echo "${1#*:}" ;;
	esac
}

# _mkdata FILE MIB: MIB MiB of random data at 0, a hole, 1 MiB at 96 MiB
_mkdata()
{
	head -c $(($2 << 20)) /dev/urandom > "$1"
	head -c 1048576 /dev/urandom |
		dd of="$1" bs=1M seek=96 conv=notrunc status=none
}

echo "== crash every operation at every step"
for action in kill shutdown shutdown-nolog; do
	for s in $STEPS; do
		op=${s%%:*}
		step=${s#*:}
		name=$(_stepname $s)
		f=$M/$action.$name
		mib=4
		# recall syncs every 64 MiB: make recall-chunk fire midway
		[ $step = recall-chunk ] && mib=80
		_mkdata $f $mib
		sync
		_sha $f > $tmp.sha.$action.$name
		_mtime_ns $f > $tmp.mt.$action.$name
		case $op in
		release|forget)	"$XFS_HSM" migrate --keep $f ;;
		recall)		"$XFS_HSM" migrate $f ;;
		esac >> $seqres.full 2>&1
		LIBHSM_FAULT=$step LIBHSM_FAULT_ACTION=$action \
			"$XFS_HSM" $op $f >> $seqres.full 2>&1
		rc=$?
		[ $rc = 137 ] || echo "$action $name: no crash (exit $rc)"
		[ $action = kill ] || _scratch_cycle_mount
	done
done
echo "crashed $(($(echo $STEPS | wc -w) * 3)) operations"

echo "== unmount, mount: the log is replayed"
_scratch_cycle_mount

# allocated bytes move as XFS trims preallocation: not the point here
_nobytes()
{
	sed -E 's/^(bytes (resident|released|dual-state): +).*/\1B/'
}

echo "== scan: what is pending"
_scan -j 2 $M | _nobytes

echo "== repair"
_scan --repair --paths $M > $tmp.rep
grep '^repaired ' $tmp.rep | sort
grep -v '^repaired ' $tmp.rep | _nobytes

echo "== afterwards"
for action in kill shutdown shutdown-nolog; do
	for s in $STEPS; do
		name=$(_stepname $s)
		f=$M/$action.$name
		st=$("$XFS_HSM" status $f 2> /dev/null | awk '{ print $1, $2, $3 }')
		"$XFS_HSM" recall $f >> $seqres.full 2>&1 || st="$st, recall failed"
		[ "$(_sha $f)" = "$(cat $tmp.sha.$action.$name)" ] || st="$st, sha256 differs"
		[ "$(_mtime_ns $f)" = "$(cat $tmp.mt.$action.$name)" ] || st="$st, mtime differs"
		printf '%-15s %-23s %s\n' $action $name "$st"
	done
done
# partial uploads are the posix store's temporary files: its directory
echo "store leftovers: $(_store_files | wc -l)"
_scan --audit $M | grep -E '^(orphans|missing|shared|store objects):|^exit'
echo "objects named: $("$XFS_HSM" status --json $M/* 2> /dev/null | python3 -c '
import json, sys
print(len({f["object"] for f in json.load(sys.stdin)["files"] if f["object"]}))')"

echo "== a second repair has nothing to do"
_scan --repair $M | grep -E '^(pending|repaired|not repaired):|^exit'

status=0
exit
