#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# 082-copies: several stores, several copies.  A second store is added, and
# files migrate with --copies 2 (and with copies = 2 from the config):
# each has an object in both stores.  One file's copy is deleted, another's
# corrupted: every file still reads right, through the daemon and through
# a recall with no daemon, falling back to the other copy.  audit flags the
# damaged copies (not the files) lost, release refuses while a copy is
# lost, repair makes them again; with both copies gone a file is lost.  A
# third store is added and the first drained: every copy moves, the files
# read right, and the drained store is removed.  With COPIES_SPEC set (a
# rados: spec, 083 does) the second store is that one: tests/common/copies
# holds what both run.

. "$(dirname "$0")/../common/preamble"
. "$(dirname "$0")/../common/scanrc"
. "$(dirname "$0")/../common/copies"

_require_scratch
_require_xfs_hsmd

_test_cleanup()
{
	_stop_daemon
}

_copies_run
status=0
exit
