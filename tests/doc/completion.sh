#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# completion: the bash completion of each tool offers every command that
# `xfs_hsm --help` lists, every long option of each tool's and each
# command's --help (an option line: "  -x, --name" or "      --name"), and
# XFS mount points (findmnt -t xfs, stubbed here) where a MOUNT goes.  The
# completion functions are run as bash would run them.

. "$(dirname "$0")/../common/preamble"

_require_xfs_hsm
_require_xfs_hsmd
scan=${XFS_HSMSCAN:-$HSM_BUILDDIR/xfs_hsmscan/xfs_hsmscan}
comp=$HSM_SRCDIR/bash-completion

# complete FUNCTION WORD...: what FUNCTION offers for the last WORD, one a
# line ("--recall=" as "--recall"); findmnt reports one XFS mount
complete_words()
{
	(
		findmnt() { echo /mnt/xfs-one; }
		compopt() { :; }
		complete() { :; }
		# shellcheck disable=SC1090 # the completion under test
		. "$1"
		f=$2
		shift 2
		COMP_WORDS=("$@")
		COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
		COMPREPLY=()
		"$f"
		printf '%s\n' "${COMPREPLY[@]}"
	) | sed -e 's/=$//'
}

# long_options: the long options of the option lines of a --help on stdin
long_options()
{
	grep -E '^ +(-[A-Za-z], )?--[a-z]' |
		sed -E 's/^ +(-[A-Za-z], )?(--[a-z][a-z0-9-]*).*/\2/' | sort -u
}

# offers WHAT WANT HAVE: name each line of WANT missing from HAVE
offers()
{
	sort -u "$3" | comm -23 "$2" - | sed -e "s/^/$1 does not offer /"
}

echo "== xfs_hsm"
"$XFS_HSM" --help > "$tmp.help" 2>&1
awk '/^[A-Za-z].*:[[:space:]]*$/ { on = ($0 ~ /^Commands/); next }
     on && /^[[:space:]]+[a-z]/ { print $1 }' "$tmp.help" | sort -u > "$tmp.cmds"
[ -s "$tmp.cmds" ] || echo "no commands found in xfs_hsm --help"
complete_words "$comp/xfs_hsm" _xfs_hsm_module xfs_hsm "" > "$tmp.have"
offers "completion of xfs_hsm's command" "$tmp.cmds" "$tmp.have" > "$tmp.bad"
long_options < "$tmp.help" > "$tmp.want"
complete_words "$comp/xfs_hsm" _xfs_hsm_module xfs_hsm -- > "$tmp.have"
offers "xfs_hsm --" "$tmp.want" "$tmp.have" >> "$tmp.bad"
while read -r c; do
	[ "$c" = help ] && continue
	"$XFS_HSM" "$c" --help 2>&1 | long_options > "$tmp.want"
	[ -s "$tmp.want" ] || echo "no options found in xfs_hsm $c --help"
	if [ "$c" = store ]; then
		for s in list add drain remove; do
			complete_words "$comp/xfs_hsm" _xfs_hsm_module \
				xfs_hsm store "$s" --
		done > "$tmp.have"
	else
		complete_words "$comp/xfs_hsm" _xfs_hsm_module xfs_hsm "$c" -- \
			> "$tmp.have"
	fi
	offers "xfs_hsm $c --" "$tmp.want" "$tmp.have" >> "$tmp.bad"
done < "$tmp.cmds"
for c in init import stats changes policy "store list"; do
	# shellcheck disable=SC2086 # "store list" is two words
	complete_words "$comp/xfs_hsm" _xfs_hsm_module xfs_hsm $c "" |
		grep -qx /mnt/xfs-one ||
		echo "xfs_hsm $c does not offer XFS mount points" >> "$tmp.bad"
done
if [ -s "$tmp.bad" ]; then
	cat "$tmp.bad"
else
	echo "every command, option and mount point"
fi

for t in xfs_hsmd xfs_hsmscan; do
	echo "== $t"
	case $t in
	xfs_hsmd)	"$XFS_HSMD" --help ;;
	xfs_hsmscan)	"$scan" --help ;;
	esac 2>&1 | long_options > "$tmp.want"
	[ -s "$tmp.want" ] || echo "no options found in $t --help"
	complete_words "$comp/$t" "_${t}_module" "$t" -- > "$tmp.have"
	offers "$t --" "$tmp.want" "$tmp.have" > "$tmp.bad"
	complete_words "$comp/$t" "_${t}_module" "$t" "" | grep -qx /mnt/xfs-one ||
		echo "$t does not offer XFS mount points" >> "$tmp.bad"
	if [ -s "$tmp.bad" ]; then
		cat "$tmp.bad"
	else
		echo "every option and mount point"
	fi
done

status=0
exit
