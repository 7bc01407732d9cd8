// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * rados_agg_repack.c - gc of a RADOS store's aggregates: the live members
 * of aggregates mostly dead are packed into new ones, and aggregates no
 * member lives in are deleted.  A member keeps its oid, so no record
 * changes; only the index value that says where it lives does.
 *
 * The durable steps, each a fault point (crash argument: doc/design.md,
 * "Small-file aggregates"):
 *   repack-written    the new aggregate, data and member list, durable;
 *                     nothing names it yet (a crash leaves garbage that
 *                     a later pass deletes after the grace)
 *   repack-repointed  each live member's index value now names the new
 *                     aggregate: set only if it still is the value read
 *                     (omap cmp), so a member deleted or changed
 *                     meanwhile is neither brought back nor undone
 *   repack-deleted    an old aggregate removed, after a fresh look at the
 *                     index found no value naming it
 * Aggregates younger than the grace are left alone: one may be a
 * publish's, written and not yet indexed.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "store/rados_agg.h"

#define INFLIGHT	512		/* repoints in flight at once */
#define MOVE_MAX	65536		/* members per new aggregate */

struct aggobj {
	char		name[AGG_NAME_LEN];
	uint64_t	size;
	time_t		mtime;
	uint64_t	live;		/* bytes named by the index */
	uint64_t	nlive;
};

struct agglist {
	struct aggobj	*a;
	size_t		n, alloc;
	char		(*shards)[AGG_NAME_LEN];
	size_t		nshards, shards_alloc;
};

/* A live member on the move. */
struct moving {
	char		key[33];
	char		*old;		/* its index value, as read */
	size_t		old_len;
	char		*val;		/* the one naming the new aggregate */
	size_t		len;
};

/* The new aggregate being filled, and the aggregates it empties. */
struct pending {
	char		*data;
	uint64_t	len, alloc;
	struct moving	*m;
	size_t		n, malloc_n;
	struct aggobj	**src;
	size_t		nsrc, src_alloc;
};

static int
name_cmp(
	const void	*a,
	const void	*b)
{
	return strcmp(((const struct aggobj *)a)->name,
		      ((const struct aggobj *)b)->name);
}

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

/* The pool's aggregates and index shards. */
static int
list_pool(
	rados_ioctx_t		io,
	struct agglist		*l)
{
	rados_list_ctx_t	ctx;
	const char		*entry;
	int			error;

	error = rados_nobjects_list_open(io, &ctx);
	if (error)
		return error;
	for (;;) {
		error = rados_nobjects_list_next(ctx, &entry, NULL, NULL);
		if (error) {
			if (error == -ENOENT)
				error = 0;
			break;
		}
		if (strlen(entry) >= AGG_NAME_LEN)
			continue;
		if (agg_is_aggregate(entry)) {
			error = grow((void **)&l->a, &l->alloc, l->n + 1,
				     sizeof(*l->a));
			if (error)
				break;
			memset(&l->a[l->n], 0, sizeof(l->a[0]));
			strcpy(l->a[l->n++].name, entry);
		} else if (agg_is_shard(entry)) {
			error = grow((void **)&l->shards, &l->shards_alloc,
				     l->nshards + 1, sizeof(*l->shards));
			if (error)
				break;
			strcpy(l->shards[l->nshards++], entry);
		}
	}
	rados_nobjects_list_close(ctx);
	return error;
}

static struct aggobj *
find_agg(
	struct agglist	*l,
	const char	*name)
{
	struct aggobj	key;

	snprintf(key.name, sizeof(key.name), "%s", name);
	return bsearch(&key, l->a, l->n, sizeof(*l->a), name_cmp);
}

static int
count_live(
	const char	*key,
	const char	*val,
	size_t		len,
	void		*arg)
{
	struct agg_loc	loc;
	struct aggobj	*a;
	size_t		off;

	if (agg_value_parse(val, len, &loc, &off))
		return 0;	/* not ours to judge: stat reports it */
	a = find_agg(arg, loc.agg);
	if (a) {
		a->live += loc.len;
		a->nlive++;
	}
	return 0;
}

