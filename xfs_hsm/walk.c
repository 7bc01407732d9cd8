// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * walk.c - turn command-line paths into regular files, each inode once.
 *
 * Named paths that are not regular files are errors; inside a recursive
 * walk, symlinks (never followed), devices, fifos and sockets are skipped.
 * The walk stays on the filesystem it starts on.  Hard links met in a
 * walk are handled once per run (a set of (dev, ino) for files with more
 * than one link); a name given on the command line is always handled.
 */
#define _XOPEN_SOURCE 700
#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <search.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "xfs_hsm.h"

struct inode_key {
	dev_t		dev;
	ino_t		ino;
};

static void		*seen;		/* tsearch tree of inode_key */
static walk_fn		cur_fn;
static void		*cur_arg;
static const char	*cur_verb;
static unsigned long	refused;

static int
key_cmp(
	const void		*a,
	const void		*b)
{
	const struct inode_key	*x = a, *y = b;

	if (x->dev != y->dev)
		return x->dev < y->dev ? -1 : 1;
	if (x->ino != y->ino)
		return x->ino < y->ino ? -1 : 1;
	return 0;
}

/* True the first time an inode with several links is met. */
static bool
first_visit(
	const struct stat	*st)
{
	struct inode_key	*k, **found;

	if (st->st_nlink < 2)
		return true;
	k = malloc(sizeof(*k));
	if (!k)
		return true;
	k->dev = st->st_dev;
	k->ino = st->st_ino;
	found = tsearch(k, &seen, key_cmp);
	if (!found || *found != k) {
		free(k);
		return false;
	}
	return true;
}

static int
visit(
	const char		*path,
	const struct stat	*st,
	int			type,
	struct FTW		*ftw)
{
	struct stat		again;
	DIR			*d;
	int			error;

	if (type == FTW_DNR || type == FTW_NS) {
		/* ask again what went wrong: nftw does not keep errno */
		if (lstat(path, &again) < 0) {
			error = -errno;
		} else if (type == FTW_DNR && !(d = opendir(path))) {
			error = -errno;
		} else {
			if (type == FTW_DNR)
				closedir(d);
			error = -EAGAIN;	/* it is there now */
		}
		if (error == -ENOENT) {
			/* removed or renamed during the walk: not an error */
			if (verbose)
				printf("%s: gone (renamed or removed during "
				       "the walk)\n", path);
			return 0;
		}
		report_file_error(cur_verb, path, NULL, error);
		refused++;
		return 0;
	}
	if (type == FTW_F && S_ISREG(st->st_mode) && first_visit(st))
		cur_fn(path, st, false, cur_arg);
	return 0;
}

unsigned long
walk_paths(
	const char	*verb,
	char		**paths,
	int		npaths,
	bool		recursive,
	walk_fn		fn,
	void		*arg)
{
	struct stat	st;
	int		i;

	cur_fn = fn;
	cur_arg = arg;
	cur_verb = verb;
	refused = 0;
	for (i = 0; i < npaths; i++) {
		if (lstat(paths[i], &st) < 0) {
			report_file_error(verb, paths[i], NULL, -errno);
			refused++;
			continue;
		}
		/* a path off XFS is an operational error, whatever it is */
		if (!fs_for_path(paths[i], false)) {
			refused++;
			continue;
		}
		if (S_ISDIR(st.st_mode)) {
			if (!recursive) {
				report_file_error(verb, paths[i], NULL, -EISDIR);
				refused++;
				continue;
			}
			if (nftw(paths[i], visit, 64, FTW_PHYS | FTW_MOUNT) < 0) {
				report_file_error(verb, paths[i], NULL, -errno);
				refused++;
			}
			continue;
		}
		if (!S_ISREG(st.st_mode)) {
			report_file_error(verb, paths[i], NULL, -EINVAL);
			refused++;
			continue;
		}
		first_visit(&st);	/* so a walk does not do it again */
		fn(paths[i], &st, true, arg);
	}
	tdestroy(seen, free);
	seen = NULL;
	return refused;
}
