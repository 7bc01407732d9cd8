#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# 085-deleted: the life of deleted files.  Archived files are removed: the
# audit lists their objects as "deleted", with the path each had, apart
# from other orphans.  xfs_hsm undelete brings one back as a released stub
# (at its old path, or at another) that reads right through the daemon.
# gc keeps a deleted file's object for --retention after the deletion,
# and removes it once no retention holds; an object gone cannot be
# undeleted.

. "$(dirname "$0")/../common/preamble"
. "$(dirname "$0")/../common/scanrc"

_require_scratch
_require_xfs_hsmd

_test_cleanup()
{
	_stop_daemon
}

_scratch_setup 1g
M=$SCRATCH_MNT
_init_store
mkdir -p $M/d/sub
for f in d/one d/sub/two d/three; do head -c 200K /dev/urandom > $M/$f; done
(cd $M && sha256sum d/one d/sub/two d/three) > $tmp.sums
"$XFS_HSM" migrate -r $M/d >> $seqres.full 2>&1 || _fail "migrate"
oid_of() { "$XFS_HSM" status --json "$1" | python3 -c '
import json, sys; print(json.load(sys.stdin)["files"][0]["object"])'; }
one=$(oid_of $M/d/one)
two=$(oid_of $M/d/sub/two)
rm $M/d/one $M/d/sub/two
rmdir $M/d/sub

echo "== audit"
"$XFS_HSMSCAN" --audit $M > $tmp.audit 2>&1
echo "exit=$?"
sed -e "s/$one/ONE/; s/$two/TWO/" $tmp.audit | grep -E "^(deleted|orphan) " |
	sort | _filter_scratch
grep -E "^(orphans|of deleted files):" $tmp.audit

echo "== undelete"
"$XFS_HSM" undelete --mount $M $one 2>&1 | sed "s/$one/ONE/" | _filter_scratch
"$XFS_HSM" undelete $two $M/d/two-again 2>&1 | sed "s/$two/TWO/" |
	_filter_scratch
"$XFS_HSM" undelete $two $M/d/two-again 2>&1 | sed "s/$two/TWO/" |
	_filter_scratch
"$XFS_HSM" undelete --mount $M 0123456789abcdef0123456789abcdef 2>&1 |
	_filter_scratch
"$XFS_HSM" undelete --mount $M nothex 2>&1 | head -1
"$XFS_HSM" status $M/d/one $M/d/two-again | awk '{ print $1 }'
_start_daemon --timeout 60
[ "$(_sha $M/d/one)" = "$(grep ' d/one$' $tmp.sums | cut -d' ' -f1)" ] &&
	echo "one reads right"
[ "$(_sha $M/d/two-again)" = "$(grep ' d/sub/two$' $tmp.sums | cut -d' ' -f1)" ] &&
	echo "two-again reads right"
# a stub made while xfs_hsmd watches: its events came while it had no
# record yet, which must not leave it taken for resident (zeros)
three=$(oid_of $M/d/three)
rm $M/d/three
"$XFS_HSM" undelete $three $M/d/three 2>&1 | sed "s/$three/THREE/" |
	_filter_scratch
[ "$(_sha $M/d/three)" = "$(grep ' d/three$' $tmp.sums | cut -d' ' -f1)" ] &&
	echo "three, undeleted under xfs_hsmd, reads right"
_stop_daemon

echo "== gc, retention"
rm $M/d/two-again
"$XFS_HSM" forget $M/d/one >> $seqres.full 2>&1	# recalled: resident
rm $M/d/three
three_left=$(_objects)
"$XFS_HSMSCAN" --gc --grace 0 --retention 1d $M > $tmp.gc 2>&1
echo "gc with retention exit=$?"
grep -E "^deleted" $tmp.gc | sed -E 's/ [0-9a-f]{32} / OID /' | sort | _filter_scratch
echo "objects kept: $(( $(_objects) == three_left ))"
# the same from the config: [space] keeps them, the mount's section wins
printf '[space]\ndeleted_retention = 1d\norphan_grace = 0\n' > $tmp.conf
"$XFS_HSMSCAN" --gc --config $tmp.conf $M > $tmp.gc 2>&1
echo "gc, deleted_retention = 1d: exit=$? kept=$(grep -c 'kept, deleted within the retention' $tmp.gc)"
printf 'deleted_retention = 1x\n' >> $tmp.conf
"$XFS_HSMSCAN" --gc --config $tmp.conf $M 2>&1 | sed "s|$tmp.conf|CONF|"
echo "bad value exit=${PIPESTATUS[0]}"
printf '[space]\ndeleted_retention = 1d\n[%s]\ndeleted_retention = 0\n' $M > $tmp.conf
"$XFS_HSMSCAN" --gc --grace 0 --config $tmp.conf $M > $tmp.gc 2>&1
echo "gc exit=$?"
grep -cE "^deleted .*: removed" $tmp.gc | sed 's/^/removed: /'
echo "objects left: $(_objects)"
"$XFS_HSM" undelete $two $M/d/late 2>&1 | sed "s/$two/TWO/" | _filter_scratch
status=0
exit
