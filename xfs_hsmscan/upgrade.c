// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * upgrade.c - --upgrade: after a whole scan, rewrite every v1 record it
 * found as v2 through libhsm's batches of HSM_CMD_UPGRADE (-j files at
 * once, one group commit per batch); then, when none is left and no
 * record was unreadable, say so in the binding ("records 2"), which lets
 * later scans skip inodes by their fork size.
 *
 * An interrupted upgrade needs no checkpoint: what was rewritten stays
 * rewritten, and the next run finds only what is left.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>
#include "xfs_hsmscan.h"

struct upgrade_ctx {
	struct hsm_fs		*fs;
	struct upgrade_totals	*tot;
	size_t			total;
};

static void
upgrade_done(
	void				*arg,
	const struct hsm_item_result	*r)
{
	struct upgrade_ctx		*u = arg;
	struct upgrade_totals		*tot = u->tot;
	char				name[256];

	if (r->error) {
		file_name(r->ino, r->gen, NULL, name, sizeof(name));
		output_lock_take();
		fprintf(stderr, "%s: cannot upgrade the record of %s: %s\n",
			PROGNAME, name, r->detail ? r->detail :
			error_reason(u->fs, r->error));
		output_lock_drop();
		tot->failed++;
	} else if (r->outcome == HSM_DONE) {
		tot->upgraded++;
	}
	tot->done++;
	if (opts->progress && (tot->done % 256 == 0 || tot->done == u->total))
		fprintf(stderr, "\rupgrading records: %zu of %zu", tot->done,
			u->total);
}

/* Rewrite the v1 records of @res; mark the binding when none is left. */
void
upgrade_run(
	struct hsm_fs		*fs,
	struct scan_result	*res,
	struct upgrade_totals	*tot)
{
	struct upgrade_ctx	u = { .fs = fs, .tot = tot,
				      .total = res->v1.nr };
	const uint64_t		*c = res->total.c;
	struct hsm_batch	*b;
	struct hsm_inode	in;
	int			error = 0;
	size_t			i;

	memset(tot, 0, sizeof(*tot));
	if (res->v1.nr) {
		error = hsm_batch_new(fs, HSM_CMD_UPGRADE, 0, upgrade_done, &u,
				      &b);
		if (!error) {
			struct hsm_batch_limits lim = {
				.threads = opts->jobs,
				.files = 4096,
			};

			hsm_batch_set_limits(b, &lim);
			for (i = 0; i < res->v1.nr && !error; i++) {
				struct tagged *t = VEC_AT(&res->v1,
							  struct tagged, i);

				memset(&in, 0, sizeof(in));
				in.ino = t->ino;
				in.gen = t->gen;
				error = hsm_batch_add_inode(b, &in, NULL, NULL);
			}
			if (!error)
				error = hsm_batch_flush(b);
			hsm_batch_free(b);
		}
		if (opts->progress)
			fputc('\n', stderr);
	}
	if (error) {
		fprintf(stderr, "%s: %s: upgrade: %s\n", PROGNAME,
			hsm_fs_mountpoint(fs), error_reason(fs, error));
		exitcode |= HSM_EX_OPERATIONAL;
		return;
	}
	if (tot->failed) {
		fprintf(stderr, "%s: %s: v1 records left: %lu; run '%s "
			"--upgrade %s' again\n", PROGNAME,
			hsm_fs_mountpoint(fs), tot->failed, PROGNAME,
			hsm_fs_mountpoint(fs));
		exitcode |= HSM_EX_PROBLEMS;
		return;
	}
	if (c[C_BAD] || c[C_ERRORS]) {
		fprintf(stderr, "%s: %s: not marked v2-only: bad or "
			"unreadable records: %llu\n", PROGNAME,
			hsm_fs_mountpoint(fs),
			(unsigned long long)(c[C_BAD] + c[C_ERRORS]));
		exitcode |= HSM_EX_PROBLEMS;
		return;
	}
	error = hsm_fs_mark_records_v2(fs);
	if (error < 0) {
		fprintf(stderr, "%s: %s: cannot mark the binding v2-only: "
			"%s\n", PROGNAME, hsm_fs_mountpoint(fs),
			error == -ENOLINK ? "no store is bound" :
			error_reason(fs, error));
		exitcode |= HSM_EX_OPERATIONAL;
		return;
	}
	tot->marked = true;
}

void
upgrade_report(
	const struct upgrade_totals *tot)
{
	if (opts->json)
		return;
	printf("upgraded %lu records to v2%s\n", tot->upgraded,
	       tot->marked ? "; the filesystem holds v2 records only" : "");
}

struct json_object *
upgrade_json(
	const struct upgrade_totals *tot)
{
	struct json_object	*o = json_object_new_object();

	json_object_object_add(o, "upgraded",
			       json_object_new_uint64(tot->upgraded));
	json_object_object_add(o, "not_upgraded",
			       json_object_new_uint64(tot->failed));
	json_object_object_add(o, "v2_only",
			       json_object_new_boolean(tot->marked));
	return o;
}
