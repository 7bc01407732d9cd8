// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * datamap.c - a file's data segments (SEEK_DATA/SEEK_HOLE) and the content
 * checksum taken over them.  Holes cost nothing: a 1 TiB sparse file with
 * a few MiB of data is mapped, copied and hashed in the time of its data.
 */
#include <errno.h>
#include <endian.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xxhash.h>
#ifdef HAVE_XXH_X86DISPATCH
/* the data stream's hash with the widest vectors this CPU has: about
 * twice SSE2's speed with AVX2, the same sums */
# include <xxh_x86dispatch.h>
#endif
#include "base/base.h"

int
hsm_datamap_add(
	struct hsm_datamap	*map,
	uint64_t		off,
	uint64_t		len)
{
	struct hsm_extent	*last;

	if (!len)
		return 0;
	last = map->nr ? &map->ext[map->nr - 1] : NULL;
	if (off + len < off || (last && off < last->off + last->len))
		return -EINVAL;		/* wraps, overlaps or goes backwards */
	if (last && last->off + last->len == off) {
		last->len += len;
		return 0;
	}
	if (map->nr == map->alloc) {
		size_t n = map->alloc ? map->alloc * 2 : 16;
		struct hsm_extent *e = realloc(map->ext, n * sizeof(*e));

		if (!e)
			return -ENOMEM;
		map->ext = e;
		map->alloc = n;
	}
	map->ext[map->nr].off = off;
	map->ext[map->nr].len = len;
	map->nr++;
	return 0;
}

void
hsm_datamap_free(
	struct hsm_datamap	*map)
{
	free(map->ext);
	memset(map, 0, sizeof(*map));
}

uint64_t
hsm_datamap_bytes(
	const struct hsm_datamap *map)
{
	uint64_t		sum = 0;
	size_t			i;

	for (i = 0; i < map->nr; i++)
		sum += map->ext[i].len;
	return sum;
}

size_t
hsm_datamap_buf_len(
	const struct hsm_datamap *map,
	size_t			max)
{
	uint64_t		longest = 1;
	size_t			i;

	for (i = 0; i < map->nr && longest < max; i++)
		if (map->ext[i].len > longest)
			longest = map->ext[i].len;
	return longest < max ? longest : max;
}

int
hsm_datamap_read(
	int			fd,
	uint64_t		size,
	struct hsm_datamap	*map)
{
	off_t			data, hole = 0;
	int			error;

	memset(map, 0, sizeof(*map));
	while ((uint64_t)hole < size) {
		data = lseek(fd, hole, SEEK_DATA);
		if (data < 0) {
			if (errno == ENXIO)
				break;			/* only holes left */
			error = -errno;
			goto out_free;
		}
		if ((uint64_t)data >= size)
			break;
		hole = lseek(fd, data, SEEK_HOLE);
		if (hole < 0) {
			error = -errno;
			goto out_free;
		}
		if ((uint64_t)hole > size)
			hole = size;
		error = hsm_datamap_add(map, data, hole - data);
		if (error)
			goto out_free;
	}
	return 0;
out_free:
	hsm_datamap_free(map);
	return error;
}

struct hsm_csum {
	XXH3_state_t	*state;
};

struct hsm_csum *
hsm_csum_new(void)
{
	struct hsm_csum	*c = malloc(sizeof(*c));

	if (!c)
		return NULL;
	c->state = XXH3_createState();
	if (!c->state) {
		free(c);
		return NULL;
	}
	XXH3_64bits_reset(c->state);
	return c;
}

void
hsm_csum_segment(
	struct hsm_csum	*c,
	uint64_t	off,
	uint64_t	len)
{
	uint64_t	hdr[2] = { htole64(off), htole64(len) };

	XXH3_64bits_update(c->state, hdr, sizeof(hdr));
}

void
hsm_csum_update(
	struct hsm_csum	*c,
	const void	*buf,
	size_t		len)
{
	XXH3_64bits_update(c->state, buf, len);
}

uint64_t
hsm_csum_final(
	struct hsm_csum	*c)
{
	uint64_t	sum = XXH3_64bits_digest(c->state);

	XXH3_freeState(c->state);
	free(c);
	return sum;
}

#define CSUM_BUF	(1U << 20)

int
hsm_csum_fd(
	int			fd,
	const struct hsm_datamap *map,
	uint64_t		*sum)
{
	struct hsm_csum		*c;
	char			*buf;
	size_t			i;
	int			error = 0;

	c = hsm_csum_new();
	buf = malloc(hsm_datamap_buf_len(map, CSUM_BUF));
	if (!c || !buf) {
		free(buf);
		if (c)
			hsm_csum_final(c);
		return -ENOMEM;
	}
	for (i = 0; i < map->nr && !error; i++) {
		uint64_t off = map->ext[i].off, left = map->ext[i].len;

		hsm_csum_segment(c, off, left);
		while (left) {
			size_t want = left < CSUM_BUF ? left : CSUM_BUF;
			ssize_t n = pread(fd, buf, want, off);

			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0) {
				error = n < 0 ? -errno : -ESTALE;
				break;
			}
			hsm_csum_update(c, buf, n);
			off += n;
			left -= n;
		}
	}
	*sum = hsm_csum_final(c);
	free(buf);
	return error;
}
