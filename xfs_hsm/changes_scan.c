// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * changes_scan.c - xfs_hsm changes when the journal cannot vouch for a
 * period: what changed since a time, found the slow way.
 *
 * bulkstat reads every inode and keeps those whose ctime is at or after
 * the time (xfs_hsmscan --changed-since does the same).  A changed
 * directory is one of the answers.  A changed file is not: its directory
 * is, and an inode does not know its directory (this XFS has no parent
 * pointers), so one walk that reads directories only (readdir gives each
 * entry's inode number) finds the directories that hold a changed inode.
 * What it cannot do: name an entry that is gone (its directory's ctime
 * changed when it went, so that directory is found), or find a file with
 * no name (unlinked but open).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include "changes.h"

struct inoset {
	uint64_t	*ino;
	size_t		n, cap;
};

static int
inoset_add(
	struct inoset	*s,
	uint64_t	ino)
{
	uint64_t	*n;

	if (s->n == s->cap) {
		n = realloc(s->ino, (s->cap ? s->cap * 2 : 256) * sizeof(*n));
		if (!n)
			return -ENOMEM;
		s->ino = n;
		s->cap = s->cap ? s->cap * 2 : 256;
	}
	s->ino[s->n++] = ino;
	return 0;
}

static int
cmp_ino(
	const void	*a,
	const void	*b)
{
	uint64_t	x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static bool
inoset_has(
	const struct inoset	*s,
	uint64_t		ino)
{
	/* bulkstat reports in ascending inode order: sorted already */
	return s->n && bsearch(&ino, s->ino, s->n, sizeof(*s->ino), cmp_ino);
}

/* The changed inodes: directories in @dirs, the others in @files. */
static int
ctime_scan(
	struct hsm_fs		*fs,
	int64_t			since_ns,
	struct inoset		*dirs,
	struct inoset		*files)
{
	struct hsm_bulkstat	*bs;
	struct hsm_inode	in;
	int			error;

	error = hsm_bulkstat_open(fs, HSM_BULKSTAT_ALL_AGS, 0, 0, &bs);
	if (error)
		return error;
	while ((error = hsm_bulkstat_next(bs, &in)) == 0) {
		if (in.ctime_sec * 1000000000LL + in.ctime_nsec < since_ns)
			continue;
		error = S_ISDIR(in.mode) ? inoset_add(dirs, in.ino) :
					    inoset_add(files, in.ino);
		if (error)
			break;
	}
	hsm_bulkstat_free(bs);
	return error > 0 ? 0 : error;
}

/* Read directory @path: note it if it holds a changed entry, and push
 * its subdirectories on @stack. */
static int
walk_one(
	const char		*top,
	dev_t			dev,
	const char		*path,
	const struct inoset	*dirs,
	const struct inoset	*files,
	struct pathset		*stack,
	struct pathset		*out)
{
	char			sub[PATH_MAX];
	struct dirent		*d;
	struct stat		st;
	bool			hit = false;
	DIR			*dir;
	int			fd, error = 0;

	fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return 0;		/* gone since: its parent changed */
	if (fstat(fd, &st) < 0 || st.st_dev != dev) {
		close(fd);
		return 0;		/* another filesystem mounted here */
	}
	hit = inoset_has(dirs, st.st_ino);
	dir = fdopendir(fd);
	if (!dir) {
		close(fd);
		return -errno;
	}
	while ((d = readdir(dir)) != NULL) {
		if (!strcmp(d->d_name, ".") || !strcmp(d->d_name, ".."))
			continue;
		if (d->d_type == DT_DIR) {
			if (snprintf(sub, sizeof(sub), "%s/%s",
				     strcmp(path, "/") ? path : "",
				     d->d_name) < (int)sizeof(sub))
				error = pathset_add(stack, sub);
		} else if (!hit && inoset_has(files, d->d_ino)) {
			hit = true;
		}
		if (error)
			break;
	}
	closedir(dir);
	if (!error && hit)
		error = pathset_add_with_parents(out, path, top);
	return error;
}

int
changes_scan(
	struct hsm_fs		*fs,
	int64_t			since_ns,
	struct pathset		*out,
	uint64_t		*inodes)
{
	const char		*top = hsm_fs_mountpoint(fs);
	struct inoset		dirs = { 0 }, files = { 0 };
	struct pathset		stack = { 0 };
	struct stat		st;
	char			*path;
	int			error;

	error = ctime_scan(fs, since_ns, &dirs, &files);
	if (error)
		goto out_free;
	*inodes = dirs.n + files.n;
	if (!dirs.n && !files.n)
		goto out_free;
	if (stat(top, &st) < 0) {
		error = -errno;
		goto out_free;
	}
	error = pathset_add(&stack, top);
	while (!error && stack.n) {
		path = stack.path[--stack.n];
		error = walk_one(top, st.st_dev, path, &dirs, &files, &stack,
				 out);
		free(path);
	}
out_free:
	pathset_free(&stack);
	free(dirs.ino);
	free(files.ino);
	return error;
}
