// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * s3_agg_format.c - the bytes of an S3 aggregate and of its state
 * (layout in s3_agg.h): made, parsed and looked up, with no I/O, so that
 * fuzz/fuzz_s3agg.c can feed them what a damaged or crafted bucket
 * would.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "store/s3_agg.h"

/* ---- ids ------------------------------------------------------------- */

void
agg_id_hex(
	const uint8_t	*id,
	char		hex[2 * S3_AGG_ID_LEN + 1])
{
	unsigned	i;

	for (i = 0; i < S3_AGG_ID_LEN; i++)
		sprintf(hex + 2 * i, "%02x", id[i]);
}

int
agg_id_parse(
	const char	*hex,
	uint8_t		*id)
{
	unsigned	i, v;

	if (strlen(hex) != 2 * S3_AGG_ID_LEN)
		return -EINVAL;
	for (i = 0; i < S3_AGG_ID_LEN; i++) {
		if (sscanf(hex + 2 * i, "%2x", &v) != 1 ||
		    !strchr("0123456789abcdef", hex[2 * i]) ||
		    !strchr("0123456789abcdef", hex[2 * i + 1]))
			return -EINVAL;
		id[i] = v;
	}
	return 0;
}

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

	if (!t->n)
		return NULL;
	return bsearch(&key, t->e, t->n, sizeof(*t->e), entry_by_slot);
}

/* The header and contents in @t->raw (s3_agg.h says what comes back). */
int
agg_toc_parse(
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
	/* a length past any object's (sscanf saturates) must not wrap */
	if (toc_len > UINT64_MAX - (uint64_t)(nl + 1 - p))
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

/* ---- states ----------------------------------------------------------- */

void
agg_state_free(
	struct agg_state *st)
{
	size_t		i;

	for (i = 0; i < st->n; i++)
		free(st->s[i].meta);
	free(st->s);
	memset(st, 0, sizeof(*st));
}

static int
line_by_slot(
	const void	*a,
	const void	*b)
{
	const struct agg_line *x = a, *y = b;

	return (x->slot > y->slot) - (x->slot < y->slot);
}

struct agg_line *
agg_state_find(
	const struct agg_state	*st,
	uint32_t		slot)
{
	struct agg_line		key = { .slot = slot };

	/* a state without lines has no array: bsearch must not see NULL */
	if (!st->n)
		return NULL;
	return bsearch(&key, st->s, st->n, sizeof(*st->s), line_by_slot);
}

/* The line of @slot, added (kind AGG_LIVE) if there is none. */
struct agg_line *
agg_state_line(
	struct agg_state	*st,
	uint32_t		slot)
{
	struct agg_line		*l = agg_state_find(st, slot), *s;
	size_t			i;

	if (l)
		return l;
	s = realloc(st->s, (st->n + 1) * sizeof(*s));
	if (!s)
		return NULL;
	st->s = s;
	for (i = st->n; i && s[i - 1].slot > slot; i--)
		s[i] = s[i - 1];
	memset(&s[i], 0, sizeof(s[i]));
	s[i].slot = slot;
	s[i].kind = AGG_LIVE;
	st->n++;
	return &s[i];
}

/* Parse state text @text (@len bytes, a NUL after them) into @st (its
 * lines none yet): 0, -EUCLEAN, -ENOMEM. */
int
agg_state_parse(
	const char	*text,
	size_t		len,
	struct agg_state *st)
{
	const char	*p = text, *end = text + len, *nl;
	char		word[16], hex[2 * S3_AGG_ID_LEN + 1];
	uint32_t	slot, to_slot;
	struct agg_line	*l;
	size_t		ml;
	int		n;

	nl = memchr(p, '\n', end - p);
	if (!nl || (size_t)(nl - p) != strlen(STATE_MAGIC " 1") ||
	    memcmp(p, STATE_MAGIC " 1", nl - p))
		return -EUCLEAN;
	for (p = nl + 1; p < end; p = nl + 1) {
		nl = memchr(p, '\n', end - p);
		if (!nl || sscanf(p, "%15s %" SCNu32 "%n", word, &slot, &n) != 2)
			return -EUCLEAN;
		if (agg_state_find(st, slot))
			return -EUCLEAN;	/* one line per slot */
		l = agg_state_line(st, slot);
		if (!l)
			return -ENOMEM;
		if (!strcmp(word, "dead")) {
			l->kind = AGG_DEAD;
		} else if (!strcmp(word, "moved") &&
			   sscanf(p + n, " %24s %" SCNu32, hex, &to_slot) == 2 &&
			   !agg_id_parse(hex, l->to)) {
			l->kind = AGG_MOVED;
			l->to_slot = to_slot;
		} else if (!strcmp(word, "meta") &&
			   sscanf(p + n, " %zu", &ml) == 1 &&
			   ml <= (size_t)(end - nl - 1) &&
			   nl + 1 + ml < end && nl[1 + ml] == '\n') {
			l->kind = AGG_META;
			l->meta = malloc(ml ? ml : 1);
			if (!l->meta)
				return -ENOMEM;
			memcpy(l->meta, nl + 1, ml);
			l->meta_len = ml;
			nl += 1 + ml;
		} else {
			return -EUCLEAN;
		}
	}
	return 0;
}

/* @st as text, in *@out (malloc'ed, *@len bytes). */
int
agg_state_format(
	const struct agg_state	*st,
	char			**out,
	size_t			*len)
{
	size_t			cap = 64, i;
	char			*t, *p, hex[2 * S3_AGG_ID_LEN + 1];

	for (i = 0; i < st->n; i++)
		cap += 96 + st->s[i].meta_len;
	t = malloc(cap);
	if (!t)
		return -ENOMEM;
	p = t + sprintf(t, STATE_MAGIC " 1\n");
	for (i = 0; i < st->n; i++) {
		const struct agg_line *l = &st->s[i];

		switch (l->kind) {
		case AGG_DEAD:
			p += sprintf(p, "dead %" PRIu32 "\n", l->slot);
			break;
		case AGG_MOVED:
			agg_id_hex(l->to, hex);
			p += sprintf(p, "moved %" PRIu32 " %s %" PRIu32 "\n",
				     l->slot, hex, l->to_slot);
			break;
		case AGG_META:
			p += sprintf(p, "meta %" PRIu32 " %zu\n", l->slot,
				     l->meta_len);
			memcpy(p, l->meta, l->meta_len);
			p += l->meta_len;
			*p++ = '\n';
			break;
		default:
			break;		/* live as written: no line */
		}
	}
	*out = t;
	*len = p - t;
	return 0;
}
