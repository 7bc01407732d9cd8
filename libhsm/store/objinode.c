// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * objinode.c - what an object's metadata keeps of its file's inode, so a
 * lost filesystem can be rebuilt from the store: mode, owner, times,
 * project id, link count, and every extended attribute but the HSM's own
 * (trusted.hsm*, which name objects of this filesystem).  POSIX ACLs are
 * the system.posix_acl_* attributes, kept as the kernel gives them; XFS
 * shows the same ACLs again as trusted.SGI_ACL_*, which are left out.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/xattr.h>
#include <linux/fs.h>
#include "store/store.h"

/* Add the value of xattr @name of @fd to @m (gone since listed: none). */
static int
add_one(
	struct hsm_objmeta	*m,
	int			fd,
	const char		*name,
	char			*buf)
{
	ssize_t			n;

	n = fgetxattr(fd, name, buf, HSM_OBJXATTR_VALUE_MAX);
	if (n < 0)
		return errno == ENODATA ? 0 : -errno;
	return hsm_objmeta_add_xattr(m, name, buf, n);
}

/* The names of @fd's xattrs into @small, or a buffer of their size in
 * *@big: the list's length, or -errno. */
static ssize_t
list_names(
	int			fd,
	char			*small,
	size_t			smallsz,
	char			**big)
{
	ssize_t			n;

	/* most files have a few short names: one call */
	n = flistxattr(fd, small, smallsz);
	if (n >= 0 || errno != ERANGE)
		return n < 0 ? -errno : n;
	/* the list may grow between the two calls: ERANGE, try again */
	for (;;) {
		n = flistxattr(fd, NULL, 0);
		if (n < 0)
			return -errno;
		free(*big);
		*big = malloc(n ? n : 1);
		if (!*big)
			return -ENOMEM;
		n = flistxattr(fd, *big, n);
		if (n >= 0)
			return n;
		if (errno != ERANGE)
			return -errno;
	}
}

int
hsm_objmeta_read_inode(
	struct hsm_objmeta	*m,
	int			fd,
	const struct stat	*st)
{
	struct fsxattr		fsx;
	char			small[1024];
	char			*big = NULL, *names, *buf = NULL, *p;
	ssize_t			n;
	int			error = 0;

	m->mode = st->st_mode;
	m->uid = st->st_uid;
	m->gid = st->st_gid;
	m->nlink = st->st_nlink;
	m->atime_sec = st->st_atim.tv_sec;
	m->atime_nsec = st->st_atim.tv_nsec;
	m->ctime_sec = st->st_ctim.tv_sec;
	m->ctime_nsec = st->st_ctim.tv_nsec;
	if (ioctl(fd, FS_IOC_FSGETXATTR, &fsx) == 0)
		m->projid = fsx.fsx_projid;
	m->has_inode = true;

	n = list_names(fd, small, sizeof(small), &big);
	if (n < 0) {
		free(big);
		return n;
	}
	names = big ? big : small;
	for (p = names; p < names + n && !error; p += strlen(p) + 1) {
		if (!strncmp(p, "trusted.hsm", 11) ||
		    !strncmp(p, "trusted.SGI_ACL_", 16))
			continue;
		if (!buf && !(buf = malloc(HSM_OBJXATTR_VALUE_MAX)))
			error = -ENOMEM;
		else
			error = add_one(m, fd, p, buf);
	}
	free(buf);
	free(big);
	return error;
}
