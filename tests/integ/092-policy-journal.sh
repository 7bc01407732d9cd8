#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# 092-policy-journal: the space policy finds its candidates from the
# change journal when it vouches for the period since the last run, and
# by a full scan otherwise, and says which.  A first run scans in full
# and saves its set; files then created old, grown, deleted and renamed
# across directories are seen by the next run, which reads only the
# entries of the directories the journal names (counted), chooses what
# a full scan would, and drops what is gone.  A real run moves files
# from the saved set; the next one does not choose them again.  A kill
# -9 of the daemon, a restart without the fd store, a saved set from a
# pruned epoch and a corrupt saved set each give a full scan that says
# why; xfs_hsm changes --since a pruned epoch falls back and says why.

. "$(dirname "$0")/../common/preamble"

_require_scratch
_require_xfs_hsmd

_scratch_setup 400m
_init_store
M=$SCRATCH_MNT
CONF=$TEST_DIR/xfs_hsm.conf
FULL=$TEST_DIR/full.conf

cat > $CONF <<EOF
[space]
high_watermark = 1%
low_watermark = 0.5%
min_age = 1d
max_files = 5
EOF
# the same policy, always scanned in full: the reference
sed 's/^max_files = 5$/max_files = 5\nfull_scan_interval = 0/' $CONF > $FULL

_start_daemon
# 20 directories of 50 files of 4 KiB, 30 days old (one ranked first,
# two next: they are deleted and moved later)
python3 - $M/t <<'PY'
import os, sys
for d in range(1, 21):
    p = os.path.join(sys.argv[1], "d%02d" % d)
    os.makedirs(p)
    for f in range(1, 51):
        with open(os.path.join(p, "f%02d" % f), "wb") as fh:
            fh.write(b"x" * 4096)
PY
touch -a -m -d "30 days ago" $M/t/d*/f*
touch -a -m -d "200 days ago" $M/t/d07/f01
touch -a -m -d "250 days ago" $M/t/d09/f01
sync

# _run NAME CONF [-n]: one policy run, its JSON kept as $tmp.NAME
_run()
{
	local name=$1 conf=$2

	shift 2
	"$XFS_HSM" policy --config $conf --json "$@" $M > $tmp.$name \
		2>> $seqres.full
	echo "exit=$?" >> $seqres.full
	cat $tmp.$name >> $seqres.full
}

# _show NAME: discovery and counts; the chosen files by name
_show()
{
	python3 - $tmp.$1 $M <<'PY'
import json, os, sys
j = json.load(open(sys.argv[1]))
d, s = j["discovery"], j["summary"]
names = {}
for root, dirs, files in os.walk(sys.argv[2]):
    for f in files:
        names[os.lstat(os.path.join(root, f)).st_ino] = \
            os.path.relpath(os.path.join(root, f), sys.argv[2])
if d["mode"] == "journal":
    print("discovery journal, epochs %d-%d, %d changed directories, "
          "%d dropped" % (d["epoch_from"], d["epoch_to"],
                          d["changed_directories"], d["dropped"]))
else:
    print("discovery full scan:", d["reason"])
special = ("t/d03/new1", "t/d05/f01", "t/d10/moved", "t/d12/f50",
           "t/d07/f01", "t/d09/f01",
           "t/d11/young")
chosen = [names.get(f["ino"], "GONE") for f in j["files"]]
print("candidates", s["candidates"], "| chosen:",
      " ".join(sorted(c for c in chosen if c in special or c == "GONE")),
      "+ %d others" % sum(c not in special and c != "GONE" for c in chosen))
PY
}

# _chosen NAME: the inodes chosen, sorted
_chosen()
{
	python3 -c 'import json, sys
print(sorted(f["ino"] for f in json.load(open(sys.argv[1]))["files"]))' $tmp.$1
}

# _same A B: did runs A and B choose the same files?
_same()
{
	[ "$(_chosen $1)" = "$(_chosen $2)" ] && echo "same choice as a full scan" ||
		echo "NOT the choice of a full scan: $(_chosen $1) / $(_chosen $2)"
}

