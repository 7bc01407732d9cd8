// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * repair.c - --repair: after the scan, finish or undo every pending
 * operation whose owner is dead, through libhsm's batches of
 * HSM_CMD_REPAIR (-j files at once, one group commit per batch); then
 * make again the copies that are lost or were never finished, with
 * batches of HSM_CMD_COPY.  Each record is read again when its repair
 * starts, so a file that changed since the scan is judged on what it is
 * now.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>
#include "xfs_hsmscan.h"

struct repair_item {
	struct pending		p;	/* op 0: copies to make */
	int			error;
	struct hsm_repair	res;
	char			reason[256];
};

/* A batch's result for one pending file (@r->cookie: its item). */
static void
repair_done(
	void				*arg,
	const struct hsm_item_result	*r)
{
	struct repair_item		*it = r->cookie;
	struct hsm_fs			*fs = arg;

	it->error = r->error;
	it->res.action = it->p.op ? r->repair_action :
			 r->outcome == HSM_DONE ? HSM_REPAIR_FINISHED :
			 HSM_REPAIR_NONE;
	it->res.op = r->repair_op;
	it->res.bytes = r->bytes;
	if (it->error)
		snprintf(it->reason, sizeof(it->reason), "%s", r->detail ?
			 r->detail : error_reason(fs, it->error));
}

static int
cmp_item(
	const void		*a,
	const void		*b)
{
	const struct repair_item *x = a, *y = b;

	return x->p.ino < y->p.ino ? -1 : x->p.ino > y->p.ino;
}

static const char *
action_name(
	const struct repair_item *it)
{
	if (it->error)
		return "failed";
	switch (it->res.action) {
	case HSM_REPAIR_UNDONE:
		return "undone";
	case HSM_REPAIR_FINISHED:
		return "finished";
	default:
		return "none";
	}
}

/* Report one repair: stdout when done, stderr when not. */
static void
report(
	const struct repair_item *it,
	struct repair_totals	*tot)
{
	struct json_object	*o;
	char			name[4200];
	const char		*op = !it->p.op ? "copies" :
				  hsm_op_name(it->res.op ? it->res.op : it->p.op);

	file_name(it->p.ino, it->p.gen, it->p.path, name, sizeof(name));
	if (it->error) {
		fprintf(stderr, "%s: cannot repair %s, %s: %s\n", PROGNAME,
			name, op, it->reason);
		exitcode |= HSM_EX_PROBLEMS;
		tot->failed++;
	} else if (it->res.action != HSM_REPAIR_NONE) {
		if (!opts->json && !it->p.op)
			printf("repaired %s: copies made\n", name);
		else if (!opts->json)
			printf("repaired %s: %s %s\n", name, op,
			       action_name(it));
		exitcode |= HSM_EX_REPAIRED;
		tot->repaired++;
	}
	if (!tot->items)
		return;
	o = json_object_new_object();
	json_object_object_add(o, "ino", json_object_new_uint64(it->p.ino));
	json_object_object_add(o, "gen", json_object_new_uint64(it->p.gen));
	if (it->p.path)
		json_add_path(o, it->p.path);
	json_object_object_add(o, "pending", json_object_new_string(op));
	json_object_object_add(o, "result",
			       json_object_new_string(action_name(it)));
	json_object_object_add(o, "reason", it->error ?
			       json_object_new_string(it->reason) : NULL);
	json_object_array_add(tot->items, o);
}

/* One batch of @cmd over the items of @tot it is for: the copies to make
 * (op 0) for HSM_CMD_COPY, the pending operations for HSM_CMD_REPAIR. */
static void
run_batch(
	struct hsm_fs		*fs,
	struct repair_totals	*tot,
	enum hsm_command	cmd)
{
	struct hsm_batch_limits	lim = { .threads = opts->jobs };
	struct repair_item	*it;
	struct hsm_batch	*b;
	struct hsm_inode	in;
	size_t			i;
	int			error;

	error = hsm_batch_new(fs, cmd, 0, repair_done, fs, &b);
	if (!error) {
		hsm_batch_set_limits(b, &lim);
		for (i = 0; i < tot->work.nr && !error; i++) {
			it = VEC_AT(&tot->work, struct repair_item, i);
			if ((it->p.op == 0) != (cmd == HSM_CMD_COPY))
				continue;
			memset(&in, 0, sizeof(in));
			in.ino = it->p.ino;
			in.gen = it->p.gen;
			error = hsm_batch_add_inode(b, &in, NULL, it);
		}
		if (!error)
			error = hsm_batch_flush(b);
		hsm_batch_free(b);
	}
	if (error) {
		fprintf(stderr, "%s: %s: repair: %s\n", PROGNAME,
			hsm_fs_mountpoint(fs), error_reason(fs, error));
		exitcode |= HSM_EX_OPERATIONAL;
	}
}

void
repair_run(
	struct hsm_fs		*fs,
	struct scan_result	*res,
	struct repair_totals	*tot)
{
	struct repair_item	*it;
	int			error;
	size_t			i, npending;

	memset(tot, 0, sizeof(*tot));
	vec_init(&tot->work, sizeof(struct repair_item));
	for (i = 0; i < res->pending.nr; i++) {
		it = vec_push(&tot->work);
		it->p = *VEC_AT(&res->pending, struct pending, i);
		if (opts->paths)
			paths_want(it->p.ino);
	}
	npending = tot->work.nr;
	for (i = 0; i < res->copies.nr; i++) {
		it = vec_push(&tot->work);
		it->p = *VEC_AT(&res->copies, struct pending, i);
		if (opts->paths)
			paths_want(it->p.ino);
	}
	if (!tot->work.nr)
		return;
	qsort(tot->work.items, tot->work.nr, tot->work.size, cmp_item);
	/* every pending op needs the store: say once if it is unusable */
	error = hsm_fs_open_store(fs);
	if (error) {
		report_store_error(fs, error, "nothing repaired");
		exitcode |= HSM_EX_OPERATIONAL;
		for (i = 0; i < tot->work.nr; i++) {
			it = VEC_AT(&tot->work, struct repair_item, i);
			it->error = error;
			snprintf(it->reason, sizeof(it->reason),
				 "store unusable");
		}
		return;
	}
	if (npending)
		run_batch(fs, tot, HSM_CMD_REPAIR);
	if (tot->work.nr > npending)
		run_batch(fs, tot, HSM_CMD_COPY);
}

void
repair_report(
	struct repair_totals	*tot)
{
	size_t			i;

	if (opts->json)
		tot->items = json_object_new_array();
	for (i = 0; i < tot->work.nr; i++) {
		struct repair_item *it = VEC_AT(&tot->work, struct repair_item,
						i);

		it->p.path = paths_lookup(it->p.ino);
		report(it, tot);
	}
	vec_free(&tot->work);
}

struct json_object *
repair_json(
	struct repair_totals	*tot)
{
	struct json_object	*o = json_object_new_object();

	json_object_object_add(o, "repaired",
			       json_object_new_uint64(tot->repaired));
	json_object_object_add(o, "not_repaired",
			       json_object_new_uint64(tot->failed));
	json_object_object_add(o, "files", tot->items ? tot->items :
			       json_object_new_array());
	tot->items = NULL;
	return o;
}
