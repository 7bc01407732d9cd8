#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# 005-refusals: what xfs_hsm must refuse, and the walks.  A file open for
# writing is not migrated; a file held open is not released or recalled;
# zero-length files are a no-op; symlinks, directories, devices and fifos
# named explicitly are refused; -r walks a tree (skipping special files, not
# crossing into another filesystem, hard links once); pins are honoured;
# operational errors (not XFS, no store bound, store gone) exit 4; a batch
# with one bad file goes on and exits 1.

. "$(dirname "$0")/../common/preamble"

_require_scratch
_require_cmd mknod mkfifo
_require_storeobj

_scratch_setup 1g
_init_store

M=$SCRATCH_MNT

# _mkfile NAME SIZE: random contents
_mkfile()
{
	head -c "$2" /dev/urandom > "$M/$1"
}

# _untouched NAME: compare with the fingerprint saved by _save
_save()
{
	_fingerprint "$M/$1" > "$tmp.fp.${1//\//_}"
}
# (with "nb": st_blocks not compared, for data written back by recall)
_untouched()
{
	local re='.'

	[ "$2" = nb ] && re='^(size|owner|mtime|map|sha256) '
	if diff <(grep -E "$re" "$tmp.fp.${1//\//_}") \
		<(_fingerprint "$M/$1" | grep -E "$re") > "$tmp.diff"; then
		echo "$1: untouched"
	else
		echo "$1: changed"
		cat "$tmp.diff"
	fi
}

# _new_objects: objects created since the last call
_last_objects=0
_new_objects()
{
	local n

	n=$(_objects)
	echo "new objects: $((n - _last_objects))"
	_last_objects=$n
}

_mkfile w 1048576
_mkfile r 1048576
_mkfile t 65536
: > "$M/empty"
ln -s t "$M/link"
mkdir "$M/dir"
mknod "$M/dev" c 1 3
mkfifo "$M/fifo"
sync

echo "== open for writing"
_save w
exec 3>> "$M/w"
_hsm migrate "$M/w"
_hsm migrate --keep "$M/w"
_untouched w
_hsm status "$M/w" | _filter_resident
[ -z "$(_hexrec "$M/w")" ] && echo "no record"
_new_objects
exec 3>&-
_hsm migrate -v "$M/w"
_new_objects

echo "== held open"
_hsm migrate --keep "$M/r"
_new_objects
_save r
exec 4< "$M/r"
_hsm release "$M/r"
_untouched r
_hsm status "$M/r" | _filter_resident
exec 4<&-
_hsm release -v "$M/r"
exec 4< "$M/r"
_hsm recall "$M/r"
_hsm status "$M/r"
exec 4<&-
_hsm recall -v "$M/r"
_untouched r nb

echo "== zero-length file"
_hsm migrate -v "$M/empty"
_hsm status "$M/empty"
[ -z "$(_hexrec "$M/empty")" ] && echo "no record"
_new_objects

echo "== not regular files"
_save t
_hsm migrate "$M/link"
_hsm migrate "$M/dir"
_hsm migrate "$M/dev"
_hsm migrate "$M/fifo"
_hsm release "$M/link"
_hsm recall "$M/dev"
_untouched t
_new_objects

echo "== -r walks the tree"
D=$M/d
mkdir -p "$D/sub" "$D/inner"
_mkfile d/a 1048576
_mkfile d/sub/b 65536
_mkfile d/h1 262144
ln "$D/h1" "$D/sub/h2"
ln -s a "$D/l"
mkfifo "$D/p"
mknod "$D/dev" c 1 3
# another filesystem mounted inside the tree: never walked into
truncate -s 300m "$TEST_DIR/inner.img"
mkfs.xfs -q -f "$TEST_DIR/inner.img" >> "$seqres.full" 2>&1
mount -o loop "$TEST_DIR/inner.img" "$D/inner" || _fail "mount inner failed"
head -c 65536 /dev/urandom > "$D/inner/f"
sync
_save d/inner/f
_hsm migrate -r "$D"
_hsm status "$D/a" "$D/sub/b" "$D/h1" "$D/sub/h2"
_new_objects
_untouched d/inner/f
_hsm recall -r "$D"
_hsm status "$D/a" "$D/sub/b" "$D/h1" "$D/sub/h2" | _filter_resident

echo "== hard links named explicitly"
_mkfile x 1048576
ln "$M/x" "$M/y"
_hsm migrate "$M/x" "$M/y" | grep -v ': migrate: '
_hsm status "$M/x" "$M/y"
_new_objects

# one file a batch: two batches run at once, and the names of one inode
# fall in several (the later ones wait for the batch that has the first)
echo "== hard links, a batch a file"
mkdir "$M/hl"
for i in 1 2 3 4 5 6; do
	_mkfile hl/f$i $((i * 5000))
done
ln "$M/hl/f1" "$M/hl/g1"
ln "$M/hl/f1" "$M/hl/h1"
ln "$M/hl/f4" "$M/hl/g4"
(cd "$M/hl" && sha256sum -- *) > "$tmp.hl.sums"
_hsm migrate --keep --batch-files 1 -r "$M/hl" | grep -v ': migrate: '
_hsm status "$M/hl"/* | awk '/^exit=/ { print; next } { print $1, $NF }'
_new_objects
_hsm release --batch-files 2 -r "$M/hl" | grep -v ': release: '
_hsm status "$M/hl"/* | grep -v '^xfs_hsm: warning' |
	awk '/^exit=/ { print; next } { print $1, $NF }'
_hsm recall --batch-files 1 -r "$M/hl" | grep -v ': recall: '
_hsm status "$M/hl"/* | awk '/^exit=/ { print; next } { print $1, $NF }'
(cd "$M/hl" && sha256sum --quiet -c "$tmp.hl.sums") && echo "hl: bytes intact"

echo "== pins"
_mkfile p1 65536
_mkfile p2 65536
sync
_hsm set -v --norelease "$M/p1"
_hsm set --noarchive "$M/p2"
_hsm status "$M/p1" "$M/p2" | _filter_resident
_hsm migrate --keep "$M/p1"
_hsm release "$M/p1"
_hsm migrate "$M/p2"
_hsm migrate --keep "$M/p2"
_hsm status "$M/p1" "$M/p2" | _filter_resident
"$XFS_HSM" status --json "$M/p1" "$M/p2" 2> /dev/null | python3 -c '
import json, sys
for f in json.load(sys.stdin)["files"]:
    print(f["path"].rsplit("/", 1)[1], "norelease", f["norelease"],
          "noarchive", f["noarchive"])'
_new_objects
_hsm clear --norelease "$M/p1"
_hsm clear --noarchive "$M/p2"
_hsm release "$M/p1"
_hsm migrate "$M/p2"
_hsm status "$M/p1" "$M/p2"
_new_objects

echo "== operational errors"
echo data > "$TEST_DIR/plainfile"
_hsm migrate "$TEST_DIR/plainfile"
_hsm status "$TEST_DIR/plainfile"
_save d/inner/f
_hsm migrate "$D/inner/f"
_untouched d/inner/f
_mkfile s 65536
sync
_save s
mv "$STORE" "$STORE.away"
_hsm migrate "$M/s"
_hsm recall "$M/w"
mv "$STORE.away" "$STORE"
_untouched s
_hsm status "$M/w"

echo "== batch with one bad file"
_mkfile g1 1048576
_mkfile g2 1048576
_hsm migrate "$M/g1" "$M/link" "$M/g2"
_hsm status "$M/g1" "$M/g2"
_new_objects

status=0
exit
