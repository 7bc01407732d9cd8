#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# 021-copy-tools: copies of released files made by the real tools are
# byte-identical.  GNU cp and tar --sparse decide from st_blocks to probe
# holes with SEEK_DATA, bsdtar always probes: all three would skip a
# punched file without reading it (no event at all), so the daemon acts at
# open time: whole mode recalls the file, range mode reserves blocks so
# st_blocks looks full.  rsync and Python's shutil.copyfile read
# everything.  bsdtar is not run in range mode: it probes whatever
# st_blocks says, and xfs_hsmd(8) says so (use whole mode for trees that
# archivers read).
# Afterwards the source files are resident again with their data maps
# (holes stay holes), mtimes and sizes as before.

. "$(dirname "$0")/../common/preamble"

_require_scratch
_require_xfs_hsmd
_require_cmd tar bsdtar rsync cp

_scratch_setup 1g
_init_store
M=$SCRATCH_MNT
mkdir $M/d
head -c 4M /dev/urandom > $M/d/data
head -c 1M /dev/urandom > $M/d/sparse
head -c 1M /dev/urandom | dd of=$M/d/sparse bs=1M seek=5 conv=notrunc status=none
truncate -s 8M $M/d/sparse
head -c 100 /dev/urandom > $M/d/small
files="data sparse small"
for f in $files; do
	_fingerprint_nb $M/d/$f > $tmp.fp.$f
done
"$XFS_HSM" migrate --keep $M/d/* 2>> $seqres.full

OUT=$TEST_DIR/out

# _release: all three released, as the status says
_release()
{
	"$XFS_HSM" release $M/d/* 2>> $seqres.full ||
		_fail "release through the daemon failed"
	for f in $files; do
		[ "$(_state $M/d/$f)" = released ] || _fail "$f not released"
	done
}

# _check TOOL: the copies in $OUT equal the originals; the sources are
# resident with their old fingerprint (map, mtime, size)
_check()
{
	local tool=$1 f ok=yes

	for f in $files; do
		if [ "$(_sha $OUT/$f)" != "$(cat $tmp.sha.$f)" ]; then
			echo "$tool: bytes of $f differ"
			ok=no
		fi
		if ! _fingerprint_nb $M/d/$f | diff -q - $tmp.fp.$f > /dev/null
		then
			echo "$tool: source $f changed"
			_fingerprint_nb $M/d/$f | diff - $tmp.fp.$f >> $seqres.full
			ok=no
		fi
	done
	echo "$tool: $ok"
}

for f in $files; do
	sha256sum < $M/d/$f | cut -d' ' -f1 > $tmp.sha.$f
done

for mode in whole range; do
	echo "== mode $mode"
	_start_daemon --mode $mode

	_release; rm -rf $OUT; mkdir $OUT
	cp $M/d/data $M/d/sparse $M/d/small $OUT/
	_check "cp"

	_release; rm -rf $OUT; mkdir $OUT
	tar --sparse -C $M/d -cf $TEST_DIR/t.tar $files
	tar -C $OUT -xf $TEST_DIR/t.tar
	_check "tar --sparse"

	if [ $mode = whole ]; then
		_release; rm -rf $OUT; mkdir $OUT
		bsdtar -C $M/d -cf $TEST_DIR/b.tar $files
		bsdtar -C $OUT -xf $TEST_DIR/b.tar
		_check "bsdtar"
	fi

	_release; rm -rf $OUT; mkdir $OUT
	rsync -a $M/d/ $OUT/
	_check "rsync"

	_release; rm -rf $OUT; mkdir $OUT
	python3 -c '
import shutil, sys
for f in sys.argv[2:]:
    shutil.copyfile(sys.argv[1] + "/" + f, "'$OUT'/" + f)' $M/d $files
	_check "shutil.copyfile"

	echo "failures: $(_stat failures)"
	_stop_daemon
done

status=0
exit
