// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * srv_recall.c - bring chunks back, in batches, on worker threads.
 *
 * Inodes with queued chunks wait on the run queue; a worker takes one,
 * takes a batch (one recall unit) of its chunks and puts the inode back at
 * the tail if more remain, so readers of different files proceed side by
 * side and one big file is recalled by several workers at once.
 *
 * Each chunk is read from the store and checked before it is written
 * (chunkio.c), through an fd opened by handle: no mtime or ctime change
 * (DESIGN invariant 5).  A written chunk answers readers that only read;
 * it counts as resident (and answers openers, truncates and commands,
 * after which anyone may write) only once fdatasync has made it durable
 * and the map that says so is on disk too (DESIGN invariant 2).  Syncs
 * are group commits: one fdatasync covers every chunk written before it.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>
#include "server/serverP.h"
#include "server/fanotify_compat.h"

#define SYNC_BYTES	(1ULL << 30)	/* written, not durable, at most */
#define BATCH_MIN	4		/* chunks a worker takes at a time */
#define BATCH_MAX	64
#define BATCH_BYTES	(16ULL << 20)

static int
grow(
	uint64_t	**arr,
	size_t		*alloc,
	size_t		need)
{
	uint64_t	*p;
	size_t		n = *alloc ? *alloc : 64;

	if (need <= *alloc)
		return 0;
	while (n < need)
		n *= 2;
	p = realloc(*arr, n * sizeof(**arr));
	if (!p)
		return -ENOMEM;
	*arr = p;
	*alloc = n;
	return 0;
}

bool
__srv_chunk_queue(
	struct hsm_server	*s,
	struct srv_inode	*in,
	uint64_t		c)
{
	if (in->cstate[c] != CH_IDLE)
		return false;
	/* compact the FIFO before it grows past twice what it holds */
	if (in->todo_head && in->todo_head >= in->todo_len) {
		memmove(in->todo, in->todo + in->todo_head,
			(in->todo_len - in->todo_head) * sizeof(*in->todo));
		in->todo_len -= in->todo_head;
		in->todo_head = 0;
	}
	if (grow(&in->todo, &in->todo_alloc, in->todo_len + 1))
		return false;		/* the waiter times out: EIO */
	in->todo[in->todo_len++] = c;
	in->cstate[c] = CH_QUEUED;
	atomic_fetch_add(&s->stats.queued_now, 1);
	return true;
}

static size_t
todo_count(
	const struct srv_inode	*in)
{
	return in->todo_len - in->todo_head;
}

void
__srv_runq_kick(
	struct hsm_server	*s,
	struct srv_inode	*in)
{
	if (in->on_runq || in->quiesce || in->op_busy || !in->loaded)
		return;
	if (!todo_count(in) && !(in->sync_wanted && in->nwritten))
		return;
	in->on_runq = true;
	in->refs++;			/* the run queue's */
	pthread_mutex_lock(&s->work_lock);
	cds_list_add_tail(&in->runq_link, &s->runq);
	pthread_cond_signal(&s->work_cond);
	pthread_mutex_unlock(&s->work_lock);
}

/*
 * Wait until no batch runs on @in: none holds chunks, and none holds the
 * O_RDWR fd that would make a lease fail (a batch answers its waiters
 * before it closes it).
 */
void
__srv_inode_quiesce(
	struct srv_inode	*in)
{
	in->quiesce++;
	while (in->busy || in->active)
		pthread_cond_wait(&in->cond, &in->lock);
}

void
__srv_inode_unquiesce(
	struct hsm_server	*s,
	struct srv_inode	*in)
{
	if (--in->quiesce == 0)
		__srv_runq_kick(s, in);
}

/* Forget every queued chunk (after a failure: later accesses retry). */
void
__drop_todo(
	struct hsm_server	*s,
	struct srv_inode	*in)
{
	size_t			i;

	for (i = in->todo_head; i < in->todo_len; i++)
		if (in->cstate[in->todo[i]] == CH_QUEUED) {
			in->cstate[in->todo[i]] = CH_IDLE;
			atomic_fetch_sub(&s->stats.queued_now, 1);
		}
	in->todo_head = in->todo_len = 0;
}

