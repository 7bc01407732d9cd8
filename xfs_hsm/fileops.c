// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * fileops.c - migrate, release, recall, forget: one libhsm operation per
 * file, over a batch that one bad file never stops.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "xfs_hsm.h"

enum fileop { OP_MIGRATE, OP_RELEASE, OP_RECALL, OP_FORGET };

struct fileop_ctx {
	enum fileop	op;
	const char	*verb;
	unsigned	flags;		/* HSM_MIGRATE_* */
	struct progress	*progress;
	struct workers	*workers;	/* with -j N, N > 1 */
};

/* What -v prints for a file the operation changed. */
static const char *
done_word(
	const struct fileop_ctx	*ctx)
{
	switch (ctx->op) {
	case OP_MIGRATE:
		return (ctx->flags & HSM_MIGRATE_KEEP) ? "archived" :
							 "migrated";
	case OP_RELEASE:
		return "released";
	case OP_RECALL:
		return "recalled";
	default:
		return "forgot";
	}
}

/* Run the operation on one file with @fs, this thread's handle. */
static void
do_file(
	const char		*path,
	struct hsm_fs		*fs,
	void			*arg)
{
	struct fileop_ctx	*ctx = arg;
	struct hsm_result	res = { 0 };
	struct hsm_status	st;
	int			error;

	if (!fs) {
		report_file_error(ctx->verb, path, NULL, -EIO);
		output_lock_take();
		progress_file(ctx->progress, 0, true);
		output_lock_drop();
		return;
	}
	/* per-file byte progress only makes sense with one worker */
	if (!ctx->workers)
		hsm_fs_set_progress(fs, progress_bytes, ctx->progress);
	switch (ctx->op) {
	case OP_MIGRATE:
		error = hsm_migrate(fs, path, ctx->flags, &res);
		break;
	case OP_RELEASE:
		error = hsm_release(fs, path, &res);
		break;
	case OP_RECALL:
		error = hsm_recall(fs, path, &res);
		break;
	default:
		error = hsm_forget(fs, path, &res);
		break;
	}
	hsm_fs_set_progress(fs, NULL, NULL);
	if (error)
		report_file_error(ctx->verb, path, fs, error);
	output_lock_take();
	progress_file(ctx->progress, res.bytes, error != 0);
	if (!error && verbose) {
		if (res.outcome == HSM_NOOP) {
			error = hsm_status_get(fs, path, &st);
			printf("%s: nothing to do (%s)\n", path,
			       error ? "unknown" : hsm_state_name(st.state));
		} else {
			printf("%s %s\n", done_word(ctx), path);
		}
	}
	output_lock_drop();
}

/* From the walk: check the filesystem once, then run or queue. */
static void
one_file(
	const char		*path,
	void			*arg)
{
	struct fileop_ctx	*ctx = arg;
	struct hsm_fs		*fs = fs_for_path(path, true);

	if (!fs) {
		/* filesystem or store reported already */
		output_lock_take();
		progress_file(ctx->progress, 0, true);
		output_lock_drop();
		return;
	}
	if (ctx->workers)
		workers_add(ctx->workers, path);
	else
		do_file(path, fs, ctx);
}

static int
fileop_run(
	enum fileop		op,
	const char		*verb,
	int			argc,
	char			**argv,
	void			(*help)(void))
{
	static const struct option longopts[] = {
		{ "keep",	no_argument,	NULL, 'k' },
		{ "recursive",	no_argument,	NULL, 'r' },
		{ "jobs",	required_argument, NULL, 'j' },
		{ "verbose",	no_argument,	NULL, 'v' },
		{ "help",	no_argument,	NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct fileop_ctx	ctx = { .op = op, .verb = verb };
	const char		*optstr = op == OP_MIGRATE ? "krj:vh" : "rj:vh";
	unsigned long		jobs = 1;
	bool			recursive = false;
	char			*end;
	int			c;

	while ((c = getopt_long(argc, argv, optstr, longopts, NULL)) != -1) {
		switch (c) {
		case 'k':
			if (op != OP_MIGRATE)
				errtryhelp(HSM_EX_USAGE);
			ctx.flags |= HSM_MIGRATE_KEEP;
			break;
		case 'r':
			recursive = true;
			break;
		case 'j':
			errno = 0;
			jobs = strtoul(optarg, &end, 10);
			if (errno || *end || !jobs || jobs > 1024 ||
			    optarg[0] == '-') {
				fprintf(stderr, "%s: %s: invalid --jobs '%s' "
					"(1 to 1024)\n", PROGNAME, verb, optarg);
				errtryhelp(HSM_EX_USAGE);
			}
			break;
		case 'v':
			verbose++;
			break;
		case 'h':
			help();
			return 0;
		default:
			errtryhelp(HSM_EX_USAGE);
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "%s: %s: missing path\n", PROGNAME, verb);
		errtryhelp(HSM_EX_USAGE);
	}
	require_root();
	ctx.progress = progress_start(verb);
	if (jobs > 1)
		ctx.workers = workers_start(jobs, do_file, &ctx);
	progress_refused(ctx.progress, walk_paths(verb, argv + optind,
			argc - optind, recursive, one_file, &ctx));
	if (ctx.workers)
		workers_finish(ctx.workers);
	progress_end(ctx.progress, recursive || argc - optind > 1);
	return 0;
}

static void
fileop_help(
	const char	*synopsis,
	const char	*what,
	bool		keep)
{
	printf("Usage:\n %s %s\n\n%s\n\nOptions:\n", PROGNAME, synopsis, what);
	if (keep)
		printf(" -k, --keep       archive only: keep the data resident "
		       "(dual-state)\n");
	printf(" -r, --recursive  walk directories (one filesystem, no "
	       "symlinks)\n"
	       " -j, --jobs <n>   work on n files at once (default 1)\n"
	       " -v, --verbose    report every file\n"
	       " -h, --help       display this help\n\nSee xfs_hsm(8).\n");
}

void
migrate_help(void)
{
	fileop_help("migrate [-k] [-r] [-j <n>] [-v] <path>...",
		"Copy each file to the store, then release its data unless "
		"--keep is given.", true);
}

void
release_help(void)
{
	fileop_help("release [-r] [-j <n>] [-v] <path>...",
		"Free the data blocks of archived files whose data has not "
		"changed since the copy.", false);
}

void
recall_help(void)
{
	fileop_help("recall [-r] [-j <n>] [-v] <path>...",
		"Bring released data back from the store; the file stays "
		"archived (dual-state).", false);
}

void
forget_help(void)
{
	fileop_help("forget [-r] [-j <n>] [-v] <path>...",
		"Delete the store copy of resident files.", false);
}

int
migrate_f(int argc, char **argv)
{
	return fileop_run(OP_MIGRATE, "migrate", argc, argv, migrate_help);
}

int
release_f(int argc, char **argv)
{
	return fileop_run(OP_RELEASE, "release", argc, argv, release_help);
}

int
recall_f(int argc, char **argv)
{
	return fileop_run(OP_RECALL, "recall", argc, argv, recall_help);
}

int
forget_f(int argc, char **argv)
{
	return fileop_run(OP_FORGET, "forget", argc, argv, forget_help);
}
