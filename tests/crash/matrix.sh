#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# matrix: the whole crash matrix (tests/common/crashmatrix): every
# operation of the command line and the daemon's recall, at every durable
# step, crashed three ways, recovered with xfs_hsmscan --repair, then
# checked byte for byte.  make check-crash runs it.

. "$(dirname "$0")/../common/preamble"
. "$(dirname "$0")/../common/crashmatrix"

_crash_matrix

status=0
exit
