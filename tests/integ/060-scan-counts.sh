#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# 060-scan-counts: xfs_hsmscan counts every file in each state the test
# made with xfs_hsm (resident with and without a record, archived,
# released, dirty, lost), its byte totals match what stat says, the
# counts agree with `xfs_hsm status -r` and do not depend on -j, and
# --list/--paths name exactly the files in a state (hard links once).
# Files with unrelated xattrs, symlinks, fifos and directories are
# counted as inodes and never as records.

. "$(dirname "$0")/../common/preamble"
. "$(dirname "$0")/../common/scanrc"

_require_cmd script
_require_storeobj

_scan_scratch 1g

mkdir -p $M/a $M/b/c
for i in $(seq 1 20); do
	head -c 65536 /dev/urandom > $M/a/plain$i
done
for i in 1 2 3 4 5; do
	setfattr -n user.color -v red $M/a/plain$i
	setfattr -n trusted.other -v 0x0102 $M/a/plain$i
done
ln -s plain1 $M/a/link
mkfifo $M/a/fifo
head -c 65536 /dev/urandom > $M/b/pinned
"$XFS_HSM" set --norelease $M/b/pinned
for i in 1 2 3; do
	head -c 131072 /dev/urandom > $M/b/arch$i
done
for i in 1 2 3 4; do
	head -c 65536 /dev/urandom > $M/b/rel$i
done
head -c 65536 /dev/urandom > $M/b/dirty
head -c 65536 /dev/urandom > $M/b/lost
ln $M/b/rel1 $M/b/c/rel1-link
"$XFS_HSM" migrate --keep $M/b/arch* $M/b/dirty $M/b/lost
"$XFS_HSM" migrate $M/b/rel*
echo more >> $M/b/dirty
o=$(_scan_oid $M/b/lost)
_store_rm "$o"
"$XFS_HSM" release $M/b/lost 2>> "$seqres.full" && _fail "release of lost"
sync

echo "== summary"
# allocated bytes depend on XFS preallocation: checked against stat below
_scan $M | sed -E 's/^(bytes (resident|dual-state): +).*/\1B/'

echo "== bytes match stat"
resident=$(stat -c %b $M/a/plain* $M/b/pinned $M/b/arch* $M/b/rel* \
	$M/b/dirty $M/b/lost | awk '{ s += $1 * 512 } END { print s }')
dual=$(stat -c %b $M/b/arch* | awk '{ s += $1 * 512 } END { print s }')
_scan_json $M
[ "$(_json "d['summary']['bytes_resident']")" = "$resident" ] &&
	echo "bytes resident = sum of st_blocks"
[ "$(_json "d['summary']['bytes_dual_state']")" = "$dual" ] &&
	echo "bytes dual-state = st_blocks of the clean archived files"
[ "$(_json "d['summary']['bytes_released']")" = $((4 * 65536)) ] &&
	echo "bytes released = size of the released files"
[ "$(_json "d['summary']['records_read'] <= d['summary']['regular_files']")" = True ] &&
	echo "records read: at most one per regular file"

echo "== the same as xfs_hsm status -r"
"$XFS_HSM" status -r $M 2> /dev/null | awk '{ n[$1]++; if ($2 ~ /D/) d++;
	if ($2 ~ /L/) l++ } END { printf("archived %d released %d dirty %d lost %d\n",
	n["archived"], n["released"], d, l) }'
_json "'archived %d released %d dirty %d lost %d' % tuple(d['summary'][k] for k in ('archived', 'released', 'dirty', 'lost'))"

echo "== -j does not change the counts"
_scan_json -j 1 $M
_json "{k: v for k, v in d['summary'].items() if k not in ('seconds', 'inodes_per_second')}" > $tmp.j1
_scan_json -j 4 $M
_json "{k: v for k, v in d['summary'].items() if k not in ('seconds', 'inodes_per_second')}" > $tmp.j4
cmp -s $tmp.j1 $tmp.j4 && echo "-j 1 and -j 4 agree"

echo "== --list released --paths"
"$XFS_HSMSCAN" --list released --paths $M > $tmp.list
echo "exit=$?"
awk '{ print $3, $4, $5, $6, $7 }' $tmp.list | sort | uniq -c
sed -E 's/.* //' $tmp.list | _filter_scratch | sed 's#/c/rel1-link#/rel1#' | sort
echo "== --list dirty,lost"
"$XFS_HSMSCAN" -l dirty,lost -p $M | awk '{ print $3, $4, $5, $NF }' |
	_filter_scratch | sort
echo "== --list all"
"$XFS_HSMSCAN" -l all $M | wc -l
echo "== --list resident: only files with a record"
"$XFS_HSMSCAN" -l resident -p $M | awk '{ print $3, $4, $NF }' | _filter_scratch
echo "== --list archived --json: the objects xfs_hsm status names"
_scan_json -l archived -p $M
_json "sorted(f['path'].rsplit('/', 1)[1] for f in d['files'])"
for f in $M/b/arch1 $M/b/lost; do
	o=$(_scan_oid $f)
	[ "$(_json "[x['object'] for x in d['files'] if x['path'] == '$f'][0]")" = "$o" ] &&
		echo "$(basename $f): same object"
done

echo "== a name that is not UTF-8, in JSON"
head -c 4096 /dev/urandom > $M/a/$'caf\xe9'
"$XFS_HSM" migrate $M/a/$'caf\xe9'
_scan_json -l released -p $M
_json "[(f['path'].rsplit('/', 1)[1], f['path_hex'][-10:]) for f in d['files'] if 'path_hex' in f]"
"$XFS_HSM" recall $M/a/$'caf\xe9'
"$XFS_HSM" forget $M/a/$'caf\xe9'
rm $M/a/$'caf\xe9'

echo "== progress on a terminal"
script -qec "$XFS_HSMSCAN $M" /dev/null > $tmp.tty 2>&1
grep -q "inodes/s" $tmp.tty && grep -q $'\r' $tmp.tty && echo "progress drawn"
"$XFS_HSMSCAN" $M 2>&1 > /dev/null | grep -c $'\r'

status=0
exit
