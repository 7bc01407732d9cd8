#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# 024-ignore-release: a resident file gets an ignore mark after its first
# event, so its later opens and reads cost nothing.  Releasing it must
# take that mark away first, or its next reader would read zeros.  The
# exact sequence, many times: read (marked), release through the daemon,
# read again (right bytes), for a file read by open/read, by mmap and by
# exec, and with other readers of other files going on.  A release while
# someone holds the file open is refused, and the file stays readable.

. "$(dirname "$0")/../common/preamble"

_require_scratch
_require_xfs_hsmd

_scratch_setup 1g
_init_store
M=$SCRATCH_MNT
head -c 2M /dev/urandom > $M/f
cp /bin/true $M/prog
sha=$(_sha $M/f)
"$XFS_HSM" migrate --keep $M/f $M/prog 2>> $seqres.full
_start_daemon

echo "== read, release, read: 20 rounds"
ok=0
for i in $(seq 20); do
	cat $M/f > /dev/null			# resident: now ignored
	"$XFS_HSM" release $M/f 2>> $seqres.full || echo "release $i failed"
	[ "$(_state $M/f)" = released ] || echo "round $i: not released"
	[ "$(_sha $M/f)" = "$sha" ] && ok=$((ok + 1))
done
echo "right bytes after $ok of 20 releases"
echo "ignore marks were added: $([ "$(_stat ignored)" -ge 20 ] && echo yes || echo no)"

echo "== the same with mmap and exec"
ok=0
for i in $(seq 5); do
	python3 -c 'import mmap,os,sys; fd=os.open(sys.argv[1],os.O_RDONLY); mmap.mmap(fd,0,prot=mmap.PROT_READ)[:]' $M/f
	"$M/prog" || echo "exec $i failed"
	"$XFS_HSM" release $M/f $M/prog 2>> $seqres.full
	[ "$(_sha $M/f)" = "$sha" ] && "$M/prog" && ok=$((ok + 1))
done
echo "right bytes and a running program after $ok of 5 releases"

echo "== release of a file held open"
exec 3< $M/f
_hsm release $M/f
[ "$(_sha $M/f)" = "$sha" ] && echo "still right bytes"
exec 3<&-
_hsm release $M/f
_status_short $M/f
echo "failures: $(_stat failures)"

status=0
exit
