// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * srv_ops.c - xfs_hsm commands, run inside the server.
 *
 * A batch of commands from the control socket (srv_ctl.c) runs through
 * the library's own engine on the connection's handle, with these hooks:
 *  - hold (before the file is touched): the command holds its inode
 *    (op_busy): events for it wait until the batch is done, and no
 *    recall batch runs meanwhile, so data movement is serialized per
 *    inode;
 * and its exclusive-lease hooks keep the ignore marks right:
 *  - prepare (before the exclusive lease): stop ignoring opens, so that
 *    anyone opening the file from now on is seen, and the lease fails if
 *    someone opened it before (do_dentry_open counts an opener before
 *    the permission hook);
 *  - begin (lease held, nobody else has the file open): ignore the access
 *    events of our own IO (the verify read, the punch), each of which
 *    would open an event fd for us and so break our own lease;
 *  - end: stop ignoring accesses.  From here on every access is seen: a
 *    released file must never keep an ignore mark, or its next reader
 *    would read zeros.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <linux/fs.h>
#include "server/serverP.h"
#include "server/fanotify_compat.h"

static void
hook_prepare(
	void		*arg,
	int		fd)
{
	srv_ignore_remove(arg, fd, FAN_OPEN_PERM);
}

static int
hook_begin(
	void		*arg,
	int		fd)
{
	return srv_ignore_access(arg, fd);
}

static void
hook_end(
	void		*arg,
	int		fd)
{
	srv_ignore_remove(arg, fd, FAN_OPEN_PERM | FAN_PRE_ACCESS);
}

/* Let requests that waited for the command go on.  in->lock held. */
static void
__release_deferred(
	struct hsm_server	*s,
	struct srv_inode	*in)
{
	struct srv_req		*r, *tmp;

	cds_list_for_each_entry_safe(r, tmp, &in->deferred, in_link) {
		cds_list_del_init(&r->in_link);
		r->in = NULL;
		in->refs--;		/* the caller holds one: never 0 here */
		srv_queue_event(s, r);
	}
}

/* Hold @in for a command: no event proceeds, no batch runs. */
static struct srv_inode *
op_begin(
	void			*arg,
	uint64_t		ino,
	uint32_t		gen)
{
	struct hsm_server	*s = arg;
	struct srv_inode	*in = srv_inode_get(s, ino, gen);

	if (!in)
		return NULL;
	pthread_mutex_lock(&in->lock);
	while (in->op_busy)
		pthread_cond_wait(&in->cond, &in->lock);
	in->op_busy = true;
	__srv_inode_quiesce(in);
	/* what we recalled for readers: durable, and our RECALLING gone,
	 * so the command sees the file at rest (not "in progress by us");
	 * chunks queued ahead of no reader can wait for the next access */
	if (in->loaded && in->released) {
		__srv_sync_now(s, in);
		if (cds_list_empty(&in->waiting))
			__drop_todo(s, in);
		__srv_end_recalling(s, in, -1);
	}
	pthread_mutex_unlock(&in->lock);
	return in;
}

/* The command is done: forget what it changed, let the rest go on. */
static void
op_end(
	void			*arg,
	void			*h)
{
	struct hsm_server	*s = arg;
	struct srv_inode	*in = h;

	pthread_mutex_lock(&in->lock);
	/* the record changed under our cache: read it again next time */
	if (cds_list_empty(&in->waiting) && !in->nwritten) {
		size_t i;

		for (i = in->todo_head; i < in->todo_len; i++)
			if (in->cstate && in->cstate[in->todo[i]] == CH_QUEUED)
				atomic_fetch_sub(&s->stats.queued_now, 1);
		in->todo_head = in->todo_len = 0;
		__srv_inode_unload(in);
	}
	in->op_busy = false;
	pthread_cond_broadcast(&in->cond);
	__srv_inode_unquiesce(s, in);
	__release_deferred(s, in);
	pthread_mutex_unlock(&in->lock);
	srv_inode_put(s, in);
}

static void *
hook_hold(
	void		*arg,
	uint64_t	ino,
	uint32_t	gen)
{
	return op_begin(arg, ino, gen);
}

static void
hook_unhold(
	void		*arg,
	void		*h)
{
	op_end(arg, h);
}

const struct hsm_excl_hooks srv_excl_hooks = {
	.prepare	= hook_prepare,
	.begin		= hook_begin,
	.end		= hook_end,
	.hold		= hook_hold,
	.unhold		= hook_unhold,
};

