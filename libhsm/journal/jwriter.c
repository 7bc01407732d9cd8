// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * jwriter.c - xfs_hsmd's change journal writer: one thread reads the
 * journal's fanotify group and appends to the journal file.
 *
 * The fast path: an event names the directory that holds the changed
 * entry (FAN_REPORT_DFID_NAME); a directory already in the current
 * epoch's set costs a hash lookup and nothing on disk.  The first change
 * in a directory adds it and each of its ancestors not yet there (a
 * directory opened by handle is connected, so ".." walks to the root).
 * All that one turn of the loop gathered is one write and one fdatasync
 * (a group flush).
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
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include <sys/fanotify.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include "journal/journalP.h"
#include "server/fanotify_compat.h"

#define JW_MASK		(FAN_MODIFY | FAN_ATTRIB | FAN_CLOSE_WRITE | \
			 FAN_CREATE | FAN_DELETE | FAN_MOVED_FROM | \
			 FAN_MOVED_TO | FAN_ONDIR)
#define JW_READBUF	(256 * 1024)
#define JW_FLUSH_MAX	(1024 * 1024)	/* flush early past this */
#define JW_IDLE_MS	60000		/* a SYNC record when idle this long */
/*
 * At most one flush per this long, unless a reader waits: first changes
 * that arrive one by one (an untar creates a directory, fills it, goes
 * on) share a flush.  The events are after the fact anyway; holding
 * their records a few ms longer only moves the safe point back as much.
 */
#define JW_GATHER_NS	(20LL * 1000000)

struct hsm_journal {
	struct hsm_fs	*fs;
	int		group_fd;
	int		fd;		/* the journal file, flock'ed */
	int		wake_fd;	/* eventfd: a request or stop */
	ino_t		root_ino;
	pid_t		pid;		/* the writer's process */
	hsm_log_fn	log;
	void		*log_arg;
	pthread_t	thread;
	/* the writer thread's own */
	uint64_t	epoch;
	bool		vouched;	/* the current epoch has no gap */
	int64_t		safe_ns;	/* the last durable safe point */
	struct jset	set;
	unsigned char	*out;		/* records not yet written */
	size_t		out_len;
	unsigned char	*rbuf;
	bool		broken;		/* a write failed: write no more */
	bool		closing;	/* a checkpoint's drain: no ignore
					 * marks, they would outlive the epoch */
	/* requests, under lock */
	pthread_mutex_t	lock;
	pthread_cond_t	done_cond;
	uint64_t	req_seq, done_seq;
	unsigned	req_flags;
	uint64_t	reply_epoch;
	int		reply_error;
	bool		stop;
};

static void
jlog(
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

/* fanotify_mark the filesystem of @fs on @fd for the journal's events. */
static int
group_mark(
	struct hsm_fs	*fs,
	int		fd)
{
	if (fanotify_mark(fd, FAN_MARK_ADD | FAN_MARK_FILESYSTEM, JW_MASK,
			  AT_FDCWD, fs->mnt) < 0)
		return errno == EINVAL ? -EOPNOTSUPP : -errno;
	return 0;
}

HSM_EXPORT int
hsm_journal_group(
	struct hsm_fs	*fs,
	int		*fdp)
{
	int		fd, error;

	/*
	 * A notification group: it blocks nobody.  The default queue limit
	 * stays: an overflow is reported, and becomes a gap (never a silent
	 * loss), where an unlimited queue would grow without bound while no
	 * daemon reads it.
	 */
	fd = fanotify_init(FAN_CLASS_NOTIF | FAN_CLOEXEC | FAN_NONBLOCK |
			   FAN_REPORT_DFID_NAME | FAN_REPORT_FID,
			   O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == EINVAL ? -EOPNOTSUPP : -errno;
	error = group_mark(fs, fd);
	if (error) {
		close(fd);
		return error;
	}
	*fdp = fd;
	return 0;
}

/* Whether group @fd has a filesystem mark on @dev (its fdinfo). */
static bool
group_has_mark(
	int		fd,
	dev_t		dev)
{
	char		path[64], line[256], want[32];
	FILE		*f;
	bool		found = false;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	/* the kernel prints the superblock's s_dev as it holds it:
	 * MKDEV(), major << 20 | minor, not st_dev's encoding */
	snprintf(want, sizeof(want), "sdev:%x ",
		 (unsigned)((major(dev) << 20) | minor(dev)));
	f = fopen(path, "re");
	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f))
		found = strstr(line, "fanotify ") && strstr(line, want);
	fclose(f);
	return found;
}

