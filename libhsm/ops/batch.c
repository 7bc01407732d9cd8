// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * batch.c - run a command over many files with one group commit.
 *
 * The phases and the durable steps between them are in opsP.h; why each
 * order is safe is in doc/design.md, "Batches".  This file decides where
 * a batch runs (here or in the daemon), bounds it, runs its phases with
 * their threads, and delivers the results.
 *
 * Threads: the phases marked parallel run on up to limits.threads
 * threads, each with its own store handle and its own error detail; an
 * item is touched by one thread at a time.  The barriers and done run on
 * the run's thread.
 *
 * Runs: a full batch is cut into a run, which runs on a thread of its
 * own while the caller fills the next; BATCH_RUNS at most are in flight,
 * so the runs' CPU work overlaps the others' barriers (syncs and log
 * forces, where the CPUs would otherwise wait).  Their files are
 * disjoint: a file of a run in flight waits for it.  The results are
 * delivered on the caller's thread, run after run in the order added.
 * In the daemon (hold hooks), when the batch goes to the daemon, and
 * for the last run (the flush) when none is in flight, a run runs on the
 * caller's thread, alone, with fs's own store handles.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <linux/fs.h>
#include "ops/opsP.h"

#define BATCH_FILES_DEFAULT	1024
#define BATCH_BYTES_DEFAULT	(1ULL << 30)
#define BATCH_MS_DEFAULT	5000
#define BATCH_THREADS_DEFAULT	4
#define BATCH_THREADS_MAX	64
/* A run thread's own store handles: phase threads take 0 to MAX - 2. */
#define RUN_SET			(BATCH_THREADS_MAX - 1)

