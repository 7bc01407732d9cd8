// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * objfile.c - the data file of a posix store object: its metadata text,
 * kept in an extended attribute of the file itself.
 *
 * One file per object instead of two (data and .meta) halves the inodes
 * and directory entries a migrate makes in the store; an object appears
 * whole, its metadata with it.  Filesystems without user xattrs, and texts too
 * large for one, keep the .meta file (store_posix.c).
 */
#include <errno.h>
#include <stdlib.h>
#include <sys/xattr.h>
#include "store/store.h"

/*
 * Give @fd the metadata text @text, new or in place of the old one (an
 * xattr set is atomic: a crash leaves one text or the other).  0, or
 * -EOPNOTSUPP where the file cannot hold it (no user xattrs, or a text
 * larger than one xattr: E2BIG, or ENOSPC from ext4 past a block; a full
 * disk fails the .meta file next), or another -errno.
 */
int
hsm_objfile_set_meta(
	int		fd,
	const char	*text,
	size_t		len)
{
	if (fsetxattr(fd, HSM_OBJFILE_META, text, len, 0) == 0)
		return 0;
	switch (errno) {
	case ENOTSUP:
	case E2BIG:
	case ERANGE:
	case ENOSPC:
		return -EOPNOTSUPP;
	default:
		return -errno;
	}
}

/* The metadata text of @fd, NUL-terminated in *@out: its length, -ENODATA
 * if the file holds none (a .meta file may), or another -errno. */
ssize_t
hsm_objfile_get_meta(
	int		fd,
	char		**out)
{
	size_t		size = 4096;	/* most texts fit: one call */
	ssize_t		n;
	char		*buf;

	for (;;) {
		buf = malloc(size + 1);
		if (!buf)
			return -ENOMEM;
		n = fgetxattr(fd, HSM_OBJFILE_META, buf, size);
		if (n >= 0) {
			buf[n] = '\0';
			*out = buf;
			return n;
		}
		free(buf);
		if (errno == ENOTSUP)
			return -ENODATA;
		if (errno != ERANGE)
			return -errno;
		/* longer: ask its length (it may be replaced meanwhile) */
		n = fgetxattr(fd, HSM_OBJFILE_META, NULL, 0);
		if (n < 0)
			return errno == ENOTSUP ? -ENODATA : -errno;
		size = n;
	}
}

/* Does @fd hold its metadata text?  1, 0, or -errno. */
int
hsm_objfile_has_meta(
	int		fd)
{
	if (fgetxattr(fd, HSM_OBJFILE_META, NULL, 0) >= 0)
		return 1;
	return errno == ENODATA || errno == ENOTSUP ? 0 : -errno;
}

/* Remove the metadata text of @fd (it moved to a .meta file).  0 or -errno. */
int
hsm_objfile_drop_meta(
	int		fd)
{
	return fremovexattr(fd, HSM_OBJFILE_META) < 0 ? -errno : 0;
}
