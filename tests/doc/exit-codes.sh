#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# exit-codes: every exit status a tool can return is an entry of the EXIT
# STATUS section of its page.  What a tool returns comes from its sources
# (the SOURCES of its Makemodule.am): each HSM_EX_ name of
# include/exitcodes.h that is returned, passed to exit() or another call
# (errtryhelp), assigned or or-ed into a status there, and 0.

. "$(dirname "$0")/../common/preamble"

src=$HSM_SRCDIR

# sources PROGRAM: the .c and .h files of PROGRAM (e.g. xfs_hsm_xfs_hsmd)
sources()
{
	cat "$src"/*/Makemodule.am |
		awk -v v="$1_SOURCES" '
			$1 == v && $2 == "=" { on = 1 }
			on { for (i = 1; i <= NF; i++) if ($i ~ /\.[ch]$/) print $i
			     if ($NF != "\\") on = 0 }'
}

# codes FILE...: the values of the HSM_EX_ names the files return
codes()
{
	echo 0
	cat "$@" |
		grep -oE '[a-z_]+\(HSM_EX_[A-Z]+|(exit\(|return |\|= ?|[^=!<>]= |\? |: )[^;]*HSM_EX_[A-Z]+' |
		grep -oE 'HSM_EX_[A-Z]+' | sort -u |
	while read -r n; do
		awk -v n="$n" '$1 == "#define" && $2 == n { print $3 }' \
			"$src/include/exitcodes.h"
	done
}

# documented PAGE: the .TP entries of its EXIT STATUS section
documented()
{
	sed -n '/^\.SH EXIT STATUS/,/^\.SH [^E]/p' "$1" |
		awk 'prev ~ /^\.TP/ && $1 == ".B" { print $2 } { prev = $0 }'
}

for t in xfs_hsm:xfs_hsm_xfs_hsm xfs_hsmd:xfs_hsm_xfs_hsmd \
	 xfs_hsmscan:xfs_hsmscan_xfs_hsmscan; do
	tool=${t%%:*}
	echo "== $tool"
	files=$(sources "${t#*:}" | sed -e "s|^|$src/|")
	if [ -z "$files" ]; then
		echo "no sources found for $tool"
		continue
	fi
	# shellcheck disable=SC2086 # a list of files
	codes $files | sort -un > "$tmp.codes"
	echo "$tool returns: $(tr '\n' ' ' < "$tmp.codes")" >> "$seqres.full"
	documented "$src/man/man8/$tool.8" | sort -un > "$tmp.doc"
	missing=$(comm -23 "$tmp.codes" "$tmp.doc")
	if [ -n "$missing" ]; then
		echo "$tool(8) does not document exit status" $missing
	else
		echo "$tool(8) documents every exit status"
	fi
done

status=0
exit
