#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# 066-scan-cli: the command line contract of xfs_hsmscan: version, help,
# usage errors (exit 8 and the try-help line), paths it cannot scan
# (not XFS, missing, not a mount point: a one-line error naming it, exit
# 4), not root (exit 4), a filesystem with no store (scans; --audit is an
# operational error), an unusable state directory, write errors.

. "$(dirname "$0")/../common/preamble"
. "$(dirname "$0")/../common/scanrc"

_require_scratch
_require_xfs_hsmscan
_require_cmd setpriv

_scratch_setup 1g
M=$SCRATCH_MNT
echo data > $M/file
mkdir $M/sub

echo "== version and help"
_scan -V
_scan --version
"$XFS_HSMSCAN" --help > $tmp.help 2>&1
echo "exit=$?"
head -n 2 $tmp.help
"$XFS_HSMSCAN" -h | cmp -s - $tmp.help && echo "-h is --help"
grep -oE -- '--[a-z][a-z-]*' $tmp.help | sort -u | tr '\n' ' '
echo
# (the default state directory depends on the configured prefix)
grep -v '(default /' $tmp.help |
	awk 'length > 80 { n++ } END { print n + 0, "lines over 80 columns" }'

echo "== usage errors"
_scan
_scan $M $M
_scan --bogus $M
_scan -j 0 $M
_scan --jobs lots $M
_scan --list everything $M
_scan --list released,nope $M
_scan --grace 1h $M
_scan --gc --grace -1 $M
_scan --time-limit 10 $M
_scan --audit --resume $M
_scan --repair --quick $M
_scan --gc --quick $M

echo "== what cannot be scanned"
mkdir $TEST_DIR/tmpfs
mount -t tmpfs none $TEST_DIR/tmpfs
_scan $TEST_DIR/tmpfs
_scan /proc
_scan $TEST_DIR/nonexistent
_scan $M/sub
_scan $M/file

echo "== no store bound"
_scan $M | grep -E '^(inodes scanned|regular files|scan):|^exit'
_scan --repair $M | grep -E '^(repaired|not repaired):|^exit'
_scan --audit $M

echo "== state directory"
touch $TEST_DIR/notadir
_scan --resume --state-dir $TEST_DIR/notadir $M | grep -E '^xfs|^exit'
_scan --quick --state-dir $TEST_DIR/notadir $M | grep -E '^xfs|^exit'

echo "== not root"
mkdir -p $TEST_DIR/bin
bin=$(dirname "$XFS_HSMSCAN")/.libs/xfs_hsmscan
[ -x "$bin" ] || bin=$XFS_HSMSCAN
cp "$bin" $TEST_DIR/bin/xfs_hsmscan
cp -P "$HSM_BUILDDIR"/libhsm/.libs/libhsm.so* $TEST_DIR/bin/ 2> /dev/null
chmod -R a+rX $TEST_DIR/bin
setpriv --reuid=65534 --regid=65534 --clear-groups \
	env LD_LIBRARY_PATH=$TEST_DIR/bin $TEST_DIR/bin/xfs_hsmscan $M \
	> $tmp.out 2>&1
echo "exit=$?"
_filter_scratch < $tmp.out
setpriv --reuid=65534 --regid=65534 --clear-groups \
	env LD_LIBRARY_PATH=$TEST_DIR/bin $TEST_DIR/bin/xfs_hsmscan --help \
	> /dev/null 2>&1 && echo "--help needs no root"

echo "== write error on stdout"
"$XFS_HSMSCAN" -V > /dev/full 2> $tmp.err
[ $? -eq 4 ] && echo "write error detected, exit 4"
cat $tmp.err
"$XFS_HSMSCAN" $M > /dev/full 2> $tmp.err
[ $? -eq 4 ] && echo "write error detected, exit 4"
cat $tmp.err

status=0
exit
