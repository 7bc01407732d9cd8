#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# newcomer.sh - a newcomer's check: do what a newcomer would do with this
# project, literally, and fail where the documentation is not true.
#
#  1. git clone the repository into a temporary directory (HSM_SRCDIR, or
#     the repository holding this script: committed work only);
#  2. run the README's first command there (the line of README.md's
#     "Try it" section that starts with ./, comment dropped: the demo, which
#     installs what is missing, builds, and shows the HSM on a loop XFS;
#     XFS_HSM_STATEDIR keeps its daemon's journal in $WORK).
#     The README's second command (./quickstart.sh test, the test suite) is
#     not run: it is what CI runs itself, and what runs this check;
#  3. follow xfs_hsm(7) from top to bottom with the tools built in the
#     clone first in PATH: every example block of the page source marked
#     '.\" newcomer: run' (the line before its .EX) is run, command by
#     command, in this one shell (so a job started with & is this shell's,
#     and a cd stays), and what each command prints (stdout and stderr)
#     must be what the page shows.  tests/newcomer/manblocks.py takes the
#     blocks out and compares; its header says how a block is read, and
#     what its filter treats as a figure that changes from run to run
#     (UUIDs, object ids, dates, durations, rates, pids) or as elided
#     ('...').  A command that exits non-zero fails the check: a page that
#     means to show a failure shows '; echo "exit status $?"' after it.
#
# Placeholders.  The page's examples name a real administrator's paths;
# here each is replaced, where it stands as a whole path, by one of this
# run's:
#     /dev/sdX          a loop device on a sparse 1 GiB image (blank)
#     /data             $WORK/data (the page makes and mounts it)
#     /srv              $WORK/srv, a second loop XFS: the stores' "disk"
#     /etc/xfs-hsm      $WORK/etc/xfs-hsm (so the page's configuration
#                       files must be named on the command line)
#     /var/log          $WORK/log
# Blocks that need what a test machine has not (systemd as PID 1, a Ceph
# cluster, an S3 endpoint) are not marked and not run.
#
# Everything it made is undone in a trap: daemons it started stopped,
# filesystems unmounted, loop devices detached, $WORK removed.  Root
# needed.  Prints one line per command run, and at the end
# "newcomer: N commands of xfs_hsm(7) as documented in T s (T s in all)"
# or the first difference.
#
#   HSM_SRCDIR       the repository to clone (default: this script's;
#                    exit 77, skipped, when it is not a git repository,
#                    as in a release tarball)
#   NEWCOMER_TREE    a built tree to use instead of a fresh clone and the
#                    demo (for work on the page: steps 1 and 2 skipped)
#   NEWCOMER_KEEP    1: leave $WORK (and print where) on failure
#   NEWCOMER_PAGE    the page (default: the clone's man/man7/xfs_hsm.7)

set -u

SELF=$(readlink -f "$0")
HERE=$(dirname "$SELF")
MANBLOCKS="python3 $HERE/manblocks.py"

die()
{
	echo "newcomer: $*" >&2
	exit 1
}

[ "$(id -u)" -eq 0 ] || { echo "newcomer: must be run as root" >&2; exit 77; }

WORK=
DEV=
SRVDEV=
IMG=
SRVIMG=
FAILED=1

cleanup()
{
	local pid m

	[ -n "$WORK" ] || return 0
	cd /
	# the jobs this shell started (the page's daemon, by hand)
	for pid in $(jobs -p); do
		kill -TERM "$pid" 2> /dev/null
	done
	for pid in $(jobs -p); do
		timeout 30 tail --pid="$pid" -f /dev/null 2> /dev/null
		kill -9 "$pid" 2> /dev/null
	done
	wait 2> /dev/null
	# deepest mount first
	for m in $(findmnt -rn -o TARGET | grep "^$WORK/" | sort -r); do
		umount "$m" 2> /dev/null || umount -l "$m"
	done
	for m in "$IMG" "$SRVIMG"; do
		{ [ -n "$m" ] && [ -e "$m" ]; } || continue
		losetup -j "$m" -O NAME -n 2> /dev/null |
			while read -r d; do losetup -d "$d"; done
	done
	if [ "$FAILED" = 1 ] && [ "${NEWCOMER_KEEP:-0}" = 1 ]; then
		echo "newcomer: kept $WORK"
	elif findmnt -rn -o TARGET | grep -q "^$WORK/"; then
		echo "newcomer: $WORK still has mounts, not removing it" >&2
	else
		rm -rf --one-file-system "$WORK"
	fi
	WORK=
}
trap cleanup EXIT
trap 'exit 1' HUP INT QUIT TERM

START=$SECONDS
WORK=$(mktemp -d "${TMPDIR:-/tmp}/xfs-hsm-newcomer.XXXXXX") ||
	die "mktemp failed"
