// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * store.c - xfs_hsm store: list, add, drain and remove the stores of a
 * filesystem.  Draining moves every copy off a store with one copy batch
 * over the files whose records name it (libhsm's HSM_CMD_COPY), after
 * which the store can be removed.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>
#include "xfs_hsm.h"
#include "strutils.h"

void
store_help(void)
{
	printf("Usage:\n"
	       " %s store list [--json] <mount>\n"
	       " %s store add <mount> <spec>\n"
	       " %s store drain [-j <n>] <mount> <id>\n"
	       " %s store remove <mount> <id>\n\n"
	       "Manage the stores of a filesystem.  A file is archived to "
	       "the first store\n(the primary) and, with migrate --copies N "
	       "or copies = N in xfs_hsm.conf,\nto the next ones too; a "
	       "recall reads the first copy that answers.\n\n"
	       " list    each store: its id, role, whether it answers now, "
	       "and its spec\n"
	       " add     add a store (a spec as for init); no copy moves\n"
	       " drain   stop new copies to store <id> and move its copies "
	       "to the others\n"
	       " remove  forget store <id> once it is drained (its objects "
	       "stay in it)\n\n"
	       "Options:\n"
	       " -j, --jobs <n>   threads that copy while draining (default "
	       "4)\n"
	       "     --json       list as JSON\n"
	       " -h, --help       display this help\n\nSee xfs_hsm(8).\n",
	       PROGNAME, PROGNAME, PROGNAME, PROGNAME);
}

static const char *
role(
	const struct hsm_store_info *si)
{
	if (si->draining)
		return "draining";
	return si->primary ? "primary" : "copies";
}

static void
list_stores(
	struct hsm_fs		*fs,
	bool			json)
{
	struct hsm_store_info	si[HSM_STORES_MAX];
	struct json_object	*arr = NULL, *o;
	int			n, i, health;

	n = hsm_fs_stores(fs, si, HSM_STORES_MAX);
	if (n <= 0) {
		fprintf(stderr, "%s: %s: no store bound (xfs_hsm init)\n",
			PROGNAME, hsm_fs_mountpoint(fs));
		exitcode |= HSM_EX_OPERATIONAL;
		return;
	}
	if (json)
		arr = json_object_new_array();
	else
		printf("%-4s %-9s %-12s %s\n", "ID", "ROLE", "HEALTH", "SPEC");
	for (i = 0; i < n; i++) {
		health = hsm_fs_store_check(fs, si[i].id);
		if (health)
			exitcode |= HSM_EX_OPERATIONAL;
		if (!json) {
			printf("%-4u %-9s %-12s %s\n", si[i].id, role(&si[i]),
			       health ? "unreachable" : "ok", si[i].spec);
			if (health)
				fprintf(stderr, "%s: store %u (%s): %s\n",
					PROGNAME, si[i].id, si[i].spec,
					strerror(-health));
			continue;
		}
		o = json_object_new_object();
		json_object_object_add(o, "id", json_object_new_int64(si[i].id));
		json_object_object_add(o, "role",
				json_object_new_string(role(&si[i])));
		json_object_object_add(o, "spec",
				json_object_new_string(si[i].spec));
		json_object_object_add(o, "healthy",
				json_object_new_boolean(!health));
		json_object_object_add(o, "error", health ?
				json_object_new_string(strerror(-health)) :
				NULL);
		json_object_array_add(arr, o);
	}
	if (json) {
		o = json_object_new_object();
		json_object_object_add(o, "mount",
				json_object_new_string(hsm_fs_mountpoint(fs)));
		json_object_object_add(o, "stores", arr);
		printf("%s\n", json_object_to_json_string_ext(o,
				JSON_C_TO_STRING_PRETTY |
				JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(o);
	}
}

/* "2": a store id, or exit with a usage error. */
static uint32_t
store_id_arg(
	const char		*s)
{
	char			*end;
	unsigned long		v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || !*s || *s == '-' || !v || v > UINT32_MAX) {
		fprintf(stderr, "%s: store: invalid store id '%s'\n", PROGNAME,
			s);
		errtryhelp(HSM_EX_USAGE);
	}
	return v;
}

/* "cannot VERB store ID of MOUNT: why" (@id 0: "a store to MOUNT"). */
static void
store_error(
	struct hsm_fs		*fs,
	const char		*verb,
	uint32_t		id,
	int			error)
{
	const char		*detail = hsm_fs_errdetail(fs);

	if (!detail || !*detail)
		detail = strerror(-error);
	if (id)
		fprintf(stderr, "%s: cannot %s store %u of %s: %s\n",
			PROGNAME, verb, id, hsm_fs_mountpoint(fs), detail);
	else
		fprintf(stderr, "%s: cannot %s a store to %s: %s\n",
			PROGNAME, verb, hsm_fs_mountpoint(fs), detail);
	exitcode |= HSM_EX_OPERATIONAL;
}

struct drain {
	struct hsm_fs		*fs;
	struct hsm_batch	*b;
	struct progress		*progress;
	uint64_t		moved, failed, bytes;
};

static void
drain_result(
	void				*arg,
	const struct hsm_item_result	*r)
{
	struct drain			*d = arg;

	progress_file(d->progress, r->error ? 0 : r->bytes, r->error != 0);
	if (r->error) {
		d->failed++;
		fprintf(stderr, "%s: drain: cannot move the copy of inode %"
			PRIu64 " (gen %u): %s\n", PROGNAME, r->ino, r->gen,
			r->detail ? r->detail :
			file_error_reason(d->fs, r->error));
		return;
	}
	d->moved += r->outcome == HSM_DONE;
	d->bytes += r->bytes;
}

static int
drain_add(
	const struct hsm_inode	*in,
	void			*arg)
{
	struct drain		*d = arg;

	return hsm_batch_add_inode(d->b, in, NULL, NULL);
}

static void
drain_store(
	struct hsm_fs		*fs,
	uint32_t		id,
	unsigned		jobs)
{
	struct hsm_batch_limits	lim = { .threads = jobs };
	struct drain		d = { .fs = fs };
	uint64_t		found = 0, left = 0;
	char			sz[32];
	int			error;

	error = hsm_fs_store_drain(fs, id, true);
	if (error) {
		store_error(fs, "drain", id, error);
		return;
	}
	/* copies: as many as each record names, none on store @id */
	error = hsm_batch_new(fs, HSM_CMD_COPY, 0, drain_result, &d, &d.b);
	if (error) {
		store_error(fs, "drain", id, error);
		return;
	}
	hsm_batch_set_limits(d.b, &lim);
	d.progress = progress_start("drain");
	error = hsm_fs_store_users(fs, id, drain_add, &d, &found);
	if (!error)
		error = hsm_batch_flush(d.b);
	hsm_batch_free(d.b);
	progress_end(d.progress, false);
	if (error) {
		store_error(fs, "drain", id, error);
		return;
	}
	error = hsm_fs_store_users(fs, id, NULL, NULL, &left);
	if (error) {
		store_error(fs, "drain", id, error);
		return;
	}
	printf("store %u of %s: %" PRIu64 " files moved (%s), %" PRIu64
	       " failed; ", id, hsm_fs_mountpoint(fs), d.moved,
	       human(d.bytes, sz, sizeof(sz)), d.failed);
	if (left) {
		printf("%" PRIu64 " still name it: run drain again\n", left);
		exitcode |= HSM_EX_OPERATIONAL;
	} else {
		printf("none names it now: 'xfs_hsm store remove %s %u' "
		       "removes it\n", hsm_fs_mountpoint(fs), id);
	}
	if (d.failed)
		exitcode |= HSM_EX_OPERATIONAL;
}

int
store_f(
	int			argc,
	char			**argv)
{
	static const struct option longopts[] = {
		{ "json",	no_argument,	   NULL, 'J' },
		{ "jobs",	required_argument, NULL, 'j' },
		{ "help",	no_argument,	   NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char		*verb = NULL;
	struct hsm_fs		*fs;
	unsigned		jobs = 4;
	bool			json = false;
	uint32_t		id;
	int			c, error, nargs;

	/* "store list --json MNT": the verb first, its options after it */
	if (argc > 1 && argv[1][0] != '-') {
		verb = argv[1];
		argv[1] = argv[0];
		argc--;
		argv++;
	}
	while ((c = getopt_long(argc, argv, "j:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'J':
			json = true;
			break;
		case 'j':
			if (parse_uint(optarg, 1, 64, &jobs)) {
				fprintf(stderr, "%s: store: --jobs: 1 to 64\n",
					PROGNAME);
				errtryhelp(HSM_EX_USAGE);
			}
			break;
		case 'h':
			store_help();
			return 0;
		default:
			errtryhelp(HSM_EX_USAGE);
		}
	}
	if (!verb) {
		fprintf(stderr, "%s: store: missing list, add, drain or "
			"remove\n", PROGNAME);
		errtryhelp(HSM_EX_USAGE);
	}
	nargs = argc - optind;
	if ((!strcmp(verb, "list") && nargs != 1) ||
	    (strcmp(verb, "list") && nargs != 2) ||
	    (strcmp(verb, "list") && strcmp(verb, "add") &&
	     strcmp(verb, "drain") && strcmp(verb, "remove"))) {
		fprintf(stderr, "%s: store: expected 'list <mount>', 'add "
			"<mount> <spec>', 'drain <mount> <id>' or 'remove "
			"<mount> <id>'\n", PROGNAME);
		errtryhelp(HSM_EX_USAGE);
	}
	require_root();
	fs = fs_named(argv[optind], false);
	if (!fs)
		return 0;		/* reported, exitcode set */
	if (!strcmp(verb, "list")) {
		list_stores(fs, json);
		return 0;
	}
	if (!strcmp(verb, "add")) {
		error = hsm_fs_store_add(fs, argv[optind + 1], &id);
		if (error == -ENODATA || error == -ENOSPC)
			store_error(fs, "add", 0, error);
		else if (error)
			report_bind_error("add a store to", argv[optind],
					  argv[optind + 1], error);
		else
			printf("%s: store %u added: %s\n",
			       hsm_fs_mountpoint(fs), id, argv[optind + 1]);
		return 0;
	}
	id = store_id_arg(argv[optind + 1]);
	if (!strcmp(verb, "drain")) {
		drain_store(fs, id, jobs);
		return 0;
	}
	error = hsm_fs_store_remove(fs, id);
	if (error)
		store_error(fs, "remove", id, error);
	else
		printf("%s: store %u removed\n", hsm_fs_mountpoint(fs), id);
	return 0;
}
