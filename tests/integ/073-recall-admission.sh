#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# 073-recall-admission: [recall NAME] rules of xfs_hsm.conf on a daemon
# serving in range mode.  A denied program gets the rule's errno and the
# file stays released while an allowed one reads the right bytes; an
# audit rule lets the reader through and logs "would deny"; a limit paces
# recalls and bytes (never faster than the limit, measured from before
# the readers start); bsdtar, given whole
# mode by its rule, copies released files byte for byte.  The rules'
# counters are in xfs_hsm stats --json.

. "$(dirname "$0")/../common/preamble"

_require_scratch
_require_xfs_hsmd
_require_cmd bsdtar python3

_scratch_setup 400m
_init_store
M=$SCRATCH_MNT
CONF=$TEST_DIR/xfs_hsm.conf
BIN=$TEST_DIR/bin
mkdir -p $BIN
# programs are told apart by name: cat under other names
for n in denycat auditcat slowcat bytecat rawtar; do
	cp "$(command -v cat)" $BIN/$n
done
cp "$(command -v bsdtar)" $BIN/rawtar

cat > $CONF <<EOF
[space]
high_watermark = 99%
low_watermark = 98%
check_interval = 1h

[recall denied]
comm = denycat
action = deny
errno = EPERM

[recall audited]
comm = auditcat
action = deny
errno = EBUSY
audit = yes

[recall paced]
comm = slowcat
action = limit
recalls_per_second = 20

[recall bytes]
exe = $(realpath $BIN/bytecat)
action = limit
bytes_per_second = 2M
mode = whole

[recall archivers]
comm = bsdtar
mode = whole
EOF

mkdir $M/d $M/p $M/b $M/t
for f in d1 d2 a1; do head -c 100K /dev/urandom > $M/d/$f; done
for i in $(seq 1 41); do head -c 16K /dev/urandom > $M/p/f$i; done
for i in 1 2 3 4; do head -c 1M /dev/urandom > $M/b/f$i; done
# bsdtar's files: data, and data around holes
head -c 3M /dev/urandom > $M/t/plain
truncate -s 8M $M/t/holes
dd if=/dev/urandom of=$M/t/holes bs=1M seek=3 count=2 conv=notrunc \
	status=none
