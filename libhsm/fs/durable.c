// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * durable.c - the one place that makes the HSM's steps durable.
 *
 * Every durable step of the data path calls one of these, and says at the
 * call site how the step becomes durable (doc/design.md, "Durability"):
 *
 *   HSM_DUR_NOW      before the call returns (fsync: a log force)
 *   HSM_DUR_ORDERED  no flush of its own: XFS recovers its log in order,
 *                    so the step is durable whenever anything logged
 *                    after it is, and never is without what came before
 *   HSM_DUR_BATCH    with the batch's commit (hsm_commit_force): one log
 *                    force for every file of the batch
 *
 * A batch's commit (struct hsm_commit) forces the log by fsyncing the
 * files whose records it holds: the first fsync forces the log up to that
 * file's last change, and every record written before it rides along; the
 * others find their changes forced already and return at once.  File data
 * is never in the log: hsm_commit_data writes it back (syncfs) before the
 * records that say it is there.  Store objects become durable through
 * their store (hsm_dur_objects).
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/xattr.h>
#include <linux/fs.h>
#include "fs/fsP.h"

/* The entry of @fd in the list, or NULL.  c->lock held. */
static struct hsm_commit_file *
fd_entry(
	struct hsm_commit	*c,
	int			fd)
{
	size_t			i;

	if ((size_t)fd >= c->fdpos_len || !c->fdpos[fd])
		return NULL;
	i = c->fdpos[fd] - 1;
	/* a position left from before the last force, or of a closed fd */
	if (i >= c->nfds || c->fds[i].fd != fd)
		return NULL;
	return &c->fds[i];
}

/*
 * Remember @fd for the batch's log force, at the end of the list: an
 * earlier entry of the same fd is covered by this one.  Each open fd has
 * one entry, found by fd_entry: a file per add and per close was a scan
 * of the whole list.  c->lock held.
 */
static int
__commit_add(
	struct hsm_commit	*c,
	int			fd)
{
	struct hsm_commit_file	*p, *old;
	size_t			*pos;

	if (c->nfds && c->fds[c->nfds - 1].fd == fd)
		return 0;
	if ((size_t)fd >= c->fdpos_len) {
		size_t n = 2 * (size_t)fd + 64;

		pos = realloc(c->fdpos, n * sizeof(*pos));
		if (!pos)
			return -ENOMEM;
		memset(pos + c->fdpos_len, 0,
		       (n - c->fdpos_len) * sizeof(*pos));
		c->fdpos = pos;
		c->fdpos_len = n;
	}
	if (c->nfds == c->alloc) {
		size_t n = c->alloc ? 2 * c->alloc : 64;

		p = realloc(c->fds, n * sizeof(*p));
		if (!p)
			return -ENOMEM;
		c->fds = p;
		c->alloc = n;
	}
	old = fd_entry(c, fd);
	if (old)
		old->fd = HSM_COMMIT_LATER;
	c->fds[c->nfds++] = (struct hsm_commit_file){ .fd = fd };
	c->fdpos[fd] = c->nfds;
	return 0;
}

/*
 * A logged change to @fd, made by @change, then @how applied.  For the
 * batch, change and registration happen under its lock, so that the last
 * file registered is the last one changed: the force of that file's last
 * change covers every change of the batch (XFS commits transactions to
 * its log in the order they complete).
 */
static int
logged(
	int			fd,
	enum hsm_dur		how,
	struct hsm_commit	*c,
	int			(*change)(int fd, const void *arg),
	const void		*arg)
{
	int			error;

	if (how == HSM_DUR_BATCH && c) {
		pthread_mutex_lock(&c->lock);
		error = change(fd, arg);
		if (!error)
			error = __commit_add(c, fd);
		pthread_mutex_unlock(&c->lock);
		return error;
	}
	error = change(fd, arg);
	if (error || how == HSM_DUR_ORDERED)
		return error;
	return fsync(fd) < 0 ? -errno : 0;
}

void
hsm_commit_init(
	struct hsm_commit	*c,
	struct hsm_fs		*fs)
{
	memset(c, 0, sizeof(*c));
	c->fs = fs;
	pthread_mutex_init(&c->lock, NULL);
}

void
hsm_commit_release(
	struct hsm_commit	*c)
{
	free(c->fds);
	free(c->fdpos);
	pthread_mutex_destroy(&c->lock);
	memset(c, 0, sizeof(*c));
}

void
hsm_commit_forget_fd(
	struct hsm_commit	*c,
	int			fd,
	uint64_t		ino,
	uint32_t		gen)
{
	struct hsm_commit_file	*cf;

	pthread_mutex_lock(&c->lock);
	cf = fd_entry(c, fd);
	if (cf) {
		/* forced by handle, unless a later fd of the file is */
		cf->fd = HSM_COMMIT_CLOSED;
		cf->ino = ino;
		cf->gen = gen;
	}
	pthread_mutex_unlock(&c->lock);
}

static int
set_record(
	int			fd,
	const void		*buf)
{
	if (fsetxattr(fd, HSM_XATTR_RECORD, buf, HSM_RECORD_SIZE, 0) < 0)
		return -errno;
	return 0;
}

