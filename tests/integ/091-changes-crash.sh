#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# 091-changes-crash: the change journal's crash rule and the consistent
# read protocol.  A kill -9 of the whole daemon, and an XFS shutdown, in
# the middle of a write burst over 120 directories, and a worker killed
# between a flush's write and its fdatasync, lose no change: the
# answer comes from the fallback scan, says so, and holds every
# directory the burst changed.  A restart under a service manager keeps
# the journal's group in its fd store: changes made while no daemon ran
# are in the journal, which still vouches for the epoch, unless its queue
# overflowed meanwhile (then the answer falls back).  A consumer that
# follows xfs_hsm(7) (a read lease, checked again after reading) never
# takes a half-written file as complete, and gets it whole in a later
# epoch.

. "$(dirname "$0")/../common/preamble"

_require_scratch
_require_xfs_hsmd
_require_svcmgr
_require_cmd xfs_io

QLIMIT=/proc/sys/fs/fanotify/max_queued_events
OLD_QLIMIT=$(cat $QLIMIT)
_test_cleanup()
{
	echo "$OLD_QLIMIT" > $QLIMIT
}

_scratch_setup 1g
M=$SCRATCH_MNT
NDIRS=120
for i in $(seq -w 1 $NDIRS); do mkdir -p $M/top/d$i; done

# _burst TAG: append to a file in each directory, 10 ms apart; a write
# that fails (the filesystem shut down) does not stop it
_burst()
{
	local i

	for i in $(seq -w 1 $NDIRS); do
		echo "$1" >> $M/top/d$i/$1 2> /dev/null
		sleep 0.01
	done
}

# _check TAG: the answer's source, and which directories holding a file
# TAG are missing from it (the ground truth is what is on disk now)
_check()
{
	"$XFS_HSM" changes --json $M > $tmp.json 2>> $seqres.full
	find $M/top -name "$1" -printf '%h\n' | sort -u > $tmp.truth
	python3 - $tmp.json $tmp.truth <<'PY'
import json, sys
j = json.load(open(sys.argv[1]))
truth = open(sys.argv[2]).read().split()
have = {d["path"] for d in j["directories"]}
missing = [t for t in truth if t not in have]
print("source", j["source"], "| changed dirs on disk", len(truth) > 0,
      "| missing", len(missing))
if j["source"] == "fallback":
    print("reason", j["fallback"]["reason"])
PY
}

echo "== kill -9 of the daemon mid burst"
_start_daemon
"$XFS_HSM" changes --checkpoint $M > /dev/null
_burst k9 &
BURST=$!
sleep 0.6
pkill -9 -P $HSMD_PID
kill -9 $HSMD_PID
wait $HSMD_PID 2> /dev/null
HSMD_PID=
wait $BURST
_start_daemon
_check k9
"$XFS_HSM" changes --checkpoint $M > /dev/null
echo "the next epoch is the journal's again:"
_check nothing

echo "== the worker dies between a flush's write and its fdatasync"
_stop_daemon
touch $tmp.once			# disarmed while it exists
HSMD_ENV="LIBHSM_FAULT=journal-written LIBHSM_FAULT_ONCE=$tmp.once"
_start_daemon
HSMD_ENV=
"$XFS_HSM" changes --checkpoint $M > /dev/null
_burst fw &
BURST=$!
sleep 0.3
rm $tmp.once			# armed: the next flush kills the worker
wait $BURST
grep -c "worker.*killed by signal 9" $HSMD_LOG | sed 's/^/workers killed: /'
_check fw

echo "== filesystem shutdown mid burst"
"$XFS_HSM" changes --checkpoint $M > /dev/null
_burst sd &
BURST=$!
sleep 0.6
xfs_io -x -c 'shutdown -f' $M	# the log flushed first: the
					# burst so far survives
wait $BURST
_stop_daemon
_scratch_cycle_mount
_start_daemon
_check sd
_stop_daemon

