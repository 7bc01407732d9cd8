#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# 007-corrupt-record: a trusted.hsm record that fails its checks is never
# acted on.  Records planted with setfattr (bad checksum, another version,
# truncated, empty, foreign bytes; on a resident and on a released file):
# status, migrate, release, recall and forget report the file and exit 1;
# the data, st_blocks and the xattr are left exactly as they were; a good
# file in the same batch is still handled.
#
# The v2 layout (libhsm/base/record.c): "XHSM", version byte at offset 4,
# 160 bytes, XXH3-64 of bytes 0..151 at 152.

. "$(dirname "$0")/../common/preamble"

_require_scratch

_scratch_setup 1g
_init_store

M=$SCRATCH_MNT

for n in ref rel badcsum badversion truncated empty foreign good; do
	head -c 1048576 /dev/urandom > "$M/$n"
done
sync
"$XFS_HSM" migrate --keep "$M/ref" >> "$seqres.full" 2>&1 ||
	_fail "migrate --keep ref failed"
"$XFS_HSM" migrate "$M/rel" >> "$seqres.full" 2>&1 ||
	_fail "migrate rel failed"
good=$(_hexrec "$M/ref")
[ ${#good} -eq 320 ] || _fail "unexpected record length: $good"
[ "${good:0:8}" = 5848534d ] || _fail "unexpected record magic: $good"

# _flip HEX BYTE: HEX with byte BYTE xor 0xff
_flip()
{
	local hex=$1 i=$(($2 * 2)) b

	b=$(printf '%02x' $((0x${hex:$i:2} ^ 0xff)))
	echo "${hex:0:$i}$b${hex:$((i + 2))}"
}

# _plant FILE HEX: set trusted.hsm to HEX (empty: an empty value)
_plant()
{
	if [ -z "$2" ]; then
		setfattr -n trusted.hsm -v '""' "$1"
	else
		setfattr -n trusted.hsm -v "0x$2" "$1"
	fi || _fail "setfattr $1 failed"
}

_plant "$M/badcsum" "$(_flip "$good" 40)"	# inside the size field
_plant "$M/badversion" "${good:0:8}7f${good:10}"
_plant "$M/truncated" "${good:0:120}"
_plant "$M/empty" ""
_plant "$M/foreign" "$(printf 'not an hsm record, just bytes' | od -An -tx1 | tr -d ' \n')"
# the released file: payload corrupted, data stays punched
_plant "$M/rel" "$(_flip "$(_hexrec "$M/rel")" 100)"

bad="badcsum badversion truncated empty foreign rel"
for n in $bad; do
	_fingerprint "$M/$n" > "$tmp.fp.$n"
	getfattr --absolute-names -d -m - -e hex "$M/$n" > "$tmp.xattr.$n" 2>&1
done

for n in $bad; do
	echo "== $n"
	for cmd in status migrate release recall forget; do
		_hsm $cmd "$M/$n"
	done
	_hsm migrate --keep "$M/$n"
	"$XFS_HSM" status --json "$M/$n" 2> /dev/null | python3 -c '
import json, sys
f = json.load(sys.stdin)["files"][0]
print("json state", f["state"], "error", f.get("error"))'
	_fingerprint "$M/$n" | diff "$tmp.fp.$n" - && echo "$n: data untouched"
	getfattr --absolute-names -d -m - -e hex "$M/$n" 2>&1 |
		diff "$tmp.xattr.$n" - && echo "$n: xattrs untouched"
done

echo "== batch with a good file"
_hsm migrate "$M/good" "$M/badcsum"
_hsm status "$M/good" "$M/badcsum"
_fingerprint "$M/badcsum" | diff "$tmp.fp.badcsum" - && echo "badcsum: data untouched"

status=0
exit
