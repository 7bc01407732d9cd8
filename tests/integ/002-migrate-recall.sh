#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# 002-migrate-recall: the basic life cycle with no daemon.  Files of several
# sizes are migrated (released: st_blocks 0, size/owner/mode/mtime kept,
# reads give zeros, space freed), recalled (content, mtime and data map
# back, state archived), released again without a new copy, archived with
# --keep, forgotten; status and status --json agree with stat(2).

. "$(dirname "$0")/../common/preamble"

_require_scratch
_require_storeobj

_scratch_setup 1g
_init_store

D=$SCRATCH_MNT/d
mkdir "$D"
names="one odd mib big"
head -c 1 /dev/urandom > "$D/one"
head -c 4097 /dev/urandom > "$D/odd"
head -c 1048576 /dev/urandom > "$D/mib"
head -c 5243003 /dev/urandom > "$D/big"
chown 1234:5678 "$D/odd" "$D/big"
chmod 640 "$D/odd"
chmod 4755 "$D/mib"
touch -d @1234567890.123456789 "$D/big"
sync

# _save NAME...: remember fingerprints
_save()
{
	local n

	for n in "$@"; do
		_fingerprint "$D/$n" > "$tmp.fp.$n"
	done
}

# _same NAME [FIELDS-REGEX]: compare with the saved fingerprint; FIELDS
# restricts the comparison (default: all but st_blocks)
_same()
{
	local n=$1 re=${2:-'^(size|owner|mtime|map|sha256) '}

	if diff <(grep -E "$re" "$tmp.fp.$n") \
		<(_fingerprint "$D/$n" | grep -E "$re") > "$tmp.diff"; then
		echo "$n: same"
	else
		echo "$n: differs"
		cat "$tmp.diff" >> "$seqres.full"
	fi
}

# _used: bytes in use on the scratch filesystem
_used()
{
	sync
	stat -f -c '%b %f %S' "$SCRATCH_MNT" | awk '{ print ($1 - $2) * $3 }'
}

_save $names
used_before=$(_used)

echo "== migrate"
_hsm migrate -v "$D/one" "$D/odd" "$D/mib" "$D/big"
_hsm status "$D/one" "$D/odd" "$D/mib" "$D/big"
for n in $names; do
	_same $n '^(size|owner|mtime) '
	echo "$n: blocks $(_blocks "$D/$n"), data map '$(_datamap "$D/$n" | xargs)'"
	cmp -s -n "$(stat -c %s "$D/$n")" "$D/$n" /dev/zero &&
		echo "$n: reads zeros (no daemon)"
	_same $n '^(size|owner|mtime) '	# reading changed nothing
done
echo "objects in store: $(_objects)"
freed=$((used_before - $(_used)))
echo "freed $freed bytes" >> "$seqres.full"
[ "$freed" -ge $((6295677 * 9 / 10)) ] && echo "space freed"
_store_ls > "$tmp.objects1"
# the posix store's own format: one file an object, its metadata text in
# its xattr user.xfs-hsm.meta; no .meta file beside it, nothing in tmp/
(cd "$STORE" && find objects tmp -type f | sort) > "$tmp.files1"
for f in $(cat "$tmp.files1"); do
	getfattr --only-values -n user.xfs-hsm.meta "$STORE/$f" \
		> "$tmp.meta" 2> /dev/null || echo "$f has no metadata"
	head -n 1 "$tmp.meta" | grep -q '^xfs-hsm-object ' ||
		echo "$f: its metadata is not an object's text"
done
echo "objects with their metadata: $(wc -l < "$tmp.files1")"

echo "== recall"
_hsm -v recall "$D/one" "$D/odd" "$D/mib" "$D/big"
for n in $names; do
	_same $n
done
_hsm status "$D/one" "$D/odd" "$D/mib" "$D/big" | _filter_resident

echo "== no-op"
_hsm recall -v "$D/one"

echo "== release again: no new copy"
_hsm release "$D/odd" "$D/mib" "$D/big"
_hsm release -v "$D/one"
_hsm status "$D/one" "$D/odd" "$D/mib" "$D/big"
_store_ls > "$tmp.objects2"
cmp -s "$tmp.objects1" "$tmp.objects2" && echo "store objects unchanged"
_hsm release -v "$D/one"
_hsm migrate -v "$D/one"
_hsm recall "$D/one" "$D/odd" "$D/mib" "$D/big"
for n in $names; do
	_same $n
done

echo "== migrate --keep"
head -c 2097152 /dev/urandom > "$D/keep"
sync
_save keep
_hsm migrate --keep -v "$D/keep"
_hsm status "$D/keep" | _filter_resident
_same keep '^(size|owner|mtime|blocks|map|sha256) '
echo "objects in store: $(_objects)"

echo "== status --json"
"$XFS_HSM" status --json "$D/keep" "$D/one" "$D/odd" > "$tmp.json" 2> "$tmp.err"
echo "exit=$?"
cat "$tmp.err"
_store_ls > "$tmp.objects"
python3 -c '
import json, os, re, sys
doc = json.load(sys.stdin)
for f in doc["files"]:
    st = os.stat(f["path"])
    oid = f["object"]
    print(f["path"].replace(sys.argv[1], "SCRATCH_MNT"), f["state"],
          "dirty=%s lost=%s pending=%s norelease=%s noarchive=%s" %
          (f["dirty"], f["lost"], f["pending"], f["norelease"], f["noarchive"]),
          "size=%s" % (f["size"] == st.st_size),
          "resident_bytes=%s" % (f["resident_bytes"] == st.st_blocks * 512),
          "ino=%s" % (f["ino"] == st.st_ino),
          "object=%s" % ("none" if oid is None else
                         "ok" if re.fullmatch("[0-9a-f]{32}", oid) else oid))
    if oid:
        found = oid in open(sys.argv[2]).read().split()
        print("  object in store" if found else "  object %s not in store" % oid)
' "$SCRATCH_MNT" "$tmp.objects" < "$tmp.json"

echo "== status --json: a name that is not UTF-8"
bad=$(printf '%s/bad\377name' "$D")
head -c 100 /dev/urandom > "$bad"
"$XFS_HSM" status --json "$bad" > "$tmp.json" 2> "$tmp.err"
echo "exit=$?"
cat "$tmp.err"
python3 -c '
import json, os, sys
f = json.load(sys.stdin)["files"][0]
want = os.fsencode(sys.argv[1])
print("path has U+FFFD:", f["path"].endswith("/bad\ufffdname"))
print("path_hex exact:", bytes.fromhex(f.get("path_hex", "")) == want)
print("state", f["state"], "size", f["size"])
' "$bad" < "$tmp.json"
rm -f "$bad"

echo "== forget"
oid=$(_file_oid "$D/keep")
_hsm forget -v "$D/keep"
_hsm status "$D/keep" | _filter_resident
_same keep '^(size|owner|mtime|blocks|map|sha256) '
echo "objects in store: $(_objects)"
_store_has "$oid" && echo "object $oid still in store"
[ -z "$(_hexrec "$D/keep")" ] && echo "record dropped"
_hsm forget -v "$D/keep"

echo "== forget refuses a released file"
_hsm release "$D/mib"
_hsm forget "$D/mib"
_hsm recall "$D/mib"
_same mib
echo "objects in store: $(_objects)"

status=0
exit
