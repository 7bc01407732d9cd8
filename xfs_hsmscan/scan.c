// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * scan.c - the parallel bulkstat walk: one worker per allocation group at
 * a time (at most -j of them), each with its own struct hsm_fs.
 *
 * Per inode, what bulkstat says decides whether the record is read at
 * all: only regular files carry records (libhsm never writes one on
 * anything else); an inode whose attribute fork cannot hold one (no fork,
 * or one inside the inode too small for a record: libhsm's record rule,
 * unless --probe-all) has none; with --quick, an inode unchanged (ctime)
 * since the index was taken and not in it still has none (state.c).  What
 * is left is read by handle, without a path lookup or an open.
 *
 * The AGs are counted first with INUMBERS and handed out largest first;
 * each worker reads its next bulkstat batch while it reads the records of
 * the current one.  The main thread meanwhile draws progress on a
 * terminal: inodes done out of that count.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include "xfs_hsmscan.h"

#define BATCH			1024
#define CHECKPOINT_SECS		10
#define PROGRESS_SECS		0.5

static volatile sig_atomic_t stop_requested;

struct scan_ctx {
	struct hsm_fs		*fs;		/* the main thread's */
	const struct hsm_fs_geom *geom;
	struct hsm_record_rule	rule;
	struct ag_state		*ags;
	struct checkpoint	*cp;
	struct record_index	*ix;
	int64_t			epoch;
	int64_t			histo_now;	/* --report's ages from it */
	double			t0;
	double			deadline;	/* 0: none */
	pthread_mutex_t		lock;
	pthread_cond_t		done_cond;
	uint32_t		*order;		/* AGs, largest first */
	uint32_t		next_ag;	/* into order */
	uint64_t		total;		/* inodes in use, for progress */
	unsigned		running;
	uint64_t		inodes_done;	/* this run, all workers */
	int			error;		/* first bulkstat failure */
	uint32_t		error_ag;
};

struct worker {
	struct scan_ctx		*ctx;
	pthread_t		thread;
	struct hsm_fs		*fs;
	struct vec		files;
	struct vec		named;
	struct vec		pending;
	struct vec		copies;
	struct vec		tagged;
	struct vec		v1;		/* struct tagged: --upgrade */
	struct histo		histo;		/* --report */
	size_t			cp_pending;	/* entries already in the */
	size_t			cp_tagged;	/* checkpoint */
	unsigned long		batches;	/* done by this run */
};

