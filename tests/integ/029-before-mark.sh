#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# 029-before-mark: the kernel decides at open time whether a file raises
# pre-content events, so a file opened before the daemon placed its mark
# never raises any.  So, before it says it is ready, xfs_hsmd looks for
# the released files of its filesystem that processes hold open
# (/proc/PID/fd) or mapped (/proc/PID/map_files) and recalls them whole:
# a reader that opened a released file before the daemon started, or that
# mapped it and closed its fd, reads the right bytes.  A file held open for
# writing is left alone and logged (a recall could write over what was
# written since): through that fd it reads zeros, as xfs_hsmd(8) says; a
# fresh open of it reads the right bytes.

. "$(dirname "$0")/../common/preamble"

_require_scratch
_require_xfs_hsmd

_scratch_setup 1g
_init_store
M=$SCRATCH_MNT
for f in rd map wr; do
	head -c 1M /dev/urandom > $M/$f
	_sha $M/$f > $TEST_DIR/$f.sha
done
"$XFS_HSM" migrate $M/rd $M/map $M/wr 2>> $seqres.full

# before the daemon: a reader's fd, a mapping without an fd, a writer's fd
exec 3< $M/rd
exec 5<> $M/wr
python3 - $M/map $TEST_DIR/go $TEST_DIR/map.got <<'PY' &
import mmap, os, sys, time
fd = os.open(sys.argv[1], os.O_RDONLY)
m = mmap.mmap(fd, 0, prot=mmap.PROT_READ)
os.close(fd)
open(sys.argv[2] + ".mapped", "w").close()
while not os.path.exists(sys.argv[2]):
    time.sleep(0.05)
open(sys.argv[3], "wb").write(m[:])
PY
mapper=$!
_bg_track $mapper
for i in $(seq 100); do
	[ -e $TEST_DIR/go.mapped ] && break
	sleep 0.05
done

_start_daemon
# xfs_hsm stats answers before the daemon is ready (it recalls the files
# opened before its mark, then tells the service manager READY=1): wait
# for that, as systemd would, not for the socket
for i in $(seq 300); do
	grep -q 'released files were open since' "$HSMD_LOG" && break
	sleep 0.1
done
touch $TEST_DIR/go
wait $mapper
python3 - <<'PY' > $TEST_DIR/rd.got
import os, sys
sys.stdout.buffer.write(os.pread(3, 1 << 20, 0))
PY
[ "$(_sha $TEST_DIR/rd.got)" = "$(cat $TEST_DIR/rd.sha)" ] &&
	echo "through the fd opened before the daemon: right bytes"
[ "$(_sha $TEST_DIR/map.got)" = "$(cat $TEST_DIR/map.sha)" ] &&
	echo "through the mapping made before the daemon: right bytes"
python3 - <<'PY'
import os
b = os.pread(5, 65536, 0)
print("through the writer's fd, left alone:",
      "zeros" if b == bytes(len(b)) else "data")
PY
echo "logged as open for writing: $(grep -c 'open for writing since before' "$HSMD_LOG")"
grep 'released files were open since' "$HSMD_LOG"
exec 3<&- 5>&-
[ "$(_sha $M/wr)" = "$(cat $TEST_DIR/wr.sha)" ] &&
	echo "the writer's file, opened again: right bytes"

status=0
exit
