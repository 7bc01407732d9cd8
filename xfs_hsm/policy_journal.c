// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * policy_journal.c - incremental candidate discovery: whether the change
 * journal vouches for every change since the saved candidate set was
 * valid, and if so which inodes to read again (the entries of the
 * directories it reports changed).  doc/design.md, "Incremental
 * candidate discovery".
 *
 * The run asks the daemon to close the journal's epoch first: every
 * change made before is then in an epoch up to the closed one, every
 * change after in the new one, which is where the next run starts.  A
 * change racing the run is read now or next time, or both; never
 * neither.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include "xfs_hsm.h"
#include "policy.h"
#include "policy_journal.h"

/*
 * The last run read the set after the checkpoint that opened epoch
 * `from`; a change after that checkpoint stamps a ctime at most this long
 * before it (a long write stamps at its start; the coarse clock).
 */
#define CTIME_MARGIN_NS	(10LL * 1000000000)

static const char *const gap_why[] = {
	[HSM_JGAP_NONE] = "",
	[HSM_JGAP_UNCLEAN] = "its writer did not stop cleanly",
	[HSM_JGAP_UNWATCHED] = "no daemon watched for a while",
	[HSM_JGAP_OVERFLOW] = "its event queue overflowed",
	[HSM_JGAP_ERROR] = "events could not be read",
};

