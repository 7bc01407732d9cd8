/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * serverP.h - internals of the recall service (server.c, srv_*.c, evtab.c).
 *
 * Threads: one event loop (hsm_server_run's caller) reads the fanotify
 * group and never does IO on the filesystem; worker threads classify
 * events and recall chunks; a control thread serves the Unix socket.
 *
 * Every event becomes a request (struct srv_req) on one inode (struct
 * srv_inode, found through the lock-free cds_lfht inode table).  A request
 * that needs data waits, without holding a thread, for chunks; each chunk
 * is read from the store once however many requests wait on it (the
 * chunk's state byte in its inode says whether it is queued or in flight).
 * A chunk goes IDLE -> QUEUED -> BUSY -> WRITTEN -> resident (its bit in
 * the map, set only after fdatasync: DESIGN invariant 2).
 *
 * Locks, outermost first: srv_inode.lock, then server.parked_lock or
 * server.work_lock.  Never take an inode lock while holding either.
 */
#ifndef LIBHSM_SERVERP_H
#define LIBHSM_SERVERP_H

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <urcu/urcu-memb.h>
#include <urcu/rculfhash.h>
#include <urcu/list.h>
#include "ops/opsP.h"

/* A file only read is made durable by a worker once its readers closed
 * it (fdatasync, then its map: two log forces), so a reader going
 * through many small files is served by the workers not in those syncs:
 * tar c of 10,000 released files of 64 KiB took 10-12 s with 4 and
 * 5.4-7.0 s with 8 on two CPUs (16: 6.1 s). */
#define SRV_WORKERS_DEFAULT	8
#define SRV_TIMEOUT_DEFAULT_MS	300000
#define SRV_IDLE_EVICT_NS	(30LL * 1000000000)
#define SRV_IDLE_RECALLING_NS	(500LL * 1000000)
#define SRV_LAT_RING		4096
#define SRV_MAX_CONNS		64

/* Idle work asked of a worker by the event loop. */
enum { HK_NONE = 0, HK_TICK, HK_FINAL, HK_FINAL_DONE };

/* Per-chunk state beside the resident map (which says "resident"). */
enum {
	CH_IDLE = 0,		/* not resident, nobody working on it */
	CH_QUEUED,		/* in its inode's todo list */
	CH_BUSY,		/* a worker is reading or writing it */
	CH_WRITTEN,		/* in the file, not yet durable */
};

/* Where an answer goes. */
enum srv_req_kind {
	REQ_EVENT,		/* a fanotify event: answer by fd */
	REQ_ADOPTED,		/* left by a dead worker: answer by number */
	REQ_SYNC,		/* a command waiting in the control thread */
};

struct srv_inode;

/*
 * Distinct processes reading a range-mode file before the rest of it is
 * recalled: the kernel wakes every reader blocked on the group at each
 * answer, so a file many read at once must stop raising events soon.
 */
#define SRV_SHARED_READERS	4

struct srv_req {
	enum srv_req_kind kind;
	int		fd;		/* event fd, -1 if none */
	int		resp_fd;	/* the number the kernel knows it by */
	uint64_t	mask;		/* FAN_OPEN_PERM or FAN_PRE_ACCESS */
	uint64_t	off, count;	/* the range; count 0: all of it */
	bool		has_range;
	bool		nameless;	/* no link yet (O_TMPFILE): a stub
					 * in the making, srv_classify.c */
	int32_t		pid;
	int		slot;		/* evtab slot, or -1 */
	uint64_t	ino;
	uint32_t	gen;
	int64_t		start_ns;
	int64_t		deadline_ns;
	bool		need_durable;	/* a writer may follow: wait for sync */
	bool		range_cmd;	/* recall --range: answered once its
					 * own chunks are durable */
	uint64_t	remaining;	/* chunks still awaited */
	uint64_t	c0, c1;		/* chunks awaited lie in [c0, c1] */
	uint64_t	bytes;		/* recalled for it (stats, log) */
	int		error;
	atomic_bool	answered;
	struct srv_inode *in;		/* while parked or deferred */
	struct cds_list_head in_link;	/* in->waiting or in->deferred */
	struct cds_list_head parked_link; /* server->parked */
	bool		parked;
	struct srv_req	*next;		/* event queue */
	/* admission (srv_admit.c) */
	int		admit;		/* the rule that decided, or -1 */
	bool		admit_done;	/* matched (and deny/audit applied) */
	bool		paced;		/* charged to its rule's limit */
	enum hsm_admit_mode mode;	/* the rule's recall mode */
	int64_t		not_before;	/* waiting its turn until then */
	int64_t		delayed_at;
	struct cds_list_head admit_link; /* server->admitq */
	/* REQ_SYNC */
	pthread_mutex_t	sync_lock;
	pthread_cond_t	sync_cond;
	bool		done;
};

struct srv_inode {
	struct cds_lfht_node node;
	struct rcu_head	rcu;
	uint64_t	ino;
	uint32_t	gen;
	pthread_mutex_t	lock;
	pthread_cond_t	cond;		/* syncs, drains, quiesce */
	unsigned	refs;
	bool		dead;		/* out of the table */
	int64_t		idle_since;

	/* what the file is, once loaded */
	bool		loaded;
	bool		released;	/* recall needed somewhere */
	bool		has_rec;	/* a trusted.hsm record was read */
	struct hsm_record rec;
	struct hsm_objmeta meta;	/* the store copy's map and sums */
	_Atomic unsigned from;		/* the readable copy to read first */
	struct hsm_chunkmap map;	/* resident chunks */
	uint8_t		*cstate;	/* CH_* per chunk */
	uint64_t	ndata;		/* chunks with data in the copy */
	uint64_t	nresident;	/* of which resident */
	bool		recalling;	/* our RECALLING record is on disk */
	bool		lost_logged;

	/* work */
	uint64_t	*todo;		/* queued chunks, FIFO */
	size_t		todo_head, todo_len, todo_alloc;
	bool		on_runq;
	struct cds_list_head runq_link;
	unsigned	busy;		/* chunks in workers' hands */
	unsigned	active;		/* batches running (on iofd) */
	int		iofd;		/* O_RDWR by handle while active, or -1 */
	unsigned	quiesce;	/* no new batches (writer test, ops) */
	bool		op_busy;	/* a command runs on the inode */
	struct cds_list_head waiting;	/* requests awaiting chunks */
	struct cds_list_head deferred;	/* requests held while op_busy */
	uint64_t	next_seq;	/* readahead: next chunk expected */
	int32_t		readers[SRV_SHARED_READERS]; /* pids seen reading */
	unsigned	nreaders;

	/* group commit of written chunks */
	uint64_t	wseq, sseq;
	bool		syncing;
	bool		sync_wanted;	/* a durable waiter awaits WRITTEN */
	bool		sync_again;	/* written while the syncer synced */
	unsigned	durable_waiters; /* parked requests needing a sync */
	uint64_t	unsynced;	/* bytes written since the last sync */
	uint64_t	*written;
	size_t		nwritten, written_alloc;
};

/* The part of the state that outlives a worker process (evtab.c). */
#define EVTAB_SLOTS	4096
#define EVTAB_MAGIC	0x58485354u	/* "XHST" */

enum { SLOT_FREE = 0, SLOT_USED, SLOT_KNOWN };

struct evtab_slot {
	_Atomic uint32_t state;		/* SLOT_* */
	int32_t		fd;
	uint64_t	mask;
	uint64_t	off, count;
	uint32_t	has_range;
	uint32_t	gen;
	uint64_t	ino;
	int32_t		pid;
	uint32_t	pad;
};

struct hsm_evtab {
	uint32_t	magic;
	int32_t		memfd;		/* this process's fd of the table */
	_Atomic int32_t	maxfd;		/* highest event fd number seen */
	_Atomic uint32_t restarts;
	uint32_t	hint;		/* next slot to try (event loop only) */
	struct evtab_slot slots[EVTAB_SLOTS];
};

int evtab_alloc(struct hsm_evtab *t, const struct srv_req *r);
void evtab_release(struct hsm_evtab *t, int slot);
/* evtab_hold.c: placeholders on the numbers of unanswered events */
bool evtab_is_hold(int fd);
int evtab_hold_number(int n, int above);

/* Counters; atomics so any thread may bump them. */
struct srv_stats {
	_Atomic uint64_t events, own_events, ignored, recalls, recall_bytes;
	_Atomic uint64_t chunks, chunks_dedup, failures, timeouts, adopted;
	_Atomic uint64_t in_flight, queued_now, unsynced_now;
	_Atomic int64_t	room_asked_ns;	/* the last cfg.room call */
	pthread_mutex_t	lat_lock;
	uint32_t	lat_us[SRV_LAT_RING];
	uint64_t	lat_n;
	uint64_t	lat_max;
};

/* A recall admission rule at work (srv_admit.c). */
struct srv_admit {
	const struct hsm_admit_rule *rule;
	unsigned	want;		/* SRV_PROC_* its criteria read */
	pthread_mutex_t	lock;		/* pacing and logging */
	int64_t		next_ns;	/* the next recall may start then */
	int64_t		next_bytes_ns;	/* the next byte may */
	int64_t		logged_ns;	/* the last line logged */
	uint64_t	unlogged;	/* lines left out since */
	_Atomic uint64_t matched, denied, audited, delayed, wait_ms, waiting;
	_Atomic uint64_t recalls, bytes;
};

struct srv_worker {
	struct hsm_server *srv;
	pthread_t	thread;
	struct hsm_store_set set;	/* a store handle serves one thread */
	unsigned	store_gen;	/* of server->store_gen when opened */
	char		*buf;		/* one object chunk */
	size_t		buflen;
};

struct hsm_server {
	struct hsm_fs	*fs;
	struct hsm_server_config cfg;
	int		group_fd;
	int		tree_fd;	/* our private clone of the mount
					 * (srv_group.c), or -1 */
	struct hsm_evtab *evtab;
	/* events read and not answered hold a descriptor each: the loop
	 * reads no more than the budget allows (0: no budget, see
	 * srv_fd_budget) */
	_Atomic int64_t	event_fds;
	int64_t		fd_budget;
	bool		fds_short;	/* the loop holds back */
	int64_t		fds_short_logged;	/* when it last said so */
	bool		served_before;	/* the group is not new (srv_adopt) */
	_Atomic bool	ready;		/* the files opened before it are
					 * recalled: stats answer */
	pid_t		pid;
	int64_t		start_ns;

	struct cds_lfht	*inodes;	/* srv_inode by ino */
	pthread_mutex_t	table_lock;	/* inserts and removals */

	pthread_mutex_t	work_lock;
	pthread_cond_t	work_cond;
	struct srv_req	*evq_head, *evq_tail;
	struct cds_list_head runq;	/* inodes with queued chunks */
	uint64_t	nqueued;	/* chunks queued, all inodes */
	bool		stopping;	/* workers: finish and leave */
	volatile bool	leaving;	/* the loop answers new events itself */
	_Atomic unsigned live_workers;
	int		hk_request;	/* HK_*: idle work for a worker */

	struct cds_list_head admitq;	/* requests waiting their turn, by
					 * not_before (work_lock) */
	struct srv_admit *admit;
	unsigned	nadmit;
	unsigned	admit_want;	/* SRV_PROC_* any rule reads */

	pthread_mutex_t	parked_lock;
	struct cds_list_head parked;	/* requests awaiting data */

	struct srv_worker *workers;
	unsigned	nworkers;

	int		ctl_fd;		/* listening control socket */
	pthread_t	ctl_thread;
	bool		ctl_running;
	char		ctl_path[108];
	pthread_mutex_t	conns_lock;
	int		conn_fds[SRV_MAX_CONNS];
	int		nconns;

	_Atomic unsigned store_gen;	/* bumped when the store fails */
	int		stop_pipe[2];
	volatile sig_atomic_t stop;
	struct srv_stats stats;
};

/* server.c */
int64_t srv_now_ns(void);
void srv_log(struct hsm_server *s, int level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Name of @fd for messages ("" if unknown); @buf of PATH_MAX. */
const char *srv_fd_name(int fd, char *buf, size_t size);
void srv_queue_event(struct hsm_server *s, struct srv_req *r);
/* An event's fd was closed: one more descriptor for the loop. */
/* The worker's store handle, opened (again) if needed: NULL if unreachable. */
struct hsm_store_set *srv_worker_set(struct srv_worker *w);
/* After @error from the store: drop the handle if the store itself failed. */
void srv_worker_store_failed(struct srv_worker *w, int error);

/* srv_group.c: fanotify answers and marks */
int srv_respond(struct hsm_server *s, int fd_number, int error);
int srv_ignore_add(struct hsm_server *s, int fd);
/* Our IO through a detached clone of the mount that the group ignores:
 * 0, or -errno (then our IO raises events the loop answers). */
int srv_private_mount(struct hsm_server *s);
void srv_private_mount_close(struct hsm_server *s);
int srv_ignore_remove(struct hsm_server *s, int fd, uint64_t mask);
int srv_ignore_access(struct hsm_server *s, int fd);

/* srv_inode.c */
struct srv_inode *srv_inode_get(struct hsm_server *s, uint64_t ino,
				uint32_t gen);
void srv_inode_put(struct hsm_server *s, struct srv_inode *in);
/* Load record, copy metadata and map; caller holds in->lock. */
int __srv_inode_load(struct hsm_server *s, struct srv_worker *w,
		     struct srv_inode *in);
void __srv_inode_unload(struct srv_inode *in);
/* Open the inode by handle with @oflags: the fd or -errno. */
int srv_inode_open(struct hsm_server *s, struct srv_inode *in, int oflags);
/* Write in->rec durably (pending owner stamped).  Caller holds in->lock. */
int __srv_inode_commit(struct hsm_server *s, struct srv_inode *in);
/* The same through @fd, held by the caller (its lease). */
int __srv_inode_commit_fd(struct hsm_server *s, struct srv_inode *in, int fd);
/* The same, not durable yet: ordered before what follows in the XFS log. */
int __srv_inode_commit_ordered(struct hsm_server *s, struct srv_inode *in);
/*
 * Idle work on the inode table: a partial file idle for a while loses its
 * RECALLING record (@io: that needs the filesystem, so never from the
 * event loop, which would wait for its own open's event), and inodes idle
 * long enough (or @all of the unused ones) are freed.
 */
void srv_inodes_evict_idle(struct hsm_server *s, bool all, bool io);

/* srv_request.c */
struct srv_req *srv_req_new(enum srv_req_kind kind);
void srv_req_free(struct srv_req *r);
/* Answer once (ALLOW for @error 0); false if it was answered already. */
bool srv_req_answer(struct hsm_server *s, struct srv_req *r, int error);
bool srv_req_done(struct hsm_server *s, struct srv_req *r, int error);
/* Park @r (it awaits chunks of r->in); caller holds in->lock. */
void __srv_req_park(struct hsm_server *s, struct srv_req *r);
/* A chunk of @in went WRITTEN (@durable false) or resident (true): count
 * it off every parked request that awaits it.  Caller holds in->lock. */
void __srv_req_chunk_done(struct hsm_server *s, struct srv_inode *in,
			  uint64_t c, bool durable);
/* Before a read request of @in is let through: if every chunk is in the
 * file, ignore its further accesses.  Caller holds in->lock. */
void __srv_req_quiet(struct hsm_server *s, struct srv_inode *in,
		     struct srv_req *r);
/* Answer, with @error, every parked request of @in that may write and
 * has all its chunks durable: only after __srv_finalize, or to fail it.
 * Caller holds in->lock. */
void __srv_req_answer_writers(struct hsm_server *s, struct srv_inode *in,
			      int error);
/* Is such a request waiting?  Caller holds in->lock. */
bool __srv_req_writers_ready(const struct srv_inode *in);
/* Fail every parked request of @in with @error.  Caller holds in->lock. */
void __srv_req_fail_all(struct hsm_server *s, struct srv_inode *in,
			int error);
void srv_req_timeouts(struct hsm_server *s);
/* Wait for a REQ_SYNC request; returns its error. */
int srv_req_wait(struct srv_req *r);

/* srv_classify.c */
/* The file was truncated below the copy's size: record it (through @fd,
 * or -1).  in->lock held. */
int __srv_note_truncation(struct hsm_server *s, struct srv_inode *in,
			  uint64_t size, int fd);
void srv_classify(struct srv_worker *w, struct srv_req *r);
int srv_classify_leaving(int fd);
/* Queue the chunks @r needs and park it, or answer it.  in->lock held. */
void __srv_need_chunks(struct srv_worker *w, struct srv_inode *in,
		       struct srv_req *r, uint64_t c0, uint64_t c1);

/* srv_recall.c */
void srv_recall_batch(struct srv_worker *w, struct srv_inode *in);
/* Put @in on the run queue if it has work.  in->lock held. */
void __srv_runq_kick(struct hsm_server *s, struct srv_inode *in);
/* Queue chunk @c if it is not resident or in flight.  in->lock held. */
bool __srv_chunk_queue(struct hsm_server *s, struct srv_inode *in,
		       uint64_t c);
/* Wait until no worker holds chunks of @in.  in->lock held. */
void __srv_inode_quiesce(struct srv_inode *in);
void __srv_inode_unquiesce(struct hsm_server *s, struct srv_inode *in);
/* Idle: a file its readers left alone is made durable and final (or a
 * partial one recorded at rest), under a write lease: only while nobody
 * has it open (@stopping: whatever it takes).  in->lock held. */
void __srv_settle_idle(struct hsm_server *s, struct srv_inode *in,
		       bool stopping);
/* The same now, no batch running (quiesced).  in->lock held. */
void __srv_sync_now(struct hsm_server *s, struct srv_inode *in);
/* Forget the queued chunks (readahead, a failure).  in->lock held. */
void __drop_todo(struct hsm_server *s, struct srv_inode *in);
/* The partial file is at rest: RECALLING goes (through @fd, or -1).
 * in->lock held. */
int __srv_end_recalling(struct hsm_server *s, struct srv_inode *in, int fd);
/* Everything resident: clear RELEASED, through @fd (-1: its own).
 * in->lock held. */
int __srv_finalize(struct hsm_server *s, struct srv_inode *in, int fd);
/* RECALLING recorded (ordered), once.  in->lock held. */
int __srv_set_recalling(struct hsm_server *s, struct srv_inode *in);
/* Nothing runs on @in: finish it if all is back, answer waiting writers.
 * in->lock held. */
void __srv_after_work(struct hsm_server *s, struct srv_inode *in);

/* srv_ops.c: commands from the control socket, run with @w's handle.
 * A recall batch goes through the request machinery, as openers would;
 * results to @fn in the order of @asks.  A file asked with ranges gets
 * the chunks covering them only (xfs_hsm recall --range). */
struct srv_ask {
	char		*path;
	struct hsm_range *ranges;	/* or NULL: all of it */
	size_t		nranges;
};
void srv_recall_files(struct srv_worker *w, struct hsm_fs *cfs,
		      const struct srv_ask *asks, size_t n, hsm_result_fn fn,
		      void *arg);
extern const struct hsm_excl_hooks srv_excl_hooks;

/* srv_ctl.c */
int srv_ctl_start(struct hsm_server *s);
void srv_ctl_stop(struct hsm_server *s);
/* A command is still being served. */
bool srv_ctl_busy(struct hsm_server *s);

/* srv_stats.c */
void srv_stats_init(struct srv_stats *st);
void srv_stats_latency(struct srv_stats *st, int64_t ns);
void srv_stats_get(struct hsm_server *s, struct hsm_server_stats *out);

/* srv_preopen.c: released files processes held open before we watched,
 * recalled whole (may wait: never from the event loop) */
void srv_recall_preopened(struct hsm_server *s, struct srv_worker *w);

/* srv_proc.c: who raised an event */
#define SRV_PROC_GROUPS	64
enum {
	SRV_PROC_IDS = 1,		/* effective uid, gids */
	SRV_PROC_COMM = 2,
	SRV_PROC_EXE = 4,
	SRV_PROC_CGROUP = 8,
};
struct srv_proc {
	int32_t		pid;
	unsigned	known;		/* SRV_PROC_* read */
	uint32_t	uid;
	uint32_t	gids[SRV_PROC_GROUPS];
	unsigned	ngids;
	char		comm[32];
	char		exe[4096];
	char		cgroup[4096];
};
/* Read what @want names of process @pid: 0 or -errno (it is gone). */
int srv_proc_read(int32_t pid, unsigned want, struct srv_proc *p);

/* srv_admit.c: recall admission */
int srv_admit_init(struct hsm_server *s);
void srv_admit_free(struct hsm_server *s);
/* The rule for event @r on released data: -errno to deny it, else 0 with
 * r->admit and r->mode set.  Once per request.  in->lock held. */
int srv_admit_match(struct hsm_server *s, struct srv_req *r, uint64_t ino);
/* @r is about to recall @bytes: charge its rule; true when it must wait
 * its turn, and is queued for it (the caller lets go of it). */
bool srv_admit_pace(struct hsm_server *s, struct srv_req *r,
		    uint64_t bytes);
/* work_lock held: the first request whose turn came (any, when
 * stopping), or NULL and *@wake (0: none waits) */
struct srv_req *__srv_admit_next(struct hsm_server *s, int64_t *wake);
void srv_admit_stats(struct hsm_server *s, struct hsm_server_stats *out);

/* srv_adopt.c: events a dead worker left unanswered */
int srv_adopt(struct hsm_server *s);

#endif /* LIBHSM_SERVERP_H */
