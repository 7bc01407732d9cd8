// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * srv_request.c - one event (or command) waiting for data.
 *
 * A request that needs chunks is parked on its inode and on the server's
 * parked list; it holds no thread.  Each chunk it awaits counts down its
 * remaining count when it is written (a reader: the last one answers it)
 * or durable (anyone who may write next: opens, truncates, commands).  A
 * request that may write is answered only once the file is final, by
 * __srv_req_answer_writers after __srv_finalize: the design's rule that
 * the HSM never changes a file's data or extent map after it has let in
 * anyone who could modify the file (doc/design.md, "Letting users in").  The event loop's timer answers EIO to a request
 * past its deadline: a slow or hung store never hangs a reader for ever.
 * Whoever answers first wins (answered is an atomic flag); the request is
 * freed by whoever then takes it off its inode.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>
#include "server/serverP.h"

struct srv_req *
srv_req_new(
	enum srv_req_kind	kind)
{
	struct srv_req		*r = calloc(1, sizeof(*r));

	if (!r)
		return NULL;
	r->kind = kind;
	r->fd = -1;
	r->resp_fd = -1;
	r->slot = -1;
	atomic_init(&r->answered, false);
	CDS_INIT_LIST_HEAD(&r->in_link);
	CDS_INIT_LIST_HEAD(&r->parked_link);
	CDS_INIT_LIST_HEAD(&r->admit_link);
	r->admit = -1;
	r->start_ns = srv_now_ns();
	if (kind == REQ_SYNC) {
		pthread_mutex_init(&r->sync_lock, NULL);
		pthread_cond_init(&r->sync_cond, NULL);
	}
	return r;
}

void
srv_req_free(
	struct srv_req		*r)
{
	if (!r)
		return;
	if (r->kind == REQ_SYNC) {
		pthread_mutex_destroy(&r->sync_lock);
		pthread_cond_destroy(&r->sync_cond);
	}
	free(r);
}

/* Log what the reader got, if it is worth a line. */
static void
log_answer(
	struct hsm_server	*s,
	struct srv_req		*r,
	int			error,
	int64_t			ns)
{
	char			name[4096];

	if (r->kind == REQ_SYNC)
		return;
	if (!error && !r->bytes)
		return;
	if (r->kind == REQ_EVENT)
		srv_fd_name(r->fd, name, sizeof(name));
	else
		snprintf(name, sizeof(name), "inode %llu",
			 (unsigned long long)r->ino);
	if (error == -ETIMEDOUT)
		srv_log(s, LOG_ERR, "recall of '%s' for pid %d did not finish "
			"within %u s: the reader got EIO", name, r->pid,
			s->cfg.timeout_ms / 1000);
	else if (error)
		srv_log(s, LOG_ERR, "recall of '%s' failed for pid %d: %s", name,
			r->pid, strerror(-error));
	else
		srv_log(s, r->has_range && r->count ? LOG_DEBUG : LOG_INFO,
			"recalled '%s' (%llu bytes in %lld ms) for pid %d",
			name, (unsigned long long)r->bytes,
			(long long)(ns / 1000000), r->pid);
}

bool
srv_req_answer(
	struct hsm_server	*s,
	struct srv_req		*r,
	int			error)
{
	int64_t			ns;

	if (atomic_exchange(&r->answered, true))
		return false;
	ns = srv_now_ns() - r->start_ns;
	r->error = error;
	if (error)
		atomic_fetch_add(&s->stats.failures, 1);
	if (error == -ETIMEDOUT)
		atomic_fetch_add(&s->stats.timeouts, 1);
	log_answer(s, r, error, ns);
	switch (r->kind) {
	case REQ_EVENT:
	case REQ_ADOPTED:
		atomic_fetch_add(&s->stats.events, 1);
		srv_respond(s, r->resp_fd, error);
		/* release the slot before the fd number can be reused */
		evtab_release(s->evtab, r->slot);
		r->slot = -1;
		if (r->fd >= 0) {
			close(r->fd);
			if (r->kind == REQ_EVENT)
				atomic_fetch_sub(&s->event_fds, 1);
		}
		r->fd = -1;
		break;
	case REQ_SYNC:
		pthread_mutex_lock(&r->sync_lock);
		r->done = true;
		pthread_cond_signal(&r->sync_cond);
		pthread_mutex_unlock(&r->sync_lock);
		break;
	}
	return true;
}

/*
 * Answer @r and let go of it.  A command's request (REQ_SYNC) belongs to
 * its waiter, which may free it the moment it is answered, so nothing of
 * it is read after the answer; any other is freed here.  True when this
 * was its answer (not one after a timeout's).
 */
bool
srv_req_done(
	struct hsm_server	*s,
	struct srv_req		*r,
	int			error)
{
	enum srv_req_kind	kind = r->kind;
	bool			won;

	won = srv_req_answer(s, r, error);
	if (kind != REQ_SYNC)
		srv_req_free(r);
	return won;
}

int
srv_req_wait(
	struct srv_req		*r)
{
	pthread_mutex_lock(&r->sync_lock);
	while (!r->done)
		pthread_cond_wait(&r->sync_cond, &r->sync_lock);
	pthread_mutex_unlock(&r->sync_lock);
	return r->error;
}