_secs()
{
	python3 -c 'import json, sys
print("%.3f" % json.load(open(sys.argv[1]))["summary"]["seconds"])' $tmp.$1
}

echo "== the first run scans in full and saves its set"
_run r1 $CONF -n
_show r1
ls $XFS_HSM_STATEDIR | grep -c '\.policy$' | sed 's/^/saved sets: /'

echo "== changes: created old, grown, deleted, renamed across, young"
head -c 8k /dev/urandom > $M/t/d03/new1
touch -a -m -d "400 days ago" $M/t/d03/new1
head -c 8k /dev/urandom >> $M/t/d05/f01
touch -a -m -d "300 days ago" $M/t/d05/f01
head -c 8k /dev/urandom > $M/t/d11/young
rm $M/t/d07/f01			# after the creations: its inode stays free
mv $M/t/d09/f01 $M/t/d10/moved
_run r2 $CONF -n
_run r2full $FULL -n
_show r2
_same r2 r2full
# what it read: the non-directory entries of the changed directories
python3 - $tmp.r2 $M <<'PY'
import json, os, sys
j = json.load(open(sys.argv[1]))
m = sys.argv[2]
dirs = [m, m + "/t"] + [m + "/t/" + d for d in
                        ("d03", "d05", "d07", "d09", "d10", "d11")]
n = sum(1 for d in dirs for e in os.scandir(d) if not e.is_dir())
s = j["summary"]
print("inodes examined: the entries of the changed directories:",
      s["inodes_examined"] == n, "| fewer than a tenth of the files:",
      s["inodes_examined"] < 1004 / 10 * 4)
PY
_show r2full | head -1
_figure "selection: full scan $(_secs r1) s, from the journal $(_secs r2) s (1000 files)"

echo "== a real run from the saved set; the next does not choose its files"
_run r3 $CONF
python3 -c 'import json, sys
j = json.load(open(sys.argv[1]))
print("mode", j["discovery"]["mode"], "| migrated", j["summary"]["migrate_files"],
      "| failed", j["summary"]["failed"])' $tmp.r3
_run r4 $CONF -n
_run r4full $FULL -n
_show r4
_same r4 r4full
python3 -c 'import json, sys
a = {f["ino"] for f in json.load(open(sys.argv[1]))["files"]}
b = {f["ino"] for f in json.load(open(sys.argv[2]))["files"]}
print("chosen again:", len(a & b))' $tmp.r3 $tmp.r4

echo "== kill -9 of the daemon"
pkill -9 -P $HSMD_PID
kill -9 $HSMD_PID
wait $HSMD_PID 2> /dev/null
HSMD_PID=
touch -a -m -d "500 days ago" $M/t/d12/f50	# while no daemon watched
_start_daemon
_run r5 $CONF -n
_show r5
_run r6 $CONF -n
_show r6

echo "== a restart without the fd store"
_stop_daemon
_start_daemon --journal-retention 2s
_run r7 $CONF -n
_show r7

echo "== a saved set from a pruned epoch"
"$XFS_HSM" changes --checkpoint $M > /dev/null
sleep 3
"$XFS_HSM" changes --checkpoint $M > /dev/null	# prunes the one before
echo "xfs_hsm changes --since 1:"
"$XFS_HSM" changes --since 1 --json $M | python3 -c 'import json, sys
j = json.load(sys.stdin)
print("epoch 8 pruned:", j["epochs"][0]["epoch"] > 8, "| source", j["source"],
      "|", j["fallback"]["reason"], "| d12 in it:",
      any(d["path"].endswith("/t/d12") for d in j["directories"]))'
_run r8 $CONF -n
# which epochs are kept by then depends on how long the runs took
_show r8 | sed 's/(pruned; it keeps epochs [0-9]*-[0-9]*)/(pruned)/'

echo "== a corrupt saved set"
f=$(ls $XFS_HSM_STATEDIR/*.policy)
printf 'X' | dd of=$f bs=1 seek=100 conv=notrunc status=none
_run r9 $CONF -n
_show r9 | head -1
_run r10 $CONF -n
_show r10 | head -1
_stop_daemon

status=0
exit
