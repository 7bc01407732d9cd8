#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# exerciser: integ/045 at length (make check-long, tens of minutes): many
# more seeds and operations per mode, and the variants 045 has no time
# for, one per seed in turn: the default mix; the op mix without the
# bias towards moving blocks right after a reopen (-a 0); whole-file
# checks after every reopen from disk (-f -d); a close every 4 operations
# with a read-only reader at each (-c 4 -r 1); whole-file checks after
# all caches are dropped (-f -D).  Every seed must exit 0 and release the
# file at least once; the daemon must count no failure.
# EXERCISER_SEEDS (default 1..10 and 606 707 4242) and EXERCISER_OPS (5000)
# change the run; a failing seed replays with hsmfsx -S SEED.

. "$(dirname "$0")/../common/preamble"
. "$(dirname "$0")/../common/exerciser"

_require_scratch
_require_xfs_hsmd
_require_hsmfsx

_scratch_setup 1g
_init_store
_exerciser_setup

SEEDS=${EXERCISER_SEEDS:-"1 2 3 4 5 6 7 8 9 10 606 707 4242"}
OPS=${EXERCISER_OPS:-5000}
VARIANTS=("" "-a 0" "-f -d" "-c 4 -r 1" "-f -D")

for mode in whole range; do
	echo "== mode $mode"
	_start_daemon --mode $mode
	i=0
	bad=0
	unreleased=0
	for seed in $SEEDS; do
		v=${VARIANTS[i++ % ${#VARIANTS[@]}]}
		_exerciser_run $mode $seed $OPS $v
		if [ $EX_RC -ne 0 ]; then
			echo "seed $seed ($v): exit $EX_RC"
			bad=$((bad + 1))
		fi
		if [ $EX_RELEASES -eq 0 ]; then
			echo "seed $seed ($v): NOT released"
			unreleased=$((unreleased + 1))
		fi
	done
	[ $bad -eq 0 ] && echo "every seed: exit 0"
	[ $unreleased -eq 0 ] && echo "every seed: released"
	_daemon_idle
	echo "daemon failures: $(_stat failures), timeouts: $(_stat timeouts)"
	_stop_daemon
done

status=0
exit
