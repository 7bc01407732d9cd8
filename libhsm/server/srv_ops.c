// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * srv_ops.c - xfs_hsm commands, run inside the server.
 *
 * A command on a file holds its inode (op_busy): events for it wait until
 * the command is done, and no recall batch runs meanwhile, so data
 * movement is serialized per inode.  A recall is a request like an
 * event's.  The others run the library's own code on the connection's
 * handle, whose exclusive-lease hooks keep the ignore marks right:
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

const struct hsm_excl_hooks srv_excl_hooks = {
	.prepare	= hook_prepare,
	.begin		= hook_begin,
	.end		= hook_end,
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
	int			g = 0, error;

	error = hsm_fileref_open(cfs, path, O_RDONLY, true, &f);
	if (error && error != -EUCLEAN && error != -EPROTONOSUPPORT)
		return error;
	if (f.fd < 0)
		return error;
	if (ioctl(f.fd, FS_IOC_GETVERSION, &g) < 0)
		error = -errno;
	*ino = f.st.st_ino;
	*gen = g;
	hsm_fileref_close(&f);
	return error == -EUCLEAN || error == -EPROTONOSUPPORT ? 0 : error;
}

/* Recall through the request machinery, as an opener would. */
static int
op_recall(
	struct srv_worker	*w,
	uint64_t		ino,
	uint32_t		gen,
	struct hsm_result	*res)
{
	struct srv_req		*r = srv_req_new(REQ_SYNC);
	int			error;

	if (!r)
		return -ENOMEM;
	r->ino = ino;
	r->gen = gen;
	srv_classify(w, r);
	error = srv_req_wait(r);
	res->bytes = r->bytes;
	res->outcome = r->bytes ? HSM_DONE : HSM_NOOP;
	srv_req_free(r);
	return error;
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
	struct hsm_server	*s,
	uint64_t		ino,
	uint32_t		gen)
{
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
		__srv_end_recalling(s, in);
	}
	pthread_mutex_unlock(&in->lock);
	return in;
}

/* The command is done: forget what it changed, let the rest go on. */
static void
op_end(
	struct hsm_server	*s,
	struct srv_inode	*in)
{
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

int
srv_op_ino(
	struct srv_worker	*w,
	struct hsm_fs		*cfs,
	unsigned		op,
	uint64_t		ino,
	uint32_t		gen,
	const uint8_t		*oid,
	uint32_t		*outcome,
	uint64_t		*bytes)
{
	struct hsm_inode	hin = { .ino = ino, .gen = gen };
	struct hsm_repair	rep;
	struct srv_inode	*in;
	int			error;

	cfs->errdetail[0] = '\0';
	*outcome = 0;
	*bytes = 0;
	in = op_begin(w->srv, ino, gen);
	if (!in)
		return -ENOMEM;
	if (op == HSM_CTL_REPAIR) {
		error = hsm_inode_repair(cfs, &hin, &rep);
		*outcome = rep.action | rep.op << 8;
		*bytes = rep.bytes;
	} else {
		error = hsm_inode_mark_lost(cfs, &hin, oid);
		if (error == 1) {
			*outcome = 1;
			error = 0;
		}
	}
	op_end(w->srv, in);
	return error;
}

int
srv_op(
	struct srv_worker	*w,
	struct hsm_fs		*cfs,
	unsigned		op,
	const char		*path,
	unsigned		flags,
	struct hsm_result	*res)
{
	struct hsm_server	*s = w->srv;
	struct srv_inode	*in;
	uint64_t		ino;
	uint32_t		gen;
	int			error;

	memset(res, 0, sizeof(*res));
	cfs->errdetail[0] = '\0';
	error = identify(cfs, path, &ino, &gen);
	if (error) {
		/* let the library say what is wrong with it */
		if (op == HSM_CTL_RECALL)
			return hsm_recall(cfs, path, res);
		goto run_direct;
	}
	if (op == HSM_CTL_RECALL)
		return op_recall(w, ino, gen, res);

	in = op_begin(s, ino, gen);
	if (!in)
		return -ENOMEM;
	error = 0;
	switch (op) {
	case HSM_CTL_MIGRATE:
		error = hsm_migrate(cfs, path, flags, res);
		break;
	case HSM_CTL_RELEASE:
		error = hsm_release(cfs, path, res);
		break;
	case HSM_CTL_FORGET:
		error = hsm_forget(cfs, path, res);
		break;
	case HSM_CTL_SETFLAGS:
		error = hsm_set_pins(cfs, path, flags & 0xffff, flags >> 16);
		break;
	default:
		error = -EINVAL;
	}

	op_end(s, in);
	return error;

run_direct:
	switch (op) {
	case HSM_CTL_MIGRATE:
		return hsm_migrate(cfs, path, flags, res);
	case HSM_CTL_RELEASE:
		return hsm_release(cfs, path, res);
	case HSM_CTL_FORGET:
		return hsm_forget(cfs, path, res);
	case HSM_CTL_SETFLAGS:
		return hsm_set_pins(cfs, path, flags & 0xffff, flags >> 16);
	}
	return -EINVAL;
}
