// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * xfshandle.c - libhandle, made safe for threads.
 *
 * libhandle keeps a global, unlocked list of filesystem handles and fds
 * (filled by path_to_fshandle, walked by open_by_handle) and resolves some
 * paths in a static buffer.  Every libhsm call into it goes through here,
 * under one lock; the calls are single ioctls, so the lock costs nothing
 * measurable even with many workers.  Where the server gave the
 * filesystem a private clone of its mount (fs->iofd), opens by handle go
 * through that instead: the same XFS ioctl libhandle makes, on its fd.
 */
#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <sys/ioctl.h>
#include <xfs/xfs.h>
#include <xfs/handle.h>
#include <xfs/jdm.h>
#include "fs/fsP.h"

static pthread_mutex_t handle_lock = PTHREAD_MUTEX_INITIALIZER;

int
hsm_xfs_fshandle(
	const char	*mnt,
	void		**hp,
	size_t		*lenp)
{
	int		ret;

	pthread_mutex_lock(&handle_lock);
	ret = path_to_fshandle((char *)mnt, hp, lenp);
	if (ret < 0)
		ret = -errno;
	pthread_mutex_unlock(&handle_lock);
	return ret < 0 ? ret : 0;
}

/* XFS_IOC_OPEN_BY_HANDLE through @dirfd: the file is on @dirfd's mount. */
static int
open_handle_at(
	int			dirfd,
	void			*h,
	size_t			len,
	int			oflags)
{
	xfs_fsop_handlereq_t	hreq = {
		.oflags		= oflags,
		.ihandle	= h,
		.ihandlen	= len,
	};
	int			fd;

	fd = ioctl(dirfd, XFS_IOC_OPEN_BY_HANDLE, &hreq);
	return fd < 0 ? -errno : fd;
}

int
hsm_xfs_open_handle(
	struct hsm_fs	*fs,
	void		*h,
	size_t		len,
	int		oflags)
{
	int		fd;

	if (fs->iofd >= 0)
		return open_handle_at(fs->iofd, h, len, oflags);
	pthread_mutex_lock(&handle_lock);
	fd = open_by_handle(h, len, oflags);
	if (fd < 0)
		fd = -errno;
	pthread_mutex_unlock(&handle_lock);
	return fd;
}

int
hsm_xfs_open_ino(
	struct hsm_fs		*fs,
	uint64_t		ino,
	uint32_t		gen,
	int			oflags)
{
	struct xfs_bstat	bs;
	void			*h;
	size_t			hlen;
	int			fd;

	/* jdm builds the handle from these two fields only */
	memset(&bs, 0, sizeof(bs));
	bs.bs_ino = ino;
	bs.bs_gen = gen;
	if (fs->iofd >= 0) {
		h = NULL;
		jdm_new_filehandle(&h, &hlen, fs->fshandle, &bs);
		if (!h)
			return -ENOMEM;
		fd = open_handle_at(fs->iofd, h, hlen, oflags);
		jdm_delete_filehandle(h, hlen);
		return fd;
	}
	pthread_mutex_lock(&handle_lock);
	fd = jdm_open(fs->fshandle, &bs, oflags);
	if (fd < 0)
		fd = -errno;
	pthread_mutex_unlock(&handle_lock);
	return fd;
}
