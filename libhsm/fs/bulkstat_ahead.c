// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * bulkstat_ahead.c - a bulkstat walk of one allocation group that reads
 * its next batch while the caller works on this one.
 *
 * The ioctl mostly waits for inode clusters to be read; what a caller does
 * with a batch (read records, score candidates) is mostly CPU.  A thread
 * per walk overlaps the two, with two buffers: still one bulkstat stream
 * per walk, so a caller's -j bounds the streams.  xfs_hsmscan and
 * xfs_hsm policy walk with it.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include "fs/fsP.h"

struct ahead_batch {
	struct hsm_inode	*in;
	unsigned		nr;
	uint64_t		cursor;		/* resume after this batch */
	int			error;		/* -errno */
	bool			end;		/* nothing more */
};

struct hsm_bulkstat_ahead {
	struct hsm_bulkstat	*bs;
	unsigned		batch;
	struct ahead_batch	b[2];
	unsigned		head;		/* the batch the caller has */
	unsigned		count;		/* filled, not given back */
	bool			taken;		/* the caller holds b[head] */
	bool			stop;
	bool			running;
	pthread_mutex_t		lock;
	pthread_cond_t		cond;
	pthread_t		thread;
};

static void *
ahead_main(
	void			*arg)
{
	struct hsm_bulkstat_ahead *ra = arg;
	struct ahead_batch	*b;
	int			error;

	for (;;) {
		pthread_mutex_lock(&ra->lock);
		while (ra->count == 2 && !ra->stop)
			pthread_cond_wait(&ra->cond, &ra->lock);
		if (ra->stop) {
			pthread_mutex_unlock(&ra->lock);
			break;
		}
		b = &ra->b[(ra->head + ra->count) % 2];
		pthread_mutex_unlock(&ra->lock);

		error = hsm_bulkstat_batch(ra->bs, b->in, ra->batch, &b->nr);
		b->end = error == 1 || (!error && !b->nr);
		b->error = error < 0 ? error : 0;
		b->cursor = hsm_bulkstat_cursor(ra->bs);

		pthread_mutex_lock(&ra->lock);
		ra->count++;
		pthread_cond_broadcast(&ra->cond);
		pthread_mutex_unlock(&ra->lock);
		if (b->end || b->error)
			break;
	}
	return NULL;
}

HSM_EXPORT int
hsm_bulkstat_ahead_open(
	struct hsm_fs		*fs,
	uint32_t		agno,
	uint64_t		start_ino,
	unsigned		batch,
	struct hsm_bulkstat_ahead **rap)
{
	struct hsm_bulkstat_ahead *ra;
	int			error, i;

	ra = calloc(1, sizeof(*ra));
	if (!ra)
		return -ENOMEM;
	ra->batch = batch ? batch : 1024;
	pthread_mutex_init(&ra->lock, NULL);
	pthread_cond_init(&ra->cond, NULL);
	for (i = 0; i < 2; i++) {
		ra->b[i].in = calloc(ra->batch, sizeof(struct hsm_inode));
		if (!ra->b[i].in) {
			hsm_bulkstat_ahead_free(ra);
			return -ENOMEM;
		}
	}
	error = hsm_bulkstat_open(fs, agno, start_ino, ra->batch, &ra->bs);
	if (!error) {
		if (pthread_create(&ra->thread, NULL, ahead_main, ra))
			error = -EAGAIN;
		else
			ra->running = true;
	}
	if (error) {
		hsm_bulkstat_ahead_free(ra);
		return error;
	}
	*rap = ra;
	return 0;
}

HSM_EXPORT int
hsm_bulkstat_ahead_next(
	struct hsm_bulkstat_ahead *ra,
	const struct hsm_inode	**inp,
	unsigned		*nr,
	uint64_t		*cursor)
{
	struct ahead_batch	*b;

	pthread_mutex_lock(&ra->lock);
	if (ra->taken) {
		/* the caller is done with the last one: the thread may
		 * fill it again */
		ra->head = (ra->head + 1) % 2;
		ra->count--;
		ra->taken = false;
		pthread_cond_broadcast(&ra->cond);
	}
	while (!ra->count)
		pthread_cond_wait(&ra->cond, &ra->lock);
	b = &ra->b[ra->head];
	pthread_mutex_unlock(&ra->lock);
	*inp = b->in;
	*nr = 0;
	if (cursor)
		*cursor = b->cursor;
	if (b->error)
		return b->error;
	if (b->end)
		return 1;		/* left in place: every later call too */
	pthread_mutex_lock(&ra->lock);
	ra->taken = true;
	pthread_mutex_unlock(&ra->lock);
	*nr = b->nr;
	return 0;
}

HSM_EXPORT void
hsm_bulkstat_ahead_free(
	struct hsm_bulkstat_ahead *ra)
{
	int			i;

	if (!ra)
		return;
	if (ra->running) {
		pthread_mutex_lock(&ra->lock);
		ra->stop = true;
		pthread_cond_broadcast(&ra->cond);
		pthread_mutex_unlock(&ra->lock);
		pthread_join(ra->thread, NULL);
	}
	hsm_bulkstat_free(ra->bs);
	for (i = 0; i < 2; i++)
		free(ra->b[i].in);
	pthread_mutex_destroy(&ra->lock);
	pthread_cond_destroy(&ra->cond);
	free(ra);
}
