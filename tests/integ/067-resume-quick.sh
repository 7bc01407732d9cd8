#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# 067-resume-quick: a scan stopped early (--time-limit, SIGTERM) and
# continued with --resume counts exactly what one whole scan counts, and
# repairs what it found before the stop; a checkpoint whose tail was torn
# by a crash is read up to the last whole line.  --quick reads the
# records of the indexed inodes and of those changed since, finds the
# same counts as a full scan, sees records added and removed after the
# index, and refuses an index from the future or a damaged one.

. "$(dirname "$0")/../common/preamble"
. "$(dirname "$0")/../common/scanrc"

_require_cmd strace

_scan_scratch 1g
SD=$(_scan_state)

# 6000 files over four directories (so over the allocation groups)
python3 - $M <<'PY'
import os, sys
for d in range(4):
    p = os.path.join(sys.argv[1], "d%d" % d)
    os.mkdir(p)
    for i in range(1500):
        fd = os.open(os.path.join(p, "f%04d" % i), os.O_CREAT | os.O_WRONLY, 0o644)
        if i % 100 == 0:
            os.write(fd, os.urandom(8192))
        os.close(fd)
PY
"$XFS_HSM" migrate --keep $M/d0/f0000 $M/d1/f0100 $M/d2/f0200
"$XFS_HSM" migrate $M/d3/f0300 $M/d3/f0400
LIBHSM_FAULT=migrate-pending "$XFS_HSM" migrate $M/d2/f0500 >> $seqres.full 2>&1
sync

# the counts of a summary, without what differs between runs
_counts()
{
	_json "sorted((k, v) for k, v in d['summary'].items() if k not in ('seconds', 'inodes_per_second', 'complete', 'records_read'))"
}

_scan_json $M
_counts > $tmp.full
_summary inodes_scanned archived released resident_with_record

echo "== --resume --time-limit 0: a batch per worker and run"
rm -rf $SD
runs=0
while :; do
	runs=$((runs + 1))
	_scan_json --resume --time-limit 0 -j 2 --state-dir $SD $M
	rc=$?
	[ "$(_json "d['summary']['complete']")" = True ] && break
	[ $rc -eq 1 ] || echo "run $runs: exit $rc"
	[ $runs -eq 2 ] && cp $SD/*.checkpoint $tmp.cp
	[ $runs -gt 50 ] && _fail "no end after 50 runs"
done
# the pending migrate: found, not repaired (exit 1)
[ $runs -gt 3 ] && echo "complete after more than 3 runs, last exit=$rc"
_counts | cmp -s - $tmp.full && echo "same counts as one whole scan"
echo "checkpoint left: $(ls $SD | grep -c checkpoint)"

echo "== a torn checkpoint, and entries after an AG's cursor"
cp=$SD/$(_json "d['uuid']").checkpoint
cp $tmp.cp $cp
# what a crash leaves: lines past the last "C" of an AG, a torn line
ag=$(awk '$1 == "C" { last[$2] = $3; done[$2] = $4 }
	END { for (a in last) if (!done[a]) { print a, last[a]; exit } }' $cp)
set -- $ag
printf 'P %s %s 1 1\nT %s %s 1\nC %s 99' $1 $(($2 + 7)) $1 $(($2 + 7)) $1 >> $cp
_scan --resume --repair --state-dir $SD --paths $M > $tmp.out
grep -E '^(inodes scanned|archived|pending|repaired|not repaired|scan):|^repaired|cannot|resuming|^exit' \
	$tmp.out
_scan_json $M
_summary resident_with_record
_json "d['summary']['pending']['migrating']"
_counts > $tmp.full

echo "== SIGTERM: stop at the next batch, checkpointed"
rm -rf $SD
# each thread's second ioctl waits 2 s: the workers' first record read
strace -f -o /dev/null -e trace=ioctl \
	-e inject=ioctl:delay_enter=2000000:when=2 \
	"$XFS_HSMSCAN" --resume --state-dir $SD -j 2 --json $M \
	> $tmp.json 2>> $seqres.full &
tracer=$!
_bg_track $tracer
# the main thread's second ioctl is delayed too: wait until the scanner
# catches SIGTERM (SigCgt bit 15) rather than guess how long that takes
scanner=
for i in $(seq 300); do
	scanner=$(pgrep -P $tracer | head -1)
	# not the libtool wrapper shell: the scanner itself
	[ -n "$scanner" ] &&
		[[ $(readlink /proc/$scanner/exe) == *xfs_hsmscan ]] &&
		sigcgt=$(awk '/^SigCgt/ { print $2 }' /proc/$scanner/status 2> /dev/null) &&
		(( 0x$sigcgt & 0x4000 )) && break
	scanner=
	sleep 0.1
done
[ -n "$scanner" ] || echo "the scanner never caught SIGTERM"
sleep 0.5		# inside the workers' 2 s wait
kill -TERM $scanner
wait $tracer
echo "exit=$?"
_json "d['summary']['complete']"
_scan_json --resume --state-dir $SD $M
_json "d['summary']['complete']"
_counts | cmp -s - $tmp.full && echo "same counts as one whole scan"

echo "== --quick"
rm -rf $SD
sleep 3		# the files are older than the index's epoch
_scan --quick --state-dir $SD $M | grep -E '^xfs_hsmscan|^exit'
_scan_json --quick --state-dir $SD $M
# the 5 files with a record; the forks of the others are empty
_summary records_read
_counts | cmp -s - $tmp.full && echo "same counts as a full scan"
head -c 8192 /dev/urandom > $M/d1/new
"$XFS_HSM" migrate $M/d1/new
"$XFS_HSM" recall $M/d3/f0300
"$XFS_HSM" forget $M/d3/f0300
# new: changed since; f0300: in the index (its fork went with its record)
_scan_json --quick --state-dir $SD $M
_summary records_read archived released
_scan_json $M
_summary archived released

echo "== an index from the future, a damaged one"
ix=$(ls $SD/*.index)
sed -i "s/^written .*/written $(( $(date +%s) + 3600 ))/" $ix
_scan --quick --state-dir $SD $M | grep -E '^xfs_hsmscan|^exit'
head -n 10 $ix > $ix.tmp && mv $ix.tmp $ix
_scan --quick --state-dir $SD $M | grep -E '^xfs_hsmscan|^exit'

status=0
exit
