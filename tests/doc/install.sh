#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# install: `make install DESTDIR=...` lays out what issue 19 asks for (the
# three tools in sbin, libhsm.so.0, <prefix>/include/xfs-hsm/hsm.h and
# libhsm.pc, the man pages, the systemd unit under the prefix, bash
# completion for every tool, the example configs), nothing outside the
# prefix; the example program of libhsm(3) compiles and links against the
# installed library through pkg-config and runs; `make uninstall` removes
# every file.

. "$(dirname "$0")/../common/preamble"

_require_cmd make pkg-config cc objdump
_test_dir_init

root=$TEST_DIR/root
# the test may run under make check: not the parent's jobserver
mk()
{
	env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -s -C "$HSM_BUILDDIR" "$@"
}

# the installation directories, as configured
cat > "$tmp.mk" << 'MK'
print-dirs:
	@echo "prefix=$(prefix)"
	@echo "SBINDIR=$(sbindir)"
	@echo "PKGLIBDIR=$(pkglibdir)"
	@echo "PKGCONFIGDIR=$(pkgconfigdir)"
	@echo "LIBDIR=$(libdir)"
	@echo "PKGINCLUDEDIR=$(pkgincludedir)"
	@echo "MANDIR=$(mandir)"
	@echo "UNITDIR=$(systemdsystemunitdir)"
	@echo "COMPLETIONDIR=$(bashcompletiondir)"
	@echo "EXAMPLEDIR=$(exampledir)"
MK
mk -f Makefile -f "$tmp.mk" print-dirs > "$tmp.dirs" 2>> "$seqres.full" ||
	_fail "cannot read the installation directories"
cat "$tmp.dirs" >> "$seqres.full"
prefix=$(sed -n 's/^prefix=//p' "$tmp.dirs")
libdir=$(sed -n 's/^LIBDIR=//p' "$tmp.dirs")
sbindir=$(sed -n 's/^SBINDIR=//p' "$tmp.dirs")

echo "== make install"
mk install DESTDIR="$root" >> "$seqres.full" 2>&1 || echo "make install failed"
# every file, its directory written as the variable that names it (the
# longest directory first: PKGLIBDIR before LIBDIR); the store modules
# depend on configure (--with-rados, --with-s3) and are left out
(cd "$root" && find . \( -type f -o -type l \) -printf '/%P\n') | sort > "$tmp.files"
cat "$tmp.files" >> "$seqres.full"
grep -v '^prefix=' "$tmp.dirs" | awk -F= '{ print length($2), $1, $2 }' |
	sort -rn > "$tmp.bylen"
while read -r f; do
	out=
	while read -r _ name dir; do
		case $f in
		"$dir"/*) out="$name/${f#"$dir"/}"; break ;;
		esac
	done < "$tmp.bylen"
	case $out in
	"")		echo "outside every installation directory: $f" ;;
	PKGLIBDIR/store_*) ;;
	*)		echo "$out" ;;
	esac
	case $f in
	"$prefix"/*) ;;
	*)	echo "outside the prefix $prefix: $f" ;;
	esac
done < "$tmp.files" | sort

echo "== the library"
so=$root$libdir/libhsm.so
objdump -p "$so" | awk '$1 == "SONAME" { print "soname", $2 }'
[ -L "$so" ] || echo "libhsm.so is not a symbolic link"
grep -q "^ExecStart=$sbindir/xfs_hsmd " "$root$(sed -n 's/^UNITDIR=//p' "$tmp.dirs")/xfs_hsmd@.service" ||
	echo "the unit does not start $sbindir/xfs_hsmd"

echo "== bash completion"
for t in xfs_hsm xfs_hsmd xfs_hsmscan; do
	f=$root$(sed -n 's/^COMPLETIONDIR=//p' "$tmp.dirs")/$t
	bash -c ". '$f' && complete -p $t" 2>&1 | sed -e 's/ -F [^ ]* / -F FN /'
done

echo "== pkg-config and the example of libhsm(3)"
# its EXAMPLES program, taken out of the page: from "#include <stdio.h>"
# to the end of that no-fill block, escapes undone
awk '/^#include <stdio.h>/ { on = 1 } on && /^\.fi/ { exit } on' \
	"$HSM_SRCDIR/man/man3/libhsm.3" |
	sed -e 's/\\e/\\/g' -e 's/\\-/-/g' -e 's/\\(aq/'"'"'/g' > "$TEST_DIR/migrate1.c"
cat "$TEST_DIR/migrate1.c" >> "$seqres.full"
grep -q '#include <hsm.h>' "$TEST_DIR/migrate1.c" ||
	echo "libhsm(3)'s example does not include <hsm.h>"
# the .pc under DESTDIR: pkg-config prefixes its -I and -L with the sysroot
export PKG_CONFIG_SYSROOT_DIR=$root
export PKG_CONFIG_PATH=$root$libdir/pkgconfig
flags=$(pkg-config --cflags --libs libhsm 2>> "$seqres.full") ||
	echo "pkg-config --cflags --libs libhsm failed"
echo "pkg-config: $flags" >> "$seqres.full"
incdir=$(sed -n 's/^PKGINCLUDEDIR=//p' "$tmp.dirs")
case " $flags " in
*" -I$root$incdir "*)	echo "pkg-config --cflags: -I PKGINCLUDEDIR" ;;
*)			echo "pkg-config --cflags lacks -I$incdir" ;;
esac
case " $flags " in
*" -L$root$libdir "*"-lhsm "*)	echo "pkg-config --libs: -L LIBDIR -lhsm" ;;
*)				echo "pkg-config --libs lacks -L$libdir -lhsm" ;;
esac
# shellcheck disable=SC2086 # the flags are words
if cc -Wall -Wextra -Werror -o "$TEST_DIR/migrate1" "$TEST_DIR/migrate1.c" \
      $flags >> "$seqres.full" 2>&1; then
	echo "migrate1 compiles and links"
	LD_LIBRARY_PATH=$root$libdir "$TEST_DIR/migrate1" > /dev/null 2>&1
	echo "migrate1 without arguments: exit status $?"
	LD_LIBRARY_PATH=$root$libdir ldd "$TEST_DIR/migrate1" |
		awk -v r="$root" '$1 ~ /^libhsm/ {
			print $1, (index($3, r) == 1 ? "from the installed library" : "from " $3) }'
else
	echo "migrate1 does not compile against the installed library"
fi
unset PKG_CONFIG_SYSROOT_DIR PKG_CONFIG_PATH

echo "== make uninstall"
mk uninstall DESTDIR="$root" >> "$seqres.full" 2>&1 || echo "make uninstall failed"
(cd "$root" && find . \( -type f -o -type l \) -printf 'left behind: /%P\n') | sort

status=0
exit
