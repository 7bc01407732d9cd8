// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * rados_agg.c - small objects of a RADOS store packed into aggregates:
 * publish them, find a member through the index, read its range, change
 * its metadata, delete it, list the members.  Layout in rados_agg.h.
 *
 * Order of the durable steps of publish: every aggregate, data and member
 * list in one write (durable on every replica when acknowledged), then
 * the index entries, one write per shard touched (atomic per shard).  A
 * member is committed once its index entry is: an aggregate written but
 * not indexed is garbage that gc's repack deletes after the grace.
 * Index values change only by a write that compares the old value first
 * (omap cmp): a delete, a metadata change and a repack never undo each
 * other, and none brings back an entry removed meanwhile.  Delete: the
 * index entry (agg-unindexed), then the aggregate's own member list
 * (agg-unlisted), then the aggregate once that list is empty; a crash
 * between leaves an aggregate no index value names, which repack deletes.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include "store/rados_agg.h"

#define PAGE_KEYS	1000
#define CMP_TRIES	16

/* The shard of @oid: the first shard_bits bits of it. */
static unsigned
shard_of(
	const struct agg_pool	*ap,
	const uint8_t		*oid)
{
	return ((unsigned)oid[0] << 8 | oid[1]) >> (16 - ap->shard_bits);
}

/* Shard @k's object: as many hex digits as its bits need (256 shards:
 * two, the names pools were made with before the count could change). */
static void
shard_name(
	const struct agg_pool	*ap,
	unsigned		k,
	char			name[AGG_NAME_LEN])
{
	int			digits = ap->shard_bits > 12 ? 4 :
					 ap->shard_bits > 8 ? 3 : 2;

	snprintf(name, AGG_NAME_LEN, AGG_INDEX_PREFIX "%0*x", digits,
		 k & 0xffff);
}

void
agg_shard_name(
	const struct agg_pool	*ap,
	const uint8_t		*oid,
	char			name[AGG_NAME_LEN])
{
	shard_name(ap, shard_of(ap, oid), name);
}

bool
agg_is_shard(
	const char	*name)
{
	return !strncmp(name, AGG_INDEX_PREFIX, strlen(AGG_INDEX_PREFIX));
}

bool
agg_is_aggregate(
	const char	*name)
{
	return !strncmp(name, AGG_PREFIX, strlen(AGG_PREFIX));
}

int
agg_new_name(
	char		name[AGG_NAME_LEN])
{
	uint8_t		r[HSM_OID_LEN];
	char		hex[33];

	if (getrandom(r, sizeof(r), 0) != (ssize_t)sizeof(r))
		return -EIO;
	hsm_oid_hex(r, hex);
	snprintf(name, AGG_NAME_LEN, AGG_PREFIX "%s", hex);
	return 0;
}

int
agg_value_format(
	const struct agg_loc *loc,
	const char	*text,
	size_t		text_len,
	char		**out,
	size_t		*out_len)
{
	char		head[128];
	int		n;

	n = snprintf(head, sizeof(head), "%s %" PRIu64 " %" PRIu64 " %" PRId64
		     "\n", loc->agg, loc->off, loc->len, loc->stored);
	*out = malloc(n + text_len);
	if (!*out)
		return -ENOMEM;
	memcpy(*out, head, n);
	memcpy(*out + n, text, text_len);
	*out_len = n + text_len;
	return 0;
}

int
agg_value_parse(
	const char	*val,
	size_t		len,
	struct agg_loc	*loc,
	size_t		*text_off)
{
	const char	*nl = memchr(val, '\n', len);
	char		head[128];
	size_t		hl;

	if (!nl || (hl = nl - val) >= sizeof(head))
		return -EUCLEAN;
	memcpy(head, val, hl);
	head[hl] = '\0';
	if (sscanf(head, "%47s %" SCNu64 " %" SCNu64 " %" SCNd64, loc->agg,
		   &loc->off, &loc->len, &loc->stored) != 4 ||
	    !agg_is_aggregate(loc->agg))
		return -EUCLEAN;
	*text_off = hl + 1;
	return 0;
}

