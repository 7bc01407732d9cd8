// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * jevents.c - the change journal's events: each names the directory that
 * holds the changed entry (FAN_REPORT_DFID_NAME); a directory already in
 * the current epoch's set costs a hash lookup and nothing on disk.  The
 * first change in a directory adds it and each of its ancestors not yet
 * there (a directory opened by handle is connected, so ".." walks to the
 * root), each with a MARK record for the turn's flush.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>
#include <sys/stat.h>
#include "journal/journalP.h"


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
			jw_gap(j, j->safe_ns - JR_MARGIN_NS, HSM_JGAP_ERROR, t);
		return 0;
	}
	if (j->out_len + JR_REC_MAX > JW_FLUSH_MAX)
		jw_flush(j);
	memcpy(p, &ty, 4);
	memcpy(p + 4, h->bytes, h->len);
	jw_out_rec(j, JR_MARK, p, 4 + h->len, t);
	return 1;
}

/* The handle of directory @fd; 0 or -errno. */
static int
handle_of(
	int			fd,
	struct hsm_jhandle	*h)
{
	return hsm_jhandle_get(fd, "", AT_EMPTY_PATH, h);
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
	struct hsm_jhandle	ph;
	struct stat		st;
	int			fd, pfd;

	if (!mark_one(j, h, t))
		return;
	fd = hsm_jhandle_open(j->fs->mntfd, h,
			      O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return;
	jw_ignore_dir(j, fd);
	while (fstat(fd, &st) == 0 && st.st_ino != j->root_ino) {
		pfd = openat(fd, "..", O_PATH | O_DIRECTORY | O_CLOEXEC);
		close(fd);
		fd = pfd;
		if (fd < 0 || handle_of(fd, &ph) || !mark_one(j, &ph, t))
			break;
		jw_ignore_dir(j, fd);
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
	struct hsm_jhandle	dh;
	struct stat		st, pst;
	char			link[64], path[PATH_MAX], *slash;
	ssize_t			n;
	bool			done = false;
	int			fd, dfd;

	fd = hsm_jhandle_open(j->fs->mntfd, h, O_PATH | O_CLOEXEC);
	if (fd < 0)
		return fd == -ESTALE;
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

/* One event (@m, its metadata; @ev, its bytes): the directory it
 * changed, marked. */
static void
one_event(
	struct hsm_journal	*j,
	const struct fanotify_event_metadata *m,
	const char		*ev,
	int64_t			t)
{
	const struct fanotify_event_info_header *ih;
	struct hsm_jhandle	dir, obj;
	bool			have_dir = false, have_obj = false;
	size_t			off;

	if (m->mask & FAN_Q_OVERFLOW) {
		if (j->vouched)
			jw_log(j, LOG_WARNING, "the change journal's event "
			     "queue overflowed: epoch %llu falls back to a "
			     "scan", (unsigned long long)j->epoch);
		jw_gap(j, j->safe_ns - JR_MARGIN_NS, HSM_JGAP_OVERFLOW, t);
		return;
	}
	for (off = m->metadata_len; off + sizeof(*ih) <= m->event_len;
	     off += ih->len) {
		ih = (const void *)(ev + off);
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
	/*
	 * Our own IO to a file: recall, release, the records of commands we
	 * run.  It moves data and changes neither mtime nor the file's
	 * content (DESIGN invariant 5): no change to report, whether the
	 * event names the file's directory or not (opened on the private
	 * clone of the mount, it does).  Names made or removed are reported.
	 */
	if (m->pid == j->pid && !(m->mask & FAN_ONDIR) &&
	    !(m->mask & ~(FAN_MODIFY | FAN_ATTRIB | FAN_CLOSE_WRITE)))
		return;
	if (have_dir)
		mark_dir(j, &dir, t);
	else if (have_obj && (m->mask & FAN_ONDIR))
		mark_dir(j, &obj, t);	/* the root itself */
	else if (!have_obj || !mark_parent_of(j, &obj, t)) {
		if (j->vouched)
			jw_log(j, LOG_WARNING, "a change by pid %d to a file "
			     "without a known name: epoch %llu falls back to "
			     "a scan", (int)m->pid,
			     (unsigned long long)j->epoch);
		jw_gap(j, j->safe_ns - JR_MARGIN_NS, HSM_JGAP_ERROR, t);
	}
}

/*
 * Read the group until its queue is empty, marking as we go.  @t is the
 * time taken before the first read: the turn's safe point.
 */
void
jw_drain(
	struct hsm_journal	*j,
	int64_t			t)
{
	struct fanotify_event_metadata m;
	const char		*ev;
	ssize_t			len;

	for (;;) {
		len = read(j->group_fd, j->rbuf, JW_READBUF);
		if (len < 0 && errno == EINTR)
			continue;
		if (len <= 0) {
			if (len < 0 && errno != EAGAIN) {
				jw_log(j, LOG_ERR, "cannot read the change "
				     "journal's events: %s", strerror(errno));
				jw_gap(j, j->safe_ns - JR_MARGIN_NS,
				    HSM_JGAP_ERROR, t);
			}
			return;
		}
		/*
		 * Events with names are 4-byte aligned, their metadata wants
		 * 8 (its mask is a u64): read each one's through a copy.
		 */
		for (ev = (const char *)j->rbuf; len >= (ssize_t)sizeof(m);
		     ev += m.event_len, len -= m.event_len) {
			memcpy(&m, ev, sizeof(m));
			if (m.event_len < sizeof(m) || m.event_len > len)
				break;
			one_event(j, &m, ev, t);
			if (m.fd >= 0)
				close(m.fd);
		}
	}
}