int
hsm_dur_record(
	int			fd,
	const struct hsm_record	*rec,
	enum hsm_dur		how,
	struct hsm_commit	*c)
{
	uint8_t			buf[HSM_RECORD_SIZE];
	int			error;

	error = hsm_record_encode(rec, buf);
	if (error)
		return error;
	return logged(fd, how, c, set_record, buf);
}

static int
remove_record(
	int			fd,
	const void		*unused)
{
	(void)unused;
	if (fremovexattr(fd, HSM_XATTR_RECORD) < 0 && errno != ENODATA)
		return -errno;
	return 0;
}

int
hsm_dur_record_remove(
	int			fd,
	enum hsm_dur		how,
	struct hsm_commit	*c)
{
	return logged(fd, how, c, remove_record, NULL);
}

static int
set_map(
	int			fd,
	const void		*m)
{
	return m ? hsm_chunkmap_save(fd, m) : hsm_chunkmap_remove(fd);
}

int
hsm_dur_map(
	int			fd,
	const struct hsm_chunkmap *m,
	enum hsm_dur		how,
	struct hsm_commit	*c)
{
	return logged(fd, how, c, set_map, m);
}

int
hsm_dur_data(
	int			fd,
	enum hsm_dur		how,
	struct hsm_commit	*c)
{
	switch (how) {
	case HSM_DUR_NOW:
		return fdatasync(fd) < 0 ? -errno : 0;
	case HSM_DUR_BATCH:
		if (!c)
			return fdatasync(fd) < 0 ? -errno : 0;
		c->data = true;
		return 0;
	default:
		return 0;
	}
}

int
hsm_dur_fs_note(
	struct hsm_fs		*fs,
	const char		*name,
	const void		*value,
	size_t			len)
{
	int			error;

	if (value)
		error = fsetxattr(fs->mntfd, name, value, len, 0);
	else
		error = fremovexattr(fs->mntfd, name);
	if (error < 0 && !(errno == ENODATA && !value))
		return -errno;
	return fsync(fs->mntfd) < 0 ? -errno : 0;
}

/*
 * Everything done to the filesystem so far, durable: its data written
 * back and its log forced.  gc calls it between its scan and the first
 * deletion: a file deletion the scan saw must outlive a crash before the
 * file's object goes, or the file would come back without its data.
 */
HSM_EXPORT int
hsm_fs_sync(
	struct hsm_fs		*fs)
{
	return syncfs(fs->mntfd) < 0 ? -errno : 0;
}

int
hsm_dur_objects(
	struct hsm_store	*store,
	struct hsm_store_writer	**w,
	size_t			n,
	int			*errors)
{
	return store->ops->publish(store, w, n, errors);
}

int
hsm_dur_store_sync(
	struct hsm_store	*store)
{
	return store->ops->sync(store);
}

int
hsm_commit_data(
	struct hsm_commit	*c)
{
	if (!c->data)
		return 0;
	/* every file's data, and the log with it: the records so far too */
	if (syncfs(c->fs->mntfd) < 0)
		return -errno;
	c->data = false;
	c->nfds = 0;
	c->syncs++;
	return 0;
}

/*
 * fsync a file whose fd was closed, by handle.  The open must not wait
 * on a lease: one of ours would never be given up while we wait, so a
 * file we hold leased (it failed after we reopened it) is forced with
 * the whole filesystem instead.  0 or -errno.
 */
static int
force_closed(
	struct hsm_commit	*c,
	const struct hsm_commit_file *cf)
{
	int			fd, error = 0;

	fd = hsm_xfs_open_ino(c->fs, cf->ino, cf->gen,
			O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd == -EWOULDBLOCK)
		return syncfs(c->fs->mntfd) < 0 ? -errno : 0;
	if (fd < 0)
		return fd == -ENOENT || fd == -ESTALE ? 0 : fd;
	if (fsync(fd) < 0)
		error = -errno;
	close(fd);
	return error;
}

/* Was inode @ino forced already, by a closed entry after @i? */
static bool
forced_after(
	const struct hsm_commit	*c,
	size_t			i,
	uint64_t		ino)
{
	while (++i < c->nfds)
		if (c->fds[i].fd == HSM_COMMIT_CLOSED && c->fds[i].ino == ino)
			return true;
	return false;
}

int
hsm_commit_force(
	struct hsm_commit	*c)
{
	size_t			i;
	int			error = 0;

	/*
	 * The last file registered with an open fd: its force covers every
	 * change registered before it.  Files closed since and registered
	 * after it are forced by handle, each once.
	 */
	for (i = c->nfds; i-- > 0 && !error; ) {
		if (c->fds[i].fd == HSM_COMMIT_LATER)
			continue;
		if (c->fds[i].fd == HSM_COMMIT_CLOSED) {
			if (!forced_after(c, i, c->fds[i].ino))
				error = force_closed(c, &c->fds[i]);
			continue;
		}
		if (fsync(c->fds[i].fd) < 0)
			error = -errno;
		break;
	}
	if (!error && c->nfds)
		c->forces++;
	c->nfds = 0;
	return error;
}
