#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# 084-import: disaster recovery.  A tree of every kind of file (sparse,
# empty directory, odd names, set-id mode, owners, xattrs, an ACL, old
# times) migrates with two copies to two stores; the filesystem is then
# destroyed and made again with its UUID, the stores bound, and xfs_hsm
# import makes a released stub for every file: a dry run first (nothing
# made), then the import, then again (all made before: an interrupted
# import resumes).  Through the daemon every file reads back byte for byte
# with its mode, owner, mtime, xattrs and ACL.  Renames and hard links
# made after the migrate come back too, once xfs_hsmscan --refresh-paths
# has kept the names in the objects.  A file in the way is a conflict,
# left alone; a path not under --old-mount is not imported.

. "$(dirname "$0")/../common/preamble"
. "$(dirname "$0")/../common/scanrc"

_require_scratch
_require_xfs_hsmd
_require_cmd setfacl

_test_cleanup()
{
	_stop_daemon
}

_scratch_setup 1g
M=$SCRATCH_MNT
_init_store
STORE2=$TEST_DIR/store2
mkdir -p $STORE2
"$XFS_HSM" store add $M posix:$STORE2 >> $seqres.full 2>&1 || _fail "store add"

mkdir -p "$M/a/b c" $M/empty "$M/a/deep/er"
head -c 3M /dev/urandom > "$M/a/b c/big"
echo hi > $M/a/small
printf 'x' > "$M/odd
name"
printf 'y' > "$M/a/deep/er/$(printf 'caf\xc3\xa9 \x01')"
truncate -s 50M $M/sparse
echo data | dd of=$M/sparse bs=1 seek=30M conv=notrunc status=none
setfattr -n user.color -v blue $M/a/small
setfattr -n user.bin -v 0x00ff00 $M/a/small
setfacl -m u:1234:rw $M/a/small
chown 12:34 $M/a/small
chmod 4750 $M/a/small
touch -d @1234567890.5 "$M/a/b c/big"

# _manifest: per regular file, its name and what must come back
_manifest()
{
	python3 - "$M" <<'PY'
import hashlib, os, sys
top = sys.argv[1].encode()
for d, dirs, files in sorted(os.walk(top)):
    for f in sorted(files):
        p = os.path.join(d, f)
        st = os.lstat(p)
        x = sorted((n, os.getxattr(p, n, follow_symlinks=False).hex())
                   for n in os.listxattr(p, follow_symlinks=False)
                   if not n.startswith("trusted."))
        h = hashlib.sha256(open(p, "rb").read()).hexdigest()[:16]
        print(repr(os.path.relpath(p, top)), st.st_size, oct(st.st_mode),
              st.st_uid, st.st_gid, st.st_mtime_ns, st.st_nlink, h, x)
# the hard-link groups: the names of each inode with several
groups = {}
for d, dirs, files in os.walk(top):
    for f in files:
        p = os.path.join(d, f)
        groups.setdefault(os.lstat(p).st_ino, []).append(
            os.path.relpath(p, top))
for g in sorted(sorted(g) for g in groups.values() if len(g) > 1):
    print("linked:", g)
PY
}
"$XFS_HSM" migrate --copies 2 -r $M >> $seqres.full 2>&1 || _fail "migrate"
echo "== renamed and linked after the migrate, names refreshed"
mv "$M/a/b c" "$M/a/bc2"
mkdir $M/links
ln "$M/a/bc2/big" $M/links/big2
ln $M/a/small $M/links/s2
ln $M/a/small "$M/a/deep/s3"
"$XFS_HSMSCAN" --refresh-paths $M > $tmp.out 2>&1
echo "exit=$?"
grep "^paths:" $tmp.out
"$XFS_HSMSCAN" --refresh-paths $M 2>&1 | grep "^paths:"
# released: read through the daemon
_start_daemon --timeout 60
_manifest > $tmp.before
_stop_daemon
echo "files: $(grep -vc '^linked' $tmp.before)"
grep '^linked' $tmp.before

echo "== the filesystem lost, made again with its UUID"
uuid=$(xfs_admin -u $TEST_DIR/mnt.img | awk '{ print $3 }')
umount $M || _fail "umount"
mkfs.xfs -q -f -m uuid=$uuid $TEST_DIR/mnt.img >> $seqres.full 2>&1 || _fail "mkfs"
mount -o loop $TEST_DIR/mnt.img $M || _fail "mount"
[ -z "$(ls -A $M)" ] && echo "empty"

echo "== dry run, binding the first store"
"$XFS_HSM" import -s posix:$STORE -n $M > $tmp.out 2>&1
echo "exit=$?"
grep -E "^(objects read|would create|failed):" $tmp.out | sed 's/ ([^)]*)//'
[ -z "$(ls -A $M)" ] && echo "nothing made"
"$XFS_HSM" store add $M posix:$STORE2 >> $seqres.full 2>&1 || _fail "store add"

echo "== import"
"$XFS_HSM" import $M > $tmp.out 2>&1
echo "exit=$?"
grep -E "^(objects read|stubs made|hard links|made before|conflicts|failed):" $tmp.out |
	sed 's/ ([^)]*)//'
"$XFS_HSM" status -r --json $M 2> /dev/null | python3 -c '
import collections, json, sys
print(dict(collections.Counter(f["state"] for f in json.load(sys.stdin)["files"])))'
"$XFS_HSM" status --json $M/sparse | python3 -c '
import json, sys
c = json.load(sys.stdin)["files"][0]["copies"]
print("sparse copies:", [(x["store_id"], x["state"]) for x in c])'
echo "== again"
"$XFS_HSM" import --json $M | python3 -c '
import json, sys
d = json.load(sys.stdin)
print("counts:", {k: v for k, v in d["counts"].items() if k != "bytes"})'

_start_daemon --timeout 60
_manifest > $tmp.after
diff $tmp.before $tmp.after > $tmp.diff && echo "every file as it was"
cat $tmp.diff >> $seqres.full
_stop_daemon

echo "== a conflict, and --old-mount"
rm -f $M/a/small
echo "someone else" > $M/a/small
"$XFS_HSM" import $M 2>&1 | grep -E "^xfs_hsm|^conflicts" | _filter_scratch
echo "small: $(cat $M/a/small)"
"$XFS_HSM" import --old-mount /elsewhere -n $M 2>&1 | grep -c "not under the old mount point" |
	sed 's/^/outside: /'
status=0
exit
