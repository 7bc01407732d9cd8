#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# 040-crash-daemon: the crash matrix (tests/common/crashmatrix) of the
# daemon's recall, at each of its durable steps: its worker killed, the
# filesystem shut down with and without a log flush, while a reader waits;
# then stop, remount, xfs_hsmscan --repair, read.  No reader gets wrong
# bytes, nothing is lost, nothing is left behind.  Then the copy operation
# (a released file's second copy, made store to store) at each of its
# steps, import (a removed file's stub made again from the store) and the
# names a refresh keeps in an object's metadata at each of their steps, with the power cut only (the other two ways are in
# make check-crash, with the command line's other operations; 010 and
# 061 run those here).

. "$(dirname "$0")/../common/preamble"
CRASH_OPS=srvrecall
. "$(dirname "$0")/../common/crashmatrix"

_crash_matrix
CRASH_OPS=copy CRASH_KINDS=shutdown-nolog _crash_matrix
CRASH_OPS=import CRASH_KINDS=shutdown-nolog _crash_matrix
CRASH_OPS=names CRASH_KINDS=shutdown-nolog _crash_matrix

status=0
exit
