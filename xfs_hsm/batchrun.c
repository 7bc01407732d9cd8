// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * batchrun.c - run one libhsm command over the files of a walk, in
 * batches (one per filesystem met), and report each file's result.
 *
 * A file named on the command line that fails is an error (exit 1); a
 * file found by a recursive walk that is gone by the time its batch runs
 * (renamed or removed meanwhile) is not: it is reported with -v only.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "xfs_hsm.h"
#include "policy.h"
#include "strutils.h"

struct fs_batch {
	struct hsm_fs	*fs;
	struct hsm_batch *b;
	struct fs_batch	*next;
};

/* What a result needs to know about the file it is for. */
#define COOKIE_NAMED	((void *)1)	/* named on the command line */
#define COOKIE_FOUND	((void *)2)	/* found by the walk */

static void
on_result(
	void				*arg,
	const struct hsm_item_result	*r)
{
	struct batch_run		*run = arg;
	const char			*path = r->path ? r->path : "?";
	bool				vanished;

	vanished = r->cookie == COOKIE_FOUND &&
		   (r->error == -ENOENT || r->error == -ESTALE) && !r->detail;
	if (r->error && !vanished) {
		fprintf(stderr, "%s: cannot %s '%s': %s\n", PROGNAME,
			run->verb, path, r->detail ? r->detail :
			file_error_reason(NULL, r->error));
		exitcode |= HSM_EX_PROBLEMS;
	}
	progress_file(run->progress, r->error ? 0 : r->bytes,
		      r->error && !vanished);
	if (vanished) {
		if (verbose)
			printf("%s: gone (renamed or removed during the "
			       "walk)\n", path);
		return;
	}
	if (!r->error && run->report)
		run->report(run, r);
}

/* The copies xfs_hsm.conf asks of @mnt: its "copies" (1 if unset).  A
 * config that cannot be read stops the command: it was reported. */
static unsigned
config_copies(
	const char		*config,
	const char		*mnt)
{
	struct space_policy	p;

	if (policy_read(config ? config : POLICY_CONFIG, config != NULL, mnt,
			&p, NULL))
		exit(HSM_EX_OPERATIONAL);
	return p.copies ? p.copies : 1;
}

/* The batch for the filesystem of @fs, started on first use. */
static struct hsm_batch *
batch_for(
	struct batch_run	*run,
	struct hsm_fs		*fs)
{
	struct fs_batch		*e;
	unsigned		flags = run->flags;

	for (e = run->batches; e; e = e->next)
		if (e->fs == fs)
			return e->b;
	if (run->cmd == HSM_CMD_MIGRATE)
		flags |= HSM_MIGRATE_COPIES(run->copies ? run->copies :
				config_copies(run->config,
					      hsm_fs_mountpoint(fs)));
	e = calloc(1, sizeof(*e));
	if (!e || hsm_batch_new(fs, run->cmd, flags, on_result, run,
				&e->b)) {
		fprintf(stderr, "%s: out of memory\n", PROGNAME);
		exit(HSM_EX_OPERATIONAL);
	}
	hsm_batch_set_limits(e->b, &run->limits);
	hsm_fs_set_progress(fs, progress_bytes, run->progress);
	e->fs = fs;
	e->next = run->batches;
	run->batches = e;
	return e->b;
}

/* A batch could not run at all (the daemon, the store): say so once. */
static void
batch_failed(
	struct batch_run	*run,
	struct hsm_fs		*fs,
	int			error)
{
	if (run->failed_once)
		return;
	run->failed_once = true;
	fprintf(stderr, "%s: %s: %s: %s\n", PROGNAME, run->verb,
		hsm_fs_mountpoint(fs), hsm_strerror(fs, error));
	exitcode |= HSM_EX_OPERATIONAL;
}

/* From the walk: into the batch of the file's filesystem. */
static void
one_file(
	const char		*path,
	const struct stat	*st,
	bool			named,
	void			*arg)
{
	struct batch_run	*run = arg;
	struct hsm_fs		*fs = fs_for_stat(path, st, run->need_store);
	int			error;

	if (!fs) {
		/* filesystem or store reported already */
		progress_file(run->progress, 0, true);
		return;
	}
	if (run->nranges)
		error = hsm_batch_add_ranges(batch_for(run, fs), path,
				run->ranges, run->nranges,
				named ? COOKIE_NAMED : COOKIE_FOUND);
	else
		error = hsm_batch_add(batch_for(run, fs), path,
				named ? COOKIE_NAMED : COOKIE_FOUND);
	if (error)
		batch_failed(run, fs, error);
}

void
batch_run_paths(
	struct batch_run	*run,
	char			**paths,
	int			npaths,
	bool			recursive)
{
	struct fs_batch		*e, *next;
	int			error;

	run->progress = progress_start(run->verb);
	progress_refused(run->progress, walk_paths(run->verb, paths, npaths,
			recursive, one_file, run));
	for (e = run->batches; e; e = next) {
		next = e->next;
		error = hsm_batch_flush(e->b);
		if (error)
			batch_failed(run, e->fs, error);
		if (verbose > 1) {
			struct hsm_batch_stats st;

			hsm_batch_get_stats(e->b, &st);
			fprintf(stderr, "%s: %s: %llu batches, %llu log "
				"forces, %llu data syncs, %llu store syncs\n",
				PROGNAME, hsm_fs_mountpoint(e->fs),
				(unsigned long long)st.batches,
				(unsigned long long)st.log_forces,
				(unsigned long long)st.data_syncs,
				(unsigned long long)st.store_syncs);
		}
		hsm_fs_set_progress(e->fs, NULL, NULL);
		hsm_batch_free(e->b);
		free(e);
	}
	run->batches = NULL;
	progress_end(run->progress, recursive || npaths > 1);
}

bool
batch_option(
	struct batch_run	*run,
	int			c,
	const char		*arg)
{
	struct hsm_batch_limits	*l = &run->limits;
	uint64_t		v = 0;
	const char		*what;
	bool			bad;

	switch (c) {
	case 'j':
		what = "--jobs";
		bad = parse_uint(arg, 1, 64, &l->threads) != 0;
		break;
	case 'F':
		what = "--batch-files";
		bad = parse_uint(arg, 1, 100000, &l->files) != 0;
		break;
	case 'S':
		what = "--batch-size";
		bad = parse_size(arg, &v) != 0 || v < 4096;
		l->bytes = v;
		break;
	case 'T':
		what = "--batch-time";
		bad = parse_duration(arg, &v) != 0 || !v || v > 86400;
		l->ms = v * 1000;
		break;
	default:
		return false;
	}
	if (bad) {
		fprintf(stderr, "%s: %s: invalid %s '%s'\n", PROGNAME,
			run->verb, what, arg);
		errtryhelp(HSM_EX_USAGE);
	}
	return true;
}

void
batch_options_help(void)
{
	printf(" -j, --jobs <n>         files copied at once (default 4, at "
	       "most 64)\n"
	       "     --batch-files <n>  files per batch (default 1024)\n"
	       "     --batch-size <size>  data per batch (default 1G)\n"
	       "     --batch-time <secs>  a batch runs at the latest this "
	       "long after its\n"
	       "                        first file (default 5)\n");
}
