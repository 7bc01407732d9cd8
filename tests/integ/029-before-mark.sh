#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# 029-before-mark: the kernel decides at open time whether a file raises
# pre-content events, so a file opened before the daemon placed its mark
# never raises any: a released file read through such an fd reads zeros
# (xfs_hsmd(8) says so, and why the daemon must start right after the
# mount).  A fresh open of the same file reads the right bytes.

. "$(dirname "$0")/../common/preamble"

_require_scratch
_require_xfs_hsmd

_scratch_setup 1g
_init_store
M=$SCRATCH_MNT
head -c 1M /dev/urandom > $M/f
sha=$(_sha $M/f)
"$XFS_HSM" migrate $M/f 2>> $seqres.full
exec 3< $M/f			# before the daemon
_start_daemon
python3 - <<'PY'
import os
b = os.pread(3, 65536, 0)
print("through the fd opened before the daemon:",
      "zeros" if b == bytes(len(b)) else "data")
PY
exec 3<&-
[ "$(_sha $M/f)" = "$sha" ] && echo "a fresh open: right bytes"

status=0
exit
