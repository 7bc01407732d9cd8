// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * import.c - xfs_hsm import: rebuild a lost filesystem from its stores,
 * a released stub for every file they hold (libhsm's hsm_fs_import); and
 * xfs_hsm undelete, the same for one deleted file's object.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>
#include "xfs_hsm.h"

void
import_help(void)
{
	printf("Usage:\n %s import [--store <spec>] [--old-mount <dir>] "
	       "[-n] [--json] [-v] <mount>\n\n"
	       "Rebuild a lost filesystem from its stores: make, in the new "
	       "filesystem mounted\nat <mount>, a released stub for every "
	       "file the stores hold (size, owner, mode,\ntimes, extended "
	       "attributes and ACLs as archived), copying no data: reads\n"
	       "recall it through xfs_hsmd as usual.  The new filesystem "
	       "must have the lost\none's UUID (mkfs.xfs -m uuid=, or "
	       "xfs_admin -U; the stores' marker says it).\nAn interrupted "
	       "import is run again: stubs made already are kept.\n\n"
	       "Options:\n"
	       " -s, --store <spec>     bind this store first, as init "
	       "does (when none is)\n"
	       "     --old-mount <dir>  where the lost filesystem was "
	       "mounted (default: <mount>)\n"
	       " -n, --dry-run          say what would be made, make "
	       "nothing\n"
	       "     --json             one JSON document: each file and "
	       "the counts\n"
	       " -v, --verbose          name every stub made\n"
	       " -h, --help             display this help\n\n"
	       "See xfs_hsm(8) and xfs_hsm(7), \"DISASTER RECOVERY\".\n",
	       PROGNAME);
}

static const char *const what_names[] = {
	[HSM_IMPORT_CREATED] = "created",
	[HSM_IMPORT_PRESENT] = "present",
	[HSM_IMPORT_CONFLICT] = "conflict",
	[HSM_IMPORT_OLDER] = "older",
	[HSM_IMPORT_OUTSIDE] = "outside",
	[HSM_IMPORT_FAILED] = "failed",
	[HSM_IMPORT_UNREADABLE] = "unreadable",
	[HSM_IMPORT_LINKED] = "linked",
};

struct run {
	struct hsm_fs		*fs;
	bool			dry_run;
	struct json_object	*files;		/* --json */
	struct progress		*progress;
};

static void
one_result(
	void				*arg,
	const struct hsm_import_result	*r)
{
	struct run			*run = arg;
	struct json_object		*o;
	const char			*shown = r->target ? r->target : r->path;
	char				oid[33];

	if (run->files) {
		o = json_object_new_object();
		if (r->path)
			json_add_path(o, r->path);
		else
			json_object_object_add(o, "path", NULL);
		hsm_oid_hex(r->oid, oid);
		json_object_object_add(o, "object",
				json_object_new_string(oid));
		json_object_object_add(o, "target", r->target ?
				json_object_new_string(r->target) : NULL);
		json_object_object_add(o, "nameless",
				json_object_new_boolean(r->nameless));
		json_object_object_add(o, "size",
				json_object_new_uint64(r->size));
		json_object_object_add(o, "copies",
				json_object_new_int(r->copies));
		json_object_object_add(o, "result",
				json_object_new_string(what_names[r->what]));
		json_object_object_add(o, "error", r->error ?
				json_object_new_string(strerror(-r->error)) :
				NULL);
		json_object_array_add(run->files, o);
	}
	if (run->files)
		return;
	if (r->what == HSM_IMPORT_CREATED || r->what == HSM_IMPORT_PRESENT)
		progress_file(run->progress, 0, false);
	switch (r->what) {
	case HSM_IMPORT_CREATED:
		if (r->nameless)
			fprintf(stderr, "%s: import: no path was recorded for "
				"the file of object %s: %s '%s'\n", PROGNAME,
				(hsm_oid_hex(r->oid, oid), oid),
				run->dry_run ? "would make" : "made", shown);
		else if (verbose)
			printf("%s %s\n", run->dry_run ? "would create" :
			       "created", shown);
		break;
	case HSM_IMPORT_PRESENT:
		if (verbose > 1)
			printf("present %s\n", shown);
		break;
	case HSM_IMPORT_LINKED:
		if (verbose)
			printf("%s %s\n", run->dry_run ? "would link" :
			       "linked", shown);
		break;
	case HSM_IMPORT_CONFLICT:
		fprintf(stderr, "%s: import: '%s' exists and is not its "
			"stub: left alone\n", PROGNAME, shown);
		break;
	case HSM_IMPORT_OLDER:
		fprintf(stderr, "%s: import: '%s': an older file of that "
			"path is in the store: not imported\n", PROGNAME,
			r->path);
		break;
	case HSM_IMPORT_OUTSIDE:
		fprintf(stderr, "%s: import: '%s' is not under the old mount "
			"point (--old-mount): not imported\n", PROGNAME,
			r->path);
		break;
	case HSM_IMPORT_UNREADABLE:
		fprintf(stderr, "%s: import: object %s: its metadata cannot "
			"be read: not imported\n", PROGNAME,
			(hsm_oid_hex(r->oid, oid), oid));
		break;
	case HSM_IMPORT_FAILED:
		progress_file(run->progress, 0, true);
		fprintf(stderr, "%s: cannot import '%s': %s: %s\n", PROGNAME,
			shown, r->detail ? r->detail : "", strerror(-r->error));
		break;
	}
}

static void
print_counts(
	const struct hsm_import_stats	*st,
	bool				dry_run)
{
	char				sz[32];

	printf("objects read:    %" PRIu64 "\n"
	       "%-16s %" PRIu64 " (%s)\n"
	       "hard links:      %" PRIu64 "\n"
	       "without a path:  %" PRIu64 "\n"
	       "made before:     %" PRIu64 "\n"
	       "conflicts:       %" PRIu64 "\n"
	       "older versions:  %" PRIu64 "\n"
	       "outside:         %" PRIu64 "\n"
	       "unreadable:      %" PRIu64 "\n"
	       "failed:          %" PRIu64 "\n", st->objects,
	       dry_run ? "would create:" : "stubs made:", st->created,
	       human(st->bytes, sz, sizeof(sz)), st->links, st->nameless,
	       st->present,
	       st->conflicts, st->older, st->skipped, st->unreadable,
	       st->failed);
}

static struct json_object *
counts_json(
	const struct hsm_import_stats	*st)
{
	struct json_object		*o = json_object_new_object();

	json_object_object_add(o, "objects", json_object_new_uint64(st->objects));
	json_object_object_add(o, "created", json_object_new_uint64(st->created));
	json_object_object_add(o, "present", json_object_new_uint64(st->present));
	json_object_object_add(o, "conflicts",
			json_object_new_uint64(st->conflicts));
	json_object_object_add(o, "older", json_object_new_uint64(st->older));
	json_object_object_add(o, "outside", json_object_new_uint64(st->skipped));
	json_object_object_add(o, "links", json_object_new_uint64(st->links));
	json_object_object_add(o, "nameless",
			json_object_new_uint64(st->nameless));
	json_object_object_add(o, "unreadable",
			json_object_new_uint64(st->unreadable));
	json_object_object_add(o, "failed", json_object_new_uint64(st->failed));
	json_object_object_add(o, "bytes", json_object_new_uint64(st->bytes));
	return o;
}

int
import_f(
	int			argc,
	char			**argv)
{
	static const struct option longopts[] = {
		{ "store",	required_argument, NULL, 's' },
		{ "old-mount",	required_argument, NULL, 'O' },
		{ "dry-run",	no_argument,	   NULL, 'n' },
		{ "json",	no_argument,	   NULL, 'J' },
		{ "verbose",	no_argument,	   NULL, 'v' },
		{ "help",	no_argument,	   NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct hsm_import_opts	o = { .old_mount = NULL };
	struct hsm_import_stats	st;
	struct run		run = { .fs = NULL };
	const char		*spec = NULL, *mnt, *detail;
	struct json_object	*doc;
	bool			json = false;
	int			c, error;

	while ((c = getopt_long(argc, argv, "s:nvh", longopts, NULL)) != -1) {
		switch (c) {
		case 's':
			spec = optarg;
			break;
		case 'O':
			o.old_mount = optarg;
			break;
		case 'n':
			o.dry_run = true;
			break;
		case 'J':
			json = true;
			break;
		case 'v':
			verbose++;
			break;
		case 'h':
			import_help();
			return 0;
		default:
			errtryhelp(HSM_EX_USAGE);
		}
	}
	if (optind != argc - 1) {
		fprintf(stderr, "%s: import: expected one mount point\n",
			PROGNAME);
		errtryhelp(HSM_EX_USAGE);
	}
	require_root();
	mnt = argv[optind];
	if (o.old_mount && o.old_mount[0] != '/') {
		fprintf(stderr, "%s: import: --old-mount must be an absolute "
			"path\n", PROGNAME);
		errtryhelp(HSM_EX_USAGE);
	}
	if (spec) {
		error = hsm_fs_bind(mnt, spec);
		if (error == -EEXIST) {
			fprintf(stderr, "%s: import: %s has stores already: "
				"--store ignored (xfs_hsm store add adds "
				"one)\n", PROGNAME, mnt);
			error = 0;	/* its stores are imported */
		}
		if (error < 0) {
			report_bind_error("import into", mnt, spec, error);
			if (error == -EXDEV)
				fprintf(stderr, "%s: the new filesystem needs "
					"the UUID in the store's marker "
					"(xfs-hsm-store): mkfs.xfs -m uuid=, "
					"or xfs_admin -U\n", PROGNAME);
			return 0;
		}
	}
	run.fs = fs_named(mnt, false);
	if (!run.fs)
		return 0;		/* reported, exitcode set */
	run.dry_run = o.dry_run;
	if (json)
		run.files = json_object_new_array();
	else
		run.progress = progress_start("import");
	error = hsm_fs_import(run.fs, &o, one_result, &run, &st);
	if (run.progress)
		progress_end(run.progress, false);
	if (error) {
		detail = hsm_fs_errdetail(run.fs);
		fprintf(stderr, "%s: cannot import into %s: %s%s%s\n",
			PROGNAME, hsm_fs_mountpoint(run.fs),
			detail && *detail ? detail : "",
			detail && *detail ? ": " : "", strerror(-error));
		exitcode |= HSM_EX_OPERATIONAL;
	}
	if (st.failed || st.conflicts || st.unreadable)
		exitcode |= HSM_EX_OPERATIONAL;
	if (json) {
		doc = json_object_new_object();
		json_object_object_add(doc, "mount", json_object_new_string(
				hsm_fs_mountpoint(run.fs)));
		json_object_object_add(doc, "dry_run",
				json_object_new_boolean(o.dry_run));
		json_object_object_add(doc, "files", run.files);
		json_object_object_add(doc, "counts", counts_json(&st));
		printf("%s\n", json_object_to_json_string_ext(doc,
				JSON_C_TO_STRING_PRETTY |
				JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(doc);
	} else if (!error) {
		print_counts(&st, o.dry_run);
	}
	return 0;
}

void
undelete_help(void)
{
	printf("Usage:\n %s undelete [--old-mount <dir>] [-n] <object> "
	       "[<path>]\n %s undelete ... --mount <mount> <object>\n\n"
	       "Bring a deleted file back as a released stub, from its "
	       "object in one of the\nstores (the 32 hex digits xfs_hsmscan "
	       "--audit lists as \"deleted\"), at <path>,\nor at its path "
	       "when it was archived.  Its data comes back on first read, "
	       "as\nany released file's.  The object must still be there: "
	       "xfs_hsmscan --gc keeps\na deleted file's object for its "
	       "--retention.\n\n"
	       "Options:\n"
	       " -m, --mount <mount>    the filesystem (default: the one "
	       "holding <path>)\n"
	       "     --old-mount <dir>  where the file's filesystem was "
	       "mounted when it was\n"
	       "                        archived (default: <mount>)\n"
	       " -n, --dry-run          say where it would go\n"
	       " -h, --help             display this help\n\n"
	       "See xfs_hsm(8).\n", PROGNAME, PROGNAME);
}

int
undelete_f(
	int			argc,
	char			**argv)
{
	static const struct option longopts[] = {
		{ "mount",	required_argument, NULL, 'm' },
		{ "old-mount",	required_argument, NULL, 'O' },
		{ "dry-run",	no_argument,	   NULL, 'n' },
		{ "help",	no_argument,	   NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct hsm_import_opts	o = { .old_mount = NULL };
	const char		*mnt = NULL, *path = NULL, *detail;
	uint8_t			oid[HSM_OID_LEN];
	struct hsm_fs		*fs;
	char			*made = NULL, *dir = NULL;
	int			c, error;

	while ((c = getopt_long(argc, argv, "m:nh", longopts, NULL)) != -1) {
		switch (c) {
		case 'm':
			mnt = optarg;
			break;
		case 'O':
			o.old_mount = optarg;
			break;
		case 'n':
			o.dry_run = true;
			break;
		case 'h':
			undelete_help();
			return 0;
		default:
			errtryhelp(HSM_EX_USAGE);
		}
	}
	if (optind >= argc || argc - optind > 2 ||
	    (argc - optind == 1 && !mnt)) {
		fprintf(stderr, "%s: undelete: expected an object and a path, "
			"or --mount and an object\n", PROGNAME);
		errtryhelp(HSM_EX_USAGE);
	}
	if (hsm_oid_parse(argv[optind], oid)) {
		fprintf(stderr, "%s: undelete: '%s' is not an object id (32 "
			"hex digits)\n", PROGNAME, argv[optind]);
		errtryhelp(HSM_EX_USAGE);
	}
	require_root();
	if (argc - optind == 2) {
		path = argv[optind + 1];
		/* the filesystem is the one of the directory it goes in */
		if (!mnt) {
			dir = strdup(path);
			if (!dir) {
				fprintf(stderr, "%s: out of memory\n", PROGNAME);
				exit(HSM_EX_OPERATIONAL);
			}
			if (strrchr(dir, '/'))
				*strrchr(dir, '/') = '\0';
			else
				strcpy(dir, ".");
		}
	}
	fs = fs_named(mnt ? mnt : *dir ? dir : "/", false);
	free(dir);
	if (!fs)
		return 0;		/* reported, exitcode set */
	error = hsm_fs_undelete(fs, oid, path, &o, &made);
	if (error) {
		detail = hsm_fs_errdetail(fs);
		fprintf(stderr, "%s: cannot undelete %s: %s%s%s\n", PROGNAME,
			argv[optind], detail && *detail ? detail : "",
			detail && *detail ? ": " : "", strerror(-error));
		exitcode |= HSM_EX_OPERATIONAL;
		return 0;
	}
	printf("%s %s: %s\n", o.dry_run ? "would undelete" : "undeleted",
	       argv[optind], made);
	free(made);
	return 0;
}
