#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# 090-changes: the change journal.  Every kind of change (write,
# truncate, create, unlink, rename across directories, hard link, chmod,
# xattr, mkdir, rmdir) makes its directory and all its ancestors appear
# in the epoch it happened in, and in no other; an epoch with no change
# is empty; a closed epoch is final; --since, --under, --files and --json
# answer from the journal, with each directory's handle.

. "$(dirname "$0")/../common/preamble"

_require_scratch
_require_xfs_hsmd

_scratch_setup 1g
M=$SCRATCH_MNT

# the tree exists before the daemon: its making is no change
mkdir -p $M/a/b/c $M/d/e $M/g/h
echo w > $M/a/b/c/w
echo t > $M/d/e/t
echo u > $M/d/e/u
echo x > $M/g/h/x
mkdir $M/d/e/gone
# a released file: the daemon's recall of it, for a reader, is no change
_init_store
head -c 1M /dev/urandom > $M/a/b/r
"$XFS_HSM" migrate $M/a/b/r >> $seqres.full 2>&1 || _fail "migrate"
_start_daemon

# _changes [OPTIONS...]: xfs_hsm changes, paths filtered
_changes()
{
	"$XFS_HSM" changes "$@" $M 2>&1 | _filter_scratch
}

# _epoch WHAT CMD...: run CMD, show the current epoch, then close it
_epoch()
{
	local what=$1

	shift
	echo "== $what"
	"$@" || _fail "$what failed"
	_changes
	"$XFS_HSM" changes --checkpoint $M | sed 's/^/# /'
}

echo "== nothing changed (a released file read and recalled)"
cat $M/a/b/r > /dev/null
_daemon_idle
_changes
"$XFS_HSM" changes --checkpoint $M | sed 's/^/# /'

_epoch "write" sh -c "echo more >> $M/a/b/c/w"
_epoch "truncate" truncate -s 0 $M/d/e/t
_epoch "create" touch $M/a/new
_epoch "unlink" rm $M/d/e/t
_epoch "rename across" mv $M/a/b/c/w $M/g/h/w
_epoch "hard link" ln $M/g/h/x $M/a/b/x2
_epoch "chmod" chmod 600 $M/d/e/u
_epoch "xattr" setfattr -n user.k -v v $M/g/h/x
_epoch "mkdir" mkdir $M/a/b/c/sub
_epoch "rmdir" rmdir $M/d/e/gone
_epoch "nothing" true

echo "== since epoch 3 (truncate), under d"
_changes --since 3 --under $M/d
echo "== closed epochs are final"
echo y >> $M/a/b/c/sub/later	# epoch 13, in the current epoch only
"$XFS_HSM" changes --json --since 2 $M | python3 -c '
import json, sys
j = json.load(sys.stdin)
print("source", j["source"], "epochs", j["from"], "-", j["to"])
for e in j["epochs"]:
    print(" epoch", e["epoch"], "dirs", e["directories"],
          "vouched", e["vouched"], "closed", e["closed_ns"] is not None)
print("every directory has a handle",
      all(d["handle"] for d in j["directories"]))
'
echo "== files"
sleep 1.2	# --files reaches a second before the epoch opened
"$XFS_HSM" changes --checkpoint $M > /dev/null
echo z >> $M/g/h/x
touch $M/d/e/newfile
_changes --files

echo "== checkpoints under a steady writer lose nothing"
# a directory first seen in a checkpoint's own drain must not stay
# ignored in the next epoch: after the last checkpoint of a round, one
# more change in every directory must be in the answer
mkdir -p $M/w
for i in $(seq -w 1 40); do mkdir $M/w/$i; done
missing=0
for round in 1 2 3 4 5; do
	( while :; do
		for i in $(seq -w 1 40); do echo x >> $M/w/$i/f; done
	  done ) &
	WRITER=$!
	for c in 1 2 3 4 5 6; do
		"$XFS_HSM" changes --checkpoint $M > /dev/null
	done
	kill $WRITER
	wait $WRITER 2> /dev/null
	for i in $(seq -w 1 40); do touch $M/w/$i/g; done
	n=$("$XFS_HSM" changes $M | grep -c "^d $M/w/[0-9]*$")
	missing=$((missing + 40 - n))
done
echo "directories missing over 5 rounds: $missing"

status=0
exit
