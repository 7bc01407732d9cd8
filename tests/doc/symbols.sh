#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# symbols: libhsm.so exports only hsm_* functions (libhsm.sym and
# -fvisibility=hidden), every one that hsm.h declares is documented in
# libhsm(3) (its NAME line), and those hsm.h does not declare are the
# store modules' and the test helpers' (a private header of libhsm/
# declares them): no stray symbol becomes ABI by accident.

. "$(dirname "$0")/../common/preamble"

_require_cmd nm objdump

so=$HSM_BUILDDIR/libhsm/.libs/libhsm.so
hdr=$HSM_BUILDDIR/libhsm/hsm.h
page=$HSM_SRCDIR/man/man3/libhsm.3
[ -f "$so" ] || _notrun "no shared libhsm.so (configured --disable-shared?)"

echo "== soname"
objdump -p "$so" | awk '$1 == "SONAME" { print $2 }'

# "ADDR TYPE NAME[@[@]VERSION]"; the version node itself is an absolute
# symbol (A) named after the node
nm -D --defined-only "$so" |
	awk '$2 != "A" { sub(/@.*/, "", $3); print $3 }' | sort -u > "$tmp.syms"
cat "$tmp.syms" >> "$seqres.full"

echo "== exports"
[ -s "$tmp.syms" ] || echo "libhsm.so exports nothing"
bad=$(grep -v '^hsm_' "$tmp.syms")
if [ -n "$bad" ]; then
	printf 'exported, not hsm_*: %s\n' $bad
else
	echo "every exported symbol is hsm_*"
fi

echo "== documented"
# the NAME line of libhsm(3): "libhsm, hsm_a, hsm_b \- ..."
sed -n '/^\.SH NAME/{n;p;q}' "$page" | sed -e 's/ \\-.*//' | tr ', ' '\n\n' |
	grep . | sort -u > "$tmp.named"
# the functions each kind of header declares
grep -ohE '[^a-z0-9_]hsm_[a-z0-9_]+\(' "$hdr" | tr -d '( *' | sort -u > "$tmp.pub"
find "$HSM_SRCDIR/libhsm" -name '*.h' -exec cat {} + |
	grep -oE '[^a-z0-9_]hsm_[a-z0-9_]+\(' | tr -d '( *' | sort -u > "$tmp.priv"
comm -12 "$tmp.syms" "$tmp.pub" | comm -23 - "$tmp.named" |
	sed -e 's/.*/libhsm(3) does not document & (hsm.h declares it)/' \
	> "$tmp.bad"
comm -23 "$tmp.syms" "$tmp.pub" | comm -23 - "$tmp.priv" |
	sed -e 's/.*/& is exported but no header declares it/' >> "$tmp.bad"
grep -vx libhsm "$tmp.named" | comm -23 - "$tmp.syms" |
	sed -e 's/.*/libhsm(3) names &, which libhsm.so does not export/' \
	>> "$tmp.bad"
if [ -s "$tmp.bad" ]; then
	cat "$tmp.bad"
else
	echo "libhsm(3) names every function of hsm.h that libhsm.so exports"
fi

status=0
exit