static double
now(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void
on_stop_signal(
	int		sig)
{
	stop_requested = 1;
}

static bool
is_changed(
	const struct hsm_inode	*in)
{
	return in->ctime_sec > opts->changed_sec ||
	       (in->ctime_sec == opts->changed_sec &&
		in->ctime_nsec > opts->changed_nsec);
}

/* Does the file match the --list selection? */
static bool
selected(
	const struct file_entry	*e)
{
	const struct hsm_status	*st = &e->st;
	unsigned		sel = opts->list, op;

	if (e->error)
		return sel & SEL_BAD;
	if ((sel & SEL_DIRTY) && st->dirty)
		return true;
	if ((sel & SEL_LOST) && (st->rec.flags & HSM_F_LOST))
		return true;
	op = st->rec.pending;
	if (op && (sel & (SEL_MIGRATING << (op - HSM_OP_MIGRATING))))
		return true;
	switch (st->state) {
	case HSM_STATE_RESIDENT:
		return sel & SEL_RESIDENT;
	case HSM_STATE_ARCHIVED:
		return sel & SEL_ARCHIVED;
	case HSM_STATE_RELEASED:
		return sel & SEL_RELEASED;
	case HSM_STATE_PARTIAL:
		return sel & SEL_PARTIAL;
	}
	return false;
}

/* Does an archived file's record name a copy lost, or never finished
 * (with no operation pending that would finish it)?  Repair makes it. */
static bool
copies_short(
	const struct hsm_record	*r)
{
	unsigned		k;

	if (!(r->flags & HSM_F_ARCHIVED) ||
	    (r->flags & (HSM_F_DIRTY | HSM_F_LOST)) ||
	    r->pending != HSM_OP_NONE)
		return false;
	for (k = 0; k < HSM_COPIES_MAX; k++)
		if (r->copy[k].state == HSM_COPY_LOST ||
		    r->copy[k].state == HSM_COPY_WANTED)
			return true;
	return false;
}

/* Count a valid record and collect what the later steps need. */
static void
account_record(
	struct worker		*w,
	struct counts		*c,
	struct file_entry	*e)
{
	const struct hsm_status	*st = &e->st;
	const struct hsm_record	*r = &st->rec;
	uint64_t		res = st->resident_bytes;
	unsigned		k;

	switch (st->state) {
	case HSM_STATE_RESIDENT:
		c->c[C_RES_REC]++;
		break;
	case HSM_STATE_ARCHIVED:
		c->c[C_ARCHIVED]++;
		if (!st->dirty && !(r->flags & HSM_F_LOST))
			c->c[C_BYTES_DUAL] += res;
		break;
	case HSM_STATE_RELEASED:
	case HSM_STATE_PARTIAL:
		c->c[st->state == HSM_STATE_RELEASED ? C_RELEASED :
		     C_PARTIAL]++;
		if (st->size > res)
			c->c[C_BYTES_RELEASED] += st->size - res;
		break;
	}
	if (st->dirty)
		c->c[C_DIRTY]++;
	if (r->flags & HSM_F_LOST)
		c->c[C_LOST]++;
	if (r->pending != HSM_OP_NONE) {
		struct pending	*p;

		c->c[C_MIGRATING + r->pending - HSM_OP_MIGRATING]++;
		e->alive = hsm_record_owner_alive(w->fs, r);
		if (e->alive)
			c->c[C_LIVE]++;
		/* --repair leaves a live one to its owner, and says so */
		p = vec_push(&w->pending);
		p->ino = e->in.ino;
		p->gen = e->in.gen;
		p->op = r->pending;
	}
	if (r->version < HSM_RECORD_VERSION) {
		c->c[C_V1]++;
		if (opts->upgrade) {
			struct tagged *t = vec_push(&w->v1);

			t->ino = e->in.ino;
			t->gen = e->in.gen;
		}
	}
	for (k = 0; opts->audit && k < HSM_COPIES_MAX; k++) {
		struct named *n;

		if (r->copy[k].state == HSM_COPY_NONE)
			continue;
		n = vec_push(&w->named);
		memcpy(n->oid, r->copy[k].oid, HSM_OID_LEN);
		n->store_id = r->copy[k].store_id;
		n->state = r->copy[k].state;
		n->ino = e->in.ino;
		n->gen = e->in.gen;
		n->nlink = e->in.nlink;
		n->flags = r->flags;
		n->pending = r->pending;
		n->size = r->size;
		n->checksum = r->checksum;
	}
	if ((opts->audit || opts->repair) && copies_short(r)) {
		struct pending *p = vec_push(&w->copies);

		p->ino = e->in.ino;
		p->gen = e->in.gen;
		p->op = 0;
	}
}

/* Hand a file to the list: now, or after the scan when paths are wanted. */
static void
list_file(
	struct worker		*w,
	struct file_entry	*e)
{
	if (opts->paths) {
		e->listed = true;
		*(struct file_entry *)vec_push(&w->files) = *e;
	} else {
		output_file(e);
	}
}

static void
scan_inode(
	struct worker		*w,
	struct ag_state		*ag,
	const struct hsm_inode	*in,
	size_t			*ixpos)
{
	struct counts		*c = &ag->counts;
	struct file_entry	e;
	bool			changed = false;
	int			error;

	c->c[C_INODES]++;
	if (opts->changed) {
		changed = is_changed(in);
		if (changed)
			c->c[C_CHANGED]++;
	}
	if (S_ISREG(in->mode)) {
		c->c[C_REGULAR]++;
		c->c[C_BYTES_RESIDENT] += in->blocks * 512;
	}
	/* --changed-since without --list: straight from bulkstat */
	if (changed && !opts->list) {
		memset(&e, 0, sizeof(e));
		e.in = *in;
		if (opts->paths) {
			e.listed = true;
			*(struct file_entry *)vec_push(&w->files) = e;
		} else {
			output_changed(in, NULL);
		}
	}
	if (!opts->records || !S_ISREG(in->mode))
		return;
	if (opts->probe_all ? in->forkoff == 0 :
	    !hsm_inode_may_hold_record(&w->ctx->rule, in)) {
		if (in->forkoff)
			c->c[C_FORK_SKIPPED]++;
		c->c[C_RES_NOREC]++;
		if (opts->report)
			histo_add(&w->histo, RS_RESIDENT, in);
		return;
	}
	if (w->ctx->ix && in->ctime_sec < w->ctx->epoch &&
	    !index_has(w->ctx->ix, ixpos, in->ino)) {
		c->c[C_RES_NOREC]++;
		if (opts->report)
			histo_add(&w->histo, RS_RESIDENT, in);
		return;
	}
	c->c[C_PROBED]++;
	memset(&e, 0, sizeof(e));
	e.in = *in;
	error = hsm_inode_status(w->fs, in, &e.st);
	if (!error && !e.st.has_record) {
		c->c[C_RES_NOREC]++;
		if (opts->report)
			histo_add(&w->histo, RS_RESIDENT, in);
		return;
	}
	if (error == -ESTALE) {
		c->c[C_VANISHED]++;	/* deleted since bulkstat saw it */
		return;
	}
	if (opts->quick) {
		struct tagged *t = vec_push(&w->tagged);

		t->ino = in->ino;
		t->gen = in->gen;
	}
	if (error) {
		e.error = error;
		c->c[error == -EUCLEAN || error == -EPROTONOSUPPORT ? C_BAD :
		     C_ERRORS]++;
		*(struct file_entry *)vec_push(&w->files) = e;
		if (opts->list && (!opts->changed || changed) && selected(&e)) {
			/* listed from the problem entry itself */
			VEC_AT(&w->files, struct file_entry,
			       w->files.nr - 1)->listed = true;
			if (!opts->paths)
				output_file(&e);
		}
		return;
	}
	account_record(w, c, &e);
	if (opts->report)
		histo_add(&w->histo, histo_state(&e.st), in);
	if (opts->list && (!opts->changed || changed) && selected(&e))
		list_file(w, &e);
}

/* Append what this AG found since its last checkpoint, and its state. */
static void
checkpoint_ag(
	struct worker		*w,
	uint32_t		agno)
{
	struct vec		p = w->pending, t = w->tagged;

	if (!w->ctx->cp)
		return;
	/* views of the entries not yet written (all of the current AG) */
	p.items = (char *)p.items + w->cp_pending * p.size;
	p.nr -= w->cp_pending;
	t.items = (char *)t.items + w->cp_tagged * t.size;
	t.nr -= w->cp_tagged;
	checkpoint_write(w->ctx->cp, agno, &w->ctx->ags[agno], &p, &t);
	w->cp_pending = w->pending.nr;
	w->cp_tagged = w->tagged.nr;
}

static bool
must_stop(
	struct scan_ctx		*ctx)
{
	return stop_requested || (ctx->deadline && now() >= ctx->deadline);
}

/* Walk one AG from its cursor.  Returns 0 or the bulkstat -errno. */
static int
scan_ag(
	struct worker		*w,
	uint32_t		agno)
{
	struct scan_ctx		*ctx = w->ctx;
	struct ag_state		*ag = &ctx->ags[agno];
	struct hsm_bulkstat_ahead *ra;
	const struct hsm_inode	*in;
	double			last_cp = now();
	size_t			ixpos = 0;
	bool			seeked = false;
	uint64_t		cursor;
	unsigned		i, nr;
	int			error;

	/* the next batch is read while this one's records are */
	error = hsm_bulkstat_ahead_open(w->fs, agno, ag->cursor, BATCH, &ra);
	if (error)
		return error;
	/* at least one batch per run: even --time-limit 0 makes progress */
	for (;;) {
		error = hsm_bulkstat_ahead_next(ra, &in, &nr, &cursor);
		if (error) {
			ag->done = error == 1;
			error = error < 0 ? error : 0;
			break;
		}
		if (ctx->ix && !seeked) {
			ixpos = index_seek(ctx->ix, in[0].ino);
			seeked = true;
		}
		for (i = 0; i < nr; i++)
			scan_inode(w, ag, &in[i], &ixpos);
		ag->cursor = cursor;
		__atomic_add_fetch(&ctx->inodes_done, nr, __ATOMIC_RELAXED);
		w->batches++;
		if (must_stop(ctx))
			break;
		if (ctx->cp && now() - last_cp >= CHECKPOINT_SECS) {
			checkpoint_ag(w, agno);
			last_cp = now();
		}
	}
	hsm_bulkstat_ahead_free(ra);
	if (!error)
		checkpoint_ag(w, agno);
	return error;
}

static void *
worker_main(
	void			*arg)
{
	struct worker		*w = arg;
	struct scan_ctx		*ctx = w->ctx;
	uint32_t		agno;
	int			error;

	for (;;) {
		pthread_mutex_lock(&ctx->lock);
		while (ctx->next_ag < ctx->geom->agcount &&
		       ctx->ags[ctx->order[ctx->next_ag]].done)
			ctx->next_ag++;
		agno = ctx->next_ag < ctx->geom->agcount ?
		       ctx->order[ctx->next_ag++] : UINT32_MAX;
		pthread_mutex_unlock(&ctx->lock);
		if (agno == UINT32_MAX || ctx->error ||
		    (w->batches && must_stop(ctx)))
			break;
		error = scan_ag(w, agno);
		if (error) {
			pthread_mutex_lock(&ctx->lock);
			if (!ctx->error) {
				ctx->error = error;
				ctx->error_ag = agno;
			}
			pthread_mutex_unlock(&ctx->lock);
			break;
		}
	}
	pthread_mutex_lock(&ctx->lock);
	ctx->running--;
	pthread_cond_signal(&ctx->done_cond);
	pthread_mutex_unlock(&ctx->lock);
	return NULL;
}

/* "\rxfs_hsmscan: 45% 450000/1000000 inodes, 120000 inodes/s, 4 s" */
static void
draw_progress(
	struct scan_ctx		*ctx,
	uint64_t		base,
	bool			last)
{
	uint64_t		done, total = ctx->total;
	double			el = now() - ctx->t0;

	if (last) {
		fputs("\r\033[K", stderr);
		return;
	}
	done = base + __atomic_load_n(&ctx->inodes_done, __ATOMIC_RELAXED);
	if (total < done)
		total = done;
	fprintf(stderr, "\r%s: %3.0f%% %llu/%llu inodes, %.0f inodes/s, "
		"%.0f s\033[K", PROGNAME, total ? 100.0 * done / total : 100.0,
		(unsigned long long)done, (unsigned long long)total,
		el > 0 ? (done - base) / el : 0, el);
}

static const uint64_t	*sort_counts;	/* for cmp_ag_size, single-threaded */

static int
cmp_ag_size(
	const void	*a,
	const void	*b)
{
	uint64_t	x = sort_counts[*(const uint32_t *)a];
	uint64_t	y = sort_counts[*(const uint32_t *)b];

	return x > y ? -1 : x < y;
}

/*
 * The order the AGs are scanned in: the most inodes first, so that no
 * worker is left alone with a big one at the end; and the exact total for
 * the progress line (INUMBERS reads only the inode btrees).  Without
 * INUMBERS, AG order and the kernel's estimate.
 */
static void
plan_ags(
	struct scan_ctx		*ctx)
{
	uint32_t		n = ctx->geom->agcount, a;
	uint64_t		*count;

	ctx->order = calloc(n ? n : 1, sizeof(*ctx->order));
	count = calloc(n ? n : 1, sizeof(*count));
	if (!ctx->order || !count)
		nomem();
	ctx->total = 0;
	for (a = 0; a < n; a++) {
		ctx->order[a] = a;
		if (hsm_ag_inodes(ctx->fs, a, &count[a])) {
			ctx->total = ctx->geom->inodes_used;
			free(count);
			return;
		}
		ctx->total += count[a];
	}
	sort_counts = count;
	qsort(ctx->order, n, sizeof(*ctx->order), cmp_ag_size);
	sort_counts = NULL;
	free(count);
}

/* Start one worker; false if it could not (already reported). */
static bool
worker_start(
	struct scan_ctx		*ctx,
	struct worker		*w)
{
	int			error;

	w->ctx = ctx;
	vec_init(&w->files, sizeof(struct file_entry));
	vec_init(&w->named, sizeof(struct named));
	vec_init(&w->pending, sizeof(struct pending));
	vec_init(&w->copies, sizeof(struct pending));
	vec_init(&w->tagged, sizeof(struct tagged));
	vec_init(&w->v1, sizeof(struct tagged));
	memset(&w->histo, 0, sizeof(w->histo));
	w->histo.now = ctx->histo_now;
	/* a struct hsm_fs serves one thread at a time: one each */
	error = hsm_fs_open(hsm_fs_mountpoint(ctx->fs), 0, &w->fs);
	if (error) {
		fprintf(stderr, "%s: cannot open '%s' for a worker: %s\n",
			PROGNAME, hsm_fs_mountpoint(ctx->fs), strerror(-error));
		return false;
	}
	if (pthread_create(&w->thread, NULL, worker_main, w)) {
		hsm_fs_free(w->fs);
		w->fs = NULL;
		return false;
	}
	return true;
}

static void
catch_stop_signals(void)
{
	struct sigaction	sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
}

/* The key of the options that change what a checkpoint counts. */
static void
checkpoint_key(
	char			*key,
	size_t			size)
{
	if (opts->changed)
		snprintf(key, size, "changed-since=@%lld.%09u quick=%d",
			 (long long)opts->changed_sec, opts->changed_nsec,
			 opts->quick);
	else
		snprintf(key, size, "quick=%d", opts->quick);
}

/* Set up --resume and --quick.  0, or the exit bit of a failure. */
static int
load_state(
	struct scan_ctx		*ctx,
	struct scan_result	*res,
	int64_t			*started,
	bool			*resumed)
{
	const char		*uuid = hsm_fs_uuid(ctx->fs), *why;
	char			key[128];
	int			error;

	*resumed = false;
	if (opts->resume) {
		checkpoint_key(key, sizeof(key));
		error = checkpoint_open(uuid, key, ctx->geom->agcount,
					ctx->ags, res, started, resumed,
					&ctx->cp);
		if (error == -EBUSY) {
			fprintf(stderr, "%s: another --resume scan of '%s' is "
				"running\n", PROGNAME,
				hsm_fs_mountpoint(ctx->fs));
			return HSM_EX_OPERATIONAL;
		}
		if (error) {
			fprintf(stderr, "%s: cannot use the checkpoint in "
				"'%s': %s\n", PROGNAME, opts->state_dir,
				strerror(-error));
			return HSM_EX_OPERATIONAL;
		}
		catch_stop_signals();
	}
	if (opts->quick) {
		ctx->ix = index_load(uuid, &why);
		if (ctx->ix)
			ctx->epoch = index_epoch(ctx->ix);
		else
			fprintf(stderr, "%s: no usable record index in '%s' "
				"(%s): reading every record\n", PROGNAME,
				opts->state_dir, why);
	}
	return 0;
}

/* Merge what the workers found into @res. */
static void
merge_workers(
	struct scan_ctx		*ctx,
	struct worker		*ws,
	unsigned		n,
	struct scan_result	*res)
{
	unsigned		i;
	uint32_t		a;

	for (i = 0; i < n; i++) {
		vec_append(&res->files, &ws[i].files);
		vec_append(&res->named, &ws[i].named);
		vec_append(&res->pending, &ws[i].pending);
		vec_append(&res->copies, &ws[i].copies);
		vec_append(&res->tagged, &ws[i].tagged);
		vec_append(&res->v1, &ws[i].v1);
		vec_free(&ws[i].v1);
		vec_free(&ws[i].files);
		vec_free(&ws[i].named);
		vec_free(&ws[i].pending);
		vec_free(&ws[i].copies);
		vec_free(&ws[i].tagged);
		histo_merge(&res->histo, &ws[i].histo);
		hsm_fs_free(ws[i].fs);
	}
	res->complete = !ctx->error;
	memset(&res->total, 0, sizeof(res->total));
	for (a = 0; a < ctx->geom->agcount; a++) {
		counts_add(&res->total, &ctx->ags[a].counts);
		if (!ctx->ags[a].done)
			res->complete = false;
	}
	res->run_inodes = ctx->inodes_done;
	res->seconds = now() - ctx->t0;
}

int
scan_run(
	struct hsm_fs		*fs,
	const struct hsm_fs_geom *geom,
	struct scan_result	*res)
{
	struct scan_ctx		ctx;
	struct worker		*ws;
	struct timespec		ts;
	uint64_t		base = 0;
	int64_t			started = time(NULL);
	bool			resumed;
	unsigned		n, i;
	uint32_t		a;
	int			ret;

	memset(&ctx, 0, sizeof(ctx));
	ctx.fs = fs;
	ctx.histo_now = res->histo.now = time(NULL);
	ctx.geom = geom;
	ctx.ags = calloc(geom->agcount, sizeof(*ctx.ags));
	if (!ctx.ags)
		nomem();
	pthread_mutex_init(&ctx.lock, NULL);
	pthread_cond_init(&ctx.done_cond, NULL);
	ret = hsm_fs_record_rule(fs, &ctx.rule);
	if (ret) {
		fprintf(stderr, "%s: cannot read the geometry of '%s': %s\n",
			PROGNAME, hsm_fs_mountpoint(fs), strerror(-ret));
		res->failed = true;
		ret = HSM_EX_OPERATIONAL;
		goto out;
	}
	res->rule = ctx.rule;
	ret = load_state(&ctx, res, &started, &resumed);
	if (ret) {
		res->failed = true;
		goto out;
	}
	if (resumed) {
		for (a = 0; a < geom->agcount; a++)
			base += ctx.ags[a].counts.c[C_INODES];
		time_t t = started;
		char when[64];

		strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S",
			 localtime(&t));
		fprintf(stderr, "%s: resuming the scan begun %s, %llu inodes "
			"done\n", PROGNAME, when, (unsigned long long)base);
	}

	plan_ags(&ctx);
	ctx.t0 = now();
	if (opts->time_limit >= 0)
		ctx.deadline = ctx.t0 + opts->time_limit;
	n = opts->jobs < geom->agcount ? opts->jobs : geom->agcount;
	ws = calloc(n ? n : 1, sizeof(*ws));
	if (!ws)
		nomem();
	pthread_mutex_lock(&ctx.lock);
	for (i = 0; i < n; i++) {
		if (!worker_start(&ctx, &ws[i]))
			break;
		ctx.running++;
	}
	n = i;
	if (!n) {
		pthread_mutex_unlock(&ctx.lock);
		free(ws);
		res->failed = true;
		ret = HSM_EX_OPERATIONAL;
		goto out;
	}
	if (opts->progress)
		draw_progress(&ctx, base, false);
	while (ctx.running) {
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += PROGRESS_SECS * 1e9;
		if (ts.tv_nsec >= 1000000000) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000;
		}
		pthread_cond_timedwait(&ctx.done_cond, &ctx.lock, &ts);
		if (opts->progress && ctx.running)
			draw_progress(&ctx, base, false);
	}
	pthread_mutex_unlock(&ctx.lock);
	if (opts->progress)
		draw_progress(&ctx, base, true);
	for (i = 0; i < n; i++)
		pthread_join(ws[i].thread, NULL);
	merge_workers(&ctx, ws, n, res);
	free(ws);

	if (ctx.error) {
		fprintf(stderr, "%s: bulkstat of allocation group %u of '%s' "
			"failed: %s\n", PROGNAME, ctx.error_ag,
			hsm_fs_mountpoint(fs), strerror(-ctx.error));
		res->failed = true;
		ret = HSM_EX_OPERATIONAL;
	}
	if (res->complete && opts->quick) {
		int error = index_save(hsm_fs_uuid(fs), started, &res->tagged);

		if (error) {
			fprintf(stderr, "%s: cannot write the record index in "
				"'%s': %s\n", PROGNAME, opts->state_dir,
				strerror(-error));
			ret |= HSM_EX_PROBLEMS;
		}
	}
out:
	checkpoint_close(ctx.cp, res->complete);
	index_free(ctx.ix);
	free(ctx.order);
	free(ctx.ags);
	pthread_mutex_destroy(&ctx.lock);
	pthread_cond_destroy(&ctx.done_cond);
	return ret;
}
