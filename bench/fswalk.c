// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * fswalk.c - the directory-walk baseline of the scan benchmark: what a
 * scanner without bulkstat does.  nftw(3) over the tree (physical, one
 * filesystem), lgetxattr("trusted.hsm") on every regular file, counting
 * the files that have one.
 *
 *   fswalk DIR    prints "inodes N found M seconds S"
 */
#define _XOPEN_SOURCE 700
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <time.h>
#include <sys/xattr.h>

static unsigned long long	inodes, found;

static int
visit(
	const char		*path,
	const struct stat	*st,
	int			type,
	struct FTW		*ftw)
{
	char			buf[256];

	inodes++;
	if (type == FTW_F && S_ISREG(st->st_mode) &&
	    lgetxattr(path, "trusted.hsm", buf, sizeof(buf)) >= 0)
		found++;
	return 0;
}

int
main(
	int		argc,
	char		**argv)
{
	struct timespec	t0, t1;

	if (argc != 2) {
		fprintf(stderr, "usage: fswalk DIR\n");
		return 8;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (nftw(argv[1], visit, 64, FTW_PHYS | FTW_MOUNT) < 0) {
		perror(argv[1]);
		return 4;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("inodes %llu found %llu seconds %.3f\n", inodes, found,
	       (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9);
	return 0;
}
