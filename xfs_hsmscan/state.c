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

#define CHECKPOINT_MAGIC	"xfs_hsmscan checkpoint 1"
#define INDEX_MAGIC		"xfs_hsmscan index 1"
#define INDEX_MARGIN		2	/* seconds, see above */
#define LINE_MAX_LEN		4096

struct checkpoint {
	FILE		*f;
	char		*path;
	pthread_mutex_t	lock;
};

struct record_index {
	uint64_t	*ino;		/* sorted */
	size_t		nr;
	int64_t		epoch;
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

/* One line without its newline; NULL at the end or for a torn line. */
static char *
read_line(
	FILE		*f,
	char		*buf,
	size_t		size)
{
	size_t		len;

	if (!fgets(buf, size, f))
		return NULL;
	len = strlen(buf);
	if (!len || buf[len - 1] != '\n')
		return NULL;
	buf[len - 1] = '\0';
	return buf;
}

struct cp_entry {
	uint32_t	ag;
	struct pending	p;
	bool		tag;		/* a "T" line, else "P" */
};

/* Parse a "C" line into @ags; false if malformed. */
static bool
parse_c_line(
	char		*line,
	uint32_t	agcount,
	struct ag_state	*ags)
{
	struct ag_state	st;
	char		*p = line + 2, *end;
	unsigned long	ag, done;
	int		i;

	memset(&st, 0, sizeof(st));
	ag = strtoul(p, &end, 10);
	if (end == p || ag >= agcount)
		return false;
	st.cursor = strtoull(end, &p, 10);
	done = strtoul(p, &end, 10);
	if (end == p || done > 1)
		return false;
	st.done = done;
	for (i = 0; i < C_NR; i++) {
		p = end;
		st.counts.c[i] = strtoull(p, &end, 10);
		if (end == p)
			return false;
	}
	if (*end)
		return false;
	ags[ag] = st;
	return true;
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
	char			*buf, want[LINE_MAX_LEN], *line;
	struct vec		entries;
	struct cp_entry		*e;
	unsigned long long	a, b, c, d;
	long long		s;
	size_t			i;
	FILE			*f;
	int			ret = 0;

	f = fopen(path, "re");
	if (!f)
		return errno == ENOENT ? 0 : -errno;
	buf = malloc(LINE_MAX_LEN);
	if (!buf)
		nomem();
	vec_init(&entries, sizeof(struct cp_entry));
	line = read_line(f, buf, LINE_MAX_LEN);
	if (!line || strcmp(line, CHECKPOINT_MAGIC))
		goto out;
	snprintf(want, sizeof(want), "uuid %s", uuid);
	if (!(line = read_line(f, buf, LINE_MAX_LEN)) || strcmp(line, want))
		goto out;
	snprintf(want, sizeof(want), "key %s", key);
	if (!(line = read_line(f, buf, LINE_MAX_LEN)) || strcmp(line, want))
		goto out;
	if (!(line = read_line(f, buf, LINE_MAX_LEN)) ||
	    sscanf(line, "started %lld", &s) != 1)
		goto out;
	if (!(line = read_line(f, buf, LINE_MAX_LEN)) ||
	    sscanf(line, "agcount %llu", &a) != 1 || a != agcount)
		goto out;
	while ((line = read_line(f, buf, LINE_MAX_LEN))) {
		if (!strncmp(line, "C ", 2)) {
			if (!parse_c_line(line, agcount, ags))
				break;
		} else if (sscanf(line, "P %llu %llu %llu %llu", &a, &b, &c,
				  &d) == 4 && a < agcount) {
			e = vec_push(&entries);
			e->ag = a;
			e->p.ino = b;
			e->p.gen = c;
			e->p.op = d;
			e->tag = false;
		} else if (sscanf(line, "T %llu %llu %llu", &a, &b, &c) == 3 &&
			   a < agcount) {
			e = vec_push(&entries);
			e->ag = a;
			e->p.ino = b;
			e->p.gen = c;
			e->tag = true;
		} else {
			break;		/* torn or foreign: stop trusting */
		}
	}
	/* an AG's entries below its cursor were found before it */
	for (i = 0; i < entries.nr; i++) {
		e = VEC_AT(&entries, struct cp_entry, i);
		if (!ags[e->ag].done && e->p.ino >= ags[e->ag].cursor)
			continue;
		if (e->tag) {
			struct tagged *t = vec_push(&res->tagged);

			t->ino = e->p.ino;
			t->gen = e->p.gen;
		} else {
			*(struct pending *)vec_push(&res->pending) = e->p;
		}
	}
	*started = s;
	ret = 1;
out:
	vec_free(&entries);
	free(buf);
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
	char			buf[256], want[128], *path, *line;
	unsigned long long	count, ino, gen, i;
	long long		epoch, written;
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
	ix = calloc(1, sizeof(*ix));
	if (!ix)
		nomem();
	*why = "damaged index";
	snprintf(want, sizeof(want), "uuid %s", uuid);
	if (!(line = read_line(f, buf, sizeof(buf))) ||
	    strcmp(line, INDEX_MAGIC) ||
	    !(line = read_line(f, buf, sizeof(buf))) || strcmp(line, want) ||
	    !(line = read_line(f, buf, sizeof(buf))) ||
	    sscanf(line, "epoch %lld", &epoch) != 1 ||
	    !(line = read_line(f, buf, sizeof(buf))) ||
	    sscanf(line, "written %lld", &written) != 1 ||
	    !(line = read_line(f, buf, sizeof(buf))) ||
	    sscanf(line, "count %llu", &count) != 1 || count > (1ULL << 36))
		goto out_bad;
	if ((long long)time(NULL) < written) {
		*why = "the clock is behind the time the index was written";
		goto out_bad;
	}
	ix->ino = malloc((count ? count : 1) * sizeof(*ix->ino));
	if (!ix->ino)
		nomem();
	for (i = 0; i < count; i++) {
		if (!(line = read_line(f, buf, sizeof(buf))) ||
		    sscanf(line, "%llu %llu", &ino, &gen) != 2 ||
		    (i && ino <= ix->ino[i - 1]))
			goto out_bad;
		ix->ino[i] = ino;
	}
	if (!(line = read_line(f, buf, sizeof(buf))) || strcmp(line, "end"))
		goto out_bad;
	ix->nr = count;
	ix->epoch = epoch;
	fclose(f);
	*why = NULL;
	return ix;
out_bad:
	fclose(f);
	index_free(ix);
	return NULL;
}

int64_t
index_epoch(
	const struct record_index *ix)
{
	return ix->epoch;
}

size_t
index_seek(
	const struct record_index *ix,
	uint64_t		ino)
{
	return lower_bound_u64(ix->ino, ix->nr, ino);
}

bool
index_has(
	const struct record_index *ix,
	size_t			*pos,
	uint64_t		ino)
{
	/* callers ask in ascending order: a merge, not a search */
	while (*pos < ix->nr && ix->ino[*pos] < ino)
		(*pos)++;
	return *pos < ix->nr && ix->ino[*pos] == ino;
}

void
index_free(
	struct record_index	*ix)
{
	if (!ix)
		return;
	free(ix->ino);
	free(ix);
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
