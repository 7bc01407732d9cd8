// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * status.c - xfs_hsm status: one line (or one JSON object) per file.
 *
 *   STATE    FLAGS PENDING    SIZE RESIDENT PATH
 * FLAGS: D dirty, L lost, R norelease pin, A noarchive pin, '-' otherwise.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <json-c/json.h>
#include "xfs_hsm.h"

struct status_ctx {
	bool		json;
	bool		map;		/* --map: byte ranges, not states */
	bool		first;
	bool		first_fs;
	struct seen_fs {
		struct hsm_fs	*fs;
		struct seen_fs	*next;
	} *released_fs;		/* filesystems with released files */
};

static void
note_released(
	struct status_ctx	*ctx,
	struct hsm_fs		*fs)
{
	struct seen_fs		*s;

	for (s = ctx->released_fs; s; s = s->next)
		if (s->fs == fs)
			return;
	s = calloc(1, sizeof(*s));
	if (!s)
		return;
	s->fs = fs;
	s->next = ctx->released_fs;
	ctx->released_fs = s;
}

static void
warn_no_daemon(
	struct hsm_fs		*fs)
{
	fprintf(stderr, "%s: warning: %s has released files and no xfs_hsmd "
		"serves it: reads of released files return zeros until the "
		"daemon runs (start xfs_hsmd, or use '%s recall')\n", PROGNAME,
		hsm_fs_mountpoint(fs), PROGNAME);
}

/* The copies a record names: store, object, state. */
static struct json_object *
copies_json(
	const struct hsm_record	*r)
{
	static const char *const states[] = {
		[HSM_COPY_WANTED] = "wanted",
		[HSM_COPY_DURABLE] = "durable",
		[HSM_COPY_LOST] = "lost",
	};
	struct json_object	*arr = json_object_new_array(), *c;
	char			oid[33];
	unsigned		k;

	for (k = 0; k < HSM_COPIES_MAX; k++) {
		if (r->copy[k].state == HSM_COPY_NONE)
			continue;
		c = json_object_new_object();
		hsm_oid_hex(r->copy[k].oid, oid);
		json_object_object_add(c, "store_id",
				json_object_new_int64(r->copy[k].store_id));
		json_object_object_add(c, "object",
				json_object_new_string(oid));
		json_object_object_add(c, "state",
				json_object_new_string(states[r->copy[k].state]));
		json_object_array_add(arr, c);
	}
	return arr;
}

static void
print_json(
	struct status_ctx	*ctx,
	const char		*path,
	const struct hsm_status	*st,
	int			error)
{
	struct json_object	*o = json_object_new_object();
	const struct hsm_record	*r = &st->rec;
	char			oid[33];

	json_add_path(o, path);
	if (error) {
		json_object_object_add(o, "state", NULL);
		json_object_object_add(o, "error", json_object_new_string(
				file_error_reason(NULL, error)));
	} else {
		json_object_object_add(o, "state",
				json_object_new_string(hsm_state_name(st->state)));
	}
	json_object_object_add(o, "dirty", json_object_new_boolean(st->dirty));
	json_object_object_add(o, "lost", json_object_new_boolean(
			st->has_record && (r->flags & HSM_F_LOST)));
	json_object_object_add(o, "pending",
			st->has_record && r->pending != HSM_OP_NONE ?
			json_object_new_string(hsm_op_name(r->pending)) : NULL);
	json_object_object_add(o, "size", json_object_new_uint64(st->size));
	json_object_object_add(o, "resident_bytes",
			json_object_new_uint64(st->resident_bytes));
	json_object_object_add(o, "ino", json_object_new_uint64(st->ino));
	json_object_object_add(o, "norelease", json_object_new_boolean(
			st->has_record && (r->flags & HSM_F_NORELEASE)));
	json_object_object_add(o, "noarchive", json_object_new_boolean(
			st->has_record && (r->flags & HSM_F_NOARCHIVE)));
	json_object_object_add(o, "recall_mode",
			!st->has_record || !(r->flags & HSM_F_RECALL_MODE) ?
			NULL : json_object_new_string(
				(r->flags & HSM_F_RECALL_RANGE) ? "range" :
								  "whole"));
	if (st->has_record && !error) {
		bool zero = hsm_oid_is_zero(r->copy[0].oid);

		hsm_oid_hex(r->copy[0].oid, oid);
		json_object_object_add(o, "object", zero ? NULL :
				json_object_new_string(oid));
		json_object_object_add(o, "copies", copies_json(r));
	} else {
		json_object_object_add(o, "object", NULL);
		json_object_object_add(o, "copies", json_object_new_array());
	}
	printf("%s\n    %s", ctx->first ? "" : ",",
	       json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
					       JSON_C_TO_STRING_NOSLASHESCAPE));
	ctx->first = false;
	json_object_put(o);
}

