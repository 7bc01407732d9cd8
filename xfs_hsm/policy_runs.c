// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * policy_runs.c - what xfs_hsmd's space policy runs did, kept in
 * /run/xfs-hsm/<fs-uuid>.policy by the daemon's supervisor (which starts
 * the runs) for xfs_hsm stats: "key value" lines, replaced whole
 * (written beside, then renamed) so a reader never sees half of it.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include "policy.h"

static void
runs_path(
	const char	*uuid,
	const char	*ext,
	char		*buf,
	size_t		size)
{
	snprintf(buf, size, "%s/%s.policy%s", POLICY_RUNS_DIR, uuid, ext);
}

int
policy_runs_write(
	const char			*uuid,
	const struct policy_runs	*r)
{
	char				path[256], tmp[256];
	FILE				*f;
	int				error = 0;

	runs_path(uuid, "", path, sizeof(path));
	runs_path(uuid, ".new", tmp, sizeof(tmp));
	if (mkdir(POLICY_RUNS_DIR, 0700) < 0 && errno != EEXIST)
		return -errno;
	f = fopen(tmp, "we");
	if (!f)
		return -errno;
	fprintf(f, "runs %" PRIu64 "\nfailed %" PRIu64 "\n"
		"last_start %" PRId64 "\nlast_end %" PRId64 "\n"
		"last_exit %d\nrunning %d\n", r->runs, r->failed,
		r->last_start, r->last_end, r->last_exit, r->running);
	if (fflush(f) || ferror(f))
		error = -EIO;
	if (fclose(f) && !error)
		error = -errno;
	if (!error && rename(tmp, path) < 0)
		error = -errno;
	if (error)
		unlink(tmp);
	return error;
}

int
policy_runs_read(
	const char		*uuid,
	struct policy_runs	*r)
{
	char			path[256], key[32];
	long long		v;
	FILE			*f;

	memset(r, 0, sizeof(*r));
	runs_path(uuid, "", path, sizeof(path));
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (fscanf(f, "%31s %lld", key, &v) == 2) {
		if (!strcmp(key, "runs"))
			r->runs = v;
		else if (!strcmp(key, "failed"))
			r->failed = v;
		else if (!strcmp(key, "last_start"))
			r->last_start = v;
		else if (!strcmp(key, "last_end"))
			r->last_end = v;
		else if (!strcmp(key, "last_exit"))
			r->last_exit = v;
		else if (!strcmp(key, "running"))
			r->running = v;
	}
	fclose(f);
	return 0;
}

void
policy_runs_remove(
	const char	*uuid)
{
	char		path[256];

	runs_path(uuid, "", path, sizeof(path));
	unlink(path);
}
