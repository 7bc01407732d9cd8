// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * s3_agg_repack.c - gc of an S3 store's aggregates: the live members of
 * aggregates mostly dead are packed into a new one, and aggregates no
 * member lives in are deleted.  A member keeps its oid, so no record
 * changes; its old slot says where it went.
 *
 * The durable steps, each a fault point (crash argument: doc/design.md,
 * "Small-file aggregates"):
 *   repack-written    the new aggregate, by a PUT that creates only;
 *                     no slot leads to it yet (a crash leaves garbage
 *                     that a later pass deletes after the grace)
 *   repack-repointed  each old aggregate's state: its moving slots say
 *                     where they went, if each still is what was copied
 *                     (the PUT names the version read), so a member
 *                     deleted or changed meanwhile is neither brought
 *                     back nor undone
 *   repack-shortened  each moved member's first slot (when the old
 *                     aggregate was not its first) now leads straight to
 *                     the new one, if it still led to the old
 *   repack-deleted    an old aggregate removed, after a fresh look at
 *                     the states found none of its slots live
 * Aggregates younger than the grace are left alone: one may be another
 * repack's, written and not yet pointed at.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "store/s3_agg.h"

#define MOVE_MAX	65536		/* members per new aggregate */

struct aggobj {
	uint8_t		id[S3_AGG_ID_LEN];
	uint64_t	size;
	int64_t		mtime;
};

struct agglist {
	struct aggobj	*a;
	size_t		n, alloc;
};

/* A live member on the move: from slot @slot of aggregate @src. */
struct moving {
	uint8_t		oid[HSM_OID_LEN];
	size_t		src;		/* index in pending's sources */
	uint32_t	slot;
	char		*meta;		/* its text as copied */
	size_t		meta_len;
	bool		meta_line;	/* copied from a state's meta line */
	bool		moved;		/* its old slot now leads to the new */
	int64_t		stored;
	uint64_t	off, len;	/* its bytes in pending's data */
};

/* The new aggregate being filled, and the aggregates it empties. */
struct pending {
	char		*data;
	uint64_t	len;
	size_t		alloc;
	struct moving	*m;
	size_t		n, m_alloc;
	struct aggobj	*src;
	size_t		nsrc, src_alloc;
};

static int
grow(
	void		**p,
	size_t		*alloc,
	size_t		need,
	size_t		size)
{
	size_t		na;
	void		*q;

	if (need <= *alloc)
		return 0;
	na = *alloc ? *alloc : 16;
	while (na < need)
		na *= 2;
	q = realloc(*p, na * size);
	if (!q)
		return -ENOMEM;
	*p = q;
	*alloc = na;
	return 0;
}

static int
list_one(
	const char	*key,
	uint64_t	size,
	int64_t		mtime,
	void		*arg)
{
	struct agglist	*l = arg;
	uint8_t		id[S3_AGG_ID_LEN];
	int		error;

	if (agg_id_parse(key + strlen(S3_AGG_PREFIX), id))
		return 0;
	error = grow((void **)&l->a, &l->alloc, l->n + 1, sizeof(*l->a));
	if (error)
		return error;
	memcpy(l->a[l->n].id, id, S3_AGG_ID_LEN);
	l->a[l->n].size = size;
	l->a[l->n++].mtime = mtime;
	return 0;
}

/* Live members of @t (aggregate @id) by @all: their count and bytes. */
static int
count_live(
	struct agg_states	*all,
	const struct agg_toc	*t,
	uint64_t		*nlive,
	uint64_t		*live)
{
	size_t			i;
	int			here;

	*nlive = *live = 0;
	for (i = 0; i < t->n; i++) {
		here = agg_lives_here(all, &t->e[i], t->id);
		if (here < 0)
			return here;
		if (here) {
			(*nlive)++;
			*live += t->e[i].len;
		}
	}
	return 0;
}

/* Delete aggregate @a if, by states read afresh, no member lives in it. */
static int
delete_if_dead(
	struct s3_store		*ss,
	const struct aggobj	*a,
	struct hsm_repack_info	*info)
{
	struct agg_states	fresh = { .ss = ss, .lazy = true };
	const struct agg_toc	*t;
	char			key[S3_AGG_KEY_LEN];
	uint64_t		nlive, live;
	int			error;

	/* an aggregate never changes: its contents, cached when it was
	 * chosen, still hold */
	error = agg_toc_get(ss, a->id, &t);
	if (error == -ENOENT)
		return 0;		/* gone already */
	if (error)
		return error;
	error = count_live(&fresh, t, &nlive, &live);
	agg_toc_put(t);
	agg_states_free(&fresh);
	if (error || nlive) {
		info->kept++;
		return error;
	}
	agg_key(a->id, false, key);
	error = s3_delete(ss, key);
	if (error && error != -ENOENT)
		return error;
	agg_toc_forget(ss, a->id);
	hsm_fault_kill("repack-deleted");
	info->deleted++;
	info->freed += a->size;
	return 0;
}

