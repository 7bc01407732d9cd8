#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# 065-corrupt-record: records that fail their checks (bad checksum on a
# released file, another version, truncated, oversized, foreign bytes, and
# a crashed migrate's pending record, corrupted) are reported by name and
# reason, counted, listed as "bad", and never acted on: --repair leaves
# them and their objects as they were, --gc removes nothing; exit 1.
# A record on a directory is no HSM record (libhsm writes none there):
# never read.  Values shorter than a record (truncated, foreign) sit in a
# fork too small for a real one, so the plain scan skips them by design
# (xfs_hsmscan(8), "Which inodes are read"): the counts and lists come
# from --probe-all, and the plain scan is shown to see the other four.

. "$(dirname "$0")/../common/preamble"
. "$(dirname "$0")/../common/scanrc"

_require_storeobj
_scan_scratch 1g

# _flip HEX BYTE: HEX with byte BYTE xor 0xff
_flip()
{
	local hex=$1 i=$(($2 * 2)) b

	b=$(printf '%02x' $((0x${hex:$i:2} ^ 0xff)))
	echo "${hex:0:$i}$b${hex:$((i + 2))}"
}

for n in good rel badversion truncated oversized foreign pending; do
	head -c 1048576 /dev/urandom > $M/$n
done
mkdir $M/dir
"$XFS_HSM" migrate --keep $M/good
"$XFS_HSM" migrate $M/rel
LIBHSM_FAULT=batch-published "$XFS_HSM" migrate $M/pending >> $seqres.full 2>&1
good=$(_hexrec $M/good)
[ ${#good} -eq 320 ] || _fail "unexpected record: $good"
setfattr -n trusted.hsm -v 0x$(_flip "$(_hexrec $M/rel)" 20) $M/rel
setfattr -n trusted.hsm -v 0x$(_flip "$(_hexrec $M/pending)" 20) $M/pending
setfattr -n trusted.hsm -v 0x${good:0:8}03${good:10} $M/badversion
setfattr -n trusted.hsm -v 0x${good:0:120} $M/truncated
setfattr -n trusted.hsm -v 0x$good$good $M/oversized
setfattr -n trusted.hsm -v "not a record" $M/foreign
setfattr -n trusted.hsm -v 0x$good $M/dir
for n in rel pending badversion truncated oversized foreign; do
	_hexrec $M/$n > $tmp.rec.$n
done
sum_rel_blocks=$(_blocks $M/rel)
objects=$(_objects)

echo "== scan"
_scan --probe-all --paths $M > $tmp.scan
grep -v '^xfs_hsmscan:' $tmp.scan | sed -E 's/^(bytes [a-z-]+: +).*/\1B/'
grep '^xfs_hsmscan:' $tmp.scan | sort
echo "== --list bad"
"$XFS_HSMSCAN" --probe-all --list bad --paths $M | awk '{ print $3, $4, $5, $NF }' |
	_filter_scratch | sort
_scan_json --probe-all --list bad $M
_json "sorted(f['error'] for f in d['problems'])"
_json "len(d['files']), d['summary']['bad_records']"
echo "== the plain scan: the full-length ones"
_scan_json $M
_json "d['summary']['bad_records'], d['summary']['skipped_by_fork_size']"

echo "== repair leaves them"
_scan --repair --paths $M | grep -E '^(repaired|not repaired):|^repaired|cannot|^exit'
for n in rel pending badversion truncated oversized foreign; do
	[ "$(_hexrec $M/$n)" = "$(cat $tmp.rec.$n)" ] || echo "$n: record changed"
done
[ "$(_blocks $M/rel)" = "$sum_rel_blocks" ] && echo "rel: still released"
echo "objects: $(( $(_objects) - objects ))"

echo "== gc leaves everything"
_scan --gc --grace 0 $M | grep -E '^(orphans|removed):|removed nothing|^exit'
echo "objects: $(( $(_objects) - objects ))"

status=0
exit
