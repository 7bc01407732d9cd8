// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * refresh.c - --refresh-paths: bring the names kept in every object's
 * metadata up to date, for import and undelete (xfs_hsm(7), disaster
 * recovery).
 *
 * The path an object keeps is the one its file had when it was archived;
 * renames since then, of the file or of a directory above it, leave it
 * stale, and a hard link is known by one name only.  After a whole scan,
 * every file a record names an object for wants all its names (as many
 * as bulkstat counted links): one walk of the directories finds them
 * (paths.c, stopping once all are found), and each copy's metadata is
 * rewritten where it holds other names.  A file with no name (unlinked
 * but still open) is left as it is.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>
#include "xfs_hsmscan.h"

/* Does copy @n have an object to keep names in? */
static bool
has_object(
	const struct named	*n)
{
	return n->state == HSM_COPY_DURABLE;
}

void
refresh_want(
	const struct vec	*named)
{
	size_t			i;

	for (i = 0; i < named->nr; i++) {
		struct named *n = VEC_AT(named, struct named, i);

		if (has_object(n))
			paths_want_all(n->ino, n->nlink);
	}
}

static int
cmp_name(
	const void	*a,
	const void	*b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void
refresh_run(
	struct hsm_fs		*fs,
	const struct vec	*named,
	struct refresh_totals	*tot)
{
	char			**names, name[256], oid[33];
	size_t			i, nn;
	int			rc;

	memset(tot, 0, sizeof(*tot));
	for (i = 0; i < named->nr; i++) {
		struct named *n = VEC_AT(named, struct named, i);

		if (!has_object(n))
			continue;
		tot->checked++;
		nn = paths_lookup_all(n->ino, &names);
		if (!nn) {
			tot->nameless++;
			continue;
		}
		qsort(names, nn, sizeof(*names), cmp_name);
		rc = hsm_object_set_names_in(fs, n->store_id, n->oid,
					     (const char *const *)names, nn);
		if (rc == 1) {
			tot->rewritten++;
		} else if (rc == 0) {
			tot->current++;
		} else {
			tot->failed++;
			hsm_oid_hex(n->oid, oid);
			output_lock_take();
			fprintf(stderr, "%s: cannot refresh the paths of %s in "
				"object %s (store %u): %s\n", PROGNAME,
				file_name(n->ino, n->gen, names[0], name,
					  sizeof(name)), oid, n->store_id,
				error_reason(fs, rc));
			output_lock_drop();
		}
		if (opts->progress && tot->checked % 256 == 0)
			fprintf(stderr, "\rrefreshing paths: %lu of %zu",
				tot->checked, named->nr);
	}
	if (opts->progress && tot->checked >= 256)
		fputc('\n', stderr);
	if (tot->failed)
		exitcode |= HSM_EX_PROBLEMS;
}

void
refresh_report(
	const struct refresh_totals *tot)
{
	if (opts->json)
		return;
	printf("paths: %lu objects checked, %lu rewritten, %lu current, "
	       "%lu of a file without a name, %lu failed\n", tot->checked,
	       tot->rewritten, tot->current, tot->nameless, tot->failed);
}

struct json_object *
refresh_json(
	const struct refresh_totals *tot)
{
	struct json_object	*o = json_object_new_object();

	json_object_object_add(o, "checked", json_object_new_uint64(
				       tot->checked));
	json_object_object_add(o, "rewritten", json_object_new_uint64(
				       tot->rewritten));
	json_object_object_add(o, "current", json_object_new_uint64(
				       tot->current));
	json_object_object_add(o, "nameless", json_object_new_uint64(
				       tot->nameless));
	json_object_object_add(o, "failed", json_object_new_uint64(
				       tot->failed));
	return o;
}
