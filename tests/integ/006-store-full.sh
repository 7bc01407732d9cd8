#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# 006-store-full: the store runs out of space.  With the store on a small
# XFS, migrating a file larger than its free space fails with "No space left
# on device"; the file stays resident and unchanged (content, mtime,
# blocks), no operation is left pending, and the store keeps no object, no
# temporary file and no space.  Smaller files still migrate afterwards, also
# in a batch where the big one fails again.

. "$(dirname "$0")/../common/preamble"

_require_scratch
_require_storeobj

_scratch_setup 1g
_store_fs_setup 300m
_init_store

M=$SCRATCH_MNT

# _store_avail: free bytes on the store filesystem
_store_avail()
{
	sync
	stat -f -c '%a %S' "$STORE" | awk '{ print $1 * $2 }'
}

avail0=$(_store_avail)
echo "store free at start: $avail0" >> "$seqres.full"
[ "$avail0" -lt $((256 << 20)) ] || _fail "store has $avail0 bytes free"

head -c $((256 << 20)) /dev/urandom > "$M/big"
head -c 1048576 /dev/urandom > "$M/small"
head -c 1048576 /dev/urandom > "$M/small2"
sync
_fingerprint "$M/big" > "$tmp.fp.big"
_fingerprint "$M/small" > "$tmp.fp.small"

echo "== migrate a file larger than the store"
_hsm migrate "$M/big"
_fingerprint "$M/big" | diff "$tmp.fp.big" - && echo "big: untouched"
_hsm status "$M/big" | _filter_resident
"$XFS_HSM" status --json "$M/big" 2> /dev/null | python3 -c '
import json, sys
f = json.load(sys.stdin)["files"][0]
print("pending", f["pending"], "object", f["object"], "dirty", f["dirty"])'
echo "objects in store: $(_objects)"
echo "other files in store:"
_store_files	# the posix store's own temporary files: in its directory
avail1=$(_store_avail)
echo "store free after: $avail1" >> "$seqres.full"
[ $((avail0 - avail1)) -lt $((1 << 20)) ] && echo "store space given back"

echo "== a smaller file still migrates"
_hsm migrate -v "$M/small"
_hsm status "$M/small"
echo "objects in store: $(_objects)"
_hsm recall "$M/small"
_fingerprint "$M/small" | grep -v '^blocks ' |
	diff <(grep -v '^blocks ' "$tmp.fp.small") - && echo "small: recalled"

echo "== batch: the big file fails again, the other one migrates"
_hsm migrate "$M/big" "$M/small2"
_fingerprint "$M/big" | diff "$tmp.fp.big" - && echo "big: untouched"
_hsm status "$M/big" "$M/small2" | _filter_resident
echo "objects in store: $(_objects)"
echo "other files in store:"
_store_files	# as above

status=0
exit
