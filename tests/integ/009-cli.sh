#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# 009-cli: the command line contract that needs no filesystem: version,
# help, usage errors (exit 8 with the try-help line), the root check
# (exit 4), and write errors on stdout.

. "$(dirname "$0")/../common/preamble"

_require_root
_require_xfs_hsm
_require_cmd setpriv

echo "== version"
_hsm -V
_hsm --version

echo "== help"
"$XFS_HSM" --help > "$tmp.help" 2>&1
echo "exit=$?"
head -n 1 "$tmp.help"
for c in init migrate release recall forget status set clear; do
	grep -q "^ *$c " "$tmp.help" && echo "lists $c"
done
"$XFS_HSM" -h | cmp -s - "$tmp.help" && echo "-h is --help"
for c in init migrate release recall forget status set clear; do
	"$XFS_HSM" $c --help > "$tmp.chelp" 2>&1
	rc=$?
	echo "$c --help: exit=$rc, $(grep -c "xfs_hsm $c" "$tmp.chelp") usage line(s)"
	"$XFS_HSM" help $c > "$tmp.hhelp" 2>&1
	rc=$?
	echo "help $c: exit=$rc, first line: $(head -n 1 "$tmp.hhelp" | cut -d' ' -f1)"
done

echo "== usage errors"
_hsm --bogus
_hsm frobnicate
_hsm migrate
_hsm migrate --bogus /
_hsm init /
_hsm status
_hsm help frob

echo "== not root"
# the build tree may sit under a 0700 directory (a mktemp -d clone) that
# an unprivileged user cannot enter: run a copy from TEST_DIR (0755)
mkdir -p "$TEST_DIR/bin"
bin=$(dirname "$XFS_HSM")/.libs/xfs_hsm
[ -x "$bin" ] || bin=$XFS_HSM
cp "$bin" "$TEST_DIR/bin/xfs_hsm"
cp -P "$HSM_BUILDDIR"/libhsm/.libs/libhsm.so* "$TEST_DIR/bin/" 2> /dev/null
chmod -R a+rX "$TEST_DIR/bin"
setpriv --reuid=65534 --regid=65534 --clear-groups \
	env LD_LIBRARY_PATH="$TEST_DIR/bin" "$TEST_DIR/bin/xfs_hsm" status / \
	> "$tmp.out" 2>&1
echo "exit=$?"
cat "$tmp.out"

echo "== write error on stdout"
"$XFS_HSM" -V > /dev/full 2> "$tmp.err"
rc=$?
[ $rc -ne 0 ] && echo "write error detected"
cat "$tmp.err"

status=0
exit
