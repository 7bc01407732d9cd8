#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# 096-scan-report: xfs_hsmscan --report counts, per state (resident,
# archived, released, partial), the files and bytes by age (mtime) and by
# size, from its bulkstat scan: files of known sizes and ages land in the
# right buckets, in the text and the --json report; released files take
# no disk; --report refuses --resume.

. "$(dirname "$0")/../common/preamble"
. "$(dirname "$0")/../common/scanrc"

_require_scratch
_require_xfs_hsmscan
_require_cmd python3

_scratch_setup 400m
_init_store
M=$SCRATCH_MNT

# _mk NAME BYTES AGE: a file of BYTES random bytes last modified AGE ago
_mk()
{
	head -c $2 /dev/urandom > $M/$1
	touch -d "$3 ago" $M/$1
}
: > $M/r0
_mk r1 10 "2 days"
_mk r2 102400 "100 days"
_mk a1 2097152 "40 days"
_mk x1 3145728 "2 years"
_mk x2 5120 "4 years"
_mk p1 4194304 "10 days"
sync
"$XFS_HSM" migrate --keep $M/a1 2>> $seqres.full
"$XFS_HSM" migrate $M/x1 $M/x2 $M/p1 2>> $seqres.full
"$XFS_HSM" recall --range 0:1 $M/p1 2>> $seqres.full

echo "== text"
"$XFS_HSMSCAN" --report $M > $tmp.out 2> $tmp.err
echo "exit $?"
# the report (its empty rows left out here), then the usual summary
awk '/^files and bytes by state/ { on = 1 } /^filesystem: / { on = 0 }
     on && (!/^  / || $2 != 0)' $tmp.out
grep -c '^resident: .* with no record' $tmp.out
cat $tmp.err

echo "== --json"
"$XFS_HSMSCAN" --report --json $M | python3 -c '
import json, sys
d = json.load(sys.stdin)
r = d["report"]
assert abs(r["now"] - int(sys.argv[1])) < 600, "now"
for name, s in r["states"].items():
    for key in ("by_age", "by_size"):
        assert sum(b["files"] for b in s[key]) == s["files"], key
        assert sum(b["bytes"] for b in s[key]) == s["bytes"], key
    ages = ["%s:%d" % (b["bucket"], b["files"]) for b in s["by_age"] if b["files"]]
    sizes = ["%s:%d" % (b["bucket"], b["files"]) for b in s["by_size"] if b["files"]]
    print(name, s["files"], s["bytes"], "ages", " ".join(ages), "sizes", " ".join(sizes))
print("released disk_bytes:", r["states"]["released"]["disk_bytes"])
print("bucket bounds:", [b["min_age_s"] for b in r["states"]["resident"]["by_age"]][:3],
      [b["min_size"] for b in r["states"]["resident"]["by_size"]][:4])
print("summary still there:", "summary" in d)
' $(date +%s)

echo "== --report --resume"
"$XFS_HSMSCAN" --report --resume $M 2> $tmp.err
echo "exit $?"
head -n 1 $tmp.err

status=0
exit