rados_write_op_t
agg_write_op(
	const char		*data,
	size_t			len,
	const char *const	*keys,
	const char *const	*vals,
	const size_t		*lens,
	size_t			n)
{
	rados_write_op_t	op = rados_create_write_op();

	if (!op)
		return NULL;
	rados_write_op_create(op, LIBRADOS_CREATE_EXCLUSIVE, NULL);
	rados_write_op_write_full(op, data, len);
	rados_write_op_omap_set(op, keys, vals, lens, n);
	return op;
}

/* One aggregate being packed: members [first, first + n) of the call. */
struct pack {
	size_t		first, n;
	char		name[AGG_NAME_LEN];
	char		*data;
	uint64_t	len;
	char		(*keys)[33];
	const char	**kp;
	char		**vals;
	size_t		*lens;
	rados_write_op_t op;
	rados_completion_t c;
	int		error;
};

static void
pack_free(
	struct pack	*p)
{
	size_t		i;

	for (i = 0; p->vals && i < p->n; i++)
		free(p->vals[i]);
	free(p->vals);
	free(p->keys);
	free(p->kp);
	free(p->lens);
	free(p->data);
	if (p->op)
		rados_release_write_op(p->op);
	if (p->c)
		rados_aio_release(p->c);
}

/* Fill @p from its members and start its write. */
static int
pack_start(
	rados_ioctx_t		io,
	struct pack		*p,
	struct agg_member	*m,
	int64_t			now)
{
	struct agg_loc		loc = { .stored = now };
	size_t			i;
	int			error;

	error = agg_new_name(p->name);
	if (error)
		return error;
	p->data = malloc(p->len ? p->len : 1);
	p->keys = calloc(p->n, sizeof(*p->keys));
	p->kp = calloc(p->n, sizeof(*p->kp));
	p->vals = calloc(p->n, sizeof(*p->vals));
	p->lens = calloc(p->n, sizeof(*p->lens));
	if (!p->data || !p->keys || !p->kp || !p->vals || !p->lens)
		return -ENOMEM;
	snprintf(loc.agg, sizeof(loc.agg), "%s", p->name);
	for (i = 0; i < p->n; i++) {
		struct agg_member *mm = &m[p->first + i];

		memcpy(p->data + loc.off, mm->data, mm->len);
		loc.len = mm->len;
		hsm_oid_hex(mm->oid, p->keys[i]);
		p->kp[i] = p->keys[i];
		error = agg_value_format(&loc, mm->meta, mm->meta_len,
					 &p->vals[i], &p->lens[i]);
		if (error)
			return error;
		loc.off += mm->len;
	}
	p->op = agg_write_op(p->data, p->len, p->kp,
			     (const char *const *)p->vals, p->lens, p->n);
	if (!p->op || rados_aio_create_completion(NULL, NULL, NULL, &p->c)) {
		p->c = NULL;
		return -ENOMEM;
	}
	return rados_aio_write_op_operate(p->op, io, p->c, p->name, NULL, 0);
}

/* An index entry to set: member @who of the call. */
struct entry {
	unsigned	shard;
	size_t		who;
	const char	*key;
	const char	*val;
	size_t		len;
};

static int
entry_cmp(
	const void	*a,
	const void	*b)
{
	const struct entry *x = a, *y = b;

	return (x->shard > y->shard) - (x->shard < y->shard);
}

/* Index the members of the packs written: one write per shard touched,
 * all in flight at once. */
