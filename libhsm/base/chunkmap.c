// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * chunkmap.c - which recall chunks of a released file are resident again,
 * kept in trusted.hsm.map.  A chunk's bit is set only after its data is
 * durable (DESIGN invariant 2), so after a crash a set bit never covers
 * zeros and a clear bit is simply recalled again.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/xattr.h>
#include "base/base.h"

/* Chunks of 1 << @shift bytes covering @size bytes, without overflow. */
static uint64_t
nchunks(
	uint64_t	size,
	unsigned	shift)
{
	return (size >> shift) + !!(size & ((1ULL << shift) - 1));
}

unsigned
hsm_chunk_shift_for(
	uint64_t	size)
{
	unsigned	shift = HSM_CHUNK_SHIFT_DEFAULT;

	while (shift < 62 && nchunks(size, shift) > HSM_MAP_MAX_BYTES * 8ULL)
		shift++;
	return shift;
}

int
hsm_chunkmap_init(
	struct hsm_chunkmap	*m,
	uint64_t		size,
	unsigned		shift)
{
	memset(m, 0, sizeof(*m));
	if (shift < 12 || shift > 62)
		return -EINVAL;
	m->shift = shift;
	m->nchunks = nchunks(size, shift);
	if (m->nchunks > HSM_MAP_MAX_BYTES * 8ULL)
		return -EFBIG;
	m->bits = calloc(1, m->nchunks / 8 + 1);
	return m->bits ? 0 : -ENOMEM;
}

void
hsm_chunkmap_free(
	struct hsm_chunkmap	*m)
{
	free(m->bits);
	m->bits = NULL;
}

bool
hsm_chunkmap_test(
	const struct hsm_chunkmap *m,
	uint64_t		chunk)
{
	return chunk < m->nchunks && (m->bits[chunk / 8] & (1U << (chunk % 8)));
}

void
hsm_chunkmap_set(
	struct hsm_chunkmap	*m,
	uint64_t		chunk)
{
	if (chunk < m->nchunks)
		m->bits[chunk / 8] |= 1U << (chunk % 8);
}

uint64_t
hsm_chunkmap_count(
	const struct hsm_chunkmap *m)
{
	uint64_t		i, n = 0;

	for (i = 0; i < m->nchunks; i++)
		n += hsm_chunkmap_test(m, i);
	return n;
}

static size_t
map_bytes(
	const struct hsm_chunkmap *m)
{
	return (m->nchunks + 7) / 8;
}

int
hsm_chunkmap_load(
	int			fd,
	struct hsm_chunkmap	*m)
{
	ssize_t			n;

	/* a longer stored map fails with ERANGE: never overflow bits */
	n = fgetxattr(fd, HSM_XATTR_MAP, m->bits, map_bytes(m));
	if (n < 0) {
		if (errno == ENODATA) {
			memset(m->bits, 0, map_bytes(m));
			return 0;
		}
		return errno == ERANGE ? -EUCLEAN : -errno;
	}
	return (size_t)n == map_bytes(m) ? 0 : -EUCLEAN;
}

int
hsm_chunkmap_save(
	int			fd,
	const struct hsm_chunkmap *m)
{
	if (fsetxattr(fd, HSM_XATTR_MAP, m->bits, map_bytes(m), 0) < 0)
		return -errno;
	return 0;
}

int
hsm_chunkmap_remove(
	int			fd)
{
	if (fremovexattr(fd, HSM_XATTR_MAP) < 0 && errno != ENODATA)
		return -errno;
	return 0;
}

int
hsm_chunkmap_covers_data(
	const struct hsm_chunkmap *m,
	int			fd,
	uint64_t		size)
{
	struct hsm_datamap	dmap;
	uint64_t		c, last;
	size_t			i;
	int			error;

	/* blocks reserved for a range recall (unwritten) are not data */
	error = hsm_datamap_read_written(fd, size, &dmap);
	if (error)
		return error;
	for (i = 0; i < dmap.nr && !error; i++) {
		last = (dmap.ext[i].off + dmap.ext[i].len - 1) >> m->shift;
		for (c = dmap.ext[i].off >> m->shift; c <= last; c++)
			if (!hsm_chunkmap_test(m, c)) {
				error = -ESTALE;
				break;
			}
	}
	hsm_datamap_free(&dmap);
	return error;
}