/* A chunk could not be recalled: say so to everyone waiting on @in. */
static void
__chunk_failed(
	struct hsm_server	*s,
	struct srv_inode	*in,
	uint64_t		c,
	int			error)
{
	in->cstate[c] = CH_IDLE;
	if (error == -ENOLINK && !(in->rec.flags & HSM_F_LOST)) {
		hsm_record_mark_lost(&in->rec);
		__srv_inode_commit(s, in);
		srv_log(s, LOG_ERR, "inode %llu: store copy missing or corrupt "
			"(chunk %llu): flagged lost", (unsigned long long)in->ino,
			(unsigned long long)c);
	}
	__drop_todo(s, in);
	__srv_req_fail_all(s, in, error == -ENOLINK ? -EIO : error);
}

/* One sync of the chunks written so far: fdatasync, the map, answers. */
static void
__sync_once(
	struct hsm_server	*s,
	struct srv_inode	*in,
	int			fd)
{
	struct hsm_chunkmap	next;
	uint64_t		*snap;
	size_t			nsnap, i;
	int			error;

	snap = in->written;
	nsnap = in->nwritten;
	in->written = NULL;
	in->nwritten = in->written_alloc = 0;
	in->unsynced = 0;
	in->sync_wanted = false;
	/* the map as it will be once these are durable */
	next = in->map;
	next.bits = malloc(next.nchunks / 8 + 1);
	if (next.bits) {
		memcpy(next.bits, in->map.bits, next.nchunks / 8 + 1);
		for (i = 0; i < nsnap; i++)
			hsm_chunkmap_set(&next, snap[i]);
	}
	pthread_mutex_unlock(&in->lock);

	error = next.bits ? 0 : -ENOMEM;
	if (!error && nsnap)
		error = hsm_dur_data(fd, HSM_DUR_NOW, NULL);
	if (!error && nsnap) {
		hsm_fault(s->fs, "srv-synced");
		error = hsm_dur_map(fd, &next, HSM_DUR_NOW, NULL);
	}
	if (!error && nsnap)
		hsm_fault(s->fs, "srv-mapped");

	pthread_mutex_lock(&in->lock);
	atomic_fetch_sub(&s->stats.unsynced_now, nsnap);
	for (i = 0; i < nsnap; i++) {
		uint64_t c = snap[i];

		in->cstate[c] = CH_IDLE;
		if (error)
			continue;
		hsm_chunkmap_set(&in->map, c);
		in->nresident++;
		__srv_req_chunk_done(s, in, c, true);
	}
	if (error) {
		srv_log(s, LOG_ERR, "inode %llu: cannot make recalled data "
			"durable: %s", (unsigned long long)in->ino,
			strerror(-error));
		__srv_req_fail_all(s, in, error);
	}
	free(next.bits);
	free(snap);
}

/*
 * Commit written chunks.  One worker syncs at a time; the others go on
 * writing, and what they wrote meanwhile is left to the syncer, which
 * syncs again once the last batch is written (or when asked).  Readers
 * were answered when the data was written; only those who may write wait.
 */
static void
__sync_written(
	struct hsm_server	*s,
	struct srv_inode	*in,
	int			fd)
{
	if (in->syncing) {
		in->sync_again = true;
		return;
	}
	in->syncing = true;
	do {
		in->sync_again = false;
		__sync_once(s, in, fd);
	} while (in->nwritten && (in->sync_again || !todo_count(in)));
	in->syncing = false;
	pthread_cond_broadcast(&in->cond);
}

/* Mark the file as being recalled (resumable after a crash). */
int
__srv_set_recalling(
	struct hsm_server	*s,
	struct srv_inode	*in)
{
	int			error;

	if (in->recalling)
		return 0;
	in->rec.pending = HSM_OP_RECALLING;
	in->rec.chunk_shift = in->meta.chunk_shift;
	error = __srv_inode_commit_ordered(s, in);
	if (!error)
		in->recalling = true;
	hsm_fault(s->fs, "srv-recalling");
	return error;
}

/*
 * Everything is back and durable: the file becomes dual-state again.  The
 * blocks reserved for a range recall where the copy has holes are punched
 * (FIEMAP, then punches: not atomic against anyone changing the extent
 * map), so this runs before anyone who may write is let in, and the
 * ignore mark it sets at the end is what silences the file's readers.
 */
int
__srv_finalize(
	struct hsm_server	*s,
	struct srv_inode	*in,
	int			fd)
{
	int			own = -1, error;

	if (fd < 0) {
		fd = own = srv_inode_open(s, in, O_RDWR);
		if (fd < 0)
			return fd;
	}
	error = hsm_punch_unwritten_holes(fd, &in->meta.map, in->rec.size);
	if (!error)
		error = hsm_dur_map(fd, NULL, HSM_DUR_ORDERED, NULL);
	if (error)
		goto out_close;
	hsm_fault(s->fs, "srv-finalize");
	in->rec.flags &= ~HSM_F_RELEASED;
	in->rec.pending = HSM_OP_NONE;
	in->rec.chunk_shift = 0;
	error = __srv_inode_commit_fd(s, in, fd);
	if (error)
		goto out_close;
	in->recalling = false;
	__srv_inode_unload(in);
	in->loaded = true;		/* resident: the record says all */
	if (srv_ignore_add(s, fd) == 0)
		atomic_fetch_add(&s->stats.ignored, 1);
out_close:
	if (own >= 0)
		close(own);
	return error;
}

