#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# 000-harness: the test harness itself, without xfs_hsm: a scratch XFS
# mounts on a loop device, the probes (_datamap, _fingerprint) see a known
# layout, the filters replace volatile paths, and _cleanup leaves no mount.

. "$(dirname "$0")/../common/preamble"

_require_root
_require_loop
_require_xfs
_require_python3

_scratch_setup 1g

echo "== scratch"
findmnt -n -o FSTYPE "$SCRATCH_MNT"
echo "$SCRATCH_MNT $STORE $TEST_DIR/x" | _filter_scratch
findmnt -n -o UUID "$SCRATCH_MNT" | _filter_uuid
echo "xfs_hsm: migrate: 3 files, 12.0 MiB in 0.05 s (240.0 MiB/s), 1 failed" |
	_filter_summary

echo "== data map"
f=$SCRATCH_MNT/sparse
xfs_io -f -c "pwrite -q -S 0x61 0 4096" -c "pwrite -q -S 0x62 1m 64k" \
	-c "truncate 10m" "$f"
_datamap "$f"
_blocks "$f"
: > "$SCRATCH_MNT/empty"
_datamap "$SCRATCH_MNT/empty"
echo "(empty map above)"

echo "== fingerprint"
_fingerprint "$f" > "$tmp.fp1"
grep -E '^(size|map)' "$tmp.fp1"
touch -d @1000000000.123456789 "$f"
_fingerprint "$f" | grep '^mtime'
_fingerprint "$f" | diff "$tmp.fp1" - | grep -c '^[<>]'
# holes and data are told apart even when the bytes are the same
g=$SCRATCH_MNT/dense
xfs_io -f -c "pwrite -q -S 0x61 0 4096" -c "pwrite -q -S 0 4096 1044480" \
	-c "pwrite -q -S 0x62 1m 64k" -c "truncate 10m" "$g"
cmp "$f" "$g" && echo "same bytes"
_fingerprint "$g" | grep '^map'
[ "$(_fingerprint "$f" | grep sha256)" != "$(_fingerprint "$g" | grep sha256)" ] &&
	echo "different digests"

echo "== cycle mount"
_scratch_cycle_mount
_fingerprint "$f" | grep -E '^(size|map|mtime)'

status=0
exit
