// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * fscache.c - one struct hsm_fs per device, opened on first use; a
 * filesystem that cannot be used is reported once, not once per file.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "xfs_hsm.h"

struct fs_entry {
	dev_t		dev;
	struct hsm_fs	*fs;		/* NULL: unusable, already reported */
	bool		store_ok;
	bool		store_tried;
	struct fs_entry	*next;
};

static struct fs_entry *fs_list;

static struct fs_entry *
lookup(
	dev_t		dev)
{
	struct fs_entry	*e;

	for (e = fs_list; e; e = e->next)
		if (e->dev == dev)
			return e;
	return NULL;
}

struct hsm_fs *
fs_for_path(
	const char	*path,
	bool		need_store)
{
	struct stat	st;

	if (lstat(path, &st) < 0)
		return NULL;	/* the caller reports the file itself */
	return fs_for_stat(path, &st, need_store);
}

struct hsm_fs *
fs_for_stat(
	const char		*path,
	const struct stat	*st,
	bool			need_store)
{
	struct fs_entry		*e;
	int			error;

	e = lookup(st->st_dev);
	if (!e) {
		e = calloc(1, sizeof(*e));
		if (!e) {
			fprintf(stderr, "%s: out of memory\n", PROGNAME);
			exit(HSM_EX_OPERATIONAL);
		}
		e->dev = st->st_dev;
		e->next = fs_list;
		fs_list = e;
		error = hsm_fs_open(path, 0, &e->fs);
		if (error == -ENOTTY) {
			fprintf(stderr, "%s: '%s' is not on an XFS filesystem\n",
				PROGNAME, path);
		} else if (error == -EUCLEAN) {
			fprintf(stderr, "%s: '%s': corrupt store binding "
				"(%s on the root directory)\n", PROGNAME, path,
				HSM_XATTR_FS);
		} else if (error) {
			fprintf(stderr, "%s: '%s': %s\n", PROGNAME, path,
				strerror(-error));
		}
		if (error) {
			e->fs = NULL;
			exitcode |= HSM_EX_OPERATIONAL;
		}
	}
	if (!e->fs || !need_store)
		return e->fs;
	if (!e->store_tried) {
		e->store_tried = true;
		error = hsm_fs_open_store(e->fs);
		if (error == -ENODATA) {
			fprintf(stderr, "%s: '%s' has no store bound: run "
				"'%s init --store posix:DIR %s'\n", PROGNAME,
				hsm_fs_mountpoint(e->fs), PROGNAME,
				hsm_fs_mountpoint(e->fs));
		} else if (error == -EXDEV) {
			fprintf(stderr, "%s: store '%s' of '%s' is bound to "
				"another filesystem\n", PROGNAME,
				hsm_fs_store_spec(e->fs),
				hsm_fs_mountpoint(e->fs));
		} else if (error == -EUCLEAN) {
			fprintf(stderr, "%s: store '%s' of '%s' is damaged\n",
				PROGNAME, hsm_fs_store_spec(e->fs),
				hsm_fs_mountpoint(e->fs));
		} else if (error) {
			fprintf(stderr, "%s: store '%s' of '%s': %s\n",
				PROGNAME, hsm_fs_store_spec(e->fs),
				hsm_fs_mountpoint(e->fs), strerror(-error));
		}
		if (error)
			exitcode |= HSM_EX_OPERATIONAL;
		e->store_ok = !error;
	}
	return e->store_ok ? e->fs : NULL;
}

void
fs_cache_free(void)
{
	struct fs_entry	*e, *next;

	for (e = fs_list; e; e = next) {
		next = e->next;
		hsm_fs_free(e->fs);
		free(e);
	}
	fs_list = NULL;
}

const char *
file_error_reason(
	struct hsm_fs	*fs,
	int		error)
{
	const char	*detail = fs ? hsm_fs_errdetail(fs) : NULL;

	if (detail)
		return detail;
	switch (error) {
	case -EISDIR:
		return "is a directory (use -r)";
	case -EINVAL:
		return "not a regular file";
	case -EXDEV:
		return "not on the filesystem of the other paths";
	case -ESTALE:
		return "file changed during the operation";
	default:
		return hsm_strerror(fs, error);
	}
}

void
report_file_error(
	const char	*verb,
	const char	*path,
	struct hsm_fs	*fs,
	int		error)
{
	fprintf(stderr, "%s: cannot %s '%s': %s\n", PROGNAME, verb, path,
		file_error_reason(fs, error));
	exitcode |= HSM_EX_PROBLEMS;
}

struct hsm_fs *
fs_named(
	const char	*path,
	bool		need_store)
{
	struct stat	st;

	if (lstat(path, &st) < 0) {
		fprintf(stderr, "%s: cannot access '%s': %s\n", PROGNAME, path,
			strerror(errno));
		exitcode |= HSM_EX_OPERATIONAL;
		return NULL;
	}
	return fs_for_path(path, need_store);
}
