// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * jgroup.c - the change journal's fanotify group: made, handed back,
 * and its ignore marks (the kernel's half of the fast path).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include "journal/journalP.h"
#include "server/fanotify_compat.h"


/* fanotify_mark the filesystem of @fs on @fd for the journal's events. */
static int
group_mark(
	struct hsm_fs	*fs,
	int		fd)
{
	if (fanotify_mark(fd, FAN_MARK_ADD | FAN_MARK_FILESYSTEM, JW_MASK,
			  AT_FDCWD, fs->mnt) < 0)
		return errno == EINVAL ? -EOPNOTSUPP : -errno;
	return 0;
}

HSM_EXPORT int
hsm_journal_group(
	struct hsm_fs	*fs,
	int		*fdp)
{
	int		fd, error;

	/*
	 * A notification group: it blocks nobody.  The default queue limit
	 * stays: an overflow is reported, and becomes a gap (never a silent
	 * loss), where an unlimited queue would grow without bound while no
	 * daemon reads it.
	 */
	fd = fanotify_init(FAN_CLASS_NOTIF | FAN_CLOEXEC | FAN_NONBLOCK |
			   FAN_REPORT_DFID_NAME | FAN_REPORT_FID,
			   O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == EINVAL ? -EOPNOTSUPP : -errno;
	error = group_mark(fs, fd);
	if (error) {
		close(fd);
		return error;
	}
	*fdp = fd;
	return 0;
}

/* Whether group @fd has a filesystem mark on @dev (its fdinfo). */
static bool
group_has_mark(
	int		fd,
	dev_t		dev)
{
	char		path[64], line[256], want[32];
	FILE		*f;
	bool		found = false;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	/* the kernel prints the superblock's s_dev as it holds it:
	 * MKDEV(), major << 20 | minor, not st_dev's encoding */
	snprintf(want, sizeof(want), "sdev:%x ",
		 (unsigned)((major(dev) << 20) | minor(dev)));
	f = fopen(path, "re");
	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f))
		found = strstr(line, "fanotify ") && strstr(line, want);
	fclose(f);
	return found;
}

HSM_EXPORT int
hsm_journal_group_adopt(
	struct hsm_fs	*fs,
	int		fd)
{
	bool		had = group_has_mark(fd, fs->dev);
	int		error;

	/* adding again is harmless, and a remount needs it */
	error = group_mark(fs, fd);
	if (error)
		return error == -EOPNOTSUPP ? -EBADF : error;
	return had ? 0 : 1;
}

/*
 * The kernel's half of the fast path: an ignore mark on a directory of
 * the epoch (with FAN_EVENT_ON_CHILD: its entries' events too) stops its
 * events before they are even queued.  Only a directory whose MARK is in
 * the set gets one, and a checkpoint removes them all before it drains,
 * so no event a new epoch needs is ever ignored.  Evictable: the kernel
 * may drop it with the inode, and the events come back to the set.  A
 * failure (too many marks) only costs events.
 */
void
jw_ignore_dir(
	struct hsm_journal	*j,
	int			fd)
{
	char			path[64];

	if (j->closing)
		return;
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	fanotify_mark(j->group_fd, FAN_MARK_ADD | FAN_MARK_IGNORE_SURV |
		      FAN_MARK_EVICTABLE, JW_MASK | FAN_EVENT_ON_CHILD,
		      AT_FDCWD, path);
}

/* Remove every ignore mark (the group's inode marks; its filesystem mark
 * stays). */
void
jw_unignore_all(
	struct hsm_journal	*j)
{
	if (fanotify_mark(j->group_fd, FAN_MARK_FLUSH, 0, AT_FDCWD, NULL) < 0)
		jw_log(j, LOG_WARNING, "cannot remove the change journal's "
		     "ignore marks: %s", strerror(errno));
}