/* Read aggregate @a whole and add its live members to @p. */
static int
collect(
	struct s3_store		*ss,
	struct agg_states	*all,
	const struct aggobj	*a,
	struct pending		*p)
{
	struct agg_toc		t;
	const struct agg_state	*st;
	const struct agg_line	*l;
	size_t			i, src;
	int			error, here;

	error = agg_toc_read(ss, a->id, true, &t);
	if (error)
		return error;
	error = grow((void **)&p->src, &p->src_alloc, p->nsrc + 1,
		     sizeof(*p->src));
	if (error)
		goto out;
	src = p->nsrc++;
	p->src[src] = *a;
	st = agg_states_find(all, a->id);
	for (i = 0; i < t.n && !error; i++) {
		const struct agg_entry *e = &t.e[i];
		struct moving *m;

		here = agg_lives_here(all, e, a->id);
		if (here <= 0) {
			error = here;
			continue;
		}
		if (t.data_start + e->off + e->len > t.raw_len) {
			error = -EUCLEAN;
			break;
		}
		error = grow((void **)&p->m, &p->m_alloc, p->n + 1,
			     sizeof(*p->m));
		if (!error)
			error = grow((void **)&p->data, &p->alloc,
				     p->len + e->len + 1, 1);
		if (error)
			break;
		l = st ? agg_state_find(st, e->slot) : NULL;
		m = &p->m[p->n];
		memset(m, 0, sizeof(*m));
		memcpy(m->oid, e->oid, HSM_OID_LEN);
		m->src = src;
		m->slot = e->slot;
		m->stored = e->stored;
		m->meta_line = l && l->kind == AGG_META;
		m->meta_len = m->meta_line ? l->meta_len : e->meta_len;
		m->meta = malloc(m->meta_len ? m->meta_len : 1);
		if (!m->meta) {
			error = -ENOMEM;
			break;
		}
		memcpy(m->meta, m->meta_line ? l->meta : e->meta, m->meta_len);
		m->off = p->len;
		m->len = e->len;
		memcpy(p->data + p->len, t.raw + t.data_start + e->off,
		       e->len);
		p->len += e->len;
		p->n++;
	}
out:
	agg_toc_free(&t);
	return error;
}

/* Is slot @m, in @st read afresh, still what was copied? */
static bool
unchanged(
	const struct agg_state	*st,
	const struct moving	*m)
{
	const struct agg_line	*l = agg_state_find(st, m->slot);

	if (!l || l->kind == AGG_LIVE)
		return !m->meta_line;
	return l->kind == AGG_META && m->meta_line &&
	       l->meta_len == m->meta_len &&
	       !memcmp(l->meta, m->meta, m->meta_len);
}

struct repoint_ctx {
	struct pending	*p;
	size_t		src;
	const uint8_t	*to;
	uint64_t	moved, kept;
};

/* Source @src's moving slots, each still what was copied, moved. */
static int
repoint_slots(
	struct agg_state	*st,
	void			*arg)
{
	struct repoint_ctx	*c = arg;
	struct pending		*p = c->p;
	struct agg_line		*l;
	size_t			i;

	c->moved = c->kept = 0;
	for (i = 0; i < p->n; i++) {
		if (p->m[i].src != c->src)
			continue;
		p->m[i].moved = false;
		if (!unchanged(st, &p->m[i])) {
			c->kept++;		/* changed meanwhile */
			continue;
		}
		l = agg_state_line(st, p->m[i].slot);
		if (!l)
			return -ENOMEM;
		free(l->meta);
		l->meta = NULL;
		l->meta_len = 0;
		l->kind = AGG_MOVED;
		memcpy(l->to, c->to, S3_AGG_ID_LEN);
		l->to_slot = i;
		p->m[i].moved = true;
		c->moved++;
	}
	return c->moved ? 0 : 1;
}

/* Point the moving slots of source @src at @to, in one write of its
 * state, each only if it is still what was copied. */
static int
repoint(
	struct s3_store		*ss,
	struct pending		*p,
	size_t			src,
	const uint8_t		*to,
	struct hsm_repack_info	*info)
{
	struct repoint_ctx	c = { p, src, to, 0, 0 };
	int			error;

	error = agg_state_change(ss, p->src[src].id, NULL, repoint_slots, &c);
	if (!error) {
		info->moved += c.moved;
		info->kept += c.kept;
	}
	return error;
}

