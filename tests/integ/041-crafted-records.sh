#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# 041-crafted-records: crafted records planted with setfattr (bad crc,
# huge lengths, unknown version, object ids with path characters) never
# make any tool read or write outside its store.
#
# Every record is crafted from a real (v2) one by tests/common/mkrec,
# which gives it a good XXH3 unless told otherwise, so the checks behind
# the checksum are reached: object ids "../../etc/passwd", "/etc/passwd",
# with a NUL, ids of 300 and 4200 bytes (the record grows), the object id
# of another file (plain, and with a dead MIGRATING owner, which repair
# would undo by deleting "its" object), a second copy naming a traversal
# or the other file's object (release refuses the file and flags that
# copy lost: every copy must be the file's), huge sizes, chunk shifts 0, 5 and 63, a v2
# record saying version 1, unknown versions, pending operation, flags and
# copy state, a bad checksum, truncated.  The same file rewritten as a v1
# record (mkrec tov1), as an older release wrote it, keeps working; v1
# records with a traversal, with the other file's object and a dead
# MIGRATING owner, and truncated get the treatment of their v2 twins.
# Each tool that reads records runs under strace: every path it names must
# be in the store (object names only), on the mount, in the build tree or
# a system place.  Sentinels where a traversal would land stay unread and
# unchanged; the other file's object survives and its file reads right.
# Through the daemon (first, on the records as planted), each crafted file
# reads as EIO or, where the record still leads to its own object, right
# data, while a normal released file keeps being served; then the tools
# get the same records again.

. "$(dirname "$0")/../common/preamble"
. "$(dirname "$0")/../common/scanrc"

_require_scratch
_require_xfs_hsmd
_require_xfs_hsmscan
_require_mkrec
_require_cmd strace

_scratch_setup 1g
_init_store
M=$SCRATCH_MNT
STATE=$(_scan_state)
LIBTOOL=$HSM_BUILDDIR/libtool
[ -x "$LIBTOOL" ] || _notrun "$LIBTOOL not found"

# sentinels where "../" out of objects/XX/ or the store would land
for d in "$TEST_DIR/etc" "$STORE/etc" "$STORE/objects/etc"; do
	mkdir -p "$d"
	echo "sentinel $d" > "$d/passwd"
done
_sentinels()
{
	find "$TEST_DIR/etc" "$STORE/etc" "$STORE/objects/etc" -type f \
		-printf '%p %s %T@ %C@\n' | sort
	sha256sum /etc/passwd
}
_sentinels > "$tmp.sentinels"

# a normal released file the daemon must keep serving, and the victim
# whose object id the crafted records steal
for n in normal victim; do
	head -c 200000 /dev/urandom > "$M/$n"
	sha256sum < "$M/$n" > "$tmp.sum.$n"
done
"$XFS_HSM" migrate "$M/normal" "$M/victim" >> "$seqres.full" 2>&1 ||
	_fail "migrate normal victim failed"
# copy 0's object id: bytes 88..103 of a v2 record
victim_oid=$(_hexrec "$M/victim" | cut -c177-208)
# the posix store's files, not libhsm's view: traversals aim at its layout
victim_obj=$STORE/objects/${victim_oid:0:2}/$victim_oid
[ -f "$victim_obj" ] || _fail "no victim object at $victim_obj"

# name|how the file is prepared (rel: released, keep: archived)|edits
# (v2 offsets: copy 0's object id at 88, copy 1 at 104: store id, state
# at 108, object id at 112; after tov1, v1 offsets)
cases='
dotdot|rel|oid=../../etc/passwd
abs|rel|oid=/etc/passwd
nul|rel|oid=ab\0/../../../etc
dotdot-keep|keep|oid=../../etc/passwd
id300|rel|oid=../../../../etc at=88:LONG300 len=388
id4200|rel|oid=/etc/passwd at=88:LONG4200 len=4288
otherid|rel|oidhex=VICTIM
otherid-keep|keep|oidhex=VICTIM
othermig|keep|oidhex=VICTIM pending=1 state=1 pid=4000000 since=1
copy1-dotdot|rel|at=104:01000000 at=108:02 at=112:DOTDOT
copy1-victim|keep|at=104:01000000 at=108:02 at=112:VICTIM
hugesize|rel|size=0xffffffffffffffff
hugesize-keep|keep|size=0x7fffffffffffffff
shift0|rel|shift=0
shift5|rel|shift=5
shift63|rel|shift=63
version1|rel|version=1
version3|rel|version=3
version255|rel|version=255
pending9|rel|pending=9
flagsall|rel|flags=0xffffffff
state4|rel|state=4
badcsum|rel|badcsum
truncated|rel|len=100
stub|rel|len=5
v1|rel|tov1
v1-keep|keep|tov1
v1-dotdot|rel|tov1 oid=../../etc/passwd
v1-othermig|keep|tov1 oidhex=VICTIM pending=1 pid=4000000 since=1
v1-truncated|rel|tov1 len=127
'
# "../../etc/passwd", 16 bytes, as hex
dotdot_hex=2e2e2f2e2e2f6574632f706173737764
# "../" repeated, as hex, to N bytes
_long()
{
	python3 -c 'import sys; n = int(sys.argv[1]); print(((b"../" * n)[:n] + b"etc/passwd").hex())' "$1"
}
long300=$(_long 290)
long4200=$(_long 4190)
names=
keep=
rel=
while IFS='|' read -r name how edits; do
	[ -n "$name" ] || continue
	names="$names $name"
	head -c 100000 /dev/urandom > "$M/$name"
	sha256sum < "$M/$name" > "$tmp.sum.$name"
	if [ "$how" = keep ]; then
		keep="$keep $M/$name"
	else
		rel="$rel $M/$name"
	fi
