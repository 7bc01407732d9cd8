#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# 022-mmap-exec: mmap() raises one event, at mmap time, for the range
# mapped, and page faults raise none: the mapped range must be back before
# mmap returns.  A reader that maps a released file and hashes the mapping
# gets the right bytes, in both modes; in range mode a mapping of one
# range brings back that range only.  A released program runs (exec reads
# it through several events; a denial would fail the exec).
# copy_file_range(2) and sendfile(2) out of a released file copy its bytes.

. "$(dirname "$0")/../common/preamble"

_require_scratch
_require_xfs_hsmd

_scratch_setup 1g
_init_store
M=$SCRATCH_MNT
head -c 6M /dev/urandom > $M/map
sha=$(_sha $M/map)
sha_mid=$(dd if=$M/map bs=1M skip=3 count=1 status=none | sha256sum | cut -d' ' -f1)
cp /bin/echo $M/echo
"$XFS_HSM" migrate $M/map $M/echo 2>> $seqres.full

# _maphash FILE [OFF LEN]: sha256 of a mapping (all of it by default)
_maphash()
{
	python3 - "$@" <<'PY'
import hashlib, mmap, os, sys
fd = os.open(sys.argv[1], os.O_RDONLY)
off = int(sys.argv[2]) if len(sys.argv) > 2 else 0
ln = int(sys.argv[3]) if len(sys.argv) > 3 else os.fstat(fd).st_size - off
m = mmap.mmap(fd, ln, prot=mmap.PROT_READ, offset=off)
print(hashlib.sha256(m[:]).hexdigest())
PY
}

for mode in whole range; do
	echo "== mode $mode"
	_start_daemon --mode $mode --readahead 0
	"$XFS_HSM" release $M/map $M/echo 2>> $seqres.full
	_status_short $M/map
	if [ $mode = range ]; then
		# one MiB in the middle: that much comes back, no more
		[ "$(_maphash $M/map 3145728 1048576)" = "$sha_mid" ] &&
			echo "mapped range: same bytes"
		_settle $M/map
		_status_short $M/map
	fi
	[ "$(_maphash $M/map)" = "$sha" ] && echo "whole mapping: same bytes"
	"$M/echo" "released echo runs"
	"$XFS_HSM" release $M/map 2>> $seqres.full
	python3 - $M/map $M/cfr <<'PY'
import os, sys
src = os.open(sys.argv[1], os.O_RDONLY)
dst = os.open(sys.argv[2], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
n, size = 0, os.fstat(src).st_size
while n < size:
    n += os.copy_file_range(src, dst, size - n, n, n)
PY
	[ "$(_sha $M/cfr)" = "$sha" ] && echo "copy_file_range: same bytes"
	rm -f $M/cfr
	"$XFS_HSM" release $M/map 2>> $seqres.full
	python3 - $M/map $TEST_DIR/sf <<'PY'
import os, sys
src = os.open(sys.argv[1], os.O_RDONLY)
dst = os.open(sys.argv[2], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
n, size = 0, os.fstat(src).st_size
while n < size:
    n += os.sendfile(dst, src, n, size - n)
PY
	[ "$(_sha $TEST_DIR/sf)" = "$sha" ] && echo "sendfile: same bytes"
	_daemon_idle
	_status_short $M/map $M/echo
	echo "failures: $(_stat failures)"
	_stop_daemon
done

status=0
exit