struct shorten_ctx {
	struct pending	*p;
	const uint8_t	*first;
	const uint8_t	*to;
	size_t		from;		/* the first member of @first */
	unsigned	changed;	/* lines pointed at @to */
};

/* The first slots in @first of the members moved: straight to @to. */
static int
shorten_slots(
	struct agg_state	*st,
	void			*arg)
{
	struct shorten_ctx	*c = arg;
	struct pending		*p = c->p;
	uint8_t			id[S3_AGG_ID_LEN];
	struct agg_line		*l;
	uint32_t		slot;
	size_t			j;

	c->changed = 0;
	for (j = c->from; j < p->n; j++) {
		agg_member_where(p->m[j].oid, id, &slot);
		if (!p->m[j].moved || memcmp(id, c->first, S3_AGG_ID_LEN))
			continue;
		l = agg_state_find(st, slot);
		if (l && l->kind == AGG_MOVED &&
		    !memcmp(l->to, p->src[p->m[j].src].id, S3_AGG_ID_LEN) &&
		    l->to_slot == p->m[j].slot) {
			memcpy(l->to, c->to, S3_AGG_ID_LEN);
			l->to_slot = j;
			c->changed++;
		}
	}
	return c->changed ? 0 : 1;
}

/*
 * A member that came to its old aggregate by an earlier repack is found
 * through its first slot, then that one: point the first slot straight
 * at the new aggregate, so that no way grows longer than two steps
 * however often its member is repacked.  Each first aggregate's state in
 * one write, each line only if it still leads to the old slot.
 */
static int
shorten(
	struct s3_store		*ss,
	struct pending		*p,
	const uint8_t		*to,
	unsigned		*written)
{
	uint8_t			first[S3_AGG_ID_LEN], id[S3_AGG_ID_LEN];
	bool			*done = calloc(p->n ? p->n : 1, sizeof(*done));
	struct shorten_ctx	c = { p, first, to, 0, 0 };
	uint32_t		slot;
	size_t			i, j;
	int			error = done ? 0 : -ENOMEM;

	for (i = 0; i < p->n && !error; i++) {
		agg_member_where(p->m[i].oid, first, &slot);
		if (done[i] || !p->m[i].moved ||
		    !memcmp(first, p->src[p->m[i].src].id, S3_AGG_ID_LEN))
			continue;	/* it was in its first aggregate */
		c.from = i;
		error = agg_state_change(ss, first, NULL, shorten_slots, &c);
		if (!error && c.changed)
			(*written)++;
		for (j = i; j < p->n; j++) {
			agg_member_where(p->m[j].oid, id, &slot);
			if (!memcmp(id, first, S3_AGG_ID_LEN))
				done[j] = true;
		}
	}
	free(done);
	return error;
}

static void
pending_reset(
	struct pending	*p)
{
	size_t		i;

	for (i = 0; i < p->n; i++)
		free(p->m[i].meta);
	p->n = 0;
	p->len = 0;
	p->nsrc = 0;
}

/* Write the new aggregate, repoint its members, delete the old ones. */
static int
flush(
	struct s3_store		*ss,
	struct pending		*p,
	struct hsm_repack_info	*info)
{
	struct agg_build_member	*bm = NULL;
	uint8_t			id[S3_AGG_ID_LEN];
	char			key[S3_AGG_KEY_LEN], *obj = NULL;
	unsigned		shortened = 0;
	size_t			i, len;
	int			error = 0;

	if (p->n) {
		bm = calloc(p->n, sizeof(*bm));
		error = bm ? agg_new_id(id) : -ENOMEM;
		for (i = 0; !error && i < p->n; i++) {
			bm[i].slot = i;
			bm[i].oid = p->m[i].oid;
			bm[i].data = p->data + p->m[i].off;
			bm[i].len = p->m[i].len;
			bm[i].meta = p->m[i].meta;
			bm[i].meta_len = p->m[i].meta_len;
			bm[i].stored = p->m[i].stored;
		}
		if (!error)
			error = agg_build(bm, p->n, time(NULL), &obj, &len);
		free(bm);
		if (!error) {
			agg_key(id, false, key);
			error = s3_put(ss, key, obj, len, "If-None-Match: *");
			free(obj);
		}
		if (error) {
			info->kept += p->nsrc;
			pending_reset(p);
			return error;
		}
		hsm_fault_kill("repack-written");
		info->written++;
		info->rewritten += len;
		for (i = 0; i < p->nsrc && !error; i++)
			error = repoint(ss, p, i, id, info);
		if (!error)
			hsm_fault_kill("repack-repointed");
		if (!error)
			error = shorten(ss, p, id, &shortened);
		if (error) {
			pending_reset(p);
			return error;
		}
		if (shortened)
			hsm_fault_kill("repack-shortened");
	}
	for (i = 0; i < p->nsrc && !error; i++) {
		info->repacked++;
		error = delete_if_dead(ss, &p->src[i], info);
	}
	pending_reset(p);
	return error;
}