void
__srv_req_park(
	struct hsm_server	*s,
	struct srv_req		*r)
{
	struct srv_inode	*in = r->in;

	in->refs++;
	in->durable_waiters += r->need_durable;
	cds_list_add_tail(&r->in_link, &in->waiting);
	pthread_mutex_lock(&s->parked_lock);
	cds_list_add_tail(&r->parked_link, &s->parked);
	r->parked = true;
	pthread_mutex_unlock(&s->parked_lock);
	atomic_fetch_add(&s->stats.in_flight, 1);
	atomic_fetch_add(&s->stats.recalls, 1);
}

/* Take a parked request off its inode and the parked list; then it may
 * be freed (REQ_SYNC: its waiter frees it).  Caller holds in->lock. */
static void
__unpark(
	struct hsm_server	*s,
	struct srv_req		*r)
{
	cds_list_del_init(&r->in_link);
	r->in->durable_waiters -= r->need_durable;
	pthread_mutex_lock(&s->parked_lock);
	if (r->parked) {
		cds_list_del_init(&r->parked_link);
		r->parked = false;
	}
	pthread_mutex_unlock(&s->parked_lock);
	atomic_fetch_sub(&s->stats.in_flight, 1);
	/* the inode reference the request held: in->lock is ours, so the
	 * count cannot reach zero under us (the caller holds one too) */
	r->in->refs--;
	r->in = NULL;
}

static void
__finish(
	struct hsm_server	*s,
	struct srv_req		*r,
	int			error)
{
	int64_t			ns;

	if (!error)
		__srv_req_quiet(s, r->in, r);
	__unpark(s, r);
	ns = srv_now_ns() - r->start_ns;
	if (srv_req_done(s, r, error) && !error)
		srv_stats_latency(&s->stats, ns);
}

/*
 * Every chunk of @in is in the file, durable or not yet: its reads need
 * nothing more, so silence them (an access ignore mark, through the
 * event's fd) until the file is made final (srv_recall.c), or a release
 * removes the mark (srv_ops.c).  Opens are not ignored: an opener who may
 * write still waits for the file to be final.  A truncate by path is an
 * access too, and goes through unseen from here: it meets every byte of
 * the file already in it, and it cannot move data or make the unwritten
 * blocks the final punch looks for (doc/design.md, "Letting users in").
 */
void
__srv_req_quiet(
	struct hsm_server	*s,
	struct srv_inode	*in,
	struct srv_req		*r)
{
	if (r->kind != REQ_EVENT || r->need_durable || !in || !in->loaded ||
	    !in->released || in->nresident + in->nwritten < in->ndata)
		return;
	if (srv_ignore_access(s, r->fd) == 0)
		atomic_fetch_add(&s->stats.ignored, 1);
}

void
__srv_req_chunk_done(
	struct hsm_server	*s,
	struct srv_inode	*in,
	uint64_t		c,
	bool			durable)
{
	struct srv_req		*r, *tmp;
	uint64_t		len = hsm_chunk_data_len(&in->meta, c,
						in->rec.size);

	cds_list_for_each_entry_safe(r, tmp, &in->waiting, in_link) {
		if (c < r->c0 || c > r->c1 || r->need_durable != durable)
			continue;
		r->bytes += len;
		/* one who may write waits for the file to be final; a
		 * range recall, for its chunks to be durable */
		if (--r->remaining == 0 && (!durable || r->range_cmd))
			__finish(s, r, 0);
	}
}

void
__srv_req_answer_writers(
	struct hsm_server	*s,
	struct srv_inode	*in,
	int			error)
{
	struct srv_req		*r, *tmp;

	cds_list_for_each_entry_safe(r, tmp, &in->waiting, in_link)
		if (r->need_durable && !r->remaining)
			__finish(s, r, error);
}

bool
__srv_req_writers_ready(
	const struct srv_inode	*in)
{
	const struct srv_req	*r;

	cds_list_for_each_entry(r, &in->waiting, in_link)
		if (r->need_durable && !r->remaining)
			return true;
	return false;
}

void
__srv_req_fail_all(
	struct hsm_server	*s,
	struct srv_inode	*in,
	int			error)
{
	struct srv_req		*r, *tmp;

	cds_list_for_each_entry_safe(r, tmp, &in->waiting, in_link)
		__finish(s, r, error);
}

/*
 * Answer EIO to every parked request past its deadline.  It stays on its
 * inode, answered, until its chunks complete or fail and the worker
 * frees it: the parked list alone is ours here (lock order).
 */
void
srv_req_timeouts(
	struct hsm_server	*s)
{
	struct srv_req		*r, *tmp;
	int64_t			now = srv_now_ns();

	pthread_mutex_lock(&s->parked_lock);
	cds_list_for_each_entry_safe(r, tmp, &s->parked, parked_link) {
		if (now < r->deadline_ns)
			continue;
		cds_list_del_init(&r->parked_link);
		r->parked = false;
		srv_req_answer(s, r, -ETIMEDOUT);
	}
	pthread_mutex_unlock(&s->parked_lock);
}
