// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * binding.c - which store serves a filesystem: trusted.hsm.fs on its root.
 *
 * The value is text, so an administrator can read it with getfattr:
 *   "xfs-hsm-binding 1\nstore_id 1\nstore posix:/abs/dir\nrecords 2\n"
 * "records 2" says that every record on the filesystem is v2, which lets
 * a scan skip inodes by their fork size (record_rule.c).  A binding says
 * it from the start; xfs_hsmscan --upgrade adds it once no v1 record is
 * left.  An older libhsm refuses the line as an unknown key, and so can
 * never write a v1 record behind it.
 * The store keeps the filesystem UUID in its own marker, so the pair is
 * checked from both sides.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include "fs/fsP.h"

#define BINDING_MAGIC "xfs-hsm-binding 1\n"

int
hsm_binding_format(
	const struct hsm_binding *b,
	char			*buf,
	size_t			size)
{
	int			n;

	if (!b->spec[0] || strchr(b->spec, '\n') || !b->store_id)
		return -EINVAL;
	n = snprintf(buf, size, BINDING_MAGIC "store_id %u\nstore %s\n%s",
			b->store_id, b->spec,
			b->records_v2 ? "records 2\n" : "");
	if (n < 0 || (size_t)n >= size)
		return -ENAMETOOLONG;
	return n;
}

int
hsm_binding_parse(
	const char		*buf,
	size_t			len,
	struct hsm_binding	*b)
{
	const size_t		mlen = sizeof(BINDING_MAGIC) - 1;
	char			text[sizeof(b->spec) + 64];
	char			*line, *save = NULL;
	bool			have_id = false, have_store = false;
	bool			have_records = false;

	if (len < mlen || len >= sizeof(text) || memcmp(buf, BINDING_MAGIC, mlen))
		return -EUCLEAN;
	if (memchr(buf, '\0', len) || buf[len - 1] != '\n' ||
	    memmem(buf, len, "\n\n", 2))
		return -EUCLEAN;		/* NUL, no final newline, blank line */
	memcpy(text, buf + mlen, len - mlen);
	text[len - mlen] = '\0';
	memset(b, 0, sizeof(*b));
	for (line = strtok_r(text, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		if (!strncmp(line, "store_id ", 9) && !have_id) {
			char *end;
			unsigned long v = strtoul(line + 9, &end, 10);

			if (line[9] < '1' || line[9] > '9' || *end ||
			    v > UINT32_MAX)
				return -EUCLEAN;
			b->store_id = v;
			have_id = true;
		} else if (!strncmp(line, "store ", 6) && !have_store) {
			if (strlen(line + 6) >= sizeof(b->spec) || !line[6])
				return -EUCLEAN;
			strcpy(b->spec, line + 6);
			have_store = true;
		} else if (!strcmp(line, "records 2") && !have_records) {
			b->records_v2 = true;
			have_records = true;
		} else {
			return -EUCLEAN;
		}
	}
	return have_id && have_store ? 0 : -EUCLEAN;
}