/*
 * After work on @in (a batch, a sync, a request that needed nothing): once
 * nothing runs on it and all its data is back, finish the file; then let
 * in those who may write and were waiting for exactly that.  A partial
 * file keeps RECALLING until it is idle (srv_inodes_evict_idle): a reader
 * just ahead of its readahead would toggle it per unit.
 */
void
__srv_after_work(
	struct hsm_server	*s,
	struct srv_inode	*in)
{
	int			error = 0;

	if (in->busy || in->active || todo_count(in) || in->nwritten)
		return;
	if (in->released && in->loaded) {
		if (in->nresident < in->ndata)
			return;
		error = __srv_finalize(s, in, -1);
		if (error)
			srv_log(s, LOG_ERR, "inode %llu: all data is back but "
				"the record could not be updated: %s",
				(unsigned long long)in->ino, strerror(-error));
		else
			srv_log(s, LOG_DEBUG, "inode %llu: resident again",
				(unsigned long long)in->ino);
	}
	__srv_req_answer_writers(s, in, error);
}

void
__srv_settle_idle(
	struct hsm_server	*s,
	struct srv_inode	*in,
	bool			stopping)
{
	struct stat		st;
	int			fd, error = 0;

	if (in->busy || in->active || todo_count(in) || in->quiesce ||
	    in->op_busy || !in->loaded || !in->released ||
	    (!in->nwritten && !in->recalling))
		return;
	fd = srv_inode_open(s, in, O_RDWR);
	if (fd < 0)
		return;			/* the next tick tries again */
	/*
	 * Our record and map writes move the file's ctime, which a reader
	 * such as tar checks across its reads ("file changed as we read
	 * it"), and the finalize punches: so only once nobody has the file
	 * open, and under a lease that makes an opener wait for us.  Our own
	 * punch raises events whose fds would break that lease: ignore them
	 * meanwhile, as release does.  A daemon that stops does it anyway.
	 */
	if (fcntl(fd, F_SETLEASE, F_WRLCK) < 0) {
		if (!stopping) {
			close(fd);
			return;
		}
	} else if (srv_ignore_access(s, fd)) {
		fcntl(fd, F_SETLEASE, F_UNLCK);
		close(fd);
		return;
	}
	/* a truncate its quiet mark let through, now that nobody can */
	if (fstat(fd, &st) == 0 && (uint64_t)st.st_size < in->rec.size)
		__srv_note_truncation(s, in, st.st_size, fd);
	in->active++;
	__sync_written(s, in, fd);
	in->active--;
	if (in->nwritten || in->busy) {
		/* a failed sync, or a batch came: the file is not at rest */
	} else if (in->nresident >= in->ndata) {
		error = __srv_finalize(s, in, fd);
		if (error)
			srv_log(s, LOG_ERR, "inode %llu: all data is back but "
				"the record could not be updated: %s",
				(unsigned long long)in->ino, strerror(-error));
	} else {
		__srv_end_recalling(s, in, fd);
	}
	/* a file not all in keeps no ignore mark; one all in keeps its
	 * quiet mark (srv_request.c) */
	if (in->released && in->nresident + in->nwritten < in->ndata)
		srv_ignore_remove(s, fd, FAN_PRE_ACCESS);
	fcntl(fd, F_SETLEASE, F_UNLCK);
	close(fd);
	pthread_cond_broadcast(&in->cond);
	__srv_after_work(s, in);
}

void
__srv_sync_now(
	struct hsm_server	*s,
	struct srv_inode	*in)
{
	int			fd;

	if (!in->nwritten)
		return;
	fd = srv_inode_open(s, in, O_RDWR);
	if (fd < 0)
		return;			/* the next access tries again */
	in->active++;
	__sync_written(s, in, fd);
	in->active--;
	close(fd);
	pthread_cond_broadcast(&in->cond);
	__srv_after_work(s, in);
}

