#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# 064-changed-since: --changed-since lists exactly the inodes whose ctime
# moved after the time given (data written, mode, xattrs, a rename, a new
# link, a migrate's record, directories whose entries changed, new files),
# straight from bulkstat without reading one record; with --list it is
# the intersection; dates parse, bad ones are usage errors.

. "$(dirname "$0")/../common/preamble"
. "$(dirname "$0")/../common/scanrc"

_scan_scratch 1g

mkdir -p $M/old $M/d1 $M/d2
for f in old/u1 old/u2 old/u3 d2/f9 arch-old d1/f1 d1/f2 d1/f3 d1/f4 d1/f5 \
	 d1/f6 d1/f7 d1/f8; do
	head -c 8192 /dev/urandom > $M/$f
done
"$XFS_HSM" migrate --keep $M/arch-old
sync
# ctime is kept at the timer tick unless someone looked: leave a margin
sleep 0.2
T=$(date +%s.%N)
sleep 0.2

touch $M/d1/f1
chmod 600 $M/d1/f2
echo more >> $M/d1/f3
setfattr -n user.x -v 1 $M/d1/f4
mv $M/d1/f5 $M/d1/f5-renamed
"$XFS_HSM" migrate --keep $M/d1/f6
rm $M/d1/f7
ln $M/d1/f8 $M/d1/f8-link
mkdir $M/new
echo new > $M/new/n1
ln -s f1 $M/d1/sym

echo "== changed since T"
"$XFS_HSMSCAN" --changed-since @$T --paths $M > $tmp.changed
echo "exit=$?"
awk '{ print $3, $NF }' $tmp.changed | _filter_scratch |
	sed 's#/f8-link$#/f8#' | sort -k 2
echo "== the same without --paths, and in JSON"
"$XFS_HSMSCAN" -c @$T $M | wc -l
_scan_json -c @$T $M
_summary changed records_read
_json "sorted(f['type'] for f in d['files'])"
cut -d' ' -f1 $tmp.changed | sort > $tmp.i1
_json "'\n'.join(sorted(str(f['ino']) for f in d['files']))" > $tmp.i2
cmp -s $tmp.i1 $tmp.i2 && echo "same inodes"
echo "== ctimes are after T"
awk -v t=$T '$4 + 0 <= t + 0 { bad++ } END { print bad + 0, "at or before T" }' \
	$tmp.changed

echo "== with --list archived: the intersection"
"$XFS_HSMSCAN" -c @$T -l archived -p $M | awk '{ print $3, $NF }' |
	_filter_scratch
"$XFS_HSMSCAN" -l archived -p $M | awk '{ print $3, $NF }' | _filter_scratch |
	sort -k 2

echo "== dates"
"$XFS_HSMSCAN" -c 2000-01-01 $M | wc -l
"$XFS_HSMSCAN" -c "2000-01-01 12:00" $M | wc -l
"$XFS_HSMSCAN" -c 2000-01-01T12:00:00Z $M | wc -l
"$XFS_HSMSCAN" -c @$(( $(date +%s) + 3600 )) $M | wc -l
_scan -c yesterday $M
_scan -c @12x $M
_scan -c 2000-13-01 $M

status=0
exit
