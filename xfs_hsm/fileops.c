// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * fileops.c - migrate, release, recall, forget: one libhsm operation per
 * file, over a batch that one bad file never stops.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include "xfs_hsm.h"

enum fileop { OP_MIGRATE, OP_RELEASE, OP_RECALL, OP_FORGET };

struct fileop_ctx {
	enum fileop	op;
	const char	*verb;
	unsigned	flags;		/* HSM_MIGRATE_* */
	struct progress	*progress;
	unsigned long	nfiles;
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

static void
one_file(
	const char		*path,
	void			*arg)
{
	struct fileop_ctx	*ctx = arg;
	struct hsm_result	res = { 0 };
	struct hsm_status	st;
	struct hsm_fs		*fs;
	int			error;

	ctx->nfiles++;
	fs = fs_for_path(path, true);
	if (!fs) {
		progress_file(ctx->progress, 0, true);
		return;		/* filesystem or store reported already */
	}
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
	progress_file(ctx->progress, res.bytes, error != 0);
	if (error) {
		report_file_error(ctx->verb, path, fs, error);
		return;
	}
	if (!verbose)
		return;
	if (res.outcome == HSM_NOOP) {
		error = hsm_status_get(fs, path, &st);
		printf("%s: nothing to do (%s)\n", path,
		       error ? "unknown" : hsm_state_name(st.state));
	} else {
		printf("%s %s\n", done_word(ctx), path);
	}
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
		{ "verbose",	no_argument,	NULL, 'v' },
		{ "help",	no_argument,	NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct fileop_ctx	ctx = { .op = op, .verb = verb };
	const char		*optstr = op == OP_MIGRATE ? "krvh" : "rvh";
	bool			recursive = false;
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
	progress_refused(ctx.progress, walk_paths(verb, argv + optind,
			argc - optind, recursive, one_file, &ctx));
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
	       " -v, --verbose    report every file\n"
	       " -h, --help       display this help\n\nSee xfs_hsm(8).\n");
}

void
migrate_help(void)
{
	fileop_help("migrate [-k] [-r] [-v] <path>...",
		"Copy each file to the store, then release its data unless "
		"--keep is given.", true);
}

void
release_help(void)
{
	fileop_help("release [-r] [-v] <path>...",
		"Free the data blocks of archived files whose data has not "
		"changed since the copy.", false);
}

void
recall_help(void)
{
	fileop_help("recall [-r] [-v] <path>...",
		"Bring released data back from the store; the file stays "
		"archived (dual-state).", false);
}

void
forget_help(void)
{
	fileop_help("forget [-r] [-v] <path>...",
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
