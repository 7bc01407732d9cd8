// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * server.c - the recall service: its event loop and its workers.
 *
 * The event loop reads the group and never touches the filesystem:
 * every event becomes a request for a worker.  Our own IO goes through a
 * private clone of the mount the group ignores (srv_group.c); where that
 * cannot be had, it raises events with our pid that the loop answers at
 * once.  A loop that waited on IO would deadlock on such writes.
 *
 * Each event read holds a descriptor until it is answered.  The kernel
 * denies (EPERM) an event it cannot open a descriptor for, so the loop
 * reads no more events than the descriptor limit leaves room for: the
 * rest wait in the kernel's queue, their readers blocked, not failed.
 *
 * The kernel lets every pending event through when the group is closed,
 * and a reader of a released file would then read zeros, so stopping
 * drains: the loop serves on until nothing waits (or a few seconds pass).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <dirent.h>
#include <sys/stat.h>
#include <linux/fs.h>
#include "server/serverP.h"
#include "server/fanotify_compat.h"

#define TICK_MS		200
#define EVICT_EVERY_NS	(1000000000LL)	/* idle work: RECALLING, eviction */
#define DRAIN_NS	(5LL * 1000000000)	/* waiting events at stop */
#define FINAL_NS	(20LL * 1000000000)	/* the last syncs at stop */
#define EVENT_BUF	(64 * 1024)

