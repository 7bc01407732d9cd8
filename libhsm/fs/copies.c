// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * copies.c - read a file's data from the first of its copies that gives
 * the right bytes.
 *
 * A record names up to HSM_COPIES_MAX copies, in the order of its slots;
 * the readable ones are those in state DURABLE.  Every copy of a file holds
 * the same data map and chunk sums (the sums cover each piece's offset and
 * length as well as its bytes, so two copies with the file's checksum
 * cannot differ), so the metadata of one serves a read from any other.
 * A copy that fails is skipped for the rest of the read (*@from moves
 * past it); a copy is judged lost only when it says so (-ENOLINK,
 * -ENOENT), never for a timeout, and the file only when every copy is.
 */
#include <errno.h>
#include <string.h>
#include "fs/fsP.h"

/* Is @error the store saying the object is gone or wrong? */
static bool
says_lost(
	int			error)
{
	return error == -ENOLINK || error == -ENOENT || error == -EUCLEAN;
}

/* Keep the error that says most: anything but "lost" wins, since a copy
 * that timed out may still be there. */
static int
worse(
	int			have,
	int			error)
{
	if (!have || (says_lost(have) && !says_lost(error)))
		return error;
	return have;
}

/* A store that cannot be opened says nothing of its objects: its error
 * must never read as "lost" (a store directory not mounted has no
 * marker, nor any object). */
static int
unreachable(
	int			error)
{
	return says_lost(error) ? -EIO : error;
}

/* After a store failed: drop @set's handle, so the next use reopens it. */
static void
store_failed(
	struct hsm_fs		*fs,
	struct hsm_store_set	*set,
	uint32_t		id,
	int			error)
{
	if (says_lost(error) || error == -ENOMEM || set == &fs->own)
		return;
	hsm_store_set_drop(set, id);
}

unsigned
hsm_copies_readable(
	const struct hsm_record	*rec,
	unsigned		idx[HSM_COPIES_MAX])
{
	unsigned		i, n = 0;

	for (i = 0; i < HSM_COPIES_MAX; i++)
		if (rec->copy[i].state == HSM_COPY_DURABLE)
			idx[n++] = i;
	return n;
}

/*
 * Call @read(@store, @cp, @arg) for the readable copies of @rec from the
 * @from-th on, until one succeeds (*@from: which); the error that says
 * most otherwise, -ENOLINK when every copy said it is lost.
 */
static int
first_copy(
	struct hsm_fs		*fs,
	struct hsm_store_set	*set,
	const struct hsm_record	*rec,
	unsigned		*from,
	int			(*read)(struct hsm_store *store,
					const struct hsm_copy *cp, void *arg),
	void			*arg)
{
	unsigned		idx[HSM_COPIES_MAX], n, k;
	struct hsm_store	*store;
	int			error = 0, e;

	n = hsm_copies_readable(rec, idx);
	for (k = *from; k < n; k++) {
		const struct hsm_copy *cp = &rec->copy[idx[k]];

		store = hsm_fs_store_get(fs, set, cp->store_id, &e);
		if (!store) {
			e = unreachable(e);
		} else {
			e = read(store, cp, arg);
			if (!e) {
				*from = k;
				return 0;
			}
			store_failed(fs, set, cp->store_id, e);
		}
		error = worse(error, e);
	}
	return !n || says_lost(error) ? -ENOLINK : error;
}

struct stat_arg {
	struct hsm_objmeta	*meta;
	uint64_t		checksum;	/* the record's */
};

static int
stat_copy(
	struct hsm_store	*store,
	const struct hsm_copy	*cp,
	void			*arg)
{
	struct stat_arg		*sa = arg;
	int			error;

	memset(sa->meta, 0, sizeof(*sa->meta));
	error = store->ops->stat(store, cp->oid, sa->meta);
	if (!error && sa->meta->checksum != sa->checksum) {
		hsm_objmeta_free(sa->meta);
		error = -ENOLINK;	/* another file's data */
	}
	return error;
}

int
hsm_copies_stat(
	struct hsm_fs		*fs,
	struct hsm_store_set	*set,
	const struct hsm_record	*rec,
	struct hsm_objmeta	*meta,
	unsigned		*from)
{
	struct stat_arg		sa = { .meta = meta, .checksum = rec->checksum };
	int			error;

	error = first_copy(fs, set, rec, from, stat_copy, &sa);
	if (error)
		memset(meta, 0, sizeof(*meta));
	return error;
}

struct fetch_arg {
	const struct hsm_objmeta *meta;
	uint64_t		c;
	void			*buf;
	size_t			*hint;
};

static int
fetch_copy(
	struct hsm_store	*store,
	const struct hsm_copy	*cp,
	void			*arg)
{
	struct fetch_arg	*fa = arg;
	int			error;

	error = hsm_chunk_fetch(store, cp->oid, fa->meta, fa->c, fa->buf,
			fa->hint);
	if (error)
		*fa->hint = 0;		/* the next copy starts afresh */
	return error;
}

int
hsm_copies_fetch(
	struct hsm_fs		*fs,
	struct hsm_store_set	*set,
	const struct hsm_record	*rec,
	const struct hsm_objmeta *meta,
	uint64_t		c,
	void			*buf,
	size_t			*hint,
	unsigned		*from)
{
	struct fetch_arg	fa = {
		.meta = meta, .c = c, .buf = buf, .hint = hint,
	};

	return first_copy(fs, set, rec, from, fetch_copy, &fa);
}

void
hsm_copies_prefetch(
	struct hsm_fs		*fs,
	struct hsm_store_set	*set,
	const struct hsm_record	*rec,
	unsigned		from,
	uint64_t		off,
	uint64_t		len)
{
	unsigned		idx[HSM_COPIES_MAX];
	struct hsm_store	*store;
	int			e;

	if (from >= hsm_copies_readable(rec, idx))
		return;
	store = hsm_fs_store_get(fs, set, rec->copy[idx[from]].store_id, &e);
	if (store && store->ops->prefetch)
		store->ops->prefetch(store, rec->copy[idx[from]].oid, off, len);
}
