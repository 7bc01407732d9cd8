// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * binding.c - which stores serve a filesystem: trusted.hsm.fs on its root.
 *
 * The value is text, so an administrator can read it with getfattr:
 *   "xfs-hsm-binding 1\nstore_id 1\nstore posix:/abs/dir\n
 *    store_id 2\nstore rados:hsm\ndraining 2\nrecords 2\n"
 * Each store is a "store_id N" line and its "store KIND:ARG" line, in the
 * order copies go to them.  "draining N" says store N takes no new copy
 * (xfs_hsm store drain); "last_id N" keeps the id of a removed store from
 * being given again.  "records 2" says that every record on the
 * filesystem is v2, which lets a scan skip inodes by their fork size
 * (record_rule.c).  A binding says it from the start; xfs_hsmscan
 * --upgrade adds it once no v1 record is left.  An older libhsm refuses
 * a second store or an unknown key, and so can never write a record that
 * names one store behind a binding of several, nor a v1 record behind
 * "records 2".
 * Each store keeps the filesystem UUID in its own marker, so the pair is
 * checked from both sides.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "fs/fsP.h"

#define BINDING_MAGIC "xfs-hsm-binding 1\n"

const struct hsm_binding_store *
hsm_binding_find(
	const struct hsm_binding *b,
	uint32_t		id)
{
	unsigned		i;

	for (i = 0; i < b->nstores; i++)
		if (b->store[i].id == id)
			return &b->store[i];
	return NULL;
}

int
hsm_binding_format(
	const struct hsm_binding *b,
	char			*buf,
	size_t			size)
{
	size_t			len = 0;
	unsigned		i;
	int			n;

#define EMIT(...) do {							\
	n = snprintf(buf + len, size - len, __VA_ARGS__);		\
	if (n < 0 || (size_t)n >= size - len)				\
		return -ENAMETOOLONG;					\
	len += n;							\
} while (0)
	if (!b->nstores || b->nstores > HSM_STORES_MAX)
		return -EINVAL;
	for (i = 0; i < b->nstores; i++)
		if (!b->store[i].spec[0] || strchr(b->store[i].spec, '\n') ||
		    !b->store[i].id ||
		    hsm_binding_find(b, b->store[i].id) != &b->store[i])
			return -EINVAL;
	if (size == 0)
		return -ENAMETOOLONG;
	EMIT(BINDING_MAGIC);
	for (i = 0; i < b->nstores; i++)
		EMIT("store_id %u\nstore %s\n", b->store[i].id,
		     b->store[i].spec);
	for (i = 0; i < b->nstores; i++)
		if (b->store[i].draining)
			EMIT("draining %u\n", b->store[i].id);
	if (b->last_id)
		EMIT("last_id %u\n", b->last_id);
	if (b->records_v2)
		EMIT("records 2\n");
#undef EMIT
	return len;
}

/* "N" of a "key N" line: a store id, 1 to UINT32_MAX. */
static int
parse_id(
	const char		*s,
	uint32_t		*id)
{
	char			*end;
	unsigned long		v;

	if (*s < '1' || *s > '9')
		return -EUCLEAN;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (*end || errno || v > UINT32_MAX)
		return -EUCLEAN;
	*id = v;
	return 0;
}

/* One line of the value, in @b; @want_spec: the last line was store_id. */
static int
parse_line(
	char			*line,
	struct hsm_binding	*b,
	bool			*want_spec)
{
	struct hsm_binding_store *s;
	uint32_t		id;

	if (*want_spec) {
		s = &b->store[b->nstores - 1];
		if (strncmp(line, "store ", 6) || !line[6] ||
		    strlen(line + 6) >= sizeof(s->spec))
			return -EUCLEAN;
		strcpy(s->spec, line + 6);
		*want_spec = false;
		return 0;
	}
	if (!strncmp(line, "store_id ", 9)) {
		if (parse_id(line + 9, &id) || hsm_binding_find(b, id) ||
		    b->nstores == HSM_STORES_MAX)
			return -EUCLEAN;
		b->store[b->nstores++].id = id;
		*want_spec = true;
		return 0;
	}
	if (!strncmp(line, "draining ", 9)) {
		if (parse_id(line + 9, &id))
			return -EUCLEAN;
		for (s = b->store; s < b->store + b->nstores; s++)
			if (s->id == id && !s->draining) {
				s->draining = true;
				return 0;
			}
		return -EUCLEAN;	/* no such store, or said twice */
	}
	if (!strncmp(line, "last_id ", 8) && !b->last_id)
		return parse_id(line + 8, &b->last_id);
	if (!strcmp(line, "records 2") && !b->records_v2) {
		b->records_v2 = true;
		return 0;
	}
	return -EUCLEAN;
}

int
hsm_binding_parse(
	const char		*buf,
	size_t			len,
	struct hsm_binding	*b)
{
	const size_t		mlen = sizeof(BINDING_MAGIC) - 1;
	char			*text, *line, *save = NULL;
	bool			want_spec = false;
	int			error = 0;

	if (len < mlen || len >= HSM_BINDING_MAX ||
	    memcmp(buf, BINDING_MAGIC, mlen))
		return -EUCLEAN;
	if (memchr(buf, '\0', len) || buf[len - 1] != '\n' ||
	    memmem(buf, len, "\n\n", 2))
		return -EUCLEAN;		/* NUL, no final newline, blank line */
	text = strndup(buf + mlen, len - mlen);
	if (!text)
		return -ENOMEM;
	memset(b, 0, sizeof(*b));
	for (line = strtok_r(text, "\n", &save); line && !error;
	     line = strtok_r(NULL, "\n", &save))
		error = parse_line(line, b, &want_spec);
	free(text);
	if (!error && (want_spec || !b->nstores))
		error = -EUCLEAN;
	return error;
}
