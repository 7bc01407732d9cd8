#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# quickstart.sh - set up, build and show xfs-hsm.
#
#   ./quickstart.sh        install what is missing, build, then a guided
#                          end-to-end demo on a loop-mounted XFS
#   ./quickstart.sh test   install what is missing, build, then the whole
#                          test suite from the release tarball (make
#                          distcheck: dist, build, make check, install,
#                          uninstall), then make check-sanitize, make
#                          check-extra and the newcomer's check
#                          (tests/newcomer); the last
#                          line is "N passed, N failed[, N skipped]"
#
# Needs root (re-executes itself with sudo).  Debian/Ubuntu (apt-get).

set -u

usage()
{
	cat << EOF
Usage: $0 [test]

Without argument: install missing packages, build, and run a guided demo
on a loop-mounted XFS image.  With 'test': install, build, and run the
test suite from the release tarball (make distcheck, which runs make
check there), then make check-sanitize, make check-extra (the crash
matrix, long crash and load tests) and the newcomer's check, ending with "N passed, N failed".
EOF
}

MODE=demo
case "${1:-}" in
"")		MODE=demo ;;
test)		MODE="test" ;;
-h|--help)	usage; exit 0 ;;
*)		usage >&2; exit 8 ;;
esac

SELF=$(readlink -f "$0")
TOP=$(dirname "$SELF")

if [ "$(id -u)" -ne 0 ]; then
	if command -v sudo > /dev/null 2>&1; then
		echo "==> not root: re-running under sudo"
		exec sudo -- bash "$SELF" "$@"
	fi
	echo "quickstart.sh: must be run as root (and sudo is not installed)" >&2
	exit 4
fi

cd "$TOP" || exit 4

step()
{
	echo
	echo "==> $*"
}

# Show a command, then run it.
run()
{
	echo "+ $*"
	"$@"
}

die()
{
	echo "quickstart.sh: $*" >&2
	exit 4
}

# ---- dependencies ---------------------------------------------------------

# Build: compiler, autotools, libraries.  Tests: xfsprogs (mkfs.xfs,
# xfs_io), attr (getfattr/setfattr), python3 (probes), man-db and
# groff-base (man page lint), util-linux/mount (losetup, findmnt, mount),
# e2fsprogs (chattr), kmod (modprobe loop/xfs), coreutils (sha256sum,
# timeout), tar, bsdtar (libarchive-tools) and rsync (copies of released
# files), acl (setfacl: files with ACLs in 068), strace (holds a command
# at a chosen fsync in the crash tests, and lists the paths tools touch
# in 041), passwd (useradd for 042's
# unprivileged user), systemd (systemd-analyze checks the unit), clang
# and libclang-rt-14-dev (libFuzzer and clang's ASan/UBSan runtimes for
# the fuzz targets; gcc's sanitizers for make check-sanitize come with
# build-essential).  The daemon links libinih (its config file) and
# libsystemd (READY=1 for the service manager).  The rados: store links
# librados (librados-dev); its tests start a one-node Ceph cluster
# (ceph-mon, ceph-osd, ceph-common for ceph, rados and the key tools;
# uuid-runtime for uuidgen).  The s3: store links libcurl (its SigV4
# signing) and expat (listings); its tests add radosgw, and curl.
PACKAGES="build-essential autoconf automake libtool pkg-config
	xfslibs-dev xfsprogs liburcu-dev libattr1-dev attr libxxhash-dev
	libjson-c-dev libinih-dev libsystemd-dev python3 man-db groff-base
	util-linux mount e2fsprogs kmod coreutils tar libarchive-tools rsync
	strace passwd systemd clang libclang-rt-14-dev acl
	librados-dev ceph-mon ceph-osd ceph-common uuid-runtime
	libcurl4-openssl-dev libexpat1-dev radosgw curl"

