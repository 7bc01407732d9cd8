#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# 069-record-upgrade: v1 records keep working everywhere they are read,
# and xfs_hsmscan --upgrade rewrites them as v2, then marks the binding
# "records 2" -- but only when nothing is left: a file in use or a bad
# record keeps the mark off, and the next run finishes.  States, bytes
# and mtimes are the same before and after; the fast path applies only
# once the mark is there.

. "$(dirname "$0")/../common/preamble"
. "$(dirname "$0")/../common/scanrc"

_require_mkrec
_scan_scratch 1g

# _states: "name state" of every test file, from xfs_hsm status
_states()
{
	"$XFS_HSM" status --json $M/d/* 2>> "$seqres.full" | python3 -c '
import json, os, sys
for f in json.load(sys.stdin)["files"]:
    print(os.path.basename(f["path"]), f["state"], f.get("norelease"))'
}

# _versions: how many files have a record of each length
_versions()
{
	local f
	for f in $M/d/*; do
		h=$(_hexrec "$f")
		[ -n "$h" ] && echo "$(( ${#h} / 2 ))-byte"
	done | sort | uniq -c | sed 's/^ *//'
}

# _binding_records: the binding's "records" line, or "none"
_binding_records()
{
	getfattr --absolute-names --only-values -n trusted.hsm.fs $M |
		grep '^records' || echo "records line: none"
}

# _drop_mark: the binding as an older version wrote it
_drop_mark()
{
	local b
	b=$(getfattr --absolute-names --only-values -n trusted.hsm.fs $M |
	    grep -v '^records')
	setfattr -n trusted.hsm.fs -v "$b
" $M
}

# _to_v1 FILE: rewrite FILE's record as v1 (same contents)
_to_v1()
{
	local hex
	hex=$("$MKREC" tov1 "$(_hexrec "$1")") || _fail "mkrec tov1 $1"
	setfattr -n trusted.hsm -v "0x$hex" "$1" || _fail "setfattr $1"
}

# _rule: the -v lines that say whether the fast path applies
_rule()
{
	"$XFS_HSMSCAN" -v $M 2>&1 | sed -n 's/^fast path: *\([a-z ]*\):.*/fast path: \1/p'
}

mkdir $M/d
for i in $(seq 1 12); do
	head -c $((i * 7000)) /dev/urandom > $M/d/f$i
done
for i in $(seq 1 12); do
	_sha $M/d/f$i
	_mtime_ns $M/d/f$i
done > $tmp.before
"$XFS_HSM" migrate $M/d/f1 $M/d/f2 $M/d/f3 $M/d/f4 >> "$seqres.full"
"$XFS_HSM" migrate --keep $M/d/f5 $M/d/f6 $M/d/f7 >> "$seqres.full"
"$XFS_HSM" set --norelease $M/d/f8 $M/d/f9 >> "$seqres.full"
_states > $tmp.states

echo "== a filesystem of v1 records, bound by an older version"
for i in $(seq 1 9); do
	_to_v1 $M/d/f$i
done
_drop_mark
_scratch_cycle_mount
_versions
_binding_records
_states | diff $tmp.states - && echo "status: the same states from v1 records"
_rule
_scan_json $M
python3 -c '
import json, sys
s = json.load(open(sys.argv[1]))["summary"]
print("scan: v1_records", s["v1_records"], "bad", s["bad_records"],
      "released", s["released"], "v2_only", s["record_rule"]["v2_only"])' "$tmp.json"
# a v1 record still recalls, and its rewrite is v2
"$XFS_HSM" recall $M/d/f1 >> "$seqres.full" || echo "recall of a v1 file failed"
echo "f1 after recall: $(( $(_hexrec $M/d/f1 | wc -c) / 2 ))-byte record"
"$XFS_HSM" migrate $M/d/f1 >> "$seqres.full" || echo "migrate of f1 failed"

echo "== upgrade with a file in use and a bad record: nothing marked"
exec 3>> $M/d/f6
"$XFS_HSM" migrate --keep $M/d/f10 >> "$seqres.full"
bad=$("$MKREC" badcsum "$(_hexrec $M/d/f10)") || _fail "mkrec badcsum"
setfattr -n trusted.hsm -v "0x$bad" $M/d/f10
"$XFS_HSMSCAN" --upgrade $M > $tmp.out 2> $tmp.err
echo "exit=$?"
grep '^upgraded' $tmp.out
_filter_all < $tmp.err | _filter_scan |
	grep -E "cannot upgrade|left: |not marked"
_binding_records
exec 3>&-
echo "== again, the file closed: the bad record still keeps the mark off"
"$XFS_HSMSCAN" --upgrade $M > $tmp.out 2> $tmp.err
echo "exit=$?"
grep '^upgraded' $tmp.out
_filter_all < $tmp.err | grep -E "cannot upgrade|left: |not marked"
_binding_records
echo "== the bad record removed: marked"
setfattr -x trusted.hsm $M/d/f10
"$XFS_HSMSCAN" --upgrade $M > $tmp.out
echo "exit=$?"
grep '^upgraded' $tmp.out
_binding_records
_versions
_rule

echo "== nothing changed but the layout"
_scratch_cycle_mount
_states | diff $tmp.states - && echo "status: the same states from v2 records"
"$XFS_HSM" recall $M/d/f1 $M/d/f2 $M/d/f3 $M/d/f4 >> "$seqres.full"
for i in $(seq 1 12); do
	_sha $M/d/f$i
	_mtime_ns $M/d/f$i
done > $tmp.recalled
diff $tmp.before $tmp.recalled && echo "bytes and mtimes: the same"
"$XFS_HSMSCAN" --upgrade --json $M > $tmp.json
echo "exit=$?"
python3 -c '
import json, sys
print("second upgrade:", json.load(open(sys.argv[1]))["upgrade"])' $tmp.json

echo "== usage"
"$XFS_HSMSCAN" --upgrade --quick $M 2>&1 | head -1
"$XFS_HSMSCAN" --upgrade --resume $M > /dev/null 2>&1
echo "exit=$?"

status=0
exit
