// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * s3_agg_toc.c - an S3 aggregate's header and table of contents: read
 * (parsed by s3_agg_format.c) and kept once per process for the readers.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "store/s3_agg.h"

#define HEAD_READ	(64U << 10)	/* first read of an aggregate */
#define TOC_CACHE_BYTES	(128ULL << 20)	/* contents kept, per process */

/* Read aggregate @id's contents into @t (@whole: and all its bytes, in
 * t->raw): 0, -ENOENT (none), -errno. */
int
agg_toc_read(
	struct s3_store	*ss,
	const uint8_t	*id,
	bool		whole,
	struct agg_toc	*t)
{
	struct s3_body	b;
	char		key[S3_AGG_KEY_LEN], range[64];
	uint64_t	want = HEAD_READ;
	int		error, tries;

	memset(t, 0, sizeof(*t));
	memcpy(t->id, id, S3_AGG_ID_LEN);
	agg_key(id, false, key);
	for (tries = 0; tries < 2; tries++) {
		snprintf(range, sizeof(range), "bytes=0-%" PRIu64, want - 1);
		error = s3_get_small(ss, key, whole ? NULL : range, &b);
		if (error) {
			free(b.got);
			return error;
		}
		free(t->raw);
		free(t->e);
		t->e = NULL;
		t->raw = b.got;
		t->raw_len = b.got_len;
		error = agg_toc_parse(t);
		if (error != -EAGAIN || whole)
			break;
		want = t->data_start;
	}
	if (error == -EAGAIN)
		error = -EUCLEAN;	/* shorter than its header says */
	if (error)
		agg_toc_free(t);
	return error;
}

/*
 * The contents of the aggregates read lately, shared by every handle of
 * the process (the daemon's recall workers each have one): an aggregate
 * is written once and never changed, so what was read stays true until
 * it is deleted, which a reader notices (its bytes are gone) and then
 * forgets.  A recall of a small file then costs its state and its bytes,
 * as an object of its own costs its metadata and its bytes.  Kept up to
 * TOC_CACHE_BYTES, the least recently used dropped first; an entry in
 * use (refs) is never freed under its user.
 */
struct cached_toc {
	struct agg_toc	t;
	uint64_t	store;		/* the store's ident */
	uint64_t	used;
	unsigned	refs;
	bool		gone;		/* forgotten while in use */
};
static pthread_mutex_t	toc_lock = PTHREAD_MUTEX_INITIALIZER;
static struct cached_toc **tocs;
static size_t		ntocs, toc_alloc;
static uint64_t		toc_bytes, toc_clock;

static void
cached_free(
	struct cached_toc *c)
{
	toc_bytes -= c->t.raw_len;
	agg_toc_free(&c->t);
	free(c);
}

/* Drop entry @i (under toc_lock), or mark it for its last user. */
static void
cached_drop(
	size_t		i)
{
	struct cached_toc *c = tocs[i];

	tocs[i] = tocs[--ntocs];
	if (c->refs)
		c->gone = true;
	else
		cached_free(c);
}

/* Aggregate @id's contents, from the cache or read into it; release
 * with agg_toc_put. */
int
agg_toc_get(
	struct s3_store		*ss,
	const uint8_t		*id,
	const struct agg_toc	**tp)
{
	struct cached_toc	*c = NULL, **grown;
	size_t			i, old;
	int			error;

	pthread_mutex_lock(&toc_lock);
	for (i = 0; i < ntocs; i++)
		if (tocs[i]->store == ss->ident &&
		    !memcmp(tocs[i]->t.id, id, S3_AGG_ID_LEN)) {
			c = tocs[i];
			c->refs++;
			c->used = ++toc_clock;
			break;
		}
	pthread_mutex_unlock(&toc_lock);
	if (c) {
		*tp = &c->t;
		return 0;
	}
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	error = agg_toc_read(ss, id, false, &c->t);
	if (error) {
		free(c);
		return error;
	}
	c->store = ss->ident;
	c->refs = 1;
	pthread_mutex_lock(&toc_lock);
	if (ntocs == toc_alloc) {
		grown = realloc(tocs, (toc_alloc ? 2 * toc_alloc : 64) *
				sizeof(*tocs));
		if (grown) {
			tocs = grown;
			toc_alloc = toc_alloc ? 2 * toc_alloc : 64;
		}
	}
	toc_bytes += c->t.raw_len;
	c->used = ++toc_clock;
	if (ntocs < toc_alloc)
		tocs[ntocs++] = c;
	else
		c->gone = true;		/* kept by its user only */
	/* past the bound: the least recently used go, not those in use */
	while (toc_bytes > TOC_CACHE_BYTES) {
		for (i = 0, old = ntocs; i < ntocs; i++)
			if (!tocs[i]->refs &&
			    (old == ntocs || tocs[i]->used < tocs[old]->used))
				old = i;
		if (old == ntocs)
			break;
		cached_drop(old);
	}
	pthread_mutex_unlock(&toc_lock);
	*tp = &c->t;
	return 0;
}

void
agg_toc_put(
	const struct agg_toc	*t)
{
	struct cached_toc	*c = (struct cached_toc *)t;

	pthread_mutex_lock(&toc_lock);
	if (!--c->refs && c->gone)
		cached_free(c);
	pthread_mutex_unlock(&toc_lock);
}

/* Forget what was read of aggregate @id of @ss's store. */
void
agg_toc_forget(
	struct s3_store	*ss,
	const uint8_t	*id)
{
	size_t		i;

	pthread_mutex_lock(&toc_lock);
	for (i = 0; i < ntocs; i++)
		if (tocs[i]->store == ss->ident &&
		    !memcmp(tocs[i]->t.id, id, S3_AGG_ID_LEN)) {
			cached_drop(i);
			break;
		}
	pthread_mutex_unlock(&toc_lock);
}
