#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# 094-status-map: xfs_hsm status --map shows which byte ranges of a file
# are resident, released (in the store only) or holes: a resident sparse
# file from SEEK_DATA/SEEK_HOLE, a released one from the copy's data map,
# a partial one chunk by chunk after recall --range; text and --json.  A
# released file is not opened by it: under xfs_hsmd in whole mode it is
# not recalled.

. "$(dirname "$0")/../common/preamble"

_require_scratch
_require_xfs_hsmd

_scratch_setup 1g
_init_store
M=$SCRATCH_MNT

head -c 2M /dev/urandom > $M/sp
head -c 2M /dev/urandom | dd of=$M/sp bs=1M seek=10 conv=notrunc status=none
truncate -s 16M $M/sp
cp $M/sp $TEST_DIR/sp.orig
head -c 3M /dev/urandom > $M/plain
touch $M/empty

echo "== resident and sparse"
"$XFS_HSM" status --map $M/sp $M/empty | _filter_scratch
echo "== archived (dual-state)"
"$XFS_HSM" migrate --keep $M/plain 2>> $seqres.full
"$XFS_HSM" status --map $M/plain | _filter_scratch
echo "== released"
"$XFS_HSM" migrate $M/sp 2>> $seqres.full
"$XFS_HSM" status --map $M/sp | _filter_scratch
echo "== partial, after recall --range 10M+512K:1M (chunks 10 and 11)"
"$XFS_HSM" recall --range 10752K:1M $M/sp
"$XFS_HSM" status --map $M/sp | _filter_scratch
echo "== --json"
"$XFS_HSM" status --map --json $M/sp $M/plain | python3 -c '
import json, sys
d = json.load(sys.stdin)
for f in d["files"]:
    end = 0
    for r in f["ranges"]:
        assert r["offset"] == end, "gap or overlap"
        end = r["offset"] + r["length"]
    assert end == f["size"], "does not cover the size"
    print(f["path"].split("/")[-1], f["state"], f["size"],
          " ".join("%d+%d:%s" % (r["offset"] >> 20, r["length"] >> 20,
                                 r["state"]) for r in f["ranges"]))
'
echo "== under xfs_hsmd (whole mode), no recall"
_start_daemon
"$XFS_HSM" status --map $M/sp > /dev/null
echo "chunks read: $(_stat chunks)"
_status_short $M/sp
cmp -s $M/sp $TEST_DIR/sp.orig && echo "sp: all bytes equal"
_daemon_idle
_settle $M/sp
"$XFS_HSM" status --map $M/sp | _filter_scratch
_stop_daemon
echo "== errors"
"$XFS_HSM" status --map $M/nosuch $M 2>&1 | _filter_scratch
echo "exit ${PIPESTATUS[0]}"

status=0
exit
