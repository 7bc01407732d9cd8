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
#include <unistd.h>
#include "serverP.h"

#define SYNC_BYTES	(64ULL << 20)	/* written, not durable, at most */

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
static void
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
		in->rec.flags |= HSM_F_LOST;
		__srv_inode_commit(s, in);
		srv_log(s, LOG_ERR, "inode %llu: store copy missing or corrupt "
			"(chunk %llu): flagged lost", (unsigned long long)in->ino,
			(unsigned long long)c);
	}
	__drop_todo(s, in);
	__srv_req_fail_all(s, in, error == -ENOLINK ? -EIO : error);
}

/* Commit written chunks: fdatasync, then the map, then answer. */
static void
__sync_written(
	struct hsm_server	*s,
	struct srv_inode	*in,
	int			fd)
{
	struct hsm_chunkmap	next;
	uint64_t		*snap, myseq = ++in->wseq, target;
	size_t			nsnap, i;
	int			error;

	while (in->sseq < myseq) {
		if (in->syncing) {
			pthread_cond_wait(&in->cond, &in->lock);
			continue;
		}
		in->syncing = true;
		target = in->wseq;
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
		if (!error && nsnap && fdatasync(fd) < 0)
			error = -errno;
		if (!error && nsnap)
			error = hsm_chunkmap_save(fd, &next);
		if (!error && nsnap && fsync(fd) < 0)
			error = -errno;

		pthread_mutex_lock(&in->lock);
		for (i = 0; i < nsnap; i++) {
			uint64_t c = snap[i];

			if (error) {
				in->cstate[c] = CH_IDLE;
				continue;
			}
			hsm_chunkmap_set(&in->map, c);
			in->cstate[c] = CH_IDLE;
			in->nresident++;
			__srv_req_chunk_done(s, in, c, true);
		}
		if (error) {
			srv_log(s, LOG_ERR, "inode %llu: cannot make recalled "
				"data durable: %s", (unsigned long long)in->ino,
				strerror(-error));
			__srv_req_fail_all(s, in, error);
		}
		free(next.bits);
		free(snap);
		in->sseq = target;
		in->syncing = false;
		pthread_cond_broadcast(&in->cond);
	}
}

/* Mark the file as being recalled (resumable after a crash). */
static int
__set_recalling(
	struct hsm_server	*s,
	struct srv_inode	*in)
{
	int			error;

	if (in->recalling)
		return 0;
	in->rec.pending = HSM_OP_RECALLING;
	in->rec.chunk_shift = in->meta.chunk_shift;
	error = __srv_inode_commit(s, in);
	if (!error)
		in->recalling = true;
	return error;
}

int
__srv_finalize(
	struct hsm_server	*s,
	struct srv_inode	*in)
{
	int			fd, error;

	fd = srv_inode_open(s, in, O_RDWR);
	if (fd < 0)
		return fd;
	/* blocks reserved for a range recall where the copy has holes */
	error = hsm_punch_unwritten_holes(fd, &in->meta.map, in->rec.size);
	if (!error)
		error = hsm_chunkmap_remove(fd);
	close(fd);
	if (error)
		return error;
	in->rec.flags &= ~HSM_F_RELEASED;
	in->rec.pending = HSM_OP_NONE;
	in->rec.chunk_shift = 0;
	error = __srv_inode_commit(s, in);
	if (error)
		return error;
	in->recalling = false;
	__srv_inode_unload(in);
	in->loaded = true;		/* resident: the record says all */
	return 0;
}

/* After a batch: finish the file, or drop RECALLING when idle. */
static void
__after_batch(
	struct hsm_server	*s,
	struct srv_inode	*in)
{
	int			error;

	if (in->busy || in->active || todo_count(in) || in->nwritten ||
	    !in->released)
		return;
	if (in->nresident >= in->ndata) {
		error = __srv_finalize(s, in);
		if (error)
			srv_log(s, LOG_ERR, "inode %llu: all data is back but "
				"the record could not be updated: %s",
				(unsigned long long)in->ino, strerror(-error));
		else
			srv_log(s, LOG_DEBUG, "inode %llu: resident again",
				(unsigned long long)in->ino);
		return;
	}
	/* RECALLING stays until the inode is idle (srv_inodes_evict_idle):
	 * a reader just ahead of its readahead would toggle it per unit */
}

