#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# 063-audit-gc: --audit finds objects no file names (orphans, "deleted"
# when their file is gone), files whose object is missing (flagged lost)
# and, with --verify, corrupt (flagged lost), and objects two files name
# (a record copied by cp -a).  --gc
# removes orphans only: never an object named by a record, pending ones
# included (an interrupted migrate's committed object, and one a running
# migrate has just committed), never one younger than the grace period,
# and nothing at all while a bad record exists (it could name one).

. "$(dirname "$0")/../common/preamble"
. "$(dirname "$0")/../common/scanrc"

_require_cmd strace
_require_storeobj

_scan_scratch 1g

# the object lines of the audit, filtered, in a fixed order
_audit()
{
	_scan "$@" > $tmp.audit
	# the files of a shared object in name order (the tool: inode order)
	grep -E '^(orphan|deleted|missing|corrupt|shared) ' $tmp.audit |
		sed -E 's/[0-9a-f]{32}/OBJ/' | python3 -c '
import re, sys
for line in sys.stdin:
    if line.startswith("shared "):
        head, rest = line.split(":", 1)
        files = re.findall(r"\x27[^\x27]*\x27 \([^)]*\)|inode \S+ \([^)]*\)", rest)
        line = head + ": " + " ".join(sorted(files)) + "\n"
    sys.stdout.write(line)' | sort
	grep -E '^(store objects|orphans|missing|corrupt|shared|removed|kept|lost):|^exit|^xfs_hsmscan' \
		$tmp.audit
}

for f in keep rel orphan missing lostrel corrupt shared; do
	head -c $((1 << 20)) /dev/urandom > $M/$f
done
head -c $((4 << 20)) /dev/urandom > $M/pending
"$XFS_HSM" migrate --keep $M/keep $M/orphan $M/missing $M/corrupt $M/shared
"$XFS_HSM" migrate $M/rel $M/lostrel
sum_keep=$(_sha $M/keep)
# an orphan: its file is gone
orphan=$(_scan_oid $M/orphan)
rm $M/orphan
# missing copies, of a dual-state file and of a released one
_store_rm "$(_scan_oid $M/missing)"
_store_rm "$(_scan_oid $M/lostrel)"
# a corrupt copy: one byte flipped
_store_corrupt "$(_scan_oid $M/corrupt)" 4242
# a copy of the record: two files name one object
cp -a $M/shared $M/shared-copy
# an interrupted migrate, after its object was committed
LIBHSM_FAULT=batch-published "$XFS_HSM" migrate $M/pending >> $seqres.full 2>&1
pend=$(_scan_oid $M/pending)
_store_has "$pend" && echo "pending: object committed, record migrating"

echo "== audit"
_audit --audit --paths $M
_status_short $M/missing $M/lostrel

echo "== audit --verify"
_audit --verify --paths $M
_status_short $M/corrupt

echo "== gc: the orphan is younger than the grace period"
_audit --gc $M
_store_has "$orphan" && echo "orphan kept"

echo "== gc --grace 0, while a migrate is held after its commit"
head -c $((8 << 20)) /dev/urandom > $M/running
# the migrate's third fsetxattr is its ARCHIVED record (the first its
# MIGRATING record, the second the store object's metadata): until then
# only the MIGRATING record names the committed object
strace -f --seccomp-bpf -o $tmp.strace -e trace=fsetxattr \
	-e inject=fsetxattr:delay_enter=4000000:when=3 \
	"$XFS_HSM" migrate --keep $M/running >> $seqres.full 2>&1 &
tracer=$!
_bg_track $tracer
for i in $(seq 200); do
	o=$(_scan_oid $M/running)
	[ "$o" != None ] && _store_has "$o" && break
	sleep 0.05
done
running=$o
_status_short $M/running
_audit --gc --grace 0 $M
wait $tracer
echo "migrate exit=$?"
_store_has "$orphan" || echo "orphan removed"
_store_has "$pend" && echo "pending migrate's object kept"
_store_has "$running" && echo "running migrate's object kept"
_status_short $M/running
n=0
for f in $M/*; do
	o=$(_scan_oid $f)
	[ "$o" = None ] && continue
	_store_has "$o" || [ $f = $M/missing ] ||
	[ $f = $M/lostrel ] || echo "$(basename $f): object gone"
	n=$((n + 1))
done
echo "every object a record names is still there ($n records)"
"$XFS_HSM" recall $M/keep && [ "$(_sha $M/keep)" = "$sum_keep" ] &&
	echo "keep: data intact"

echo "== no gc while a record is bad"
rm $M/keep
setfattr -n trusted.hsm -v 0x58485331deadbeef $M/corrupt
_audit --gc --grace 0 $M
_store_has "$(_scan_oid $M/shared)" && echo "keep's object still there"
echo "objects in store: $(_objects)"

echo "== repair, then the audit finds only what is left"
"$XFS_HSM" forget $M/shared-copy >> $seqres.full 2>&1
setfattr -x trusted.hsm $M/corrupt
_scan --repair $M | grep -E '^(repaired|not repaired):|^repaired|^exit'
# forget of the copy kept the object: it was archived from the original,
# which still names it (no longer missing, nothing flagged lost)
_audit --gc --grace 0 --paths $M

status=0
exit
