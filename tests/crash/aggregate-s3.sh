#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# aggregate-s3: the crash matrix's rows for small-file aggregates in an S3
# bucket (radosgw on a one-node cluster started here), at every durable
# step of doc/design.md's "S3: the oid names the slot" table:
#   upgrade    xfs_hsm migrate -r of 8 small files into a bucket whose
#              marker an older version made (format 1): s3marker-written
#              (the marker rewritten to say 2, no aggregate written yet)
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
# The upgrade's case passes only if the marker says 2 after it.  At the
# end, every file forgotten and gc run: no aggregate, state or object is
# left.
# make check-crash runs it.

. "$(dirname "$0")/../common/preamble"
. "$(dirname "$0")/../common/ceph"
. "$(dirname "$0")/../common/scanrc"
. "$(dirname "$0")/../common/aggcrash"

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
_s3_cred
URL=$S3_URL
"$XFS_HSM" init --store "s3://hsmbucket/fs1?endpoint=$URL&credentials=$CRED&timeout=30" \
	$M >> $seqres.full 2>&1 || _fail "init"

MARKER_URL="$URL/hsmbucket/fs1/xfs-hsm-store"
uuid=$(_s3 "$MARKER_URL" | sed -n 's/^fs_uuid //p')
[ -n "$uuid" ] || _fail "no fs_uuid in the bucket's marker"

declare -A AGG_STEPS=(
	[upgrade]="s3marker-written"
	[aggregate]="s3agg-written"
	[aggforget]="s3agg-dead"
	[movedforget]="s3agg-unlinked"
	[repack]="repack-written repack-repointed repack-deleted"
	[repack2]="repack-shortened"
)
CRASH_OPS=${CRASH_OPS:-"upgrade aggregate aggforget movedforget repack repack2"}
AGG_OPW=11

# _agg_setup OP DIR: the state OP crashes from
_agg_setup()
{
	local d=$2

	case $1 in
	upgrade)
		# the bucket as a version before aggregates left it
		_want $d/s* > $tmp.want
		printf 'xfs-hsm-store 1\nfs_uuid %s\n' $uuid |
			_s3 -X PUT --data-binary @- "$MARKER_URL" ||
			res="$res marker-put"
		[ "$(_s3 "$MARKER_URL" | head -1)" = "xfs-hsm-store 1" ] ||
			res="$res marker-1" ;;
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
}

# _agg_command OP STEP DIR: the command crashed at STEP
_agg_command()
{
	case $1 in
	upgrade|aggregate) "$XFS_HSM" migrate -r "$3" ;;
	aggforget|movedforget) "$XFS_HSM" forget "$3/s1" ;;
	repack|repack2) "$XFS_HSMSCAN" --gc --grace 0 $M ;;
	esac
}

# _agg_verify OP DIR: a crashed upgrade left the marker saying 2 (a
# migrate after it wrote aggregates)
_agg_verify()
{
	[ $1 = upgrade ] || return 0
	[ "$(_s3 "$MARKER_URL" | head -1)" = "xfs-hsm-store 2" ] ||
		res="$res marker-format"
}

_agg_matrix

# nothing a crash left behind outlives gc
"$XFS_HSMSCAN" --gc --grace 0 $M >> $seqres.full 2>&1 || echo "last gc failed"
_s3 "$URL/hsmbucket?list-type=2&prefix=fs1%2F" |
	grep -o '<Key>[^<]*</Key>' | sed 's|<Key>fs1/||; s|</Key>||' > $tmp.keys
echo "aggregates left: $(grep -c '^hsm\.agg\.[0-9a-f]\{24\}$' $tmp.keys)"
echo "states left: $(grep -c '^hsm\.aggst\.[0-9a-f]\{24\}$' $tmp.keys)"
echo "objects left: $(grep -c '^[0-9a-f]\{32\}' $tmp.keys)"

status=0
exit
