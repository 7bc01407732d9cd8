#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# 003-sparse: holes survive migrate + recall.  A file with data at 0, 1 MiB
# and 100 MiB and a hole tail comes back with the same data map and bytes;
# a 1 TiB sparse file with a few MiB of data migrates and recalls in seconds
# and its store object stays sparse too.

. "$(dirname "$0")/../common/preamble"

_require_scratch

_scratch_setup 1g
_init_store

# _write_rand FILE OFFSET LENGTH: random bytes at OFFSET
_write_rand()
{
	head -c "$3" /dev/urandom |
		dd of="$1" bs=1M seek="$2" oflag=seek_bytes conv=notrunc \
			status=none || _fail "dd $1 failed"
}

# _store_kib: KiB allocated in the store
_store_kib()
{
	du -sk "$STORE" | cut -f1
}

echo "== holes at 0, 1 MiB, 100 MiB and a hole tail"
f=$SCRATCH_MNT/sparse
_write_rand "$f" 0 65536
_write_rand "$f" 1048576 65536
_write_rand "$f" 104857600 1048576
truncate -s 200m "$f"
_fingerprint "$f" > "$tmp.fp1"
_datamap "$f"
_hsm migrate -v "$f"
_hsm status "$f"
echo "blocks $(_blocks "$f"), data map '$(_datamap "$f" | xargs)'"
_hsm recall -v "$f"
_datamap "$f"
_fingerprint "$f" | grep -v '^blocks ' | diff <(grep -v '^blocks ' "$tmp.fp1") - &&
	echo "content, map, size, mtime and owner restored"
[ "$(_store_kib)" -lt 10240 ] && echo "store object is sparse"
echo "store KiB $(_store_kib)" >> "$seqres.full"

echo "== 1 TiB sparse file"
f=$SCRATCH_MNT/huge
truncate -s 1t "$f"
_write_rand "$f" 0 1048576
_write_rand "$f" $((3 * 1024 * 1024 * 1024 + 123)) 4096
_write_rand "$f" $((512 * 1024 * 1024 * 1024)) 2097152
_write_rand "$f" $((1024 * 1024 * 1024 * 1024 - 1048576)) 1048576
_fingerprint "$f" > "$tmp.fp2"
_datamap "$f"
t=$(_timer_start)
_hsm migrate "$f"
_within 60 "$t" "migrate of 1 TiB sparse"
_hsm status "$f"
echo "blocks $(_blocks "$f"), data map '$(_datamap "$f" | xargs)'"
[ "$(_store_kib)" -lt 20480 ] && echo "store objects are sparse"
echo "store KiB $(_store_kib)" >> "$seqres.full"
t=$(_timer_start)
_hsm recall "$f"
_within 60 "$t" "recall of 1 TiB sparse"
_datamap "$f"
_fingerprint "$f" | grep -v '^blocks ' | diff <(grep -v '^blocks ' "$tmp.fp2") - &&
	echo "content, map, size, mtime and owner restored"
_hsm status "$f" | _filter_resident

status=0
exit
