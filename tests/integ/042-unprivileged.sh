#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# 042-unprivileged: as an unprivileged user (created by the test): cannot
# set, read or forge trusted.hsm; cannot talk to the daemon's socket (its
# directory and the socket are root's, 0700/0600, and a connection from a
# user who gets past the modes, here one with CAP_DAC_OVERRIDE, is refused
# on its peer credentials); xfs_hsm, xfs_hsmd and xfs_hsmscan say "must
# be run as root" and exit 4; recalling a file through a read needs read
# permission on it like any read: a 0600 root file gives EACCES and is not
# recalled, a 0644 one reads right.  The store directory is 0700 and its
# objects 0600 even when init and migrate run under umask 000.

. "$(dirname "$0")/../common/preamble"
. "$(dirname "$0")/../common/scanrc"

_require_scratch
_require_xfs_hsmd
_require_xfs_hsmscan
_require_cmd useradd userdel setpriv

# the user's python: root's PATH may lead to one under /root
PY_USER=/usr/bin/python3
[ -x "$PY_USER" ] || _notrun "$PY_USER not found"

HSM_USER=xfshsm042
_test_cleanup()
{
	userdel -r "$HSM_USER" > /dev/null 2>&1
}
userdel -r "$HSM_USER" > /dev/null 2>&1	# left by a killed run
useradd --system --no-create-home --shell /usr/sbin/nologin "$HSM_USER" \
	>> "$seqres.full" 2>&1 || _notrun "useradd $HSM_USER failed"
HSM_UID=$(id -u "$HSM_USER")
HSM_GID=$(id -g "$HSM_USER")

# _as_user [SETPRIV-OPTS...] -- CMD...: CMD as the test user
_as_user()
{
	local opts=()

	while [ "$1" != -- ]; do
		opts+=("$1")
		shift
	done
	shift
	setpriv --reuid="$HSM_UID" --regid="$HSM_GID" --clear-groups \
		"${opts[@]}" "$@"
}

# _user_run LABEL CMD...: CMD as the user; its stderr, filtered, and status
_user_run()
{
	local label=$1 rc

	shift
	_as_user -- "$@" > "$tmp.u.out" 2> "$tmp.u.err"
	rc=$?
	{ echo "+ (as $HSM_USER) $*"; cat "$tmp.u.out" "$tmp.u.err"; } >> "$seqres.full"
	_filter_all < "$tmp.u.err" | sed -e "s|$XFS_HSMSCAN|xfs_hsmscan|"
	echo "$label exit=$rc"
}

umask 000
_scratch_setup 1g
_init_store
M=$SCRATCH_MNT
chmod 755 "$M"

head -c 300000 /dev/urandom > "$M/secret"
head -c 300000 /dev/urandom > "$M/public"
chmod 600 "$M/secret"
chmod 644 "$M/public"
sha256sum < "$M/public" > "$tmp.sum.public"
sha256sum < "$M/secret" > "$tmp.sum.secret"
mkdir "$M/home"
chown "$HSM_USER:" "$M/home"
"$XFS_HSM" migrate "$M/secret" "$M/public" >> "$seqres.full" 2>&1 ||
	_fail "migrate failed"
