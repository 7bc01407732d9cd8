#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# 004-changed: a file changed after `migrate --keep` is never released.
# Changes by write, mmap write, truncate, fallocate, O_TRUNC open + write,
# and a write hidden by putting the old mtime back (touch -d): release
# refuses with "file changed since it was archived" (exit 1), the data is
# intact, status shows D; migrate then makes a new copy and releases, and
# recall brings back the changed content.

. "$(dirname "$0")/../common/preamble"

_require_scratch
_require_storeobj

_scratch_setup 1g
_init_store

kinds="write mmap truncate fallocate otrunc touchback"

_change()
{
	local kind=$1 f=$2 old

	case $kind in
	write)
		xfs_io -c "pwrite -q -S 0x55 4096 100" "$f" ;;
	mmap)
		python3 -c '
import mmap, os, sys
fd = os.open(sys.argv[1], os.O_RDWR)
m = mmap.mmap(fd, 0)
m[8192:8200] = b"mmapped!"
m.flush()
m.close()
os.close(fd)' "$f" ;;
	truncate)
		truncate -s 524288 "$f" ;;
	fallocate)
		xfs_io -c "falloc 1m 1m" "$f" ;;
	otrunc)
		head -c 1048576 /dev/urandom > "$f" ;;
	touchback)
		old=$(stat -c %.9Y "$f")
		head -c 100 /dev/urandom |
			dd of="$f" bs=100 seek=123 oflag=seek_bytes conv=notrunc \
				status=none
		touch -m -d "@$old" "$f"
		[ "$(stat -c %.9Y "$f")" = "$old" ] ||
			echo "touchback: could not restore mtime"
		;;
	esac
}

# _oid FILE: the object id from status --json
_oid()
{
	"$XFS_HSM" status --json "$1" 2> /dev/null |
		python3 -c 'import json,sys; print(json.load(sys.stdin)["files"][0]["object"])'
}

for k in $kinds; do
	head -c 1048576 /dev/urandom > "$SCRATCH_MNT/f_$k"
done
sync
for k in $kinds; do
	"$XFS_HSM" migrate --keep "$SCRATCH_MNT/f_$k" >> "$seqres.full" 2>&1 ||
		_fail "migrate --keep f_$k failed"
done
echo "objects in store: $(_objects)"

for k in $kinds; do
	f=$SCRATCH_MNT/f_$k
	echo "== $k"
	oid1=$(_oid "$f")
	_change $k "$f"
	_fingerprint "$f" > "$tmp.fp"
	_hsm release "$f"
	_fingerprint "$f" | diff "$tmp.fp" - > /dev/null &&
		echo "data, size, mtime, blocks untouched"
	_hsm status "$f" | _filter_resident
	"$XFS_HSM" status --json "$f" 2> /dev/null |
		python3 -c 'import json,sys; print("json dirty:", json.load(sys.stdin)["files"][0]["dirty"])'
	_hsm release "$f"
	_hsm migrate -v "$f"
	_hsm status "$f"
	oid2=$(_oid "$f")
	[ -n "$oid2" ] && [ "$oid2" != None ] && [ "$oid1" != "$oid2" ] &&
		echo "new object"
	_hsm recall "$f"
	_fingerprint "$f" | grep -v '^blocks ' |
		diff <(grep -v "^blocks " "$tmp.fp") - >> "$seqres.full" &&
		echo "changed content recalled"
done

status=0
exit
