#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# 043-load-readers: the daemon under many readers, in whole and range
# mode.  64 readers of 64 released files, then 500 readers of one released
# file: every reader gets every byte right, each chunk is read from the
# store once (1 MiB chunks: 256 and 8), nothing fails, and the worker's
# memory stays bounded (under 256 MiB; the figure is reported).  In range
# mode the 500 make the file shared: the rest is recalled at once and the
# file silenced, or the kernel's wakeup of every waiter at each answer took
# minutes.  How many events the 500 raise depends on how fast they arrive
# (a figure); what the mechanism guarantees is checked after them: once
# every byte is in the file, a reader raises at most two events (its open,
# until the file is final, and its first read, which sets the ignore mark
# again if the kernel evicted it with the inode), never one per read.

. "$(dirname "$0")/../common/preamble"

_require_scratch
_require_xfs_hsmd

_scratch_setup 2g
_init_store
M=$SCRATCH_MNT
mkdir $M/many $TEST_DIR/ref
for i in $(seq 64); do
	head -c 4M /dev/urandom > $TEST_DIR/ref/f$i
	cp $TEST_DIR/ref/f$i $M/many/f$i
done
head -c 8M /dev/urandom > $TEST_DIR/ref/one
cp $TEST_DIR/ref/one $M/one
"$XFS_HSM" migrate -r -j 2 $M/many $M/one 2>> $seqres.full

# _readers N FILE...: N readers in all, spread over FILEs, each comparing
# the whole file with its reference; prints how many got the right bytes
# and the seconds they took together
_readers()
{
	local n=$1 i f t0 pids=()

	shift
	rm -f $TEST_DIR/res.*
	t0=$(date +%s.%N)
	for i in $(seq 0 $((n - 1))); do
		f=${@:$((i % $# + 1)):1}
		( cmp -s $f $TEST_DIR/ref/$(basename $f) && echo ok ||
			echo WRONG ) > $TEST_DIR/res.$i 2>&1 &
		pids+=($!)
	done
	for i in "${pids[@]}"; do
		wait $i
	done
	echo "$(cat $TEST_DIR/res.* | grep -c '^ok$')" \
		"$(awk -v s=$t0 -v n=$(date +%s.%N) 'BEGIN { printf("%.2f", n - s) }')"
}

for mode in whole range; do
	echo "== mode $mode"
	"$XFS_HSM" release -r $M 2>> $seqres.full
	_start_daemon --mode $mode
	c0=$(_stat chunks)
	e0=$(_stat events)
	read -r ok secs < <(_readers 64 $M/many/f*)
	echo "64 readers of 64 files: $ok right"
	echo "chunks read from the store: $(( $(_stat chunks) - c0 ))"
	_figure "$mode: 64 readers x 64 files of 4 MiB: ${secs}s," \
		"$(awk -v b=268435456 -v s=$secs 'BEGIN { printf("%.0f", b / 1048576 / s) }') MiB/s," \
		"$(( $(_stat events) - e0 )) events"

	c0=$(_stat chunks)
	d0=$(_stat chunks_dedup)
	e0=$(_stat events)
	read -r ok secs < <(_readers 500 $M/one)
	echo "500 readers of one file: $ok right"
	echo "chunks read from the store: $(( $(_stat chunks) - c0 ))"
	ev=$(( $(_stat events) - e0 ))
	# the file is silenced once whole: at most the open of each reader
	e1=$(_stat events)
	for i in $(seq 50); do
		cmp -s $M/one $TEST_DIR/ref/one || echo "later reader $i: WRONG"
	done
	ev1=$(( $(_stat events) - e1 ))
	echo "50 later readers, at most two events each: $([ $ev1 -le 100 ] && echo yes || echo "no ($ev1)")"
	echo "failures: $(_stat failures)"
	rss=$(_stat rss_max_kib)
	echo "worker memory under 256 MiB: $([ "$rss" -lt 262144 ] && echo yes || echo "no ($rss KiB)")"
	_figure "$mode: 500 readers x 1 file of 8 MiB: ${secs}s," \
		"$ev events, then $ev1 for 50 more," \
		"$(( $(_stat chunks_dedup) - d0 )) waits on a chunk in flight;" \
		"worker RSS peak $((rss / 1024)) MiB, now $(( $(_stat rss_kib) / 1024 )) MiB"
	_stop_daemon
done

status=0
exit