static int64_t
now_ns(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* The store handles of the thread running a phase (NULL: the caller's,
 * fs's own). */
static __thread struct hsm_store_set *thread_set;

struct hsm_store_set *
hsm_batch_set(
	struct hsm_batch	*b)
{
	return thread_set ? thread_set : &b->fs->own;
}

int
hsm_batch_new_oid(
	struct hsm_batch	*b,
	const struct hsm_fileref *f,
	uint32_t		store_id,
	uint8_t			*oid)
{
	struct hsm_store	*s;
	int			error = 0;

	/* a store that cannot be opened now fails the copy in the work
	 * phase, which says why; its oid can be any */
	s = hsm_fs_store_get(b->fs, hsm_batch_set(b), store_id, &error);
	/* the run's items are published together, whichever of its
	 * threads prepared them */
	return hsm_store_new_oid(error ? NULL : s, b, f->st.st_size, oid);
}

/* The runs in flight report together, under the batch's lock. */
void
hsm_batch_progress(
	struct hsm_batch	*b,
	uint64_t		bytes)
{
	struct hsm_batch	*top = b->parent ? b->parent : b;

	pthread_mutex_lock(&top->lock);
	b->moved += bytes;
	if (top != b)
		top->moved += bytes;
	hsm_fs_progress(b->fs, top->moved);
	pthread_mutex_unlock(&top->lock);
}

/* Files the runs of a batch may hold open at once: a third of the
 * descriptors we have, since a file may hold a second one, its new store
 * object while it is written. */
static unsigned
fd_budget(void)
{
	struct rlimit	rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur == RLIM_INFINITY)
		return BATCH_FILES_DEFAULT;
	return rl.rlim_cur > 128 ? (rl.rlim_cur - 64) / 3 : 32;
}

HSM_EXPORT int
hsm_batch_new(
	struct hsm_fs		*fs,
	enum hsm_command	cmd,
	unsigned		flags,
	hsm_result_fn		fn,
	void			*arg,
	struct hsm_batch	**bp)
{
	const struct hsm_opdesc	*op = hsm_opdesc(cmd);
	struct hsm_batch	*b;

	if (!op)
		return -EINVAL;
	b = calloc(1, sizeof(*b));
	if (!b)
		return -ENOMEM;
	b->fs = fs;
	b->op = op;
	b->flags = flags;
	b->fn = fn;
	b->arg = arg;
	pthread_mutex_init(&b->lock, NULL);
	hsm_batch_set_limits(b, NULL);
	*bp = b;
	return 0;
}

HSM_EXPORT void
hsm_batch_set_limits(
	struct hsm_batch		*b,
	const struct hsm_batch_limits	*lim)
{
	struct hsm_batch_limits		l = { 0 };
	unsigned			budget = fd_budget();

	if (lim)
		l = *lim;
	b->limits.files = l.files ? l.files : BATCH_FILES_DEFAULT;
	if (b->limits.files > budget / BATCH_RUNS)
		b->limits.files = budget / BATCH_RUNS;
	b->limits.bytes = l.bytes ? l.bytes : BATCH_BYTES_DEFAULT;
	b->limits.ms = l.ms ? l.ms : BATCH_MS_DEFAULT;
	b->limits.threads = l.threads ? l.threads : BATCH_THREADS_DEFAULT;
	if (b->limits.threads > BATCH_THREADS_MAX)
		b->limits.threads = BATCH_THREADS_MAX;
}

HSM_EXPORT void
hsm_batch_get_stats(
	const struct hsm_batch	*b,
	struct hsm_batch_stats	*st)
{
	*st = b->stats;
}

static void
item_free(
	struct hsm_item		*it)
{
	if (it->f.fd >= 0)
		hsm_fileref_close(&it->f);
	if (it->rc)
		hsm_recall_free(it->rc);
	hsm_objmeta_free(&it->meta);
	free(it->ranges);
	free(it->path);
	free(it);
}

/* Hand @it's result to the caller. */
static void
deliver(
	struct hsm_batch	*b,
	struct hsm_item		*it)
{
	unsigned		action = it->repair_action;
	struct hsm_item_result	r = {
		.path		= it->path,
		.ino		= it->ino,
		.gen		= it->gen,
		.cookie		= it->cookie,
		.error		= it->error,
		.detail		= it->error && it->detail[0] ? it->detail :
				  NULL,
		.outcome	= it->outcome,
		.bytes		= it->bytes,
		.repair_action	= action,
		.repair_op	= it->repair_op,
		.lost_flagged	= it->outcome != HSM_DONE ||
				  b->op->code != HSM_CMD_MARKLOST ? 0 :
				  it->copy_only ? 2 : 1,
	};

	/* a repair that handed the file to release or recall finished it */
	if (b->op->code == HSM_CMD_REPAIR && !it->error && it->repair_op &&
	    action == HSM_REPAIR_NONE)
		r.repair_action = HSM_REPAIR_FINISHED;
	if (b->fn)
		b->fn(b->arg, &r);
}

void
hsm_item_fail(
	struct hsm_item		*it,
	int			error)
{
	const char		*d = hsm_fs_errdetail(it->f.fs);

	it->finished = true;
	if (it->error)
		return;
	it->error = error;
	snprintf(it->detail, sizeof(it->detail), "%s", d ? d : "");
}

/* The outcome of a phase function for @it. */
static void
item_result(
	struct hsm_item		*it,
	int			rc)
{
	if (rc < 0)
		hsm_item_fail(it, rc);
	else if (rc == HSM_ITEM_DONE)
		it->finished = true;
}

/* A batch-level step failed for @it, after its prepare. */
static void
item_undo(
	struct hsm_batch	*b,
	struct hsm_item		*it,
	int			error,
	const char		*what)
{
	if (it->finished)
		return;
	hsm_fs_set_detail(b->fs, "%s: %s", what, strerror(-error));
	hsm_item_fail(it, error);
	if (it->op->undo)
		it->op->undo(b, it, error);
}

/* ---- the phases ------------------------------------------------------ */

enum phase { PH_OPEN, PH_PREPARE, PH_WORK, PH_SEAL };

/* Open the item's file as its operation wants it, and identify it. */
static int
item_open(
	struct hsm_batch	*b,
	struct hsm_item		*it)
{
	int			error;

	if (it->op->flags & HSM_OPD_NOOPEN)
		return 0;
	if (it->path)
		error = hsm_fileref_open(b->fs, it->path, it->op->oflags, false,
				&it->f);
	else
		error = hsm_fileref_open_ino(b->fs, it->ino, it->gen,
				it->op->oflags, false, &it->f);
	if (error)
		return error;
	it->f.commit = &b->commit;
	it->ino = it->f.st.st_ino;
	it->gen = it->f.gen;
	return 0;
}

int
hsm_item_reopen(
	struct hsm_batch	*b,
	struct hsm_item		*it,
	int			oflags)
{
	struct hsm_store_set	*set = it->f.set;
	int			error;

	hsm_fileref_close(&it->f);
	/* the inode the batch opened, whatever its path names now */
	error = hsm_fileref_open_ino(b->fs, it->ino, it->gen, oflags, false,
			&it->f);
	if (error == -ESTALE && it->path)
		error = -ENOENT;	/* a name given: it is gone */
	it->f.path = it->path;
	it->f.set = set;
	it->f.commit = &b->commit;
	return error;
}

int
hsm_item_switch(
	struct hsm_batch	*b,
	struct hsm_item		*it,
	const struct hsm_opdesc	*op)
{
	int			error;

	if (op->oflags != it->op->oflags) {
		error = hsm_item_reopen(b, it, op->oflags);
		if (error)
			return error;
	}
	it->op = op;
	return op->prepare ? op->prepare(b, it) : 0;
}

/* The first part of prepare every operation shares: the settle rule. */
static int
item_prepare(
	struct hsm_batch	*b,
	struct hsm_item		*it)
{
	int			error;

	if (!(it->op->flags & (HSM_OPD_NOOPEN | HSM_OPD_NOSETTLE))) {
		error = hsm_settle_pending(&it->f);
		if (error)
			return error;
	}
	return it->op->prepare ? it->op->prepare(b, it) : 0;
}

static void
run_one(
	struct hsm_batch	*b,
	struct hsm_item		*it,
	enum phase		ph)
{
	int			rc;

	if (it->finished)
		return;
	hsm_fs_clear_detail(b->fs);
	it->f.set = hsm_batch_set(b);
	switch (ph) {
	case PH_OPEN:
		rc = item_open(b, it);
		it->f.set = hsm_batch_set(b);
		break;
	case PH_PREPARE:
		rc = item_prepare(b, it);
		break;
	case PH_WORK:
		rc = it->op->work ? it->op->work(b, it) : 0;
		break;
	default:
		rc = it->op->seal ? it->op->seal(b, it) : 0;
		break;
	}
	item_result(it, rc);
}

struct phase_run {
	struct hsm_batch *b;
	enum phase	ph;
	_Atomic size_t	next;
	unsigned	slot;		/* the next thread's store slot */
	pthread_mutex_t	lock;
};


static void *
phase_thread(
	void			*arg)
{
	struct phase_run	*pr = arg;
	struct hsm_batch	*b = pr->b;
	unsigned		slot;
	size_t			i;

	pthread_mutex_lock(&pr->lock);
	slot = pr->slot++;
	/* kept for the batch's life: a store writer lives on from the
	 * work phase to the publish */
	thread_set = &b->sets[slot];
	pthread_mutex_unlock(&pr->lock);
	while ((i = atomic_fetch_add(&pr->next, 1)) < b->nitems)
		run_one(b, b->items[i], pr->ph);
	thread_set = NULL;
	return NULL;
}

/* Run phase @ph over every live item, on up to limits.threads threads. */
static void
run_phase(
	struct hsm_batch	*b,
	enum phase		ph)
{
	struct phase_run	pr = { .b = b, .ph = ph };
	pthread_t		tids[BATCH_THREADS_MAX];
	unsigned		n = 0, want = b->limits.threads, i;
	size_t			live = 0, k;

	for (k = 0; k < b->nitems; k++)
		live += !b->items[k]->finished;
	if (want > live)
		want = live;
	atomic_init(&pr.next, 0);
	pthread_mutex_init(&pr.lock, NULL);
	/* the caller's thread works too, with fs's own store */
	for (i = 1; i < want; i++)
		if (pthread_create(&tids[n], NULL, phase_thread, &pr) == 0)
			n++;
	while ((k = atomic_fetch_add(&pr.next, 1)) < b->nitems)
		run_one(b, b->items[k], ph);
	for (i = 0; i < n; i++)
		pthread_join(tids[i], NULL);
	pthread_mutex_destroy(&pr.lock);
}

/* Sort by inode: holds are taken in one order by every batch. */
static int
by_ino(
	const void		*a,
	const void		*b)
{
	const struct hsm_item	*x = *(struct hsm_item * const *)a;
	const struct hsm_item	*y = *(struct hsm_item * const *)b;

	return x->ino < y->ino ? -1 : x->ino > y->ino;
}

/* In the daemon: hold every inode (no event proceeds, no recall runs). */
static void
hold_all(
	struct hsm_batch	*b)
{
	const struct hsm_excl_hooks *h = b->fs->excl_hooks;
	struct hsm_item		**sorted;
	size_t			i;

	if (!h || !h->hold)
		return;
	sorted = malloc(b->nitems * sizeof(*sorted));
	if (!sorted) {
		for (i = 0; i < b->nitems; i++)
			if (!b->items[i]->finished)
				hsm_item_fail(b->items[i], -ENOMEM);
		return;
	}
	memcpy(sorted, b->items, b->nitems * sizeof(*sorted));
	qsort(sorted, b->nitems, sizeof(*sorted), by_ino);
	for (i = 0; i < b->nitems; i++) {
		struct hsm_item *it = sorted[i];
		int error;

		if (it->finished)
			continue;
		it->hold = h->hold(b->fs->hooks_arg, it->ino, it->gen);
		/* the daemon may have settled the file while we waited: act on
		 * the record as it is now */
		if (it->f.fd >= 0 && (error = hsm_fileref_reread(&it->f)))
			hsm_item_fail(it, error);
	}
	free(sorted);
}

static void
unhold(
	struct hsm_batch	*b,
	struct hsm_item		*it)
{
	const struct hsm_excl_hooks *h = b->fs->excl_hooks;

	if (it->hold && h && h->unhold)
		h->unhold(b->fs->hooks_arg, it->hold);
	it->hold = NULL;
}

/* Is any live item asking for @what? */
static bool
any_live(
	struct hsm_batch	*b,
	bool			(*what)(const struct hsm_item *it))
{
	size_t			i;

	for (i = 0; i < b->nitems; i++)
		if (!b->items[i]->finished && what(b->items[i]))
			return true;
	return false;
}

static bool
wants_force(const struct hsm_item *it)
{
	return it->force_prepared;
}

static bool
wants_data(const struct hsm_item *it)
{
	return it->wrote_data;
}

static bool
wants_seal(const struct hsm_item *it)
{
	return it->op->seal != NULL;
}

/* Make the deletes on each store durable: 0 or the first error; *@synced
 * (if asked) says whether any store had deletes to sync. */
static int
sync_stores(
	struct hsm_batch	*b,
	bool			*synced)
{
	const struct hsm_binding *bind = b->fs->binding;
	unsigned		dirty, si;
	struct hsm_store	*store;
	int			error = 0, e;

	dirty = atomic_exchange(&b->commit.store_dirty, 0);
	if (synced)
		*synced = dirty != 0;
	for (si = 0; dirty && bind && si < bind->nstores; si++) {
		if (!(dirty & (1U << si)))
			continue;
		store = hsm_fs_store_get(b->fs, hsm_batch_set(b),
				bind->store[si].id, &e);
		if (store)
			e = hsm_dur_store_sync(store);
		b->stats.store_syncs++;
		if (e && !error)
			error = e;
	}
	return error;
}

/* Barrier after prepare: the records prepare wrote, durable. */
static void
force_prepared(
	struct hsm_batch	*b)
{
	size_t			i;
	bool			synced;
	int			error;

	if (!any_live(b, wants_force))
		return;
	/*
	 * Settled records let go of their objects: the deletes first, or a
	 * crash could keep a partial object in a store's tmp/ that no record
	 * names any more (gc looks for orphans among objects only).
	 */
	error = sync_stores(b, &synced);
	for (i = 0; error && i < b->nitems; i++)
		item_undo(b, b->items[i], error, "cannot sync the store");
	if (error)
		return;
	if (synced)
		hsm_fault(b->fs, "batch-settled");
	error = hsm_commit_force(&b->commit);
	for (i = 0; error && i < b->nitems; i++)
		item_undo(b, b->items[i], error, "cannot make the pending "
			  "records durable");
	if (!error)
		hsm_fault(b->fs, "batch-prepared");
}

/* Abort every writer of @it (the item failed, or the batch ran out of
 * memory). */
static void
abort_writers(
	struct hsm_batch	*b,
	struct hsm_item		*it)
{
	struct hsm_store	*store;
	unsigned		k;
	int			e;

	for (k = 0; k < HSM_COPIES_MAX; k++) {
		if (!it->w[k])
			continue;
		store = hsm_fs_store_get(b->fs, hsm_batch_set(b),
				it->f.rec.copy[k].store_id, &e);
		if (store)
			store->ops->put_abort(it->w[k]);
		it->w[k] = NULL;
	}
}

/* Publish the writers of every live item that go to store @si. */
static void
publish_store(
	struct hsm_batch	*b,
	uint32_t		id)
{
	struct hsm_store_writer	**ws;
	struct hsm_item		**owners;
	struct hsm_store	*store;
	int			*errors, error = 0;
	size_t			i, n = 0;
	unsigned		k;

	store = hsm_fs_store_get(b->fs, hsm_batch_set(b), id, &error);
	ws = calloc(b->nitems * HSM_COPIES_MAX, sizeof(*ws));
	owners = calloc(b->nitems * HSM_COPIES_MAX, sizeof(*owners));
	errors = calloc(b->nitems * HSM_COPIES_MAX, sizeof(*errors));
	if (!error && (!ws || !owners || !errors))
		error = -ENOMEM;
	for (i = 0; i < b->nitems; i++) {
		struct hsm_item *it = b->items[i];

		for (k = 0; k < HSM_COPIES_MAX; k++) {
			if (!it->w[k] || it->f.rec.copy[k].store_id != id)
				continue;
			if (error) {
				item_undo(b, it, error, "store publish");
				abort_writers(b, it);
				break;
			}
			ws[n] = it->w[k];
			owners[n++] = it;
			it->w[k] = NULL;
		}
	}
	if (n) {
		hsm_dur_objects(store, ws, n, errors);
		b->stats.store_syncs++;
		for (i = 0; i < n; i++)
			if (errors[i]) {
				item_undo(b, owners[i], errors[i], "cannot "
					  "make the store copy durable");
				abort_writers(b, owners[i]);
			}
		hsm_fault(b->fs, "batch-published");
	}
	free(ws);
	free(owners);
	free(errors);
}

/* Barrier after work: store objects, then file data, durable. */
static void
publish(
	struct hsm_batch	*b)
{
	/* one binding throughout: a reload replaces fs->binding, and keeps
	 * the one replaced readable */
	const struct hsm_binding *bind = b->fs->binding;
	size_t			i;
	unsigned		si, k;
	int			error;

	for (i = 0; i < b->nitems; i++)
		if (b->items[i]->finished)
			abort_writers(b, b->items[i]);
	for (si = 0; bind && si < bind->nstores; si++)
		publish_store(b, bind->store[si].id);
	/* a writer no bound store took: its file must not be sealed */
	for (i = 0; i < b->nitems; i++)
		for (k = 0; k < HSM_COPIES_MAX; k++)
			if (b->items[i]->w[k]) {
				item_undo(b, b->items[i], -ENOENT,
					  "store publish");
				abort_writers(b, b->items[i]);
				break;
			}
	error = sync_stores(b, NULL);
	if (error)
		for (i = 0; i < b->nitems; i++)
			item_undo(b, b->items[i], error,
				  "cannot sync the store");
	if (any_live(b, wants_data)) {
		error = hsm_commit_data(&b->commit);
		b->stats.data_syncs++;
		for (i = 0; i < b->nitems; i++)
			if (error && b->items[i]->wrote_data)
				item_undo(b, b->items[i], error,
					  "cannot make the data durable");
		if (!error)
			hsm_fault(b->fs, "batch-synced");
	}
}

/* Barrier after seal: one log force for the batch. */
static void
force_sealed(
	struct hsm_batch	*b)
{
	size_t			i;
	int			error;

	error = hsm_commit_force(&b->commit);
	for (i = 0; error && i < b->nitems; i++) {
		struct hsm_item *it = b->items[i];

		if (it->sealed && !it->error) {
			hsm_fs_set_detail(b->fs, "cannot make the records "
					"durable: %s", strerror(-error));
			it->finished = false;	/* keep this error */
			hsm_item_fail(it, error);
		}
	}
	if (!error)
		hsm_fault(b->fs, "batch-forced");
}

/* Run the batch on this process's handles. */
int
hsm_batch_run_here(
	struct hsm_batch	*b)
{
	size_t			i;
	int			error = 0;

	hsm_commit_init(&b->commit, b->fs);
	b->moved = 0;
	if ((b->op->flags & HSM_OPD_STORE) && !b->fs->store) {
		hsm_fs_clear_detail(b->fs);
		error = hsm_fs_open_store(b->fs);
		for (i = 0; error && i < b->nitems; i++)
			hsm_item_fail(b->items[i], error);
	}
	if (!error) {
		run_phase(b, PH_OPEN);
		hold_all(b);
		run_phase(b, PH_PREPARE);
		force_prepared(b);
		run_phase(b, PH_WORK);
		publish(b);
		if (any_live(b, wants_seal))
			run_phase(b, PH_SEAL);
		force_sealed(b);
	}
	for (i = 0; i < b->nitems; i++) {
		struct hsm_item *it = b->items[i];

		hsm_fs_clear_detail(b->fs);
		if (it->op->done)
			it->op->done(b, it);
		if (it->f.fd >= 0)
			hsm_fileref_close(&it->f);
		unhold(b, it);
		it->finished = true;
	}
	/* deletes that done made (old copies of re-archived files) */
	sync_stores(b, NULL);
	b->stats.log_forces += b->commit.forces;
	hsm_commit_release(&b->commit);
	return error;
}

/* ---- where it runs, and when --------------------------------------- */

/* A run of @b: the batch's settings, its own items, commit and handles. */
static struct hsm_batch *
run_get(
	struct hsm_batch	*b,
	unsigned		i)
{
	struct hsm_batch	*r = b->runs[i];

	if (!r && hsm_batch_new(b->fs, b->op->code, b->flags, b->fn, b->arg,
				&r) == 0) {
		r->parent = b;
		b->runs[i] = r;
	}
	return r;
}

/* Run @r here, or in the daemon: 0 or -errno (route, store). */
static int
run_exec(
	struct hsm_batch	*r)
{
	if (r->fs->route == HSM_ROUTE_DAEMON)
		return hsm_batch_run_remote(r);
	return hsm_batch_run_here(r);
}

static void *
run_thread(
	void			*arg)
{
	struct hsm_batch	*r = arg;

	thread_set = &r->sets[RUN_SET];
	r->run_error = run_exec(r);
	thread_set = NULL;
	return NULL;
}

/* Wait for run @r and deliver its results: its error, or 0. */
static int
run_reap(
	struct hsm_batch	*b,
	struct hsm_batch	*r)
{
	size_t			i;
	int			error;

	if (r->threaded)
		pthread_join(r->tid, NULL);
	r->threaded = false;
	error = r->run_error;
	/* what the run could not run at all: its own error */
	if (error)
		for (i = 0; i < r->nitems; i++)
			if (!r->items[i]->finished && !r->items[i]->error)
				hsm_item_fail(r->items[i], error);
	pthread_mutex_lock(&b->lock);
	for (i = 0; i < r->nitems; i++) {
		deliver(r, r->items[i]);
		item_free(r->items[i]);
	}
	b->moved -= r->moved;
	pthread_mutex_unlock(&b->lock);
	b->stats.batches++;
	b->stats.files += r->nitems;
	b->stats.log_forces += r->stats.log_forces;
	b->stats.data_syncs += r->stats.data_syncs;
	b->stats.store_syncs += r->stats.store_syncs;
	memset(&r->stats, 0, sizeof(r->stats));
	r->nitems = 0;
	r->ninos = 0;
	r->moved = 0;
	r->run_error = 0;
	r->inflight = false;
	return error;
}

/* The oldest run in flight, or NULL. */
static struct hsm_batch *
run_oldest(
	struct hsm_batch	*b)
{
	struct hsm_batch	*o = NULL;
	unsigned		i;

	for (i = 0; i < BATCH_RUNS; i++)
		if (b->runs[i] && b->runs[i]->inflight &&
		    (!o || b->runs[i]->seq < o->seq))
			o = b->runs[i];
	return o;
}

/* Deliver every run in flight: the first error, or 0. */
static int
reap_all(
	struct hsm_batch	*b)
{
	struct hsm_batch	*r;
	int			error = 0, e;

	while ((r = run_oldest(b))) {
		e = run_reap(b, r);
		if (e && !error)
			error = e;
	}
	return error;
}

static int
cmp_ino(
	const void		*a,
	const void		*b)
{
	uint64_t		x = *(const uint64_t *)a;
	uint64_t		y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/*
 * The inodes of the files being gathered, a hash set (0 marks a free
 * slot): a batch never holds two names of one inode, and looking through
 * its items for each file added made a walk quadratic in the batch size.
 */
static size_t
ino_slot(
	const struct hsm_batch	*b,
	uint64_t		ino)
{
	size_t			i;

	i = (ino * 0x9E3779B97F4A7C15ULL) & (b->iset_cap - 1);
	while (b->iset[i] && b->iset[i] != ino)
		i = (i + 1) & (b->iset_cap - 1);
	return i;
}

static bool
has_ino(
	const struct hsm_batch	*b,
	uint64_t		ino)
{
	if (!ino)
		return b->iset_zero;
	return b->iset_cap && b->iset[ino_slot(b, ino)] == ino;
}

static int
ino_set_add(
	struct hsm_batch	*b,
	uint64_t		ino)
{
	uint64_t		*old = b->iset;
	size_t			cap = b->iset_cap, i;

	if (!ino) {
		b->iset_zero = true;
		return 0;
	}
	/* at most half full */
	if (2 * (b->iset_n + 1) > b->iset_cap) {
		b->iset_cap = cap ? 2 * cap : 1024;
		b->iset = calloc(b->iset_cap, sizeof(*b->iset));
		if (!b->iset) {
			b->iset = old;
			b->iset_cap = cap;
			return -ENOMEM;
		}
		for (i = 0; i < cap; i++)
			if (old[i])
				b->iset[ino_slot(b, old[i])] = old[i];
		free(old);
	}
	i = ino_slot(b, ino);
	if (!b->iset[i]) {
		b->iset[i] = ino;
		b->iset_n++;
	}
	return 0;
}

/* The files gathered went to a run. */
static void
ino_set_clear(
	struct hsm_batch	*b)
{
	if (b->iset_n)
		memset(b->iset, 0, b->iset_cap * sizeof(*b->iset));
	b->iset_n = 0;
	b->iset_zero = false;
}

/* May a run start while another is in flight? */
static bool
may_overlap(
	struct hsm_batch	*b)
{
	if (b->drain || b->fs->excl_hooks || b->fs->route != HSM_ROUTE_DIRECT)
		return false;
	/* the store is opened (and fs->store set) by a run alone */
	if ((b->op->flags & HSM_OPD_STORE) && !b->fs->store)
		return false;
	/* the stores changed since (xfs_hsm store, elsewhere): reloaded
	 * with no run in flight */
	return !hsm_fs_binding_changed(b->fs);
}

/* Hand the items added so far to a run and start it (@last: no more
 * will be added): an error of a run delivered meanwhile, or 0. */
static int
batch_run(
	struct hsm_batch	*b,
	bool			last)
{
	struct hsm_batch	*r = NULL;
	struct hsm_item		**items;
	size_t			alloc, i;
	unsigned		k;
	bool			overlap;
	int			error = 0, e;

	if (!b->nitems)
		return 0;
	hsm_fs_clear_detail(b->fs);
	e = hsm_fs_route(b->fs);
	/* the last run overlaps only a run in flight */
	overlap = !e && (!last || run_oldest(b)) && may_overlap(b);
	if (!overlap)
		error = reap_all(b);	/* the binding is reloaded below */
	for (k = 0; k < BATCH_RUNS && !r; k++)
		if (!b->runs[k] || !b->runs[k]->inflight)
			r = run_get(b, k);
	if (!r && (r = run_oldest(b))) {
		int e2 = run_reap(b, r);

		if (e2 && !error)
			error = e2;
	}
	if (!r) {
		/* no memory for a run: the batch's own files fail */
		pthread_mutex_lock(&b->lock);
		for (i = 0; i < b->nitems; i++) {
			hsm_item_fail(b->items[i], -ENOMEM);
			deliver(b, b->items[i]);
			item_free(b->items[i]);
		}
		pthread_mutex_unlock(&b->lock);
		b->nitems = 0;
		b->bytes = 0;
		ino_set_clear(b);
		return -ENOMEM;
	}
	/* the items move to the run; its empty array comes back */
	items = r->items;
	alloc = r->alloc;
	r->items = b->items;
	r->alloc = b->alloc;
	r->nitems = b->nitems;
	b->items = items;
	b->alloc = alloc;
	b->nitems = 0;
	b->bytes = 0;
	ino_set_clear(b);
	b->drain = false;
	r->limits = b->limits;
	r->seq = b->seq++;
	r->run_error = e;
	free(r->inos);
	r->inos = malloc(r->nitems * sizeof(*r->inos));
	r->ninos = r->inos ? r->nitems : 0;
	for (i = 0; i < r->ninos; i++)
		r->inos[i] = r->items[i]->ino;
	qsort(r->inos, r->ninos, sizeof(*r->inos), cmp_ino);
	if (!e && overlap &&
	    pthread_create(&r->tid, NULL, run_thread, r) == 0) {
		r->threaded = true;
		r->inflight = true;
		return error;
	}
	if (!e) {
		/* alone, on this thread (no thread to be had: the others
		 * first) */
		e = reap_all(b);
		if (e && !error)
			error = e;
		hsm_fs_reload_binding(b->fs);
		r->run_error = run_exec(r);
	}
	r->inflight = true;
	e = run_reap(b, r);
	return error ? error : e;
}

HSM_EXPORT int
hsm_batch_flush(
	struct hsm_batch	*b)
{
	int			error, e;

	error = batch_run(b, true);
	e = reap_all(b);
	return error ? error : e;
}

/* Is inode @ino in a run in flight? */
static bool
ino_in_flight(
	const struct hsm_batch	*b,
	uint64_t		ino)
{
	unsigned		k;

	for (k = 0; k < BATCH_RUNS; k++) {
		const struct hsm_batch *r = b->runs[k];

		if (r && r->inflight && (!r->inos ||
		    bsearch(&ino, r->inos, r->ninos, sizeof(ino), cmp_ino)))
			return true;
	}
	return false;
}

static int
add_item(
	struct hsm_batch	*b,
	const char		*path,
	uint64_t		ino,
	uint32_t		gen,
	const uint8_t		*oid,
	const struct hsm_range	*ranges,
	size_t			nranges,
	void			*cookie)
{
	struct hsm_item		*it, **p;
	struct stat		st;
	int			error = 0;

	it = calloc(1, sizeof(*it));
	if (!it || (path && !(it->path = strdup(path))) ||
	    (nranges && !(it->ranges = calloc(nranges, sizeof(*ranges))))) {
		if (it)
			free(it->path);
		free(it);
		return -ENOMEM;
	}
	if (nranges)
		memcpy(it->ranges, ranges, nranges * sizeof(*ranges));
	it->nranges = nranges;
	it->f.fd = -1;
	it->f.fs = b->fs;
	it->op = b->op;
	it->ino = ino;
	it->gen = gen;
	it->cookie = cookie;
	if (oid)
		memcpy(it->oid, oid, HSM_OID_LEN);
	if (path) {
		/* gone already: say so now, it joins no batch */
		if (lstat(path, &st) < 0) {
			hsm_fs_set_detail(b->fs, "%s", strerror(errno));
			hsm_item_fail(it, -errno);
			pthread_mutex_lock(&b->lock);
			deliver(b, it);
			pthread_mutex_unlock(&b->lock);
			item_free(it);
			return 0;
		}
		it->ino = st.st_ino;
		it->size = S_ISREG(st.st_mode) ? st.st_size : 0;
	}
	/* one inode once per run: a second name waits for the next */
	if (has_ino(b, it->ino) || b->nitems >= b->limits.files ||
	    (b->nitems && b->bytes + it->size > b->limits.bytes) ||
	    (b->nitems && now_ns() - b->first_ns >
			  (int64_t)b->limits.ms * 1000000))
		error = batch_run(b, false);
	/* ...and for the run that has the first */
	if (ino_in_flight(b, it->ino))
		b->drain = true;
	if (b->nitems == b->alloc) {
		size_t n = b->alloc ? 2 * b->alloc : 64;

		p = realloc(b->items, n * sizeof(*p));
		if (!p) {
			item_free(it);
			return -ENOMEM;
		}
		b->items = p;
		b->alloc = n;
	}
	if (ino_set_add(b, it->ino)) {
		item_free(it);
		return -ENOMEM;
	}
	if (!b->nitems)
		b->first_ns = now_ns();
	b->items[b->nitems++] = it;
	b->bytes += it->size;
	return error;
}

int
hsm_batch_add_item(
	struct hsm_batch	*b,
	const char		*path,
	uint64_t		ino,
	uint32_t		gen,
	const uint8_t		*oid,
	void			*cookie)
{
	return add_item(b, path, ino, gen, oid, NULL, 0, cookie);
}

HSM_EXPORT int
hsm_batch_add_ranges(
	struct hsm_batch	*b,
	const char		*path,
	const struct hsm_range	*ranges,
	size_t			n,
	void			*cookie)
{
	if (b->op->code != HSM_CMD_RECALL || !n || n > HSM_RANGES_MAX)
		return -EINVAL;
	return add_item(b, path, 0, 0, NULL, ranges, n, cookie);
}

HSM_EXPORT int
hsm_batch_add(
	struct hsm_batch	*b,
	const char		*path,
	void			*cookie)
{
	if (b->op->flags & HSM_OPD_INODES)
		return -EINVAL;
	return hsm_batch_add_item(b, path, 0, 0, NULL, cookie);
}

HSM_EXPORT int
hsm_batch_add_inode(
	struct hsm_batch	*b,
	const struct hsm_inode	*in,
	const uint8_t		*oid,
	void			*cookie)
{
	return hsm_batch_add_item(b, NULL, in->ino, in->gen, oid, cookie);
}

HSM_EXPORT void
hsm_batch_free(
	struct hsm_batch	*b)
{
	size_t			i;

	if (!b)
		return;
	/* the runs in flight have acted: their results are delivered */
	reap_all(b);
	for (i = 0; i < BATCH_RUNS; i++)
		hsm_batch_free(b->runs[i]);
	for (i = 0; i < b->nitems; i++)
		item_free(b->items[i]);
	for (i = 0; i < BATCH_THREADS_MAX; i++)
		hsm_store_set_close(&b->sets[i]);
	free(b->items);
	free(b->inos);
	free(b->iset);
	pthread_mutex_destroy(&b->lock);
	free(b);
}