install_deps()
{
	local p missing=()

	if ! command -v dpkg-query > /dev/null 2>&1; then
		echo "==> no dpkg-query: not a Debian system, assuming these are installed:"
		# shellcheck disable=SC2086 # word splitting wanted: one line
		echo "   " $PACKAGES
		return 0
	fi
	for p in $PACKAGES; do
		if ! dpkg-query -W -f='${Status}' "$p" 2> /dev/null |
		     grep -q 'install ok installed'; then
			missing+=("$p")
		fi
	done
	if [ ${#missing[@]} -eq 0 ]; then
		echo "==> all packages installed"
		return 0
	fi
	step "installing ${missing[*]}"
	command -v apt-get > /dev/null 2>&1 ||
		die "apt-get not found: install ${missing[*]} by hand"
	export DEBIAN_FRONTEND=noninteractive
	run apt-get update || die "apt-get update failed"
	run apt-get install -y --no-install-recommends "${missing[@]}" ||
		die "apt-get install failed"
}

# ---- build ----------------------------------------------------------------

build()
{
	if [ ! -x configure ] || [ configure.ac -nt configure ]; then
		step "generating configure (autoreconf -fi)"
		run autoreconf -fi || die "autoreconf failed"
	fi
	if [ ! -f Makefile ]; then
		step "configuring"
		run ./configure || die "configure failed"
	fi
	step "building"
	run make -j"$(nproc)" || die "build failed"
}

# ---- test mode ------------------------------------------------------------

# Add the counts of the run in directory $1 to pass, fail, ...: automake's
# summary at the top of its test-suite.log or, without one (the harness
# did not finish), the .trs files this run wrote there (not build-san's).
count_run()
{
	local dir=$1 log=$1/test-suite.log

	if [ -f "$log" ]; then
		count_summary "$log"
		return
	fi
	count_trs "$dir"
}

# Add the counts of the "# PASS: N" lines of automake's summary in $1 (the
# header of a test-suite.log, or the "Testsuite summary" make check prints).
count_summary()
{
	local log=$1

	get() {
		local v
		v=$(sed -n "s/^# $1: *\([0-9][0-9]*\)\$/\1/p" "$log" |
			head -n 1)
		echo "${v:-0}"
	}
	pass=$((pass + $(get PASS))); fail=$((fail + $(get FAIL)))
	skip=$((skip + $(get SKIP))); xfail=$((xfail + $(get XFAIL)))
	xpass=$((xpass + $(get XPASS))); err=$((err + $(get ERROR)))
}

# Add the results of the .trs files written under $1 since $STAMP.
count_trs()
{
	local dir=$1 f r

	while IFS= read -r f; do
		while IFS= read -r r; do
			case $r in
			PASS)	pass=$((pass + 1)) ;;
			FAIL)	fail=$((fail + 1)) ;;
			SKIP)	skip=$((skip + 1)) ;;
			XFAIL)	xfail=$((xfail + 1)) ;;
			XPASS)	xpass=$((xpass + 1)) ;;
			*)	err=$((err + 1)) ;;
			esac
		done < <(sed -n 's/^:test-result: *\([A-Z]*\).*/\1/p' "$f")
	done < <(find "$dir" -path "$dir/build-san" -prune -o -name '*.trs' \
		-newer "$STAMP" -type f -print 2> /dev/null)
}

# Add the counts of make distcheck's make check.  It runs in
# $DISTDIR/_build/sub, which distcheck removes once everything passed: then
# the summary it printed is read from its output ($DIST_LOG); when it
# failed the directory stays, with its test-suite.log or .trs files.
count_dist()
{
	local sub=$DISTDIR/_build/sub

	if [ -f "$sub/test-suite.log" ] || [ -d "$sub" ]; then
		count_run "$sub"
	elif grep -q '^# TOTAL: *[0-9]' "$DIST_LOG"; then
		count_summary "$DIST_LOG"
	fi
}