int64_t
srv_now_ns(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

void
srv_log(
	struct hsm_server	*s,
	int			level,
	const char		*fmt,
	...)
{
	char			msg[4608];
	va_list			ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (s->cfg.log)
		s->cfg.log(s->cfg.log_arg, level, msg);
	else if (level <= LOG_INFO)
		fprintf(stderr, "xfs_hsmd: %s\n", msg);
}

const char *
srv_fd_name(
	int		fd,
	char		*buf,
	size_t		size)
{
	char		proc[64];
	ssize_t		n;

	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	n = fd >= 0 ? readlink(proc, buf, size - 1) : -1;
	buf[n < 0 ? 0 : n] = '\0';
	return buf;
}

void
srv_queue_event(
	struct hsm_server	*s,
	struct srv_req		*r)
{
	r->next = NULL;
	pthread_mutex_lock(&s->work_lock);
	if (s->evq_tail)
		s->evq_tail->next = r;
	else
		s->evq_head = r;
	s->evq_tail = r;
	pthread_cond_signal(&s->work_cond);
	pthread_mutex_unlock(&s->work_lock);
}

/*
 * A store that failed (not "no such object": an IO error, a stale NFS
 * handle, a filesystem shut down) is reopened at the next use by every
 * worker, so that a store mounted again is found without a restart.
 */
void
srv_worker_store_failed(
	struct srv_worker	*w,
	int			error)
{
	if (!error || error == -ENOENT || error == -EUCLEAN ||
	    error == -ENOLINK || error == -ENOMEM)
		return;
	atomic_fetch_add(&w->srv->store_gen, 1);
}

struct hsm_store_set *
srv_worker_set(
	struct srv_worker	*w)
{
	unsigned		gen = atomic_load(&w->srv->store_gen);

	if (w->store_gen != gen)
		hsm_store_set_close(&w->set);
	w->store_gen = gen;
	return &w->set;
}

static void *
worker_main(
	void			*arg)
{
	struct srv_worker	*w = arg;
	struct hsm_server	*s = w->srv;
	struct srv_inode	*in;
	struct srv_req		*r, *turn;
	struct timespec		ts;
	int64_t			wake;

	urcu_memb_register_thread();
	for (;;) {
		pthread_mutex_lock(&s->work_lock);
		for (;;) {
			turn = NULL;
			if (s->evq_head || !cds_list_empty(&s->runq) ||
			    s->hk_request == HK_TICK ||
			    s->hk_request == HK_FINAL || s->stopping)
				break;
			/* a request whose rule made it wait, when its
			 * turn comes */
			turn = __srv_admit_next(s, &wake);
			if (turn)
				break;
			if (!wake) {
				pthread_cond_wait(&s->work_cond, &s->work_lock);
				continue;
			}
			ts.tv_sec = wake / 1000000000;
			ts.tv_nsec = wake % 1000000000;
			pthread_cond_timedwait(&s->work_cond, &s->work_lock,
					       &ts);
		}
		/* classifying is quick: events first, then chunks */
		if (s->evq_head) {
			r = s->evq_head;
			s->evq_head = r->next;
			if (!s->evq_head)
				s->evq_tail = NULL;
			pthread_mutex_unlock(&s->work_lock);
			srv_classify(w, r);
		} else if (turn || (turn = __srv_admit_next(s, &wake))) {
			pthread_mutex_unlock(&s->work_lock);
			srv_classify(w, turn);
		} else if (!cds_list_empty(&s->runq)) {
			in = cds_list_first_entry(&s->runq, struct srv_inode,
					runq_link);
			cds_list_del_init(&in->runq_link);
			pthread_mutex_unlock(&s->work_lock);
			srv_recall_batch(w, in);
		} else if (s->hk_request == HK_TICK ||
			   s->hk_request == HK_FINAL) {
			int hk = s->hk_request;

			s->hk_request = HK_NONE;
			pthread_mutex_unlock(&s->work_lock);
			srv_inodes_evict_idle(s, hk == HK_FINAL, true);
			if (hk == HK_FINAL) {
				pthread_mutex_lock(&s->work_lock);
				s->hk_request = HK_FINAL_DONE;
				pthread_mutex_unlock(&s->work_lock);
			}
		} else {
			pthread_mutex_unlock(&s->work_lock);
			break;
		}
	}
	urcu_memb_unregister_thread();
	atomic_fetch_sub(&s->live_workers, 1);
	return NULL;
}

/* The range record of an event, if it has one. */
static void
event_range(
	const struct fanotify_event_metadata *md,
	struct srv_req		*r)
{
	const char		*p = (const char *)md + md->metadata_len;
	const char		*end = (const char *)md + md->event_len;

	while (p + sizeof(struct fanotify_event_info_header) <= end) {
		const struct fanotify_event_info_header *h = (const void *)p;

		if (h->len < sizeof(*h) || p + h->len > end)
			break;
		if (h->info_type == FAN_EVENT_INFO_TYPE_RANGE &&
		    h->len >= sizeof(struct fanotify_event_info_range)) {
			const struct fanotify_event_info_range *ri =
					(const void *)p;

			r->off = ri->offset;
			r->count = ri->count;
			r->has_range = true;
			return;
		}
		p += h->len;
	}
}

/* Hand one event to the workers, or answer it here (our own IO). */
static void
dispatch(
	struct hsm_server	*s,
	const struct fanotify_event_metadata *md)
{
	struct srv_req		*r;
	struct stat		st;
	int			gen = 0, error;

	if (md->mask & FAN_Q_OVERFLOW)
		srv_log(s, LOG_ERR, "fanotify queue overflow");
	if (md->fd < 0) {
		/* FAN_REPORT_FD_ERROR: no fd could be opened, the kernel
		 * denies the access itself */
		atomic_fetch_add(&s->stats.failures, 1);
		srv_log(s, LOG_WARNING, "an access by pid %d was denied: the "
			"kernel could not open the file for us (%s)", md->pid,
			strerror(-md->fd));
		return;
	}
	if (md->pid == s->pid) {
		/* fd first: a lease of ours must not see it open */
		close(md->fd);
		srv_respond(s, md->fd, 0);
		atomic_fetch_add(&s->stats.events, 1);
		atomic_fetch_add(&s->stats.own_events, 1);
		return;
	}
	if (s->leaving) {
		/* no worker takes it now: released data gets an error, never
		 * a way through to zeros; other files go on */
		error = srv_classify_leaving(md->fd);
		srv_respond(s, md->fd, error);
		close(md->fd);
		atomic_fetch_add(&s->stats.events, 1);
		if (error)
			atomic_fetch_add(&s->stats.failures, 1);
		return;
	}
	r = srv_req_new(REQ_EVENT);
	if (!r) {
		/* out of memory: an error, never zeros */
		srv_respond(s, md->fd, -EIO);
		close(md->fd);
		atomic_fetch_add(&s->stats.failures, 1);
		return;
	}
	r->fd = r->resp_fd = md->fd;
	r->mask = md->mask;
	r->pid = md->pid;
	event_range(md, r);
	/*
	 * Which file, now: fstat and the generation of an open fd touch no
	 * disk and take no lock an IO of ours could hold.  Recorded at once,
	 * a daemon that replaces us after a crash can finish the event even
	 * if no worker of ours ever looked at it.  Not a regular file: no
	 * data of ours, let it through here.
	 */
	if (fstat(md->fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		srv_respond(s, md->fd, 0);
		close(md->fd);
		r->fd = -1;
		atomic_fetch_add(&s->stats.events, 1);
		srv_req_free(r);
		return;
	}
	ioctl(md->fd, FS_IOC_GETVERSION, &gen);
	r->ino = st.st_ino;
	r->gen = gen;
	r->nameless = st.st_nlink == 0;
	r->slot = evtab_alloc(s->evtab, r);
	atomic_fetch_add(&s->event_fds, 1);	/* srv_req_done closes it */
	srv_queue_event(s, r);
}

/*
 * How many bytes of events the loop may read now: each event takes a
 * descriptor, and the smallest event is FAN_EVENT_METADATA_LEN bytes.  0
 * while the budget is spent: the events wait in the kernel's queue.
 */
static size_t
read_room(
	struct hsm_server	*s)
{
	int64_t			room;

	if (!s->fd_budget)
		return EVENT_BUF;
	room = s->fd_budget - atomic_load(&s->event_fds);
	if (room < 2) {
		/* once a minute at most: a storm flips this many times */
		if (!s->fds_short &&
		    srv_now_ns() - s->fds_short_logged > 60000000000LL) {
			srv_log(s, LOG_NOTICE, "%lld accesses wait for a "
				"recall: new ones wait in the kernel until "
				"some are done (descriptor limit)",
				(long long)atomic_load(&s->event_fds));
			s->fds_short_logged = srv_now_ns();
		}
		s->fds_short = true;
		return 0;
	}
	s->fds_short = false;
	room *= FAN_EVENT_METADATA_LEN;
	return room < EVENT_BUF ? (size_t)room : EVENT_BUF;
}

/* Read and dispatch what is queued; -errno on a broken group. */
static int
read_events(
	struct hsm_server	*s,
	char			*buf)
{
	const struct fanotify_event_metadata *md;
	ssize_t			len;
	size_t			room;

	for (;;) {
		room = s->leaving ? EVENT_BUF : read_room(s);
		if (!room)
			return 0;
		len = read(s->group_fd, buf, room);
		if (len < 0) {
			if (errno == EAGAIN || errno == EINTR)
				return 0;
			return -errno;
		}
		for (md = (const void *)buf; FAN_EVENT_OK(md, len);
		     md = FAN_EVENT_NEXT(md, len)) {
			if (md->vers != FANOTIFY_METADATA_VERSION) {
				srv_log(s, LOG_ERR, "fanotify metadata version "
					"%u, expected %u", md->vers,
					FANOTIFY_METADATA_VERSION);
				return -EPROTO;
			}
			dispatch(s, md);
		}
	}
}

/* Ask a worker for idle work (the loop itself must not touch files). */
static void
housekeep(
	struct hsm_server	*s,
	int			what)
{
	pthread_mutex_lock(&s->work_lock);
	if (s->hk_request == HK_NONE || what == HK_FINAL) {
		s->hk_request = what;
		pthread_cond_signal(&s->work_cond);
	}
	pthread_mutex_unlock(&s->work_lock);
}

static bool
housekept(
	struct hsm_server	*s)
{
	bool			done;

	pthread_mutex_lock(&s->work_lock);
	done = s->hk_request == HK_FINAL_DONE;
	pthread_mutex_unlock(&s->work_lock);
	return done;
}

/* Nothing waits for data and no event is queued. */
static bool
idle(
	struct hsm_server	*s)
{
	bool			quiet;

	pthread_mutex_lock(&s->work_lock);
	quiet = !s->evq_head && cds_list_empty(&s->runq) &&
		cds_list_empty(&s->admitq);
	pthread_mutex_unlock(&s->work_lock);
	return quiet && atomic_load(&s->stats.in_flight) == 0 &&
	       !srv_ctl_busy(s);
}

/*
 * Before the server says it serves: the files opened before it watched.
 * On a thread of its own, since those recalls need the event loop.  A
 * group that served before (a worker or a whole daemon restarted) had its
 * mark when those files were opened: they raise events, and the scan
 * would only see the recalls in flight.
 */
static void *
starter_main(
	void			*arg)
{
	struct hsm_server	*s = arg;
	struct srv_worker	w = { .srv = s };

	urcu_memb_register_thread();
	if (!s->served_before)
		srv_recall_preopened(s, &w);
	hsm_store_set_close(&w.set);
	free(w.buf);
	urcu_memb_unregister_thread();
	atomic_store(&s->ready, true);
	if (s->cfg.ready)
		s->cfg.ready(s->cfg.ready_arg);
	return NULL;
}

HSM_EXPORT int
hsm_server_run(
	struct hsm_server	*s)
{
	struct pollfd		pfd[2];
	int64_t			now, last_evict = srv_now_ns(), stop_at = 0;
	int64_t			final_asked = 0;
	pthread_t		starter;
	bool			started = false;
	char			*buf;
	char			c;
	unsigned		i;
	int			error = 0;

	buf = malloc(EVENT_BUF);
	if (!buf)
		return -ENOMEM;
	urcu_memb_register_thread();
	for (i = 0; i < s->nworkers; i++) {
		atomic_fetch_add(&s->live_workers, 1);
		if (pthread_create(&s->workers[i].thread, NULL, worker_main,
				   &s->workers[i])) {
			atomic_fetch_sub(&s->live_workers, 1);
			error = -EAGAIN;
			s->nworkers = i;
			break;
		}
	}
	if (!error)
		error = srv_adopt(s);
	if (!error)
		error = srv_ctl_start(s);
	if (!error && pthread_create(&starter, NULL, starter_main, s) == 0)
		started = true;
	while (!error) {
		/* short of descriptors: look again soon, not at the group */
		pfd[0].fd = s->fds_short ? -1 : s->group_fd;
		pfd[0].events = POLLIN;
		pfd[1].fd = s->stop_pipe[0];
		pfd[1].events = POLLIN;
		if (poll(pfd, 2, s->fds_short ? 5 : TICK_MS) < 0 &&
		    errno != EINTR) {
			error = -errno;
			break;
		}
		if (pfd[1].revents & POLLIN)
			while (read(s->stop_pipe[0], &c, 1) == 1)
				;
		if (s->stop && !stop_at) {
			stop_at = srv_now_ns();
			srv_ctl_stop(s);
			srv_log(s, LOG_INFO, "stopping: serving what waits");
		}
		error = read_events(s, buf);
		now = srv_now_ns();
		srv_req_timeouts(s);
		if (now - last_evict > EVICT_EVERY_NS && !stop_at) {
			housekeep(s, HK_TICK);
			last_evict = now;
		}
		/* when nothing waits, a worker puts partial files at rest
		 * while this loop still answers its IO's events */
		if (stop_at && !final_asked &&
		    (idle(s) || now - stop_at > DRAIN_NS)) {
			housekeep(s, HK_FINAL);
			final_asked = now;
		}
		if (final_asked && (housekept(s) ||
				    now - final_asked > FINAL_NS))
			break;
	}
	if (error)
		srv_log(s, LOG_ERR, "event loop: %s", strerror(-error));
	if (!stop_at)
		srv_ctl_stop(s);
	/*
	 * The workers leave once what they hold is done, and that may still
	 * need the events of their own IO answered: go on reading until the
	 * last is gone, answering anything new here (srv_classify_leaving).
	 */
	s->leaving = true;
	pthread_mutex_lock(&s->work_lock);
	s->stopping = true;
	pthread_cond_broadcast(&s->work_cond);
	pthread_mutex_unlock(&s->work_lock);
	while (atomic_load(&s->live_workers) > 0) {
		pfd[0].fd = s->group_fd;
		pfd[0].events = POLLIN;
		poll(pfd, 1, 50);
		if (read_events(s, buf) < 0)
			break;
	}
	if (started)
		pthread_join(starter, NULL);
	for (i = 0; i < s->nworkers; i++)
		pthread_join(s->workers[i].thread, NULL);
	s->nworkers = 0;
	urcu_memb_unregister_thread();
	free(buf);
	return error;
}

HSM_EXPORT void
hsm_server_stop(
	struct hsm_server	*s)
{
	char			c = 1;
	ssize_t			n;

	s->stop = 1;
	n = write(s->stop_pipe[1], &c, 1);
	(void)n;
}

/* Let the worker open as many event fds as the kernel allows; the limit
 * it got (read_room stays under it). */
static unsigned long
raise_nofile(void)
{
	struct rlimit		rl;
	unsigned long		nr_open = 1UL << 20;
	FILE			*f;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return 1024;
	/*
	 * Every event waiting for a recall holds a descriptor: a recall storm
	 * is as wide as this limit.  Root may raise the hard limit too (with
	 * CAP_SYS_RESOURCE, which containers often drop): up to fs.nr_open.
	 */
	f = fopen("/proc/sys/fs/nr_open", "re");
	if (f) {
		if (fscanf(f, "%lu", &nr_open) != 1)
			nr_open = 1UL << 20;
		fclose(f);
	}
	if (nr_open > (1UL << 20))
		nr_open = 1UL << 20;
	if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < nr_open) {
		struct rlimit more = { nr_open, nr_open };

		if (setrlimit(RLIMIT_NOFILE, &more) == 0)
			rl = more;
	}
	if (rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
			getrlimit(RLIMIT_NOFILE, &rl);
	}
	return rl.rlim_cur == RLIM_INFINITY ? (1UL << 20) : rl.rlim_cur;
}

/* Descriptors this process holds now. */
static int64_t
open_fds(void)
{
	DIR			*d = opendir("/proc/self/fd");
	struct dirent		*de;
	int64_t			n = 0;

	if (!d)
		return 64;
	while ((de = readdir(d)))
		n += de->d_name[0] != '.';
	closedir(d);
	return n;
}

/*
 * The events the loop may hold at once: the limit, less what we hold now
 * and what workers, stores and connections may open.  Only with our own
 * IO out of the group's sight: were our writes to raise events, a loop
 * that stopped reading would stall its own recalls.
 */
static int64_t
fd_budget(
	struct hsm_server	*s,
	unsigned long		limit)
{
	int64_t			budget;

	if (s->tree_fd < 0)
		return 0;
	budget = (int64_t)limit - open_fds() - 64 - 16 * s->cfg.workers;
	return budget < 16 ? 16 : budget;
}

HSM_EXPORT int
hsm_server_new(
	struct hsm_fs		*fs,
	int			group_fd,
	struct hsm_evtab	*t,
	const struct hsm_server_config *cfg,
	struct hsm_server	**sp)
{
	struct hsm_server	*s;
	pthread_condattr_t	ca;
	unsigned		i;
	int			error;

	if (!t || t->magic != EVTAB_MAGIC || group_fd < 0)
		return -EINVAL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->fs = fs;
	s->cfg = *cfg;
	if (!s->cfg.workers)
		s->cfg.workers = SRV_WORKERS_DEFAULT;
	if (!s->cfg.timeout_ms)
		s->cfg.timeout_ms = SRV_TIMEOUT_DEFAULT_MS;
	s->group_fd = group_fd;
	s->tree_fd = -1;
	s->evtab = t;
	s->pid = getpid();
	s->start_ns = srv_now_ns();
	s->ctl_fd = -1;
	fs->route = HSM_ROUTE_SERVER;
	pthread_mutex_init(&s->table_lock, NULL);
	pthread_mutex_init(&s->work_lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);	/* srv_now_ns */
	pthread_cond_init(&s->work_cond, &ca);
	pthread_condattr_destroy(&ca);
	pthread_mutex_init(&s->parked_lock, NULL);
	pthread_mutex_init(&s->conns_lock, NULL);
	CDS_INIT_LIST_HEAD(&s->runq);
	CDS_INIT_LIST_HEAD(&s->parked);
	srv_stats_init(&s->stats);
	error = srv_admit_init(s);
	if (error) {
		hsm_server_free(s);
		return error;
	}
	if (pipe2(s->stop_pipe, O_CLOEXEC | O_NONBLOCK) < 0)
		goto out_free;
	s->inodes = cds_lfht_new_flavor(1024, 1024, 0,
			CDS_LFHT_AUTO_RESIZE | CDS_LFHT_ACCOUNTING,
			&urcu_memb_flavor, NULL);
	s->workers = calloc(s->cfg.workers, sizeof(*s->workers));
	if (!s->inodes || !s->workers)
		goto out_free;
	s->nworkers = s->cfg.workers;
	for (i = 0; i < s->nworkers; i++)
		s->workers[i].srv = s;
	error = srv_private_mount(s);
	if (error)
		srv_log(s, LOG_WARNING, "no private clone of %s (%s): our own "
			"IO raises events, and a recall storm wider than the "
			"descriptor limit gets EPERM", s->fs->mnt,
			strerror(-error));
	s->fd_budget = fd_budget(s, raise_nofile());
	*sp = s;
	return 0;
out_free:
	hsm_server_free(s);
	return -ENOMEM;
}

HSM_EXPORT void
hsm_server_free(
	struct hsm_server	*s)
{
	unsigned		i;

	if (!s)
		return;
	if (s->inodes) {
		urcu_memb_register_thread();
		srv_inodes_evict_idle(s, true, false);
		urcu_memb_barrier();
		cds_lfht_destroy(s->inodes, NULL);
		urcu_memb_unregister_thread();
	}
	if (s->workers) {
		for (i = 0; i < s->cfg.workers; i++) {
			hsm_store_set_close(&s->workers[i].set);
			free(s->workers[i].buf);
		}
		free(s->workers);
	}
	if (s->stop_pipe[0] > 0) {
		close(s->stop_pipe[0]);
		close(s->stop_pipe[1]);
	}
	srv_admit_free(s);
	srv_private_mount_close(s);
	free(s);
}
