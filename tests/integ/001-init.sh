#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# 001-init: binding a store to a filesystem.  The happy path, the no-op
# re-init, every refusal of the contract (each exits 4 and changes nothing),
# the store marker and its 0700 mode, and a binding that survives a remount.

. "$(dirname "$0")/../common/preamble"

_require_scratch

_scratch_setup 1g
_mkfs_mount mnt2 512m
MNT2=$TEST_DIR/mnt2
STORE2=$TEST_DIR/store2
mkdir -p "$STORE2" "$TEST_DIR/plain" "$SCRATCH_MNT/sub"

# _binding MNT: say whether MNT's root directory carries an HSM xattr
_binding()
{
	if getfattr --absolute-names -d -m '^trusted\.hsm' "$1" 2> /dev/null |
	   grep -q '^trusted'; then
		echo "$1: binding recorded" | _filter_scratch
	else
		echo "$1: no binding" | _filter_scratch
	fi
}

# _store_contents DIR: what is in a store directory
_store_contents()
{
	local c

	c=$(ls -A "$1" | xargs)
	echo "$1: ${c:-empty}" | _filter_scratch
}

echo "== refusals on an unbound filesystem"
_hsm init --store "posix:$STORE" "$TEST_DIR/plain"
_hsm init --store "posix:$STORE" "$SCRATCH_MNT/sub"
_hsm init --store "posix:$SCRATCH_MNT/sub" "$SCRATCH_MNT"
_hsm init --store "posix:$TEST_DIR/missing" "$SCRATCH_MNT"
# a store directory nobody can write: a read-only bind mount
mkdir -p "$TEST_DIR/rosrc" "$TEST_DIR/ro"
mount --bind "$TEST_DIR/rosrc" "$TEST_DIR/ro" &&
	mount -o remount,bind,ro "$TEST_DIR/ro" ||
	_fail "cannot make a read-only bind mount"
_hsm init --store "posix:$TEST_DIR/ro" "$SCRATCH_MNT"
echo "-- nothing changed"
_binding "$SCRATCH_MNT"
_store_contents "$STORE"
_store_contents "$TEST_DIR/rosrc"
[ -e "$TEST_DIR/missing" ] && echo "missing store directory was created"
stat -c '%a' "$STORE"

echo "== init"
_hsm init --store "posix:$STORE" "$SCRATCH_MNT"
uuid=$(findmnt -n -o UUID "$SCRATCH_MNT")
grep -q "filesystem uuid $uuid)" "$tmp.hsm.out" &&
	echo "printed uuid is the filesystem's"
_binding "$SCRATCH_MNT"
echo "store mode $(stat -c '%a' "$STORE")"
[ -f "$STORE/.xfs-hsm-store" ] && echo "store marker present"

echo "== init again: no-op"
cp "$STORE/.xfs-hsm-store" "$tmp.marker"
_hsm init --store "posix:$STORE" "$SCRATCH_MNT"
cmp -s "$STORE/.xfs-hsm-store" "$tmp.marker" && echo "store marker unchanged"

echo "== filesystem already bound to another store"
_hsm init --store "posix:$STORE2" "$SCRATCH_MNT"
_store_contents "$STORE2"
stat -c '%a' "$STORE2"

echo "== store already bound to another filesystem"
_hsm init --store "posix:$STORE" "$MNT2"
_binding "$MNT2"
cmp -s "$STORE/.xfs-hsm-store" "$tmp.marker" && echo "store marker unchanged"

echo "== second filesystem, its own store"
_hsm init --store "posix:$STORE2" "$MNT2"
_binding "$MNT2"
echo "store2 mode $(stat -c '%a' "$STORE2")"

echo "== binding survives a remount"
_scratch_cycle_mount
_hsm init --store "posix:$STORE" "$SCRATCH_MNT"
: > "$SCRATCH_MNT/sub/empty"
_hsm status "$SCRATCH_MNT/sub/empty"

status=0
exit