head -c 600K /dev/urandom > $M/t/small
truncate -s 5M $M/t/tail
dd if=/dev/urandom of=$M/t/tail bs=1M count=1 conv=notrunc status=none
(cd $M && sha256sum d/* p/* b/* t/*) > $tmp.sums
"$XFS_HSM" migrate -r $M/d $M/p $M/b $M/t >> $seqres.full ||
	_fail "migrate"
_scratch_cycle_mount

# _right FILE: its bytes are those it had
_right()
{
	local want

	want=$(grep " ${1#$M/}\$" $tmp.sums | cut -d' ' -f1)
	[ "$(_sha $1)" = "$want" ]
}

_start_daemon --mode range --policy-config $CONF
grep -q "recall admission: 5 rules" $HSMD_LOG && echo "5 rules read"

echo "== deny"
$BIN/denycat $M/d/d1 > /dev/null 2> $tmp.err
echo "denycat exit=$?"
grep -q "Operation not permitted" $tmp.err && echo "denycat got EPERM"
"$XFS_HSM" status $M/d/d1 | awk '{ print "d1:", $1 }'
_right $M/d/d2 && echo "cat reads d2 right in the same run"
_right $M/d/d1 && echo "cat reads d1 right after the denial"
grep -q "recall rule 'denied': denied EPERM pid [0-9]* (denycat)" $HSMD_LOG &&
	echo "logged: denied"

echo "== audit"
$BIN/auditcat $M/d/a1 | sha256sum | cut -d' ' -f1 > $tmp.got
[ "$(cat $tmp.got)" = "$(grep ' d/a1$' $tmp.sums | cut -d' ' -f1)" ] &&
	echo "auditcat reads a1 right"
grep -q "recall rule 'audited': would deny EBUSY pid [0-9]* (auditcat)" \
	$HSMD_LOG && echo "logged: would deny"

echo "== recalls per second"
# 41 readers at once; the rule lets one start every 50 ms.  The last
# cannot be done before 40 x 50 ms after the first began: measured from
# before they start, the rate can only come out at or under the limit.
# Measured between completions, it is what the readers saw (a figure:
# a reader slow to start or to finish moves it).
t0=$(date +%s.%N)
pids=
for i in $(seq 1 41); do
	( $BIN/slowcat $M/p/f$i > $TEST_DIR/p.$i && date +%s.%N > $TEST_DIR/pt.$i ) &
	pids="$pids $!"
done
wait $pids		# not the daemon
bad=0
for i in $(seq 1 41); do
	[ "$(_sha $TEST_DIR/p.$i)" = "$(grep " p/f$i\$" $tmp.sums | cut -d' ' -f1)" ] ||
		bad=$((bad + 1))
done
echo "paced readers with wrong bytes: $bad"
rate=$(cat $TEST_DIR/pt.* | sort -n | awk -v t0=$t0 '
	NR == 1 { first = $1 } { last = $1 }
	END { printf "%.2f %.2f", (NR - 1) / (last - t0), (NR - 1) / (last - first) }')
_figure "recalls paced at 20/s: ${rate% *}/s from the start, ${rate#* }/s between the readers' completions"
python3 -c "import sys; r = float(sys.argv[1]); sys.exit(0 if r <= 20 * 1.02 else 1)" \
	${rate% *} && echo "never faster than the limit"
python3 -c "import sys; r = float(sys.argv[1]); sys.exit(0 if r >= 8 else 1)" \
	${rate% *} && echo "not held back far beyond it"

echo "== bytes per second"
t0=$(date +%s.%N)
pids=
for i in 1 2 3 4; do
	( $BIN/bytecat $M/b/f$i > /dev/null && date +%s.%N > $TEST_DIR/bt.$i ) &
	pids="$pids $!"
done
wait $pids
brate=$(cat $TEST_DIR/bt.* | sort -n | awk -v t0=$t0 '
	NR == 1 { first = $1 } { last = $1 }
	END { printf "%.2f %.2f", 3 / (last - t0), 3 / (last - first) }')
_figure "bytes paced at 2 MiB/s: ${brate% *} MiB/s from the start, ${brate#* } MiB/s between the readers' completions"
python3 -c "import sys; r = float(sys.argv[1]); sys.exit(0 if r <= 2 * 1.02 else 1)" \
	${brate% *} && echo "bytes: never faster than the limit"
for i in 1 2 3 4; do _right $M/b/f$i || echo "b/f$i wrong"; done

echo "== bsdtar in whole mode on a range-mode filesystem"
(cd $M && bsdtar -cf $TEST_DIR/t.tar t) || echo "bsdtar failed"
mkdir $TEST_DIR/x
bsdtar -C $TEST_DIR/x -xf $TEST_DIR/t.tar
n=0
for f in plain holes small tail; do
	[ "$(_sha $TEST_DIR/x/t/$f)" = "$(grep " t/$f\$" $tmp.sums | cut -d' ' -f1)" ] &&
		n=$((n + 1))
done
echo "bsdtar: $n of 4 files right"

# the same without the rule (bsdtar under another name): a figure only,
# what the rule protects against
"$XFS_HSM" release $M/t/* >> $seqres.full || _fail "release t"
_stop_daemon
_scratch_cycle_mount
_start_daemon --mode range --policy-config $CONF
(cd $M && $BIN/rawtar -cf $TEST_DIR/r.tar t) >> $seqres.full 2>&1
mkdir $TEST_DIR/y
bsdtar -C $TEST_DIR/y -xf $TEST_DIR/r.tar
n=0
for f in plain holes small tail; do
	[ "$(_sha $TEST_DIR/y/t/$f)" = "$(grep " t/$f\$" $tmp.sums | cut -d' ' -f1)" ] &&
		n=$((n + 1))
done
_figure "bsdtar without a whole-mode rule, range mode: $n of 4 files right"
for f in plain holes small tail; do _right $M/t/$f || echo "t/$f wrong in the filesystem"; done
_stop_daemon

echo "== counters"
_start_daemon --mode range --policy-config $CONF
$BIN/denycat $M/d/d1 > /dev/null 2>&1
"$XFS_HSM" release $M/d/d1 >> $seqres.full 2>&1
$BIN/denycat $M/d/d1 > /dev/null 2>&1
"$XFS_HSM" stats --json $M | python3 -c '
import json, sys
s = json.load(sys.stdin)
for r in s["recall_rules"]:
    print(r["name"], "matched", r["matched"], "denied", r["denied"],
          "waiting", r["waiting"])'
"$XFS_HSM" stats $M | grep -E "^recall rule|^denied " | awk '{ print $1, $2, $3, $4 }'
_stop_daemon
echo "done"
status=0
exit
