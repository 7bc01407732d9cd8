#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# 040-crash-daemon: the crash matrix (tests/common/crashmatrix) of the
# daemon's recall, at each of its durable steps: its worker killed, the
# filesystem shut down with and without a log flush, while a reader waits;
# then stop, remount, xfs_hsmscan --repair, read.  No reader gets wrong
# bytes, nothing is lost, nothing is left behind.  The same for the copy
# operation (a released file's second copy, made store to store), whose
# recovery, --repair, makes the copy.  The command line's other operations
# are in 010 and 061 here, and all of it in make check-crash.

. "$(dirname "$0")/../common/preamble"
CRASH_OPS="srvrecall copy"
. "$(dirname "$0")/../common/crashmatrix"

_crash_matrix

status=0
exit
