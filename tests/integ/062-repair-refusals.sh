#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# 062-repair-refusals: what --repair must leave alone, and says why
# (exit 1 with the reason per file):
#  A. an operation whose owner still runs (a migrate held by strace at
#     its ARCHIVED record write): reported "in progress", its record and its
#     object untouched; once it finishes, the file is archived;
#  B. an interrupted release of a file someone has open: no exclusive
#     lease, nothing punched; repaired once the file is closed;
#  C. a store that is not there (not mounted): nothing repaired, exit 4;
#     repaired once it is back;
#  D. an interrupted release whose store copy is gone: the audit leaves
#     it to the repair, which never punches: the data is all there, so the
#     release is undone (the file flagged lost); migrate makes a new copy.

. "$(dirname "$0")/../common/preamble"
. "$(dirname "$0")/../common/scanrc"

_require_cmd strace
_require_storeobj

_scan_scratch 1g

echo "== A. a live owner"
head -c $((16 << 20)) /dev/urandom > $M/live
sum=$(_sha $M/live)
# hold the migrate 4 s at its third fsetxattr (the ARCHIVED record; the
# second gives the store object its metadata)
strace -f --seccomp-bpf -o $tmp.strace -e trace=fsetxattr \
	-e inject=fsetxattr:delay_enter=4000000:when=3 \
	"$XFS_HSM" migrate --keep $M/live >> $seqres.full 2>&1 &
tracer=$!
_bg_track $tracer
for i in $(seq 100); do
	[ -n "$(_hexrec $M/live)" ] && break
	sleep 0.05
done
_status_short $M/live
_scan $M | grep -E '^pending:|^exit|crash'
_scan --repair $M | grep -E '^(repaired|not repaired):|repair|^exit'
wait $tracer
echo "migrate exit=$?"
_status_short $M/live
[ "$(_sha $M/live)" = "$sum" ] && echo "live: data intact"
_scan --audit $M | grep -E '^(orphans|missing):'

echo "== B. a released file someone has open"
head -c $((4 << 20)) /dev/urandom > $M/busy
sum=$(_sha $M/busy)
"$XFS_HSM" migrate --keep $M/busy
LIBHSM_FAULT=release-pending "$XFS_HSM" release $M/busy >> $seqres.full 2>&1
exec 3< $M/busy
_scan --repair --paths $M | grep -E '^(repaired|not repaired):|repair|^exit'
[ "$(_blocks $M/busy)" -gt 0 ] && echo "busy: nothing punched while open"
exec 3<&-
_scan --repair --paths $M | grep -E '^(repaired|not repaired):|repair|^exit'
_status_short $M/busy
"$XFS_HSM" recall $M/busy
[ "$(_sha $M/busy)" = "$sum" ] && echo "busy: data intact after recall"

echo "== C. the store is not there"
head -c $((4 << 20)) /dev/urandom > $M/nostore
sum=$(_sha $M/nostore)
LIBHSM_FAULT=migrate-copied "$XFS_HSM" migrate $M/nostore >> $seqres.full 2>&1
mv $STORE $STORE.away
_scan --repair $M | grep -E '^(repaired|not repaired):|repair|unusable|^exit'
_status_short $M/nostore
mv $STORE.away $STORE
_scan --repair --paths $M | grep -E '^(repaired|not repaired):|repair|^exit'
_status_short $M/nostore
[ "$(_sha $M/nostore)" = "$sum" ] && echo "nostore: data intact"
# partial uploads are the posix store's temporary files: its directory
echo "store leftovers: $(_store_files | wc -l)"

echo "== D. an interrupted release whose copy is gone"
head -c $((4 << 20)) /dev/urandom > $M/gone
sum=$(_sha $M/gone)
"$XFS_HSM" migrate --keep $M/gone
o=$(_scan_oid $M/gone)
LIBHSM_FAULT=release-pending "$XFS_HSM" release $M/gone >> $seqres.full 2>&1
_store_rm "$o"
_scan --audit --paths $M | grep -E '^missing|^exit' | sed -E 's/[0-9a-f]{32}/OBJ/'
_scan --repair --paths $M | grep -E '^(repaired|not repaired):|repair|^exit'
_status_short $M/gone
[ "$(_sha $M/gone)" = "$sum" ] && echo "gone: nothing punched, data intact"
"$XFS_HSM" migrate $M/gone
_status_short $M/gone
"$XFS_HSM" recall $M/gone
[ "$(_sha $M/gone)" = "$sum" ] && echo "gone: recalled from its new copy"
# the same after the punch: the data is gone with the copy; said so
head -c $((4 << 20)) /dev/urandom > $M/punched
"$XFS_HSM" migrate --keep $M/punched
o=$(_scan_oid $M/punched)
LIBHSM_FAULT=release-punched "$XFS_HSM" release $M/punched >> $seqres.full 2>&1
_store_rm "$o"
_scan --repair --paths $M | grep -E '^(repaired|not repaired):|repair|^exit'
_status_short $M/punched

status=0
exit
