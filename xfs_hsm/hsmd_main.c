// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * hsmd_main.c - xfs_hsmd: make released data come back the moment
 * anything touches it, on one XFS filesystem.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>
#include <sys/stat.h>
#include "hsmd.h"
#include "policy.h"
#include "strutils.h"

static void
usage(void)
{
	printf("Usage:\n %s [options] <mount>\n\n"
	       "Serve the XFS filesystem mounted at <mount>: recall released "
	       "file data from\nthe store before any read, write, mmap, exec "
	       "or truncate can see it.\n\nOptions:\n"
	       " -f, --foreground        stay in the foreground, log to "
	       "stderr\n"
	       " -c, --config <file>     settings (default %s)\n"
	       " -P, --policy-config <file>\n"
	       "                         run the space policy of <file> "
	       "every check_interval\n"
	       "                         (default: " POLICY_CONFIG ", if "
	       "it exists)\n"
	       " -m, --mode <mode>       whole (default) or range, for files "
	       "that set none\n"
	       " -j, --workers <n>       recall threads (default 8)\n"
	       " -C, --chunk-size <size> range recall unit (default: the "
	       "copy's, 1M)\n"
	       " -a, --readahead <n>     units recalled ahead of a sequential "
	       "reader (4)\n"
	       " -t, --timeout <sec>     a recall not done by then fails "
	       "with EIO (300)\n"
	       "     --no-journal        keep no change journal "
	       "(xfs_hsm changes)\n"
	       "     --journal-retention <time>\n"
	       "                         drop closed epochs older than "
	       "<time> (7d; 0: never)\n"
	       " -v, --verbose           log every range recall too\n"
	       " -h, --help              display this help\n"
	       " -V, --version           display version\n\n"
	       "Start it right after the mount, before anyone uses the "
	       "filesystem.\nSee xfs_hsmd(8).\n", HSMD_NAME, HSMD_CONFIG);
}

static void __attribute__((noreturn))
tryhelp(void)
{
	fprintf(stderr, "Try '%s --help' for more information.\n", HSMD_NAME);
	exit(HSM_EX_USAGE);
}

/* One option value through the config parser, or a usage error. */
static void
set_opt(
	struct hsmd_opts	*o,
	const char		*key,
	const char		*opt,
	const char		*value,
	unsigned		bit)
{
	if (hsmd_set(&o->cfg, key, value)) {
		fprintf(stderr, "%s: invalid %s '%s'\n", HSMD_NAME, opt, value);
		tryhelp();
	}
	o->set |= bit;
}

