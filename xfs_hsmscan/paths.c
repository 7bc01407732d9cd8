// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * paths.c - names for inodes found by bulkstat (--paths).
 *
 * An inode does not know its name (this XFS has no parent pointers), so
 * the names come from a walk of the directory tree that reads directories
 * only: readdir gives each entry's inode number and type, so no file inode
 * is read, and the walk stops as soon as every wanted inode has a name.
 * It stays on the scanned filesystem and never follows symlinks.  A file
 * with several links gets the first name met; one with none (unlinked
 * but open, O_TMPFILE) gets none.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include "xfs_hsmscan.h"

struct walk {
	const uint64_t	*inos;
	const char	**names;
	size_t		n;
	size_t		left;		/* wanted inodes without a name */
	dev_t		dev;
	struct vec	stack;		/* char *: directories to read */
};

/* Index of @ino in the wanted set, or -1. */
static ssize_t
wanted(
	const struct walk	*w,
	uint64_t		ino)
{
	size_t			i = lower_bound_u64(w->inos, w->n, ino);

	return i < w->n && w->inos[i] == ino ? (ssize_t)i : -1;
}

static char *
join(
	const char	*dir,
	const char	*name)
{
	char		*p;

	if (asprintf(&p, "%s%s%s", dir, strcmp(dir, "/") ? "/" : "",
		     name) < 0)
		nomem();
	return p;
}

/* Read directory @path: name what is wanted, queue subdirectories. */
static void
read_dir(
	struct walk	*w,
	const char	*path)
{
	struct dirent	*de;
	struct stat	st;
	DIR		*d;
	ssize_t		i;
	int		fd;

	fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return;
	/* another filesystem mounted below: not ours */
	if (fstat(fd, &st) < 0 || st.st_dev != w->dev) {
		close(fd);
		return;
	}
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return;
	}
	while (w->left && (de = readdir(d))) {
		bool dir = de->d_type == DT_DIR;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (de->d_type == DT_UNKNOWN &&
		    fstatat(dirfd(d), de->d_name, &st,
			    AT_SYMLINK_NOFOLLOW) == 0)
			dir = S_ISDIR(st.st_mode);
		i = wanted(w, de->d_ino);
		if (i >= 0 && !w->names[i]) {
			w->names[i] = join(path, de->d_name);
			w->left--;
		}
		if (dir)
			*(char **)vec_push(&w->stack) = join(path, de->d_name);
	}
	closedir(d);
}

/* The wanted inodes and, once resolved, their names (same order). */
static struct vec	want = { .size = sizeof(uint64_t) };
static const char	**names;

void
paths_want(
	uint64_t	ino)
{
	*(uint64_t *)vec_push(&want) = ino;
}

void
paths_resolve(
	const char	*mnt)
{
	struct walk	w;
	struct stat	st;
	uint64_t	*inos = want.items;
	size_t		i, n = 0;
	ssize_t		r;
	char		*dir;

	/* sorted and unique, for the lookups */
	qsort(want.items, want.nr, want.size, cmp_u64);
	for (i = 0; i < want.nr; i++)
		if (!n || inos[i] != inos[n - 1])
			inos[n++] = inos[i];
	want.nr = n;
	names = calloc(n ? n : 1, sizeof(*names));
	if (!names)
		nomem();
	if (!n || stat(mnt, &st) < 0)
		return;
	memset(&w, 0, sizeof(w));
	w.inos = inos;
	w.names = names;
	w.n = w.left = n;
	w.dev = st.st_dev;
	r = wanted(&w, st.st_ino);
	if (r >= 0) {
		names[r] = strdup(mnt);
		w.left--;
	}
	vec_init(&w.stack, sizeof(char *));
	*(char **)vec_push(&w.stack) = strdup(mnt);
	while (w.stack.nr) {
		dir = *VEC_AT(&w.stack, char *, --w.stack.nr);
		if (dir && w.left)
			read_dir(&w, dir);
		free(dir);
	}
	vec_free(&w.stack);
}

const char *
paths_lookup(
	uint64_t	ino)
{
	struct walk	w = { .inos = want.items, .n = want.nr };
	ssize_t		i;

	if (!names)
		return NULL;
	i = wanted(&w, ino);
	return i >= 0 ? names[i] : NULL;
}

void
paths_free(void)
{
	size_t		i;

	if (names)
		for (i = 0; i < want.nr; i++)
			free((char *)names[i]);
	free(names);
	names = NULL;
	vec_free(&want);
}
