#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# 070-space-policy: xfs_hsm policy keeps a filesystem below its marks by
# itself.  A filesystem filled past its high mark with files of known
# ages: a dry run moves nothing and says what a run would; the run
# releases the archived files first, then migrates and releases the
# oldest, until it is below the low mark, in score order; it never
# touches a pinned, young, small or excluded file, and leaves a file
# open for writing alone without calling it a failure; every file reads
# back right through the daemon.  A premigrate mark archives ahead of
# need.  A bad config file names file, line, section and key, and
# nothing runs.

. "$(dirname "$0")/../common/preamble"

_require_scratch
_require_xfs_hsmd

_scratch_setup 400m
_init_store
M=$SCRATCH_MNT
CONF=$TEST_DIR/xfs_hsm.conf

# _state FILE: the state xfs_hsm status gives
_state()
{
	"$XFS_HSM" status --json "$1" | python3 -c '
import json, sys
print(json.load(sys.stdin)["files"][0]["state"])'
}

# _used: percent of the filesystem in use
_used()
{
	df --output=pcent $M | tail -1 | tr -d ' %'
}

mkdir $M/d
# f1..f24: 8 MiB each, f<i> i * 3 days old
for i in $(seq 1 24); do
	head -c 8M /dev/urandom > $M/d/f$i
done
chown 4242 $M/d/f23						# excluded uid
head -c 8M /dev/urandom > $M/d/young				# minutes old
head -c 500k /dev/urandom > $M/d/small				# under min_size
# the checksums before the ages: a read moves atime, which counts
for f in $M/d/*; do
	echo "$(basename $f) $(_sha $f)"
done > $tmp.sha
for i in $(seq 1 24); do
	touch -a -m -d "$((i * 3)) days ago" $M/d/f$i
done
touch -d "100 days ago" $M/d/small
# after the ages: a record keeps the mtime it archived
"$XFS_HSM" migrate --keep $M/d/f2 $M/d/f3 >> $seqres.full	# young-ish, archived
"$XFS_HSM" set --norelease $M/d/f24 >> $seqres.full		# the oldest, pinned
sync
while read -r n sum; do
	echo "$n $sum $(_mtime_ns $M/d/$n)"
done < $tmp.sha > $tmp.sums
echo "filled past the high mark: $([ $(_used) -gt 50 ] && echo yes || echo "no ($(_used)%)")"

cat > $CONF <<EOF
# keep this filesystem between 30 % and 50 %
[space]
high_watermark = 50%
low_watermark = 30%
min_age = 1d
min_size = 1M
exclude_uids = 4242
EOF

echo "== dry run"
before=$(_used)
"$XFS_HSM" policy --config $CONF --dry-run --json $M > $tmp.dry
echo "exit=$?"
[ "$(_used)" = "$before" ] && echo "nothing moved"
python3 - $tmp.dry <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
s = d["summary"]
print("trigger", d["trigger"], "dry_run", d["dry_run"])
acts = [f["action"] for f in d["files"]]
print("would release", acts.count("release"), "and migrate",
      acts.count("migrate") > 0 and "some" or "none")
after = s["used_before"] - sum(f["resident_bytes"] for f in d["files"])
print("would end below the low mark:", after <= s["low_watermark"])
EOF
"$XFS_HSM" policy --config $CONF --dry-run $M | grep -c '^would ' |
	awk '{ print ($1 > 0 ? "text lines: some" : "text lines: none") }'

echo "== the run"
# an old file held open for writing: its migrate is refused by its lease
exec 3>> $M/d/f22
"$XFS_HSM" policy --config $CONF --json $M > $tmp.run
echo "exit=$?"
exec 3>&-
python3 - $tmp.run <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
s = d["summary"]
print("trigger", d["trigger"])
print("below the low mark:", s["used_after"] <= s["low_watermark"])
print("released", s["release_files"], "archived files first")
print("in use", s["in_use"], "failed", s["failed"])
# within each kind of move, what moved outranks what did not
moved = [f for f in d["files"] if f["result"] == "done"]
mig = [f["score"] for f in moved if f["action"] == "migrate"]
print("migrated in score order:", mig == sorted(mig, reverse=True))
EOF
for f in f2 f3; do echo "$f: $(_state $M/d/$f)"; done
for f in f24 f23 young small f22 f1; do echo "$f: $(_state $M/d/$f)"; done
# what was migrated is the oldest: no resident eligible file is older
# than a released one
python3 - $tmp.run <<'EOF' > $tmp.inos
import json, sys
for f in json.load(open(sys.argv[1]))["files"]:
    if f["result"] == "done" and f["action"] == "migrate":
        print(f["ino"], f["age_seconds"])
EOF
youngest_moved=$(sort -k2 -n $tmp.inos | head -1 | cut -d' ' -f2)
for i in $(seq 4 21); do
	st=$(_state $M/d/f$i)
	age=$(( $(date +%s) - $(stat -c %Y $M/d/f$i) ))
	if [ "$st" = resident ] && [ "$age" -gt "$((youngest_moved + 60))" ]; then
		echo "f$i ($age s old) stayed resident while a younger file moved"
	fi
done

echo "== a second run: nothing to do"
"$XFS_HSM" policy --config $CONF $M | head -1 | sed "s|$M|SCRATCH_MNT|; s/used [0-9.]*%.*/used U/"

