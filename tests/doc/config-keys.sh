#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# config-keys: every key the config parsers accept is documented and in
# the example files.  The keys come out of the parsers' source (each is a
# strcmp(key, "NAME") there), not from a list kept by hand:
#   xfs_hsm/policy_config.c, admit_config.c  xfs_hsm.conf(5), an entry
#                                            each; xfs_hsm.conf.example
#   xfs_hsm/hsmd_config.c                    xfs_hsmd(8), CONFIGURATION
#                                            FILE; xfs_hsmd.conf.example
#   libhsm/store/store_*.c (spec options)    xfs_hsm(8), as KEY= in a spec

. "$(dirname "$0")/../common/preamble"

src=$HSM_SRCDIR

# keys FILE...: the names the parsers compare a key with
keys()
{
	cat "$@" | grep -oE 'strcmp\(key, "[a-z_]+"\)' |
		sed -e 's/.*"\(.*\)".*/\1/' | sort -u
}

# text PAGE: the page with \- and font escapes undone
text()
{
	sed -e 's/\\-/-/g' -e 's/\\f[BIRP]//g' -e 's/\\&//g' -e 's/\\c$//' "$1"
}

# entries PAGE: the first word of each .TP tag (".B key", ".BI "key = " ...")
entries()
{
	text "$1" | awk 'prev ~ /^\.TP/ && $1 ~ /^\.B[IR]?$/ {
			w = $2; gsub(/"/, "", w); print w }
		{ prev = $0 }' | sort -u
}

# example FILE: the keys it shows, commented out or not
example()
{
	sed -n -e 's/^[#;]\{0,1\}\([a-z_]*\) = .*/\1/p' "$1" | sort -u
}

check()
{
	local what=$1 have=$2 want=$3

	comm -23 "$want" "$have" | sed -e "s/^/$what lacks /"
}

echo "== xfs_hsm.conf"
keys "$src/xfs_hsm/policy_config.c" "$src/xfs_hsm/admit_config.c" > "$tmp.conf"
[ -s "$tmp.conf" ] || echo "no keys found in policy_config.c, admit_config.c"
entries "$src/man/man5/xfs_hsm.conf.5" > "$tmp.conf5"
example "$src/doc/examples/xfs_hsm.conf.example" > "$tmp.confex"
{
	check "xfs_hsm.conf(5)" "$tmp.conf5" "$tmp.conf"
	check "xfs_hsm.conf.example" "$tmp.confex" "$tmp.conf"
	check "the parsers (xfs_hsm.conf.example has it)" "$tmp.conf" "$tmp.confex"
} > "$tmp.bad"
if [ -s "$tmp.bad" ]; then
	cat "$tmp.bad"
else
	echo "xfs_hsm.conf(5) and the example document every key"
fi

echo "== xfs_hsmd.conf"
keys "$src/xfs_hsm/hsmd_config.c" > "$tmp.hsmd"
[ -s "$tmp.hsmd" ] || echo "no keys found in hsmd_config.c"
# the keys named in the CONFIGURATION FILE section of xfs_hsmd(8)
text "$src/man/man8/xfs_hsmd.8" |
	sed -n '/^\.SH CONFIGURATION FILE/,/^\.SH [^C]/p' |
	awk '$1 ~ /^\.B[IR]?$/ { for (i = 2; i <= NF; i++) print $i }' |
	tr -d '",.()' | sort -u > "$tmp.hsmd8"
example "$src/doc/examples/xfs_hsmd.conf.example" > "$tmp.hsmdex"
{
	check "xfs_hsmd(8) CONFIGURATION FILE" "$tmp.hsmd8" "$tmp.hsmd"
	check "xfs_hsmd.conf.example" "$tmp.hsmdex" "$tmp.hsmd"
	check "hsmd_config.c (xfs_hsmd.conf.example has it)" "$tmp.hsmd" "$tmp.hsmdex"
} > "$tmp.bad"
if [ -s "$tmp.bad" ]; then
	cat "$tmp.bad"
else
	echo "xfs_hsmd(8) and the example document every key"
fi

echo "== store spec options"
text "$src/man/man8/xfs_hsm.8" > "$tmp.page"
missing=0
for f in "$src"/libhsm/store/store_*.c; do
	kind=$(basename "$f" .c)
	kind=${kind#store_}
	for k in $(keys "$f"); do
		# documented as "KEY=" in a spec
		if ! grep -qE "(^|[?&[ ])$k=" "$tmp.page"; then
			echo "xfs_hsm(8) lacks the $kind: option $k="
			missing=1
		fi
	done
done
[ $missing -eq 0 ] && echo "xfs_hsm(8) documents every store spec option"

status=0
exit
