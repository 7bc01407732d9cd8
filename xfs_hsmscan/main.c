// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * main.c - xfs_hsmscan: find every inode with HSM state at the speed of
 * bulkstat, never by walking directories; report, list, repair what a
 * crash left, audit the store.  See xfs_hsmscan(8).
 *
 * The steps, in this order:
 *  1. open the filesystem (its mount point) and read its geometry;
 *  2. with --audit, list the store (before the scan: audit.c says why);
 *  3. scan every allocation group (scan.c), streaming --list lines unless
 *     --paths makes them wait for the names;
 *  4. --repair, then --audit's checks and --gc, through libhsm;
 *  5. with --paths or --refresh-paths, one walk of the directories for
 *     every inode reported or named in the store;
 *  6. the reports, then the summary; the exit status sums what happened.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "xfs_hsmscan.h"
#include "closestream.h"
#include "configfile.h"
#include "policy.h"

#ifndef HSM_STATEDIR
#define HSM_STATEDIR	"/var/lib/xfs-hsm"
#endif

static void
usage(void)
{
	printf("Usage:\n %s [options] <mount>\n\n", PROGNAME);
	printf("Scan every inode of an XFS filesystem with bulkstat for HSM "
	       "state: count the\nfiles in each state, list them, repair "
	       "what a crash left pending, and check\nthe filesystem "
	       "against its store.\n\nOptions:\n");
	printf(
" -j, --jobs <n>              allocation groups scanned at once (default:\n"
"                             the number of CPUs)\n"
"     --json                  one JSON document on stdout\n"
" -R, --report                files and bytes per state by age (mtime) and\n"
"                             by size, to size a space policy\n"
" -l, --list <states>         list the files in these states, a comma list\n"
"                             of: resident archived released partial dirty\n"
"                             lost pending migrating releasing recalling\n"
"                             forgetting bad all\n"
" -c, --changed-since <time>  list the inodes changed (ctime) after <time>:\n"
"                             @SECONDS[.FRACTION] or YYYY-MM-DD[ HH:MM[:SS]]\n"
" -p, --paths                 name the files reported (reads directories)\n"
" -r, --repair                finish or undo what a crash left pending\n"
"     --upgrade               rewrite v1 records as v2; then mark the\n"
"                             filesystem v2-only (faster scans)\n"
"     --probe-all             read the record of every inode that has\n"
"                             attributes, whatever its fork size says\n"
" -a, --audit                 check the filesystem against its store\n"
"     --verify                with --audit: read and check every copy\n"
"     --gc                    with --audit: remove orphan objects\n"
"     --grace <duration>      with --gc: keep orphans younger than this\n"
"                             (seconds, or with s, m, h, d; default:\n"
"                             orphan_grace in the config, else 1d)\n"
"     --retention <duration>  with --gc: keep a deleted file's object this\n"
"                             long after the deletion (default:\n"
"                             deleted_retention in the config, else 0)\n"
"     --config <file>         with --gc: the config file to read (default\n"
"                             %s)\n"
"     --refresh-paths         with --audit: keep every file's names now in\n"
"                             its objects' metadata (reads directories)\n"
"     --resume                checkpoint the scan; continue an interrupted\n"
"                             one\n"
"     --time-limit <duration> with --resume: stop after this long\n"
" -q, --quick                 skip records unchanged since the last\n"
"                             --quick scan (a record index)\n"
"     --state-dir <dir>       where --resume and --quick keep their files\n"
"                             (default %s)\n"
" -v, --verbose               how the scan chose the inodes it read; with\n"
"                             a listing, the summary too, on stderr\n"
" -h, --help                  display this help\n"
" -V, --version               display version\n", HSM_CONFIG_FILE,
	       HSM_STATEDIR);
	printf("\nExit status: the sum of 1 (problems left), 2 (problems "
	       "repaired), 4 (operational\nerror), 8 (usage error); 0 when "
	       "all is well.  See xfs_hsmscan(8).\n");
}

static void
bad_value(
	const char	*opt,
	const char	*val)
{
	fprintf(stderr, "%s: invalid %s argument '%s'\n", PROGNAME, opt, val);
	errtryhelp(HSM_EX_USAGE);
}

static void
conflict(
	const char	*what)
{
	fprintf(stderr, "%s: %s\n", PROGNAME, what);
	errtryhelp(HSM_EX_USAGE);
}

enum {
	OPT_JSON = 256,
	OPT_VERIFY,
	OPT_GC,
	OPT_GRACE,
	OPT_RESUME,
	OPT_TIME_LIMIT,
	OPT_STATE_DIR,
	OPT_UPGRADE,
	OPT_PROBE_ALL,
	OPT_RETENTION,
	OPT_REFRESH_PATHS,
	OPT_CONFIG,
};