chmod 755 "$WORK"

# ---- 1, 2: a fresh clone and the README's first command -----------------

if [ -n "${NEWCOMER_TREE:-}" ]; then
	TREE=$(readlink -f "$NEWCOMER_TREE")
	echo "newcomer: using the built tree $TREE (no clone, no demo)"
else
	SRC=${HSM_SRCDIR:-$HERE/../..}
	if ! git -C "$SRC" rev-parse --git-dir > /dev/null 2>&1; then
		echo "newcomer: $SRC is not a git repository: skipped"
		exit 77
	fi
	TREE=$WORK/xfs-hsm
	echo "newcomer: git clone $SRC"
	git clone -q "$SRC" "$TREE" || die "git clone $SRC failed"
	FIRST=$(awk '/^## Try it/ { on = 1; next }
		     /^## / { on = 0 }
		     on && /^    \.\// { sub(/^    /, ""); sub(/ *#.*/, "");
				       print; exit }' "$TREE/README.md")
	[ -n "$FIRST" ] || die "README.md: no command in its \"Try it\" section"
	echo "newcomer: README's first command: $FIRST"
	t=$SECONDS
	# the demo's daemon keeps its change journal here, not in the
	# system's state directory (xfs_hsmd(8), XFS_HSM_STATEDIR)
	mkdir -p "$WORK/state"
	(cd "$TREE" && XFS_HSM_STATEDIR=$WORK/state eval "$FIRST") > "$WORK/readme.log" 2>&1 || {
		tail -n 40 "$WORK/readme.log"
		die "README's first command ($FIRST) failed; its log is above"
	}
	echo "newcomer: $FIRST: passed in $((SECONDS - t)) s"
fi
for t in xfs_hsm/xfs_hsm xfs_hsm/xfs_hsmd xfs_hsmscan/xfs_hsmscan; do
	[ -x "$TREE/$t" ] || die "$TREE/$t was not built"
done
PAGE=${NEWCOMER_PAGE:-$TREE/man/man7/xfs_hsm.7}
export PATH="$TREE/xfs_hsm:$TREE/xfs_hsmscan:$PATH"
export MANPATH="$TREE/man:"
# the daemon's change journal, not in the system's state directory
export XFS_HSM_STATEDIR=$WORK/state

# ---- 3: the page, on loop filesystems -----------------------------------

IMG=$WORK/sdX.img
SRVIMG=$WORK/srv.img
truncate -s 1G "$IMG" "$SRVIMG" || die "truncate failed"
DEV=$(losetup -f --show "$IMG") || die "losetup failed"
SRVDEV=$(losetup -f --show "$SRVIMG") || die "losetup failed"
mkfs.xfs -q "$SRVDEV" || die "mkfs.xfs of the stores' disk failed"
mkdir -p "$WORK/srv" "$WORK/log" "$WORK/etc" "$WORK/blocks" "$WORK/state" ||
	die "mkdir failed"
mount "$SRVDEV" "$WORK/srv" || die "mount of the stores' disk failed"

N=$($MANBLOCKS extract "$PAGE" "$WORK/blocks" \
	"/dev/sdX=$DEV" "/data=$WORK/data" "/srv=$WORK/srv" \
	"/etc/xfs-hsm=$WORK/etc/xfs-hsm" "/var/log=$WORK/log") ||
	die "cannot read the examples of $PAGE"
[ "$N" -gt 0 ] || die "$PAGE has no example marked 'newcomer: run'"
echo "newcomer: $N commands in $PAGE"

# Run each command in this shell, as typed at a prompt.
cd "$WORK" || die "cd $WORK failed"
PAGE_START=$SECONDS
i=0
for cmd in "$WORK"/blocks/*.cmd; do
	b=${cmd%.cmd}
	where=$(cat "$b.where")
	i=$((i + 1))
	printf 'newcomer: %s: %s\n' "$where" "$(head -n 1 "$cmd")"
	t=$SECONDS
	eval "$(cat "$cmd")" > "$b.out" 2>&1 < /dev/null
	rc=$?
	[ $((SECONDS - t)) -lt 5 ] ||
		echo "newcomer:     (took $((SECONDS - t)) s)"
	if [ $rc -ne 0 ]; then
		sed -e 's/^/    /' "$b.out"
		die "$where: the command exited with status $rc"
	fi
	if ! $MANBLOCKS match "$b.exp" "$b.out" > "$b.diff"; then
		cat "$b.diff"
		die "$where: the command printed something else than the page shows"
	fi
done
cd /
FAILED=0
echo "newcomer: $i commands of xfs_hsm(7) as documented in $((SECONDS - PAGE_START)) s" \
	"($((SECONDS - START)) s in all)"
