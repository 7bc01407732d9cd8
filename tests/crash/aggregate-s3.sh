#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# aggregate-s3: the crash matrix's rows for small-file aggregates in an S3
# bucket (radosgw on a one-node cluster started here), at every durable
# step of doc/design.md's "S3: the oid names the slot" table:
#   aggregate  xfs_hsm migrate -r of 8 small files: s3agg-written (the
#              aggregate written, its members committed, no record
#              sealed yet)
#   aggforget  xfs_hsm forget of a dual-state file alone in its aggregate:
#              s3agg-dead (its slot marked dead)
#   movedforget xfs_hsm forget of a file a repack moved: s3agg-unlinked
#              (dead where it lives, the way there not yet)
#   repack     xfs_hsmscan --gc --grace 0 after 6 of the 8 files were
#              removed: repack-written, repack-repointed, repack-deleted
#   repack2    the same, then a second of the two removed and gc run
#              again: the first one's slot pointed at the newest
#              aggregate (repack-shortened)
# each crashed three ways: the tool killed at the step (the store steps
# can only kill), and killed there with the managed filesystem shut down
# right after, log flushed or not (a power cut at that moment: the dead
# tool writes nothing more).  Recovery as xfs_hsmscan(8) says (mount,
# --repair), then gc; a case passes when every file reads back through
# the daemon from the store with its sha256 and mtime, a second repair
# finds nothing, and the audit finds no orphan, missing or shared object.
# At the end, every file forgotten and gc run: no aggregate, state or
# object is left.
# make check-crash runs it.

. "$(dirname "$0")/../common/preamble"
. "$(dirname "$0")/../common/ceph"
. "$(dirname "$0")/../common/scanrc"

_require_scratch
_require_xfs_hsmd
_require_xfs_hsmscan
_require_ceph
_require_rgw
_require_storeobj

_test_cleanup()
{
	_stop_daemon
	_ceph_stop
}

_scratch_setup 2g
_ceph_start hsm
_ceph_start_rgw
M=$SCRATCH_MNT
CRED=$TEST_DIR/s3.cred
printf 'access_key = %s\nsecret_key = %s\n' $S3_ACCESS $S3_SECRET > $CRED
chmod 600 $CRED
URL="http://127.0.0.1:$CEPH_RGW_PORT"
"$XFS_HSM" init --store "s3://hsmbucket/fs1?endpoint=$URL&credentials=$CRED&timeout=30" \
	$M >> $seqres.full 2>&1 || _fail "init"

declare -A AGG_STEPS=(
	[aggregate]="s3agg-written"
	[aggforget]="s3agg-dead"
	[movedforget]="s3agg-unlinked"
	[repack]="repack-written repack-repointed repack-deleted"
	[repack2]="repack-shortened"
)
CRASH_OPS=${CRASH_OPS:-"aggregate aggforget movedforget repack repack2"}
CRASH_KINDS=${CRASH_KINDS:-"kill shutdown shutdown-nolog"}
n=0

# _mksmall DIR: 8 files of 1 byte to 16 KiB
_mksmall()
{
	local i

	mkdir -p "$1"
	for i in 1 2 3 4 5 6 7 8; do
		head -c $(( (i * 3371) % 16384 + 1 )) /dev/urandom > "$1/s$i"
	done
	sync
}

# _want FILE...: "NAME SHA256 MTIME" per file
_want()
{
	local f

	for f in "$@"; do
		echo "$f $(_sha "$f") $(_mtime_ns "$f")"
	done
}

# _crash OP STEP KIND DIR: run OP's command on DIR, killed at STEP, then
# the power cut KIND asks for
_crash()
{
	local rc

	case $1 in
	aggregate) LIBHSM_FAULT=$2 "$XFS_HSM" migrate -r "$4" ;;
	aggforget|movedforget) LIBHSM_FAULT=$2 "$XFS_HSM" forget "$4/s1" ;;
	repack|repack2) LIBHSM_FAULT=$2 "$XFS_HSMSCAN" --gc --grace 0 $M ;;
	esac >> $seqres.full 2>&1
	rc=$?
	[ $rc = 137 ] || res="$res no-crash(exit=$rc)"
	case $3 in
	shutdown)	xfs_io -x -c "shutdown -f" $M ;;
	shutdown-nolog)	xfs_io -x -c "shutdown" $M ;;
	esac >> $seqres.full 2>&1
}