int
__srv_end_recalling(
	struct hsm_server	*s,
	struct srv_inode	*in,
	int			fd)
{
	int			error;

	if (!in->recalling || in->busy || in->active || todo_count(in) ||
	    in->nwritten)
		return 0;
	in->rec.pending = HSM_OP_NONE;
	error = fd >= 0 ? __srv_inode_commit_fd(s, in, fd) :
			  __srv_inode_commit(s, in);
	if (!error)
		in->recalling = false;
	return error;
}

/* A chunk is in the file (@error 0): readers may go on; else it failed. */
static void
__chunk_written(
	struct hsm_server	*s,
	struct srv_inode	*in,
	uint64_t		c,
	int			error,
	uint64_t		limit)
{
	uint64_t		len;

	if (!error && grow(&in->written, &in->written_alloc,
			   in->nwritten + 1))
		error = -ENOMEM;
	if (error) {
		__chunk_failed(s, in, c, error);
		return;
	}
	len = hsm_chunk_data_len(&in->meta, c, limit);
	atomic_fetch_add(&s->stats.chunks, 1);
	atomic_fetch_add(&s->stats.recall_bytes, len);
	in->unsynced += len;
	in->written[in->nwritten++] = c;
	in->cstate[c] = CH_WRITTEN;
	atomic_fetch_add(&s->stats.unsynced_now, 1);
	__srv_req_chunk_done(s, in, c, false);
}

/*
 * The filesystem is full: ask for room (at most once a second, whatever
 * the threads) and wait a little.  True while the caller may retry: a
 * space policy run that releases dual-state files frees room in moments.
 */
static bool
srv_room_wait(
	struct hsm_server	*s,
	int64_t			since_ns)
{
	int64_t			now = srv_now_ns(), last;
	int64_t			max_ms = s->cfg.room_ms ? s->cfg.room_ms : 30000;
	struct timespec		ts = { 0, 250 * 1000000L };

	if (!s->cfg.room)
		return false;
	if (max_ms > s->cfg.timeout_ms / 2)
		max_ms = s->cfg.timeout_ms / 2;
	if (now - since_ns >= max_ms * 1000000)
		return false;
	last = atomic_load(&s->stats.room_asked_ns);
	if (now - last >= 1000000000LL &&
	    atomic_compare_exchange_strong(&s->stats.room_asked_ns, &last,
					   now)) {
		srv_log(s, LOG_WARNING, "%s is full: asking for room",
			hsm_fs_mountpoint(s->fs));
		s->cfg.room(s->cfg.room_arg);
	}
	nanosleep(&ts, NULL);
	return true;
}

void
srv_recall_batch(
	struct srv_worker	*w,
	struct srv_inode	*in)
{
	struct hsm_server	*s = w->srv;
	uint64_t		batch[BATCH_MAX], c, limit;
	size_t			n = 0, i, j, k, fetched = 0, hint = 0, max;
	uint64_t		nxt_off = 0, nxt_len = 0;
	struct stat		st;
	int64_t			moved, t0;
	unsigned		from;
	int			fd = -1, error = 0;

	pthread_mutex_lock(&in->lock);
	in->on_runq = false;
	if (in->quiesce || in->op_busy || !in->loaded || !in->released)
		goto out_unlock;	/* kicked again when that ends */
	/* a recall unit, and at least a few chunks, at most BATCH_BYTES */
	max = s->cfg.chunk_size > (1ULL << in->meta.chunk_shift) ?
		s->cfg.chunk_size >> in->meta.chunk_shift : 1;
	if (max < BATCH_MIN)
		max = BATCH_MIN;
	if (max > (BATCH_BYTES >> in->meta.chunk_shift))
		max = BATCH_BYTES >> in->meta.chunk_shift;
	if (max > BATCH_MAX)
		max = BATCH_MAX;
	if (max < 1)
		max = 1;
	while (n < max && todo_count(in)) {
		c = in->todo[in->todo_head++];
		if (in->cstate[c] != CH_QUEUED)
			continue;
		in->cstate[c] = CH_BUSY;
		atomic_fetch_sub(&s->stats.queued_now, 1);
		batch[n++] = c;
	}
	if (!n && !in->nwritten)
		goto out_unlock;
	error = n ? __srv_set_recalling(s, in) : 0;
	if (error) {
		for (i = 0; i < n; i++)
			__chunk_failed(s, in, batch[i], error);
		goto out_unlock;
	}
	in->busy += n;
	/* where the next batch will read: ask the store to read it ahead */
	if (todo_count(in)) {
		uint64_t first = in->todo[in->todo_head];
		size_t t = in->todo_head + max < in->todo_len ?
			   in->todo_head + max - 1 : in->todo_len - 1;

		if (in->todo[t] >= first) {
			nxt_off = first << in->meta.chunk_shift;
			nxt_len = (in->todo[t] - first + 1) << in->meta.chunk_shift;
		}
	}
	/*
	 * The batches running on a file share one O_RDWR fd, open while
	 * any runs: opening per batch costs an open-permission event.
	 * Quiesce (writer test, commands) waits for it to be closed.
	 */
	if (!in->active && in->iofd < 0)
		in->iofd = srv_inode_open(s, in, O_RDWR);
	in->active++;
	fd = in->iofd;
	__srv_runq_kick(s, in);		/* the rest, for another worker */
	pthread_mutex_unlock(&in->lock);

