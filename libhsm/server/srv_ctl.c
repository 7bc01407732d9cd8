// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * srv_ctl.c - the daemon's control socket, /run/xfs-hsm/<fs-uuid>.sock.
 *
 * Root only, twice over: the directory and the socket are 0700/0600, and
 * every connection's peer credentials must say uid 0.  Each connection
 * gets a thread and its own filesystem handle (a struct hsm_fs serves one
 * thread); requests on it run one after the other.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include "server/serverP.h"

struct conn {
	struct hsm_server *srv;
	int		fd;
	int		index;
};

static int
conn_add(
	struct hsm_server	*s,
	int			fd)
{
	int			i, slot = -1;

	pthread_mutex_lock(&s->conns_lock);
	for (i = 0; i < SRV_MAX_CONNS && slot < 0; i++)
		if (s->conn_fds[i] < 0)
			slot = i;
	if (slot >= 0) {
		s->conn_fds[slot] = fd;
		s->nconns++;
	}
	pthread_mutex_unlock(&s->conns_lock);
	return slot;
}

static void
conn_del(
	struct hsm_server	*s,
	int			slot)
{
	pthread_mutex_lock(&s->conns_lock);
	s->conn_fds[slot] = -1;
	s->nconns--;
	pthread_mutex_unlock(&s->conns_lock);
}

bool
srv_ctl_busy(
	struct hsm_server	*s)
{
	bool			busy;

	pthread_mutex_lock(&s->conns_lock);
	busy = s->nconns > 0;
	pthread_mutex_unlock(&s->conns_lock);
	return busy;
}

/* A batch's results, into the response as they come. */
struct reply {
	struct hsm_ctl_msg	*m;
	int			error;
};

static void
put_result(
	void				*arg,
	const struct hsm_item_result	*r)
{
	struct reply			*rp = arg;
	struct hsm_ctl_result		cr = {
		.error		= r->error,
		.outcome	= r->outcome,
		.repair_action	= r->repair_action,
		.repair_op	= r->repair_op,
		.lost_flagged	= r->lost_flagged,
		.bytes		= r->bytes,
		.ino		= r->ino,
		.gen		= r->gen,
		.detail		= r->detail ? r->detail : "",
		.dlen		= r->detail ? strlen(r->detail) : 0,
	};
	int				error;

	error = hsm_ctl_put_result(rp->m, &cr);
	if (error && !rp->error)
		rp->error = error;
}

/*
 * Run the batch in @m and put its results there: a recall through the
 * request machinery, anything else through the library's engine on the
 * connection's handle (whose hooks hold each inode).  The message is both
 * the request, read first, and the response.
 */
static int
serve_batch(
	struct srv_worker	*w,
	struct hsm_fs		*cfs,
	struct hsm_ctl_msg	*m)
{
	struct hsm_ctl_item	it;
	struct hsm_batch_limits	lim = { 0 };
	struct hsm_batch	*b = NULL;
	struct reply		rp;
	struct hsm_ctl_msg	*req;
	struct srv_ask		*asks = NULL;
	unsigned		cmd;
	uint32_t		count, n = 0;
	size_t			pos = 0;
	int			rc, error;

