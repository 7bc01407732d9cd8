#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# 044-load-tar: 10,000 small released files read by one `tar c` of the
# whole tree through the daemon (whole mode, the default).  tar exits 0
# with no warning, its archive is byte for byte the one made before the
# migrate, every file is back and then recorded resident (archived,
# dual-state), nothing failed; the events handled per second are reported.

. "$(dirname "$0")/../common/preamble"

_require_scratch
_require_xfs_hsmd
_require_python3
_require_cmd tar

_scratch_setup 1g
_init_store
M=$SCRATCH_MNT

# 100 directories of 100 files, 1 to 16 KiB of random bytes each
python3 - $M/tree <<'PY'
import os, random, sys
random.seed(44)
top = sys.argv[1]
os.mkdir(top)
for d in range(100):
    p = os.path.join(top, "d%02d" % d)
    os.mkdir(p)
    for f in range(100):
        with open(os.path.join(p, "f%02d" % f), "wb") as o:
            o.write(os.urandom(random.randint(1024, 16384)))
PY
# the archive of the tree as it is: names, modes, owners, mtimes, bytes
_tar()
{
	tar c --sort=name -C $M tree 2> $TEST_DIR/tar.err | sha256sum
	echo "tar exit ${PIPESTATUS[0]}" >> $TEST_DIR/tar.err
}
before=$(_tar)

_count_states()
{
	"$XFS_HSM" status -r --json $M/tree 2>> $seqres.full | python3 -c '
import collections, json, sys
n = collections.Counter(o["state"] for o in json.load(sys.stdin)["files"])
print(" ".join("%s %d" % kv for kv in sorted(n.items())))'
}

t0=$(date +%s.%N)
"$XFS_HSM" migrate -r -j 4 $M/tree 2>> $seqres.full || echo "migrate failed"
t1=$(date +%s.%N)
echo "after migrate: $(_count_states)"
_figure "migrate -j 4 of 10000 files:" \
	"$(awk -v a=$t0 -v b=$t1 'BEGIN { printf("%.1f s, %.0f files/s", b - a, 10000 / (b - a)) }')"

_start_daemon
e0=$(_stat events)
t0=$(date +%s.%N)
after=$(_tar)
t1=$(date +%s.%N)
events=$(( $(_stat events) - e0 ))
cat $TEST_DIR/tar.err
[ "$after" = "$before" ] && echo "archive: the same bytes as before the migrate" ||
	echo "archive: DIFFERENT"
# the daemon records each file resident once it is idle: wait for that
for i in $(seq 120); do
	states=$(_count_states)
	[ "$states" = "archived 10000" ] && break
	sleep 1
done
echo "after tar: $states"
echo "failures: $(_stat failures)"
_figure "tar c of 10000 released files: $(awk -v a=$t0 -v b=$t1 -v e=$events \
	'BEGIN { printf("%.1f s, %d events, %.0f events/s", b - a, e, e / (b - a)) }')," \
	"$(_stat recalls) recalls"

status=0
exit