# Print "N passed, N failed[, N skipped]" from the counts of this run (make
# distcheck's make check, make check-sanitize in build-san/obj, make
# check-extra here, the newcomer's check) and
# return 0 only when something ran and nothing failed.  A distcheck or a
# check-sanitize that failed outside its tests (dist, build, install,
# uninstall, distclean; sanitizer report files) counts as one failure.
summarize()
{
	local pass=0 fail=0 skip=0 xfail=0 xpass=0 err=0 before
	local passed failed

	count_dist
	if [ "$DIST_RC" -ne 0 ] && [ $((fail + xpass + err)) -eq 0 ]; then
		echo "ERROR: distcheck (outside its tests: dist, build," \
			"install, uninstall or distclean)" >> "$CHECK_LOG"
		err=$((err + 1))
	fi
	before=$((fail + xpass + err))
	count_run build-san/obj
	if [ "$SAN_RC" -ne 0 ] &&
	   [ $((fail + xpass + err)) -eq "$before" ]; then
		echo "ERROR: check-sanitize (its build, or a sanitizer report)" \
			>> "$CHECK_LOG"
		err=$((err + 1))
	fi
	before=$((fail + xpass + err))
	count_run .
	if [ "$CRASH_RC" -ne 0 ] &&
	   [ $((fail + xpass + err)) -eq "$before" ]; then
		echo "ERROR: check-extra (outside its tests)" >> "$CHECK_LOG"
		err=$((err + 1))
	fi
	# ---- the newcomer's check: one more test (see run_newcomer) ----
	case $NEWCOMER_RC in
	0)	pass=$((pass + 1)) ;;
	77)	skip=$((skip + 1)) ;;
	*)	fail=$((fail + 1))
		echo "FAIL: tests/newcomer/newcomer.sh" >> "$CHECK_LOG" ;;
	esac
	# ---- end of the newcomer's check ----
	passed=$((pass + xfail))
	failed=$((fail + xpass + err))

	if [ "$failed" -gt 0 ]; then
		echo
		echo "==> failed (FAIL, XPASS or ERROR results per test program):"
		# -a: test output may hold bytes that are not text
		grep -aE '^(FAIL|XPASS|ERROR): ' "$CHECK_LOG" |
			awk '{ n[$2]++ } END { for (t in n) printf("    %s: %d\n", t, n[t]) }' |
			sort
	fi
	echo
	if [ "$skip" -gt 0 ]; then
		echo "$passed passed, $failed failed, $skip skipped"
	else
		echo "$passed passed, $failed failed"
	fi
	[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
}

# Seconds since $1 as "Nm Ss".
took()
{
	local s=$(($(date +%s) - $1))

	echo "$((s / 60))m $((s % 60))s"
}

run_tests()
{
	local t0 t

	step "running the test suite from the release tarball (make distcheck)"
	STAMP=$(mktemp "${TMPDIR:-/tmp}/xfs-hsm-check.XXXXXX") || exit 4
	CHECK_LOG=$(mktemp "${TMPDIR:-/tmp}/xfs-hsm-check-log.XXXXXX") || exit 4
	DIST_LOG=$(mktemp "${TMPDIR:-/tmp}/xfs-hsm-dist-log.XXXXXX") || exit 4
	trap 'rm -f "$STAMP" "$CHECK_LOG" "$DIST_LOG"' EXIT
	DISTDIR=$(make -s print-distdir 2> /dev/null | tail -n 1) || DISTDIR=
	[ -n "$DISTDIR" ] || die "make print-distdir failed"
	rm -f test-suite.log
	rm -rf build-san
	# a failed distcheck leaves its tree, read-only: not this run's results
	if [ -d "$DISTDIR" ]; then
		chmod -R u+w "$DISTDIR" && rm -rf "$DISTDIR"
	fi
	sleep 1		# .trs files of this run must be newer than $STAMP
	# make check runs once, inside the unpacked tarball (distcheck)
	t0=$(date +%s)
	# XFS_HSM_TESTS="tests/unit/test_record ...": only those (a quick run
	# of this harness itself); check-sanitize runs its own set regardless
	make distcheck ${XFS_HSM_TESTS:+TESTS="$XFS_HSM_TESTS"} 2>&1 |
		tee "$DIST_LOG"
	DIST_RC=${PIPESTATUS[0]}
	t=$(took "$t0")
	cat "$DIST_LOG" >> "$CHECK_LOG"
	[ "$DIST_RC" -eq 0 ] || echo "==> make distcheck exited with status $DIST_RC"
	echo "==> make distcheck took $t"

	step "the ASan+UBSan build and its tests (make check-sanitize)"
	t0=$(date +%s)
	make check-sanitize 2>&1 | tee -a "$CHECK_LOG"
	SAN_RC=${PIPESTATUS[0]}
	[ "$SAN_RC" -eq 0 ] ||
		echo "==> make check-sanitize exited with status $SAN_RC"
	echo "==> make check-sanitize took $(took "$t0")"

	step "the whole crash matrix, the long crash and load tests (make check-extra)"
	t0=$(date +%s)
	rm -f test-suite.log
	make check-extra 2>&1 | tee -a "$CHECK_LOG"
	CRASH_RC=${PIPESTATUS[0]}
	[ "$CRASH_RC" -eq 0 ] ||
		echo "==> make check-extra exited with status $CRASH_RC"
	echo "==> make check-extra took $(took "$t0")"
	run_newcomer
	summarize
}

