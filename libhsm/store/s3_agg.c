// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * s3_agg.c - small objects of an S3 store packed into aggregates: hand
 * out their oids, publish them, find a member, change its metadata,
 * delete it, list the members.  Layout in s3P.h.
 *
 * A member's oid is its aggregate's id (12 bytes), a mark, and its slot
 * (3 bytes): no index is needed to find it, only the aggregate's state,
 * which says whether the slot was deleted or moved since.  Publish is one
 * PUT per aggregate that creates only: the members are committed when it
 * answers (s3agg-written).  Every change of a state is one PUT naming
 * the version read (If-Match), retried on 412 after a fresh read: a
 * delete, a metadata change and a repack never undo one another.
 * Delete marks the slot where the member lives now dead (s3agg-dead),
 * then the slots that led there (s3agg-unlinked): a crash between leaves
 * a forward to a dead slot, which reads as deleted.  gc's repack deletes
 * aggregates no member lives in (s3_agg_repack.c).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>
#include "store/s3P.h"
#include "store/s3_agg.h"

#define HOPS_MAX	16
#define CAS_TRIES	16
#define HEAD_READ	(64U << 10)	/* first read of an aggregate */
#define TOC_CACHE_BYTES	(128ULL << 20)	/* contents kept, per process */

/*
 * The threads of one process that change the state of one aggregate take
 * turns: gc and the daemon delete the members of an aggregate together,
 * and writers of one state that only compared versions would mostly lose
 * to each other (and wait).  Other processes are still met by If-Match.
 */
#define STRIPES		64
static pthread_mutex_t	stripe[STRIPES] = {
	[0 ... STRIPES - 1] = PTHREAD_MUTEX_INITIALIZER
};

pthread_mutex_t *
agg_state_lock(
	const uint8_t	*id)
{
	pthread_mutex_t	*m = &stripe[(id[0] << 8 | id[1]) % STRIPES];

	pthread_mutex_lock(m);
	return m;
}

/* Before try @tries + 1 of a write another won: a random pause, longer
 * each time, so that writers of one state stop colliding. */
void
agg_backoff(
	int		tries)
{
	unsigned	r;

	if (getrandom(&r, sizeof(r), 0) != sizeof(r))
		r = tries * 7919;
	usleep(r % (1000U << (tries < 6 ? tries : 6)));
}

/* ---- names ----------------------------------------------------------- */

bool
s3_agg_is_member(
	const uint8_t	*oid)
{
	return oid[S3_AGG_ID_LEN] == S3_AGG_MARK;
}

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

void
agg_key(
	const uint8_t	*id,
	bool		state,
	char		key[S3_AGG_KEY_LEN])
{
	char		hex[2 * S3_AGG_ID_LEN + 1];

	agg_id_hex(id, hex);
	snprintf(key, S3_AGG_KEY_LEN, "%s%s",
		 state ? S3_AGG_STATE_PREFIX : S3_AGG_PREFIX, hex);
}

void
agg_member_where(
	const uint8_t	*oid,
	uint8_t		*id,
	uint32_t	*slot)
{
	memcpy(id, oid, S3_AGG_ID_LEN);
	*slot = (uint32_t)oid[13] << 16 | (uint32_t)oid[14] << 8 | oid[15];
}

int
agg_new_id(
	uint8_t		*id)
{
	return getrandom(id, S3_AGG_ID_LEN, 0) == S3_AGG_ID_LEN ? 0 : -EIO;
}

/*
 * The ids published lately, by any handle of this process: an open
 * aggregate whose id was published is closed before it gives out another
 * slot, which would only fall back to an object of its own at its
 * publish (a run publishes a chunk of its items, then prepares the next).
 */
#define SPENT		1024
static pthread_mutex_t	spent_lock = PTHREAD_MUTEX_INITIALIZER;
static uint8_t		spent[SPENT][S3_AGG_ID_LEN];
static uint64_t		spent_count;	/* ever; the last at count - 1 */

static void
spend(
	const uint8_t	*id)
{
	pthread_mutex_lock(&spent_lock);
	memcpy(spent[spent_count % SPENT], id, S3_AGG_ID_LEN);
	spent_count++;
	pthread_mutex_unlock(&spent_lock);
}

