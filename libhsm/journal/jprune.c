// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * jprune.c - the change journal's retention: closed epochs older than it
 * are dropped from the start of the file.  The writer's thread copies
 * the epochs it keeps to "<journal>.prune", makes the copy durable,
 * locks it and renames it over the journal: a crash before the rename
 * leaves the old journal whole (and a stale copy the next prune writes
 * over), after it the new one.  Either is a valid journal; the writer
 * that finds it after a crash puts a gap in, as after any unclean stop.
 *
 * A consumer that asks for a pruned epoch is answered by the fallback
 * scan, and told why (xfs_hsm changes); the policy's saved candidate set
 * from a pruned epoch costs a full scan.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>
#include <sys/file.h>
#include "journal/journalP.h"

/* The first epoch to keep: the first not closed before @cutoff. */
static uint64_t
first_kept(
	const struct hsm_jview	*v,
	int64_t			cutoff)
{
	size_t			i;

	for (i = 0; i + 1 < v->nepochs; i++)
		if (v->epochs[i].closed_ns >= cutoff)
			break;
	return v->epochs[i].epoch;
}

int
jw_prune(
	struct hsm_journal	*j,
	int64_t			now)
{
	struct hsm_jview	*v = NULL;
	char			path[PATH_MAX], tmp[PATH_MAX + 8], *slash;
	int64_t			keep_ns = __atomic_load_n(&j->retention_ns,
							  __ATOMIC_RELAXED);
	uint64_t		valid, keep, first;
	int			out = -1, dfd, error;

	if (!keep_ns || !j->oldest_closed_ns ||
	    j->oldest_closed_ns >= now - keep_ns || j->broken)
		return 0;
	error = jr_load(j->fd, j->fs->uuid, &v, &valid);
	if (error)
		return error;
	first = v->epochs[0].epoch;
	keep = first_kept(v, now - keep_ns);
	if (keep == first) {
		j->oldest_closed_ns = v->epochs[0].closed_ns;
		goto out;
	}
	jr_path(j->fs, path, sizeof(path));
	snprintf(tmp, sizeof(tmp), "%s.prune", path);
	out = open(tmp, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (out < 0) {
		error = -errno;
		goto out;
	}
	error = jr_prune_copy(j->fd, j->fs->uuid, keep, out);
	if (!error && fdatasync(out) < 0)
		error = -errno;
	if (error)
		goto out_unlink;
	hsm_fault(j->fs, "journal-pruning");
	/* the new file is the one a second writer must find locked */
	if (flock(out, LOCK_EX | LOCK_NB) < 0 || rename(tmp, path) < 0) {
		error = -errno;
		goto out_unlink;
	}
	hsm_fault(j->fs, "journal-pruned");
	slash = strrchr(path, '/');
	if (slash) {
		*slash = '\0';
		dfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (dfd >= 0) {
			fsync(dfd);
			close(dfd);
		}
	}
	if (lseek(out, 0, SEEK_END) < 0) {
		/* renamed already: write no more, readers fall back */
		error = -errno;
		j->broken = true;
		goto out;
	}
	close(j->fd);
	j->fd = out;
	out = -1;
	j->oldest_closed_ns = v->epochs[keep - first].closed_ns;
	jw_log(j, LOG_INFO, "change journal: epochs %llu-%llu pruned "
	       "(older than the retention)", (unsigned long long)first,
	       (unsigned long long)keep - 1);
	goto out;
out_unlink:
	unlink(tmp);
out:
	if (out >= 0)
		close(out);
	hsm_jview_free(v);
	if (error) {
		jw_log(j, LOG_WARNING, "change journal: cannot prune old epochs "
		       "(%s); they are kept, tried again in a retention",
		       strerror(-error));
		j->oldest_closed_ns = now;
	}
	return error;
}

HSM_EXPORT void
hsm_journal_set_retention(
	struct hsm_journal	*j,
	int64_t			seconds)
{
	__atomic_store_n(&j->retention_ns, seconds * 1000000000LL,
			 __ATOMIC_RELAXED);
}
