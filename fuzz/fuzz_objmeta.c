// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * fuzz_objmeta.c - the metadata text a store keeps beside each object
 * (store/objmeta.c).  Import, undelete, audit and every recall read it
 * from the store, so a damaged or crafted text must be refused or read
 * within its limits.  A text that parses must format, and the formatted
 * text must parse to metadata that formats to the very same bytes: the
 * names, inode fields, xattrs, map and sums survive a rewrite
 * (--refresh-paths rewrites texts read back this way).
 */
#include <errno.h>
#include <string.h>
#include "store/store.h"
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(
	const uint8_t		*data,
	size_t			size)
{
	struct hsm_objmeta	m, back;
	char			*t1, *t2;
	size_t			l1, l2;
	int			rc;

	if (hsm_objmeta_parse((const char *)data, size, &m))
		return 0;
	rc = hsm_objmeta_format(&m, &t1, &l1);
	/* a parsed path or name may need more room escaped than a text
	 * line allows only if the limits disagree: they must not */
	FUZZ_CHECK(rc == 0 || rc == -ENOMEM);
	if (rc) {
		hsm_objmeta_free(&m);
		return 0;
	}
	rc = hsm_objmeta_parse(t1, l1, &back);
	FUZZ_CHECK(rc == 0 || rc == -ENOMEM);
	if (!rc) {
		FUZZ_CHECK(back.has_inode == m.has_inode &&
			   back.nlinks == m.nlinks &&
			   back.nxattrs == m.nxattrs &&
			   back.map.nr == m.map.nr && back.nsums == m.nsums &&
			   !strcmp(back.path, m.path));
		if (!hsm_objmeta_format(&back, &t2, &l2)) {
			FUZZ_CHECK(l1 == l2 && !memcmp(t1, t2, l1));
			free(t2);
		}
		hsm_objmeta_free(&back);
	}
	free(t1);
	hsm_objmeta_free(&m);
	return 0;
}
