// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * extents.c - a file's written extents, from FIEMAP.
 *
 * SEEK_DATA cannot tell blocks we reserved (unwritten extents, for a range
 * recall) from data: it calls an unwritten extent data as soon as the page
 * cache holds a page of it, which readahead does.  FIEMAP says which
 * extents are unwritten, so these helpers see only what was written.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <linux/falloc.h>
#include <linux/fiemap.h>
#include <linux/fs.h>
#include <fcntl.h>
#include "base/base.h"

#define FIEMAP_BATCH	256

/*
 * Call @fn for each extent of @fd below @size (after writing back dirty
 * pages, so delayed allocations are seen).  Stops on non-zero.
 */
static int
for_each_extent(
	int			fd,
	uint64_t		size,
	int			(*fn)(uint64_t off, uint64_t len,
				      bool unwritten, void *arg),
	void			*arg)
{
	struct fiemap		*fm;
	uint64_t		start = 0;
	unsigned		i;
	int			error = 0;
	bool			last = false;

	fm = calloc(1, sizeof(*fm) + FIEMAP_BATCH * sizeof(fm->fm_extents[0]));
	if (!fm)
		return -ENOMEM;
	while (!last && start < size && !error) {
		memset(fm, 0, sizeof(*fm));
		fm->fm_start = start;
		fm->fm_length = size - start;
		fm->fm_flags = FIEMAP_FLAG_SYNC;
		fm->fm_extent_count = FIEMAP_BATCH;
		if (ioctl(fd, FS_IOC_FIEMAP, fm) < 0) {
			error = -errno;
			break;
		}
		if (!fm->fm_mapped_extents)
			break;
		for (i = 0; i < fm->fm_mapped_extents && !error; i++) {
			struct fiemap_extent *e = &fm->fm_extents[i];

			error = fn(e->fe_logical, e->fe_length,
				   e->fe_flags & FIEMAP_EXTENT_UNWRITTEN, arg);
			if (e->fe_flags & FIEMAP_EXTENT_LAST)
				last = true;
			start = e->fe_logical + e->fe_length;
		}
	}
	free(fm);
	return error;
}

struct written_ctx {
	struct hsm_datamap	*map;
	uint64_t		size;
};

/* A written extent, clipped to the file size (XFS preallocates past EOF). */
static int
add_written(
	uint64_t		off,
	uint64_t		len,
	bool			unwritten,
	void			*arg)
{
	struct written_ctx	*wc = arg;

	if (unwritten || off >= wc->size)
		return 0;
	if (len > wc->size - off)
		len = wc->size - off;
	return hsm_datamap_add(wc->map, off, len);
}

int
hsm_datamap_read_written(
	int			fd,
	uint64_t		size,
	struct hsm_datamap	*map)
{
	struct written_ctx	wc = { .map = map, .size = size };
	int			error;

	memset(map, 0, sizeof(*map));
	error = for_each_extent(fd, size, add_written, &wc);
	if (error)
		hsm_datamap_free(map);
	/* no FIEMAP (tmpfs): nothing there is reserved unwritten by us */
	if (error == -EOPNOTSUPP || error == -ENOTTY)
		return hsm_datamap_read(fd, size, map);
	return error;
}

struct punch_ctx {
	int				fd;
	const struct hsm_datamap	*keep;
	size_t				idx;
};

/* Punch the part of an unwritten extent that lies in a hole of keep. */
static int
punch_unwritten(
	uint64_t		off,
	uint64_t		len,
	bool			unwritten,
	void			*arg)
{
	struct punch_ctx	*pc = arg;
	const struct hsm_datamap *k = pc->keep;
	uint64_t		end = off + len;

	if (!unwritten)
		return 0;
	while (off < end) {
		uint64_t hole_end = end;

		while (pc->idx < k->nr &&
		       k->ext[pc->idx].off + k->ext[pc->idx].len <= off)
			pc->idx++;
		if (pc->idx < k->nr && k->ext[pc->idx].off <= off) {
			/* inside data of the copy: keep */
			off = k->ext[pc->idx].off + k->ext[pc->idx].len;
			continue;
		}
		if (pc->idx < k->nr && k->ext[pc->idx].off < hole_end)
			hole_end = k->ext[pc->idx].off;
		if (fallocate(pc->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
			      off, hole_end - off) < 0)
			return -errno;
		off = hole_end;
	}
	return 0;
}

int
hsm_punch_unwritten_holes(
	int				fd,
	const struct hsm_datamap	*keep,
	uint64_t			size)
{
	struct punch_ctx		pc = { .fd = fd, .keep = keep };

	return for_each_extent(fd, size, punch_unwritten, &pc);
}

/* Remember the end of the furthest extent. */
static int
note_end(
	uint64_t		off,
	uint64_t		len,
	bool			unwritten,
	void			*arg)
{
	uint64_t		*end = arg;

	(void)unwritten;
	if (off + len > *end)
		*end = off + len;
	return 0;
}

int
hsm_extents_end(
	int			fd,
	uint64_t		*end)
{
	*end = 0;
	return for_each_extent(fd, UINT64_MAX, note_end, end);
}