	error = hsm_ctl_batch_head(m, &cmd, &count);
	if (error || !cmd || cmd > HSM_CMD_MAX)
		return -EINVAL;
	/* the request stays readable while the response is written */
	req = malloc(sizeof(*req));
	if (!req)
		return -ENOMEM;
	memcpy(req, m, offsetof(struct hsm_ctl_msg, payload) + m->len);
	rp.m = m;
	rp.error = 0;
	hsm_ctl_results_start(m);
	m->op = HSM_CTL_BATCH;
	if (cmd == HSM_CMD_RECALL)
		asks = calloc(count ? count : 1, sizeof(*asks));
	else
		error = hsm_batch_new(cfs, cmd, req->flags, put_result, &rp,
				&b);
	if (!error && !b && !asks)
		error = -ENOMEM;
	if (b) {
		lim.files = count;
		hsm_batch_set_limits(b, &lim);
	}
	while (!error && (rc = hsm_ctl_get_item(req, &pos, &it)) == 0) {
		char path[PATH_MAX];

		if (it.kind == HSM_CTL_ITEM_PATH ||
		    it.kind == HSM_CTL_ITEM_RANGES) {
			if (it.plen >= sizeof(path)) {
				error = -ENAMETOOLONG;
				break;
			}
			memcpy(path, it.path, it.plen);
			path[it.plen] = '\0';
		}
		if (asks) {
			struct srv_ask *a = &asks[n];

			if (it.kind == HSM_CTL_ITEM_INODE || n == count ||
			    !(a->path = strdup(path))) {
				error = -EINVAL;
				break;
			}
			n++;
			if (it.kind == HSM_CTL_ITEM_RANGES) {
				a->ranges = calloc(it.nranges,
						   sizeof(*a->ranges));
				if (!a->ranges) {
					error = -ENOMEM;
					break;
				}
				memcpy(a->ranges, it.ranges,
				       it.nranges * sizeof(*a->ranges));
				a->nranges = it.nranges;
			}
		} else if (it.kind == HSM_CTL_ITEM_RANGES) {
			error = -EINVAL;	/* ranges: recall only */
		} else if (it.kind == HSM_CTL_ITEM_PATH) {
			error = hsm_batch_add_item(b, path, 0, 0, NULL, NULL);
		} else {
			error = hsm_batch_add_item(b, NULL, it.ino, it.gen,
					it.oid, NULL);
		}
	}
	if (!error && rc < 0)
		error = rc;
	if (!error && asks)
		srv_recall_files(w, cfs, asks, n, put_result, &rp);
	else if (!error)
		error = hsm_batch_flush(b);
	hsm_batch_free(b);
	while (asks && n) {
		n--;
		free(asks[n].path);
		free(asks[n].ranges);
	}
	free(asks);
	free(req);
	if (error) {
		m->len = 0;
		return error;
	}
	return rp.error;
}

/* Serve one request; false when the connection should close. */
static bool
serve(
	struct conn		*c,
	struct srv_worker	*w,
	struct hsm_fs		*cfs,
	struct hsm_ctl_msg	*m)
{
	struct hsm_server_stats	st;

	if (hsm_ctl_recv(c->fd, false, m))
		return false;
	m->outcome = 0;
	m->bytes = 0;
	switch (m->op) {
	case HSM_CTL_PING:
		m->error = 0;
		m->len = 0;
		break;
	case HSM_CTL_STATS:
		/* scripts wait for stats to know the daemon is ready: a file
		 * opened before that may be taken for one opened before the
		 * daemon watched, and recalled whole */
		if (!atomic_load(&c->srv->ready)) {
			m->error = -EAGAIN;
			m->len = 0;
			break;
		}
		srv_stats_get(c->srv, &st);
		m->error = 0;
		m->len = hsm_stats_pack(&st, m->payload);
		break;
	case HSM_CTL_JOURNAL:
		m->len = 0;
		m->error = c->srv->cfg.journal ?
			   hsm_journal_request(c->srv->cfg.journal, m->flags,
					       &m->bytes) : -ENOENT;
		break;
	default:
		m->error = serve_batch(w, cfs, m);
		break;
	}
	return hsm_ctl_send(c->fd, m, true) == 0;
}

static void *
conn_main(
	void			*arg)
{
	struct conn		*c = arg;
	struct hsm_server	*s = c->srv;
	struct srv_worker	w = { .srv = s };
	struct hsm_ctl_msg	*m = calloc(1, sizeof(*m));
	struct hsm_fs		*cfs = NULL;

	urcu_memb_register_thread();
	if (m && hsm_fs_open(s->fs->mnt, 0, &cfs) == 0) {
		cfs->route = HSM_ROUTE_SERVER;
		cfs->excl_hooks = &srv_excl_hooks;
		cfs->hooks_arg = s;
		/*
		 * A command's IO goes through the private mount too, so it
		 * raises no event: the loop would have to answer it, and the
		 * loop can be waiting on a lease this very command holds
		 * (reading an event opens its file, which breaks the lease).
		 */
		if (s->fs->iofd >= 0)
			cfs->iofd = fcntl(s->fs->iofd, F_DUPFD_CLOEXEC, 0);
		while (serve(c, &w, cfs, m))
			;
	}
	if (cfs && cfs->iofd >= 0)
		close(cfs->iofd);
	hsm_fs_free(cfs);
	hsm_store_set_close(&w.set);
	free(w.buf);
	free(m);
	close(c->fd);
	conn_del(s, c->index);
	free(c);
	urcu_memb_unregister_thread();
	return NULL;
}

