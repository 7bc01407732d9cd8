// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * workers.c - run a per-file function on N threads (xfs_hsm -j N).
 *
 * The walk stays on the main thread (it reports bad paths and unusable
 * filesystems once); workers take paths from a bounded queue.  A struct
 * hsm_fs serves one thread at a time, so each worker opens its own.  Two
 * names of one inode never run at once: a busy-inode set makes the second
 * wait, after which it finds the work done (a no-op).
 */
#include <errno.h>
#include <pthread.h>
#include <search.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "xfs_hsm.h"

#define QUEUE_LEN	256

struct thread_fs {
	dev_t		dev;
	struct hsm_fs	*fs;
	struct thread_fs *next;
};

struct workers {
	pthread_mutex_t	lock;
	pthread_cond_t	not_empty;
	pthread_cond_t	not_full;
	pthread_cond_t	inode_free;
	char		*queue[QUEUE_LEN];
	unsigned	head, count;
	bool		closing;
	void		*busy;		/* tsearch set of ino_t in progress */
	worker_fn	fn;
	void		*arg;
	pthread_t	*threads;
	unsigned	nthreads;
};

static pthread_mutex_t output_lock = PTHREAD_MUTEX_INITIALIZER;
static bool threaded;

void
output_lock_take(void)
{
	if (threaded)
		pthread_mutex_lock(&output_lock);
}

void
output_lock_drop(void)
{
	if (threaded)
		pthread_mutex_unlock(&output_lock);
}

static int
ino_cmp(
	const void	*a,
	const void	*b)
{
	ino_t		x = *(const ino_t *)a, y = *(const ino_t *)b;

	return x < y ? -1 : x > y;
}

/* This thread's handle on the filesystem holding @path. */
static struct hsm_fs *
thread_fs(
	struct thread_fs	**list,
	const char		*path)
{
	struct thread_fs	*t;
	struct stat		st;

	if (lstat(path, &st) < 0)
		return NULL;
	for (t = *list; t; t = t->next)
		if (t->dev == st.st_dev)
			return t->fs;
	t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	t->dev = st.st_dev;
	if (hsm_fs_open(path, HSM_FS_NEED_STORE, &t->fs))
		t->fs = NULL;
	t->next = *list;
	*list = t;
	return t->fs;
}

static void *
worker_main(
	void			*p)
{
	struct workers		*w = p;
	struct thread_fs	*fslist = NULL, *t, *next;
	struct stat		st;
	ino_t			*key;
	char			*path;

	for (;;) {
		pthread_mutex_lock(&w->lock);
		while (!w->count && !w->closing)
			pthread_cond_wait(&w->not_empty, &w->lock);
		if (!w->count) {
			pthread_mutex_unlock(&w->lock);
			break;
		}
		path = w->queue[w->head];
		w->head = (w->head + 1) % QUEUE_LEN;
		w->count--;
		pthread_cond_signal(&w->not_full);

		key = NULL;
		if (lstat(path, &st) == 0 && (key = malloc(sizeof(*key)))) {
			*key = st.st_ino;
			while (tfind(key, &w->busy, ino_cmp))
				pthread_cond_wait(&w->inode_free, &w->lock);
			tsearch(key, &w->busy, ino_cmp);
		}
		pthread_mutex_unlock(&w->lock);

		w->fn(path, thread_fs(&fslist, path), w->arg);

		if (key) {
			pthread_mutex_lock(&w->lock);
			tdelete(key, &w->busy, ino_cmp);
			pthread_cond_broadcast(&w->inode_free);
			pthread_mutex_unlock(&w->lock);
			free(key);
		}
		free(path);
	}
	for (t = fslist; t; t = next) {
		next = t->next;
		hsm_fs_free(t->fs);
		free(t);
	}
	return NULL;
}

struct workers *
workers_start(
	unsigned	nthreads,
	worker_fn	fn,
	void		*arg)
{
	struct workers	*w = calloc(1, sizeof(*w));
	unsigned	i;

	if (!w || !(w->threads = calloc(nthreads, sizeof(pthread_t)))) {
		fprintf(stderr, "%s: out of memory\n", PROGNAME);
		exit(HSM_EX_OPERATIONAL);
	}
	pthread_mutex_init(&w->lock, NULL);
	pthread_cond_init(&w->not_empty, NULL);
	pthread_cond_init(&w->not_full, NULL);
	pthread_cond_init(&w->inode_free, NULL);
	w->fn = fn;
	w->arg = arg;
	threaded = true;
	for (i = 0; i < nthreads; i++) {
		if (pthread_create(&w->threads[i], NULL, worker_main, w))
			break;
		w->nthreads++;
	}
	if (!w->nthreads) {
		fprintf(stderr, "%s: cannot start worker threads\n", PROGNAME);
		exit(HSM_EX_OPERATIONAL);
	}
	return w;
}

void
workers_add(
	struct workers	*w,
	const char	*path)
{
	char		*copy = strdup(path);

	if (!copy) {
		fprintf(stderr, "%s: out of memory\n", PROGNAME);
		exit(HSM_EX_OPERATIONAL);
	}
	pthread_mutex_lock(&w->lock);
	while (w->count == QUEUE_LEN)
		pthread_cond_wait(&w->not_full, &w->lock);
	w->queue[(w->head + w->count) % QUEUE_LEN] = copy;
	w->count++;
	pthread_cond_signal(&w->not_empty);
	pthread_mutex_unlock(&w->lock);
}

void
workers_finish(
	struct workers	*w)
{
	unsigned	i;

	pthread_mutex_lock(&w->lock);
	w->closing = true;
	pthread_cond_broadcast(&w->not_empty);
	pthread_mutex_unlock(&w->lock);
	for (i = 0; i < w->nthreads; i++)
		pthread_join(w->threads[i], NULL);
	threaded = false;
	free(w->threads);
	free(w);
}