# ---- the newcomer's check ----------------------------------------------
# A fresh clone, the README's first command, then xfs_hsm(7)'s examples
# as the page shows them (tests/newcomer/newcomer.sh; make
# check-newcomer).  Counted as one test in the last line.
run_newcomer()
{
	step "the newcomer's check (tests/newcomer/newcomer.sh)"
	bash tests/newcomer/newcomer.sh 2>&1 | tee -a "$CHECK_LOG"
	NEWCOMER_RC=${PIPESTATUS[0]}
}
# ---- end of the newcomer's check ----------------------------------------

# ---- demo mode ------------------------------------------------------------

WORK=
MNT=
IMG=
HSMD=

stop_daemon()
{
	local i

	[ -n "$HSMD" ] || return 0
	kill -TERM "$HSMD" 2> /dev/null
	for i in $(seq 100); do
		kill -0 "$HSMD" 2> /dev/null || break
		sleep 0.1
	done
	kill -9 "$HSMD" 2> /dev/null
	wait "$HSMD" 2> /dev/null
	HSMD=
}

cleanup()
{
	local dev

	[ -n "$WORK" ] || return 0
	cd /
	stop_daemon
	if [ -n "$MNT" ] && mountpoint -q "$MNT" 2> /dev/null; then
		echo "==> cleaning up: unmounting $MNT"
		umount "$MNT" 2> /dev/null || umount -l "$MNT"
	fi
	if [ -n "$IMG" ] && [ -e "$IMG" ]; then
		losetup -j "$IMG" -O NAME -n 2> /dev/null |
		while read -r dev; do
			echo "==> cleaning up: detaching $dev"
			losetup -d "$dev"
		done
	fi
	if findmnt -rn -o TARGET | grep -q "^$WORK/"; then
		echo "quickstart.sh: $WORK still has mounts, not removing it" >&2
	else
		rm -rf --one-file-system "$WORK"
	fi
	WORK=
}

mib_used()
{
	sync
	df -B1M --output=used "$1" | tail -n 1 | tr -d ' '
}

