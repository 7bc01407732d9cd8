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

/* ---- names ----------------------------------------------------------- */

bool
s3_agg_is_member(
	const uint8_t	*oid)
{
	return oid[S3_AGG_ID_LEN] == S3_AGG_MARK;
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

/* ---- finding a member ------------------------------------------------- */

/*
 * Follow member @oid from its first slot to where it lives: each hop's
 * aggregate and slot into @hops (AGG_HOPS_MAX), their count, and the last
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
		if (++n == AGG_HOPS_MAX) {
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
 * (*@tp, to release with agg_toc_put); @hops and @st as follow. */
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
	error = agg_toc_get(ss, hops[*nhops - 1].id, tp);
	if (error) {
		agg_state_free(st);
		return error;
	}
	e = agg_toc_find(*tp, hops[*nhops - 1].slot);
	if (!e || memcmp(e->oid, oid, HSM_OID_LEN)) {
		agg_toc_put(*tp);
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
	struct agg_hop		hops[AGG_HOPS_MAX];
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
	agg_toc_put(t);
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
		agg_toc_forget(ss, id);
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

struct set_slot {
	uint32_t	slot;
	int		kind;		/* AGG_DEAD, AGG_META */
	const char	*text;
	size_t		len;
};

/* The member still lives in @slot: mark it as @kind says. */
static int
set_slot(
	struct agg_state	*st,
	void			*arg)
{
	struct set_slot		*s = arg;
	struct agg_line		*l = agg_state_find(st, s->slot);

	if (l && l->kind == AGG_DEAD)
		return -ENOENT;
	if (l && l->kind == AGG_MOVED)
		return -EAGAIN;		/* repacked meanwhile: follow it */
	l = agg_state_line(st, s->slot);
	if (!l)
		return -ENOMEM;
	free(l->meta);
	l->meta = NULL;
	l->meta_len = 0;
	l->kind = s->kind;
	if (s->kind == AGG_META) {
		l->meta = malloc(s->len ? s->len : 1);
		if (!l->meta)
			return -ENOMEM;
		memcpy(l->meta, s->text, s->len);
		l->meta_len = s->len;
	}
	return 0;
}

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
	struct set_slot		s = { .kind = kind, .text = text, .len = len };
	struct agg_state	st;
	const struct agg_toc	*t;
	const struct agg_entry	*e;
	int			error, tries;

	for (tries = 0; tries < AGG_TRIES; tries++) {
		error = locate(ss, oid, hops, nhops, &st, &t, &e);
		if (error)
			return error;
		agg_toc_put(t);
		s.slot = hops[*nhops - 1].slot;
		error = agg_state_change(ss, hops[*nhops - 1].id, &st,
					 set_slot, &s);
		if (error != -EAGAIN)
			return error;
	}
	return -EBUSY;
}

int
s3_agg_replace_meta(
	struct s3_store		*ss,
	const uint8_t		*oid,
	const char		*text,
	size_t			len)
{
	struct agg_hop		hops[AGG_HOPS_MAX];
	unsigned		n;

	if (!s3_agg_is_member(oid))
		return -ENOENT;
	if (len > S3_AGG_META_MAX)
		return -E2BIG;
	return set_where(ss, oid, AGG_META, text, len, hops, &n);
}

/* The forward at hop h[0] dead, if it still leads to h[1]. */
static int
unlink_slot(
	struct agg_state	*st,
	void			*arg)
{
	const struct agg_hop	*h = arg;
	struct agg_line		*l = agg_state_find(st, h[0].slot);

	if (!l || l->kind != AGG_MOVED ||
	    memcmp(l->to, h[1].id, S3_AGG_ID_LEN) || l->to_slot != h[1].slot)
		return 1;	/* changed: not ours to undo */
	l->kind = AGG_DEAD;
	return 0;
}

int
s3_agg_del(
	struct s3_store		*ss,
	const uint8_t		*oid)
{
	struct agg_hop		hops[AGG_HOPS_MAX];
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
		error = agg_state_change(ss, hops[i - 1].id, NULL,
					 unlink_slot, &hops[i - 1]);
		if (error)
			return 0;	/* a forward to a dead slot: harmless */
		hsm_fault_kill("s3agg-unlinked");
	}
	return 0;
}

/* ---- listing ---------------------------------------------------------- */

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

