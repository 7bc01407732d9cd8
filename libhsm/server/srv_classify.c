// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * srv_classify.c - what an event needs before it may proceed.
 *
 *  - a resident file: an ignore mark, then ALLOW (no more events for it);
 *  - a bad record, a lost copy: EIO, never zeros;
 *  - a released file in whole mode (the default), any open, truncate,
 *    FICLONE (count 0) or command: every chunk back and durable first;
 *  - a released file in range mode: an open for reading reserves unwritten
 *    blocks over the file, so st_blocks looks full and hole-probing copy
 *    tools (GNU cp, tar --sparse, bsdtar) read every byte and raise events
 *    instead of copying zeros; an open while anyone may write is treated
 *    as whole mode, so writes and O_TRUNC (which raises no event) only
 *    ever meet a fully resident file; a read or mmap brings back the
 *    chunks its range covers (and readahead beyond a sequential reader).
 *
 * Whether anyone may write is asked of the kernel with a read lease: it is
 * refused while the file is open for writing, and the opener being
 * classified already counts as open (do_dentry_open takes write access
 * before the open permission hook).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <linux/falloc.h>
#include <linux/fs.h>
#include "server/serverP.h"
#include "server/fanotify_compat.h"

/* Chunks of one recall unit (the configured chunk size, in copy chunks). */
static uint64_t
unit_chunks(
	const struct hsm_server	*s,
	const struct srv_inode	*in)
{
	unsigned		shift = in->meta.chunk_shift;

	if (s->cfg.chunk_size <= (1ULL << shift))
		return 1;
	return s->cfg.chunk_size >> shift;
}

/* The reader's rule decides first: it knows the program (srv_admit.c). */
static enum hsm_recall_mode
file_mode(
	const struct hsm_server	*s,
	const struct srv_inode	*in,
	const struct srv_req	*r)
{
	if (r->mode == HSM_ADMIT_MODE_WHOLE)
		return HSM_RECALL_WHOLE;
	if (r->mode == HSM_ADMIT_MODE_RANGE)
		return HSM_RECALL_RANGE;
	if (in->rec.flags & HSM_F_RECALL_RANGE)
		return HSM_RECALL_RANGE;
	if (in->rec.flags & HSM_F_RECALL_WHOLE)
		return HSM_RECALL_WHOLE;
	return s->cfg.mode;
}

