// SPDX-License-Identifier: GPL-2.0-or-later
/* init.c - xfs_hsm init: bind a store to an XFS filesystem. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include "xfs_hsm.h"

void
init_help(void)
{
	printf("Usage:\n %s init --store <spec> <mount>\n\n"
	       "Bind a store to the XFS filesystem mounted at <mount>.  The "
	       "binding is kept\nin the filesystem (%s on its root "
	       "directory); the store records the\nfilesystem UUID and "
	       "serves no other filesystem.\n\nOptions:\n"
	       " -s, --store <spec>  the store: posix:<dir>, a directory "
	       "on another filesystem,\n"
	       "                     or rados:<pool>[?conf=<file>&id=<client>"
	       "&namespace=<ns>\n"
	       "                     &timeout=<seconds>], a Ceph pool,\n"
	       "                     or s3://<bucket>[/<prefix>]?endpoint=<url>"
	       "[&region=<r>\n"
	       "                     &credentials=<file>&timeout=<seconds>], "
	       "an S3 bucket\n"
	       " -h, --help          display this help\n\nSee xfs_hsm(8).\n",
	       PROGNAME, HSM_XATTR_FS);
}

/* The directory part of "posix:DIR", for messages. */
static const char *
spec_dir(
	const char	*spec)
{
	const char	*colon = strchr(spec, ':');

	return colon ? colon + 1 : spec;
}

/* A mount point's parent is on another device, or is itself (/). */
static bool
is_mount_point(
	const char	*mnt)
{
	struct stat	st, up;
	char		parent[4200];

	snprintf(parent, sizeof(parent), "%s/..", mnt);
	if (stat(mnt, &st) < 0 || stat(parent, &up) < 0)
		return false;
	return st.st_dev != up.st_dev || st.st_ino == up.st_ino;
}

/* Why binding store @spec to @mnt failed (init, store add). */
void
report_bind_error(
	const char	*verb,
	const char	*mnt,
	const char	*spec,
	int		error)
{
	exitcode |= HSM_EX_OPERATIONAL;
	switch (error) {
	case -ENOTTY:
		fprintf(stderr, "%s: cannot %s '%s': not an XFS "
			"filesystem\n", PROGNAME, verb, mnt);
		break;
	case -EINVAL:
		if (is_mount_point(mnt))
			fprintf(stderr, "%s: cannot %s '%s': invalid store "
				"'%s'\n", PROGNAME, verb, mnt, spec);
		else
			fprintf(stderr, "%s: cannot %s '%s': not a mount "
				"point\n", PROGNAME, verb, mnt);
		break;
	case -ELOOP:
		fprintf(stderr, "%s: cannot %s '%s': store '%s' is inside "
			"the managed filesystem\n", PROGNAME, verb, mnt,
			spec_dir(spec));
		break;
	case -EXDEV:
		fprintf(stderr, "%s: cannot %s '%s': store '%s' is bound "
			"to another filesystem\n", PROGNAME, verb, mnt,
			spec_dir(spec));
		break;
	case -EEXIST:
		fprintf(stderr, "%s: cannot %s '%s': %s\n", PROGNAME, verb,
			mnt, strcmp(verb, "init") ? "already one of its stores" :
			"already bound to another store (xfs_hsm store add "
			"adds more)");
		break;
	case -ENOKEY:
		fprintf(stderr, "%s: cannot %s '%s': store '%s': no "
			"credentials (credentials=FILE, or AWS_ACCESS_KEY_ID "
			"and AWS_SECRET_ACCESS_KEY)\n", PROGNAME, verb, mnt, spec);
		break;
	case -EPERM:
		fprintf(stderr, "%s: cannot %s '%s': store '%s': its "
			"credentials file must belong to root and be readable "
			"by nobody else\n", PROGNAME, verb, mnt, spec);
		break;
	case -EOPNOTSUPP:
		fprintf(stderr, "%s: cannot %s '%s': store '%s': "
			"index_shards= is a rados: pool's, aggregate= a rados: "
			"or s3: store's (a directory store keeps one object "
			"per file)\n", PROGNAME, verb, mnt, spec);
		break;
	case -EMEDIUMTYPE:
		fprintf(stderr, "%s: cannot %s '%s': store '%s': its pool's "
			"aggregate index has another number of shards "
			"(index_shards= is fixed when a pool is first "
			"used)\n", PROGNAME, verb, mnt, spec);
		break;
	case -EPROTONOSUPPORT:
		fprintf(stderr, "%s: cannot %s '%s': unknown store '%s' "
			"(posix:DIR; rados:POOL and s3://BUCKET where their "
			"modules were built)\n", PROGNAME, verb, mnt, spec);
		break;
	default:
		fprintf(stderr, "%s: cannot %s '%s': store '%s': %s\n",
			PROGNAME, verb, mnt, spec_dir(spec), strerror(-error));
		break;
	}
}

int
init_f(
	int		argc,
	char		**argv)
{
	static const struct option longopts[] = {
		{ "store",	required_argument, NULL, 's' },
		{ "help",	no_argument,	   NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char	*spec = NULL, *mnt;
	struct hsm_fs	*fs;
	struct stat	st;
	int		c, error;

	while ((c = getopt_long(argc, argv, "s:h", longopts, NULL)) != -1) {
		switch (c) {
		case 's':
			spec = optarg;
			break;
		case 'h':
			init_help();
			return 0;
		default:
			errtryhelp(HSM_EX_USAGE);
		}
	}
	if (!spec || optind != argc - 1) {
		fprintf(stderr, "%s: init: %s\n", PROGNAME, !spec ?
			"--store is required" : "expected one mount point");
		errtryhelp(HSM_EX_USAGE);
	}
	require_root();
	mnt = argv[optind];
	if (stat(mnt, &st) < 0) {
		fprintf(stderr, "%s: cannot init '%s': %s\n", PROGNAME, mnt,
			strerror(errno));
		exitcode |= HSM_EX_OPERATIONAL;
		return 0;
	}
	error = hsm_fs_bind(mnt, spec);
	if (error == 1) {
		printf("%s: already bound to %s\n", mnt, spec);
		return 0;
	}
	if (error == 0) {
		if (hsm_fs_open(mnt, 0, &fs) == 0) {
			printf("%s: bound to store %s (filesystem uuid %s)\n",
			       mnt, hsm_fs_store_spec(fs), hsm_fs_uuid(fs));
			hsm_fs_free(fs);
		}
		return 0;
	}
	report_bind_error("init", mnt, spec, error);
	return 0;
}
