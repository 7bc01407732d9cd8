#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# 036-recall-storm: 3,000 readers of distinct released files at once, and
# the daemon under a hard limit of 1,024 descriptors (as in many
# containers).  Every event the daemon reads holds a descriptor until it
# is answered, and the kernel denies (EPERM) an event it cannot open one
# for.  So the daemon reads no more events than its limit leaves room for:
# the others wait in the kernel's queue, their readers blocked, until
# recalls finish.  That cannot stall the daemon's own recalls: its IO goes
# through a private clone of the mount its group ignores.  Asserted: every
# reader gets its bytes, none an error, none hangs; the time is a figure.
# STORM_READERS=5000 for a wider storm (golden output is for 3,000).

. "$(dirname "$0")/../common/preamble"

_require_scratch
_require_xfs_hsmd
_require_cmd prlimit

N=${STORM_READERS:-3000}
_scratch_setup 2g
_init_store
M=$SCRATCH_MNT
mkdir $M/d
python3 - $M/d $N <<'PY'
import sys
d, n = sys.argv[1], int(sys.argv[2])
for i in range(n):
    with open("%s/f%05d" % (d, i), "wb") as f:
        f.write(("%05d" % i).encode() * 1638 + b"xx")
PY
"$XFS_HSM" migrate -r $M/d >> $seqres.full 2>&1
echo "released: $(find $M/d -type f | xargs "$XFS_HSM" status 2> /dev/null | grep -c '^released')"

HSMD_WRAP="prlimit --nofile=1024:1024"
_start_daemon
hard=$(awk '/^Max open files/ { print $5 }' /proc/$(_daemon_worker)/limits)
_figure "daemon's hard descriptor limit: $hard"
start=$(_timer_start)
python3 - $M/d $N $TEST_DIR/errors <<'PY'
import sys, threading, time
d, n = sys.argv[1], int(sys.argv[2])
wrong, errors, done = [], [], []
threading.stack_size(64 * 1024)
gate = threading.Barrier(n)
def reader(i):
    want = ("%05d" % i).encode() * 1638 + b"xx"
    try:
        gate.wait()
        with open("%s/f%05d" % (d, i), "rb") as f:
            if f.read() != want:
                wrong.append(i)
    except Exception as e:
        errors.append("f%05d: %s" % (i, e))
    done.append(i)
ts = [threading.Thread(target=reader, args=(i,), daemon=True) for i in range(n)]
for t in ts:
    t.start()
deadline = time.time() + 300	# a hang, not a slow machine
for t in ts:
    t.join(max(0, deadline - time.time()))
print("readers: %d, finished: %d, wrong bytes: %d" % (n, len(done), len(wrong)))
with open(sys.argv[3], "w") as f:
    f.write("%d\n" % len(errors))
    f.write("".join(e + "\n" for e in errors[:5]))
PY
_figure "$N readers, $(head -1 $TEST_DIR/errors) got an error, in $(awk -v s=$start -v n=$(date +%s.%N) 'BEGIN { printf "%.1f", n - s }') s"
cat $TEST_DIR/errors >> $seqres.full
_daemon_idle
_figure "daemon: $(_stat failures) failures, $(_stat timeouts) timeouts"
echo "events of the daemon's own IO: $(_stat own_events)"
echo "readers that got an error: $(head -1 $TEST_DIR/errors)"
echo "afterwards, every file: $(python3 - $M/d $N <<'PY'
import sys
d, n = sys.argv[1], int(sys.argv[2])
bad = [i for i in range(n) if open("%s/f%05d" % (d, i), "rb").read() != ("%05d" % i).encode() * 1638 + b"xx"]
print("right" if not bad else "%d wrong" % len(bad))
PY
)"
_stop_daemon

status=0
exit