static void
index_members(
	const struct agg_pool	*ap,
	struct pack		*packs,
	size_t			npacks,
	struct agg_member	*m,
	size_t			n)
{
	size_t			cap = n ? n : 1;
	struct entry		*e = calloc(cap, sizeof(*e));
	const char		**keys = calloc(cap, sizeof(*keys));
	const char		**vals = calloc(cap, sizeof(*vals));
	size_t			*lens = calloc(cap, sizeof(*lens));
	/* shard group g: entries [first[g], first[g] + count[g]) */
	size_t			*first = calloc(cap, sizeof(*first));
	size_t			*count = calloc(cap, sizeof(*count));
	rados_write_op_t	*ops = calloc(cap, sizeof(*ops));
	rados_completion_t	*cs = calloc(cap, sizeof(*cs));
	char			name[AGG_NAME_LEN];
	size_t			p, i, g, ng = 0, ne = 0;
	int			error;

	for (p = 0; p < npacks; p++)
		for (i = 0; i < packs[p].n; i++)
			m[packs[p].first + i].error = packs[p].error ?
						      packs[p].error : -ENOMEM;
	if (!e || !keys || !vals || !lens || !first || !count || !ops ||
	    !cs)
		goto out;
	for (p = 0; p < npacks; p++) {
		if (packs[p].error)
			continue;
		for (i = 0; i < packs[p].n; i++) {
			e[ne].who = packs[p].first + i;
			e[ne].shard = shard_of(ap, m[e[ne].who].oid);
			e[ne].key = packs[p].keys[i];
			e[ne].val = packs[p].vals[i];
			e[ne++].len = packs[p].lens[i];
		}
	}
	qsort(e, ne, sizeof(*e), entry_cmp);
	for (i = 0; i < ne; i++) {
		keys[i] = e[i].key;
		vals[i] = e[i].val;
		lens[i] = e[i].len;
		if (!i || e[i].shard != e[i - 1].shard)
			first[ng++] = i;
		count[ng - 1]++;
	}
	for (g = 0; g < ng; g++) {
		ops[g] = rados_create_write_op();
		if (!ops[g] || rados_aio_create_completion(NULL, NULL, NULL,
							   &cs[g])) {
			cs[g] = NULL;
			continue;
		}
		rados_write_op_omap_set(ops[g], keys + first[g],
					vals + first[g], lens + first[g],
					count[g]);
		shard_name(ap, e[first[g]].shard, name);
		if (rados_aio_write_op_operate(ops[g], ap->io, cs[g], name,
					       NULL, 0)) {
			rados_aio_release(cs[g]);
			cs[g] = NULL;
		}
	}
	for (g = 0; g < ng; g++) {
		if (cs[g]) {
			rados_aio_wait_for_complete(cs[g]);
			error = rados_aio_get_return_value(cs[g]);
			for (i = first[g]; i < first[g] + count[g]; i++)
				m[e[i].who].error = error;
			rados_aio_release(cs[g]);
		}
		if (ops[g])
			rados_release_write_op(ops[g]);
	}
out:
	free(e);
	free(keys);
	free(vals);
	free(lens);
	free(first);
	free(count);
	free(ops);
	free(cs);
}

void
agg_publish(
	const struct agg_pool	*ap,
	uint64_t		max,
	struct agg_member	*m,
	size_t			n)
{
	struct pack		*packs = calloc(n ? n : 1, sizeof(*packs));
	int64_t			now = time(NULL);
	size_t			i, np = 0;

	for (i = 0; i < n; i++)
		m[i].error = -ENOMEM;
	if (!packs)
		return;
	/* members in order, a new aggregate when the next would not fit */
	for (i = 0; i < n; i++) {
		struct pack *p = np ? &packs[np - 1] : NULL;

		if (!p || (p->len + m[i].len > max && p->n)) {
			p = &packs[np++];
			p->first = i;
		}
		p->n++;
		p->len += m[i].len;
	}
	for (i = 0; i < np; i++)
		packs[i].error = pack_start(ap->io, &packs[i], m, now);
	for (i = 0; i < np; i++) {
		if (!packs[i].c || packs[i].error)
			continue;
		rados_aio_wait_for_complete(packs[i].c);
		packs[i].error = rados_aio_get_return_value(packs[i].c);
	}
	hsm_fault_kill("agg-written");
	index_members(ap, packs, np, m, n);
	hsm_fault_kill("agg-indexed");
	for (i = 0; i < np; i++)
		pack_free(&packs[i]);
	free(packs);
}

