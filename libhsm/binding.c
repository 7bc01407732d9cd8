// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * binding.c - which store serves a filesystem: trusted.hsm.fs on its root.
 *
 * The value is text, so an administrator can read it with getfattr:
 *   "xfs-hsm-binding 1\nstore_id 1\nstore posix:/abs/dir\n"
 * The store keeps the filesystem UUID in its own marker, so the pair is
 * checked from both sides.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include "hsmP.h"

#define BINDING_MAGIC "xfs-hsm-binding 1\n"

int
hsm_binding_format(
	const struct hsm_binding *b,
	char			*buf,
	size_t			size)
{
	int			n;

	if (!b->spec[0] || strchr(b->spec, '\n') || !b->store_id)
		return -EINVAL;
	n = snprintf(buf, size, BINDING_MAGIC "store_id %u\nstore %s\n",
			b->store_id, b->spec);
	if (n < 0 || (size_t)n >= size)
		return -ENAMETOOLONG;
	return n;
}

int
hsm_binding_parse(
	const char		*buf,
	size_t			len,
	struct hsm_binding	*b)
{
	const size_t		mlen = sizeof(BINDING_MAGIC) - 1;
	char			text[sizeof(b->spec) + 64];
	char			*line, *save = NULL;
	bool			have_id = false, have_store = false;

	if (len < mlen || len >= sizeof(text) || memcmp(buf, BINDING_MAGIC, mlen))
		return -EUCLEAN;
	if (memchr(buf, '\0', len) || buf[len - 1] != '\n' ||
	    memmem(buf, len, "\n\n", 2))
		return -EUCLEAN;		/* NUL, no final newline, blank line */
	memcpy(text, buf + mlen, len - mlen);
	text[len - mlen] = '\0';
	memset(b, 0, sizeof(*b));
	for (line = strtok_r(text, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		if (!strncmp(line, "store_id ", 9) && !have_id) {
			char *end;
			unsigned long v = strtoul(line + 9, &end, 10);

			if (line[9] < '1' || line[9] > '9' || *end ||
			    v > UINT32_MAX)
				return -EUCLEAN;
			b->store_id = v;
			have_id = true;
		} else if (!strncmp(line, "store ", 6) && !have_store) {
			if (strlen(line + 6) >= sizeof(b->spec) || !line[6])
				return -EUCLEAN;
			strcpy(b->spec, line + 6);
			have_store = true;
		} else {
			return -EUCLEAN;
		}
	}
	return have_id && have_store ? 0 : -EUCLEAN;
}

/* "posix:DIR" with DIR made absolute and canonical. */
static int
canonical_spec(
	const char	*spec,
	char		*out,
	size_t		size,
	char		**dirp)
{
	const char	*colon = strchr(spec, ':');
	char		*dir;

	if (!colon || colon == spec || !colon[1] || strncmp(spec, "posix:", 6))
		return -EPROTONOSUPPORT;
	dir = realpath(colon + 1, NULL);
	if (!dir)
		return -errno;
	if ((size_t)snprintf(out, size, "posix:%s", dir) >= size) {
		free(dir);
		return -ENAMETOOLONG;
	}
	*dirp = dir;
	return 0;
}

HSM_EXPORT int
hsm_fs_bind(
	const char		*mnt,
	const char		*store_spec)
{
	struct hsm_binding	b = { .store_id = 1 };
	struct hsm_store	*store = NULL;
	struct hsm_fs		*fs = NULL;
	struct stat		st;
	char			val[4200];
	char			*real = NULL, *dir = NULL;
	int			error, n;

	error = hsm_fs_open(mnt, 0, &fs);
	if (error)
		return error;
	real = realpath(mnt, NULL);
	if (!real) {
		error = -errno;
		goto out;
	}
	if (strcmp(real, fs->mnt)) {
		error = -EINVAL;		/* not the mount point */
		goto out;
	}
	error = canonical_spec(store_spec, b.spec, sizeof(b.spec), &dir);
	if (error)
		goto out;
	if (stat(dir, &st) < 0) {
		error = -errno;
		goto out;
	}
	if (!S_ISDIR(st.st_mode)) {
		error = -ENOTDIR;
		goto out;
	}
	if (st.st_dev == fs->dev) {
		error = -ELOOP;			/* store inside the fs */
		goto out;
	}
	if (fs->store_spec) {
		error = strcmp(fs->store_spec, b.spec) ? -EEXIST : 1;
		goto out;
	}
	if (access(dir, W_OK | X_OK) < 0) {
		error = -errno;
		goto out;
	}
	error = hsm_store_open(b.spec, fs->uuid_str, true, &store);
	if (error)
		goto out;
	n = hsm_binding_format(&b, val, sizeof(val));
	if (n < 0) {
		error = n;
		goto out;
	}
	if (fsetxattr(fs->mntfd, HSM_XATTR_FS, val, n, 0) < 0 ||
	    fsync(fs->mntfd) < 0)
		error = -errno;
out:
	hsm_store_close(store);
	hsm_fs_free(fs);
	free(real);
	free(dir);
	return error;
}
