// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * state.c - what the scanner keeps between runs, in the state directory
 * (--state-dir), one file of each kind per filesystem UUID:
 *
 * UUID.checkpoint (--resume): an append-only log of the scan.  Each worker
 * appends, at most every CHECKPOINT_SECS and when it stops or finishes an
 * allocation group, the pending operations ("P") and record holders ("T")
 * it found in that AG since its last checkpoint, then the AG's cursor and
 * counters ("C").  Bulkstat walks an AG in ascending inode order, so on
 * resume the entries of an AG below its last cursor are exactly those
 * found before it; a torn last line (a crash mid-write) is ignored.  The
 * file is removed when the scan completes.
 *
 * UUID.index (--quick): the inodes that held a record (or one that could
 * not be read) when the last complete scan began, and that start time.
 * Every change of a record is an xattr write, which moves the inode's
 * ctime; so an inode whose bulkstat ctime is older than the start (less
 * INDEX_MARGIN for timestamp granularity) and that is not in the index
 * still has no record, and --quick does not read it.  This holds while
 * the clock does not step backwards; an index written in what is now the
 * future is refused.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/file.h>
#include <sys/stat.h>
#include "xfs_hsmscan.h"

#define INDEX_MARGIN		2	/* seconds, see above */

struct checkpoint {
	FILE		*f;
	char		*path;
	pthread_mutex_t	lock;
};

/* "DIR/UUID.SUFFIX", creating DIR (0700) if needed.  NULL + errno. */
static char *
state_path(
	const char	*uuid,
	const char	*suffix,
	bool		create_dir)
{
	char		*p;

	if (create_dir && mkdir(opts->state_dir, 0700) < 0 && errno != EEXIST)
		return NULL;
	if (asprintf(&p, "%s/%s.%s", opts->state_dir, uuid, suffix) < 0) {
		errno = ENOMEM;
		return NULL;
	}
	return p;
}

int
state_dir_check(void)
{
	struct stat	st;
	char		*p, *slash;

	/* the parents too (a fresh /usr/local/var): 0755, the dir 0700 */
	p = strdup(opts->state_dir);
	if (!p)
		nomem();
	for (slash = strchr(p + 1, '/'); slash;
	     slash = strchr(slash + 1, '/')) {
		*slash = '\0';
		if (mkdir(p, 0755) < 0 && errno != EEXIST) {
			free(p);
			return -errno;
		}
		*slash = '/';
	}
	free(p);
	if (mkdir(opts->state_dir, 0700) < 0 && errno != EEXIST)
		return -errno;
	if (stat(opts->state_dir, &st) < 0)
		return -errno;
	if (!S_ISDIR(st.st_mode))
		return -ENOTDIR;
	return access(opts->state_dir, W_OK | X_OK) < 0 ? -errno : 0;
}

/*
 * Load a checkpoint made with the same options.  Returns 1 if one was
 * loaded, 0 if there was none (or it does not match), -errno.
 */
static int
load_checkpoint(
	const char		*path,
	const char		*uuid,
	const char		*key,
	uint32_t		agcount,
	struct ag_state		*ags,
	struct scan_result	*res,
	int64_t			*started)
{
	FILE			*f;
	int			ret;

	f = fopen(path, "re");
	if (!f)
		return errno == ENOENT ? 0 : -errno;
	ret = checkpoint_parse(f, uuid, key, agcount, ags, res, started);
	fclose(f);
	return ret;
}

int
checkpoint_open(
	const char		*uuid,
	const char		*key,
	uint32_t		agcount,
	struct ag_state		*ags,
	struct scan_result	*res,
	int64_t			*started,
	bool			*resumed,
	struct checkpoint	**cpp)
{
	struct checkpoint	*cp;
	int			fd, ret;