/* The index value of member @key, if it names aggregate @agg. */
static int
live_value(
	const struct agg_pool	*ap,
	const char		*key,
	const char		*agg,
	char			**val,
	size_t			*len,
	struct agg_loc		*loc)
{
	uint8_t			oid[HSM_OID_LEN];
	size_t			off;
	int			error;

	if (strlen(key) != 32 || hsm_oid_parse(key, oid))
		return -ENOENT;
	error = agg_index_get(ap, oid, val, len);
	if (error)
		return error;
	error = agg_value_parse(*val, *len, loc, &off);
	if (!error && strcmp(loc->agg, agg))
		error = -ENOENT;	/* moved, or another's */
	if (error)
		free(*val);
	return error;
}

struct named_ctx {
	const struct agg_pool *ap;
	const char	*agg;
	int		error;
};

static int
named_one(
	const char		*key,
	const char		*val,
	size_t			len,
	void			*arg)
{
	struct named_ctx	*c = arg;
	struct agg_loc		loc;
	char			*v;
	size_t			l;
	int			error;

	error = live_value(c->ap, key, c->agg, &v, &l, &loc);
	if (!error) {
		free(v);
		return 1;	/* named */
	}
	if (error != -ENOENT)
		c->error = error;
	return error == -ENOENT ? 0 : 1;
}

/* Delete aggregate @a if, looked up afresh, no index value names it. */
static int
delete_if_unnamed(
	const struct agg_pool	*ap,
	struct aggobj		*a,
	struct hsm_repack_info	*info)
{
	struct named_ctx	c = { ap, a->name, 0 };
	int			named, error;

	named = agg_omap_walk(ap->io, a->name, false, named_one, &c);
	if (named == -ENOENT)
		return 0;	/* gone already */
	if (named < 0 || c.error) {
		info->kept++;
		return named < 0 ? named : c.error;
	}
	if (named) {
		info->kept++;
		return 0;
	}
	error = rados_remove(ap->io, a->name);
	if (error && error != -ENOENT)
		return error;
	hsm_fault_kill("repack-deleted");
	info->deleted++;
	info->freed += a->size;
	return 0;
}

struct collect_ctx {
	const struct agg_pool *ap;
	struct aggobj	*a;
	struct pending	*p;
	const char	*data;		/* @a's */
	int		error;
};

/* A member of the aggregate being emptied: if live, onto @p. */
static int
collect_one(
	const char		*key,
	const char		*val,
	size_t			len,
	void			*arg)
{
	struct collect_ctx	*c = arg;
	struct pending		*p = c->p;
	struct agg_loc		loc;
	struct moving		*m;
	char			*v;
	size_t			l;
	int			error;

	error = live_value(c->ap, key, c->a->name, &v, &l, &loc);
	if (error == -ENOENT)
		return 0;	/* dead, or moved already */
	if (error) {
		c->error = error;
		return 1;
	}
	if ((loc.off > c->a->size || loc.len > c->a->size -
		       loc.off))
		error = -EUCLEAN;
	else
		error = grow((void **)&p->m, &p->malloc_n, p->n + 1,
			     sizeof(*p->m));
	if (!error)
		error = grow((void **)&p->data, &p->alloc, p->len + loc.len
			     + 1, 1);
	if (error) {
		free(v);
		c->error = error;
		return 1;
	}
	m = &p->m[p->n++];
	memset(m, 0, sizeof(*m));
	snprintf(m->key, sizeof(m->key), "%s", key);
	m->old = v;		/* the new value is made at flush */
	m->old_len = l;
	memcpy(p->data + p->len, c->data + loc.off, loc.len);
	p->len += loc.len;
	return 0;
}

