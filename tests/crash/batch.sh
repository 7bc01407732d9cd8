#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# batch: tests/integ/048-batch-crash at every step both ways (kill -9 and
# a power cut), where 048 takes the two in turn.  make check-crash
# runs it.
CRASH_ALL=1
. "$(dirname "$0")/../integ/048-batch-crash.sh"
