#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# 068-record-rule: the plain scan reads records only where bulkstat says
# an inode can hold one (libhsm/fs/record_rule.c), and never misses one.
# On 512- and 1024-byte-inode filesystems, files of every shape (empty,
# sparse, many extents, hard links, ACLs, user.* and security.* xattrs of
# several sizes set before and after the record, records later removed)
# are tagged; the inodes the plain scan lists must be exactly those a
# probe of every inode (--probe-all) lists, and exactly those getfattr
# finds a trusted.hsm on.  On 512-byte inodes the rule must also skip
# something (a new inode's 144-byte fork cannot hold a 170-byte record);
# what it skips on 1024-byte inodes is a figure.

. "$(dirname "$0")/../common/preamble"
. "$(dirname "$0")/../common/scanrc"

_require_scratch
_require_xfs_hsmscan
_require_cmd setfacl getfattr setfattr

# _xattr FILE NAME BYTES: an xattr of BYTES random bytes
_xattr()
{
	setfattr -n "$2" -v "0x$(head -c "$3" /dev/urandom | od -An -tx1 |
				  tr -d ' \n')" "$1"
}

# _dress FILE K: unrelated attributes, a different mix for each K
_dress()
{
	case $(($2 % 6)) in
	0)	;;
	1)	_xattr "$1" user.small 16 ;;
	2)	_xattr "$1" user.medium 100 ;;
	3)	_xattr "$1" user.big 400 ;;	# too big for the inode
	4)	setfacl -m u:1000:rw,u:1001:r,g:100:r,m::rw "$1" ;;
	5)	_xattr "$1" security.hsmtest 60
		_xattr "$1" user.a 24 ;;
	esac
}

# _shape FILE K: a file of shape K % 5
_shape()
{
	local k
	case $(($2 % 5)) in
	0)	: > "$1" ;;
	1)	echo "small $2" > "$1" ;;
	2)	truncate -s 64M "$1"
		echo "sparse $2" | dd of="$1" bs=4k seek=8000 conv=notrunc \
			status=none ;;
	3)	# 40 extents: the data fork leaves the inode
		for k in $(seq 0 39); do
			echo "extent $k" | dd of="$1" bs=4k seek=$((k * 2)) \
				conv=notrunc status=none
		done ;;
	4)	head -c 20000 /dev/urandom > "$1" ;;
	esac
}

# _tag_all K FILES...: give FILES a record, the K-th of three ways
_tag_all()
{
	local k=$1

	shift
	case $k in
	0)	"$XFS_HSM" migrate --keep "$@" ;;
	1)	"$XFS_HSM" migrate "$@" ;;
	2)	"$XFS_HSM" set --norelease "$@" ;;
	esac >> "$seqres.full" 2>&1 || _fail "tag ($k) failed"
}

# _untag_all K FILES...: remove the records _tag_all K gave
_untag_all()
{
	local k=$1

	shift
	case $k in
	0)	"$XFS_HSM" forget "$@" ;;
	1)	"$XFS_HSM" recall "$@" && "$XFS_HSM" forget "$@" ;;
	2)	"$XFS_HSM" clear --norelease "$@" ;;
	esac >> "$seqres.full" 2>&1 || _fail "untag ($k) failed"
}

# _populate: 90 files of every shape and attribute mix (file i: shape
# i % 5, attributes (i / 3) % 6, tagged the (i / 3) % 3-th way); a third
# dressed then tagged, a third tagged then dressed, a third dressed,
# tagged and untagged; hard links; 30 files never tagged
_populate()
{
	local i k
	local -a tag0 tag1 tag2 un0 un1 un2

	mkdir -p $M/d
	for i in $(seq 0 89); do
		_shape $M/d/f$i $i
		[ $((i % 3)) = 1 ] || _dress $M/d/f$i $((i / 3))
		k=$(((i / 3) % 3))
		eval "tag$k+=($M/d/f$i)"
		[ $((i % 3)) = 2 ] && eval "un$k+=($M/d/f$i)"
	done
	_tag_all 0 "${tag0[@]}"
	_tag_all 1 "${tag1[@]}"
	_tag_all 2 "${tag2[@]}"
	for i in $(seq 1 3 89); do
		_dress $M/d/f$i $((i / 3))
	done
	_untag_all 0 "${un0[@]}"
	_untag_all 1 "${un1[@]}"
	_untag_all 2 "${un2[@]}"
	# hard links to tagged, untagged and never-tagged files
	for i in 0 1 2 4 5; do
		ln $M/d/f$i $M/d/link$i
	done
	for i in $(seq 0 29); do
		_shape $M/d/plain$i $i
		_dress $M/d/plain$i $i
	done
	sync
}

# _oracle: inode numbers of the regular files with a trusted.hsm, by path
_oracle()
{
	local f
	find $M -type f | while read -r f; do
		getfattr -h -n trusted.hsm "$f" > /dev/null 2>&1 &&
			stat -c %i "$f"
	done | sort -n -u
}

# _listed ARGS...: inode numbers xfs_hsmscan --list all lists
_listed()
{
	_scan_json --list all "$@" $M
	python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
for f in d["files"]:
    print(f["ino"])' "$tmp.json" | sort -n -u
}

# _skipped: skipped_by_fork_size of the last _scan_json
_skipped()
{
	python3 -c '
import json, sys
print(json.load(open(sys.argv[1]))["summary"]["skipped_by_fork_size"])' \
		"$tmp.json"
}

for isize in 512 1024; do
	echo "== $isize-byte inodes"
	_mkfs_mount mnt 1g -i size=$isize
	SCRATCH_MNT=$TEST_DIR/mnt
	STORE=$TEST_DIR/store.$isize
	mkdir -p "$STORE"
	_init_store
	M=$SCRATCH_MNT
	_populate
	_oracle > $tmp.oracle
	_listed > $tmp.fast || echo "plain scan exit $?"
	fast_skipped=$(_skipped)
	_listed --probe-all > $tmp.all || echo "probe-all scan exit $?"
	all_skipped=$(_skipped)
	echo "tagged files: $(wc -l < $tmp.oracle)"
	cmp -s $tmp.oracle $tmp.fast && echo "plain scan: every record found" ||
		{ echo "plain scan differs from getfattr:"; diff $tmp.oracle $tmp.fast; }
	cmp -s $tmp.oracle $tmp.all && echo "probe-all: every record found" ||
		{ echo "probe-all differs from getfattr:"; diff $tmp.oracle $tmp.all; }
	[ "$all_skipped" = 0 ] || echo "probe-all skipped $all_skipped inodes"
	_figure "$isize-byte inodes: $fast_skipped regular files skipped by fork size"
	if [ $isize = 512 ]; then
		[ "$fast_skipped" -gt 0 ] &&
			echo "the rule skipped inodes that cannot hold a record" ||
			echo "the rule skipped nothing on 512-byte inodes"
	fi
	# the same after a remount: the rule reads only what is on disk
	_scratch_cycle_mount
	_listed > $tmp.fast2
	cmp -s $tmp.oracle $tmp.fast2 && echo "after remount: every record found" ||
		{ echo "after remount, differs:"; diff $tmp.oracle $tmp.fast2; }
	"$XFS_HSMSCAN" -v $M 2>&1 | grep -E '^(record rule|fast path)' |
		sed -E 's/[0-9]+ of [0-9]+/N of M/' >> "$seqres.full"
	umount $M || _fail "umount failed"
	rm -f $TEST_DIR/mnt.img
done

status=0
exit
