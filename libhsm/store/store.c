// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * store.c - open a store from its spec ("kind:arg").
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "store/store.h"

#define MARKER_MAGIC	"xfs-hsm-store 1\n"

static const struct hsm_store_ops *const store_kinds[] = {
	&hsm_store_posix_ops,
#ifdef HAVE_RADOS
	&hsm_store_rados_ops,
#endif
#ifdef HAVE_S3
	&hsm_store_s3_ops,
#endif
};

int
hsm_store_open(
	const char		*spec,
	const char		*fs_uuid,
	bool			create,
	struct hsm_store	**sp)
{
	const char		*colon = strchr(spec, ':');
	size_t			i;

	if (!colon)
		return -EINVAL;
	for (i = 0; i < sizeof(store_kinds) / sizeof(store_kinds[0]); i++) {
		const struct hsm_store_ops *ops = store_kinds[i];

		if (strlen(ops->name) == (size_t)(colon - spec) &&
		    !strncmp(ops->name, spec, colon - spec))
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

int
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

int
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

void
hsm_store_marker_text(
	const char		*fs_uuid,
	char			*buf,
	size_t			size)
{
	snprintf(buf, size, MARKER_MAGIC "fs_uuid %s\n", fs_uuid);
}

int
hsm_store_marker_check(
	const char		*have,
	const char		*fs_uuid)
{
	char			want[128];

	hsm_store_marker_text(fs_uuid, want, sizeof(want));
	if (!strcmp(have, want))
		return 0;
	return strncmp(have, MARKER_MAGIC, strlen(MARKER_MAGIC)) ?
	       -EUCLEAN : -EXDEV;
}

int
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