/* Read aggregate @a and add its live members to @p. */
static int
collect(
	const struct agg_pool	*ap,
	struct aggobj		*a,
	struct pending		*p)
{
	rados_ioctx_t		io = ap->io;
	struct collect_ctx	c = { ap, a, p, NULL, 0 };
	char			*data = malloc(a->size ? a->size : 1);
	int			got, error;

	if (!data)
		return -ENOMEM;
	got = a->size ? rados_read(io, a->name, data, a->size, 0) : 0;
	if (got >= 0 && (uint64_t)got != a->size)
		got = -EUCLEAN;
	if (got < 0) {
		free(data);
		return got;
	}
	c.data = data;
	error = agg_omap_walk(io, a->name, false, collect_one, &c);
	free(data);
	if (error >= 0 && c.error)
		error = c.error;
	if (error < 0)
		return error;
	error = grow((void **)&p->src, &p->src_alloc, p->nsrc + 1,
		     sizeof(*p->src));
	if (!error)
		p->src[p->nsrc++] = a;
	return error;
}

/* Point each moving member's index entry at aggregate @name, if its
 * value is still the one read; those changed meanwhile stay where they
 * were. */
static void
repoint(
	const struct agg_pool	*ap,
	struct pending		*p,
	struct hsm_repack_info	*info)
{
	rados_write_op_t	ops[INFLIGHT];
	rados_completion_t	cs[INFLIGHT];
	int			prval[INFLIGHT];
	char			shard[AGG_NAME_LEN];
	uint8_t			oid[HSM_OID_LEN];
	size_t			i, j, n;
	int			error;

	for (i = 0; i < p->n; i += n) {
		n = p->n - i < INFLIGHT ? p->n - i : INFLIGHT;
		for (j = 0; j < n; j++) {
			struct moving *m = &p->m[i + j];
			const char *key = m->key;

			cs[j] = NULL;
			ops[j] = rados_create_write_op();
			if (!ops[j] || !m->val || hsm_oid_parse(key, oid) ||
			    rados_aio_create_completion(NULL, NULL, NULL,
							&cs[j])) {
				cs[j] = NULL;
				continue;
			}
			rados_write_op_omap_cmp(ops[j], key,
						LIBRADOS_CMPXATTR_OP_EQ,
						m->old, m->old_len, &prval[j]);
			rados_write_op_omap_set(ops[j], &key,
						(const char *const *)&m->val,
						&m->len, 1);
			agg_shard_name(ap, oid, shard);
			if (rados_aio_write_op_operate(ops[j], ap->io, cs[j],
						       shard, NULL, 0)) {
				rados_aio_release(cs[j]);
				cs[j] = NULL;
			}
		}
		for (j = 0; j < n; j++) {
			error = -ENOMEM;
			if (cs[j]) {
				rados_aio_wait_for_complete(cs[j]);
				error = rados_aio_get_return_value(cs[j]);
				rados_aio_release(cs[j]);
			}
			if (ops[j])
				rados_release_write_op(ops[j]);
			if (error)
				info->kept++;	/* changed meanwhile */
			else
				info->moved++;
		}
	}
	hsm_fault_kill("repack-repointed");
}

static void
pending_reset(
	struct pending	*p)
{
	size_t		i;

	for (i = 0; i < p->n; i++) {
		free(p->m[i].old);
		free(p->m[i].val);
	}
	p->n = 0;
	p->len = 0;
	p->nsrc = 0;
}

/* Write the new aggregate, repoint its members, delete the old ones. */
static int
flush(
	const struct agg_pool	*ap,
	struct pending		*p,
	struct hsm_repack_info	*info)
{
	struct agg_loc		loc;
	rados_write_op_t	op;
	const char		**keys = NULL;
	const char		**vals = NULL;
	size_t			*lens = NULL, i, off;
	char			name[AGG_NAME_LEN];
	int			error = 0;

