#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# 095-stats-prometheus: xfs_hsm stats --prometheus prints the daemon's
# counters, recall latency, per-rule admission counters and policy runs
# in the Prometheus text exposition format: every line is a comment or a
# sample matching the grammar, every metric has one HELP and one TYPE
# before its samples, counters end in _total, and the values are the
# daemon's (bytes recalled = the file's size, a denial counted on its
# rule, the policy's runs).  Without a daemon: xfs_hsm_daemon_up 0, exit 4.

. "$(dirname "$0")/../common/preamble"

_require_scratch
_require_xfs_hsmd
_require_cmd python3

_scratch_setup 400m
_init_store
M=$SCRATCH_MNT
CONF=$TEST_DIR/xfs_hsm.conf
cp "$(command -v cat)" $TEST_DIR/denycat
cat > $CONF <<EOF
[space]
high_watermark = 99%
low_watermark = 98%
check_interval = 1s

[recall denied]
comm = denycat
action = deny
errno = EPERM
EOF

head -c 3M /dev/urandom > $M/f
"$XFS_HSM" migrate $M/f 2>> $seqres.full

# _check [REGEX...]: the exposition on stdin parses; print the samples
# matching each REGEX, without their mount label
_check()
{
	python3 -c '
import re, sys
name = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
lval = r"\"(?:[^\"\\\n]|\\[\\\"n])*\""
labels = r"\{(?:%s=%s(?:,%s=%s)*)?\}" % (name, lval, name, lval)
value = r"(?:[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?|[+-]?Inf|NaN)"
sample = re.compile(r"^(%s)(%s)? %s(?: -?[0-9]+)?$" % (name, labels, value))
meta = re.compile(r"^# (HELP|TYPE) (%s) (.*)$" % name)
helps, types, seen, bad = {}, {}, [], 0
for n, line in enumerate(sys.stdin.read().split("\n")[:-1], 1):
    m = meta.match(line)
    if m:
        d = helps if m.group(1) == "HELP" else types
        if m.group(2) in d:
            print("line %d: second %s of %s" % (n, m.group(1), m.group(2)))
            bad = 1
        d[m.group(2)] = m.group(3)
        if m.group(1) == "TYPE" and m.group(3) not in ("counter", "gauge"):
            print("line %d: type %s" % (n, m.group(3)))
            bad = 1
        continue
    m = sample.match(line)
    if not m:
        print("line %d does not parse: %s" % (n, line))
        bad = 1
        continue
    metric = m.group(1)
    if metric not in helps or metric not in types:
        print("line %d: %s has no HELP or TYPE before it" % (n, metric))
        bad = 1
    if (types.get(metric) == "counter") != metric.endswith("_total"):
        print("line %d: %s: only counters end in _total" % (n, metric))
        bad = 1
    if not (m.group(2) or "").startswith("{mount=\""):
        print("line %d: no mount label first" % n)
        bad = 1
    seen.append(line)
for w in sys.argv[1:]:
    for line in seen:
        if re.search(w, line):
            print(re.sub(r"mount=\"[^\"]*\",?", "", line).replace("{}", ""))
print("metrics: %s, all parse: %s" % ("over 30" if len(types) > 30 else
      len(types), "no" if bad else "yes"))
' "$@"
}

echo "== no daemon"
"$XFS_HSM" stats --prometheus $M > $tmp.prom 2> $tmp.err
echo "exit $?"
_filter_scratch < $tmp.err
_check xfs_hsm_daemon_up < $tmp.prom

echo "== a daemon with a policy and a recall rule"
_start_daemon --policy-config $CONF
$TEST_DIR/denycat $M/f > /dev/null 2>&1 || echo "denycat: denied"
cat $M/f > /dev/null
_daemon_idle
# a policy run (every second) started and ended
for i in $(seq 50); do
	"$XFS_HSM" stats --prometheus $M > $tmp.prom 2>> $seqres.full
	grep -q '^xfs_hsm_policy_runs_total{.*} [1-9]' $tmp.prom &&
		grep -q '^xfs_hsm_policy_running{.*} 0' $tmp.prom && break
	sleep 0.2
done
"$XFS_HSM" stats --prometheus $M > $tmp.prom
echo "exit $?"
cat $tmp.prom >> $seqres.full
_check '^xfs_hsm_daemon_up{' '^xfs_hsm_recall_bytes_total' \
	'^xfs_hsm_store_chunks_read_total' '^xfs_hsm_events_denied_total' \
	'^xfs_hsm_admit_(matched|denied)_total' \
	'^xfs_hsm_policy_runs_failed_total' '^xfs_hsm_policy_last_exit' \
	'^xfs_hsm_chunks_unsynced' < $tmp.prom
echo "latency quantiles: $(grep -c '^xfs_hsm_recall_seconds{.*,quantile="\(0.5\|0.9\|0.99\|1\)"} [0-9]*\.[0-9]\{6\}$' $tmp.prom)"
awk '/^xfs_hsm_policy_runs_total/ {
	print ($2 >= 1) ? "policy runs: at least one" : "policy runs: none" }
     /^xfs_hsm_policy_last_start_timestamp_seconds/ {
	print ($2 > 1700000000) ? "last start: a unix time" : "last start: " $2 }' $tmp.prom
echo "== --json and --prometheus"
"$XFS_HSM" stats --json --prometheus $M 2>&1 | head -n 1
_stop_daemon

status=0
exit
