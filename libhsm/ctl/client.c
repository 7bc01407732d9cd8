// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * client.c - who moves a file's data: this process, or the daemon.
 *
 * A daemon (xfs_hsmd) holds /run/xfs-hsm/<fs-uuid>.lock exclusively for as
 * long as its fanotify group lives, and answers on <fs-uuid>.sock.  A
 * command that finds the lock free takes it shared and works directly;
 * the daemon cannot start under it, so the two never move data of one
 * file at once.  A command that finds the lock taken asks the daemon:
 * working directly then would race the daemon's ignore marks (a released
 * file still marked "resident" reads as zeros) and its recalls.
 *
 * The messages are in wire.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <endian.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include "ctl/ctlP.h"

#define CONNECT_WAIT_S	30	/* a daemon restarting its worker */

void
hsm_fs_runpath(
	const struct hsm_fs	*fs,
	const char		*ext,
	char			*buf,
	size_t			size)
{
	snprintf(buf, size, "%s/%s.%s", HSM_RUNDIR, fs->uuid_str, ext);
}

/* Connect to the daemon's socket: the fd or -errno. */
static int
ctl_connect(
	const struct hsm_fs	*fs)
{
	struct sockaddr_un	sun = { .sun_family = AF_UNIX };
	int			fd, error;

	hsm_fs_runpath(fs, "sock", sun.sun_path, sizeof(sun.sun_path));
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		error = -errno;
		close(fd);
		return error;
	}
	return fd;
}

/* The lock file, created if missing: the fd or -errno. */
static int
open_lock(
	const struct hsm_fs	*fs)
{
	char			path[PATH_MAX];
	int			fd;

	if (mkdir(HSM_RUNDIR, 0700) < 0 && errno != EEXIST)
		return -errno;
	hsm_fs_runpath(fs, "lock", path, sizeof(path));
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	return fd < 0 ? -errno : fd;
}

int
hsm_fs_route(
	struct hsm_fs	*fs)
{
	struct timespec	pause = { 0, 100 * 1000 * 1000 };
	int		fd, tries;

	if (fs->route != HSM_ROUTE_UNKNOWN)
		return 0;
	fd = open_lock(fs);
	if (fd < 0) {
		hsm_fs_set_detail(fs, "cannot open the daemon lock in %s",
				HSM_RUNDIR);
		return fd;
	}
	if (flock(fd, LOCK_SH | LOCK_NB) == 0) {
		fs->lockfd = fd;
		fs->route = HSM_ROUTE_DIRECT;
		return 0;
	}
	close(fd);
	if (errno != EWOULDBLOCK)
		return -errno;
	/* a daemon holds the filesystem; its worker may be restarting */
	for (tries = 0; tries < CONNECT_WAIT_S * 10; tries++) {
		fd = ctl_connect(fs);
		if (fd >= 0) {
			fs->ctlfd = fd;
			fs->route = HSM_ROUTE_DAEMON;
			return 0;
		}
		nanosleep(&pause, NULL);
	}
	hsm_fs_set_detail(fs, "xfs_hsmd holds %s but does not answer on its "
			"socket", fs->mnt);
	return -ECONNREFUSED;
}

int
hsm_ctl_call(
	struct hsm_fs		*fs,
	struct hsm_ctl_msg	*m)
{
	uint16_t		op = m->op;
	int			error;

	error = hsm_ctl_send(fs->ctlfd, m, false);
	if (!error)
		error = hsm_ctl_recv(fs->ctlfd, true, m);
	if (!error && m->op != op)
		error = -EBADMSG;
	if (error) {
		hsm_fs_set_detail(fs, "lost the connection to xfs_hsmd");
		close(fs->ctlfd);
		fs->ctlfd = -1;
		fs->route = HSM_ROUTE_UNKNOWN;	/* ask again next time */
	}
	return error;
}

/* A short-lived connection for a query, unless the route has one. */
static int
query(
	struct hsm_fs		*fs,
	struct hsm_ctl_msg	*m)
{
	int			fd, error;

	if (fs->route == HSM_ROUTE_DAEMON)
		return hsm_ctl_call(fs, m);
	fd = ctl_connect(fs);
	if (fd < 0)
		return -ENOTCONN;
	error = hsm_ctl_send(fd, m, false);
	if (!error)
		error = hsm_ctl_recv(fd, true, m);
	close(fd);
	return error ? -ENOTCONN : 0;
}

HSM_EXPORT int
hsm_fs_daemon_stats(
	struct hsm_fs		*fs,
	struct hsm_server_stats	*st)
{
	struct hsm_ctl_msg	*m = calloc(1, sizeof(*m));
	int			error;

	if (!m)
		return -ENOMEM;
	m->op = HSM_CTL_STATS;
	error = query(fs, m);
	if (!error)
		error = m->error ? m->error :
			hsm_stats_unpack(m->payload, m->len, st);
	free(m);
	return error;
}

HSM_EXPORT int
hsm_fs_daemon_running(
	struct hsm_fs		*fs)
{
	struct hsm_ctl_msg	*m = calloc(1, sizeof(*m));
	int			error;

	if (!m)
		return 0;
	m->op = HSM_CTL_PING;
	error = query(fs, m);
	free(m);
	return !error;
}

HSM_EXPORT int
hsm_fs_journal_request(
	struct hsm_fs		*fs,
	unsigned		flags,
	uint64_t		*epoch)
{
	struct hsm_ctl_msg	*m = calloc(1, sizeof(*m));
	int			error;

	if (!m)
		return -ENOMEM;
	m->op = HSM_CTL_JOURNAL;
	m->flags = flags;
	error = query(fs, m);
	if (!error) {
		error = m->error;
		*epoch = m->bytes;
	}
	free(m);
	return error;
}
