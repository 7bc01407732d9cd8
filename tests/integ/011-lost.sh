#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# 011-lost: a store copy that is missing or corrupt is never trusted.
# Recall checks every chunk against its checksum before writing it, so a
# flipped byte in the object puts no wrong byte in the file: the file is
# flagged lost and stays released.  Release refuses a file whose copy is
# gone.  Migrating a resident lost file makes a new copy.

. "$(dirname "$0")/../common/preamble"

_require_scratch
_require_storeobj

_scratch_setup 1g
_init_store
M=$SCRATCH_MNT

echo "== corrupt object: recall refuses, no wrong byte written"
head -c 3M /dev/urandom > $M/c
"$XFS_HSM" migrate $M/c
# flip one byte in the second MiB chunk
_store_corrupt "$(_file_oid $M/c)" $((1048576 + 4242))
_hsm recall $M/c
_status_short $M/c
# chunk 0 verified and was written; chunk 1 failed its checksum: nothing
# of it (and nothing after it) is in the file
python3 - "$M/c" <<'PY'
import sys
d = open(sys.argv[1], "rb").read()
print("chunk 1 and 2 zeros:", d[1 << 20:] == bytes(len(d) - (1 << 20)))
PY
echo "== lost stays: a second recall is refused without reading"
_hsm recall $M/c

echo "== missing object: release refuses and flags lost"
head -c 1M /dev/urandom > $M/m
sum_m=$(_sha $M/m)
"$XFS_HSM" migrate --keep $M/m
_store_rm "$(_file_oid $M/m)"
_hsm release $M/m
_status_short $M/m
[ "$(_sha $M/m)" = "$sum_m" ] && echo "m: data intact"

echo "== migrate of a resident lost file makes a new copy"
_hsm migrate $M/m
_status_short $M/m
_hsm recall $M/m
[ "$(_sha $M/m)" = "$sum_m" ] && echo "m: recalled from the new copy"

status=0
exit
