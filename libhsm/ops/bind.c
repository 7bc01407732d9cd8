// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * bind.c - xfs_hsm init: bind a store to a filesystem, once.
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
#include "ops/opsP.h"

/*
 * "posix:DIR" with DIR made absolute and canonical (*@dirp: DIR); any
 * other kind as given (*@dirp NULL): opening the store checks it.
 */
static int
canonical_spec(
	const char	*spec,
	char		*out,
	size_t		size,
	char		**dirp)
{
	const char	*colon = strchr(spec, ':');
	char		*dir;

	*dirp = NULL;
	if (!colon || colon == spec || !colon[1])
		return -EPROTONOSUPPORT;
	if (strncmp(spec, "posix:", 6)) {
		if ((size_t)snprintf(out, size, "%s", spec) >= size)
			return -ENAMETOOLONG;
		return 0;
	}
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
	/* a new binding: everything written from now on is v2 */
	struct hsm_binding	b = { .store_id = 1, .records_v2 = true };
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
	if (dir && stat(dir, &st) < 0) {
		error = -errno;
		goto out;
	}
	if (dir && !S_ISDIR(st.st_mode)) {
		error = -ENOTDIR;
		goto out;
	}
	if (dir && st.st_dev == fs->dev) {
		error = -ELOOP;			/* store inside the fs */
		goto out;
	}
	if (fs->store_spec) {
		error = strcmp(fs->store_spec, b.spec) ? -EEXIST : 1;
		goto out;
	}
	if (dir && access(dir, W_OK | X_OK) < 0) {
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
	error = hsm_dur_fs_note(fs, HSM_XATTR_FS, val, n);
out:
	hsm_store_close(store);
	hsm_fs_free(fs);
	free(real);
	free(dir);
	return error;
}