/* Was @p's id published since it was last looked for? */
static bool
spent_since(
	struct s3_pack	*p)
{
	uint64_t	i;
	bool		found = false;

	pthread_mutex_lock(&spent_lock);
	if (spent_count - p->seen > SPENT)
		p->seen = spent_count - SPENT;
	for (i = p->seen; i < spent_count && !found; i++)
		found = !memcmp(spent[i % SPENT], p->id, S3_AGG_ID_LEN);
	p->seen = spent_count;
	pthread_mutex_unlock(&spent_lock);
	return found;
}

/*
 * The aggregates being handed out, one per store and group (a batch run,
 * whose threads each have their own handle): process-wide, looked up by
 * a hash of the store's address (two stores sharing an entry would only
 * share ids, each aggregate in its own bucket) and the group.
 */
#define PACKS		64
struct group_pack {
	uint64_t	store;
	const void	*group;
	uint64_t	used;		/* when, for the replacement */
	struct s3_pack	pack;
};
static pthread_mutex_t	packs_lock = PTHREAD_MUTEX_INITIALIZER;
static struct group_pack packs[PACKS];
static uint64_t		packs_clock;

static struct group_pack *
group_pack(
	uint64_t	store,
	const void	*group)
{
	struct group_pack *g, *old = &packs[0];
	unsigned	i;

	for (i = 0; i < PACKS; i++) {
		g = &packs[i];
		if (g->used && g->store == store && g->group == group)
			goto found;
		if (g->used < old->used)
			old = g;
	}
	g = old;
	memset(g, 0, sizeof(*g));
	g->store = store;
	g->group = group;
found:
	g->used = ++packs_clock;
	return g;
}