	if (p->n) {
		keys = calloc(p->n, sizeof(*keys));
		vals = calloc(p->n, sizeof(*vals));
		lens = calloc(p->n, sizeof(*lens));
		error = keys && vals && lens ? agg_new_name(name) : -ENOMEM;
		for (i = 0, off = 0; !error && i < p->n; i++) {
			struct moving *m = &p->m[i];
			size_t text;

			error = agg_value_parse(m->old, m->old_len, &loc,
						&text);
			if (error)
				break;
			snprintf(loc.agg, sizeof(loc.agg), "%s", name);
			loc.off = off;
			off += loc.len;
			error = agg_value_format(&loc, m->old + text,
						 m->old_len - text, &m->val,
						 &m->len);
			keys[i] = m->key;
			vals[i] = m->val;
			lens[i] = m->len;
		}
		op = error ? NULL : agg_write_op(p->data, p->len, keys, vals,
						 lens, p->n);
		if (!error && !op)
			error = -ENOMEM;
		if (!error) {
			error = rados_write_op_operate(op, ap->io, name, NULL,
						       0);
			rados_release_write_op(op);
		}
		free(keys);
		free(vals);
		free(lens);
		if (error) {
			info->kept += p->nsrc;
			pending_reset(p);
			return error;
		}
		hsm_fault_kill("repack-written");
		info->written++;
		info->rewritten += p->len;
		repoint(ap, p, info);
	}
	for (i = 0; i < p->nsrc && !error; i++) {
		info->repacked++;
		error = delete_if_unnamed(ap, p->src[i], info);
	}
	pending_reset(p);
	return error;
}

int
agg_repack(
	const struct agg_pool	*ap,
	uint64_t		max,
	unsigned		min_live_pct,
	int64_t			grace_sec,
	struct hsm_repack_info	*info)
{
	rados_ioctx_t		io = ap->io;
	struct agglist		l = { 0 };
	struct pending		p = { 0 };
	struct timespec		ts;
	time_t			now;
	size_t			i;
	int			error;

	/*
	 * The precise clock, as the OSD's: time() lags it by up to a tick,
	 * and an aggregate whose member gc deleted a moment ago (its omap
	 * changed, so its mtime is then) could look younger than now and
	 * be skipped even with no grace.
	 */
	clock_gettime(CLOCK_REALTIME, &ts);
	now = ts.tv_sec;
	error = list_pool(io, &l);
	for (i = 0; !error && i < l.n; i++) {
		error = rados_stat(io, l.a[i].name, &l.a[i].size,
				   &l.a[i].mtime);
		if (error == -ENOENT) {
			l.a[i].mtime = now;	/* deleted meanwhile: skip */
			error = 0;
		}
	}
	if (!error)
		qsort(l.a, l.n, sizeof(*l.a), name_cmp);
	/* what the index names, after the aggregates were listed */
	for (i = 0; !error && i < l.nshards; i++) {
		error = agg_omap_walk(io, l.shards[i], true, count_live, &l);
		if (error == -ENOENT)
			error = 0;
	}
	info->aggregates = l.n;
	for (i = 0; !error && i < l.n; i++) {
		struct aggobj *a = &l.a[i];

		if (now - a->mtime < grace_sec)
			continue;	/* maybe a publish's, not indexed yet */
		if (!a->nlive) {
			error = delete_if_unnamed(ap, a, info);
			continue;
		}
		if (a->live * 100 >= (uint64_t)min_live_pct * a->size)
			continue;
		if (p.len + a->live > max || p.n + a->nlive > MOVE_MAX)
			error = flush(ap, &p, info);
		if (!error)
			error = collect(ap, a, &p);
		if (error == -ENOENT)
			error = 0;	/* deleted meanwhile */
	}
	if (!error)
		error = flush(ap, &p, info);
	else
		pending_reset(&p);
	free(p.data);
	free(p.m);
	free(p.src);
	free(l.a);
	free(l.shards);
	return error;
}