int
agg_index_get(
	const struct agg_pool	*ap,
	const uint8_t		*oid,
	char			**val,
	size_t			*len)
{
	rados_read_op_t		op = rados_create_read_op();
	rados_omap_iter_t	it = NULL;
	char			shard[AGG_NAME_LEN], key[33], *k, *v;
	const char		*keys[1] = { key };
	size_t			vl;
	int			prval = 0, error;

	if (!op)
		return -ENOMEM;
	hsm_oid_hex(oid, key);
	agg_shard_name(ap, oid, shard);
	rados_read_op_omap_get_vals_by_keys(op, keys, 1, &it, &prval);
	error = rados_read_op_operate(op, ap->io, shard, 0);
	if (!error)
		error = prval;
	if (!error) {
		error = rados_omap_get_next(it, &k, &v, &vl);
		if (!error && !k)
			error = -ENOENT;
		if (!error) {
			*val = malloc(vl ? vl : 1);
			if (!*val)
				error = -ENOMEM;
			else
				memcpy(*val, v, vl);
			*len = vl;
		}
	}
	if (it)
		rados_omap_get_end(it);
	rados_release_read_op(op);
	return error;
}

/* The location of member @oid, fresh from the index. */
static int
lookup(
	const struct agg_pool	*ap,
	const uint8_t		*oid,
	struct agg_loc		*loc)
{
	char			*val;
	size_t			len, off;
	int			error;

	error = agg_index_get(ap, oid, &val, &len);
	if (error)
		return error;
	error = agg_value_parse(val, len, loc, &off);
	free(val);
	return error;
}

ssize_t
agg_read(
	const struct agg_pool	*ap,
	const uint8_t		*oid,
	struct agg_loc		*loc,
	void			*buf,
	size_t			len,
	uint64_t		off)
{
	int			got, tries;

	if (off >= loc->len)
		return 0;
	if (len > loc->len - off)
		len = loc->len - off;
	for (tries = 0; tries < 2; tries++) {
		got = rados_read(ap->io, loc->agg, buf, len, loc->off + off);
		if (got != -ENOENT)
			break;
		/* repacked meanwhile: where is it now? */
		got = lookup(ap, oid, loc);
		if (got)
			break;
		got = -ENOENT;
	}
	if (got < 0)
		return got;
	if ((size_t)got < len)
		return -EUCLEAN;	/* an aggregate holds every byte */
	return got;
}

/*
 * Replace the index value of @oid by what @make builds from the current
 * one, compared first: -ENOENT once there is none.  @make returns the
 * new value (NULL: remove the entry) or -errno in *@err.
 */
static int
index_update(
	const struct agg_pool	*ap,
	const uint8_t		*oid,
	char			*(*make)(const char *val, size_t len,
					 size_t *nlen, int *err, void *arg),
	void			*arg,
	struct agg_loc		*was)
{
	char			shard[AGG_NAME_LEN], key[33], *val, *nv;
	const char		*keys[1] = { key };
	size_t			len, nlen, off;
	int			error, prval, tries;

	hsm_oid_hex(oid, key);
	agg_shard_name(ap, oid, shard);
	for (tries = 0; tries < CMP_TRIES; tries++) {
		rados_write_op_t op;

		error = agg_index_get(ap, oid, &val, &len);
		if (error)
			return error;
		error = agg_value_parse(val, len, was, &off);
		nv = error ? NULL : make(val, len, &nlen, &error, arg);
		if (error) {
			free(val);
			return error;
		}
		op = rados_create_write_op();
		if (!op) {
			free(val);
			free(nv);
			return -ENOMEM;
		}
		rados_write_op_omap_cmp(op, key, LIBRADOS_CMPXATTR_OP_EQ, val,
					len, &prval);
		if (nv)
			rados_write_op_omap_set(op, keys,
						(const char *const *)&nv,
						&nlen, 1);
		else
			rados_write_op_omap_rm_keys(op, keys, 1);
		error = rados_write_op_operate(op, ap->io, shard, NULL, 0);
		rados_release_write_op(op);
		free(val);
		free(nv);
		if (error != -ECANCELED)
			return error;
	}
	return -EBUSY;
}

struct new_text {
	const char	*text;
	size_t		len;
};