static int64_t
real_ns(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int
cmp_handle(
	const void		*a,
	const void		*b)
{
	const struct hsm_jhandle *x = a, *y = b;

	if (x->type != y->type)
		return x->type < y->type ? -1 : 1;
	if (x->len != y->len)
		return x->len < y->len ? -1 : 1;
	return memcmp(x->bytes, y->bytes, x->len);
}

/* The marks of epochs @from..the last of @v, each once. */
static int
gather_dirs(
	const struct hsm_jview	*v,
	uint64_t		from,
	struct journal_plan	*jp)
{
	const struct hsm_jepoch	*e;
	size_t			i, k, n = 0;

	for (i = 0; i < v->nepochs; i++) {
		if (v->epochs[i].epoch == from)
			jp->since_ns = v->epochs[i].opened_ns - CTIME_MARGIN_NS;
		if (v->epochs[i].epoch >= from)
			n += v->epochs[i].nmarks;
	}
	jp->dirs = malloc((n ? n : 1) * sizeof(*jp->dirs));
	if (!jp->dirs)
		return -ENOMEM;
	for (i = 0, n = 0; i < v->nepochs; i++) {
		e = &v->epochs[i];
		if (e->epoch < from)
			continue;
		memcpy(jp->dirs + n, e->marks, e->nmarks * sizeof(*e->marks));
		n += e->nmarks;
	}
	qsort(jp->dirs, n, sizeof(*jp->dirs), cmp_handle);
	for (i = k = 0; i < n; i++)
		if (!k || cmp_handle(&jp->dirs[k - 1], &jp->dirs[i]))
			jp->dirs[k++] = jp->dirs[i];
	jp->ndirs = k;
	return 0;
}

static void
human_secs(
	uint64_t	s,
	char		*buf,
	size_t		size)
{
	if (s && !(s % 86400))
		snprintf(buf, size, "%" PRIu64 "d", s / 86400);
	else if (s && !(s % 3600))
		snprintf(buf, size, "%" PRIu64 "h", s / 3600);
	else if (s && !(s % 60))
		snprintf(buf, size, "%" PRIu64 "m", s / 60);
	else
		snprintf(buf, size, "%" PRIu64 "s", s);
}

/* Does the journal vouch for epochs pc->epoch..now?  NULL, or why not
 * (into @buf). */
static const char *
why_not(
	const struct space_policy *p,
	const struct policy_cache *pc,
	const struct hsm_jview	*v,
	char			*buf,
	size_t			size)
{
	const struct hsm_jepoch	*e;
	uint64_t		first = v->epochs[0].epoch;
	uint64_t		last = v->epochs[v->nepochs - 1].epoch;
	char			d[32];
	size_t			i;

	if (pc->fingerprint != policy_fingerprint(p))
		return "the policy's filters changed since the saved scan";
	if (pc->journal_created_ns != v->created_ns || pc->epoch > last ||
	    !pc->epoch)
		return "the change journal was started anew since the saved "
		       "scan";
	if (pc->epoch < first) {
		snprintf(buf, size, "epoch %" PRIu64 " of the saved scan is "
			 "no longer in the change journal (pruned; it keeps "
			 "epochs %" PRIu64 "-%" PRIu64 ")", pc->epoch, first,
			 last);
		return buf;
	}
	for (i = 0; i < v->nepochs; i++) {
		e = &v->epochs[i];
		if (e->epoch < pc->epoch || e->vouched)
			continue;
		snprintf(buf, size, "the change journal cannot vouch for "
			 "epoch %" PRIu64 ": %s", e->epoch,
			 gap_why[e->gap_reason <= HSM_JGAP_ERROR ?
				 e->gap_reason : HSM_JGAP_ERROR]);
		return buf;
	}
	if (real_ns() - pc->scanned_ns >=
	    (int64_t)p->full_scan_interval * 1000000000LL) {
		human_secs(p->full_scan_interval, d, sizeof(d));
		snprintf(buf, size, "the last full scan is older than "
			 "full_scan_interval (%s)", d);
		return buf;
	}
	return NULL;
}

int
policy_journal_plan(
	struct hsm_fs		*fs,
	const struct space_policy *p,
	const struct policy_cache *pc,
	int			cache_error,
	const char		*cache_why,
	struct journal_plan	*jp)
{
	struct hsm_jview	*v = NULL;
	const char		*why = NULL;
	uint64_t		closed = 0;
	int			error;

	memset(jp, 0, sizeof(*jp));
	if (!p->full_scan_interval) {
		snprintf(jp->why, sizeof(jp->why), "full_scan_interval is 0");
		return 0;
	}
	/* everything before now in epochs up to the closed one */
	error = hsm_fs_journal_request(fs, HSM_JOURNAL_SYNC |
				       HSM_JOURNAL_CHECKPOINT, &closed);
	if (error) {
		snprintf(jp->why, sizeof(jp->why), "%s", error == -ENOTCONN ?
			 "no daemon keeps the change journal up to date now" :
			 error == -ENOENT ? "the daemon keeps no change journal" :
			 "the daemon cannot close the change journal's epoch");
		return 0;
	}
	error = hsm_journal_load(fs, &v);
	if (error) {
		snprintf(jp->why, sizeof(jp->why), "the change journal cannot "
			 "be read (%s)", strerror(-error));
		return 0;
	}
	/* the next run starts at the epoch opened now */
	jp->known = true;
	jp->created_ns = v->created_ns;
	jp->epoch = v->epochs[v->nepochs - 1].epoch;
	if (cache_error == -ENOENT)
		why = "no scan is saved yet";
	else if (cache_error == -EUCLEAN)
		snprintf(jp->why, sizeof(jp->why), "the saved scan is not "
			 "usable: %s", cache_why ? cache_why : "corrupt");
	else if (cache_error)
		snprintf(jp->why, sizeof(jp->why), "the saved scan cannot be "
			 "read (%s)", strerror(-cache_error));
	else
		why = why_not(p, pc, v, jp->why, sizeof(jp->why));
	if (why && why != jp->why)
		snprintf(jp->why, sizeof(jp->why), "%s", why);
	if (!jp->why[0]) {
		jp->use = true;
		jp->from = pc->epoch;
		error = gather_dirs(v, pc->epoch, jp);
	}
	hsm_jview_free(v);
	return error;
}

static int
cmp_u64(
	const void	*a,
	const void	*b)
{
	uint64_t	x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* The inodes of the entries of directory @fd that are not directories. */
static int
read_dir(
	int		fd,
	uint64_t	**inos,
	size_t		*n,
	size_t		*cap)
{
	struct dirent	*d;
	uint64_t	*m;
	DIR		*dh;

	dh = fdopendir(fd);
	if (!dh) {
		close(fd);
		return 0;
	}
	while ((d = readdir(dh)) != NULL) {
		if (d->d_type == DT_DIR)
			continue;
		if (*n == *cap) {
			*cap = *cap ? *cap * 2 : 1024;
			m = realloc(*inos, *cap * sizeof(*m));
			if (!m) {
				closedir(dh);
				return -ENOMEM;
			}
			*inos = m;
		}
		(*inos)[(*n)++] = d->d_ino;
	}
	closedir(dh);
	return 0;
}

int
policy_journal_inodes(
	struct hsm_fs		*fs,
	const struct journal_plan *jp,
	uint64_t		**inos,
	size_t			*n)
{
	size_t			i, k, cap = 0;
	int			mntfd, fd, error = 0;

	*inos = NULL;
	*n = 0;
	mntfd = open(hsm_fs_mountpoint(fs), O_RDONLY | O_DIRECTORY |
		     O_CLOEXEC);
	if (mntfd < 0)
		return -errno;
	for (i = 0; i < jp->ndirs && !error; i++) {
		fd = hsm_jhandle_open(mntfd, &jp->dirs[i], O_RDONLY |
				      O_DIRECTORY | O_CLOEXEC);
		if (fd < 0)
			continue;	/* gone: its parent is marked too */
		error = read_dir(fd, inos, n, &cap);
	}
	close(mntfd);
	if (error)
		return error;
	qsort(*inos, *n, sizeof(**inos), cmp_u64);
	for (i = k = 0; i < *n; i++)
		if (!k || (*inos)[k - 1] != (*inos)[i])
			(*inos)[k++] = (*inos)[i];
	*n = k;
	return 0;
}

int
policy_stat_one(
	struct hsm_fs		*fs,
	uint64_t		ino,
	struct hsm_inode	*in)
{
	struct hsm_bulkstat	*bs;
	int			error;

	error = hsm_bulkstat_open(fs, HSM_BULKSTAT_ALL_AGS, ino, 1, &bs);
	if (error)
		return error;
	error = hsm_bulkstat_next(bs, in);
	hsm_bulkstat_free(bs);
	if (error < 0)
		return error;
	return error || in->ino != ino ? 1 : 0;
}

/*
 * The entries of a directory were made together, and their inodes sit
 * together in a few inode chunks of 64: one bulkstat call reads the
 * wanted inodes that lie within 64 numbers of the first, not one call
 * each.
 */
int
policy_stat_each(
	struct hsm_fs		*fs,
	const uint64_t		*inos,
	size_t			n,
	int			(*fn)(void *arg, uint64_t ino,
				      const struct hsm_inode *in),
	void			*arg)
{
	struct hsm_bulkstat	*bs;
	struct hsm_inode	in;
	size_t			i = 0, j;
	unsigned		batch, got;
	int			rc = 0, error = 0;

	while (i < n && !error) {
		for (j = i; j + 1 < n && inos[j + 1] - inos[i] < 64; j++)
			;
		batch = inos[j] - inos[i] + 1;
		error = hsm_bulkstat_open(fs, HSM_BULKSTAT_ALL_AGS, inos[i],
					  batch, &bs);
		if (error)
			break;
		for (got = 0; i <= j && !error && got < batch; got++) {
			rc = hsm_bulkstat_next(bs, &in);
			if (rc)
				break;
			while (i <= j && inos[i] < in.ino && !error)
				error = fn(arg, inos[i++], NULL);	/* gone */
			if (i <= j && inos[i] == in.ino && !error)
				error = fn(arg, inos[i++], &in);
		}
		hsm_bulkstat_free(bs);
		if (rc < 0)
			error = rc;
		/* past the last inode of the filesystem: gone; otherwise a
		 * call returns at least one inode at or after inos[i], so
		 * every turn moves on */
		while (!error && rc == 1 && i <= j)
			error = fn(arg, inos[i++], NULL);
	}
	return error;
}

void
policy_journal_free(
	struct journal_plan	*jp)
{
	free(jp->dirs);
	jp->dirs = NULL;
}
