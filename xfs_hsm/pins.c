// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * pins.c - xfs_hsm set|clear: the administrator's flags, the
 * --norelease and --noarchive pins and the --recall mode xfs_hsmd uses.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include "xfs_hsm.h"

/* What -v prints for a file whose flags changed. */
static void
report(
	struct batch_run		*run,
	const struct hsm_item_result	*r)
{
	unsigned			set = run->flags & 0xffff;
	unsigned			clear = run->flags >> 16;

	if (!verbose)
		return;
	if ((set | clear) & HSM_F_PINS)
		printf("%s %s\n", set ? "pinned" : "unpinned", r->path);
	else
		printf("recall mode %s %s\n", set ? "set" : "cleared",
		       r->path);
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
		{ "recall",	optional_argument, NULL, 'M' },
		{ "recursive",	no_argument,	NULL, 'r' },
		{ "verbose",	no_argument,	NULL, 'v' },
		{ "help",	no_argument,	NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct batch_run run = {
		.verb		= set ? "set" : "clear",
		.cmd		= HSM_CMD_PINS,
		.report		= report,
	};
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
		case 'M':
			if (!set && !optarg) {
				pins |= HSM_F_RECALL_MODE;
			} else if (set && optarg && !strcmp(optarg, "whole")) {
				pins |= HSM_F_RECALL_WHOLE;
			} else if (set && optarg && !strcmp(optarg, "range")) {
				pins |= HSM_F_RECALL_RANGE;
			} else {
				fprintf(stderr, "%s: %s: %s\n", PROGNAME,
					run.verb, set ? "--recall needs 'whole' "
					"or 'range'" : "--recall takes no value");
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
	if (!pins || optind >= argc) {
		fprintf(stderr, "%s: %s: %s\n", PROGNAME, run.verb, !pins ?
			"--norelease, --noarchive or --recall is required" :
			"missing path");
		errtryhelp(HSM_EX_USAGE);
	}
	require_root();
	run.flags = set ? HSM_PINS(pins, 0) : HSM_PINS(0, pins);
	batch_run_paths(&run, argv + optind, argc - optind, recursive);
	return 0;
}

void
set_help(void)
{
	printf("Usage:\n %s set --norelease|--noarchive|--recall=<mode> [-r] "
	       "[-v] <path>...\n\nSet the administrator's flags: pins, an "
	       "exception to migration policy,\nand how xfs_hsmd recalls the "
	       "file.\n\nOptions:\n"
	       "     --norelease       never release the file's data\n"
	       "     --noarchive       never archive the file\n"
	       "     --recall=<mode>   whole: all of it before open returns; "
	       "range: the ranges\n"
	       "                       read, as they are read\n"
	       " -r, --recursive       walk directories\n"
	       " -v, --verbose         report every file\n"
	       " -h, --help            display this help\n\nSee xfs_hsm(8).\n",
	       PROGNAME);
}

void
clear_help(void)
{
	printf("Usage:\n %s clear --norelease|--noarchive|--recall [-r] [-v] "
	       "<path>...\n\nClear flags set with 'set'; without a --recall "
	       "mode of its own a file\nfollows xfs_hsmd's --mode.\n\n"
	       "Options:\n"
	       "     --norelease       remove the pin\n"
	       "     --noarchive       remove the pin\n"
	       "     --recall          the file's recall mode\n"
	       " -r, --recursive       walk directories\n"
	       " -v, --verbose         report every file\n"
	       " -h, --help            display this help\n\nSee xfs_hsm(8).\n",
	       PROGNAME);
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
