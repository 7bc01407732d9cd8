// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * jwriter.c - xfs_hsmd's change journal writer: one thread reads the
 * journal's fanotify group and appends to the journal file.
 *
 * The events and the marks they make are jevents.c's, the group and its
 * ignore marks jgroup.c's.  All that one turn of the loop gathered is
 * one write and one fdatasync (a group flush).
 *
 * The safe point: the time taken before a turn starts reading.  The turn
 * reads until the queue is empty, so every event queued before that time
 * is in the turn's flush, which carries the time.  After a crash, a ctime
 * scan since the last safe point (less JR_MARGIN_NS) finds whatever the
 * lost turn would have marked.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include <sys/file.h>
#include <sys/stat.h>
#include "journal/journalP.h"

void
jw_log(
	struct hsm_journal	*j,
	int			level,
	const char		*fmt,
	...)
{
	char			msg[512];
	va_list			ap;

	if (!j->log)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	j->log(j->log_arg, level, msg);
}

/* Queue one record for the next flush; the writer's thread. */
void
jw_out_rec(
	struct hsm_journal	*j,
	uint8_t			type,
	const void		*payload,
	uint16_t		len,
	int64_t			t)
{
	j->out_len += jr_put(j->out + j->out_len, type, 0, j->epoch, t,
			     payload, len);
}

/*
 * Write what is queued and make it durable: one write, one fdatasync.
 * The last record gets JR_FLUSH_END.  A failure leaves the journal
 * unclean on disk (no CLEAN record can follow), so the next writer puts
 * a gap in: nothing is silently lost.
 */
int
jw_flush(
	struct hsm_journal	*j)
{
	unsigned char		*last;
	struct jrec		r;
	size_t			off, len;
	ssize_t			n;

	if (!j->out_len)
		return 0;
	if (j->broken) {
		j->out_len = 0;
		return -EIO;
	}
	/* flag the last record: find it, set the flag, re-sum it */
	for (off = 0, last = NULL; off < j->out_len; off += len) {
		len = jr_get(j->out + off, j->out_len - off, &r);
		last = j->out + off;
	}
	jr_put(last, r.type, JR_FLUSH_END, r.epoch, r.time_ns, r.payload,
	       r.len);
	for (off = 0; off < j->out_len; off += n) {
		n = write(j->fd, j->out + off, j->out_len - off);
		if (n < 0 && errno == EINTR) {
			n = 0;
			continue;
		}
		if (n <= 0)
			goto out_broken;
	}
	hsm_fault(j->fs, "journal-written");
	if (fdatasync(j->fd) < 0)
		goto out_broken;
	hsm_fault(j->fs, "journal-flushed");
	j->safe_ns = r.time_ns;
	j->out_len = 0;
	return 0;
out_broken:
	jw_log(j, LOG_ERR, "cannot write the change journal (%s): it stops "
	     "here, and readers fall back to a scan", strerror(errno));
	j->broken = true;
	j->out_len = 0;
	return -EIO;
}

/* A gap in the current epoch since @since_ns, once per epoch. */
void
jw_gap(
	struct hsm_journal	*j,
	int64_t			since_ns,
	uint32_t		reason,
	int64_t			t)
{
	unsigned char		p[12];
	uint64_t		v = htole64(since_ns);
	uint32_t		w = htole32(reason);

	if (!j->vouched)
		return;
	memcpy(p, &v, 8);
	memcpy(p + 8, &w, 4);
	jw_out_rec(j, JR_GAP, p, sizeof(p), t);
	j->vouched = false;
}

/* Requests taken from the queue: their sequence and flags. */
static void
take_requests(
	struct hsm_journal	*j,
	uint64_t		*seq,
	unsigned		*flags,
	bool			*stop)
{
	uint64_t		v;

	if (read(j->wake_fd, &v, sizeof(v)) < 0 && errno != EAGAIN)
		jw_log(j, LOG_WARNING, "journal wake: %s", strerror(errno));
	pthread_mutex_lock(&j->lock);
	*seq = j->req_seq;
	*flags = j->req_flags;
	j->req_flags = 0;
	*stop = j->stop;
	pthread_mutex_unlock(&j->lock);
}