static void
parse_options(
	int			argc,
	char			**argv,
	struct options		*o)
{
	static const struct option longopts[] = {
		{ "jobs",		required_argument, NULL, 'j' },
		{ "json",		no_argument,	   NULL, OPT_JSON },
		{ "list",		required_argument, NULL, 'l' },
		{ "changed-since",	required_argument, NULL, 'c' },
		{ "paths",		no_argument,	   NULL, 'p' },
		{ "repair",		no_argument,	   NULL, 'r' },
		{ "audit",		no_argument,	   NULL, 'a' },
		{ "verify",		no_argument,	   NULL, OPT_VERIFY },
		{ "gc",			no_argument,	   NULL, OPT_GC },
		{ "grace",		required_argument, NULL, OPT_GRACE },
		{ "retention",		required_argument, NULL,
		  OPT_RETENTION },
		{ "refresh-paths",	no_argument,	   NULL,
		  OPT_REFRESH_PATHS },
		{ "config",		required_argument, NULL, OPT_CONFIG },
		{ "resume",		no_argument,	   NULL, OPT_RESUME },
		{ "time-limit",		required_argument, NULL,
		  OPT_TIME_LIMIT },
		{ "quick",		no_argument,	   NULL, 'q' },
		{ "state-dir",		required_argument, NULL,
		  OPT_STATE_DIR },
		{ "upgrade",		no_argument,	   NULL, OPT_UPGRADE },
		{ "probe-all",		no_argument,	   NULL,
		  OPT_PROBE_ALL },
		{ "report",		no_argument,	   NULL, 'R' },
		{ "verbose",		no_argument,	   NULL, 'v' },
		{ "help",		no_argument,	   NULL, 'h' },
		{ "version",		no_argument,	   NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	long			cpus;
	int			c;

	memset(o, 0, sizeof(*o));
	cpus = sysconf(_SC_NPROCESSORS_ONLN);
	o->jobs = cpus > 0 ? cpus : 1;
	o->grace = 86400;
	o->repack = 50;
	o->time_limit = -1;
	o->state_dir = HSM_STATEDIR;
	while ((c = getopt_long(argc, argv, "j:l:c:prqavRhV", longopts,
				NULL)) != -1) {
		switch (c) {
		case 'j':
			if (parse_jobs(optarg, &o->jobs))
				bad_value("--jobs", optarg);
			break;
		case OPT_JSON:
			o->json = true;
			break;
		case 'l':
			if (parse_selection(optarg, &o->list))
				bad_value("--list", optarg);
			break;
		case 'c':
			if (parse_time(optarg, &o->changed_sec,
				       &o->changed_nsec))
				bad_value("--changed-since", optarg);
			o->changed = true;
			break;
		case 'p':
			o->paths = true;
			break;
		case 'r':
			o->repair = true;
			break;
		case 'a':
			o->audit = true;
			break;
		case OPT_VERIFY:
			o->verify = o->audit = true;
			break;
		case OPT_GC:
			o->gc = o->audit = true;
			break;
		case OPT_CONFIG:
			o->config = optarg;
			break;
		case OPT_REFRESH_PATHS:
			o->refresh_paths = o->audit = true;
			break;
		case OPT_GRACE:
			if (parse_duration(optarg, &o->grace))
				bad_value("--grace", optarg);
			o->grace_set = true;
			break;
		case OPT_RETENTION:
			if (parse_duration(optarg, &o->retention))
				bad_value("--retention", optarg);
			o->retention_set = true;
			break;
		case OPT_RESUME:
			o->resume = true;
			break;
		case OPT_TIME_LIMIT:
			if (parse_duration(optarg, &o->time_limit))
				bad_value("--time-limit", optarg);
			break;
		case 'q':
			o->quick = true;
			break;
		case OPT_STATE_DIR:
			if (!optarg[0])
				bad_value("--state-dir", optarg);
			o->state_dir = optarg;
			break;
		case 'v':
			o->verbose = true;
			break;
		case OPT_UPGRADE:
			o->upgrade = true;
			break;
		case OPT_PROBE_ALL:
			o->probe_all = true;
			break;
		case 'R':
			o->report = true;
			break;
		case 'h':
			usage();
			exit(HSM_EX_OK);
		case 'V':
			printf("%s from xfs-hsm %s\n", PROGNAME,
			       LIBHSM_VERSION);
			exit(HSM_EX_OK);
		default:
			errtryhelp(HSM_EX_USAGE);
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "%s: no mount point given\n", PROGNAME);
		errtryhelp(HSM_EX_USAGE);
	}
	if (optind + 1 < argc) {
		fprintf(stderr, "%s: one mount point only, '%s' is one too "
			"many\n", PROGNAME, argv[optind + 1]);
		errtryhelp(HSM_EX_USAGE);
	}
	o->mount = argv[optind];

	if (o->grace_set && !o->gc)
		conflict("--grace goes with --gc");
	if (o->retention_set && !o->gc)
		conflict("--retention goes with --gc");
	if (o->config && !o->gc)
		conflict("--config goes with --gc");
	if (o->time_limit >= 0 && !o->resume)
		conflict("--time-limit goes with --resume (a stopped scan "
			 "continues from its checkpoint)");
	if (o->report && (o->resume || (o->changed && !o->list)))
		conflict("--report counts what one whole scan finds: it cannot "
			 "be combined with --resume or --changed-since");
	if (o->audit && o->resume)
		conflict("--audit needs one whole scan: it cannot be combined "
			 "with --resume");
	if ((o->gc || o->repair) && o->quick)
		conflict("--repair and --gc read every record: they cannot be "
			 "combined with --quick");
	if (o->upgrade && (o->quick || o->resume))
		conflict("--upgrade rewrites what one whole scan finds: it "
			 "cannot be combined with --quick or --resume (run it "
			 "again to finish an interrupted one)");
	o->records = !(o->changed && !o->list && !o->repair && !o->audit &&
		       !o->upgrade);
	/* no records read, no index to use or to write */
	if (!o->records)
		o->quick = false;
	/* a listing on the same terminal would be torn by the redraws */
	o->progress = isatty(STDERR_FILENO) &&
		      !((o->list || o->changed) && isatty(STDOUT_FILENO));
}

/* Open the filesystem, which must be given by its mount point. */
static struct hsm_fs *
open_fs(
	const char	*mount)
{
	struct hsm_fs	*fs;
	char		*real;
	int		error;

	error = hsm_fs_open(mount, 0, &fs);
	if (error == -ENOTTY) {
		fprintf(stderr, "%s: '%s' is not on an XFS filesystem\n",
			PROGNAME, mount);
		exit(HSM_EX_OPERATIONAL);
	}
	if (error == -EUCLEAN) {
		fprintf(stderr, "%s: '%s': corrupt store binding (%s on the "
			"root directory)\n", PROGNAME, mount, HSM_XATTR_FS);
		exit(HSM_EX_OPERATIONAL);
	}
	if (error) {
		fprintf(stderr, "%s: cannot open '%s': %s\n", PROGNAME, mount,
			strerror(-error));
		exit(HSM_EX_OPERATIONAL);
	}
	real = realpath(mount, NULL);
	if (!real || strcmp(real, hsm_fs_mountpoint(fs))) {
		fprintf(stderr, "%s: '%s' is not a mount point (a scan covers "
			"a whole filesystem: give '%s')\n", PROGNAME, mount,
			hsm_fs_mountpoint(fs));
		exit(HSM_EX_OPERATIONAL);
	}
	free(real);
	return fs;
}

/* With --paths: name everything reported, then print the list. */
static void
resolve_and_list(
	struct hsm_fs		*fs,
	struct scan_result	*res,
	struct audit		*audit)
{
	size_t			i;

	for (i = 0; i < res->files.nr; i++)
		paths_want(VEC_AT(&res->files, struct file_entry, i)->in.ino);
	if (audit)
		audit_want_paths(audit);
	paths_resolve(hsm_fs_mountpoint(fs));
	for (i = 0; i < res->files.nr; i++) {
		struct file_entry *e = VEC_AT(&res->files, struct file_entry,
					      i);

		e->path = paths_lookup(e->in.ino);
		if (!e->listed)
			continue;
		if (opts->list)
			output_file(e);
		else
			output_changed(&e->in, e->path);
	}
}

static int
cmp_entry(
	const void		*a,
	const void		*b)
{
	const struct file_entry	*x = a, *y = b;

	return x->in.ino < y->in.ino ? -1 : x->in.ino > y->in.ino;
}

int
main(
	int			argc,
	char			**argv)
{
	struct options		o;
	struct hsm_fs		*fs;
	struct hsm_fs_geom	geom;
	struct scan_result	res;
	struct repair_totals	rep;
	struct upgrade_totals	up;
	struct refresh_totals	ref;
	struct audit		*audit = NULL;
	const uint64_t		*c;
	int64_t			started;
	int			error;

	atexit(close_stdout);
	argv[0] = (char *)PROGNAME;	/* getopt's message prefix */
	parse_options(argc, argv, &o);
	opts = &o;
	if (geteuid() != 0) {
		fprintf(stderr, "%s: must be run as root\n", PROGNAME);
		return HSM_EX_OPERATIONAL;
	}
	fs = open_fs(o.mount);
	error = hsm_fs_geometry(fs, &geom);
	if (error) {
		fprintf(stderr, "%s: cannot read the geometry of '%s': %s\n",
			PROGNAME, o.mount, strerror(-error));
		return HSM_EX_OPERATIONAL;
	}
	if (o.resume || o.quick) {
		error = state_dir_check();
		if (error) {
			fprintf(stderr, "%s: cannot use the state directory "
				"'%s': %s\n", PROGNAME, o.state_dir,
				strerror(-error));
			return HSM_EX_OPERATIONAL;
		}
	}
	if (o.gc) {
		struct space_policy sp;

		/* xfs_hsm.conf, read and checked as xfs_hsm policy reads it;
		 * the command line wins over it */
		if (policy_read(o.config ? o.config : HSM_CONFIG_FILE,
				o.config != NULL, hsm_fs_mountpoint(fs), &sp,
				NULL))
			return HSM_EX_OPERATIONAL;
		if (!o.grace_set)
			o.grace = sp.orphan_grace;
		if (!o.retention_set)
			o.retention = sp.deleted_retention;
		o.repack = sp.repack_threshold;
	}
	if (o.audit) {
		error = audit_begin(fs, &audit);
		if (error)
			return error;
	}

	memset(&res, 0, sizeof(res));
	vec_init(&res.files, sizeof(struct file_entry));
	vec_init(&res.named, sizeof(struct named));
	vec_init(&res.pending, sizeof(struct pending));
	vec_init(&res.copies, sizeof(struct pending));
	vec_init(&res.tagged, sizeof(struct tagged));
	vec_init(&res.v1, sizeof(struct tagged));
	output_begin(fs);
	started = time(NULL);
	exitcode |= scan_run(fs, &geom, &res);
	c = res.total.c;
	/* what xfs_hsm status MOUNT warns from: released files need a daemon */
	if (c[C_RELEASED] || c[C_PARTIAL] || c[C_RELEASING])
		hsm_fs_note_scan(fs, 1, started);
	else if (res.complete && o.records && !o.resume && !o.quick &&
		 !c[C_BAD] && !c[C_ERRORS] && !c[C_RECALLING])
		hsm_fs_note_scan(fs, 0, started);
	qsort(res.files.items, res.files.nr, res.files.size, cmp_entry);

	if (o.repair && res.complete)
		repair_run(fs, &res, &rep);
	if (o.upgrade && res.complete)
		upgrade_run(fs, &res, &up);
	if (audit)
		audit_run(audit, fs, &res);
	/* one walk of the directories names what both want */
	if (o.refresh_paths && res.complete)
		refresh_want(audit_named(audit));
	if (o.paths)
		resolve_and_list(fs, &res, audit);
	else if (o.refresh_paths && res.complete)
		paths_resolve(hsm_fs_mountpoint(fs));
	if (o.refresh_paths && res.complete)
		refresh_run(fs, audit_named(audit), &ref);
	output_list_end();
	output_problems(&res);
	if (c[C_BAD] || c[C_ERRORS])
		exitcode |= HSM_EX_PROBLEMS;
	if (!res.complete)
		exitcode |= HSM_EX_PROBLEMS;
	if (!o.repair && c[C_MIGRATING] + c[C_RELEASING] + c[C_RECALLING] +
			 c[C_FORGETTING] > c[C_LIVE]) {
		fprintf(stderr, "%s: operations left pending by a crash: run "
			"'%s --repair %s'\n", PROGNAME, PROGNAME,
			hsm_fs_mountpoint(fs));
		exitcode |= HSM_EX_PROBLEMS;
	}
	if (o.repair && res.complete)
		repair_report(&rep);
	if (o.upgrade && res.complete) {
		if (o.json)
			output_json_section("upgrade", upgrade_json(&up));
		else
			upgrade_report(&up);
	}
	if (audit)
		audit_report(audit);
	if (o.refresh_paths && res.complete) {
		if (o.json)
			output_json_section("refresh_paths",
					    refresh_json(&ref));
		else
			refresh_report(&ref);
	}
	if (o.report && res.complete)
		histo_report(&res.histo);
	if (!res.complete && !res.failed)
		fprintf(stderr, "%s: the scan stopped before its end: run "
			"'%s --resume %s' to continue it\n", PROGNAME,
			PROGNAME, hsm_fs_mountpoint(fs));
	output_summary(fs, &res, o.repair && res.complete ? &rep : NULL,
		       audit);

	audit_free(audit);
	paths_free();
	vec_free(&res.files);
	vec_free(&res.named);
	vec_free(&res.pending);
	vec_free(&res.copies);
	vec_free(&res.tagged);
	vec_free(&res.v1);
	hsm_fs_free(fs);
	return exitcode;
}
