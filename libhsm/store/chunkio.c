// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * chunkio.c - read one recall chunk from the store, check it, write it.
 *
 * A chunk's data are the pieces of the object's data extents that fall in
 * it; migrate recorded a checksum over exactly those pieces (offset,
 * length, bytes), so a chunk is verified alone, before a byte of it
 * reaches the file: a corrupt or truncated object never puts wrong data in
 * a file.  Shared by the CLI's recall and by the daemon.
 */
#include <errno.h>
#include <unistd.h>
#include "store/store.h"

/* Index of the first extent of @dm that ends after @off, from @hint on. */
static size_t
first_extent(
	const struct hsm_datamap *dm,
	uint64_t		off,
	size_t			hint)
{
	size_t			lo = 0, hi = dm->nr;

	if (hint < dm->nr && dm->ext[hint].off + dm->ext[hint].len > off &&
	    (hint == 0 || dm->ext[hint - 1].off + dm->ext[hint - 1].len <= off))
		return hint;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (dm->ext[mid].off + dm->ext[mid].len <= off)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

int
hsm_chunk_fetch(
	struct hsm_store	*store,
	const uint8_t		*oid,
	const struct hsm_objmeta *meta,
	uint64_t		c,
	void			*buf,
	size_t			*hint)
{
	const struct hsm_datamap *dm = &meta->map;
	uint64_t		cs = c << meta->chunk_shift;
	uint64_t		ce = (c + 1) << meta->chunk_shift;
	uint64_t		want;
	struct hsm_csum		*sum;
	char			*base = buf;
	size_t			i;
	int			error = 0;

	if (!hsm_objmeta_find_sum(meta, c, &want))
		return 0;			/* a hole in the copy */
	sum = hsm_csum_new();
	if (!sum)
		return -ENOMEM;
	i = first_extent(dm, cs, *hint);
	*hint = i;
	for (; i < dm->nr && dm->ext[i].off < ce; i++) {
		uint64_t po = dm->ext[i].off > cs ? dm->ext[i].off : cs;
		uint64_t pe = dm->ext[i].off + dm->ext[i].len;
		ssize_t n;

		if (pe > ce)
			pe = ce;
		n = store->ops->get(store, oid, base + (po - cs), pe - po, po);
		if (n != (ssize_t)(pe - po)) {
			/* short: the object is truncated; else the store's error */
			error = n >= 0 || n == -ENOENT ? -ENOLINK : (int)n;
			break;
		}
		hsm_csum_segment(sum, po, pe - po);
		hsm_csum_update(sum, base + (po - cs), pe - po);
	}
	if (hsm_csum_final(sum) != want && !error)
		error = -ENOLINK;
	return error;
}

int64_t
hsm_chunk_write(
	int			fd,
	const struct hsm_objmeta *meta,
	uint64_t		c,
	uint64_t		count,
	const void		*buf,
	uint64_t		limit,
	size_t			*hint)
{
	const struct hsm_datamap *dm = &meta->map;
	uint64_t		cs = c << meta->chunk_shift;
	uint64_t		ce = (c + count) << meta->chunk_shift;
	const char		*base = buf;
	int64_t			moved = 0;
	size_t			i;

	if (ce > limit)
		ce = limit;
	for (i = first_extent(dm, cs, *hint); i < dm->nr &&
	     dm->ext[i].off < ce; i++) {
		uint64_t po = dm->ext[i].off > cs ? dm->ext[i].off : cs;
		uint64_t pe = dm->ext[i].off + dm->ext[i].len;
		const char *p;

		if (pe > ce)
			pe = ce;
		for (p = base + (po - cs); po < pe; ) {
			ssize_t n = pwrite(fd, p, pe - po, po);

			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
				return n < 0 ? -errno : -EIO;
			p += n;
			po += n;
			moved += n;
		}
	}
	return moved;
}

size_t
hsm_chunk_buf_len(
	const struct hsm_objmeta *meta)
{
	uint64_t		chunk = 1ULL << meta->chunk_shift;

	/* data never lies past the size (put_finish refuses such maps) */
	return meta->size && meta->size < chunk ? meta->size : chunk;
}

uint64_t
hsm_chunk_data_len(
	const struct hsm_objmeta *meta,
	uint64_t		c,
	uint64_t		limit)
{
	const struct hsm_datamap *dm = &meta->map;
	uint64_t		cs = c << meta->chunk_shift;
	uint64_t		ce = (c + 1) << meta->chunk_shift;
	uint64_t		len = 0;
	size_t			i;

	if (ce > limit)
		ce = limit;
	for (i = first_extent(dm, cs, 0); i < dm->nr && dm->ext[i].off < ce;
	     i++) {
		uint64_t po = dm->ext[i].off > cs ? dm->ext[i].off : cs;
		uint64_t pe = dm->ext[i].off + dm->ext[i].len;

		if (pe > ce)
			pe = ce;
		if (pe > po)
			len += pe - po;
	}
	return len;
}
