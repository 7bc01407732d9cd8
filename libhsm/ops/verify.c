// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * verify.c - is what a released file holds the archived data?
 *
 * A partly recalled file holds data where recalls wrote it: the chunks
 * its map records, and possibly more that an interrupted recall wrote
 * and never recorded (a daemon worker killed between its write and its
 * map).  Anyone who wrote into the file while no daemon served it left
 * data too.  The only way to tell them apart is the bytes: data written
 * by a recall is the store copy's, at the same offsets.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "ops/opsP.h"

#define VERIFY_BUF	(1U << 20)

/* Compare [off, off + len) of the file with store copy @cp. */
static int
compare_range(
	struct hsm_fileref	*f,
	struct hsm_store	*store,
	const struct hsm_copy	*cp,
	uint64_t		off,
	uint64_t		len,
	char			*a,
	char			*b)
{
	while (len) {
		size_t want = len < VERIFY_BUF ? len : VERIFY_BUF;
		ssize_t n = pread(f->fd, a, want, off);
		ssize_t m = store->ops->get(store, cp->oid, b, want, off);

		if (m < 0)
			return -ENOLINK;
		if (n < 0)
			return -errno;
		/* past the copy's end the store has nothing: a change */
		if (n != (ssize_t)want || m != (ssize_t)want ||
		    memcmp(a, b, want))
			return -ESTALE;
		off += want;
		len -= want;
	}
	return 0;
}

int
hsm_verify_written(
	struct hsm_fileref	*f)
{
	struct hsm_datamap	dmap;
	struct hsm_store	*store;
	const struct hsm_copy	*cp;
	unsigned		idx[HSM_COPIES_MAX];
	char			*a, *b;
	size_t			i;
	int			error;

	/* the first readable copy: every copy holds the same bytes */
	if (!hsm_copies_readable(&f->rec, idx))
		return -ENOLINK;
	cp = &f->rec.copy[idx[0]];
	store = hsm_fileref_store(f, cp->store_id, &error);
	if (!store)
		return error;
	/* written extents only: blocks reserved unwritten hold nothing */
	error = hsm_datamap_read_written(f->fd, f->st.st_size, &dmap);
	if (error)
		return error;
	a = malloc(hsm_datamap_buf_len(&dmap, VERIFY_BUF));
	b = malloc(hsm_datamap_buf_len(&dmap, VERIFY_BUF));
	error = a && b ? 0 : -ENOMEM;
	for (i = 0; i < dmap.nr && !error; i++)
		error = compare_range(f, store, cp, dmap.ext[i].off,
				dmap.ext[i].len, a, b);
	free(a);
	free(b);
	hsm_datamap_free(&dmap);
	return error;
}