	cp = calloc(1, sizeof(*cp));
	if (!cp)
		nomem();
	pthread_mutex_init(&cp->lock, NULL);
	cp->path = state_path(uuid, "checkpoint", true);
	if (!cp->path) {
		ret = -errno;
		free(cp);
		return ret;
	}
	/* lock first: two scans appending to one log would make nonsense */
	fd = open(cp->path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0) {
		ret = -errno;
		goto out_free;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		ret = errno == EWOULDBLOCK ? -EBUSY : -errno;
		goto out_close;
	}
	ret = load_checkpoint(cp->path, uuid, key, agcount, ags, res,
			      started);
	if (ret < 0)
		goto out_close;
	*resumed = ret == 1;
	if (!*resumed) {
		/* a fresh scan: forget what a different one left */
		memset(ags, 0, agcount * sizeof(*ags));
		res->pending.nr = 0;
		res->tagged.nr = 0;
		if (ftruncate(fd, 0) < 0) {
			ret = -errno;
			goto out_close;
		}
	}
	cp->f = fdopen(fd, "a");
	if (!cp->f) {
		ret = -errno;
		goto out_close;
	}
	if (!*resumed) {
		fprintf(cp->f, "%s\nuuid %s\nkey %s\nstarted %lld\n"
			"agcount %u\n", CHECKPOINT_MAGIC, uuid, key,
			(long long)*started, agcount);
		if (fflush(cp->f)) {
			ret = -errno;
			fclose(cp->f);
			goto out_free;
		}
	}
	*cpp = cp;
	return 0;
out_close:
	close(fd);
out_free:
	free(cp->path);
	free(cp);
	return ret;
}

void
checkpoint_write(
	struct checkpoint	*cp,
	uint32_t		ag,
	const struct ag_state	*st,
	struct vec		*pending,
	struct vec		*tagged)
{
	size_t			i;
	int			c;

	pthread_mutex_lock(&cp->lock);
	for (i = 0; i < pending->nr; i++) {
		const struct pending *p = VEC_AT(pending, struct pending, i);

		fprintf(cp->f, "P %u %" PRIu64 " %u %u\n", ag, p->ino, p->gen,
			p->op);
	}
	for (i = 0; i < tagged->nr; i++) {
		const struct tagged *t = VEC_AT(tagged, struct tagged, i);

		fprintf(cp->f, "T %u %" PRIu64 " %" PRIu64 "\n", ag, t->ino,
			t->gen);
	}
	fprintf(cp->f, "C %u %" PRIu64 " %d", ag, st->cursor, st->done);
	for (c = 0; c < C_NR; c++)
		fprintf(cp->f, " %" PRIu64, st->counts.c[c]);
	fputc('\n', cp->f);
	/* flushed: a killed scan keeps it; a lost tail only costs time */
	fflush(cp->f);
	pthread_mutex_unlock(&cp->lock);
}

void
checkpoint_close(
	struct checkpoint	*cp,
	bool			complete)
{
	if (!cp)
		return;
	if (cp->f)
		fclose(cp->f);
	if (complete)
		unlink(cp->path);
	pthread_mutex_destroy(&cp->lock);
	free(cp->path);
	free(cp);
}

struct record_index *
index_load(
	const char		*uuid,
	const char		**why)
{
	struct record_index	*ix;
	char			*path;
	FILE			*f;

	path = state_path(uuid, "index", false);
	if (!path)
		nomem();
	f = fopen(path, "re");
	free(path);
	if (!f) {
		*why = errno == ENOENT ? "no index yet" : strerror(errno);
		return NULL;
	}
	ix = index_parse(f, uuid, time(NULL), why);
	fclose(f);
	return ix;
}

int
index_save(
	const char		*uuid,
	int64_t			started,
	struct vec		*tagged)
{
	char			*path, *tmp;
	uint64_t		last = 0;
	size_t			i, n = 0;
	FILE			*f;
	int			error = 0;

	qsort(tagged->items, tagged->nr, tagged->size, cmp_u64);
	for (i = 0; i < tagged->nr; i++) {
		const struct tagged *t = VEC_AT(tagged, struct tagged, i);

		if (!n || t->ino != last)
			n++;
		last = t->ino;
	}
	path = state_path(uuid, "index", true);
	if (!path)
		return -errno;
	if (asprintf(&tmp, "%s.tmp", path) < 0)
		nomem();
	f = fopen(tmp, "we");
	if (!f) {
		error = -errno;
		goto out_free;
	}
	fprintf(f, "%s\nuuid %s\nepoch %lld\nwritten %lld\ncount %zu\n",
		INDEX_MAGIC, uuid, (long long)(started - INDEX_MARGIN),
		(long long)time(NULL), n);
	for (i = 0; i < tagged->nr; i++) {
		const struct tagged *t = VEC_AT(tagged, struct tagged, i);

		if (i && t->ino == t[-1].ino)
			continue;
		fprintf(f, "%" PRIu64 " %" PRIu64 "\n", t->ino, t->gen);
	}
	fputs("end\n", f);
	if (fflush(f) || fsync(fileno(f)))
		error = -errno;
	if (fclose(f) && !error)
		error = -errno;
	if (!error && rename(tmp, path) < 0)
		error = -errno;
	if (error)
		unlink(tmp);
out_free:
	free(tmp);
	free(path);
	return error;
}
