#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# 071-daemon-policy: xfs_hsmd runs the space policy by itself every
# check_interval (--policy-config): a filesystem filled past its high
# mark while the daemon serves is brought below its low mark without
# anyone running a command, the log has the run's summary, and every
# file reads back right.  A daemon given a bad policy file says so and
# serves anyway, running no policy.  A daemon stopped during a run
# stops the run and leaves nothing pending that repair would not settle.

. "$(dirname "$0")/../common/preamble"
. "$(dirname "$0")/../common/scanrc"

_require_scratch
_require_xfs_hsmd

_scratch_setup 400m
_init_store
M=$SCRATCH_MNT
CONF=$TEST_DIR/xfs_hsm.conf

# _used_pct: percent of the filesystem in use, to a tenth
_used_pct()
{
	python3 -c '
import os, sys
v = os.statvfs(sys.argv[1])
print("%.1f" % (100.0 * (v.f_blocks - v.f_bfree) / v.f_blocks))' $M
}

cat > $CONF <<EOF
[space]
high_watermark = 50%
low_watermark = 30%
min_age = 1d
check_interval = 2s
EOF

mkdir $M/d
for i in $(seq 1 24); do
	head -c 8M /dev/urandom > $M/d/f$i
	_sha $M/d/f$i > $TEST_DIR/f$i.sha
done
for i in $(seq 1 24); do
	touch -a -m -d "$((i * 3)) days ago" $M/d/f$i
done
sync
echo "filled past the high mark: $(python3 -c "print($(_used_pct) > 50)")"

_start_daemon --policy-config $CONF
grep -q "space policy '$CONF': a run every 2 s" $HSMD_LOG &&
	echo "the daemon runs the policy every 2 s"

# the daemon's next runs bring it down; nobody runs a command
for i in $(seq 1 150); do
	python3 -c "import sys; sys.exit(0 if $(_used_pct) <= 30 else 1)" && break
	sleep 0.2
done
echo "below the low mark: $(python3 -c "print($(_used_pct) <= 30)")"
_figure "the daemon's policy took the filesystem below its low mark in $((i / 5)) s"
sleep 3		# a run with nothing to do, logged too
grep -q "space policy: policy $M: above the high watermark" $HSMD_LOG &&
	echo "logged: the run's trigger"
grep -q "space policy: moved: " $HSMD_LOG && echo "logged: what it moved"
grep -q "space policy: policy $M: below the watermarks, nothing to do" \
	$HSMD_LOG && echo "logged: a run with nothing to do"
grep -q "space policy run exited with status" $HSMD_LOG &&
	echo "a run failed: $(grep 'space policy run' $HSMD_LOG | head -1)"

for i in $(seq 1 24); do
	[ "$(_sha $M/d/f$i)" = "$(cat $TEST_DIR/f$i.sha)" ] || echo "f$i differs"
done
echo "files read back through the daemon: 24"
_stop_daemon

echo "== a bad policy file: the daemon serves without it"
printf '[space]\nhigh_watermark = lots\n' > $CONF
_start_daemon --policy-config $CONF
grep -q "space policy '$CONF' is not valid" $HSMD_LOG &&
	echo "logged: not valid, no policy runs"
grep "high_watermark: invalid value" $HSMD_LOG | sed "s|$CONF|CONF|" | head -1
"$XFS_HSM" stats $M > /dev/null && echo "the daemon serves"
_stop_daemon

echo "== stopped during a run"
"$XFS_HSM" recall $M/d/* >> $seqres.full 2>&1
"$XFS_HSM" forget $M/d/* >> $seqres.full 2>&1
for i in $(seq 1 24); do
	touch -a -m -d "$((i * 3)) days ago" $M/d/f$i
done
printf '[space]\nhigh_watermark = 50%%\nlow_watermark = 1%%\nmin_age = 1d\ncheck_interval = 1s\n' > $CONF
: > $HSMD_LOG
# every write to the store slowed: the run is still moving when stopped
HSMD_ENV="LIBHSM_DELAY=store-put=100" _start_daemon --policy-config $CONF
for i in $(seq 1 100); do
	pgrep -f "xfs_hsm policy --config $CONF" > /dev/null && break
	sleep 0.1
done
sleep 1		# into its copies
_stop_daemon
grep -q "space policy run stopped with the daemon" $HSMD_LOG &&
	echo "logged: the run stopped with the daemon"
pgrep -f "xfs_hsm policy --config $CONF" > /dev/null &&
	echo "a policy run outlived the daemon"
"$XFS_HSMSCAN" --repair $M >> $seqres.full 2>&1
rc=$?
[ $rc = 0 ] || [ $rc = 2 ] && echo "repair: exit 0 or 2" || echo "repair exit=$rc"
"$XFS_HSMSCAN" --repair $M >> $seqres.full 2>&1
echo "second repair exit=$?"
_start_daemon
for i in $(seq 1 24); do
	[ "$(_sha $M/d/f$i)" = "$(cat $TEST_DIR/f$i.sha)" ] || echo "f$i differs"
done
echo "files read back: 24"
_stop_daemon
cat $HSMD_LOG >> $seqres.full

status=0
exit
