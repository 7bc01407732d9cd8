#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# man-lint: every man page (each under man/, each that make install
# installs) formats without a single groff or man warning
# (`man --warnings -l PAGE`, STYLE.md section 7), xfs_hsm(8) documents
# every command that `xfs_hsm --help` lists and every long option that
# `xfs_hsm --help` and `xfs_hsm CMD --help` print, and xfs_hsmscan(8) every
# long option of `xfs_hsmscan --help`.

. "$(dirname "$0")/../common/preamble"

_require_cmd man groff
_require_xfs_hsm
_require_xfs_hsmd
# --help needs no root today; should that change, skip rather than fail
if [ "$(id -u)" -ne 0 ] && ! "$XFS_HSM" --help > /dev/null 2>&1; then
	_notrun "xfs_hsm --help needs root"
fi

# every page of the source tree, and every page that make install installs
# (man/Makemodule.am): each must be the other
pages=$( (cd "$HSM_SRCDIR" && ls man/man[1-9]/*.[1-9]
	  sed -e 's/\\$//' man/Makemodule.am | tr ' \t' '\n\n' |
		grep -E '^man/man[1-9]/') | sort -u)

echo "== lint"
for p in $pages; do
	if [ ! -f "$HSM_SRCDIR/$p" ]; then
		echo "$p: missing"
		continue
	fi
	grep -qE "(^|[[:space:]])$p([[:space:]]|\$)" "$HSM_SRCDIR/man/Makemodule.am" ||
		echo "$p: not installed (not in man/Makemodule.am)"
	# stdout (the formatted page) is dropped; anything left is a warning
	w=$(MANWIDTH=80 man --warnings -l "$HSM_SRCDIR/$p" 2>&1 > /dev/null)
	if [ -z "$w" ]; then
		echo "$p: ok"
	else
		echo "$p: warnings"
		printf '%s\n' "$w" | sed -e 's/^/    /'
	fi
done

page=$HSM_SRCDIR/man/man8/xfs_hsm.8
# The page as plain text: \- and \(hy become '-', font escapes and \&
# disappear, so "\fB\-\-keep\fP" reads "--keep".
sed -e 's/\\-/-/g' -e 's/\\(hy/-/g' -e 's/\\f[BIRP]//g' -e 's/\\f(..//g' \
    -e 's/\\&//g' "$page" > "$tmp.page"

# Commands: the first word of each indented line of the "Commands:" part of
# `xfs_hsm --help`, plus those the contract names (so that a command missing
# from --help is noticed too; `help` itself need not be listed).
"$XFS_HSM" --help > "$tmp.help" 2>&1
rc=$?
[ $rc -eq 0 ] || echo "xfs_hsm --help: exit status $rc"
awk '
	/^[A-Za-z].*:[[:space:]]*$/ { incmds = ($0 ~ /^[Cc]ommands/); next }
	/^[[:space:]]*$/ { next }
	incmds && /^[[:space:]]+[a-z]/ { print $1 }
' "$tmp.help" > "$tmp.cmds"
cmds=$( (cat "$tmp.cmds"; printf '%s\n' init migrate release recall forget \
	status set clear help) | sort -u)

echo "== commands"
missing=0
for c in $cmds; do
	if [ "$c" != help ] && ! grep -qx "$c" "$tmp.cmds"; then
		echo "xfs_hsm --help does not list '$c'"
		missing=1
	fi
	# a command is documented by a .TP entry whose tag starts with it
	if ! awk -v c="$c" '
		prev ~ /^\.TP/ && ($1 == ".B" || $1 == ".BI") &&
		    ($2 == c || $2 == "\"" c) { found = 1 }
		{ prev = $0 }
		END { exit !found }' "$tmp.page"; then
		echo "xfs_hsm(8) does not document the command '$c'"
		missing=1
	fi
done
[ $missing -eq 0 ] && echo "xfs_hsm(8) documents every command"

echo "== long options"
for c in $cmds; do
	[ "$c" = help ] && continue
	echo "--- $c" >> "$seqres.full"
	"$XFS_HSM" "$c" --help > "$tmp.help.$c" 2>&1
	rc=$?
	cat "$tmp.help.$c" >> "$seqres.full"
	[ $rc -eq 0 ] || echo "xfs_hsm $c --help: exit status $rc"
done
missing=0
for f in "$tmp.help" "$tmp.help".*; do
	grep -oE -- '--[a-z][a-z0-9-]*' "$f"
done | sort -u > "$tmp.opts"
echo "long options in --help: $(tr '\n' ' ' < "$tmp.opts")" >> "$seqres.full"
[ -s "$tmp.opts" ] || { echo "no long options found in --help"; missing=1; }
while read -r o; do
	if ! grep -qE -- "(^|[^a-z0-9-])$o([^a-z0-9-]|$)" "$tmp.page"; then
		echo "xfs_hsm(8) does not document $o"
		missing=1
	fi
done < "$tmp.opts"
[ $missing -eq 0 ] && echo "xfs_hsm(8) documents every long option"

echo "== xfs_hsmd long options"
sed -e 's/\\-/-/g' -e 's/\\(hy/-/g' -e 's/\\f[BIRP]//g' -e 's/\\f(..//g' \
    -e 's/\\&//g' "$HSM_SRCDIR/man/man8/xfs_hsmd.8" > "$tmp.dpage"
missing=0
"$XFS_HSMD" --help 2>&1 | grep -oE -- '--[a-z][a-z0-9-]*' | sort -u |
while read -r o; do
	if ! grep -qE -- "(^|[^a-z0-9-])$o([^a-z0-9-]|$)" "$tmp.dpage"; then
		echo "xfs_hsmd(8) does not document $o"
	fi
done > "$tmp.dmissing"
if [ -s "$tmp.dmissing" ]; then
	cat "$tmp.dmissing"
else
	echo "xfs_hsmd(8) documents every long option"
fi

# xfs_hsmscan(8): every long option of `xfs_hsmscan --help`, as an option
# entry (a .TP tag or a .BR/.B line starting with it) or in the text
echo "== xfs_hsmscan long options"
scan=${XFS_HSMSCAN:-$HSM_BUILDDIR/xfs_hsmscan/xfs_hsmscan}
page=$HSM_SRCDIR/man/man8/xfs_hsmscan.8
sed -e 's/\\-/-/g' -e 's/\\f[BIRP]//g' -e 's/\\&//g' "$page" > "$tmp.spage"
if ! "$scan" --help > "$tmp.shelp" 2>&1; then
	echo "xfs_hsmscan --help failed"
fi
grep -oE -- '--[a-z][a-z0-9-]*' "$tmp.shelp" | sort -u > "$tmp.sopts"
[ -s "$tmp.sopts" ] || echo "no long options found in xfs_hsmscan --help"
missing=0
while read -r o; do
	if ! grep -qE -- "^\.(B|BR|BI)( |.*[^a-z0-9-])$o([^a-z0-9-]|\$)" \
	     "$tmp.spage"; then
		echo "xfs_hsmscan(8) does not document $o"
		missing=1
	fi
done < "$tmp.sopts"
[ $missing -eq 0 ] && echo "xfs_hsmscan(8) documents every long option"

status=0
exit
