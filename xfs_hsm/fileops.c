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

/*
 * "OFFSET:LENGTH", each a size with an optional K, M, G, T suffix (as
 * --batch-size): one more range for recall --range.  -EINVAL for a
 * malformed spec, an empty or overflowing range; -E2BIG for too many.
 */
static int
add_range(
	struct batch_run	*run,
	const char		*spec)
{
	const char		*colon = strchr(spec, ':');
	char			off[32];
	uint64_t		o, l;

	if (run->nranges == HSM_RANGES_MAX)
		return -E2BIG;
	if (!colon || (size_t)(colon - spec) >= sizeof(off))
		return -EINVAL;
	memcpy(off, spec, colon - spec);
	off[colon - spec] = '\0';
	if (parse_size(off, &o) || parse_size(colon + 1, &l) || !l ||
	    o > UINT64_MAX - l)
		return -EINVAL;
	run->ranges[run->nranges].off = o;
	run->ranges[run->nranges].len = l;
	run->nranges++;
	return 0;
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
		{ "range",	required_argument, NULL, 'R' },
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
	int			c, error;

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
		case 'R':
			if (cmd != HSM_CMD_RECALL)
				errtryhelp(HSM_EX_USAGE);
			error = add_range(&run, optarg);
			if (error) {
				if (error == -E2BIG)
					fprintf(stderr, "%s: %s: --range '%s': "
						"at most %d ranges\n", PROGNAME,
						verb, optarg, HSM_RANGES_MAX);
				else
					fprintf(stderr, "%s: %s: bad --range "
						"'%s': OFFSET:LENGTH expected "
						"(sizes with K, M, G or T; "
						"LENGTH above 0)\n", PROGNAME,
						verb, optarg);
				errtryhelp(HSM_EX_USAGE);
			}
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
	bool		keep,
	bool		range)
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
	if (range)
		printf("     --range <off:len>  only the chunks covering those "
		       "bytes (K, M, G, T\n"
		       "                        suffixes; several allowed); the "
		       "file stays released\n"
		       "                        (partial) for the rest\n");
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
		"--keep is given.", true, false);
}

void
release_help(void)
{
	fileop_help("release [-r] [-j <n>] [-v] <path>...",
		"Free the data blocks of archived files whose data has not "
		"changed since the copy.", false, false);
}

void
recall_help(void)
{
	fileop_help("recall [--range <off:len>]... [-r] [-j <n>] [-v] "
		"<path>...",
		"Bring released data back from the store; the file stays "
		"archived (dual-state).", false, true);
}

void
forget_help(void)
{
	fileop_help("forget [-r] [-j <n>] [-v] <path>...",
		"Delete the store copy of resident files.", false, false);
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
