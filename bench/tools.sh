# SPDX-License-Identifier: GPL-2.0-or-later
#
# tools.sh - sourced by the benchmarks, with $bdir the build tree: the
# path of one of its programs, without libtool's wrapper script.  In a
# build tree xfs_hsm/xfs_hsm is a shell script that runs bash, sed and
# ls before the program: 0.1 to 0.2 s from a cold page cache, which a
# benchmark would charge to each command it times, and which an installed
# xfs_hsm does not pay.  The libraries of the tree are found through
# LD_LIBRARY_PATH instead.

# bench_tool DIR/NAME: the program itself where libtool keeps it
bench_tool() {
	local d=${1%/*} n=${1##*/}

	if [ -x "$bdir/$d/.libs/$n" ]; then
		echo "$bdir/$d/.libs/$n"
	else
		echo "$bdir/$1"
	fi
}

if [ -d "$bdir/libhsm/.libs" ]; then
	LD_LIBRARY_PATH=$bdir/libhsm/.libs${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
	export LD_LIBRARY_PATH
fi
