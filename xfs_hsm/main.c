// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * main.c - xfs_hsm: the command table, global options, and the per-device
 * filesystem cache the subcommands share.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/resource.h>
#include "xfs_hsm.h"
#include "closestream.h"

int exitcode;
int verbose;

static const struct cmdinfo cmdtab[] = {
	{ "init", init_f, "--store posix:DIR MOUNT",
	  "bind a store to an XFS filesystem", init_help },
	{ "store", store_f, "list|add|drain|remove MOUNT [SPEC|ID]",
	  "list, add, drain and remove the stores of a filesystem",
	  store_help },
	{ "import", import_f, "[-s SPEC] [--old-mount DIR] [-n] MOUNT",
	  "rebuild a lost filesystem from its stores (released stubs)",
	  import_help },
	{ "undelete", undelete_f, "[-m MOUNT] [-n] OBJECT [PATH]",
	  "bring a deleted file back from its object", undelete_help },
	{ "migrate", migrate_f, "[-k] [-c N] [-r] PATH...",
	  "archive files to the store, then release them", migrate_help },
	{ "release", release_f, "[-r] PATH...",
	  "free the data of archived, unchanged files", release_help },
	{ "recall", recall_f, "[-r] PATH...",
	  "bring released data back from the store", recall_help },
	{ "forget", forget_f, "[-r] PATH...",
	  "drop the store copy of resident files", forget_help },
	{ "status", status_f, "[-r] [--json] PATH...",
	  "show the HSM state of files", status_help },
	{ "set", set_f, "--norelease|--noarchive|--recall=MODE [-r] PATH...",
	  "pin files, or choose how xfs_hsmd recalls them", set_help },
	{ "clear", clear_f, "--norelease|--noarchive|--recall [-r] PATH...",
	  "remove pins or a file's recall mode", clear_help },
	{ "stats", stats_f, "[--json] MOUNT",
	  "show the counters of the xfs_hsmd serving MOUNT", stats_help },
	{ "changes", changes_f,
	  "[--json] [--since EPOCH] [--under PATH] [--files] MOUNT",
	  "list the directories changed since an epoch (--checkpoint)",
	  changes_help },
	{ "policy", policy_f, "[--config FILE] [-n] [--json] [-j N] MOUNT",
	  "keep a filesystem below its watermarks, once", policy_help },
};
#define NCMDS	(sizeof(cmdtab) / sizeof(cmdtab[0]))

void
require_root(void)
{
	if (geteuid() != 0) {
		fprintf(stderr, "%s: must be run as root\n", PROGNAME);
		exit(HSM_EX_OPERATIONAL);
	}
}

static void
usage(void)
{
	size_t		i;

	printf("Usage:\n %s [options] <command> [<args>]\n\n", PROGNAME);
	printf("Hierarchical storage management for XFS.\n\nCommands:\n");
	for (i = 0; i < NCMDS; i++)
		printf(" %-8s %s\n", cmdtab[i].name, cmdtab[i].oneline);
	printf(" %-8s %s\n", "help", "show the help of a command");
	printf("\nOptions:\n"
	       " -v, --verbose  report every file\n"
	       " -h, --help     display this help\n"
	       " -V, --version  display version\n"
	       "\nRun '%s help <command>' or '%s <command> --help' for a "
	       "command's options.\nSee xfs_hsm(8).\n", PROGNAME, PROGNAME);
}

static const struct cmdinfo *
find_cmd(
	const char	*name)
{
	size_t		i;

	for (i = 0; i < NCMDS; i++)
		if (!strcmp(cmdtab[i].name, name))
			return &cmdtab[i];
	return NULL;
}

static int
help_f(
	int			argc,
	char			**argv)
{
	const struct cmdinfo	*ct;

	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		usage();
		return 0;
	}
	ct = find_cmd(argv[1]);
	if (!ct) {
		fprintf(stderr, "%s: unknown command '%s'\n", PROGNAME, argv[1]);
		errtryhelp(HSM_EX_USAGE);
	}
	printf("%s %s -- %s\n\n", ct->name, ct->args, ct->oneline);
	ct->help();
	return 0;
}

/* A batch holds its files open: let it have what the hard limit allows
 * (a soft limit of 1024 is for select(2), which we do not use). */
static void
raise_nofile(void)
{
	struct rlimit		rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

int
main(
	int			argc,
	char			**argv)
{
	static const struct option longopts[] = {
		{ "verbose",	no_argument,	NULL, 'v' },
		{ "help",	no_argument,	NULL, 'h' },
		{ "version",	no_argument,	NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	const struct cmdinfo	*ct;
	int			c;

	atexit(close_stdout);
	raise_nofile();
	argv[0] = (char *)PROGNAME;	/* getopt's message prefix */
	while ((c = getopt_long(argc, argv, "+vhV", longopts, NULL)) != -1) {
		switch (c) {
		case 'v':
			verbose++;
			break;
		case 'h':
			usage();
			return 0;
		case 'V':
			printf("%s from xfs-hsm %s\n", PROGNAME, LIBHSM_VERSION);
			return 0;
		default:
			errtryhelp(HSM_EX_USAGE);
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "%s: no command given\n", PROGNAME);
		errtryhelp(HSM_EX_USAGE);
	}
	argc -= optind;
	argv += optind;
	optind = 0;		/* reset getopt for the subcommand */
	if (!strcmp(argv[0], "help"))
		return help_f(argc, argv);
	ct = find_cmd(argv[0]);
	if (!ct) {
		fprintf(stderr, "%s: unknown command '%s'\n", PROGNAME, argv[0]);
		errtryhelp(HSM_EX_USAGE);
	}
	/* getopt prefixes its messages with argv[0]: make it ours */
	argv[0] = (char *)PROGNAME;
	ct->fn(argc, argv);
	fs_cache_free();
	return exitcode;
}