rec=$(_hexrec "$M/public")
[ ${#rec} -eq 320 ] || _fail "no record on public"

echo "== store modes under umask 000"
find "$STORE" -mindepth 1 \( -type d -perm /077 -o -type f -perm /077 \) \
	-printf 'too open: %P %m\n'
echo "store: $(stat -c %a "$STORE")"
# the modes of the posix store's own files and directories
echo "objects: $(find "$STORE" -path '*/objects/*' -type f | wc -l)," \
	"all 600: $(find "$STORE" -path '*/objects/*' -type f ! -perm 600 | wc -l | sed 's/^0$/yes/')"
echo "object dirs 700: $(find "$STORE/objects" -mindepth 1 -type d ! -perm 700 | wc -l | sed 's/^0$/yes/')"
_as_user -- ls "$STORE" > /dev/null 2>&1 || echo "user cannot list the store"
umask 022

echo "== trusted.hsm"
_user_run getfattr getfattr -n trusted.hsm "$M/public"
_as_user -- getfattr -d -m - "$M/public" 2>&1 | grep -c trusted |
	sed 's/^/trusted names the user sees: /'
_as_user -- sh -c "echo mine > '$M/home/forged'"
_user_run setfattr setfattr -n trusted.hsm -v "0x$rec" "$M/home/forged"
_user_run setfattr-other setfattr -n trusted.hsm -v "0x$rec" "$M/public"
_user_run removexattr setfattr -x trusted.hsm "$M/public"
[ -z "$(_hexrec "$M/home/forged")" ] && echo "forged: no record"
[ "$(_hexrec "$M/public")" = "$rec" ] && echo "public: record unchanged"

echo "== the tools"
_start_daemon
# the build tree may sit where the user cannot reach it (a mktemp -d
# clone is 0700): run copies of the programs behind the libtool wrappers
UBIN=$TEST_DIR/ubin
mkdir -p "$UBIN/lib"
for w in "$XFS_HSM" "$XFS_HSMD" "$XFS_HSMSCAN"; do
	cp "$("$HSM_BUILDDIR/libtool" --mode=execute echo "$w")" "$UBIN/$(basename "$w")"
done
cp -a "$HSM_BUILDDIR"/libhsm/.libs/libhsm.so* "$UBIN/lib/"
chmod -R a+rX "$UBIN"
chmod a+x "$TEST_DIR"
_user_run xfs_hsm env LD_LIBRARY_PATH="$UBIN/lib" "$UBIN/xfs_hsm" status "$M/public"
_user_run xfs_hsm-stats env LD_LIBRARY_PATH="$UBIN/lib" "$UBIN/xfs_hsm" stats "$M"
_user_run xfs_hsm-recall env LD_LIBRARY_PATH="$UBIN/lib" "$UBIN/xfs_hsm" recall "$M/public"
_user_run xfs_hsmd env LD_LIBRARY_PATH="$UBIN/lib" "$UBIN/xfs_hsmd" -f "$M"
_user_run xfs_hsmscan env LD_LIBRARY_PATH="$UBIN/lib" "$UBIN/xfs_hsmscan" "$M"

echo "== the socket"
uuid=$("$XFS_HSM" status --json "$M" | python3 -c '
import json, sys
def find(o):
    if isinstance(o, dict):
        if "uuid" in o:
            return o["uuid"]
        o = list(o.values())
    if isinstance(o, list):
        for v in o:
            u = find(v)
            if u:
                return u
print(find(json.load(sys.stdin)))')
sock=/run/xfs-hsm/$uuid.sock
[ -S "$sock" ] || _fail "no socket at $sock"
stat -c '%n %A %U' /run/xfs-hsm "$sock" | sed -e "s/$uuid/UUID/"
_PY_CONNECT='
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.settimeout(5)
try:
    s.connect(sys.argv[1])
except OSError as e:
    print("connect:", e.strerror)
    sys.exit(1)
print("connected")
s.sendall(b"\0" * 64)
try:
    d = s.recv(4096)
except ConnectionResetError:
    d = b""
print("answer:", "none, closed" if not d else "%d bytes" % len(d))
'
_as_user -- "$PY_USER" -c "$_PY_CONNECT" "$sock" | sed -e "s/$uuid/UUID/"
echo "-- with CAP_DAC_OVERRIDE (past the modes, not root)"
cp "$HSMD_LOG" "$tmp.before"
_as_user --inh-caps=+dac_override --ambient-caps=+dac_override -- \
	"$PY_USER" -c "$_PY_CONNECT" "$sock" | sed -e 's/[0-9]* bytes/some bytes/'
sleep 0.3
diff "$tmp.before" "$HSMD_LOG" | grep -c 'refused a control connection from a user other than root' |
	sed 's/^/daemon refusals logged: /'
"$XFS_HSM" stats "$M" > /dev/null && echo "root still talks to the daemon"

echo "== reads"
chunks0=$(_stat chunks)
_user_run cat-secret cat "$M/secret"
_daemon_idle
echo "secret: $("$XFS_HSM" status "$M/secret" | awk '{ print $1 }'), blocks $(_blocks "$M/secret")"
echo "chunks recalled: $(($(_stat chunks) - chunks0))"
_as_user -- sh -c "sha256sum < '$M/public'" | cmp -s - "$tmp.sum.public" &&
	echo "public: the user reads the right data"
_daemon_idle
[ "$(_stat chunks)" -gt "$chunks0" ] && echo "public: recalled for the user's read"
sha256sum < "$M/secret" | cmp -s - "$tmp.sum.secret" && echo "secret: root reads the right data"

status=0
exit
