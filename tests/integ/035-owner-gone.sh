#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# 035-owner-gone: what a dead owner leaves behind is finished, never
# mistaken for a change.
#  A. range mode: a 3 MB file read 4 KiB at 0, a second reader at 2 MB,
#     and the worker killed during that recall: the file is never marked
#     dirty (nobody wrote to it), and release and migrate both accept it;
#  B. a recall whose process was killed and is a zombie, not yet reaped:
#     --repair finishes it (a zombie is not at work);
#  C. a pending record that names a live process started after the
#     operation began (the pid was reused): --repair finishes it too;
#     while the same record with a start time after the process's is left
#     alone as in progress.

. "$(dirname "$0")/../common/preamble"
. "$(dirname "$0")/../common/scanrc"

_require_scratch
_require_xfs_hsmd
_require_xfs_hsmscan
_require_mkrec

_scratch_setup 1g
_init_store
M=$SCRATCH_MNT

echo "== A. a partial file, its worker killed"
head -c 3000000 /dev/urandom > $M/part
sum=$(_sha $M/part)
"$XFS_HSM" migrate $M/part 2>> $seqres.full
HSMD_ENV="LIBHSM_DELAY=store-get=1000"
_start_daemon --mode range
dd if=$M/part of=/dev/null bs=4k count=1 status=none
dd if=$M/part of=$TEST_DIR/at2m bs=4k skip=512 count=1 status=none 2> $TEST_DIR/dd.err &
reader=$!
sleep 0.5
kill -9 "$(_daemon_worker)"
wait $reader
echo "second reader exit=$?"
_daemon_idle
_status_short $M/part
_hsm release $M/part
_status_short $M/part
_hsm migrate $M/part
_status_short $M/part
_stop_daemon
HSMD_ENV=
"$XFS_HSM" recall $M/part 2>> $seqres.full
[ "$(_sha $M/part)" = "$sum" ] && echo "part: right bytes"

echo "== B. the owner is a zombie"
head -c 1M /dev/urandom > $M/zomb
sum=$(_sha $M/zomb)
"$XFS_HSM" migrate $M/zomb 2>> $seqres.full
# a parent that does not reap its child: the recall is killed at its
# pending step and stays a zombie until the parent is told to go
python3 - "$XFS_HSM" $M/zomb $TEST_DIR/zpid $TEST_DIR/zgo <<'PY' &
import os, sys, time
env = dict(os.environ, LIBHSM_FAULT="recall-pending", LIBHSM_FAULT_ACTION="kill")
pid = os.fork()
if pid == 0:
    os.execve(sys.argv[1], [sys.argv[1], "recall", sys.argv[2]], env)
open(sys.argv[3], "w").write(str(pid))
while not os.path.exists(sys.argv[4]):
    time.sleep(0.05)
os.waitpid(pid, 0)
PY
parent=$!
_bg_track $parent
for i in $(seq 100); do
	zpid=$(cat $TEST_DIR/zpid 2> /dev/null)
	[ -n "$zpid" ] && [ "$(awk '{ print $3 }' /proc/$zpid/stat 2> /dev/null)" = Z ] && break
	sleep 0.05
done
echo "owner state: $(awk '{ print $3 }' /proc/$zpid/stat)"
_status_short $M/zomb
_scan --repair --paths $M | grep -E '^(repaired|not repaired)|repair|^exit'
touch $TEST_DIR/zgo
wait $parent
_status_short $M/zomb
[ "$(_sha $M/zomb)" = "$sum" ] && echo "zomb: right bytes"

echo "== C. the owner's pid was reused"
head -c 1M /dev/urandom > $M/reused
sum=$(_sha $M/reused)
"$XFS_HSM" migrate $M/reused 2>> $seqres.full
LIBHSM_FAULT=recall-pending LIBHSM_FAULT_ACTION=kill \
	"$XFS_HSM" recall $M/reused >> $seqres.full 2>&1
sleep 300 &
live=$!
_bg_track $live
rec=$(_hexrec $M/reused)
now=$(date +%s)
# began an hour before the live process started: not its operation
setfattr -n trusted.hsm -v 0x$("$MKREC" pid=$live since=$((now - 3600)) $rec) $M/reused
_scan --repair --paths $M | grep -E '^(repaired|not repaired)|repair|^exit'
_status_short $M/reused
# began after it started: it may be its operation, left alone
"$XFS_HSM" release $M/reused 2>> $seqres.full
LIBHSM_FAULT=recall-pending LIBHSM_FAULT_ACTION=kill \
	"$XFS_HSM" recall $M/reused >> $seqres.full 2>&1
setfattr -n trusted.hsm -v 0x$("$MKREC" pid=$live since=$((now + 5)) "$(_hexrec $M/reused)") $M/reused
_scan --repair --paths $M | grep -E '^(repaired|not repaired)|repair|^exit'
kill $live
wait $live 2> /dev/null
_scan --repair --paths $M | grep -E '^(repaired|not repaired)|repair|^exit'
_status_short $M/reused
[ "$(_sha $M/reused)" = "$sum" ] && echo "reused: right bytes"

status=0
exit
