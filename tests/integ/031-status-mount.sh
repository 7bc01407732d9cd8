#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# 031-status-mount: xfs_hsm status MOUNT describes the filesystem (store,
# daemon) and warns when files were released and no daemon serves it,
# from the note every release leaves on the root directory (no scan).
# xfs_hsmscan keeps the note true: it notes released files it finds and
# drops the note when a whole scan finds none.  Under a daemon, the
# scanner's repair is done by the daemon (a direct one could not even get
# the lock the daemon holds).

. "$(dirname "$0")/../common/preamble"

_require_scratch
_require_xfs_hsmd

_scratch_setup 1g
_init_store
M=$SCRATCH_MNT
SCAN=$HSM_BUILDDIR/xfs_hsmscan/xfs_hsmscan
[ -x "$SCAN" ] || _notrun "$SCAN not built"

# _smount: status MOUNT, the release date filtered
_smount()
{
	"$XFS_HSM" status "$@" 2>&1 | _filter_all |
		sed -E -e 's/last released [0-9-]+ [0-9:]+/last released DATE/' \
		       -e 's/\(pid [0-9]+\)/(pid PID)/'
}

echo "== nothing released yet"
head -c 2M /dev/urandom > $M/a
head -c 2M /dev/urandom > $M/b
sha_a=$(_sha $M/a)
_smount $M
"$XFS_HSM" status --json $M | python3 -c '
import json, sys
d = json.load(sys.stdin)
f = d["filesystems"][0]
print("json:", f["daemon_pid"], f["last_release"], len(d["files"]))'

echo "== released, no daemon"
"$XFS_HSM" migrate $M/a $M/b 2>> $seqres.full
_smount $M
echo "== with a daemon"
_start_daemon
_smount $M
"$XFS_HSM" status --json $M | python3 -c '
import json, sys
f = json.load(sys.stdin)["filesystems"][0]
print("json: daemon", "yes" if f["daemon_pid"] else "no",
      "release noted", "yes" if f["last_release"] else "no")'
_stop_daemon

echo "== a crashed release, repaired by xfs_hsmscan through the daemon"
"$XFS_HSM" recall $M/a 2>> $seqres.full
LIBHSM_FAULT=release-punched "$XFS_HSM" release $M/a 2>> $seqres.full
_status_short $M/a
_start_daemon
"$SCAN" --repair $M > $tmp.rep 2>&1
echo "repair exit=$?"
grep -c "releasing finished" $tmp.rep
_status_short $M/a
[ "$(_sha $M/a)" = "$sha_a" ] && echo "a: right bytes"
_stop_daemon

echo "== a whole scan with nothing released drops the note"
"$XFS_HSM" recall $M/a $M/b 2>> $seqres.full
"$XFS_HSM" forget $M/a $M/b 2>> $seqres.full
"$SCAN" $M > /dev/null 2>&1
echo "scan exit=$?"
# the note is kept for a minute after a release: the scan may have
# missed one; pretend the release was long ago
setfattr -n trusted.hsm.released -v 0x0100000000000000 $M
"$SCAN" $M > /dev/null 2>&1
_smount $M

status=0
exit
