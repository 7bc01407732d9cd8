// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * paths.c - names for inodes found by bulkstat (--paths, --refresh-paths).
 *
 * An inode does not know its name (this XFS has no parent pointers), so
 * the names come from a walk of the directory tree that reads directories
 * only: readdir gives each entry's inode number and type, so no file inode
 * is read, and the walk stops as soon as every wanted inode has the names
 * it wants: its first name met for --paths, as many names as it had links
 * when bulkstat saw it for --refresh-paths.  It stays on the scanned
 * filesystem and never follows symlinks.  A file with no name (unlinked
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

/* A wanted inode: how many names it wants, and those found. */
struct wanted_ino {
	uint64_t	ino;		/* first: sorted with cmp_u64 */
	uint32_t	want;
	struct vec	names;		/* char * */
};

struct walk {
	struct wanted_ino *inos;
	size_t		n;
	size_t		left;		/* wanted inodes short of names */
	dev_t		dev;
	struct vec	stack;		/* char *: directories to read */
};

/* Index of @ino in the wanted set, or -1. */
static ssize_t
wanted(
	const struct walk	*w,
	uint64_t		ino)
{
	const struct wanted_ino	*wi;

	/* cmp_u64 compares the first u64 of each: the key and an ino */
	wi = w->n ? bsearch(&ino, w->inos, w->n, sizeof(*w->inos), cmp_u64) :
		    NULL;
	return wi ? wi - w->inos : -1;
}

/* @path (taken) is a name of wanted inode @i. */
static void
found(
	struct walk		*w,
	ssize_t			i,
	char			*path)
{
	struct wanted_ino	*wi = &w->inos[i];

	if (wi->names.nr >= wi->want) {
		free(path);
		return;
	}
	*(char **)vec_push(&wi->names) = path;
	if (wi->names.nr == wi->want)
		w->left--;
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
		if (i >= 0)
			found(w, i, join(path, de->d_name));
		if (dir)
			*(char **)vec_push(&w->stack) = join(path, de->d_name);
	}
	closedir(d);
}

/* The wanted inodes, then sorted, unique, and with their names. */
static struct vec	want = { .size = sizeof(struct wanted_ino) };
static bool		resolved;

static void
want_names(
	uint64_t		ino,
	uint32_t		n)
{
	struct wanted_ino	*wi = vec_push(&want);

	memset(wi, 0, sizeof(*wi));
	wi->ino = ino;
	wi->want = n ? n : 1;
	vec_init(&wi->names, sizeof(char *));
}

void
paths_want(
	uint64_t	ino)
{
	want_names(ino, 1);
}

void
paths_want_all(
	uint64_t	ino,
	uint32_t	nlink)
{
	want_names(ino, nlink);
}

void
paths_resolve(
	const char		*mnt)
{
	struct wanted_ino	*inos = want.items;
	struct walk		w;
	struct stat		st;
	size_t			i, n = 0;
	ssize_t			r;
	char			*dir;

	/* sorted and unique (wanting the most names asked), for lookups */
	qsort(want.items, want.nr, want.size, cmp_u64);
	for (i = 0; i < want.nr; i++) {
		if (n && inos[i].ino == inos[n - 1].ino) {
			if (inos[i].want > inos[n - 1].want)
				inos[n - 1].want = inos[i].want;
			continue;
		}
		inos[n++] = inos[i];
	}
	want.nr = n;
	resolved = true;
	if (!n || stat(mnt, &st) < 0)
		return;
	memset(&w, 0, sizeof(w));
	w.inos = inos;
	w.n = w.left = n;
	w.dev = st.st_dev;
	r = wanted(&w, st.st_ino);
	if (r >= 0)
		found(&w, r, strdup(mnt));
	vec_init(&w.stack, sizeof(char *));
	*(char **)vec_push(&w.stack) = strdup(mnt);
	while (w.stack.nr) {
		dir = *VEC_AT(&w.stack, char *, --w.stack.nr);
		if (dir && w.left)
			read_dir(&w, dir);
		free(dir);
	}
	while (w.stack.nr)
		free(*VEC_AT(&w.stack, char *, --w.stack.nr));
	vec_free(&w.stack);
}

size_t
paths_lookup_all(
	uint64_t		ino,
	char			***names)
{
	struct walk		w = { .inos = want.items, .n = want.nr };
	ssize_t			i;

	*names = NULL;
	if (!resolved)
		return 0;
	i = wanted(&w, ino);
	if (i < 0)
		return 0;
	*names = w.inos[i].names.items;
	return w.inos[i].names.nr;
}

const char *
paths_lookup(
	uint64_t	ino)
{
	char		**names;

	return paths_lookup_all(ino, &names) ? names[0] : NULL;
}

void
paths_free(void)
{
	struct wanted_ino *inos = want.items;
	size_t		i, k;

	for (i = 0; i < want.nr; i++) {
		for (k = 0; k < inos[i].names.nr; k++)
			free(*VEC_AT(&inos[i].names, char *, k));
		vec_free(&inos[i].names);
	}
	vec_free(&want);
	resolved = false;
}
