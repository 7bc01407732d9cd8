// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * bind.c - the stores of a filesystem: xfs_hsm init binds the first one,
 * xfs_hsm store adds, drains and removes the others (binding.c has the
 * format).  Every change is one durable write of the binding.
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
	/* options are the object stores'; a directory has none */
	if (strstr(colon, "?aggregate") || strstr(colon, "&aggregate"))
		return -EOPNOTSUPP;
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

/* Is @spec (canonical) already one of fs's stores? */
static bool
spec_bound(
	const struct hsm_fs	*fs,
	const char		*spec)
{
	unsigned		i;

	for (i = 0; fs->binding && i < fs->binding->nstores; i++)
		if (!strcmp(fs->binding->store[i].spec, spec))
			return true;
	return false;
}

/*
 * Check @spec as a new store of @fs and prepare it (its marker written):
 * the canonical spec in @out.  1 if fs has it already.
 */
static int
prepare_store(
	struct hsm_fs		*fs,
	const char		*spec,
	char			out[HSM_SPEC_MAX])
{
	struct hsm_store	*store = NULL;
	struct stat		st;
	char			*dir = NULL;
	int			error;

	error = canonical_spec(spec, out, HSM_SPEC_MAX, &dir);
	if (error)
		return error;
	if (spec_bound(fs, out))
		goto out;			/* error 0: see below */
	if (dir && stat(dir, &st) < 0)
		error = -errno;
	else if (dir && !S_ISDIR(st.st_mode))
		error = -ENOTDIR;
	else if (dir && st.st_dev == fs->dev)
		error = -ELOOP;			/* store inside the fs */
	else if (dir && access(dir, W_OK | X_OK) < 0)
		error = -errno;
	if (!error)
		error = hsm_store_open(out, fs->uuid_str, true, &store);
	hsm_store_close(store);
	free(dir);
	return error;
out:
	free(dir);
	return 1;
}

HSM_EXPORT int
hsm_fs_bind(
	const char		*mnt,
	const char		*store_spec)
{
	struct hsm_binding	*b = NULL;
	struct hsm_fs		*fs = NULL;
	char			*real = NULL;
	int			error;

	error = hsm_fs_open(mnt, 0, &fs);
	if (error)
		return error;
	real = realpath(mnt, NULL);
	b = calloc(1, sizeof(*b));
	if (!real || !b) {
		error = real ? -ENOMEM : -errno;
		goto out;
	}
	if (strcmp(real, fs->mnt)) {
		error = -EINVAL;		/* not the mount point */
		goto out;
	}
	if (fs->binding) {
		/* the same store again: nothing to do; another: refused
		 * before it is touched */
		char *dir = NULL;

		error = canonical_spec(store_spec, b->store[0].spec,
				sizeof(b->store[0].spec), &dir);
		free(dir);
		if (!error)
			error = spec_bound(fs, b->store[0].spec) ? 1 : -EEXIST;
		goto out;
	}
	error = prepare_store(fs, store_spec, b->store[0].spec);
	if (error < 0)
		goto out;
	/* a new binding: everything written from now on is v2 */
	b->nstores = 1;
	b->store[0].id = 1;
	b->records_v2 = true;
	error = hsm_fs_write_binding(fs, b);
out:
	hsm_fs_free(fs);
	free(real);
	free(b);
	return error;
}

HSM_EXPORT int
hsm_fs_stores(
	struct hsm_fs		*fs,
	struct hsm_store_info	*out,
	unsigned		max)
{
	const struct hsm_binding *b;
	unsigned		i;

	hsm_fs_reload_binding(fs);
	b = fs->binding;
	for (i = 0; b && i < b->nstores && i < max; i++) {
		memset(&out[i], 0, sizeof(out[i]));
		out[i].id = b->store[i].id;
		snprintf(out[i].spec, sizeof(out[i].spec), "%s",
			 b->store[i].spec);
		out[i].draining = b->store[i].draining;
		out[i].primary = b->store[i].id == fs->store_id;
	}
	return b ? (int)b->nstores : 0;
}

HSM_EXPORT int
hsm_fs_store_check(
	struct hsm_fs		*fs,
	uint32_t		id)
{
	struct hsm_store	*store = NULL;
	int			i, error;

	i = hsm_fs_store_index(fs, id);
	if (i < 0)
		return -ENOENT;
	/* a fresh handle: the health now, not when a cached one opened */
	error = hsm_store_open(fs->binding->store[i].spec, fs->uuid_str,
			false, &store);
	hsm_store_close(store);
	return error;
}

