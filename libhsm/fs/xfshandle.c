// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * xfshandle.c - libhandle, made safe for threads.
 *
 * libhandle keeps a global, unlocked list of filesystem handles and fds
 * (filled by path_to_fshandle, walked by open_by_handle) and resolves some
 * paths in a static buffer: path_to_fshandle goes through here, under one
 * lock.  Opens by handle do not use that list: they make the XFS ioctl
 * libhandle makes, on an fd of our own, so that the workers of a batch
 * open their files in parallel.  The fd is the private clone of the mount
 * the server gave the filesystem (fs->iofd), or else the mount's.
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

/*
 * XFS_IOC_PATH_TO_HANDLE looks the path up and encodes the handle; it
 * opens nothing (libhandle's path_to_handle opens the path first, for an
 * fd to make the ioctl on).  An open would raise a permission event on a
 * watched mount, and xfs_hsmd, doing a command it was given, would wait
 * on its own event loop, which can itself be waiting on a lease the
 * command holds.
 */
int
hsm_xfs_path_handle(
	struct hsm_fs		*fs,
	const char		*path,
	struct xfs_handle	*h)
{
	__u32			len = sizeof(*h);
	xfs_fsop_handlereq_t	hreq = {
		.path		= (void *)path,
		.ohandle	= h,
		.ohandlen	= &len,
	};

	if (ioctl(fs->mntfd, XFS_IOC_PATH_TO_HANDLE, &hreq) < 0)
		return -errno;
	if (len != sizeof(*h) || fs->fshandle_len != sizeof(h->ha_fsid) ||
	    memcmp(&h->ha_fsid, fs->fshandle, sizeof(h->ha_fsid)))
		return -EXDEV;
	return 0;
}

int
hsm_xfs_open_handle(
	struct hsm_fs	*fs,
	void		*h,
	size_t		len,
	int		oflags)
{
	return open_handle_at(fs->iofd >= 0 ? fs->iofd : fs->mntfd, h, len,
			oflags);
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
	h = NULL;
	jdm_new_filehandle(&h, &hlen, fs->fshandle, &bs);
	if (!h)
		return -ENOMEM;
	fd = hsm_xfs_open_handle(fs, h, hlen, oflags);
	jdm_delete_filehandle(h, hlen);
	return fd;
}