/* Refuse anyone but root, with an answer they can read. */
static bool
peer_is_root(
	int		fd)
{
	struct ucred	cred;
	socklen_t	len = sizeof(cred);

	return getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0 &&
	       cred.uid == 0;
}

static void
refuse(
	int			fd)
{
	struct hsm_ctl_msg	*m = calloc(1, sizeof(*m));

	if (m && hsm_ctl_recv(fd, false, m) == 0) {
		m->error = -EPERM;
		m->len = 0;
		hsm_ctl_send(fd, m, true);
	}
	free(m);
	close(fd);
}

static void *
ctl_main(
	void			*arg)
{
	struct hsm_server	*s = arg;
	struct pollfd		pfd[1];
	pthread_attr_t		attr;
	pthread_t		t;
	struct conn		*c;
	int			fd;

	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	while (s->ctl_running) {
		pfd[0].fd = s->ctl_fd;
		pfd[0].events = POLLIN;
		if (poll(pfd, 1, 200) <= 0)
			continue;
		fd = accept4(s->ctl_fd, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0)
			continue;
		if (!peer_is_root(fd)) {
			srv_log(s, LOG_WARNING, "refused a control connection "
				"from a user other than root");
			refuse(fd);
			continue;
		}
		c = calloc(1, sizeof(*c));
		if (!c || (c->index = conn_add(s, fd)) < 0) {
			free(c);
			close(fd);
			continue;
		}
		c->srv = s;
		c->fd = fd;
		if (pthread_create(&t, &attr, conn_main, c)) {
			conn_del(s, c->index);
			close(fd);
			free(c);
		}
	}
	pthread_attr_destroy(&attr);
	return NULL;
}

int
srv_ctl_start(
	struct hsm_server	*s)
{
	struct sockaddr_un	sun = { .sun_family = AF_UNIX };
	int			i, error;

	for (i = 0; i < SRV_MAX_CONNS; i++)
		s->conn_fds[i] = -1;
	if (mkdir(HSM_RUNDIR, 0700) < 0 && errno != EEXIST)
		return -errno;
	hsm_fs_runpath(s->fs, "sock", s->ctl_path, sizeof(s->ctl_path));
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", s->ctl_path);
	s->ctl_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s->ctl_fd < 0)
		return -errno;
	/* we hold the lock: a socket left there is a dead daemon's */
	unlink(s->ctl_path);
	if (bind(s->ctl_fd, (struct sockaddr *)&sun, sizeof(sun)) < 0 ||
	    chmod(s->ctl_path, 0600) < 0 || listen(s->ctl_fd, 64) < 0) {
		error = -errno;
		close(s->ctl_fd);
		s->ctl_fd = -1;
		return error;
	}
	s->ctl_running = true;
	if (pthread_create(&s->ctl_thread, NULL, ctl_main, s)) {
		s->ctl_running = false;
		close(s->ctl_fd);
		s->ctl_fd = -1;
		return -EAGAIN;
	}
	return 0;
}

void
srv_ctl_stop(
	struct hsm_server	*s)
{
	int			i;

	if (!s->ctl_running)
		return;
	s->ctl_running = false;
	pthread_join(s->ctl_thread, NULL);
	unlink(s->ctl_path);
	close(s->ctl_fd);
	s->ctl_fd = -1;
	/*
	 * Idle connections wait in recv: wake them.  Running commands are
	 * not waited for here: they need this thread to answer the events
	 * of their own IO (the drain in hsm_server_run waits for them).
	 */
	pthread_mutex_lock(&s->conns_lock);
	for (i = 0; i < SRV_MAX_CONNS; i++)
		if (s->conn_fds[i] >= 0)
			shutdown(s->conn_fds[i], SHUT_RD);
	pthread_mutex_unlock(&s->conns_lock);
}