echo "== every file reads back right through the daemon"
_start_daemon
for f in $M/d/*; do
	echo "$(basename $f) $(_sha $f) $(_mtime_ns $f)"
done | diff $tmp.sums - && echo "all bytes and mtimes right"
_stop_daemon

echo "== premigrate: archive ahead of need"
"$XFS_HSM" recall $M/d/* >> $seqres.full 2>&1
"$XFS_HSM" forget $M/d/* >> $seqres.full 2>&1
# the reads above made every file young again (atime): age them again
for i in $(seq 1 24); do
	touch -a -m -d "$((i * 3)) days ago" $M/d/f$i
done
cat > $CONF <<EOF
[space]
high_watermark = 90%
low_watermark = 60%
premigrate_watermark = 20%
min_age = 1d
min_size = 1M
EOF
"$XFS_HSM" policy --config $CONF --json $M > $tmp.pre
echo "exit=$?"
python3 - $tmp.pre <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
s = d["summary"]
print("trigger", d["trigger"], "premigrated:", s["premigrate_files"] > 0,
      "released", s["release_files"], "migrated", s["migrate_files"])
EOF
echo "f21: $(_state $M/d/f21)"

echo "== bad configurations"
for bad in "high_watermark = 50%
low_watermark = 60%" "bogus = 1" "min_age = soon" "[rules]
x = 1" "high_watermark = 150%"; do
	printf '[space]\n%s\n' "$bad" > $CONF
	"$XFS_HSM" policy --config $CONF --dry-run $M 2>&1 > /dev/null |
		sed "s|$CONF|CONF|; s|$M|SCRATCH_MNT|"
	echo "exit=${PIPESTATUS[0]}"
done
printf '[/some/other/mount]\nbogus = 1\n' > $CONF
"$XFS_HSM" policy --config $CONF --dry-run $M 2>&1 > /dev/null | sed "s|$CONF|CONF|"
echo "exit=${PIPESTATUS[0]}"
"$XFS_HSM" policy --config $TEST_DIR/missing.conf --dry-run $M 2>&1 |
	sed "s|$TEST_DIR|TEST_DIR|"
"$XFS_HSM" policy --config $CONF --dry-run $M/d 2>&1 | sed "s|$M|SCRATCH_MNT|g"
"$XFS_HSM" policy --dry-run $TEST_DIR/nowhere 2>&1 | sed "s|$TEST_DIR|TEST_DIR|"
echo "exit=${PIPESTATUS[0]}"

status=0
exit