# _case OP STEP KIND: one crash and its recovery; prints the matrix line
_case()
{
	local op=$1 step=$2 kind=$3 d f name sum mt res="" rc

	n=$((n + 1))
	d=$M/c-$n
	_mksmall $d
	case $op in
	aggregate)
		_want $d/s* > $tmp.want ;;
	aggforget)
		_want $d/s* > $tmp.want
		"$XFS_HSM" migrate --keep $d/s1 >> $seqres.full 2>&1 ||
			res="$res migrate" ;;
	movedforget)
		# s1 and s2 kept by a repack, s1 then recalled: dual-state;
		# one thread prepares, so all eight share one aggregate
		_want $d/s1 $d/s2 > $tmp.want
		"$XFS_HSM" migrate -j 1 -r $d >> $seqres.full 2>&1 ||
			res="$res migrate"
		rm $d/s[3-8]
		"$XFS_HSMSCAN" --gc --grace 0 $M >> $seqres.full 2>&1
		"$XFS_HSM" recall $d/s1 >> $seqres.full 2>&1 ||
			res="$res recall" ;;
	repack2)
		# s1 moved by a first repack, then again once s2 is gone
		_want $d/s1 > $tmp.want
		"$XFS_HSM" migrate -j 1 -r $d >> $seqres.full 2>&1 ||
			res="$res migrate"
		rm $d/s[3-8]
		"$XFS_HSMSCAN" --gc --grace 0 $M >> $seqres.full 2>&1
		rm $d/s2 ;;
	repack)
		_want $d/s1 $d/s2 > $tmp.want
		"$XFS_HSM" migrate -r $d >> $seqres.full 2>&1 ||
			res="$res migrate"
		rm $d/s[3-8] ;;
	esac

	_crash $op $step $kind $d

	# the recovery procedure, then gc takes what the crash left
	_scratch_cycle_mount
	"$XFS_HSMSCAN" --repair $M >> $seqres.full 2>&1
	rc=$?
	[ $rc = 0 ] || [ $rc = 2 ] || res="$res repair-exit=$rc"
	"$XFS_HSMSCAN" --gc --grace 0 $M >> $seqres.full 2>&1 ||
		res="$res gc-exit"
	# whatever has a copy is released, so the reads below come from
	# the store as gc left it
	for f in $d/s*; do
		[ "$(_state $f)" = archived ] &&
			"$XFS_HSM" release $f >> $seqres.full 2>&1
	done
	_start_daemon --timeout 30
	while read -r name sum mt; do
		[ "$(_sha $name)" = "$sum" ] || res="$res sha256(${name##*/})"
		[ "$(_mtime_ns $name)" = "$mt" ] || res="$res mtime(${name##*/})"
	done < $tmp.want
	_stop_daemon
	"$XFS_HSMSCAN" --repair $M >> $seqres.full 2>&1 ||
		res="$res second-repair"
	"$XFS_HSMSCAN" --audit $M > $tmp.audit 2>&1 || res="$res audit-exit"
	cat $tmp.audit >> $seqres.full
	grep -qE '^(orphans|missing|shared): +0$' $tmp.audit &&
		[ "$(grep -cE '^(orphans|missing|shared): +0$' $tmp.audit)" = 3 ] ||
		res="$res audit"
	printf '%-11s %-16s %-14s %s\n' $op $step $kind "${res:-pass}"
	# removed archived files would orphan their objects: forget first
	"$XFS_HSM" forget $d/s* >> $seqres.full 2>&1
	rm -rf $d
}

for op in $CRASH_OPS; do
	for step in ${AGG_STEPS[$op]}; do
		for kind in $CRASH_KINDS; do
			_case $op $step $kind
		done
	done
done

# nothing a crash left behind outlives gc
"$XFS_HSMSCAN" --gc --grace 0 $M >> $seqres.full 2>&1 || echo "last gc failed"
curl -sS --aws-sigv4 "aws:amz:us-east-1:s3" --user $S3_ACCESS:$S3_SECRET \
	-H "x-amz-content-sha256: UNSIGNED-PAYLOAD" \
	"$URL/hsmbucket?list-type=2&prefix=fs1%2F" |
	grep -o '<Key>[^<]*</Key>' | sed 's|<Key>fs1/||; s|</Key>||' > $tmp.keys
echo "aggregates left: $(grep -c '^hsm\.agg\.[0-9a-f]\{24\}$' $tmp.keys)"
echo "states left: $(grep -c '^hsm\.aggst\.[0-9a-f]\{24\}$' $tmp.keys)"
echo "objects left: $(grep -c '^[0-9a-f]\{32\}' $tmp.keys)"

status=0
exit
