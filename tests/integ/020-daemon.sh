#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# 020-daemon: xfs_hsmd on one filesystem.  Refusals (not XFS, not a mount
# point, bad options) with their exit codes; readiness for systemd
# (the group and the event table to the descriptor store, then READY=1,
# on NOTIFY_SOCKET) and for scripts (xfs_hsm stats); a read of a
# released file gets its bytes back and one log line; status warns only
# while no daemon serves; data commands go through the daemon (a recall
# of a file someone holds open works, which the direct path refuses); a
# second daemon waits; SIGTERM stops it.

. "$(dirname "$0")/../common/preamble"

_require_scratch
_require_xfs_hsmd

_scratch_setup 1g
_init_store
M=$SCRATCH_MNT

# _hsmd ARGS...: run xfs_hsmd in the foreground; filtered output, exit status
_hsmd()
{
	local rc

	timeout 10 "$XFS_HSMD" "$@" > "$tmp.d.out" 2>&1
	rc=$?
	_filter_all < "$tmp.d.out"
	echo "exit=$rc"
}

echo "== refusals"
_hsmd -f /proc
mkdir $M/sub
_hsmd -f $M/sub
_hsmd -f
_hsmd -f $M $M
_hsmd --mode sideways $M
_hsmd --chunk-size 3000 $M
_hsmd --timeout 0 $M
printf '[xfs_hsmd]\nmode = range\nspeed = 11\n' > $TEST_DIR/bad.conf
_hsmd -c $TEST_DIR/bad.conf $M
_hsmd -V
"$XFS_HSMD" --help > /dev/null; echo "help exit=$?"

echo "== ready"
head -c 5M /dev/urandom > $M/f1
head -c 3M /dev/urandom > $M/f2
sha1=$(_sha $M/f1); sha2=$(_sha $M/f2)
"$XFS_HSM" migrate $M/f1 $M/f2 2> /dev/null
_hsm stats $M
python3 - "$TEST_DIR/notify.sock" > $TEST_DIR/notify.out <<'PY' &
import os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
s.settimeout(20)
# the descriptor store first (FDSTORE=1, with the group), then READY=1
while True:
    msg, fds, _, _ = socket.recv_fds(s, 4096, 16)
    for fd in fds:
        os.close(fd)
    lines = [l for l in msg.decode().split("\n") if l and not l.startswith("MAINPID")]
    print(" ".join(sorted(lines)) + " (%d descriptors)" % len(fds))
    if "READY=1" in lines:
        break
PY
py_pid=$!
_bg_track $py_pid
for i in $(seq 50); do [ -S $TEST_DIR/notify.sock ] && break; sleep 0.1; done
HSMD_ENV="NOTIFY_SOCKET=$TEST_DIR/notify.sock"
_start_daemon
HSMD_ENV=
wait $py_pid 2> /dev/null
_filter_all < $TEST_DIR/notify.out
echo "stats exit=$("$XFS_HSM" stats $M > /dev/null 2>&1; echo $?)"
echo "pid is the worker's: $([ "$(_stat pid)" = "$(_daemon_worker)" ] && echo yes || echo no)"

echo "== a released file reads back"
[ "$(_sha $M/f1)" = "$sha1" ] && echo "f1: same bytes" || echo "f1: DIFFERENT"
_daemon_idle
_status_short $M/f1
grep -c "recalled '$M/f1'" $HSMD_LOG
echo "no warning while served:"
"$XFS_HSM" status $M/f2 2>&1 | _filter_all

echo "== commands go through the daemon"
# in range mode an open recalls nothing (it records RECALLING, which stays
# while the file is open); then, with f2 held open, a recall done directly
# would refuse it (file in use): the daemon does it
_hsm set --recall=range $M/f2
exec 3< $M/f2
_status_short $M/f2
_hsm recall $M/f2
_status_short $M/f2
exec 3<&-
[ "$(_sha $M/f2)" = "$sha2" ] && echo "f2: same bytes" || echo "f2: DIFFERENT"
_hsm -v release $M/f1 $M/f2
_status_short $M/f1 $M/f2
_hsm set --recall=range $M/f1
"$XFS_HSM" status --json $M/f1 | python3 -c '
import json, sys
print("recall_mode", json.load(sys.stdin)["files"][0]["recall_mode"])'
_hsm clear --recall $M/f1
_hsm set --recall=sideways $M/f1

echo "== a second daemon waits for the first"
timeout 2 "$XFS_HSMD" -f $M > $tmp.second 2>&1
echo "second: exit=$?"
grep -c "waiting: another xfs_hsmd serves" $tmp.second

echo "== stop"
_stop_daemon
_hsm stats $M
"$XFS_HSM" status $M/f1 2>&1 | _filter_all
[ -e /run/xfs-hsm/$(findmnt -n -o UUID --target $M 2>/dev/null || true).sock ] &&
	echo "socket left behind" || echo "socket removed"

status=0
exit