static void
one_file(
	const char		*path,
	const struct stat	*lst,
	bool			named,
	void			*arg)
{
	struct status_ctx	*ctx = arg;
	struct hsm_status	st;
	struct hsm_fs		*fs;
	char			flags[5];
	int			error;

	if (ctx->map) {
		status_map_file(path, named, ctx->json, &ctx->first);
		return;
	}
	fs = fs_for_stat(path, lst, false);
	if (!fs)
		return;
	error = hsm_status_get(fs, path, &st);
	if (error == -ENOENT && !named)
		return;		/* removed or renamed during the walk */
	if (error && error != -EUCLEAN && error != -EPROTONOSUPPORT) {
		report_file_error("status", path, NULL, error);
		return;
	}
	if (error)
		report_file_error("status", path, NULL, error);
	if (!error && (st.state == HSM_STATE_RELEASED ||
		       st.state == HSM_STATE_PARTIAL))
		note_released(ctx, fs);
	if (ctx->json) {
		print_json(ctx, path, &st, error);
		return;
	}
	if (error)
		return;
	hsm_status_flags(&st, flags);
	printf("%-8s %s %-10s %12" PRIu64 " %12" PRIu64 " %s\n",
	       hsm_state_name(st.state), flags,
	       st.has_record && st.rec.pending != HSM_OP_NONE ?
	       hsm_op_name(st.rec.pending) : "-",
	       st.size, st.resident_bytes, path);
}

void
status_help(void)
{
	printf("Usage:\n %s status [-r] [--json] [--map] <path>...\n\n"
	       "Show the HSM state of files: resident, archived (dual-state),"
	       " released or\npartial, with the flags D (dirty), L (lost), "
	       "R (norelease pin), A (noarchive\npin), the pending operation,"
	       " the size and the bytes resident.\n\nOptions:\n"
	       " -r, --recursive  walk directories (one filesystem, no "
	       "symlinks)\n"
	       "     --json       one JSON document {\"files\": [...]}\n"
	       "     --map        the byte ranges of each file: resident, "
	       "released (in the\n"
	       "                  store only) or hole\n"
	       " -h, --help       display this help\n\nSee xfs_hsm(8).\n",
	       PROGNAME);
}

/* Is @path the root of its filesystem (as opposed to a directory in it)? */
static struct hsm_fs *
mount_root(
	const char		*path)
{
	struct hsm_fs		*fs;
	struct stat		st;
	char			*real;
	bool			root;

	if (lstat(path, &st) < 0 || !S_ISDIR(st.st_mode))
		return NULL;
	fs = fs_for_path(path, false);
	if (!fs)
		return NULL;
	real = realpath(path, NULL);
	root = real && !strcmp(real, hsm_fs_mountpoint(fs));
	free(real);
	return root ? fs : NULL;
}

/*
 * status MOUNT: the filesystem, its store, whether a daemon serves it, and
 * the warning when files were released and none does.  From the note
 * release leaves on the root directory: no scan.
 */
