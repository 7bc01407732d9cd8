// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * srv_group.c - the fanotify group: creation, answers, ignore marks.
 *
 * One FAN_CLASS_PRE_CONTENT group with a filesystem mark for FAN_OPEN_PERM
 * (an open of a released file, before the opener can probe holes with
 * SEEK_DATA) and FAN_PRE_ACCESS (every read, write, mmap, truncate and
 * fallocate range).  Event fds are opened blocking: with O_NONBLOCK an
 * open that meets our own release lease fails and the kernel denies the
 * opener.  FAN_REPORT_FD_ERROR turns a failed event fd into an error in
 * the event (the kernel then denies it itself) instead of failing read().
 *
 * Our own IO goes through a private clone of the mount that the group
 * ignores (srv_private_mount), so it raises no event at all.
 */
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <sys/file.h>
#include <sys/mount.h>
#include "server/serverP.h"
#include "server/fanotify_compat.h"

#define SRV_MARK_MASK	(FAN_OPEN_PERM | FAN_PRE_ACCESS)

HSM_EXPORT int
hsm_server_group(
	struct hsm_fs	*fs,
	int		*fdp)
{
	int		fd, error;

	fd = fanotify_init(FAN_CLASS_PRE_CONTENT | FAN_CLOEXEC | FAN_NONBLOCK |
			   FAN_UNLIMITED_QUEUE | FAN_UNLIMITED_MARKS |
			   FAN_REPORT_FD_ERROR,
			   O_RDONLY | O_LARGEFILE | O_CLOEXEC);
	if (fd < 0)
		return errno == EINVAL ? -EOPNOTSUPP : -errno;
	if (fanotify_mark(fd, FAN_MARK_ADD | FAN_MARK_FILESYSTEM,
			  SRV_MARK_MASK, AT_FDCWD, fs->mnt) < 0) {
		error = errno == EINVAL ? -EOPNOTSUPP : -errno;
		close(fd);
		return error;
	}
	*fdp = fd;
	return 0;
}

HSM_EXPORT int
hsm_server_group_adopt(
	struct hsm_fs	*fs,
	int		fd)
{
	/*
	 * A group handed back by the service manager keeps its mark; add it
	 * again all the same (adding is idempotent), so that it watches the
	 * filesystem mounted here now, should it have been mounted again.
	 */
	if (fanotify_mark(fd, FAN_MARK_ADD | FAN_MARK_FILESYSTEM,
			  SRV_MARK_MASK, AT_FDCWD, fs->mnt) < 0)
		return errno == EINVAL || errno == EBADF ? -EBADF : -errno;
	return 0;
}

HSM_EXPORT int
hsm_server_lock(
	struct hsm_fs	*fs,
	int		wait,
	int		*fdp)
{
	char		path[108];
	int		fd, error;

	if (mkdir(HSM_RUNDIR, 0700) < 0 && errno != EEXIST)
		return -errno;
	hsm_fs_runpath(fs, "lock", path, sizeof(path));
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	if (flock(fd, LOCK_EX | (wait ? 0 : LOCK_NB)) < 0) {
		error = -errno;
		close(fd);
		return error;
	}
	*fdp = fd;
	return 0;
}

/*
 * Answer the event the kernel knows as @fd_number: ALLOW for 0, else deny
 * with the errno the reader will see.  Only a few are allowed; anything
 * else becomes EIO (an unknown one would fail the write and leave the
 * reader hanging).
 */
int
srv_respond(
	struct hsm_server	*s,
	int			fd_number,
	int			error)
{
	struct fanotify_response resp = { .fd = fd_number };

	switch (-error) {
	case 0:
		resp.response = FAN_ALLOW;
		break;
	case ENOSPC:
	case EDQUOT:
	case EAGAIN:
	case EBUSY:
	case EPERM:
	case ETXTBSY:
		resp.response = FAN_DENY_ERRNO(-error);
		break;
	default:
		resp.response = FAN_DENY_ERRNO(EIO);
		break;
	}
	if (write(s->group_fd, &resp, sizeof(resp)) != sizeof(resp))
		return -errno;
	return 0;
}

/*
 * Silence a resident file: no more events for it until its inode leaves
 * the cache (evictable) or we remove the mark.  SURV_MODIFY keeps the
 * mark across writes, and without it the mark is not even added to a
 * file open for writing (KERNEL-FACTS, p4b).
 */
int
srv_ignore_add(
	struct hsm_server	*s,
	int			fd)
{
	if (fanotify_mark(s->group_fd, FAN_MARK_ADD | FAN_MARK_IGNORE_SURV |
			  FAN_MARK_EVICTABLE, SRV_MARK_MASK, fd, NULL) < 0)
		return -errno;
	return 0;
}

/* Ignore only our own punch's FAN_PRE_ACCESS, not opens (release). */
int
srv_ignore_access(
	struct hsm_server	*s,
	int			fd)
{
	if (fanotify_mark(s->group_fd, FAN_MARK_ADD | FAN_MARK_IGNORE_SURV |
			  FAN_MARK_EVICTABLE, FAN_PRE_ACCESS, fd, NULL) < 0)
		return -errno;
	return 0;
}

/* Stop ignoring @mask on @fd's inode; no mark is not an error. */
int
srv_ignore_remove(
	struct hsm_server	*s,
	int			fd,
	uint64_t		mask)
{
	if (fanotify_mark(s->group_fd, FAN_MARK_REMOVE | FAN_MARK_IGNORE,
			  mask, fd, NULL) < 0 && errno != ENOENT)
		return -errno;
	return 0;
}

/*
 * A detached clone of the mount (open_tree OPEN_TREE_CLONE) is a mount
 * nobody else can reach: it is in no namespace, only our descriptors hold
 * it.  An ignore mark on it makes the group deaf to IO through it, while
 * the filesystem mark still sees every other mount (KERNEL-FACTS, p9).
 * Opens by handle through a directory of the clone land on it
 * (fs->iofd), so the recall's writes, punches and record writes raise no
 * event: the loop need not answer them, and may stop reading while
 * descriptors run short without stalling our own recalls.  The mark goes
 * with the clone when its last descriptor closes.
 */
int
srv_private_mount(
	struct hsm_server	*s)
{
	int			tree, dir, error;

	tree = open_tree(AT_FDCWD, s->fs->mnt,
			 OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
	if (tree < 0)
		return -errno;
	if (fanotify_mark(s->group_fd, FAN_MARK_ADD | FAN_MARK_MOUNT |
			  FAN_MARK_IGNORE_SURV, SRV_MARK_MASK, tree, ".") < 0) {
		error = -errno;
		close(tree);
		return error;
	}
	dir = openat(tree, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dir < 0) {
		error = -errno;
		close(tree);
		return error;
	}
	s->tree_fd = tree;
	s->fs->iofd = dir;
	return 0;
}

void
srv_private_mount_close(
	struct hsm_server	*s)
{
	if (s->tree_fd < 0)
		return;
	close(s->fs->iofd);
	s->fs->iofd = -1;
	close(s->tree_fd);
	s->tree_fd = -1;
}
