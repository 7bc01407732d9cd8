#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# aggregate-100k: tests/integ/086-aggregate.sh with issue 17's 100,000
# small files where make check runs it with 2,000: packed into
# aggregates, recalled at random through the daemon, four in five
# deleted, repacked by gc killed at each repack step, a migrate killed at
# each publish step, the filesystem made again and imported, a member
# undeleted, and a pool of 4096 index shards.  Every byte right, no
# object a record names deleted: the same golden output.  About 5
# minutes on two CPUs, so make check-crash runs it, not make check.
HSM_AGG_FILES=100000 exec bash "$(dirname "$0")/../integ/086-aggregate.sh"
