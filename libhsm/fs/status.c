// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * status.c - the HSM state of one file, read-only: by path with
 * lgetxattr, no handle and no store needed.
 */
#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include "fs/fsP.h"

/* Any resident chunk recorded in trusted.hsm.map?  1 or 0. */
static int
has_resident_chunks(
	void		*arg)
{
	const char	*path = arg;
	uint8_t		buf[HSM_MAP_MAX_BYTES];
	ssize_t		n, i;

	n = lgetxattr(path, HSM_XATTR_MAP, buf, sizeof(buf));
	for (i = 0; i < n; i++)
		if (buf[i])
			return 1;
	return 0;
}

int
hsm_status_classify(
	struct hsm_status	*st,
	int			(*chunks)(void *arg),
	void			*arg)
{
	const struct hsm_record	*r = &st->rec;
	int			partial;

	/* mid-release, data may be gone already: never say "archived" */
	if ((r->flags & HSM_F_RELEASED) || r->pending == HSM_OP_RELEASING) {
		partial = r->pending == HSM_OP_RECALLING ? 1 : chunks(arg);
		if (partial < 0)
			return partial;
		st->state = partial ? HSM_STATE_PARTIAL : HSM_STATE_RELEASED;
	} else if (r->flags & HSM_F_ARCHIVED) {
		st->state = HSM_STATE_ARCHIVED;
	}
	st->dirty = (r->flags & HSM_F_DIRTY) ||
		    ((r->flags & HSM_F_ARCHIVED) &&
		     (st->size != r->size || st->mtime_sec != r->mtime_sec ||
		      st->mtime_nsec != r->mtime_nsec));
	return 0;
}

HSM_EXPORT int
hsm_status_get(
	struct hsm_fs		*fs,
	const char		*path,
	struct hsm_status	*st)
{
	uint8_t			buf[HSM_RECORD_SIZE + 64];
	struct hsm_record	*r = &st->rec;
	struct stat		sb;
	ssize_t			n;
	int			error = 0;

	memset(st, 0, sizeof(*st));
	if (lstat(path, &sb) < 0)
		return -errno;
	if (S_ISDIR(sb.st_mode))
		return -EISDIR;
	if (!S_ISREG(sb.st_mode))
		return -EINVAL;
	if (sb.st_dev != fs->dev)
		return -EXDEV;
	st->size = sb.st_size;
	st->resident_bytes = (uint64_t)sb.st_blocks * 512;
	st->mtime_sec = sb.st_mtim.tv_sec;
	st->mtime_nsec = sb.st_mtim.tv_nsec;
	st->ino = sb.st_ino;
	st->state = HSM_STATE_RESIDENT;

	n = lgetxattr(path, HSM_XATTR_RECORD, buf, sizeof(buf));
	if (n < 0) {
		if (errno == ENODATA)
			return 0;
		return errno == ERANGE ? -EUCLEAN : -errno;
	}
	error = hsm_record_decode(buf, n, r);
	if (error)
		return error;
	st->has_record = 1;
	return hsm_status_classify(st, has_resident_chunks, (void *)path);
}
