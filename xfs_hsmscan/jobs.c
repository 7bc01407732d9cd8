// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * jobs.c - run a function over an array of items on N threads, for the
 * steps after the scan (repairs, store checks, orphan removal).  A struct
 * hsm_fs serves one thread at a time (its store caches an fd), so each
 * thread opens its own, with the store; the function gets NULL if that
 * failed and reports it per item.
 */
#include <pthread.h>
#include <stdlib.h>
#include "xfs_hsmscan.h"

struct jobs {
	const char	*mnt;
	struct vec	*items;
	job_fn		fn;
	void		*arg;
	size_t		next;		/* atomic */
};

static void *
jobs_main(
	void		*p)
{
	struct jobs	*j = p;
	struct hsm_fs	*fs = NULL;
	size_t		i;

	if (hsm_fs_open(j->mnt, HSM_FS_NEED_STORE, &fs))
		fs = NULL;
	while ((i = __atomic_fetch_add(&j->next, 1, __ATOMIC_RELAXED)) <
	       j->items->nr)
		j->fn((char *)j->items->items + i * j->items->size, fs,
		      j->arg);
	hsm_fs_free(fs);
	return NULL;
}

void
jobs_run(
	const char	*mnt,
	unsigned	nthreads,
	struct vec	*items,
	job_fn		fn,
	void		*arg)
{
	struct jobs	j = {
		.mnt = mnt, .items = items, .fn = fn, .arg = arg,
	};
	pthread_t	*th;
	unsigned	i, started = 0;

	if (!items->nr)
		return;
	if (nthreads > items->nr)
		nthreads = items->nr;
	th = calloc(nthreads, sizeof(*th));
	if (!th)
		nomem();
	for (i = 0; i < nthreads; i++)
		if (!pthread_create(&th[started], NULL, jobs_main, &j))
			started++;
	if (!started)
		jobs_main(&j);		/* no thread: do it here */
	for (i = 0; i < started; i++)
		pthread_join(th[i], NULL);
	free(th);
}