echo "== restart under a service manager"
_start_service
"$XFS_HSM" changes --checkpoint $M > /dev/null
kill -USR2 $SVC_PID		# SIGTERM to the daemon, which is restarted
sleep 0.3
_burst sv			# while it may be down
_svc_wait_ready 2
_check sv
_svc_state fdnames | tr ':' '\n' | grep -c journal | sed 's/^/journal groups stored: /'
echo "and a crash of the whole service mid burst:"
_burst cr &
BURST=$!
sleep 0.6
_crash_service
wait $BURST
_check cr
_stop_service

echo "== a queue overflow while no daemon reads"
# a new group takes the limit in force when it is made: a small queue
echo 64 > $QLIMIT
SVC_DIR=$TEST_DIR/svc2
mkdir -p $SVC_DIR
"$SVCMGR" --state $SVC_DIR --fdstore-max 4 --restart-sec 3 \
	--notify-access main -- "$XFS_HSMD" -f $M >> $HSMD_LOG 2>&1 &
SVC_PID=$!
_bg_track $SVC_PID
_svc_wait_ready 1
echo "$OLD_QLIMIT" > $QLIMIT
"$XFS_HSM" changes --checkpoint $M > /dev/null
kill -USR2 $SVC_PID		# restarted in 3 s; the group waits in the store
sleep 0.5
for i in $(seq -w 1 $NDIRS); do echo ov > $M/top/d$i/ov; done
_svc_wait_ready 2
_check ov
_stop_service

echo "== the consistent read protocol"
_start_daemon
mkdir $M/p
"$XFS_HSM" changes --checkpoint $M > /dev/null
# a writer: half the file, then the rest only once the first consumer
# pass is done (told by a file, not a sleep: the machine may be slow)
python3 - $M/p/f $tmp.half $tmp.go > $tmp.writer 2>&1 <<'PY' &
import os, sys, time
fd = os.open(sys.argv[1], os.O_WRONLY | os.O_CREAT, 0o644)
os.write(fd, b"a" * 4096)
open(sys.argv[2], "w").close()
deadline = time.time() + 120
while not os.path.exists(sys.argv[3]) and time.time() < deadline:
    time.sleep(0.05)
os.write(fd, b"b" * 4096)
os.close(fd)
PY
WRITER=$!
while [ ! -e $tmp.half ] && kill -0 $WRITER 2> /dev/null; do
	sleep 0.05
done
# _consume: one pass of a consumer: close the epoch, list its changed
# files, read each under a read lease (xfs_hsm(7)); prints what it took
_consume()
{
	local e

	e=$("$XFS_HSM" changes --checkpoint --json $M |
	    python3 -c 'import json,sys; print(json.load(sys.stdin)["closed"])')
	"$XFS_HSM" changes --since $e --files --json $M |
	python3 -c '
import errno, fcntl, json, os, sys
F_SETLEASE, F_GETLEASE = 1024, 1025
j = json.load(sys.stdin)
for f in j["files"]:
    p = f["path"]
    if not os.path.isfile(p):
        continue
    fd = os.open(p, os.O_RDONLY)
    try:
        fcntl.fcntl(fd, F_SETLEASE, fcntl.F_RDLCK)
    except OSError as e:
        print("naive read:", len(open(p, "rb").read()), "bytes;",
              "protocol: lease refused (%s), a write is in flight: later"
              % errno.errorcode[e.errno])
        os.close(fd)
        continue
    before = os.fstat(fd)
    data = os.pread(fd, 1 << 20, 0)
    after = os.fstat(fd)
    ok = (fcntl.fcntl(fd, F_GETLEASE) == fcntl.F_RDLCK and
          before.st_ctime_ns == after.st_ctime_ns)
    fcntl.fcntl(fd, F_SETLEASE, fcntl.F_UNLCK)
    os.close(fd)
    print("protocol: took", len(data), "bytes" if ok else "bytes: NOT SAFE",
          "complete" if data == b"a" * 4096 + b"b" * 4096 else "HALF")
'
}
_consume
touch $tmp.go
wait $WRITER
_consume
_stop_daemon

status=0
exit