HSM_EXPORT int
hsm_journal_group_adopt(
	struct hsm_fs	*fs,
	int		fd)
{
	bool		had = group_has_mark(fd, fs->dev);
	int		error;

	/* adding again is harmless, and a remount needs it */
	error = group_mark(fs, fd);
	if (error)
		return error == -EOPNOTSUPP ? -EBADF : error;
	return had ? 0 : 1;
}

/* Queue one record for the next flush; the writer's thread. */
static void
out_rec(
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
static int
flush(
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
	jlog(j, LOG_ERR, "cannot write the change journal (%s): it stops "
	     "here, and readers fall back to a scan", strerror(errno));
	j->broken = true;
	j->out_len = 0;
	return -EIO;
}

/* A gap in the current epoch since @since_ns, once per epoch. */
static void
gap(
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
	out_rec(j, JR_GAP, p, sizeof(p), t);
	j->vouched = false;
}

/* Add @h to the epoch's set and the next flush; 1 if new, 0 if known. */
static int
mark_one(
	struct hsm_journal	*j,
	const struct hsm_jhandle *h,
	int64_t			t)
{
	unsigned char		p[4 + HSM_JHANDLE_MAX];
	uint32_t		ty = htole32(h->type);
	int			added;

	added = jset_add(&j->set, h);
	if (added <= 0) {
		if (added < 0)		/* no memory: say so, lose nothing */
			gap(j, j->safe_ns - JR_MARGIN_NS, HSM_JGAP_ERROR, t);
		return 0;
	}
	if (j->out_len + JR_REC_MAX > JW_FLUSH_MAX)
		flush(j);
	memcpy(p, &ty, 4);
	memcpy(p + 4, h->bytes, h->len);
	out_rec(j, JR_MARK, p, 4 + h->len, t);
	return 1;
}

/* The handle of directory @fd; 0 or -errno. */
static int
handle_of(
	int			fd,
	struct hsm_jhandle	*h)
{
	struct {
		struct file_handle fh;
		unsigned char	b[HSM_JHANDLE_MAX];
	} u;
	int			mnt_id;

	u.fh.handle_bytes = HSM_JHANDLE_MAX;
	if (name_to_handle_at(fd, "", &u.fh, &mnt_id, AT_EMPTY_PATH) < 0)
		return -errno;
	memset(h, 0, sizeof(*h));
	h->type = u.fh.handle_type;
	h->len = u.fh.handle_bytes;
	memcpy(h->bytes, u.fh.f_handle, h->len);
	return 0;
}

/*
 * The kernel's half of the fast path: an ignore mark on a directory of
 * the epoch (with FAN_EVENT_ON_CHILD: its entries' events too) stops its
 * events before they are even queued.  Only a directory whose MARK is in
 * the set gets one, and a checkpoint removes them all before it drains,
 * so no event a new epoch needs is ever ignored.  Evictable: the kernel
 * may drop it with the inode, and the events come back to the set.  A
 * failure (too many marks) only costs events.
 */
static void
ignore_dir(
	struct hsm_journal	*j,
	int			fd)
{
	char			path[64];

	if (j->closing)
		return;
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	fanotify_mark(j->group_fd, FAN_MARK_ADD | FAN_MARK_IGNORE_SURV |
		      FAN_MARK_EVICTABLE, JW_MASK | FAN_EVENT_ON_CHILD,
		      AT_FDCWD, path);
}

/* Remove every ignore mark (the group's inode marks; its filesystem mark
 * stays). */
static void
unignore_all(
	struct hsm_journal	*j)
{
	if (fanotify_mark(j->group_fd, FAN_MARK_FLUSH, 0, AT_FDCWD, NULL) < 0)
		jlog(j, LOG_WARNING, "cannot remove the change journal's "
		     "ignore marks: %s", strerror(errno));
}

/*
 * Mark directory @h and, if it is new in this epoch, its ancestors up to
 * the root, stopping at the first one already marked (its own ancestors
 * are then marked too).  O_PATH opens raise no fanotify event.  A
 * directory removed since (ESTALE) is marked alone: its parent's entry
 * changed when it went, and that event marks the parent.
 */
static void
mark_dir(
	struct hsm_journal	*j,
	const struct hsm_jhandle *h,
	int64_t			t)
{
	struct {
		struct file_handle fh;
		unsigned char	b[HSM_JHANDLE_MAX];
	} u;
	struct hsm_jhandle	ph;
	struct stat		st;
	int			fd, pfd;

	if (!mark_one(j, h, t))
		return;
	u.fh.handle_bytes = h->len;
	u.fh.handle_type = h->type;
	memcpy(u.fh.f_handle, h->bytes, h->len);
	fd = open_by_handle_at(j->fs->mntfd, &u.fh,
			       O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return;
	ignore_dir(j, fd);
	while (fstat(fd, &st) == 0 && st.st_ino != j->root_ino) {
		pfd = openat(fd, "..", O_PATH | O_DIRECTORY | O_CLOEXEC);
		close(fd);
		fd = pfd;
		if (fd < 0 || handle_of(fd, &ph) || !mark_one(j, &ph, t))
			break;
		ignore_dir(j, fd);
	}
	if (fd >= 0)
		close(fd);
}

/* The handle in a fid info record; false if it does not fit. */
static bool
info_handle(
	const struct fanotify_event_info_fid *fid,
	struct hsm_jhandle	*h)
{
	const struct file_handle *fh = (const void *)fid->handle;

	if (!fh->handle_bytes || fh->handle_bytes > HSM_JHANDLE_MAX)
		return false;
	memset(h, 0, sizeof(*h));
	h->type = fh->handle_type;
	h->len = fh->handle_bytes;
	memcpy(h->bytes, fh->f_handle, h->len);
	return true;
}

/*
 * An event on a file that came without its directory: a file opened by
 * handle (its dentry may be disconnected), or a link count change.  Mark
 * the directory of its name when the dcache knows a connected one (the
 * name the path of its fd gives is really it); true when done, or when
 * the file is gone (its directory's own event marked that directory).
 */
static bool
mark_parent_of(
	struct hsm_journal	*j,
	const struct hsm_jhandle *h,
	int64_t			t)
{
	struct {
		struct file_handle fh;
		unsigned char	b[HSM_JHANDLE_MAX];
	} u;
	struct hsm_jhandle	dh;
	struct stat		st, pst;
	char			link[64], path[PATH_MAX], *slash;
	ssize_t			n;
	bool			done = false;
	int			fd, dfd;

	u.fh.handle_bytes = h->len;
	u.fh.handle_type = h->type;
	memcpy(u.fh.f_handle, h->bytes, h->len);
	fd = open_by_handle_at(j->fs->mntfd, &u.fh, O_PATH | O_CLOEXEC);
	if (fd < 0)
		return errno == ESTALE;
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, path, sizeof(path) - 1);
	if (n > 0 && fstat(fd, &st) == 0) {
		path[n] = '\0';
		slash = strrchr(path, '/');
		if (slash && slash != path &&
		    lstat(path, &pst) == 0 && pst.st_ino == st.st_ino &&
		    pst.st_dev == st.st_dev) {
			*slash = '\0';
			dfd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
			if (dfd >= 0 && handle_of(dfd, &dh) == 0) {
				mark_dir(j, &dh, t);
				done = true;
			}
			if (dfd >= 0)
				close(dfd);
		}
	}
	close(fd);
	return done;
}

/* One event: the directory it changed, marked. */
static void
one_event(
	struct hsm_journal	*j,
	const struct fanotify_event_metadata *m,
	int64_t			t)
{
	const struct fanotify_event_info_header *ih;
	struct hsm_jhandle	dir, obj;
	bool			have_dir = false, have_obj = false;
	size_t			off;

	if (m->mask & FAN_Q_OVERFLOW) {
		if (j->vouched)
			jlog(j, LOG_WARNING, "the change journal's event "
			     "queue overflowed: epoch %llu falls back to a "
			     "scan", (unsigned long long)j->epoch);
		gap(j, j->safe_ns - JR_MARGIN_NS, HSM_JGAP_OVERFLOW, t);
		return;
	}
	for (off = m->metadata_len; off + sizeof(*ih) <= m->event_len;
	     off += ih->len) {
		ih = (const void *)((const char *)m + off);
		if (ih->len < sizeof(*ih) || off + ih->len > m->event_len)
			break;
		switch (ih->info_type) {
		case FAN_EVENT_INFO_TYPE_DFID_NAME:
		case FAN_EVENT_INFO_TYPE_DFID:
			have_dir = info_handle((const void *)ih, &dir);
			break;
		case FAN_EVENT_INFO_TYPE_FID:
			have_obj = info_handle((const void *)ih, &obj);
			break;
		}
	}
	if (have_dir)
		mark_dir(j, &dir, t);
	else if (have_obj && (m->mask & FAN_ONDIR))
		mark_dir(j, &obj, t);	/* the root itself */
	else if (have_obj && m->pid == j->pid)
		;	/* our own IO by handle: recall, release; it moves data
			 * and changes neither mtime nor ctime (DESIGN
			 * invariant 5): no change to report */
	else if (!have_obj || !mark_parent_of(j, &obj, t)) {
		if (j->vouched)
			jlog(j, LOG_WARNING, "a change by pid %d to a file "
			     "without a known name: epoch %llu falls back to "
			     "a scan", (int)m->pid,
			     (unsigned long long)j->epoch);
		gap(j, j->safe_ns - JR_MARGIN_NS, HSM_JGAP_ERROR, t);
	}
}

/*
 * Read the group until its queue is empty, marking as we go.  @t is the
 * time taken before the first read: the turn's safe point.
 */
static void
drain(
	struct hsm_journal	*j,
	int64_t			t)
{
	const struct fanotify_event_metadata *m;
	ssize_t			len;

	for (;;) {
		len = read(j->group_fd, j->rbuf, JW_READBUF);
		if (len < 0 && errno == EINTR)
			continue;
		if (len <= 0) {
			if (len < 0 && errno != EAGAIN) {
				jlog(j, LOG_ERR, "cannot read the change "
				     "journal's events: %s", strerror(errno));
				gap(j, j->safe_ns - JR_MARGIN_NS,
				    HSM_JGAP_ERROR, t);
			}
			return;
		}
		for (m = (const void *)j->rbuf; FAN_EVENT_OK(m, len);
		     m = FAN_EVENT_NEXT(m, len)) {
			one_event(j, m, t);
			if (m->fd >= 0)
				close(m->fd);
		}
	}
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
		jlog(j, LOG_WARNING, "journal wake: %s", strerror(errno));
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
			unignore_all(j);
		t = jr_now();
		drain(j, t);
		/* an idle journal still moves its safe point on, now and
		 * then, so that a crash costs a short scan */
		if (!j->out_len && (flags || stop ||
				    t - j->safe_ns > JW_IDLE_MS * 1000000LL))
			out_rec(j, stop ? JR_CLEAN : JR_SYNC, NULL, 0, t);
		else if (j->out_len && stop)
			out_rec(j, JR_CLEAN, NULL, 0, t);
		else if (j->out_len && !flags &&
			 t - last_flush < JW_GATHER_NS)
			continue;	/* gather more first */
		if (j->out_len)
			last_flush = t;
		error = flush(j);
		epoch = j->epoch;
		if (!error && (flags & HSM_JOURNAL_CHECKPOINT) && !stop) {
			/* everything queued before the request is in epoch
			 * N now: close it, durably, before answering */
			out_rec(j, JR_CHECKPOINT, NULL, 0, t);
			error = flush(j);
			if (!error) {
				j->epoch++;
				j->vouched = true;
				jset_clear(&j->set);
			}
		} else if (!error && (flags & HSM_JOURNAL_CHECKPOINT)) {
			error = -ESHUTDOWN;	/* stopping: not closed */
		}
		j->closing = false;
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
		jr_put_header(hdr, j->fs->uuid, jr_now());
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
		jlog(j, LOG_ERR, "the change journal '%s' has a bad header: "
		     "moved to '%s', starting a new journal", path, bad);
		if (rename(path, bad) < 0)
			return -errno;
		close(j->fd);
		goto again;
	}
	if (error)
		return error;
	if (valid < (uint64_t)st.st_size && !*fresh) {
		jlog(j, LOG_WARNING, "the change journal ended in %llu bytes "
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
		gap(j, j->safe_ns - JR_MARGIN_NS, HSM_JGAP_UNCLEAN, t);
	else if (!fresh && !continuous)
		gap(j, j->safe_ns - JR_MARGIN_NS, HSM_JGAP_UNWATCHED, t);
	sflags = htole32(continuous ? JS_CONTINUOUS : 0);
	out_rec(j, JR_START, &sflags, 4, t);
	error = flush(j);
	if (error)
		goto out_free;
	if (!j->vouched)
		jlog(j, LOG_WARNING, "change journal epoch %llu: %s; readers "
		     "complete it with a ctime scan",
		     (unsigned long long)j->epoch, !clean ? "the last writer "
		     "did not stop cleanly" : "changes were not watched for "
		     "a while");
	/* a dead writer's ignore marks may name directories whose MARK
	 * never became durable */
	unignore_all(j);
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
		jlog(j, LOG_WARNING, "journal wake: %s", strerror(errno));
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
