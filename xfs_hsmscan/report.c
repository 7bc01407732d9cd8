// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * report.c - what every part of xfs_hsmscan shares: the options of the
 * run, the exit status it builds up, the lock that keeps output lines
 * whole, and the wording of errors.  A leaf: it calls no other part, so
 * the scan, repair, audit and output depend on it, never on main.c.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include "xfs_hsmscan.h"

int exitcode;
const struct options *opts;

static pthread_mutex_t output_lock = PTHREAD_MUTEX_INITIALIZER;

void
output_lock_take(void)
{
	pthread_mutex_lock(&output_lock);
}

void
output_lock_drop(void)
{
	pthread_mutex_unlock(&output_lock);
}

void
counts_add(
	struct counts		*to,
	const struct counts	*from)
{
	int			i;

	for (i = 0; i < C_NR; i++)
		to->c[i] += from->c[i];
}

const char *
file_name(
	uint64_t	ino,
	uint32_t	gen,
	const char	*path,
	char		*buf,
	size_t		size)
{
	if (path)
		snprintf(buf, size, "'%s' (inode %llu, gen %u)", path,
			 (unsigned long long)ino, gen);
	else
		snprintf(buf, size, "inode %llu (gen %u)",
			 (unsigned long long)ino, gen);
	return buf;
}

const char *
error_reason(
	struct hsm_fs	*fs,
	int		error)
{
	/* the errors of inodes (not paths) say it their way */
	if (!(fs && hsm_fs_errdetail(fs))) {
		if (error == -ESTALE)
			return "file deleted or changed during the operation";
		if (error == -ENODATA)
			return "no store bound";
	}
	return hsm_strerror(fs, error);
}

void
report_store_error(
	struct hsm_fs	*fs,
	int		error,
	const char	*consequence)
{
	const char	*why;

	if (error == -ENODATA) {
		fprintf(stderr, "%s: '%s' has no store bound (run 'xfs_hsm "
			"init --store posix:DIR %s'), %s\n", PROGNAME,
			hsm_fs_mountpoint(fs), hsm_fs_mountpoint(fs),
			consequence);
		return;
	}
	switch (error) {
	case -ENOENT:
		why = "store directory or marker missing (not mounted?)";
		break;
	case -EXDEV:
		why = "bound to another filesystem";
		break;
	case -EUCLEAN:
		why = "damaged";
		break;
	default:
		why = strerror(-error);
		break;
	}
	fprintf(stderr, "%s: store '%s' of '%s': %s, %s\n", PROGNAME,
		hsm_fs_store_spec(fs), hsm_fs_mountpoint(fs), why, consequence);
}