static void
answer(
	struct hsm_journal	*j,
	uint64_t		seq,
	uint64_t		epoch,
	int			error)
{
	pthread_mutex_lock(&j->lock);
	j->done_seq = seq;
	j->reply_epoch = epoch;
	j->reply_error = error;
	pthread_cond_broadcast(&j->done_cond);
	pthread_mutex_unlock(&j->lock);
}

static void *
writer_main(
	void			*arg)
{
	struct hsm_journal	*j = arg;
	struct pollfd		pfd[2];
	uint64_t		seq, done = 0, epoch;
	unsigned		flags;
	int64_t			t, last_flush = 0;
	long			wait_ms;
	bool			stop = false;
	int			error;

	pfd[0].fd = j->group_fd;
	pfd[0].events = POLLIN;
	pfd[1].fd = j->wake_fd;
	pfd[1].events = POLLIN;
	for (;;) {
		wait_ms = JW_IDLE_MS;
		if (j->out_len) {
			wait_ms = (last_flush + JW_GATHER_NS - jr_now()) /
				  1000000;
			wait_ms = wait_ms < 0 ? 0 : wait_ms;
		}
		if (poll(pfd, 2, wait_ms) < 0 && errno != EINTR)
			break;
		take_requests(j, &seq, &flags, &stop);
		/*
		 * A checkpoint removes the ignore marks before its drain, and
		 * adds none during it: a change after the removal is queued,
		 * and read into this epoch or the next, never ignored.
		 */
		j->closing = (flags & HSM_JOURNAL_CHECKPOINT) && !stop;
		if (j->closing)
			jw_unignore_all(j);
		t = jr_now();
		jw_drain(j, t);
		/* an idle journal still moves its safe point on, now and
		 * then, so that a crash costs a short scan */
		if (!j->out_len && (flags || stop ||
				    t - j->safe_ns > JW_IDLE_MS * 1000000LL))
			jw_out_rec(j, stop ? JR_CLEAN : JR_SYNC, NULL, 0, t);
		else if (j->out_len && stop)
			jw_out_rec(j, JR_CLEAN, NULL, 0, t);
		else if (j->out_len && !flags &&
			 t - last_flush < JW_GATHER_NS)
			continue;	/* gather more first */
		if (j->out_len)
			last_flush = t;
		error = jw_flush(j);
		epoch = j->epoch;
		if (!error && (flags & HSM_JOURNAL_CHECKPOINT) && !stop) {
			/* everything queued before the request is in epoch
			 * N now: close it, durably, before answering */
			jw_out_rec(j, JR_CHECKPOINT, NULL, 0, t);
			error = jw_flush(j);
			if (!error) {
				j->epoch++;
				j->vouched = true;
				jset_clear(&j->set);
				if (!j->oldest_closed_ns)
					j->oldest_closed_ns = t;
			}
		} else if (!error && (flags & HSM_JOURNAL_CHECKPOINT)) {
			error = -ESHUTDOWN;	/* stopping: not closed */
		}
		j->closing = false;
		/* before the answer: a consumer that closed an epoch sees
		 * the retention applied */
		if (!stop)
			jw_prune(j, t);
		if (seq != done) {
			answer(j, seq, epoch, error);
			done = seq;
		}
		if (stop)
			break;
	}
	/* a poll failure ends the thread too: no requester may wait on */
	pthread_mutex_lock(&j->lock);
	j->stop = true;
	pthread_cond_broadcast(&j->done_cond);
	pthread_mutex_unlock(&j->lock);
	return NULL;
}