/* A copy of fs's binding to edit; NULL (-ENOMEM) or (-ENODATA) unbound. */
static struct hsm_binding *
edit_binding(
	struct hsm_fs		*fs,
	int			*errp)
{
	struct hsm_binding	*b;

	*errp = hsm_fs_reload_binding(fs);
	if (*errp)
		return NULL;
	if (!fs->binding) {
		hsm_fs_set_detail(fs, "no store bound: run xfs_hsm init");
		*errp = -ENODATA;
		return NULL;
	}
	b = malloc(sizeof(*b));
	if (!b) {
		*errp = -ENOMEM;
		return NULL;
	}
	*b = *fs->binding;
	return b;
}

HSM_EXPORT int
hsm_fs_store_add(
	struct hsm_fs		*fs,
	const char		*spec,
	uint32_t		*idp)
{
	struct hsm_binding	*b;
	uint32_t		id = 0;
	unsigned		i;
	int			error;

	b = edit_binding(fs, &error);
	if (!b)
		return error;
	if (b->nstores == HSM_STORES_MAX) {
		hsm_fs_set_detail(fs, "a filesystem has at most %u stores",
				HSM_STORES_MAX);
		error = -ENOSPC;
		goto out;
	}
	error = prepare_store(fs, spec, b->store[b->nstores].spec);
	if (error == 1) {
		hsm_fs_set_detail(fs, "already a store of %s", fs->mnt);
		error = -EEXIST;
	}
	if (error)
		goto out;
	/* ids only grow: a removed store's id names nothing new */
	for (i = 0; i < b->nstores; i++)
		if (b->store[i].id > id)
			id = b->store[i].id;
	if (id < b->last_id)
		id = b->last_id;
	if (id == UINT32_MAX) {
		error = -EOVERFLOW;
		goto out;
	}
	b->store[b->nstores].id = ++id;
	b->store[b->nstores].draining = false;
	b->nstores++;
	error = hsm_fs_write_binding(fs, b);
	if (!error)
		*idp = id;
out:
	free(b);
	return error;
}

HSM_EXPORT int
hsm_fs_store_drain(
	struct hsm_fs		*fs,
	uint32_t		id,
	bool			draining)
{
	struct hsm_binding	*b;
	unsigned		i, others = 0;
	int			error, k;

	b = edit_binding(fs, &error);
	if (!b)
		return error;
	k = hsm_fs_store_index(fs, id);
	if (k < 0) {
		hsm_fs_set_detail(fs, "no store %u on %s", id, fs->mnt);
		error = -ENOENT;
		goto out;
	}
	for (i = 0; i < b->nstores; i++)
		others += (int)i != k && !b->store[i].draining;
	if (draining && !others) {
		hsm_fs_set_detail(fs, "no other store takes copies: add one "
				"first");
		error = -EBUSY;
		goto out;
	}
	if (b->store[k].draining != draining) {
		b->store[k].draining = draining;
		error = hsm_fs_write_binding(fs, b);
	}
out:
	free(b);
	return error;
}

HSM_EXPORT int
hsm_fs_store_remove(
	struct hsm_fs		*fs,
	uint32_t		id)
{
	struct hsm_binding	*b;
	uint64_t		named = 0;
	int			error, k;

	b = edit_binding(fs, &error);
	if (!b)
		return error;
	k = hsm_fs_store_index(fs, id);
	if (k >= 0 && b->store[k].draining) {
		error = hsm_fs_store_users(fs, id, NULL, NULL, &named);
		if (error)
			goto out;
	}
	if (k < 0) {
		hsm_fs_set_detail(fs, "no store %u on %s", id, fs->mnt);
		error = -ENOENT;
	} else if (!b->store[k].draining) {
		hsm_fs_set_detail(fs, "store %u is not drained: run xfs_hsm "
				"store drain first", id);
		error = -EBUSY;
	} else if (named) {
		hsm_fs_set_detail(fs, "%llu records still name store %u: run "
				"xfs_hsm store drain again",
				(unsigned long long)named, id);
		error = -EBUSY;
	}
	if (error)
		goto out;
	memmove(&b->store[k], &b->store[k + 1],
		(b->nstores - k - 1) * sizeof(b->store[0]));
	b->nstores--;
	if (id > b->last_id)
		b->last_id = id;
	error = hsm_fs_write_binding(fs, b);
out:
	free(b);
	return error;
}
