// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * jhandle.c - a directory's file handle as the journal keeps it, to and
 * from the system's struct file_handle (name_to_handle_at(2),
 * open_by_handle_at(2)).
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include "journal/journalP.h"

/* struct file_handle with room for the largest handle the journal keeps */
union jfh {
	struct file_handle fh;
	unsigned char	b[sizeof(struct file_handle) + HSM_JHANDLE_MAX];
};

HSM_EXPORT int
hsm_jhandle_get(
	int			dirfd,
	const char		*path,
	int			flags,
	struct hsm_jhandle	*h)
{
	union jfh		u;
	int			mnt_id;

	u.fh.handle_bytes = HSM_JHANDLE_MAX;
	if (name_to_handle_at(dirfd, path, &u.fh, &mnt_id, flags) < 0)
		return -errno;
	memset(h, 0, sizeof(*h));
	h->type = u.fh.handle_type;
	h->len = u.fh.handle_bytes;
	memcpy(h->bytes, u.fh.f_handle, h->len);
	return 0;
}

HSM_EXPORT int
hsm_jhandle_open(
	int			mntfd,
	const struct hsm_jhandle *h,
	int			flags)
{
	union jfh		u;
	int			fd;

	if (!h->len || h->len > HSM_JHANDLE_MAX)
		return -EINVAL;
	u.fh.handle_bytes = h->len;
	u.fh.handle_type = h->type;
	memcpy(u.fh.f_handle, h->bytes, h->len);
	fd = open_by_handle_at(mntfd, &u.fh, flags);
	return fd < 0 ? -errno : fd;
}
