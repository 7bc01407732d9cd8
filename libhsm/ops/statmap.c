// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * statmap.c - which byte ranges of a file are resident, released (in the
 * store only) or holes, for xfs_hsm status --map.
 *
 * A file with no released data is asked with SEEK_DATA/SEEK_HOLE.  A
 * released or partial file is never opened (under xfs_hsmd in whole mode
 * an open would recall it): its data ranges are the store copy's data
 * map, and which of their chunks are resident again is the chunk map,
 * read by path.  Read-only.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/xattr.h>
#include "ops/opsP.h"

struct segs {
	struct hsm_map_seg *v;
	size_t		n, alloc;
};

/* Append [@off, @off + @len) of @kind, merged with the last if they meet. */
static int
seg_add(
	struct segs	*s,
	uint64_t	off,
	uint64_t	len,
	unsigned	kind)
{
	struct hsm_map_seg *p;

	if (!len)
		return 0;
	if (s->n && s->v[s->n - 1].kind == kind &&
	    s->v[s->n - 1].off + s->v[s->n - 1].len == off) {
		s->v[s->n - 1].len += len;
		return 0;
	}
	if (s->n == s->alloc) {
		size_t a = s->alloc ? 2 * s->alloc : 16;

		p = realloc(s->v, a * sizeof(*p));
		if (!p)
			return -ENOMEM;
		s->v = p;
		s->alloc = a;
	}
	s->v[s->n].off = off;
	s->v[s->n].len = len;
	s->v[s->n].kind = kind;
	s->n++;
	return 0;
}

/* A file with all its data here: data and holes as the filesystem says. */
static int
map_local(
	const char	*path,
	uint64_t	size,
	struct segs	*s)
{
	off_t		data, hole = 0;
	int		fd, error = 0;

	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return -errno;
	while ((uint64_t)hole < size && !error) {
		data = lseek(fd, hole, SEEK_DATA);
		if (data < 0) {
			if (errno != ENXIO)
				error = -errno;
			break;
		}
		error = seg_add(s, hole, data - hole, HSM_SEG_HOLE);
		hole = lseek(fd, data, SEEK_HOLE);
		if (hole < 0) {
			error = -errno;
			break;
		}
		if (!error)
			error = seg_add(s, data, hole - data, HSM_SEG_RESIDENT);
	}
	if (!error && (uint64_t)hole < size)
		error = seg_add(s, hole, size - hole, HSM_SEG_HOLE);
	close(fd);
	return error;
}

/* A released file: the copy's data map, split by the resident chunks. */
static int
map_released(
	struct hsm_fs		*fs,
	const char		*path,
	const struct hsm_status	*st,
	struct segs		*s)
{
	const struct hsm_record	*r = &st->rec;
	uint64_t		size = r->size, end = 0, off, stop, c, cend;
	struct hsm_objmeta	meta;
	struct hsm_chunkmap	map;
	unsigned		from;
	ssize_t			n;
	size_t			i;
	int			error;

	memset(&meta, 0, sizeof(meta));
	error = hsm_copies_stat(fs, &fs->own, r, &meta, &from);
	if (error)
		return error;
	error = hsm_chunkmap_init(&map, meta.size, meta.chunk_shift);
	if (error)
		goto out_meta;
	/* the map is true unless a release was cut short (recall.c) */
	if (r->pending != HSM_OP_RELEASING &&
	    r->chunk_shift == meta.chunk_shift) {
		n = lgetxattr(path, HSM_XATTR_MAP, map.bits,
			      (map.nchunks + 7) / 8);
		if (n < 0 && errno != ENODATA) {
			error = errno == ERANGE ? -EUCLEAN : -errno;
			goto out_map;
		}
	}
	for (i = 0; i < meta.map.nr && !error; i++) {
		off = meta.map.ext[i].off;
		stop = off + meta.map.ext[i].len;
		if (off >= size)
			break;
		if (stop > size)
			stop = size;		/* truncated while released */
		error = seg_add(s, end, off - end, HSM_SEG_HOLE);
		for (; off < stop && !error; off = cend) {
			c = off >> meta.chunk_shift;
			cend = (c + 1) << meta.chunk_shift;
			if (cend > stop)
				cend = stop;
			error = seg_add(s, off, cend - off,
					hsm_chunkmap_test(&map, c) ?
					HSM_SEG_RESIDENT : HSM_SEG_RELEASED);
		}
		end = stop;
	}
	if (!error && end < size)
		error = seg_add(s, end, size - end, HSM_SEG_HOLE);
out_map:
	hsm_chunkmap_free(&map);
out_meta:
	hsm_objmeta_free(&meta);
	return error;
}

HSM_EXPORT int
hsm_status_map(
	struct hsm_fs		*fs,
	const char		*path,
	struct hsm_map_seg	**segs,
	size_t			*nsegs)
{
	struct hsm_status	st;
	struct segs		s = { 0 };
	int			error;

	*segs = NULL;
	*nsegs = 0;
	hsm_fs_clear_detail(fs);
	error = hsm_status_get(fs, path, &st);
	if (error)
		return error;
	if (st.state == HSM_STATE_RELEASED || st.state == HSM_STATE_PARTIAL) {
		if (st.rec.flags & HSM_F_LOST) {
			hsm_fs_set_detail(fs, "store copy missing or corrupt");
			return -ENOLINK;
		}
		error = map_released(fs, path, &st, &s);
	} else {
		error = map_local(path, st.size, &s);
	}
	if (error) {
		free(s.v);
		return error;
	}
	*segs = s.v;
	*nsegs = s.n;
	return 0;
}