/* Inode and generation of @path (a regular file on cfs): 0 or -errno. */
static int
identify(
	struct hsm_fs		*cfs,
	const char		*path,
	uint64_t		*ino,
	uint32_t		*gen)
{
	struct hsm_fileref	f;
	int			error;

	error = hsm_fileref_open(cfs, path, O_RDONLY, true, &f);
	if (error && error != -EUCLEAN && error != -EPROTONOSUPPORT)
		return error;
	if (f.fd < 0)
		return error;
	*ino = f.st.st_ino;
	*gen = f.gen;
	hsm_fileref_close(&f);
	return error == -EUCLEAN || error == -EPROTONOSUPPORT ? 0 : error;
}

/*
 * A range recall's file, once its chunks are durable: settled at once as
 * an idle file is (srv_recall.c), not at the next tick, so the command's
 * caller sees it at rest ("partial").  Only if nobody has it open and
 * nothing else runs on it: else the tick does it later.
 */
static void
settle_ranges(
	struct hsm_server	*s,
	uint64_t		ino,
	uint32_t		gen)
{
	struct srv_inode	*in = srv_inode_get(s, ino, gen);

	if (!in)
		return;
	pthread_mutex_lock(&in->lock);
	if (cds_list_empty(&in->waiting))
		__srv_settle_idle(s, in, false);
	pthread_mutex_unlock(&in->lock);
	srv_inode_put(s, in);
}

/*
 * Recall files for a command, through the request machinery as openers
 * would: every file's request is queued at once, so the workers recall
 * them side by side, and each answer comes once its file is final.  A
 * file asked with ranges gets one request per range, answered once the
 * chunks covering it are durable (srv_classify.c).  Results go to @fn in
 * the order of @asks.
 */
void
srv_recall_files(
	struct srv_worker	*w,
	struct hsm_fs		*cfs,
	const struct srv_ask	*asks,
	size_t			n,
	hsm_result_fn		fn,
	void			*arg)
{
	struct one {
		struct srv_req		**req;
		size_t			nreq;
		struct hsm_item_result	res;
		char			detail[256];
	} *ones = calloc(n, sizeof(*ones));
	uint64_t		ino = 0;
	uint32_t		gen = 0;
	size_t			i, k;
	int			error;

	for (i = 0; i < n; i++) {
		struct one *o = ones ? &ones[i] : NULL;
		const struct srv_ask *a = &asks[i];
		struct hsm_item_result r = { .path = a->path };

		hsm_fs_clear_detail(cfs);
		error = o ? identify(cfs, a->path, &ino, &gen) : -ENOMEM;
		if (!o) {
			r.error = error;
			fn(arg, &r);
			continue;
		}
		o->res.path = a->path;
		if (!error) {
			o->nreq = a->nranges ? a->nranges : 1;
			o->req = calloc(o->nreq, sizeof(*o->req));
			if (!o->req)
				error = -ENOMEM;
		}
		for (k = 0; !error && k < o->nreq; k++)
			if (!(o->req[k] = srv_req_new(REQ_SYNC)))
				error = -ENOMEM;
		o->res.error = error;
		if (error) {
			snprintf(o->detail, sizeof(o->detail), "%s",
				 hsm_fs_errdetail(cfs) ?
				 hsm_fs_errdetail(cfs) : "");
			for (k = 0; o->req && k < o->nreq; k++)
				if (o->req[k])
					srv_req_free(o->req[k]);
			o->nreq = 0;
			continue;
		}
		o->res.ino = ino;
		o->res.gen = gen;
		for (k = 0; k < o->nreq; k++) {
			struct srv_req *q = o->req[k];

			q->ino = ino;
			q->gen = gen;
			if (a->nranges) {
				q->has_range = true;
				q->range_cmd = true;
				q->off = a->ranges[k].off;
				q->count = a->ranges[k].len;
			}
			srv_classify(w, q);
		}
	}
	for (i = 0; ones && i < n; i++) {
		struct one *o = &ones[i];

		for (k = 0; k < o->nreq; k++) {
			error = srv_req_wait(o->req[k]);
			if (error && !o->res.error)
				o->res.error = error;
			o->res.bytes += o->req[k]->bytes;
			srv_req_free(o->req[k]);
		}
		if (o->nreq) {
			o->res.outcome = o->res.bytes ? HSM_DONE : HSM_NOOP;
			if (asks[i].nranges)
				settle_ranges(w->srv, o->res.ino, o->res.gen);
		}
		free(o->req);
		o->res.detail = o->res.error && o->detail[0] ? o->detail :
				NULL;
		fn(arg, &o->res);
	}
	free(ones);
}