static void
fs_summary(
	struct status_ctx	*ctx,
	struct hsm_fs		*fs)
{
	struct hsm_server_stats	st;
	struct json_object	*o;
	bool			served = !hsm_fs_daemon_stats(fs, &st);
	const char		*spec = hsm_fs_store_spec(fs);
	int64_t			when = 0;
	char			date[64] = "";
	int			released;

	released = hsm_fs_last_release(fs, &when) == 0;
	if (released)
		strftime(date, sizeof(date), "%Y-%m-%d %H:%M:%S",
			 localtime(&(time_t){ when }));
	if (ctx->json) {
		o = json_object_new_object();
		json_add_path(o, hsm_fs_mountpoint(fs));
		json_object_object_add(o, "uuid",
				json_object_new_string(hsm_fs_uuid(fs)));
		json_object_object_add(o, "store", spec ?
				json_object_new_string(spec) : NULL);
		json_object_object_add(o, "daemon_pid", served ?
				json_object_new_int64(st.pid) : NULL);
		json_object_object_add(o, "last_release", released ?
				json_object_new_int64(when) : NULL);
		printf("%s\n    %s", ctx->first_fs ? "" : ",",
		       json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
					JSON_C_TO_STRING_NOSLASHESCAPE));
		ctx->first_fs = false;
		json_object_put(o);
	} else {
		printf("filesystem %s: store %s; ", hsm_fs_mountpoint(fs),
		       spec ? spec : "none");
		if (served)
			printf("xfs_hsmd serves it (pid %u)\n", st.pid);
		else
			printf("no xfs_hsmd serves it\n");
		if (released)
			printf("files were last released %s\n", date);
	}
	if (released && !served) {
		fflush(stdout);
		warn_no_daemon(fs);
		fprintf(stderr, "%s: ('xfs_hsmscan %s' counts the released "
			"files)\n", PROGNAME, hsm_fs_mountpoint(fs));
	}
}

int
status_f(
	int			argc,
	char			**argv)
{
	static const struct option longopts[] = {
		{ "recursive",	no_argument,	NULL, 'r' },
		{ "json",	no_argument,	NULL, 'J' },
		{ "map",	no_argument,	NULL, 'M' },
		{ "help",	no_argument,	NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct status_ctx	ctx = { .first = true, .first_fs = true };
	struct seen_fs		*s, *next;
	struct hsm_fs		*fs;
	bool			recursive = false;
	char			**paths;
	int			c, i, n = 0;

	while ((c = getopt_long(argc, argv, "rh", longopts, NULL)) != -1) {
		switch (c) {
		case 'r':
			recursive = true;
			break;
		case 'J':
			ctx.json = true;
			break;
		case 'M':
			ctx.map = true;
			break;
		case 'h':
			status_help();
			return 0;
		default:
			errtryhelp(HSM_EX_USAGE);
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "%s: status: missing path\n", PROGNAME);
		errtryhelp(HSM_EX_USAGE);
	}
	require_root();
	/* a mount point without -r: the filesystem, not its files */
	paths = calloc(argc, sizeof(*paths));
	if (!paths) {
		fprintf(stderr, "%s: out of memory\n", PROGNAME);
		exit(HSM_EX_OPERATIONAL);
	}
	if (ctx.json)
		printf(ctx.map ? "{\"files\": [" : "{\"filesystems\": [");
	for (i = optind; i < argc; i++) {
		fs = recursive || ctx.map ? NULL : mount_root(argv[i]);
		if (fs)
			fs_summary(&ctx, fs);
		else
			paths[n++] = argv[i];
	}
	if (ctx.json && !ctx.map)
		printf("%s],\n \"files\": [", ctx.first_fs ? "" : "\n");
	walk_paths("status", paths, n, recursive, one_file, &ctx);
	free(paths);
	if (ctx.json)
		printf("%s]}\n", ctx.first ? "" : "\n");
	/* without a daemon, released data reads as zeros */
	for (s = ctx.released_fs; s; s = next) {
		next = s->next;
		if (!hsm_fs_daemon_running(s->fs))
			warn_no_daemon(s->fs);
		free(s);
	}
	return 0;
}
