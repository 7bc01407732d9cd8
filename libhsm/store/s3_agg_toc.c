// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * s3_agg_toc.c - an S3 aggregate's header and table of contents: made
 * (agg_build), read and parsed, and kept once per process for the
 * readers.  Format in s3_agg.h.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>
#include "store/s3_agg.h"

#define HEAD_READ	(64U << 10)	/* first read of an aggregate */
#define TOC_CACHE_BYTES	(128ULL << 20)	/* contents kept, per process */

/* ---- the table of contents ------------------------------------------- */

void
agg_toc_free(
	struct agg_toc	*t)
{
	free(t->e);
	free(t->raw);
	memset(t, 0, sizeof(*t));
}

static int
entry_by_slot(
	const void	*a,
	const void	*b)
{
	const struct agg_entry *x = a, *y = b;

	return (x->slot > y->slot) - (x->slot < y->slot);
}

const struct agg_entry *
agg_toc_find(
	const struct agg_toc	*t,
	uint32_t		slot)
{
	struct agg_entry	key = { .slot = slot };

	return bsearch(&key, t->e, t->n, sizeof(*t->e), entry_by_slot);
}

/* Parse the header and contents in @t->raw (@t->raw_len bytes, at least
 * the data start, which is set). */
static int
toc_parse(
	struct agg_toc	*t)
{
	char		*p = t->raw, *end = t->raw + t->raw_len, *nl;
	uint64_t	n, toc_len;
	unsigned	v;
	int		hl;
	size_t		i;

	nl = memchr(p, '\n', end - p);
	if (!nl || sscanf(p, AGG_MAGIC " %u %" SCNu64 " %" SCNu64 "%n", &v,
			  &n, &toc_len, &hl) != 3 || p + hl != nl || v != 1)
		return -EUCLEAN;
	/* every entry takes at least 12 bytes: a count past that is no
	 * aggregate's */
	if (n > S3_AGG_SLOTS || n > toc_len / 12 + 1)
		return -EUCLEAN;
	t->data_start = nl + 1 - p + toc_len;
	if (t->data_start > t->raw_len)
		return -EAGAIN;		/* read more */
	end = p + t->data_start;
	p = nl + 1;
	t->e = calloc(n ? n : 1, sizeof(*t->e));
	if (!t->e)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		struct agg_entry *e = &t->e[i];
		char hex[33];

		nl = memchr(p, '\n', end - p);
		if (!nl || sscanf(p, "%" SCNu32 " %32s %" SCNu64 " %" SCNu64
				  " %" SCNd64 " %zu", &e->slot, hex, &e->off,
				  &e->len, &e->stored, &e->meta_len) != 6 ||
		    hsm_oid_parse(hex, e->oid) ||
		    e->meta_len > (size_t)(end - nl - 1) ||
		    (i && e->slot <= t->e[i - 1].slot))
			return -EUCLEAN;
		e->meta = nl + 1;
		p = nl + 1 + e->meta_len;
		if (p >= end || *p != '\n')
			return -EUCLEAN;
		p++;
	}
	t->n = n;
	return 0;
}

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
		error = toc_parse(t);
		if (error != -EAGAIN)
			break;
		if (whole) {
			error = -EUCLEAN;	/* shorter than its header */
			break;
		}
		want = t->data_start;
	}
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

/* Header, contents and data of members @m[0..n) (slots ascending); a
 * member stored 0 is stored @now. */
int
agg_build(
	const struct agg_build_member *m,
	size_t			n,
	int64_t			now,
	char			**out,
	size_t			*out_len)
{
	size_t			cap = 128, toc_len = 0, i;
	char			hex[33], *t, *p;
	uint64_t		off = 0;
	int			hl;

	for (i = 0; i < n; i++)
		cap += 128 + m[i].meta_len + m[i].len;
	t = malloc(cap);
	if (!t)
		return -ENOMEM;
	/* the header says how long the contents are: write them first,
	 * after room for it, then move them up to it */
	p = t + 128;
	for (i = 0; i < n; i++) {
		hsm_oid_hex(m[i].oid, hex);
		p += sprintf(p, "%" PRIu32 " %s %" PRIu64 " %" PRIu64 " %"
			     PRId64 " %zu\n", m[i].slot, hex, off, m[i].len,
			     m[i].stored ? m[i].stored : now, m[i].meta_len);
		memcpy(p, m[i].meta, m[i].meta_len);
		p += m[i].meta_len;
		*p++ = '\n';
		off += m[i].len;
	}
	toc_len = p - (t + 128);
	hl = sprintf(t, AGG_MAGIC " 1 %zu %zu\n", n, toc_len);
	memmove(t + hl, t + 128, toc_len);
	p = t + hl + toc_len;
	for (i = 0; i < n; i++) {
		memcpy(p, m[i].data, m[i].len);
		p += m[i].len;
	}
	*out = t;
	*out_len = p - t;
	return 0;
}