done <<< "$cases"
"$XFS_HSM" migrate --keep $keep >> "$seqres.full" 2>&1 || _fail "migrate --keep failed"
"$XFS_HSM" migrate $rel >> "$seqres.full" 2>&1 || _fail "migrate failed"
while IFS='|' read -r name how edits; do
	[ -n "$name" ] || continue
	edits=${edits//VICTIM/$victim_oid}
	edits=${edits//DOTDOT/$dotdot_hex}
	edits=${edits//LONG300/$long300}
	edits=${edits//LONG4200/$long4200}
	# word splitting of $edits is wanted: one edit per word
	hex=$("$MKREC" --decode $edits "$(_hexrec "$M/$name")" 2>> "$seqres.full") ||
		_fail "mkrec $name failed"
	setfattr -n trusted.hsm -v "0x$hex" "$M/$name" ||
		_fail "setfattr $name failed"
	[ "$(_hexrec "$M/$name")" = "$hex" ] || _fail "$name: record not planted"
	echo "$hex" > "$tmp.hex.$name"
done <<< "$cases"
# every file of the posix store's directory, which a traversal could reach
objects_before=$(find "$STORE/objects" -type f | sort)

# The checker: every path a traced syscall names is allowed, or reported.
# Relative names (the *at calls on the store's directory fds) must be
# object names.
_PY_PATHS='
import re, sys
mnt, store, build, state, libdirs = sys.argv[2:7]
libdirs = [d.rstrip("/") for d in libdirs.split(":") if d.startswith("/")]
hexname = r"[0-9a-f]{2}(/[0-9a-f]{32}(\.meta)?)?|[0-9a-f]{32}\.(data|meta|meta-new)"
store_rel = re.compile(r"(objects|tmp|\.xfs-hsm-store|\.)(/(" + hexname + r"))?$|(" + hexname + r")$")
system = ("/etc/ld.so.cache", "/etc/ld.so.preload", "/etc/localtime",
          "/lib/", "/lib64/", "/usr/", "/proc/", "/sys/", "/dev/",
          "/run/xfs-hsm", "/etc/xfs-hsm/xfs_hsm.conf")
def ok(p):
    if p == "" or store_rel.match(p):
        return True
    if not p.startswith("/") or "/../" in p + "/" or "/./" in p:
        return False
    if p == mnt or p.startswith(mnt + "/"):
        return True
    if p.startswith(build + "/") or p == state or p.startswith(state + "/"):
        return True
    # where the dynamic loader looks for libhsm: LD_LIBRARY_PATH, RUNPATH
    if any(p == d or p.startswith(d + "/") for d in libdirs):
        return True
    if p == store or p.startswith(store + "/") and store_rel.match(p[len(store) + 1:]):
        return True
    return p.startswith(system) or p in ("/run", "/proc", "/sys")
bad = set()
for line in open(sys.argv[1], errors="replace"):
    m = re.match(r"(?:\d+ +)?(\w+)\((.*)", line)
    if not m or m.group(1) in ("write", "read"):
        continue
    call, args = m.groups()
    strs = re.findall(r"\"((?:[^\"\\\\]|\\\\.)*)\"", args)
    if call.endswith("xattr") or call == "execve":
        strs = strs[:1] if not call.startswith("f") else []
    if call in ("readlink", "newfstatat", "stat", "lstat", "statx"):
        # realpath() of the mount point walks its parents
        strs = [x for x in strs if not (mnt + "/").startswith(x + "/")]
    for s in strs:
        if not ok(s):
            bad.add("%s %s" % (call, s))
for b in sorted(bad):
    print("ESCAPE:", b)
'
TRACE=open,openat,openat2,creat,stat,lstat,newfstatat,statx,access,faccessat,faccessat2,unlink,unlinkat,rename,renameat,renameat2,mkdir,mkdirat,rmdir,link,linkat,symlink,symlinkat,readlink,readlinkat,truncate,chmod,fchmodat,chown,fchownat,lchown,utimensat,mknod,mknodat,chdir,statfs,getxattr,lgetxattr,setxattr,lsetxattr,listxattr,llistxattr,removexattr,lremovexattr,name_to_handle_at,execve

_check_trace()	# FILE LABEL
{
	local out

	# a trace with no file call at all would prove nothing
	grep -q 'openat(' "$1" || echo "$2: nothing traced"
	out=$(python3 -c "$_PY_PATHS" "$1" "$M" "$STORE" "$HSM_BUILDDIR" "$STATE" \
		"$LIBDIRS")
	if [ -n "$out" ]; then
		echo "$2: paths outside the store:"
		echo "$out" | head -n 5
	fi
	cat "$1" >> "$seqres.full"
}

# the checker itself must see an escape (the last line is allowed: an
# object name, 33 hex digits being too many)
cat > "$tmp.self" <<EOT
1 openat(AT_FDCWD, "/etc/passwd", O_RDONLY) = 3
1 openat(5, "2e/../../etc/passwd", O_RDONLY) = -1 ENOENT
1 unlinkat(4, "../../../etc/passwd", 0) = -1 ENOENT
1 newfstatat(AT_FDCWD, "$STORE/objects/../../etc/passwd", {}, 0) = 0
1 openat(AT_FDCWD, "$STORE/objects/2e/2e2e2f2e2e2f6574632f7061737377640", O_RDONLY) = 3
1 openat(AT_FDCWD, "$STORE/objects/2e/2e2e2f2e2e2f6574632f706173737764", O_RDONLY) = 3
EOT
_check_trace "$tmp.self" self-test | _filter_all

# _traced LABEL TOOL ARGS...: TOOL (a libtool wrapper) under strace;
# print its stdout and stderr filtered, its exit status, and any path
# it touched outside the allowed places
_traced()
{
	local label=$1 rc

	shift
	env LD_LIBRARY_PATH="$LIBPATH" strace -f -qq -s 8192 -e trace=$TRACE \
		-e signal=none -o "$tmp.strace" "$@" \
		> "$tmp.t.out" 2> "$tmp.t.err"
	rc=$?
	{ echo "+ $*"; cat "$tmp.t.out" "$tmp.t.err"; echo "exit=$rc"; } >> "$seqres.full"
	{ _filter_all < "$tmp.t.out"; _filter_all < "$tmp.t.err"; } |
		_filter_scan | sed -e "s/$victim_oid/VICTIM/g"
	echo "$label exit=$rc"
	_check_trace "$tmp.strace" "$label"
}

# the programs behind the libtool wrappers, so that strace sees only them
LIBPATH=$("$LIBTOOL" --mode=execute sh -c 'echo "$LD_LIBRARY_PATH"' "$XFS_HSM")
HSM_BIN=$("$LIBTOOL" --mode=execute echo "$XFS_HSM")
SCAN_BIN=$("$LIBTOOL" --mode=execute echo "$XFS_HSMSCAN")
[ -x "$HSM_BIN" ] && [ -x "$SCAN_BIN" ] || _fail "no programs behind the wrappers"
# libtool hardcodes the install libdir as RUNPATH in some builds (make
# distcheck's): the loader's probes there are not the tools' own paths
LIBDIRS=$LIBPATH
for b in "$HSM_BIN" "$SCAN_BIN" "$("$LIBTOOL" --mode=execute echo "$XFS_HSMD")"; do
	LIBDIRS=$LIBDIRS:$(readelf -d "$b" 2> /dev/null |
		sed -n 's/.*(R[UN]*PATH).*\[\(.*\)\]/\1/p')
done

files=
for n in $names; do
	files="$files $M/$n"
done
echo "at ${SECONDS}s" >> "$seqres.full"
echo "== daemon"
_start_daemon
worker=$(_daemon_worker)
strace -f -qq -s 8192 -e trace=$TRACE -e signal=none -o "$tmp.strace.d" \
	-p "$HSMD_PID" ${worker:+-p "$worker"} 2>> "$seqres.full" &
spid=$!
_bg_track $spid
for i in $(seq 50); do
	[ "$(awk '/^TracerPid/ { print $2 }' "/proc/${worker:-$HSMD_PID}/status")" = "$spid" ] &&
		break
	sleep 0.1
done
for n in $names; do
	if out=$(cat "$M/$n" 2>&1 > /dev/null); then
		sha256sum < "$M/$n" | cmp -s - "$tmp.sum.$n" &&
			echo "$n: reads right" || echo "$n: reads WRONG data"
	else
		echo "$n: ${out##*: }"
	fi
	sha256sum < "$M/normal" | cmp -s - "$tmp.sum.normal" ||
		echo "normal: wrong data after $n"
done
for n in normal victim; do
	sha256sum < "$M/$n" | cmp -s - "$tmp.sum.$n" && echo "$n: reads right"
done
kill -0 "$HSMD_PID" && echo "daemon still serving"
kill -INT $spid; wait $spid 2> /dev/null
_check_trace "$tmp.strace.d" daemon
grep -qE 'openat\([0-9]+, "[0-9a-f]{2}/[0-9a-f]{32}"' "$tmp.strace.d" &&
	echo "daemon trace: store objects opened"
_stop_daemon

# the daemon may have flagged files lost or recalled them: the same
# crafted records again for the tools
for n in $names; do
	setfattr -n trusted.hsm -v "0x$(cat "$tmp.hex.$n")" "$M/$n" ||
		_fail "setfattr $n failed"
done

echo "at ${SECONDS}s" >> "$seqres.full"
echo "== tools, no daemon"
_traced status "$HSM_BIN" status $files | _filter_resident | sed -E 's/ +/ /g' | sort
for cmd in recall release forget migrate; do
	_traced $cmd "$HSM_BIN" $cmd $files | sort
done

echo "at ${SECONDS}s" >> "$seqres.full"
echo "== scanner"
_SCANPICK='^xfs_hsmscan:|exit=|ESCAPE|outside|^(bad records|lost|pending|repaired|not repaired|orphans|removed|missing|shared)'
_traced scan "$SCAN_BIN" --paths --state-dir "$STATE" "$M" | grep -E "$_SCANPICK" | sort
_traced repair "$SCAN_BIN" --paths --state-dir "$STATE" --repair "$M" |
	grep -E "$_SCANPICK" | sort
_traced audit "$SCAN_BIN" --paths --state-dir "$STATE" --audit --verify "$M" |
	grep -E "$_SCANPICK" | sort
_traced gc "$SCAN_BIN" --paths --state-dir "$STATE" --gc --grace 0 "$M" |
	grep -E "$_SCANPICK" | sort

echo "at ${SECONDS}s" >> "$seqres.full"
echo "== v1 records on fresh files"
# what the tools above did to v1 and v1-keep depends on the other records;
# two fresh files show plainly that a v1 record is read as before: status
# and a scan take it as it is, recall and release use it, and what they
# write back is v2
for n in late late-keep; do
	head -c 100000 /dev/urandom > "$M/$n"
	sha256sum < "$M/$n" > "$tmp.sum.$n"
done
"$XFS_HSM" migrate "$M/late" >> "$seqres.full" 2>&1 || _fail "migrate late failed"
"$XFS_HSM" migrate --keep "$M/late-keep" >> "$seqres.full" 2>&1 ||
	_fail "migrate --keep late-keep failed"
for n in late late-keep; do
	hex=$("$MKREC" --decode tov1 "$(_hexrec "$M/$n")" 2>> "$seqres.full") ||
		_fail "mkrec $n failed"
	setfattr -n trusted.hsm -v "0x$hex" "$M/$n" || _fail "setfattr $n failed"
	echo "$hex" > "$tmp.hex.$n"
	echo "$n: v1 record of $(( ${#hex} / 2 )) bytes"
done
_status_short "$M/late" "$M/late-keep"
_scan --paths --state-dir "$STATE" "$M" > "$tmp.late.scan"
grep -E '^v1 records:' "$tmp.late.scan"
grep -F "SCRATCH_MNT/late" "$tmp.late.scan" ||
	echo "scan: nothing to say of late, late-keep"
for n in late late-keep; do
	[ "$(_hexrec "$M/$n")" = "$(cat "$tmp.hex.$n")" ] &&
		echo "$n: record unchanged by the scan"
done
_hsm recall "$M/late"
_hsm release "$M/late-keep"
_status_short "$M/late" "$M/late-keep"
for n in late late-keep; do
	rec=$(_hexrec "$M/$n")
	echo "$n: now a v${rec:9:1} record of $(( ${#rec} / 2 )) bytes"
done
"$XFS_HSM" recall "$M/late-keep" >> "$seqres.full" 2>&1
for n in late late-keep; do
	sha256sum < "$M/$n" | cmp -s - "$tmp.sum.$n" && echo "$n: reads right"
done

echo "at ${SECONDS}s" >> "$seqres.full"
echo "== outcome"
_sentinels | diff "$tmp.sentinels" - && echo "sentinels unchanged"
[ -f "$victim_obj" ] && echo "victim object still there"
# objects deleted: only ones named by a crafted file's own former record
comm -23 <(echo "$objects_before") <(find "$STORE/objects" -type f | sort) |
	grep -c "$victim_oid" | sed 's/^/victim object files deleted: /'

status=0
exit