/* mkdir -p @dir (0700 for what it makes); 0 or -errno. */
static int
make_dirs(
	const char	*dir)
{
	char		p[PATH_MAX], *s;

	snprintf(p, sizeof(p), "%s", dir);
	for (s = p + 1; ; s++) {
		if (*s && *s != '/')
			continue;
		*s = '\0';
		if (mkdir(p, 0700) < 0 && errno != EEXIST)
			return -errno;
		if (!s[0] && s == p + strlen(dir))
			return 0;
		*s = '/';
	}
}

/*
 * Open (or create) the journal file, check it and cut a torn tail off;
 * rebuild the current epoch's set.  Returns the valid length, or -errno.
 */
static int
load_for_write(
	struct hsm_journal	*j,
	bool			*fresh,
	bool			*clean)
{
	struct hsm_jview	*v = NULL;
	struct hsm_jepoch	*e;
	unsigned char		hdr[JR_HDR_SIZE];
	char			path[PATH_MAX], bad[PATH_MAX + 8];
	uint64_t		valid;
	struct stat		st;
	size_t			i;
	int			error;

	error = make_dirs(jr_statedir());
	if (error)
		return error;
	jr_path(j->fs, path, sizeof(path));
again:
	j->fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (j->fd < 0)
		return -errno;
	if (flock(j->fd, LOCK_EX | LOCK_NB) < 0)
		return errno == EWOULDBLOCK ? -EBUSY : -errno;
	if (fstat(j->fd, &st) < 0)
		return -errno;
	*fresh = st.st_size == 0;
	if (*fresh) {
		jr_put_header(hdr, j->fs->uuid, jr_now(), 1, 0);
		if (pwrite(j->fd, hdr, JR_HDR_SIZE, 0) != JR_HDR_SIZE ||
		    fdatasync(j->fd) < 0)
			return errno ? -errno : -EIO;
		/* the new name durable too */
		error = open(jr_statedir(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (error >= 0) {
			fsync(error);
			close(error);
		}
	}
	error = jr_load(j->fd, j->fs->uuid, &v, &valid);
	if (error == -EUCLEAN && !*fresh) {
		/* not ours: keep it for a human, start a new one */
		snprintf(bad, sizeof(bad), "%s.bad", path);
		jw_log(j, LOG_ERR, "the change journal '%s' has a bad header: "
		     "moved to '%s', starting a new journal", path, bad);
		if (rename(path, bad) < 0)
			return -errno;
		close(j->fd);
		goto again;
	}
	if (error)
		return error;
	if (valid < (uint64_t)st.st_size && !*fresh) {
		jw_log(j, LOG_WARNING, "the change journal ended in %llu bytes "
		     "of a torn write: cut off",
		     (unsigned long long)(st.st_size - valid));
		if (ftruncate(j->fd, valid) < 0) {
			error = -errno;
			goto out;
		}
	}
	if (lseek(j->fd, valid, SEEK_SET) < 0) {
		error = -errno;
		goto out;
	}
	e = &v->epochs[v->nepochs - 1];
	j->epoch = e->epoch;
	j->vouched = e->vouched;
	j->safe_ns = v->last_ns;
	j->oldest_closed_ns = v->epochs[0].closed_ns;
	*clean = v->clean;
	for (i = 0; i < e->nmarks; i++) {
		if (jset_add(&j->set, &e->marks[i]) < 0) {
			error = -ENOMEM;
			goto out;
		}
	}
	error = 0;
out:
	hsm_jview_free(v);
	return error;
}

HSM_EXPORT int
hsm_journal_open(
	struct hsm_fs		*fs,
	int			group_fd,
	bool			continuous,
	hsm_log_fn		log,
	void			*log_arg,
	struct hsm_journal	**jp)
{
	struct hsm_journal	*j;
	struct stat		st;
	bool			fresh = false, clean = false;
	uint32_t		sflags;
	int64_t			t;
	int			error;

	j = calloc(1, sizeof(*j));
	if (!j)
		return -ENOMEM;
	j->fs = fs;
	j->group_fd = group_fd;
	j->fd = -1;
	j->log = log;
	j->log_arg = log_arg;
	pthread_mutex_init(&j->lock, NULL);
	pthread_cond_init(&j->done_cond, NULL);
	j->out = malloc(JW_FLUSH_MAX + 2 * JR_REC_MAX);
	j->rbuf = malloc(JW_READBUF);
	j->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (!j->out || !j->rbuf || j->wake_fd < 0) {
		error = j->wake_fd < 0 ? -errno : -ENOMEM;
		goto out_free;
	}
	if (fstat(fs->mntfd, &st) < 0) {
		error = -errno;
		goto out_free;
	}
	j->root_ino = st.st_ino;
	j->pid = getpid();
	error = load_for_write(j, &fresh, &clean);
	if (error)
		goto out_free;

	t = jr_now();
	/*
	 * The crash rule.  A writer that did not stop cleanly may have read
	 * events it never made durable; a group that did not watch without
	 * a break since the last writer missed changes.  Either way the
	 * current epoch is completed by a ctime scan since the last safe
	 * point.  A new journal starts its first epoch now: nothing before
	 * matters.
	 */
	if (!fresh && !clean)
		jw_gap(j, j->safe_ns - JR_MARGIN_NS, HSM_JGAP_UNCLEAN, t);
	else if (!fresh && !continuous)
		jw_gap(j, j->safe_ns - JR_MARGIN_NS, HSM_JGAP_UNWATCHED, t);
	sflags = htole32(continuous ? JS_CONTINUOUS : 0);
	jw_out_rec(j, JR_START, &sflags, 4, t);
	error = jw_flush(j);
	if (error)
		goto out_free;
	if (!j->vouched)
		jw_log(j, LOG_WARNING, "change journal epoch %llu: %s; readers "
		     "complete it with a ctime scan",
		     (unsigned long long)j->epoch, !clean ? "the last writer "
		     "did not stop cleanly" : "changes were not watched for "
		     "a while");
	/* a dead writer's ignore marks may name directories whose MARK
	 * never became durable */
	jw_unignore_all(j);
	if (pthread_create(&j->thread, NULL, writer_main, j)) {
		error = -EAGAIN;
		goto out_free;
	}
	*jp = j;
	return 0;
out_free:
	if (j->fd >= 0)
		close(j->fd);
	if (j->wake_fd >= 0)
		close(j->wake_fd);
	jset_free(&j->set);
	free(j->out);
	free(j->rbuf);
	free(j);
	return error;
}

static void
wake(
	struct hsm_journal	*j)
{
	uint64_t		one = 1;

	if (write(j->wake_fd, &one, sizeof(one)) < 0)
		jw_log(j, LOG_WARNING, "journal wake: %s", strerror(errno));
}

HSM_EXPORT int
hsm_journal_request(
	struct hsm_journal	*j,
	unsigned		flags,
	uint64_t		*epoch)
{
	uint64_t		seq;
	int			error;

	pthread_mutex_lock(&j->lock);
	seq = ++j->req_seq;
	j->req_flags |= flags;
	pthread_mutex_unlock(&j->lock);
	wake(j);
	pthread_mutex_lock(&j->lock);
	while (j->done_seq < seq && !j->stop)
		pthread_cond_wait(&j->done_cond, &j->lock);
	error = j->done_seq >= seq ? j->reply_error : -ESHUTDOWN;
	*epoch = j->reply_epoch;
	pthread_mutex_unlock(&j->lock);
	return error;
}

HSM_EXPORT void
hsm_journal_close(
	struct hsm_journal	*j)
{
	if (!j)
		return;
	pthread_mutex_lock(&j->lock);
	j->stop = true;
	pthread_cond_broadcast(&j->done_cond);
	pthread_mutex_unlock(&j->lock);
	wake(j);
	pthread_join(j->thread, NULL);
	close(j->fd);
	close(j->wake_fd);
	jset_free(&j->set);
	free(j->out);
	free(j->rbuf);
	free(j);
}
