#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# run-test.sh TEST - run one integration test and report it as TAP
# (FT check, reduced to one test).
#
# TEST is tests/integ/NNN-name.sh (any directory).  Its stdout is compared
# with NNN-name.out beside it (diff -u).  The outcome:
#   1..1 / ok 1 - NNN-name          output matched and exit status 0
#   1..1 / not ok 1 - NNN-name      mismatch (NNN-name.out.bad kept in the
#                                   build tree, diff as "#" lines) or a
#                                   non-zero exit status
#   1..0 # SKIP reason              the test called _notrun
# The test's stderr and its verbose log go to NNN-name.full in the test's
# own folder under $HSM_BUILDDIR (tests/integ, tests/doc, ...), where the
# .out.bad is kept too.  HSM_TEST_TIMEOUT (seconds, default 600) bounds a
# test: on expiry the whole test is signalled and its trap cleans up.
# Figures a test measured (_figure, NNN-name.figures) are printed as "#"
# lines: load and speed are reported, never compared with golden output.

test=$1
if [ -z "$test" ] || [ ! -f "$test" ]; then
	echo "1..1"
	echo "not ok 1 - ${test:-(none)} # no such test"
	exit 0
fi

srcdir=$(cd "$(dirname "$test")" && pwd)
seq=$(basename "$test" .sh)
: "${HSM_BUILDDIR:=$(cd "$srcdir/../.." && pwd)}"
: "${HSM_SRCDIR:=$(cd "$srcdir/../.." && pwd)}"
export HSM_BUILDDIR HSM_SRCDIR

# results beside the build-tree twin of the test's folder (tests/integ,
# tests/doc, ...)
resdir=$HSM_BUILDDIR/$(basename "$(dirname "$srcdir")")/$(basename "$srcdir")
mkdir -p "$resdir"
seqres=$resdir/$seq
export seqres
golden=$srcdir/$seq.out
rm -f "$seqres.out.bad" "$seqres.notrun" "$seqres.full" "$seqres.figures"

timeout=${HSM_TEST_TIMEOUT:-600}
start=$(date +%s)
# timeout(1) runs the test in its own process group and signals all of it;
# the test's TERM trap unmounts its filesystems.
if command -v timeout > /dev/null 2>&1; then
	timeout -k 30 "$timeout" bash "$srcdir/$seq.sh" \
		> "$seqres.out.new" 2> "$seqres.err"
	rc=$?
else
	bash "$srcdir/$seq.sh" > "$seqres.out.new" 2> "$seqres.err"
	rc=$?
fi
end=$(date +%s)
if [ -s "$seqres.err" ]; then
	{ echo "--- stderr of $seq ---"; cat "$seqres.err"; } >> "$seqres.full"
fi
rm -f "$seqres.err"

if [ -f "$seqres.notrun" ]; then
	reason=$(head -n 1 "$seqres.notrun")
	rm -f "$seqres.out.new"
	echo "1..0 # SKIP $reason"
	exit 0
fi

echo "1..1"
echo "# $seq: $((end - start))s, log in $seqres.full"
# measured figures a test reports (_figure), shown with its result
[ -f "$seqres.figures" ] && sed -e "s/^/# $seq: /" "$seqres.figures"
fail=
if [ ! -f "$golden" ]; then
	echo "# no golden output $golden"
	mv "$seqres.out.new" "$seqres.out.bad"
	fail="no golden output"
elif ! diff -u "$golden" "$seqres.out.new" > "$seqres.diff" 2>&1; then
	mv "$seqres.out.new" "$seqres.out.bad"
	echo "# output mismatch (see $seqres.out.bad)"
	sed -e 's/^/# /' "$seqres.diff" | head -n 200
	fail="output mismatch"
else
	rm -f "$seqres.out.new"
fi
rm -f "$seqres.diff"
if [ "$rc" -ne 0 ]; then
	if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
		echo "# timed out after ${timeout}s"
	fi
	echo "# exit status $rc"
	fail="${fail:+$fail, }exit status $rc"
	[ -f "$seqres.full" ] && tail -n 20 "$seqres.full" | sed -e 's/^/#   /'
fi

if [ -n "$fail" ]; then
	echo "not ok 1 - $seq # $fail"
else
	echo "ok 1 - $seq"
fi
exit 0