static void
parse_args(
	int			argc,
	char			**argv,
	struct hsmd_opts	*o)
{
	static const struct option longopts[] = {
		{ "foreground",	no_argument,	   NULL, 'f' },
		{ "config",	required_argument, NULL, 'c' },
		{ "policy-config", required_argument, NULL, 'P' },
		{ "mode",	required_argument, NULL, 'm' },
		{ "workers",	required_argument, NULL, 'j' },
		{ "chunk-size",	required_argument, NULL, 'C' },
		{ "readahead",	required_argument, NULL, 'a' },
		{ "timeout",	required_argument, NULL, 't' },
		{ "no-journal",	no_argument,	   NULL, 'J' },
		{ "journal-retention", required_argument, NULL, 'R' },
		{ "verbose",	no_argument,	   NULL, 'v' },
		{ "help",	no_argument,	   NULL, 'h' },
		{ "version",	no_argument,	   NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	int			c;

	argv[0] = (char *)HSMD_NAME;
	while ((c = getopt_long(argc, argv, "fc:P:m:j:C:a:t:vhV", longopts,
				NULL)) != -1) {
		switch (c) {
		case 'f':
			o->foreground = true;
			break;
		case 'c':
			o->config = optarg;
			break;
		case 'P':
			o->policy_config = optarg;
			break;
		case 'm':
			set_opt(o, "mode", "--mode", optarg, SET_MODE);
			break;
		case 'j':
			set_opt(o, "workers", "--workers", optarg, SET_WORKERS);
			break;
		case 'C':
			set_opt(o, "chunk_size", "--chunk-size", optarg,
				SET_CHUNK);
			break;
		case 'a':
			set_opt(o, "readahead", "--readahead", optarg,
				SET_READAHEAD);
			break;
		case 't':
			set_opt(o, "timeout", "--timeout", optarg, SET_TIMEOUT);
			break;
		case 'J':
			o->no_journal = true;
			break;
		case 'R':
			if (parse_duration(optarg, &o->journal_retention)) {
				fprintf(stderr, "%s: invalid --journal-retention"
					" '%s'\n", HSMD_NAME, optarg);
				tryhelp();
			}
			o->set |= SET_RETENTION;
			break;
		case 'v':
			o->verbose++;
			break;
		case 'h':
			usage();
			exit(0);
		case 'V':
			printf("%s from xfs-hsm %s\n", HSMD_NAME, LIBHSM_VERSION);
			exit(0);
		default:
			tryhelp();
		}
	}
	if (optind != argc - 1) {
		fprintf(stderr, "%s: %s\n", HSMD_NAME, optind >= argc ?
			"missing mount point" : "one mount point only");
		tryhelp();
	}
	o->mnt = argv[optind];
}

/* Detach from the terminal: the parent returns once the child runs. */
static void
daemonize(void)
{
	pid_t		pid;
	int		fd;

	pid = fork();
	if (pid < 0) {
		fprintf(stderr, "%s: fork: %s\n", HSMD_NAME, strerror(errno));
		exit(HSM_EX_OPERATIONAL);
	}
	if (pid > 0)
		_exit(0);
	setsid();
	fd = open("/dev/null", O_RDWR);
	if (fd >= 0) {
		dup2(fd, 0);
		dup2(fd, 1);
		dup2(fd, 2);
		if (fd > 2)
			close(fd);
	}
}

/* Open the filesystem @mnt is the root of, or explain why not. */
static struct hsm_fs *
open_fs(
	const char	*mnt)
{
	struct hsm_fs	*fs;
	char		*real;
	int		error;

	error = hsm_fs_open(mnt, 0, &fs);
	if (error == -ENOTTY) {
		fprintf(stderr, "%s: '%s' is not on an XFS filesystem\n",
			HSMD_NAME, mnt);
		return NULL;
	}
	if (error) {
		fprintf(stderr, "%s: '%s': %s\n", HSMD_NAME, mnt,
			strerror(-error));
		return NULL;
	}
	real = realpath(mnt, NULL);
	if (!real || strcmp(real, hsm_fs_mountpoint(fs))) {
		fprintf(stderr, "%s: '%s' is not a mount point (the filesystem "
			"is mounted at '%s')\n", HSMD_NAME, mnt,
			hsm_fs_mountpoint(fs));
		free(real);
		hsm_fs_free(fs);
		return NULL;
	}
	free(real);
	return fs;
}

int
main(
	int			argc,
	char			**argv)
{
	struct hsmd_opts	o = { .cfg.readahead = HSMD_READAHEAD,
				      .journal_retention = HSMD_RETENTION };
	struct hsm_evtab	*t = NULL;
	struct hsm_fs		*fs;
	int			lockfd, group_fd = -1, journal_fd = -1, error;

	parse_args(argc, argv, &o);
	/* first, before any fd of ours could take a number it needs */
	if (hsmd_fdstore_take(&group_fd, &t, &journal_fd) <= 0) {
		group_fd = -1;
		t = NULL;
	}
	if (hsmd_read_config(&o))
		return HSM_EX_USAGE;
	if (geteuid() != 0) {
		fprintf(stderr, "%s: must be run as root\n", HSMD_NAME);
		return HSM_EX_OPERATIONAL;
	}
	fs = open_fs(o.mnt);
	if (!fs)
		return HSM_EX_OPERATIONAL;
	o.mnt = hsm_fs_mountpoint(fs);
	o.uuid = hsm_fs_uuid(fs);
	o.cfg.log = hsmd_log;
	hsmd_log_init(true, o.verbose);
	/* before we leave the terminal: a bad policy file is seen there */
	hsmd_policy_init(&o, &o.policy);

	error = hsm_fs_open_store(fs);
	if (error == -ENODATA)
		hsmd_logf(LOG_WARNING, "%s has no store bound: nothing can be "
			  "recalled until 'xfs_hsm init' binds one", o.mnt);
	else if (error)
		hsmd_logf(LOG_WARNING, "store '%s' of %s is not usable (%s): "
			  "reads of released files fail with EIO until it is",
			  hsm_fs_store_spec(fs), o.mnt, strerror(-error));

	error = hsm_server_lock(fs, 0, &lockfd);
	if (error == -EWOULDBLOCK) {
		hsmd_logf(LOG_WARNING, "waiting: another xfs_hsmd serves %s, "
			  "or xfs_hsm commands are running on it", o.mnt);
		error = hsm_server_lock(fs, 1, &lockfd);
	}
	if (error) {
		fprintf(stderr, "%s: cannot lock %s: %s\n", HSMD_NAME, o.mnt,
			strerror(-error));
		return HSM_EX_OPERATIONAL;
	}
	if (!o.foreground) {
		daemonize();
		hsmd_log_init(false, o.verbose);
	}
	error = hsmd_supervise(&o, fs, group_fd, t, journal_fd);
	close(lockfd);
	hsm_fs_free(fs);
	return error;
}
