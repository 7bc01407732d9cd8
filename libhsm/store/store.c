// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * store.c - open a store from its spec ("kind:arg").
 *
 * The directory store is built in.  The others are modules, loaded the
 * first time a spec names them: librados and libcurl cost 20 to 45 ms
 * to load, which every xfs_hsm run would pay otherwise.  They live in
 * HSM_STORE_MODULE_DIR, or where $LIBHSM_STORE_MODULES says (a build
 * tree: libhsm/.libs).
 */
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "store/store.h"

#ifndef HSM_STORE_MODULE_DIR
#define HSM_STORE_MODULE_DIR	"/usr/lib/xfs-hsm"
#endif

#define MARKER_MAGIC	"xfs-hsm-store "

static const struct {
	const char	*name;
	const char	*module;	/* NULL: built in */
	const char	*symbol;
} store_kinds[] = {
	{ "posix", NULL, NULL },
	{ "rados", "store_rados.so", "hsm_store_rados_ops" },
	{ "s3", "store_s3.so", "hsm_store_s3_ops" },
};
#define NKINDS	(sizeof(store_kinds) / sizeof(store_kinds[0]))

static pthread_mutex_t	modules_lock = PTHREAD_MUTEX_INITIALIZER;
static const struct hsm_store_ops *loaded[NKINDS];

/* The operations of kind @i, its module loaded once (and kept). */
static const struct hsm_store_ops *
kind_ops(
	size_t			i)
{
	const char		*dir = getenv("LIBHSM_STORE_MODULES");
	const struct hsm_store_ops *ops;
	char			path[4096];
	void			*h;

	if (!store_kinds[i].module)
		return &hsm_store_posix_ops;
	pthread_mutex_lock(&modules_lock);
	ops = loaded[i];
	if (!ops) {
		snprintf(path, sizeof(path), "%s/%s",
			 dir && *dir ? dir : HSM_STORE_MODULE_DIR,
			 store_kinds[i].module);
		h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
		ops = h ? dlsym(h, store_kinds[i].symbol) : NULL;
		loaded[i] = ops;
	}
	pthread_mutex_unlock(&modules_lock);
	return ops;
}

int
hsm_store_open(
	const char		*spec,
	const char		*fs_uuid,
	bool			create,
	struct hsm_store	**sp)
{
	const char		*colon = strchr(spec, ':');
	const struct hsm_store_ops *ops;
	size_t			i;

	if (!colon)
		return -EINVAL;
	for (i = 0; i < NKINDS; i++) {
		if (strlen(store_kinds[i].name) != (size_t)(colon - spec) ||
		    strncmp(store_kinds[i].name, spec, colon - spec))
			continue;
		ops = kind_ops(i);
		if (!ops)
			return -EPROTONOSUPPORT;	/* not built here */
		return ops->open(colon + 1, fs_uuid, create, sp);
	}
	return -EPROTONOSUPPORT;
}

void
hsm_store_close(
	struct hsm_store	*s)
{
	if (s)
		s->ops->close(s);
}

HSM_EXPORT int
hsm_store_size_option(
	const char		*value,
	uint64_t		*out)
{
	char			*end;
	unsigned long long	v;

	errno = 0;
	v = strtoull(value, &end, 10);
	if (errno || end == value)
		return -EINVAL;
	switch (*end) {
	case 'k': case 'K': v <<= 10; end++; break;
	case 'm': case 'M': v <<= 20; end++; break;
	case 'g': case 'G': v <<= 30; end++; break;
	}
	if (*end)
		return -EINVAL;
	*out = v;
	return 0;
}

HSM_EXPORT int
hsm_store_new_oid(
	struct hsm_store	*s,
	const void		*group,
	uint64_t		size,
	uint8_t			*oid)
{
	if (s && s->ops->new_oid)
		return s->ops->new_oid(s, group, size, oid);
	return hsm_oid_new(oid);
}

HSM_EXPORT int
hsm_store_commit_one(
	struct hsm_store	*s,
	struct hsm_store_writer	*w,
	const struct hsm_objmeta *meta)
{
	int			error, result;

	error = s->ops->put_finish(w, meta);
	if (error) {
		s->ops->put_abort(w);
		return error;
	}
	error = s->ops->publish(s, &w, 1, &result);
	return error ? error : result;
}

HSM_EXPORT int
hsm_store_del_sync(
	struct hsm_store	*s,
	const uint8_t		*oid)
{
	int			error;

	error = s->ops->del(s, oid);
	if (error && error != -ENOENT)
		return error;
	int			serr = s->ops->sync(s);

	return serr ? serr : error;
}

HSM_EXPORT void
hsm_store_marker_text(
	const char		*fs_uuid,
	unsigned		format,
	char			*buf,
	size_t			size)
{
	snprintf(buf, size, MARKER_MAGIC "%u\nfs_uuid %s\n", format, fs_uuid);
}

HSM_EXPORT int
hsm_store_marker_check(
	const char		*have,
	const char		*fs_uuid,
	unsigned		newest,
	unsigned		*format)
{
	const char		*p = have + strlen(MARKER_MAGIC);
	char			want[128], *end;
	unsigned long		v;

	if (strncmp(have, MARKER_MAGIC, strlen(MARKER_MAGIC)) ||
	    *p < '1' || *p > '9')
		return -EUCLEAN;
	v = strtoul(p, &end, 10);
	if (*end != '\n')
		return -EUCLEAN;
	if (v > newest)
		return -EPROTO;
	hsm_store_marker_text(fs_uuid, v, want, sizeof(want));
	if (strcmp(have, want))
		return -EXDEV;
	if (format)
		*format = v;
	return 0;
}

HSM_EXPORT int
hsm_store_options(
	const char		*opts,
	int			(*fn)(const char *key, const char *value,
				      void *arg),
	void			*arg)
{
	char			*copy = strdup(opts), *tok, *save = NULL, *eq;
	int			error = 0;

	if (!copy)
		return -ENOMEM;
	for (tok = strtok_r(copy, "&", &save); tok && !error;
	     tok = strtok_r(NULL, "&", &save)) {
		eq = strchr(tok, '=');
		if (!eq || !eq[1]) {
			error = -EINVAL;
			break;
		}
		*eq++ = '\0';
		error = fn(tok, eq, arg);
	}
	free(copy);
	return error;
}
