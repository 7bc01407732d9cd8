#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# 012-fs-full: the managed filesystem fills up during a recall.  The recall
# fails with "No space left on device" and exit 1; the file is partial, its
# recorded resident chunks hold the right bytes; once space is freed the
# next recall resumes and the file is whole again.

. "$(dirname "$0")/../common/preamble"

_require_scratch

_scratch_setup 320m
_init_store
M=$SCRATCH_MNT

head -c 150M /dev/urandom > $M/big
sum=$(_sha $M/big)
mt=$(_mtime_ns $M/big)
"$XFS_HSM" migrate $M/big

# leave 80 MiB free: room for one 64 MiB checkpoint, not for the file
avail=$(df --output=avail -B1M $M | tail -n 1)
dd if=/dev/zero of=$M/filler bs=1M count=$((avail - 80)) status=none \
	2>> "$seqres.full"
sync
echo "== recall into a full filesystem"
_hsm recall $M/big
state=$(_state $M/big)
echo "state: $state"
python3 - "$M/big" "$STORE" <<'PY'
import json, os, subprocess, sys
# every chunk the map says resident equals the store copy
path, store = sys.argv[1], sys.argv[2]
out = subprocess.run([os.environ["XFS_HSM"], "status", "--json", path],
                     capture_output=True, text=True).stdout
oid = json.loads(out)["files"][0]["object"]
obj = os.path.join(store, "objects", oid[:2], oid)
m = subprocess.run(["getfattr", "--absolute-names", "-e", "hex",
                    "-n", "trusted.hsm.map", path],
                   capture_output=True, text=True).stdout
bits = bytes.fromhex(m.split("=0x")[1].strip()) if "=0x" in m else b""
chunks = [i for i in range(len(bits) * 8) if bits[i // 8] >> (i % 8) & 1]
with open(path, "rb") as f, open(obj, "rb") as o:
    bad = 0
    for c in chunks:
        f.seek(c << 20); o.seek(c << 20)
        bad += f.read(1 << 20) != o.read(1 << 20)
print("resident chunks recorded:", "some" if chunks else "none",
      "- all match the store" if not bad else "- MISMATCH")
PY

echo "== space freed: recall resumes"
rm -f $M/filler
_hsm recall $M/big
_status_short $M/big
[ "$(_sha $M/big)" = "$sum" ] && echo "big: data intact"
[ "$(_mtime_ns $M/big)" = "$mt" ] && echo "big: mtime intact"

status=0
exit
