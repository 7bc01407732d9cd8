#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# aggregate: the crash matrix's rows for small-file aggregates in a RADOS
# store (one-node cluster started here), at every durable step of
# doc/design.md's "Small-file aggregates" table:
#   aggregate  xfs_hsm migrate -r of 8 small files: agg-written (the
#              aggregate written, not indexed), agg-indexed (indexed, no
#              record sealed yet)
#   aggforget  xfs_hsm forget of a dual-state file alone in its aggregate:
#              agg-unindexed (its index value gone), agg-unlisted (gone
#              from the aggregate's member list, the empty aggregate not
#              yet deleted)
#   repack     xfs_hsmscan --gc --grace 0 after 6 of the 8 files were
#              removed: repack-written, repack-repointed, repack-deleted
# each crashed three ways: the tool killed at the step (the store steps
# can only kill), and killed there with the managed filesystem shut down
# right after, log flushed or not (a power cut at that moment: the dead
# tool writes nothing more).  Recovery as xfs_hsmscan(8) says (mount,
# --repair), then gc; a case passes when every file reads back through
# the daemon from the store with its sha256 and mtime, a second repair
# finds nothing, and the audit finds no orphan, missing or shared object.
# At the end, every file forgotten and gc run: no aggregate is left.
# make check-crash runs it.

. "$(dirname "$0")/../common/preamble"
. "$(dirname "$0")/../common/ceph"
. "$(dirname "$0")/../common/scanrc"
. "$(dirname "$0")/../common/aggcrash"

_require_scratch
_require_xfs_hsmd
_require_xfs_hsmscan
_require_ceph

_test_cleanup()
{
	_stop_daemon
	_ceph_stop
}

_scratch_setup 2g
_ceph_start hsm
M=$SCRATCH_MNT
"$XFS_HSM" init --store "rados:hsm?conf=$CEPH_CONF&timeout=30" $M \
	>> $seqres.full 2>&1 || _fail "init"

declare -A AGG_STEPS=(
	[aggregate]="agg-written agg-indexed"
	[aggforget]="agg-unindexed agg-unlisted"
	[repack]="repack-written repack-repointed repack-deleted"
)
CRASH_OPS=${CRASH_OPS:-"aggregate aggforget repack"}

# _agg_setup OP DIR: the state OP crashes from
_agg_setup()
{
	local d=$2

	case $1 in
	aggregate)
		_want $d/s* > $tmp.want ;;
	aggforget)
		_want $d/s* > $tmp.want
		"$XFS_HSM" migrate --keep $d/s1 >> $seqres.full 2>&1 ||
			res="$res migrate" ;;
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
	aggregate) "$XFS_HSM" migrate -r "$3" ;;
	aggforget) "$XFS_HSM" forget "$3/s1" ;;
	repack)	"$XFS_HSMSCAN" --gc --grace 0 $M ;;
	esac
}

_agg_matrix

# nothing a crash left behind outlives gc
"$XFS_HSMSCAN" --gc --grace 0 $M >> $seqres.full 2>&1 || echo "last gc failed"
_rados ls > $tmp.pool
echo "aggregates left: $(grep -c '^hsm\.agg\.[0-9a-f]\{32\}$' $tmp.pool)"
echo "objects left: $(grep -c '^[0-9a-f]\{32\}$' $tmp.pool)"

status=0
exit