/* Index of the first chunk sum at or after chunk @c. */
static size_t
first_sum(
	const struct hsm_objmeta *m,
	uint64_t		c)
{
	size_t			lo = 0, hi = m->nsums;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (m->sums[mid].chunk < c)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Deadline of a new request. */
static int64_t
deadline(
	const struct hsm_server	*s,
	const struct srv_req	*r)
{
	if (r->kind == REQ_SYNC)
		return INT64_MAX;	/* a command waits; the user can ^C */
	return srv_now_ns() + (int64_t)s->cfg.timeout_ms * 1000000;
}

void
__srv_need_chunks(
	struct srv_worker	*w,
	struct srv_inode	*in,
	struct srv_req		*r,
	uint64_t		c0,
	uint64_t		c1)
{
	struct hsm_server	*s = w->srv;
	const struct hsm_objmeta *m = &in->meta;
	uint64_t		count = 0;
	size_t			i;

	for (i = first_sum(m, c0); i < m->nsums && m->sums[i].chunk <= c1;
	     i++) {
		uint64_t c = m->sums[i].chunk;

		if ((c << m->chunk_shift) >= in->rec.size)
			break;
		if (hsm_chunkmap_test(&in->map, c))
			continue;
		if (in->cstate[c] == CH_WRITTEN) {
			if (!r->need_durable)
				continue;	/* in the page cache already */
			in->sync_wanted = true;	/* a batch will sync it */
		}
		if (!__srv_chunk_queue(s, in, c))
			atomic_fetch_add(&s->stats.chunks_dedup, 1);
		count++;
	}
	if (!count && (!r->need_durable || r->range_cmd)) {
		__srv_req_quiet(s, in, r);
		srv_req_done(s, r, 0);	/* a reader: the data is in the file */
		return;
	}
	r->remaining = count;
	r->c0 = c0;
	r->c1 = c1;
	r->in = in;
	r->deadline_ns = deadline(s, r);
	__srv_req_park(s, r);
	if (!count)
		__srv_after_work(s, in);	/* may answer @r */
	else
		__srv_runq_kick(s, in);
}

/* Is the file open for writing by anyone?  Caller holds in->lock. */
static bool
__writer_present(
	struct hsm_server	*s,
	struct srv_inode	*in)
{
	bool			writer = true;
	int			fd;

	/* our own O_RDWR batch fds would count: wait them out */
	__srv_inode_quiesce(in);
	fd = srv_inode_open(s, in, O_RDONLY);
	if (fd >= 0) {
		if (fcntl(fd, F_SETLEASE, F_RDLCK) == 0) {
			writer = false;
			fcntl(fd, F_SETLEASE, F_UNLCK);
		} else {
			srv_log(s, LOG_DEBUG, "inode %llu: lease test: %s",
				(unsigned long long)in->ino, strerror(errno));
		}
		close(fd);
	}
	__srv_inode_unquiesce(s, in);
	return writer;
}

/* Reserve unwritten blocks under the released ranges (range mode). */
static int
__reserve(
	struct hsm_server	*s,
	struct srv_inode	*in,
	const struct stat	*st)
{
	int			fd, error = 0;

	if ((uint64_t)st->st_blocks * 512 >= (uint64_t)st->st_size)
		return 0;		/* looks full already */
	fd = srv_inode_open(s, in, O_RDWR);
	if (fd < 0)
		return fd;
	if (fallocate(fd, FALLOC_FL_KEEP_SIZE, 0, in->rec.size) < 0)
		error = -errno;
	close(fd);
	return error;
}

/*
 * The file is shorter than the copy.  Either it was truncated after all
 * its data was back (its quiet mark lets truncates through: they meet
 * every byte), or where xfs_hsmd could not see it at all (an fd opened
 * before the daemon, or no daemon).  Data past the new end is gone for
 * good, so must never come back: record the new limit, and the chunks
 * past it as done.  Through @fd if the caller holds one (-1: our own).
 */
int
__srv_note_truncation(
	struct hsm_server	*s,
	struct srv_inode	*in,
	uint64_t		size,
	int			fd)
{
	unsigned		shift = in->meta.chunk_shift;
	uint64_t		c, first = (size + (1ULL << shift) - 1) >> shift;
	bool			all_in = in->nresident + in->nwritten >=
					 in->ndata;
	size_t			i;
	int			own = -1, error;

	for (c = first; c < in->map.nchunks; c++)
		hsm_chunkmap_set(&in->map, c);
	if (fd < 0) {
		fd = own = srv_inode_open(s, in, O_RDONLY);
		if (fd < 0)
			return fd;
	}
	error = hsm_dur_map(fd, &in->map, HSM_DUR_ORDERED, NULL);
	if (!error) {
		in->rec.size = size;
		in->rec.flags |= HSM_F_DIRTY;
		in->rec.chunk_shift = shift;
		error = __srv_inode_commit_fd(s, in, fd);
	}
	if (own >= 0)
		close(own);
	if (error)
		return error;
	in->ndata = in->nresident = 0;
	for (i = 0; i < in->meta.nsums; i++) {
		c = in->meta.sums[i].chunk;
		if ((c << shift) >= size)
			break;
		in->ndata++;
		in->nresident += hsm_chunkmap_test(&in->map, c);
	}
	if (all_in)
		srv_log(s, LOG_INFO, "inode %llu was truncated to %llu bytes "
			"after its data was back: recorded as changed",
			(unsigned long long)in->ino, (unsigned long long)size);
	else
		srv_log(s, LOG_WARNING, "inode %llu was truncated to %llu "
			"bytes while released, where xfs_hsmd could not see it "
			"(open since before the daemon started, or changed "
			"while no daemon ran)", (unsigned long long)in->ino,
			(unsigned long long)size);
	return 0;
}

/* Size of the file now (events have an fd; others open it). */
static int
file_stat(
	struct hsm_server	*s,
	struct srv_inode	*in,
	struct srv_req		*r,
	struct stat		*st)
{
	int			fd, error = 0;

	if (r->kind == REQ_EVENT)
		return fstat(r->fd, st) < 0 ? -errno : 0;
	fd = srv_inode_open(s, in, O_RDONLY);
	if (fd < 0)
		return fd;
	if (fstat(fd, st) < 0)
		error = -errno;
	close(fd);
	return error;
}

/*
 * Does @pid make @in a file read by many at once?  Each answer the group
 * writes wakes every reader it holds (one wait queue per group), so a
 * partial file read by SRV_SHARED_READERS processes costs each of them a
 * wakeup per read of any of them: recall the rest, and the quiet mark
 * (srv_request.c) then silences the file.  True once, for the reader that
 * makes the count; a lone random reader keeps its range recall.
 * in->lock held.
 */
static bool
__shared_file(
	struct srv_inode	*in,
	int32_t			pid)
{
	unsigned		i;

	if (in->nreaders >= SRV_SHARED_READERS)
		return false;		/* the rest is queued already */
	for (i = 0; i < in->nreaders; i++)
		if (in->readers[i] == pid)
			return false;
	in->readers[in->nreaders++] = pid;
	return in->nreaders == SRV_SHARED_READERS;
}

/* Queue chunk @c if it is in the file's size and not back yet. */
static void
__queue_missing(
	struct hsm_server	*s,
	struct srv_inode	*in,
	uint64_t		c)
{
	if (!hsm_chunkmap_test(&in->map, c) &&
	    (c << in->meta.chunk_shift) < in->rec.size)
		__srv_chunk_queue(s, in, c);
}

/* Queue every chunk not yet back, from @c0 on, then what lies before. */
static void
__queue_rest(
	struct hsm_server	*s,
	struct srv_inode	*in,
	uint64_t		c0)
{
	size_t			first = first_sum(&in->meta, c0);
	size_t			n = in->meta.nsums, i;

	for (i = 0; i < n; i++)
		__queue_missing(s, in, in->meta.sums[(first + i) % n].chunk);
}

/* Queue the readahead of a sequential reader whose range ends at @c1. */
static void
__readahead(
	struct hsm_server	*s,
	struct srv_inode	*in,
	uint64_t		c1,
	uint64_t		unit)
{
	uint64_t		ra_end = c1 + (uint64_t)s->cfg.readahead * unit;
	uint64_t		c, sum;

	for (c = c1 + 1; c <= ra_end && c < in->map.nchunks; c++)
		if (hsm_objmeta_find_sum(&in->meta, c, &sum))
			__queue_missing(s, in, c);
}

/* Bytes of [@c0, @c1] not in the file yet (what a recall will read). */
static uint64_t
missing_bytes(
	const struct srv_inode	*in,
	uint64_t		c0,
	uint64_t		c1)
{
	const struct hsm_objmeta *m = &in->meta;
	uint64_t		bytes = 0, c, end;
	size_t			i;

	for (i = first_sum(m, c0); i < m->nsums && m->sums[i].chunk <= c1;
	     i++) {
		c = m->sums[i].chunk;
		if ((c << m->chunk_shift) >= in->rec.size)
			break;
		if (hsm_chunkmap_test(&in->map, c) ||
		    in->cstate[c] == CH_WRITTEN)
			continue;
		end = (c + 1) << m->chunk_shift;
		bytes += (end < in->rec.size ? end : in->rec.size) -
			 (c << m->chunk_shift);
	}
	return bytes;
}

/*
 * Queue what @r needs of [@c0, @c1], unless its admission rule makes it
 * wait its turn first: then true, and @r is not ours any more.
 */
static bool
__need(
	struct srv_worker	*w,
	struct srv_inode	*in,
	struct srv_req		*r,
	uint64_t		c0,
	uint64_t		c1)
{
	if (r->admit >= 0 && !r->paced &&
	    srv_admit_pace(w->srv, r, missing_bytes(in, c0, c1)))
		return true;
	__srv_need_chunks(w, in, r, c0, c1);
	return false;
}

/* A released file: work out the chunks @r needs.  in->lock held. */
static void
__classify_released(
	struct srv_worker	*w,
	struct srv_inode	*in,
	struct srv_req		*r)
{
	struct hsm_server	*s = w->srv;
	uint64_t		nch = in->map.nchunks, unit, c0, c1, end;
	unsigned		shift = in->meta.chunk_shift;
	struct stat		st;
	bool			seq, shared;
	int			error;

	if (in->rec.flags & HSM_F_LOST) {
		if (!in->lost_logged)
			srv_log(s, LOG_ERR, "inode %llu: store copy missing or "
				"corrupt: reads fail with EIO",
				(unsigned long long)in->ino);
		in->lost_logged = true;
		srv_req_done(s, r, -EIO);
		return;
	}
	error = file_stat(s, in, r, &st);
	if (!error && (uint64_t)st.st_size < in->rec.size)
		error = __srv_note_truncation(s, in, st.st_size, -1);
	if (error) {
		srv_req_done(s, r, error);
		return;
	}
	if (in->nresident == in->ndata && !in->busy && !in->todo_len) {
		error = __srv_finalize(s, in, -1); /* before anyone goes on */
		srv_req_done(s, r, error);
		return;
	}

	/* everything, durable: a writer may come next */
	r->need_durable = true;
	c0 = 0;
	c1 = nch ? nch - 1 : 0;
	/* xfs_hsm recall --range: the chunks covering the range, durable
	 * and in the map, and the file stays released for the rest */
	if (r->kind == REQ_SYNC && r->range_cmd) {
		if (r->off >= in->rec.size || !r->count || !nch) {
			srv_req_done(s, r, 0);
			return;
		}
		end = r->off + r->count;
		if (end > in->rec.size || end < r->off)
			end = in->rec.size;	/* past the end: clipped */
		__need(w, in, r, r->off >> shift, (end - 1) >> shift);
		return;
	}
	if (r->kind == REQ_SYNC ||
	    ((r->mask & FAN_PRE_ACCESS) && (!r->has_range || !r->count))) {
		__need(w, in, r, c0, c1);
		return;
	}
	if (file_mode(s, in, r) == HSM_RECALL_WHOLE) {
		/*
		 * An opener that cannot write may read as soon as the data
		 * is in the file; a later writer's open waits for it to be
		 * final.  A read (an access with a range) of a released file
		 * is a read-only opener's: nobody may write a released file
		 * (release needs it unopened, and every open since was ours
		 * to answer), and a truncate has no range.
		 */
		if (!(r->mask & FAN_OPEN_PERM) || !__writer_present(s, in))
			r->need_durable = false;
		__need(w, in, r, c0, c1);
		return;
	}
	if (r->mask & FAN_OPEN_PERM) {
		if (__writer_present(s, in)) {
			__need(w, in, r, c0, c1);
			return;
		}
		error = __reserve(s, in, &st);
		if (error)
			srv_log(s, LOG_ERR, "inode %llu: cannot reserve blocks "
				"for a range recall: %s",
				(unsigned long long)in->ino, strerror(-error));
		/* the record the recalls need, before the opener reads: a
		 * record write while it reads would move the file's ctime */
		if (!error)
			error = __srv_set_recalling(s, in);
		srv_req_done(s, r, error);
		return;
	}

	/* a read, or an mmap: the chunks of its range, whole units */
	r->need_durable = false;
	if (r->off >= in->rec.size || !nch) {
		srv_req_done(s, r, 0);
		return;
	}
	end = r->off + r->count;
	if (end > in->rec.size || end < r->off)
		end = in->rec.size;
	unit = unit_chunks(s, in);
	c0 = (r->off >> shift) / unit * unit;
	c1 = (((end - 1) >> shift) / unit + 1) * unit - 1;
	if (c1 >= nch)
		c1 = nch - 1;
	/* the reader's own chunks first, then what lies ahead of it */
	seq = s->cfg.readahead && c0 <= in->next_seq &&
	      in->next_seq <= c1 + 1;
	if (r->admit >= 0 && !r->paced &&
	    srv_admit_pace(s, r, missing_bytes(in, c0, c1)))
		return;				/* its turn comes later */
	shared = __shared_file(in, r->pid);
	in->next_seq = c1 + 1;
	__srv_need_chunks(w, in, r, c0, c1);	/* @r may be answered */
	if (shared)
		__queue_rest(s, in, c0);
	else if (seq)
		__readahead(s, in, c1, unit);
	__srv_runq_kick(s, in);
}

/* Hold @r until the command running on @in is done.  in->lock held. */
static void
__defer(
	struct srv_inode	*in,
	struct srv_req		*r)
{
	in->refs++;
	r->in = in;
	cds_list_add_tail(&r->in_link, &in->deferred);
}

void
srv_classify(
	struct srv_worker	*w,
	struct srv_req		*r)
{
	struct hsm_server	*s = w->srv;
	struct srv_inode	*in;
	int			error;

	/* an event's inode was recorded when it was read (server.c) */
	in = srv_inode_get(s, r->ino, r->gen);
	if (!in) {
		srv_req_done(s, r, -ENOMEM);
		return;
	}
	pthread_mutex_lock(&in->lock);
	if (in->op_busy) {
		__defer(in, r);
		goto out_unlock;
	}
	error = __srv_inode_load(s, w, in);
	if (error == -ESTALE) {
		srv_req_done(s, r, 0);	/* deleted meanwhile */
	} else if (error == -EUCLEAN || error == -EPROTONOSUPPORT) {
		srv_log(s, LOG_ERR, "inode %llu: %s trusted.hsm record: access "
			"denied (EIO) until it is repaired",
			(unsigned long long)r->ino, error == -EUCLEAN ?
			"corrupt" : "unsupported");
		srv_req_done(s, r, -EIO);
	} else if (error) {
		srv_log(s, LOG_ERR, "inode %llu: cannot read its HSM state: %s",
			(unsigned long long)r->ino, strerror(-error));
		srv_req_done(s, r, error == -ENOLINK ? -EIO : error);
	} else if (!in->released) {
		/*
		 * A file with no record may get one next: import and undelete
		 * make a stub nameless (O_TMPFILE), its size and then its
		 * RELEASED record before its name.  So "no record" is never
		 * remembered, and a nameless file is not silenced with an
		 * ignore mark, or readers of the named stub would read
		 * zeros.  Nobody else can open a nameless file.
		 */
		if (!in->has_rec)
			in->loaded = false;
		if (r->kind == REQ_EVENT && !r->nameless &&
		    srv_ignore_add(s, r->fd) == 0)
			atomic_fetch_add(&s->stats.ignored, 1);
		srv_req_done(s, r, 0);
	} else if ((error = srv_admit_match(s, r, in->ino))) {
		srv_req_done(s, r, error);	/* the file stays released */
	} else {
		__classify_released(w, in, r);
	}
out_unlock:
	pthread_mutex_unlock(&in->lock);
	srv_inode_put(s, in);
}

/*
 * The answer to an event that comes while the workers are leaving, given
 * by the event loop itself: ALLOW a file with no released data (not
 * regular, no record, resident), EIO anything else.  Only the record is
 * read, never the store, and writes of ours raise no event that waits on
 * this, so the loop cannot block on itself.  Without it every open on the
 * filesystem would fail in the last moment of a daemon's stop.
 */
int
srv_classify_leaving(
	int			fd)
{
	struct hsm_record	rec;
	struct stat		st;
	int			error;

	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
		return 0;
	error = hsm_fd_read_record(fd, &rec);
	if (error)
		return error == 1 ? 0 : -EIO;
	if ((rec.flags & HSM_F_RELEASED) || rec.pending == HSM_OP_RELEASING ||
	    rec.pending == HSM_OP_RECALLING)
		return -EIO;
	return 0;
}
