// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * s3_agg_state.c - the states of an S3 store's aggregates: what became of
 * each slot since it was written (dead, moved, new metadata), read,
 * written in place of the version read (If-Match), changed with retries,
 * and followed from a member's first slot to where it lives.  Parsed and
 * formatted by s3_agg_format.c.
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

static pthread_mutex_t *
agg_state_lock(
	const uint8_t	*id)
{
	pthread_mutex_t	*m = &stripe[(id[0] << 8 | id[1]) % STRIPES];

	pthread_mutex_lock(m);
	return m;
}

/* Before try @tries + 1 of a write another won: a random pause, longer
 * each time, so that writers of one state stop colliding. */
static void
agg_backoff(
	int		tries)
{
	unsigned	r;

	if (getrandom(&r, sizeof(r), 0) != sizeof(r))
		r = tries * 7919;
	usleep(r % (1000U << (tries < 6 ? tries : 6)));
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

	error = agg_state_format(st, &text, &len);
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

/*
 * Change aggregate @id's state by @fn, in one write that names the
 * version read; read again and retried when another wrote meanwhile (the
 * threads of this process take turns).  @have: the state just read, for
 * the first try (freed here), or NULL.  @fn edits the state: 0 write it,
 * 1 nothing to write, -errno stop.
 */
int
agg_state_change(
	struct s3_store		*ss,
	const uint8_t		*id,
	struct agg_state	*have,
	int			(*fn)(struct agg_state *st, void *arg),
	void			*arg)
{
	pthread_mutex_t		*lock = agg_state_lock(id);
	struct agg_state	st;
	bool			early;
	int			error = 0, tries;

	for (tries = 0; tries < AGG_TRIES; tries++) {
		early = have != NULL;
		if (have) {
			st = *have;
			have = NULL;
		} else {
			error = agg_state_read(ss, id, &st);
			if (error)
				break;
		}
		error = fn(&st, arg);
		if (!error)
			error = agg_state_write(ss, id, &st);
		else if (error == 1)
			error = 0;
		agg_state_free(&st);
		if (error != -ECANCELED)
			break;
		/* a state read before our turn was most likely changed by
		 * the thread whose turn it was: read it again at once */
		if (!early)
			agg_backoff(tries);
	}
	if (have)
		agg_state_free(have);
	pthread_mutex_unlock(lock);
	return error == -ECANCELED ? -EBUSY : error;
}

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
agg_way_end(
	struct agg_states	*all,
	struct agg_hop		*h)
{
	const struct agg_state	*st;
	const struct agg_line	*l;
	unsigned		hops;
	int			error = 0;

	for (hops = 0; hops < AGG_HOPS_MAX; hops++) {
		st = states_get(all, h->id, &error);
		if (error)
			return error;
		l = st ? agg_state_find(st, h->slot) : NULL;
		if (l && l->kind == AGG_DEAD)
			return 0;
		if (!l || l->kind != AGG_MOVED)
			return 1;
		memcpy(h->id, l->to, S3_AGG_ID_LEN);
		h->slot = l->to_slot;
	}
	return 0;
}

int
agg_lives_here(
	struct agg_states	*all,
	const struct agg_entry	*e,
	const uint8_t		*id)
{
	struct agg_hop		h;
	int			end;

	if (!s3_agg_is_member(e->oid))
		return 0;
	agg_member_where(e->oid, h.id, &h.slot);
	end = agg_way_end(all, &h);
	if (end <= 0)
		return end;
	return !memcmp(h.id, id, S3_AGG_ID_LEN) && h.slot == e->slot;
}