int
__srv_end_recalling(
	struct hsm_server	*s,
	struct srv_inode	*in)
{
	int			error;

	if (!in->recalling || in->busy || in->active || todo_count(in) ||
	    in->nwritten)
		return 0;
	in->rec.pending = HSM_OP_NONE;
	error = __srv_inode_commit(s, in);
	if (!error)
		in->recalling = false;
	return error;
}

void
srv_recall_batch(
	struct srv_worker	*w,
	struct srv_inode	*in)
{
	struct hsm_server	*s = w->srv;
	uint64_t		batch[64], c, limit;
	size_t			n = 0, i, hint = 0, max;
	struct stat		st;
	int64_t			moved;
	int			fd = -1, error = 0;

	pthread_mutex_lock(&in->lock);
	in->on_runq = false;
	if (in->quiesce || in->op_busy || !in->loaded || !in->released)
		goto out_unlock;	/* kicked again when that ends */
	max = s->cfg.chunk_size > (1ULL << in->meta.chunk_shift) ?
		s->cfg.chunk_size >> in->meta.chunk_shift : 1;
	if (max > 64)
		max = 64;
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
	error = n ? __set_recalling(s, in) : 0;
	if (error) {
		for (i = 0; i < n; i++)
			__chunk_failed(s, in, batch[i], error);
		goto out_unlock;
	}
	in->busy += n;
	in->active++;
	__srv_runq_kick(s, in);		/* the rest, for another worker */
	pthread_mutex_unlock(&in->lock);

	fd = srv_inode_open(s, in, O_RDWR);
	if (fd < 0)
		error = fd;
	if (!error && fstat(fd, &st) < 0)
		error = -errno;
	/* never write past the end: a truncation we could not see */
	limit = in->rec.size;
	if (!error && (uint64_t)st.st_size < limit)
		limit = st.st_size;
	if (!error && !srv_worker_store(w))
		error = -EIO;		/* the store is unreachable */
	if (!error && w->buflen < (1ULL << in->meta.chunk_shift)) {
		char *b = realloc(w->buf, 1ULL << in->meta.chunk_shift);

		if (b) {
			w->buf = b;
			w->buflen = 1ULL << in->meta.chunk_shift;
		} else {
			error = -ENOMEM;
		}
	}
	for (i = 0; i < n; i++) {
		c = batch[i];
		if (!error) {
			error = hsm_chunk_fetch(w->store, in->rec.oid, &in->meta,
					c, w->buf, &hint);
			srv_worker_store_failed(w, error);
		}
		moved = error ? 0 : hsm_chunk_write(fd, &in->meta, c, w->buf,
				limit, &hint);
		if (moved < 0)
			error = moved;
		pthread_mutex_lock(&in->lock);
		if (error) {
			__chunk_failed(s, in, c, error);
		} else {
			atomic_fetch_add(&s->stats.chunks, 1);
			atomic_fetch_add(&s->stats.recall_bytes, moved);
			in->unsynced += moved;
			if (!grow(&in->written, &in->written_alloc,
				  in->nwritten + 1)) {
				in->written[in->nwritten++] = c;
				in->cstate[c] = CH_WRITTEN;
				__srv_req_chunk_done(s, in, c, false);
			} else {
				__chunk_failed(s, in, c, -ENOMEM);
			}
		}
		in->busy--;
		pthread_mutex_unlock(&in->lock);
		if (!error)
			sync_file_range(fd, c << in->meta.chunk_shift,
					1ULL << in->meta.chunk_shift,
					SYNC_FILE_RANGE_WRITE);
	}

	pthread_mutex_lock(&in->lock);
	if (fd >= 0 && in->nwritten &&
	    (!todo_count(in) || in->unsynced >= SYNC_BYTES ||
	     in->sync_wanted))
		__sync_written(s, in, fd);
	if (fd >= 0)
		close(fd);
	in->active--;
	if (!in->busy && !in->active)
		pthread_cond_broadcast(&in->cond);
	__after_batch(s, in);
	pthread_mutex_unlock(&in->lock);
	srv_inode_put(s, in);
	return;
out_unlock:
	pthread_mutex_unlock(&in->lock);
	srv_inode_put(s, in);
}
