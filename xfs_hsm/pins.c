// SPDX-License-Identifier: GPL-2.0-or-later
/* pins.c - xfs_hsm set|clear --norelease|--noarchive. */
#include <getopt.h>
#include <stdio.h>
#include "xfs_hsm.h"

struct pin_ctx {
	unsigned	set;
	unsigned	clear;
	const char	*verb;
};

static void
one_file(
	const char	*path,
	void		*arg)
{
	struct pin_ctx	*ctx = arg;
	struct hsm_fs	*fs = fs_for_path(path, false);
	int		error;

	if (!fs)
		return;
	error = hsm_set_pins(fs, path, ctx->set, ctx->clear);
	if (error) {
		report_file_error(ctx->verb, path, fs, error);
		return;
	}
	if (verbose)
		printf("%s %s\n", ctx->set ? "pinned" : "unpinned", path);
}

static int
pins_run(
	bool		set,
	int		argc,
	char		**argv,
	void		(*help)(void))
{
	static const struct option longopts[] = {
		{ "norelease",	no_argument,	NULL, 'R' },
		{ "noarchive",	no_argument,	NULL, 'A' },
		{ "recursive",	no_argument,	NULL, 'r' },
		{ "verbose",	no_argument,	NULL, 'v' },
		{ "help",	no_argument,	NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct pin_ctx	ctx = { .verb = set ? "set" : "clear" };
	unsigned	pins = 0;
	bool		recursive = false;
	int		c;

	while ((c = getopt_long(argc, argv, "rvh", longopts, NULL)) != -1) {
		switch (c) {
		case 'R':
			pins |= HSM_F_NORELEASE;
			break;
		case 'A':
			pins |= HSM_F_NOARCHIVE;
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
	if (!pins || optind >= argc) {
		fprintf(stderr, "%s: %s: %s\n", PROGNAME, ctx.verb, !pins ?
			"--norelease or --noarchive is required" :
			"missing path");
		errtryhelp(HSM_EX_USAGE);
	}
	require_root();
	if (set)
		ctx.set = pins;
	else
		ctx.clear = pins;
	walk_paths(ctx.verb, argv + optind, argc - optind, recursive,
		   one_file, &ctx);
	return 0;
}

static void
pins_help(
	const char	*verb,
	const char	*what)
{
	printf("Usage:\n %s %s --norelease|--noarchive [-r] [-v] <path>...\n"
	       "\n%s\n\nOptions:\n"
	       "     --norelease  never release the file's data\n"
	       "     --noarchive  never archive the file\n"
	       " -r, --recursive  walk directories\n"
	       " -v, --verbose    report every file\n"
	       " -h, --help       display this help\n\nSee xfs_hsm(8).\n",
	       PROGNAME, verb, what);
}

void
set_help(void)
{
	pins_help("set", "Pin files: an administrator's exception to "
		  "migration policy.");
}

void
clear_help(void)
{
	pins_help("clear", "Remove pins set with 'set'.");
}

int
set_f(int argc, char **argv)
{
	return pins_run(true, argc, argv, set_help);
}

int
clear_f(int argc, char **argv)
{
	return pins_run(false, argc, argv, clear_help);
}