demo()
{
	local hsm=$TOP/xfs_hsm/xfs_hsm hsmd=$TOP/xfs_hsm/xfs_hsmd
	local before after recalled rc i

	[ -x "$hsm" ] || die "$hsm was not built"
	[ -x "$hsmd" ] || die "$hsmd was not built"
	trap cleanup EXIT
	trap 'exit 1' HUP INT QUIT TERM

	step "making a scratch directory"
	WORK=$(mktemp -d "${TMPDIR:-/tmp}/xfs-hsm-demo.XXXXXX") ||
		die "mktemp failed"
	chmod 755 "$WORK"
	IMG=$WORK/xfs.img
	MNT=$WORK/mnt
	echo "$WORK"
	# the daemon's change journal, and what the tools keep, stay here too
	export XFS_HSM_STATEDIR=$WORK/state
	mkdir -p "$XFS_HSM_STATEDIR"

	step "creating a sparse 2 GiB image and an XFS filesystem on it"
	run truncate -s 2G "$IMG" || die "truncate failed"
	run mkfs.xfs -q -f "$IMG" || die "mkfs.xfs failed"

	step "mounting it on a loop device"
	mkdir -p "$MNT"
	run mount -o loop "$IMG" "$MNT" || die "mount -o loop failed"
	findmnt -n -o SOURCE,TARGET,FSTYPE "$MNT"

	step "binding the filesystem to a store directory (outside it)"
	mkdir -p "$WORK/store"
	run "$hsm" init --store "posix:$WORK/store" "$MNT" ||
		die "xfs_hsm init failed"

	step "writing sample files: text, 8 MiB of random data, a sparse file"
	mkdir -p "$MNT/project/data"
	for i in 1 2 3 4 5; do
		echo "line $i of a small text file"
	done > "$MNT/project/README.txt"
	echo "+ head -c 8M /dev/urandom > $MNT/project/data/random.bin"
	head -c 8M /dev/urandom > "$MNT/project/data/random.bin"
	# 1 GiB apparent size, 4 MiB of data in two places
	run truncate -s 1G "$MNT/project/data/sparse.img"
	head -c 2M /dev/urandom |
		dd of="$MNT/project/data/sparse.img" bs=1M seek=16 \
		   conv=notrunc status=none
	head -c 2M /dev/urandom |
		dd of="$MNT/project/data/sparse.img" bs=1M seek=900 \
		   conv=notrunc status=none
	ls -ls "$MNT/project" "$MNT/project/data"

	step "recording sha256 checksums"
	(cd "$MNT" && sha256sum project/README.txt project/data/*) |
		tee "$WORK/sha256"

	before=$(mib_used "$MNT")
	step "space used on the filesystem before migration: $before MiB"
	run df -h "$MNT"

	step "migrating the tree: archive to the store, then release"
	run "$hsm" -v migrate -r "$MNT/project"
	rc=$?
	[ "$rc" -eq 0 ] || echo "==> xfs_hsm migrate exited with status $rc"

	step "status of every file (STATE FLAGS PENDING SIZE RESIDENT PATH)"
	run "$hsm" status -r "$MNT/project"

	after=$(mib_used "$MNT")
	step "space used after migration: $after MiB ($((before - after)) MiB freed)"
	run df -h "$MNT"
	ls -ls "$MNT/project/data"

	step "the store now holds the data"
	(cd "$WORK/store" && find . -type f | sort | head -n 20)
	du -sh "$WORK/store"
	echo "one object's recovery metadata (its xattr user.xfs-hsm.meta):"
	find "$WORK/store/objects" -type f | head -n 1 |
		xargs getfattr --only-values -n user.xfs-hsm.meta

	step "without the daemon a released file reads as zeros"
	run od -A d -t x1 -N 16 "$MNT/project/data/random.bin"

	step "starting the recall daemon, xfs_hsmd (systemd starts it at mount time)"
	echo "+ $hsmd -f $MNT > $WORK/xfs_hsmd.log 2>&1 &"
	"$hsmd" -f "$MNT" > "$WORK/xfs_hsmd.log" 2>&1 &
	HSMD=$!
	for i in $(seq 100); do
		"$hsm" stats "$MNT" > /dev/null 2>&1 && break
		sleep 0.1
	done
	run "$hsm" stats "$MNT" > /dev/null || die "xfs_hsmd did not start"
	echo "xfs_hsmd serves $MNT"

	step "reading the files: each comes back the moment it is opened"
	run od -A d -t x1 -N 16 "$MNT/project/data/random.bin"
	if (cd "$MNT" && sha256sum -c "$WORK/sha256"); then
		rc=0
	else
		rc=1
	fi
	echo "the daemon's log:"
	sed -e 's/^/    /' "$WORK/xfs_hsmd.log"

	step "status after the reads: archived = data back on disk, copy kept"
	run "$hsm" status -r "$MNT/project"
	recalled=$(mib_used "$MNT")
	echo "space used: $recalled MiB"

	step "releasing again (through the daemon), then copying with cp"
	run "$hsm" -v release -r "$MNT/project"
	run cp "$MNT/project/data/random.bin" "$WORK/copy.bin"
	run sha256sum "$WORK/copy.bin" "$MNT/project/data/random.bin"

	step "the daemon's counters"
	run "$hsm" stats "$MNT"

	step "stopping the daemon; recalling the rest with the command"
	stop_daemon
	run "$hsm" -v recall -r "$MNT/project"

	step "verifying sha256 checksums"
	if [ $rc -eq 0 ] && (cd "$MNT" && sha256sum -c "$WORK/sha256"); then
		step "demo finished: every file came back byte for byte"
		rc=0
	else
		step "demo FAILED: checksums differ"
		rc=1
	fi

	step "cleaning up (unmount, detach, remove $WORK)"
	cleanup
	return $rc
}

# ---- main -----------------------------------------------------------------

step "checking packages"
install_deps
build

if [ "$MODE" = test ]; then
	run_tests
	exit $?
fi

demo
exit $?