/* Is aggregate @id gone?  1 yes, 0 no, -errno. */
static int
agg_gone(
	struct s3_store		*ss,
	const uint8_t		*id)
{
	char			key[S3_AGG_KEY_LEN];
	int			error;

	agg_key(id, false, key);
	error = s3_head(ss, key);
	return error == -ENOENT ? 1 : error;
}

/* Does the way from slot @slot of @id end at no member, by @all (read
 * after anything this pass moved)?  1 yes, 0 no, -errno. */
static int
way_dead(
	struct s3_store		*ss,
	struct agg_states	*all,
	const uint8_t		*id,
	uint32_t		slot)
{
	struct agg_hop		h;
	int			end;

	memcpy(h.id, id, S3_AGG_ID_LEN);
	h.slot = slot;
	end = agg_way_end(all, &h);
	if (end <= 0)
		return end < 0 ? end : 1;
	return agg_gone(ss, h.id);
}

/*
 * The states of aggregates gone whose every way ends at no member (each
 * slot dead, or moved on to one dead or gone): nothing reads them
 * differently from no state, so they go.  A state with a way to a live
 * member stays: it is that member's way.
 */
static int
drop_dead_states(
	struct s3_store		*ss,
	struct agg_states	*all)
{
	size_t			i, j;
	int			error, dead;

	for (i = 0; i < all->n; i++) {
		const struct agg_state *st = &all->st[i];

		error = agg_gone(ss, st->id);
		if (error < 0)
			return error;
		if (!error)
			continue;	/* its aggregate is there */
		for (j = 0, dead = 1; j < st->n && dead == 1; j++)
			if (st->s[j].kind == AGG_MOVED)
				dead = way_dead(ss, all, st->s[j].to,
						st->s[j].to_slot);
		if (dead < 0)
			return dead;
		if (dead) {
			char key[S3_AGG_KEY_LEN];

			agg_key(st->id, true, key);
			error = s3_delete(ss, key);
			if (error && error != -ENOENT)
				return error;
		}
	}
	return 0;
}

int
s3_agg_repack(
	struct s3_store		*ss,
	unsigned		min_live_pct,
	int64_t			grace_sec,
	struct hsm_repack_info	*info)
{
	struct agg_states	all;
	struct agglist		l = { 0 };
	struct pending		p = { 0 };
	const struct agg_toc	*t;
	int64_t			now = time(NULL);
	uint64_t		nlive, live, data;
	size_t			i;
	int			error;

	/* the states before the aggregates: an aggregate listed after is
	 * younger than the states say, and the grace keeps it */
	error = agg_states_load(ss, &all);
	if (error)
		return error;
	error = s3_list_keys(ss, S3_AGG_PREFIX, list_one, &l);
	info->aggregates = l.n;
	for (i = 0; !error && i < l.n; i++) {
		struct aggobj *a = &l.a[i];

		if (now - a->mtime < grace_sec)
			continue;	/* maybe a repack's, not pointed at */
		error = agg_toc_get(ss, a->id, &t);
		if (error == -ENOENT) {
			error = 0;	/* deleted meanwhile */
			continue;
		}
		if (error)
			break;
		error = count_live(&all, t, &nlive, &live);
		/* the share of the members' bytes: the contents, metadata
		 * texts, may outweigh tiny files and would never pass */
		data = a->size > t->data_start ? a->size - t->data_start : 0;
		agg_toc_put(t);
		if (error)
			break;
		if (!nlive) {
			error = delete_if_dead(ss, a, info);
			continue;
		}
		if (live * 100 >= (uint64_t)min_live_pct * data)
			continue;
		if (p.n && (p.len + live > ss->agg_max ||
			    p.n + nlive > MOVE_MAX))
			error = flush(ss, &p, info);
		if (!error)
			error = collect(ss, &all, a, &p);
		if (error == -ENOENT)
			error = 0;	/* deleted meanwhile */
	}
	if (!error)
		error = flush(ss, &p, info);
	else
		pending_reset(&p);
	agg_states_free(&all);
	if (!error) {
		error = agg_states_load(ss, &all);
		if (!error) {
			error = drop_dead_states(ss, &all);
			agg_states_free(&all);
		}
	}
	free(p.data);
	free(p.m);
	free(p.src);
	free(l.a);
	return error;
}