int
s3_agg_new_oid(
	struct s3_store	*ss,
	const void	*group,
	uint64_t	size,
	uint8_t		*oid)
{
	struct s3_pack	*p;
	int		error = 0;

	if (!ss->agg_threshold || !size || size > ss->agg_threshold) {
		if (getrandom(oid, HSM_OID_LEN, 0) != HSM_OID_LEN)
			return -EIO;
		/* not mistaken for a member: no lookup in vain */
		if (oid[S3_AGG_ID_LEN] == S3_AGG_MARK)
			oid[S3_AGG_ID_LEN] ^= 1;
		return 0;
	}
	pthread_mutex_lock(&packs_lock);
	p = &group_pack(ss->ident, group)->pack;
	if (!p->open || p->slots >= S3_AGG_SLOTS ||
	    (p->slots && p->bytes + size > ss->agg_max) ||
	    spent_since(p)) {
		error = agg_new_id(p->id);
		p->open = !error;
		p->slots = 0;
		p->bytes = 0;
	}
	if (!error) {
		memcpy(oid, p->id, S3_AGG_ID_LEN);
		oid[S3_AGG_ID_LEN] = S3_AGG_MARK;
		oid[13] = p->slots >> 16;
		oid[14] = p->slots >> 8;
		oid[15] = p->slots;
		p->slots++;
		p->bytes += size;
	}
	pthread_mutex_unlock(&packs_lock);
	return error;
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
 * with toc_put. */
static int
toc_get(
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

static void
toc_put(
	const struct agg_toc	*t)
{
	struct cached_toc	*c = (struct cached_toc *)t;

	pthread_mutex_lock(&toc_lock);
	if (!--c->refs && c->gone)
		cached_free(c);
	pthread_mutex_unlock(&toc_lock);
}

/* Forget what was read of aggregate @id of @ss's store. */
static void
toc_forget(
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

static int
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

static int
state_format(
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

int
agg_state_read(
	struct s3_store		*ss,
	const uint8_t		*id,
	struct agg_state	*st)
{
	struct s3_body		b;
	char			key[S3_AGG_KEY_LEN];
	int			error;

	memset(st, 0, sizeof(*st));
	agg_key(id, true, key);
	error = s3_get_small(ss, key, NULL, &b);
	if (error == -ENOENT) {
		free(b.got);
		return 0;		/* every slot as written */
	}
	if (!error)
		error = agg_state_parse(b.got, b.got_len, st);
	if (!error) {
		s3_bare_etag(b.etag, st->etag, sizeof(st->etag));
		st->exists = true;
	}
	free(b.got);
	if (error)
		agg_state_free(st);
	return error;
}

/* Write @st in place of the version read: -ECANCELED if it changed. */
int
agg_state_write(
	struct s3_store		*ss,
	const uint8_t		*id,
	const struct agg_state	*st)
{
	char			key[S3_AGG_KEY_LEN], hdr[160], *text;
	size_t			len;
	int			error;

	error = state_format(st, &text, &len);
	if (error)
		return error;
	if (st->exists)
		snprintf(hdr, sizeof(hdr), "If-Match: %s", st->etag);
	else
		snprintf(hdr, sizeof(hdr), "If-None-Match: *");
	agg_key(id, true, key);
	error = s3_put(ss, key, text, len, hdr);
	free(text);
	return error;
}

/* ---- finding a member ------------------------------------------------- */

/*
 * Follow member @oid from its first slot to where it lives: each hop's
 * aggregate and slot into @hops (HOPS_MAX), their count, and the last
 * one's state into @st (the caller frees it).  -ENOENT: deleted, or no
 * member.
 */
static int
follow(
	struct s3_store		*ss,
	const uint8_t		*oid,
	struct agg_hop		*hops,
	unsigned		*nhops,
	struct agg_state	*st)
{
	struct agg_line		*l;
	unsigned		n = 0;
	int			error;

	agg_member_where(oid, hops[0].id, &hops[0].slot);
	for (;;) {
		error = agg_state_read(ss, hops[n].id, st);
		if (error)
			return error;
		l = agg_state_find(st, hops[n].slot);
		if (l && l->kind == AGG_DEAD) {
			agg_state_free(st);
			return -ENOENT;
		}
		if (!l || l->kind != AGG_MOVED)
			break;
		if (++n == HOPS_MAX) {
			agg_state_free(st);
			return -EUCLEAN;
		}
		memcpy(hops[n].id, l->to, S3_AGG_ID_LEN);
		hops[n].slot = l->to_slot;
		agg_state_free(st);
	}
	*nhops = n + 1;
	return 0;
}

/* Member @oid where it lives: its entry in its aggregate's contents
 * (*@tp, to release with toc_put); @hops and @st as follow. */
static int
locate(
	struct s3_store		*ss,
	const uint8_t		*oid,
	struct agg_hop		*hops,
	unsigned		*nhops,
	struct agg_state	*st,
	const struct agg_toc	**tp,
	const struct agg_entry	**ep)
{
	const struct agg_entry	*e;
	int			error;

	error = follow(ss, oid, hops, nhops, st);
	if (error)
		return error;
	error = toc_get(ss, hops[*nhops - 1].id, tp);
	if (error) {
		agg_state_free(st);
		return error;
	}
	e = agg_toc_find(*tp, hops[*nhops - 1].slot);
	if (!e || memcmp(e->oid, oid, HSM_OID_LEN)) {
		toc_put(*tp);
		agg_state_free(st);
		return -ENOENT;
	}
	*ep = e;
	return 0;
}

int
s3_agg_find(
	struct s3_store		*ss,
	const uint8_t		*oid,
	char			*key,
	uint64_t		*base,
	struct hsm_objmeta	*meta)
{
	struct agg_hop		hops[HOPS_MAX];
	struct agg_state	st;
	const struct agg_toc	*t;
	const struct agg_entry	*e;
	const struct agg_line	*l;
	unsigned		n;
	int			error;

	if (!s3_agg_is_member(oid))
		return -ENOENT;
	error = locate(ss, oid, hops, &n, &st, &t, &e);
	if (error)
		return error;
	l = agg_state_find(&st, hops[n - 1].slot);
	if (l && l->kind == AGG_META)
		error = hsm_objmeta_parse(l->meta, l->meta_len, meta);
	else
		error = hsm_objmeta_parse(e->meta, e->meta_len, meta);
	agg_key(t->id, false, key);
	*base = t->data_start + e->off;
	meta->stored_sec = e->stored;
	if (!error && (memcmp(meta->oid, oid, HSM_OID_LEN) ||
		       meta->size < e->len)) {
		hsm_objmeta_free(meta);
		error = -EUCLEAN;
	}
	toc_put(t);
	agg_state_free(&st);
	return error;
}

/* The aggregate at @key was deleted under a reader: read it afresh. */
void
s3_agg_gone(
	struct s3_store	*ss,
	const char	*key)
{
	uint8_t		id[S3_AGG_ID_LEN];

	if (!strncmp(key, S3_AGG_PREFIX, strlen(S3_AGG_PREFIX)) &&
	    !agg_id_parse(key + strlen(S3_AGG_PREFIX), id))
		toc_forget(ss, id);
}

/* ---- publish ---------------------------------------------------------- */

static int
member_by_oid(
	const void	*a,
	const void	*b)
{
	const struct s3_member *x = a, *y = b;

	return memcmp(x->oid, y->oid, HSM_OID_LEN);
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

void
s3_agg_publish(
	struct s3_store		*ss,
	struct s3_member	*m,
	size_t			n)
{
	struct agg_build_member	*bm = calloc(n ? n : 1, sizeof(*bm));
	char			key[S3_AGG_KEY_LEN], *obj;
	int64_t			now = time(NULL);
	size_t			i, j, k, len;
	int			error;

	qsort(m, n, sizeof(*m), member_by_oid);
	for (i = 0; i < n; i = j) {
		for (j = i + 1; j < n && !memcmp(m[j].oid, m[i].oid,
						 S3_AGG_ID_LEN); j++)
			;
		error = bm ? 0 : -ENOMEM;
		for (k = i; !error && k < j; k++) {
			uint8_t id[S3_AGG_ID_LEN];

			agg_member_where(m[k].oid, id, &bm[k - i].slot);
			bm[k - i].oid = m[k].oid;
			bm[k - i].data = m[k].data;
			bm[k - i].len = m[k].len;
			bm[k - i].meta = m[k].meta;
			bm[k - i].meta_len = m[k].meta_len;
			bm[k - i].stored = 0;
			if (k > i && !memcmp(m[k].oid, m[k - 1].oid,
					     HSM_OID_LEN))
				error = -EEXIST;
		}
		if (!error)
			error = agg_build(bm, j - i, now, &obj, &len);
		if (!error) {
			agg_key(m[i].oid, false, key);
			/* created here or not at all: never over another */
			error = s3_put(ss, key, obj, len, "If-None-Match: *");
			free(obj);
		}
		/* its id is spent: the next small object opens another */
		spend(m[i].oid);
		for (k = i; k < j; k++)
			m[k].error = error == -ECANCELED ? -EAGAIN : error;
	}
	free(bm);
	hsm_fault_kill("s3agg-written");
}

/* ---- changing a member ------------------------------------------------ */

/* Set the line of @oid where it lives by @kind (AGG_DEAD, AGG_META with
 * @text), if it still lives there when written; its hops into @hops. */
static int
set_where(
	struct s3_store		*ss,
	const uint8_t		*oid,
	int			kind,
	const char		*text,
	size_t			len,
	struct agg_hop		*hops,
	unsigned		*nhops)
{
	struct agg_state	st;
	const struct agg_toc	*t;
	const struct agg_entry	*e;
	struct agg_line		*l;
	uint8_t			first[S3_AGG_ID_LEN];
	uint32_t		slot;
	pthread_mutex_t		*lock;
	int			error, tries;

	agg_member_where(oid, first, &slot);
	lock = agg_state_lock(first);
	for (tries = 0; tries < CAS_TRIES; tries++) {
		error = locate(ss, oid, hops, nhops, &st, &t, &e);
		if (error)
			break;
		toc_put(t);
		l = agg_state_line(&st, hops[*nhops - 1].slot);
		if (!l) {
			agg_state_free(&st);
			error = -ENOMEM;
			break;
		}
		free(l->meta);
		l->meta = NULL;
		l->meta_len = 0;
		l->kind = kind;
		if (kind == AGG_META) {
			l->meta = malloc(len ? len : 1);
			if (!l->meta) {
				agg_state_free(&st);
				error = -ENOMEM;
				break;
			}
			memcpy(l->meta, text, len);
			l->meta_len = len;
		}
		error = agg_state_write(ss, hops[*nhops - 1].id, &st);
		agg_state_free(&st);
		if (error != -ECANCELED)
			break;
		agg_backoff(tries);
	}
	pthread_mutex_unlock(lock);
	return error == -ECANCELED ? -EBUSY : error;
}

int
s3_agg_replace_meta(
	struct s3_store		*ss,
	const uint8_t		*oid,
	const char		*text,
	size_t			len)
{
	struct agg_hop		hops[HOPS_MAX];
	unsigned		n;

	if (!s3_agg_is_member(oid))
		return -ENOENT;
	if (len > S3_AGG_META_MAX)
		return -E2BIG;
	return set_where(ss, oid, AGG_META, text, len, hops, &n);
}

/* Mark the forward at hop @h (to @to) dead, if it still is that. */
static int
unlink_hop(
	struct s3_store		*ss,
	const struct agg_hop	*h,
	const struct agg_hop	*to)
{
	struct agg_state	st;
	struct agg_line		*l;
	pthread_mutex_t		*lock = agg_state_lock(h->id);
	int			error, tries;

	for (tries = 0; tries < CAS_TRIES; tries++) {
		error = agg_state_read(ss, h->id, &st);
		if (error)
			break;
		l = agg_state_find(&st, h->slot);
		if (!l || l->kind != AGG_MOVED ||
		    memcmp(l->to, to->id, S3_AGG_ID_LEN) ||
		    l->to_slot != to->slot) {
			agg_state_free(&st);
			break;		/* changed: not ours to undo */
		}
		l->kind = AGG_DEAD;
		error = agg_state_write(ss, h->id, &st);
		agg_state_free(&st);
		if (error != -ECANCELED)
			break;
		agg_backoff(tries);
	}
	pthread_mutex_unlock(lock);
	return error == -ECANCELED ? -EBUSY : error;
}

int
s3_agg_del(
	struct s3_store		*ss,
	const uint8_t		*oid)
{
	struct agg_hop		hops[HOPS_MAX];
	unsigned		n, i;
	int			error;

	if (!s3_agg_is_member(oid))
		return -ENOENT;
	error = set_where(ss, oid, AGG_DEAD, NULL, 0, hops, &n);
	if (error)
		return error;
	hsm_fault_kill("s3agg-dead");
	/* the forwards that led there: dead too, last first */
	for (i = n - 1; i > 0; i--) {
		error = unlink_hop(ss, &hops[i - 1], &hops[i]);
		if (error)
			return 0;	/* a forward to a dead slot: harmless */
		hsm_fault_kill("s3agg-unlinked");
	}
	return 0;
}

/* ---- listing ---------------------------------------------------------- */

static int
state_by_id(
	const void	*a,
	const void	*b)
{
	return memcmp(((const struct agg_state *)a)->id,
		      ((const struct agg_state *)b)->id, S3_AGG_ID_LEN);
}

void
agg_states_free(
	struct agg_states *all)
{
	size_t		i;

	for (i = 0; i < all->n; i++)
		agg_state_free(&all->st[i]);
	free(all->st);
	memset(all, 0, sizeof(*all));
}

static int
load_state(
	const char		*key,
	uint64_t		size,
	int64_t			mtime,
	void			*arg)
{
	struct agg_states	*all = arg;
	uint8_t			id[S3_AGG_ID_LEN];
	struct agg_state	*st;
	int			error;

	if (agg_id_parse(key + strlen(S3_AGG_STATE_PREFIX), id))
		return 0;		/* not ours */
	if (all->n == all->alloc) {
		size_t na = all->alloc ? 2 * all->alloc : 64;

		st = realloc(all->st, na * sizeof(*st));
		if (!st)
			return -ENOMEM;
		all->st = st;
		all->alloc = na;
	}
	st = &all->st[all->n];
	error = agg_state_read(all->ss, id, st);
	if (error == -ENOENT)
		return 0;
	if (error)
		return error;
	memcpy(st->id, id, S3_AGG_ID_LEN);
	all->n++;
	return 0;
}

int
agg_states_load(
	struct s3_store		*ss,
	struct agg_states	*all)
{
	int			error;

	memset(all, 0, sizeof(*all));
	all->ss = ss;
	error = s3_list_keys(ss, S3_AGG_STATE_PREFIX, load_state, all);
	if (error) {
		agg_states_free(all);
		return error;
	}
	qsort(all->st, all->n, sizeof(*all->st), state_by_id);
	return 0;
}

/* The state of @id in @all; a lazy @all reads it on first use (and
 * keeps that there is none).  NULL: none, or it could not be read
 * (*@errp). */
static const struct agg_state *
states_get(
	struct agg_states	*all,
	const uint8_t		*id,
	int			*errp)
{
	struct agg_state	key, *st;
	size_t			i;
	int			error;

	memcpy(key.id, id, S3_AGG_ID_LEN);
	st = bsearch(&key, all->st, all->n, sizeof(*all->st), state_by_id);
	if (st || !all->lazy)
		return st;
	if (all->n == all->alloc) {
		size_t na = all->alloc ? 2 * all->alloc : 16;

		st = realloc(all->st, na * sizeof(*st));
		if (!st) {
			*errp = -ENOMEM;
			return NULL;
		}
		all->st = st;
		all->alloc = na;
	}
	error = agg_state_read(all->ss, id, &key);
	if (error) {
		*errp = error;
		return NULL;
	}
	memcpy(key.id, id, S3_AGG_ID_LEN);
	for (i = all->n; i && state_by_id(&all->st[i - 1], &key) > 0; i--)
		all->st[i] = all->st[i - 1];
	all->st[i] = key;
	all->n++;
	return &all->st[i];
}

const struct agg_state *
agg_states_find(
	struct agg_states	*all,
	const uint8_t		*id)
{
	int			error = 0;

	return states_get(all, id, &error);
}

int
agg_lives_here(
	struct agg_states	*all,
	const struct agg_entry	*e,
	const uint8_t		*id)
{
	const struct agg_state	*st;
	const struct agg_line	*l;
	struct agg_hop		h;
	unsigned		hops;
	int			error = 0;

	if (!s3_agg_is_member(e->oid))
		return 0;
	agg_member_where(e->oid, h.id, &h.slot);
	for (hops = 0; hops < HOPS_MAX; hops++) {
		st = states_get(all, h.id, &error);
		if (error)
			return error;
		l = st ? agg_state_find(st, h.slot) : NULL;
		if (l && l->kind == AGG_DEAD)
			return 0;
		if (!l || l->kind != AGG_MOVED)
			return !memcmp(h.id, id, S3_AGG_ID_LEN) &&
			       h.slot == e->slot;
		memcpy(h.id, l->to, S3_AGG_ID_LEN);
		h.slot = l->to_slot;
	}
	return 0;
}

struct list_ctx {
	struct s3_store	*ss;
	struct agg_states all;
	int		(*fn)(const uint8_t *oid, void *arg);
	void		*arg;
};

static int
list_agg(
	const char	*key,
	uint64_t	size,
	int64_t		mtime,
	void		*arg)
{
	struct list_ctx	*c = arg;
	uint8_t		id[S3_AGG_ID_LEN];
	struct agg_toc	t;
	size_t		i;
	int		error, ret = 0;

	if (agg_id_parse(key + strlen(S3_AGG_PREFIX), id))
		return 0;
	error = agg_toc_read(c->ss, id, false, &t);
	if (error == -ENOENT)
		return 0;		/* repacked away meanwhile */
	if (error)
		return error;
	for (i = 0; !ret && i < t.n; i++) {
		ret = agg_lives_here(&c->all, &t.e[i], id);
		if (ret > 0)
			ret = c->fn(t.e[i].oid, c->arg);
	}
	agg_toc_free(&t);
	return ret;
}

int
s3_agg_list(
	struct s3_store	*ss,
	int		(*fn)(const uint8_t *oid, void *arg),
	void		*arg)
{
	struct list_ctx	c = { .ss = ss, .fn = fn, .arg = arg };
	int		error;

	error = agg_states_load(ss, &c.all);
	if (error)
		return error;
	error = s3_list_keys(ss, S3_AGG_PREFIX, list_agg, &c);
	agg_states_free(&c.all);
	return error;
}
