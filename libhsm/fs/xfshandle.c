// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * xfshandle.c - libhandle, made safe for threads.
 *
 * libhandle keeps a global, unlocked list of filesystem handles and fds
 * (filled by path_to_fshandle, walked by open_by_handle) and resolves some
 * paths in a static buffer.  Every libhsm call into it goes through here,
 * under one lock; the calls are single ioctls, so the lock costs nothing
 * measurable even with many workers.
 */
#include <errno.h>
#include <pthread.h>
#include <string.h>
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

int
hsm_xfs_handle(
	const char	*path,
	void		**hp,
	size_t		*lenp)
{
	int		ret;

	pthread_mutex_lock(&handle_lock);
	ret = path_to_handle((char *)path, hp, lenp);
	if (ret < 0)
		ret = -errno;
	pthread_mutex_unlock(&handle_lock);
	return ret < 0 ? ret : 0;
}

int
hsm_xfs_open_handle(
	void		*h,
	size_t		len,
	int		oflags)
{
	int		fd;

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
	int			fd;

	/* jdm builds the handle from these two fields only */
	memset(&bs, 0, sizeof(bs));
	bs.bs_ino = ino;
	bs.bs_gen = gen;
	pthread_mutex_lock(&handle_lock);
	fd = jdm_open(fs->fshandle, &bs, oflags);
	if (fd < 0)
		fd = -errno;
	pthread_mutex_unlock(&handle_lock);
	return fd;
}
