// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * fileops.c - migrate, release, recall, forget: one libhsm command over
 * the files named, in batches that one bad file never stops.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "xfs_hsm.h"
#include "policy.h"
#include "strutils.h"

/* What -v prints for a file the command changed, or did not. */
static void
report(
	struct batch_run		*run,
	const struct hsm_item_result	*r)
{
	struct hsm_fs			*fs;
	struct hsm_status		st;
	const char			*word;

	if (!verbose)
		return;
	if (r->outcome == HSM_NOOP) {
		fs = fs_for_path(r->path, false);
		printf("%s: nothing to do (%s)\n", r->path,
		       fs && !hsm_status_get(fs, r->path, &st) ?
		       hsm_state_name(st.state) : "unknown");
		return;
	}
	switch (run->cmd) {
	case HSM_CMD_MIGRATE:
		word = (run->flags & HSM_MIGRATE_KEEP) ? "archived" :
							  "migrated";
		break;
	case HSM_CMD_RELEASE:
		word = "released";
		break;
	case HSM_CMD_RECALL:
		word = "recalled";
		break;
	default:
		word = "forgot";
		break;
	}
	printf("%s %s\n", word, r->path);
}

static int
fileop_run(
	enum hsm_command	cmd,
	const char		*verb,
	int			argc,
	char			**argv,
	void			(*help)(void))
{
	static const struct option longopts[] = {
		{ "keep",	no_argument,	NULL, 'k' },
		{ "copies",	required_argument, NULL, 'c' },
		{ "config",	required_argument, NULL, 'C' },
		{ "recursive",	no_argument,	NULL, 'r' },
		{ "verbose",	no_argument,	NULL, 'v' },
		{ "help",	no_argument,	NULL, 'h' },
		BATCH_LONGOPTS,
		{ NULL, 0, NULL, 0 },
	};
	struct batch_run	run = {
		.verb		= verb,
		.cmd		= cmd,
		.need_store	= true,
		.report		= report,
	};
	const char		*optstr = cmd == HSM_CMD_MIGRATE ? "kc:rj:vh" :
								   "rj:vh";
	bool			recursive = false;
	int			c;

	while ((c = getopt_long(argc, argv, optstr, longopts, NULL)) != -1) {
		if (batch_option(&run, c, optarg))
			continue;
		switch (c) {
		case 'k':
			if (cmd != HSM_CMD_MIGRATE)
				errtryhelp(HSM_EX_USAGE);
			run.flags |= HSM_MIGRATE_KEEP;
			break;
		case 'c':
			if (cmd != HSM_CMD_MIGRATE ||
			    parse_uint(optarg, 1, HSM_COPIES_MAX, &run.copies)) {
				fprintf(stderr, "%s: %s: --copies: 1 to %u\n",
					PROGNAME, verb, HSM_COPIES_MAX);
				errtryhelp(HSM_EX_USAGE);
			}
			break;
		case 'C':
			if (cmd != HSM_CMD_MIGRATE)
				errtryhelp(HSM_EX_USAGE);
			run.config = optarg;
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
	batch_run_paths(&run, argv + optind, argc - optind, recursive);
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
		printf(" -k, --keep             archive only: keep the data "
		       "resident (dual-state)\n"
		       " -c, --copies <n>       copies on as many stores (1 "
		       "to %u; default: copies\n"
		       "                        in xfs_hsm.conf, else 1); a "
		       "file is released once\n"
		       "                        all are durable\n"
		       "     --config <file>    where that default is (%s)\n",
		       HSM_COPIES_MAX, POLICY_CONFIG);
	printf(" -r, --recursive        walk directories (one filesystem, "
	       "no symlinks)\n");
	batch_options_help();
	printf(" -v, --verbose          report every file (twice: the "
	       "batches too)\n"
	       " -h, --help             display this help\n\n"
	       "See xfs_hsm(8).\n");
}

void
migrate_help(void)
{
	fileop_help("migrate [-k] [-c <n>] [-r] [-j <n>] [-v] <path>...",
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
	return fileop_run(HSM_CMD_MIGRATE, "migrate", argc, argv,
			  migrate_help);
}

int
release_f(int argc, char **argv)
{
	return fileop_run(HSM_CMD_RELEASE, "release", argc, argv,
			  release_help);
}

int
recall_f(int argc, char **argv)
{
	return fileop_run(HSM_CMD_RECALL, "recall", argc, argv, recall_help);
}

int
forget_f(int argc, char **argv)
{
	return fileop_run(HSM_CMD_FORGET, "forget", argc, argv, forget_help);
}
