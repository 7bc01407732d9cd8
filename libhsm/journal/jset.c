// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * jset.c - the directories marked in the current epoch: a set of handles
 * with open addressing, so that a change in a directory already marked
 * costs one hash and one compare (the journal's fast path).  One thread.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>
#include "journal/journalP.h"

static size_t
slot_of(
	const struct jset	*s,
	const struct hsm_jhandle *h)
{
	return (XXH3_64bits(h->bytes, h->len) ^ h->type) & (s->size - 1);
}

static bool
same(
	const struct hsm_jhandle *a,
	const struct hsm_jhandle *b)
{
	return a->len == b->len && a->type == b->type &&
	       !memcmp(a->bytes, b->bytes, a->len);
}

bool
jset_has(
	const struct jset	*s,
	const struct hsm_jhandle *h)
{
	size_t			i;

	if (!s->size)
		return false;
	for (i = slot_of(s, h); s->slot[i].len; i = (i + 1) & (s->size - 1))
		if (same(&s->slot[i], h))
			return true;
	return false;
}

/* Double the table (or make the first); -ENOMEM. */
static int
grow(
	struct jset		*s)
{
	struct jset		n = { .size = s->size ? s->size * 2 : 1024 };
	size_t			i;

	n.slot = calloc(n.size, sizeof(*n.slot));
	if (!n.slot)
		return -ENOMEM;
	for (i = 0; i < s->size; i++)
		if (s->slot[i].len)
			jset_add(&n, &s->slot[i]);
	free(s->slot);
	*s = n;
	return 0;
}

int
jset_add(
	struct jset		*s,
	const struct hsm_jhandle *h)
{
	size_t			i;

	if ((s->count + 1) * 2 > s->size && grow(s))
		return -ENOMEM;
	for (i = slot_of(s, h); s->slot[i].len; i = (i + 1) & (s->size - 1))
		if (same(&s->slot[i], h))
			return 0;
	s->slot[i] = *h;
	s->count++;
	return 1;
}

void
jset_clear(
	struct jset		*s)
{
	if (s->slot)
		memset(s->slot, 0, s->size * sizeof(*s->slot));
	s->count = 0;
}

void
jset_free(
	struct jset		*s)
{
	free(s->slot);
	memset(s, 0, sizeof(*s));
}