static char *
with_text(
	const char	*val,
	size_t		len,
	size_t		*nlen,
	int		*err,
	void		*arg)
{
	struct new_text	*t = arg;
	struct agg_loc	loc;
	size_t		off;
	char		*out = NULL;

	*err = agg_value_parse(val, len, &loc, &off);
	if (!*err)
		*err = agg_value_format(&loc, t->text, t->len, &out, nlen);
	return out;
}

int
agg_replace_meta(
	const struct agg_pool	*ap,
	const uint8_t		*oid,
	const char		*text,
	size_t			len)
{
	struct new_text		t = { text, len };
	struct agg_loc		was;

	return index_update(ap, oid, with_text, &t, &was);
}

static char *
removed(
	const char	*val,
	size_t		len,
	size_t		*nlen,
	int		*err,
	void		*arg)
{
	*err = 0;
	return NULL;
}

static int
count_one(
	const char	*key,
	const char	*val,
	size_t		len,
	void		*arg)
{
	(*(size_t *)arg)++;
	return 1;		/* one is enough */
}

int
agg_del(
	const struct agg_pool	*ap,
	const uint8_t		*oid)
{
	rados_ioctx_t		io = ap->io;
	struct agg_loc		was;
	rados_write_op_t	op;
	char			key[33];
	const char		*keys[1] = { key };
	size_t			left = 0;
	int			error;

	error = index_update(ap, oid, removed, NULL, &was);
	if (error)
		return error;
	hsm_fault_kill("agg-unindexed");
	/* no longer a member of its aggregate; the last one takes it */
	op = rados_create_write_op();
	if (!op)
		return 0;
	hsm_oid_hex(oid, key);
	rados_write_op_assert_exists(op);
	rados_write_op_omap_rm_keys(op, keys, 1);
	error = rados_write_op_operate(op, io, was.agg, NULL, 0);
	rados_release_write_op(op);
	hsm_fault_kill("agg-unlisted");
	if (!error && agg_omap_walk(io, was.agg, false, count_one,
				    &left) >= 0 && !left)
		rados_remove(io, was.agg);
	return 0;
}

int
agg_omap_walk(
	rados_ioctx_t		io,
	const char		*obj,
	bool			vals,
	int			(*fn)(const char *key, const char *val,
				      size_t len, void *arg),
	void			*arg)
{
	char			after[256] = "", *k, *v;
	unsigned char		more = 1;
	size_t			vl;
	int			error = 0, prval, ret = 0;

	while (more && !ret && !error) {
		rados_read_op_t op = rados_create_read_op();
		rados_omap_iter_t it = NULL;

		if (!op)
			return -ENOMEM;
		more = 0;
		if (vals)
			rados_read_op_omap_get_vals2(op, after, "", PAGE_KEYS,
						     &it, &more, &prval);
		else
			rados_read_op_omap_get_keys2(op, after, PAGE_KEYS,
						     &it, &more, &prval);
		error = rados_read_op_operate(op, io, obj, 0);
		if (!error)
			error = prval;
		while (!error && !ret) {
			v = NULL;
			vl = 0;
			error = rados_omap_get_next(it, &k, &v, &vl);
			if (error || !k)
				break;
			snprintf(after, sizeof(after), "%s", k);
			ret = fn(k, v, vl, arg);
		}
		if (it)
			rados_omap_get_end(it);
		rados_release_read_op(op);
	}
	return error ? error : ret;
}

struct list_ctx {
	int		(*fn)(const uint8_t *oid, void *arg);
	void		*arg;
};

static int
list_one(
	const char	*key,
	const char	*val,
	size_t		len,
	void		*arg)
{
	struct list_ctx	*c = arg;
	uint8_t		oid[HSM_OID_LEN];

	if (strlen(key) != 32 || hsm_oid_parse(key, oid))
		return 0;
	return c->fn(oid, c->arg);
}

int
agg_list_shard(
	rados_ioctx_t	io,
	const char	*shard,
	int		(*fn)(const uint8_t *oid, void *arg),
	void		*arg)
{
	struct list_ctx	c = { fn, arg };
	int		error;

	error = agg_omap_walk(io, shard, false, list_one, &c);
	return error == -ENOENT ? 0 : error;
}
