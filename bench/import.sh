#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# import.sh - disaster recovery: xfs_hsm import of a lost filesystem's
# files from its store, as stubs per second, against cp -a
# --attributes-only of the same tree (empty files with the same owners,
# modes, times and xattrs) in the same run (a benchmark, not a test;
# `make bench-import`).
#
# A loop-mounted XFS filesystem (FS) with BENCH_IMPORT_N files of 4 KiB
# (default 100000) in 100 directories, archived and released to a store on
# a second one; then FS is made again with its UUID, bound to the store,
# and imported.  Both the baseline and the import start from a cold page
# cache and end durable (sync -f of the target).
#
#   BENCH_IMPORT_N   files (default 100000)
#   HSM_BUILDDIR     build tree holding the tools (default: this tree)
set -eu

here=$(cd "$(dirname "$0")/.." && pwd)
bdir=${HSM_BUILDDIR:-$here}
. "$here/bench/tools.sh"
XFS_HSM=$(bench_tool xfs_hsm/xfs_hsm)
n=${BENCH_IMPORT_N:-100000}

if [ "$(id -u)" != 0 ]; then
	echo "import: needs root (loop devices, mount)" >&2
	exit 77
fi
[ -x "$XFS_HSM" ] || { echo "import: build first: $XFS_HSM" >&2; exit 1; }

tmp=$(mktemp -d /tmp/xfs-hsm-bench-import.XXXXXX)
cleanup() {
	for m in "$tmp/fs" "$tmp/other"; do
		mountpoint -q "$m" && umount "$m"
	done
	rm -rf "$tmp"
}
trap cleanup EXIT HUP INT QUIT TERM

mkfs_mount() {	# name size [mkfs options]
	local name=$1 size=$2

	shift 2
	truncate -s "$size" "$tmp/$name.img"
	mkfs.xfs -q -f "$@" "$tmp/$name.img"
	mkdir -p "$tmp/$name"
	mount -o loop "$tmp/$name.img" "$tmp/$name"
}
cold() {
	sync
	echo 3 > /proc/sys/vm/drop_caches
}
now() {
	date +%s.%N
}
since() {
	awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.2f\n", b - a }'
}

mkfs_mount fs 4g
mkfs_mount other 4g
mkdir -p "$tmp/other/store"
"$XFS_HSM" init --store "posix:$tmp/other/store" "$tmp/fs" > /dev/null
python3 - "$tmp/fs/tree" "$n" <<'PY'
import os, sys
top, n = sys.argv[1], int(sys.argv[2])
data = os.urandom(4096)
for d in range(100):
    os.makedirs("%s/d%02d" % (top, d))
for i in range(n):
    p = "%s/d%02d/f%06d" % (top, i % 100, i)
    with open(p, "wb") as f:
        f.write(data[i % 64:] + data[:i % 64])
    if i % 10 == 0:
        os.setxattr(p, "user.bench", b"%d" % i)
    os.chown(p, 1000 + i % 7, 100 + i % 3)
PY
echo "files: $n x 4 KiB in 100 directories"
t=$(now)
"$XFS_HSM" migrate -r -j 4 "$tmp/fs/tree" > /dev/null 2>&1
echo "  migrate: $(since "$t") s"

cold
t=$(now)
cp -a --attributes-only "$tmp/fs/tree" "$tmp/other/copy"
sync -f "$tmp/other/copy"
base=$(since "$t")

uuid=$(xfs_admin -u "$tmp/fs.img" | awk '{ print $3 }')
umount "$tmp/fs"
mkfs.xfs -q -f -m uuid="$uuid" "$tmp/fs.img"
mount -o loop "$tmp/fs.img" "$tmp/fs"
"$XFS_HSM" init --store "posix:$tmp/other/store" "$tmp/fs" > /dev/null
cold
t=$(now)
"$XFS_HSM" import "$tmp/fs" > "$tmp/import.out" 2>&1
sync -f "$tmp/fs"
took=$(since "$t")
grep -E "^(stubs made|failed):" "$tmp/import.out" | sed 's/^/  /'
awk -v n="$n" -v b="$base" -v h="$took" 'BEGIN {
	printf "  cp -a --attributes-only %.2f s (%.0f files/s), xfs_hsm import %.2f s (%.0f stubs/s): import/cp %.2fx\n",
	       b, n / b, h, n / h, b / h
}'
echo "  an import reads each object's metadata (a stat of the store) and makes one stub: a nameless file, its size, record, owner, mode, xattrs and times, then its name (linkat)"
