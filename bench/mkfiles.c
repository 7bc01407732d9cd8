// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * mkfiles.c - make the scan benchmark's file set fast: N empty files in D
 * directories, created with openat and tagged with fsetxattr, no shell.
 *
 *   mkfiles [-F] DIR NFILES NDIRS TAG_PERMILLE OTHER_PERMILLE
 *
 * Every file whose index is a multiple of 1000/TAG_PERMILLE gets a valid
 * trusted.hsm record (alternately archived and released, no store behind
 * it), every 1000/OTHER_PERMILLE-th (offset by one) an unrelated
 * user.bench xattr.  With -F, each untagged file gets an xattr set and
 * removed again, which drops the empty attribute fork this kernel gives
 * every new inode: the shape of a filesystem whose kernel does not, so the
 * benchmark can show what skipping fork-less inodes buys.
 * Prints "tagged N other M files F" on stdout.
 */
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <hsm.h>

static void
die(
	const char	*what)
{
	fprintf(stderr, "mkfiles: %s: %s\n", what, strerror(errno));
	exit(1);
}

/* A valid record for the empty file @fd: archived, or also released. */
static void
tag(
	int			fd,
	unsigned long		i)
{
	struct hsm_record	rec;
	struct stat		st;
	uint8_t			buf[HSM_RECORD_SIZE];

	if (fstat(fd, &st) < 0)
		die("fstat");
	memset(&rec, 0, sizeof(rec));
	rec.flags = HSM_F_ARCHIVED | ((i / 1000) % 2 ? HSM_F_RELEASED : 0);
	rec.copy[0].store_id = 1;
	rec.copy[0].state = HSM_COPY_DURABLE;
	memcpy(rec.copy[0].oid, &i, sizeof(i));
	rec.copy[0].oid[15] = 0xbe;
	rec.copy_version = 1;
	rec.mtime_sec = st.st_mtim.tv_sec;
	rec.mtime_nsec = st.st_mtim.tv_nsec;
	if (hsm_record_encode(&rec, buf)) {
		errno = EINVAL;
		die("record");
	}
	if (fsetxattr(fd, HSM_XATTR_RECORD, buf, sizeof(buf), 0) < 0)
		die("fsetxattr trusted.hsm");
}

int
main(
	int		argc,
	char		**argv)
{
	unsigned long	nfiles, ndirs, tagp, otherp, i, tagged = 0, other = 0;
	unsigned long	tag_every, other_every;
	bool		forkless = false;
	char		name[64];
	int		top, *dirs, fd, c;

	while ((c = getopt(argc, argv, "F")) != -1) {
		if (c != 'F')
			return 8;
		forkless = true;
	}
	if (argc - optind != 5) {
		fprintf(stderr, "usage: mkfiles [-F] DIR NFILES NDIRS "
			"TAG_PERMILLE OTHER_PERMILLE\n");
		return 8;
	}
	nfiles = strtoul(argv[optind + 1], NULL, 10);
	ndirs = strtoul(argv[optind + 2], NULL, 10);
	tagp = strtoul(argv[optind + 3], NULL, 10);
	otherp = strtoul(argv[optind + 4], NULL, 10);
	if (!ndirs || !tagp || !otherp || tagp > 1000 || otherp > 1000)
		return 8;
	tag_every = 1000 / tagp;
	other_every = 1000 / otherp;
	top = open(argv[optind], O_RDONLY | O_DIRECTORY);
	if (top < 0)
		die(argv[optind]);
	dirs = calloc(ndirs, sizeof(*dirs));
	if (!dirs)
		die("calloc");
	for (i = 0; i < ndirs; i++) {
		snprintf(name, sizeof(name), "d%05lu", i);
		if (mkdirat(top, name, 0755) < 0 && errno != EEXIST)
			die(name);
		dirs[i] = openat(top, name, O_RDONLY | O_DIRECTORY);
		if (dirs[i] < 0)
			die(name);
	}
	for (i = 0; i < nfiles; i++) {
		snprintf(name, sizeof(name), "f%08lu", i);
		fd = openat(dirs[i % ndirs], name,
			    O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0644);
		if (fd < 0)
			die(name);
		if (i % tag_every == 0) {
			tag(fd, i);
			tagged++;
		} else if (i % other_every == 1) {
			if (fsetxattr(fd, "user.bench", "x", 1, 0) < 0)
				die("fsetxattr user.bench");
			other++;
		} else if (forkless) {
			if (fsetxattr(fd, "user.tmp", "x", 1, 0) < 0 ||
			    fremovexattr(fd, "user.tmp") < 0)
				die("user.tmp");
		}
		close(fd);
	}
	printf("tagged %lu other %lu files %lu\n", tagged, other, nfiles);
	return 0;
}