	if (fd < 0)
		error = fd;
	if (!error && fstat(fd, &st) < 0)
		error = -errno;
	/* never write past the end: a truncation we could not see */
	limit = in->rec.size;
	if (!error && (uint64_t)st.st_size < limit)
		limit = st.st_size;
	if (!error && w->buflen < (n << in->meta.chunk_shift)) {
		char *b = realloc(w->buf, n << in->meta.chunk_shift);

		if (b) {
			w->buf = b;
			w->buflen = n << in->meta.chunk_shift;
		} else {
			error = -ENOMEM;
		}
	}
	/* the batch after ours, which another worker takes next */
	from = atomic_load(&in->from);
	if (!error && nxt_len)
		hsm_copies_prefetch(s->fs, srv_worker_set(w), &in->rec, from,
				nxt_off, nxt_len);
	/* every chunk checked on its own, before any is written; a copy
	 * that fails is left for the next (copies.c) */
	for (i = 0; i < n && !error; i++) {
		error = hsm_copies_fetch(s->fs, srv_worker_set(w), &in->rec,
				&in->meta, batch[i],
				w->buf + (i << in->meta.chunk_shift), &hint,
				&from);
		srv_worker_store_failed(w, error);
		if (!error)
			fetched++;
	}
	atomic_store(&in->from, from);
	/* consecutive chunks in one write each: one event of our own */
	for (i = 0; i < fetched; i = j) {
		for (j = i + 1; j < fetched && batch[j] == batch[j - 1] + 1; j++)
			;
		hint = 0;
		moved = hsm_chunk_write(fd, &in->meta, batch[i], j - i,
				w->buf + (i << in->meta.chunk_shift), limit,
				&hint);
		for (t0 = srv_now_ns(); moved == -ENOSPC &&
		     srv_room_wait(s, t0); ) {
			hint = 0;
			moved = hsm_chunk_write(fd, &in->meta, batch[i], j - i,
					w->buf + (i << in->meta.chunk_shift),
					limit, &hint);
		}
		pthread_mutex_lock(&in->lock);
		for (k = i; k < j; k++)
			__chunk_written(s, in, batch[k], moved < 0 ? moved : 0,
					limit);
		in->busy -= j - i;
		pthread_mutex_unlock(&in->lock);
		/* start the write-back early only if someone waits for it:
		 * readers only need the data in the page cache */
		if (moved >= 0 && in->durable_waiters)
			sync_file_range(fd, batch[i] << in->meta.chunk_shift,
					(j - i) << in->meta.chunk_shift,
					SYNC_FILE_RANGE_WRITE);
	}
	if (fetched)
		hsm_fault(s->fs, "srv-written");
	pthread_mutex_lock(&in->lock);
	for (k = fetched; k < n; k++)
		__chunk_failed(s, in, batch[k], error);
	in->busy -= n - fetched;
	pthread_mutex_unlock(&in->lock);

	/*
	 * Sync now only for whoever may write next; readers have their data,
	 * and a file only read is synced and made final once nobody has it
	 * open (__srv_settle_idle), as cp's data would be written back later.
	 */
	pthread_mutex_lock(&in->lock);
	if (fd >= 0 && in->nwritten &&
	    (in->sync_wanted || in->unsynced >= SYNC_BYTES ||
	     (!todo_count(in) && in->durable_waiters)))
		__sync_written(s, in, fd);
	if (--in->active == 0) {
		if (in->iofd >= 0)
			close(in->iofd);
		in->iofd = -1;
	}
	if (!in->busy && !in->active)
		pthread_cond_broadcast(&in->cond);
	__srv_after_work(s, in);
	pthread_mutex_unlock(&in->lock);
	srv_inode_put(s, in);
	return;
out_unlock:
	pthread_mutex_unlock(&in->lock);
	srv_inode_put(s, in);
}
