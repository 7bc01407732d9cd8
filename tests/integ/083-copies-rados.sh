#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# 083-copies-rados: 082 with a RADOS pool of a one-node cluster started
# here as the second store: two copies, one in a directory and one in the
# pool; copies deleted in either, corrupted in the directory; every file
# reads right, audit finds the damaged copies, repair makes them again,
# and draining the directory store moves its copies to the pool and to a
# third store.

. "$(dirname "$0")/../common/preamble"
. "$(dirname "$0")/../common/ceph"
. "$(dirname "$0")/../common/scanrc"
. "$(dirname "$0")/../common/copies"

_require_scratch
_require_xfs_hsmd
_require_ceph

_test_cleanup()
{
	_stop_daemon
	_ceph_stop
}

# _copies_delete OID: delete a copy from the pool (a small file's object
# is its head alone)
_copies_delete()
{
	_rados rm "$1" >> $seqres.full 2>&1 || _fail "rados rm $1"
}

_ceph_start hsm
# one object per file (aggregate=0): _copies_delete removes a head
COPIES_SPEC="rados:hsm?conf=$CEPH_CONF&timeout=5&aggregate=0"
_copies_run
echo "objects in the pool: $(_rados ls | grep -c '^[0-9a-f]\{32\}$')"
status=0
exit
