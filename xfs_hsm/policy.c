// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * policy.c - xfs_hsm policy: one run of the space policy of a filesystem
 * (xfs_hsm.conf(5)).  Candidates come from bulkstat, never from a
 * directory walk: a file the record rule says has no record is resident
 * without reading anything, the others are read by handle.  What moves
 * goes through libhsm's batches by inode, as every other command does.
 *
 * The set a run found is saved (policy_cache.c); the next run reads only
 * what the change journal says changed since (policy_journal.c), when it
 * vouches for the whole period, and a full scan otherwise.  A saved
 * entry can be stale in what no change event reports (atime, what HSM
 * operations did to it): every file chosen from the saved set is read
 * live, and the choice made again, before anything moves.
 */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/statvfs.h>
#include <json-c/json.h>
#include "xfs_hsm.h"
#include "policy.h"
#include "policy_journal.h"
#include "strutils.h"

static const char *const action_names[] = {
	[ACT_NONE] = "none", [ACT_RELEASE] = "release",
	[ACT_MIGRATE] = "migrate", [ACT_PREMIGRATE] = "premigrate",
};
static const char *const trigger_names[] = {
	[TRIGGER_NONE] = "none", [TRIGGER_HIGH] = "high_watermark",
	[TRIGGER_PREMIGRATE] = "premigrate_watermark",
};

struct run {
	const char		*mnt;
	struct hsm_fs		*fs;
	struct space_policy	p;
	struct space_policy	q;		/* p without min_age */
	bool			dry_run, json;
	unsigned		jobs;		/* walkers, batch threads */
	struct candidate	*cands;
	size_t			n;
	uint64_t		examined, unreadable, dual;
	struct space_now	before, after;
	enum trigger		trigger;
	uint64_t		want;
	uint64_t		moved[4], moved_bytes[4], failed, in_use;
	double			t0;
	struct hsm_record_rule	rule;
	struct journal_plan	jp;
	int64_t			scanned_ns;	/* of the set's full scan */
	uint64_t		verified, dropped;
};

void
policy_help(void)
{
	printf("Usage:\n %s policy [--config <file>] [-n] [--json] "
	       "[-j <n>] <mount>\n\n", PROGNAME);
	printf("Run the space policy of a filesystem once: above the high "
	       "watermark, release\narchived files, then migrate and release "
	       "more, until the low watermark; above\nthe premigrate "
	       "watermark, archive files ahead of need.  Files are ranked "
	       "by\nage and size; pinned, dirty-and-open, young and small "
	       "files are left alone.\n\nOptions:\n");
	printf(
"     --config <file>   the policy (default %s)\n"
" -n, --dry-run         say what would move and why, move nothing\n"
"     --json            one JSON document on stdout\n"
" -j, --jobs <n>        allocation groups walked and files copied at\n"
"                       once (default: the number of CPUs)\n"
" -h, --help            display this help\n", POLICY_CONFIG);
	printf("\nSee xfs_hsm(8) and xfs_hsm.conf(5).\n");
}

static double
now_s(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int
space_now(
	const char		*mnt,
	struct space_now	*sp)
{
	struct statvfs		v;

	if (statvfs(mnt, &v) < 0)
		return -errno;
	sp->total = (uint64_t)v.f_blocks * v.f_frsize;
	sp->used = (uint64_t)(v.f_blocks - v.f_bfree) * v.f_frsize;
	return 0;
}

static double
pct(
	uint64_t	used,
	uint64_t	total)
{
	return total ? 100.0 * used / total : 0;
}

/* One walker: allocation groups taken in turn, candidates of its own. */
struct walker {
	struct run		*r;
	const struct hsm_record_rule *rule;
	pthread_t		thread;
	struct candidate	*cands;
	size_t			n, alloc;
	uint64_t		examined, unreadable;
	int			error;
};

static pthread_mutex_t	walk_lock = PTHREAD_MUTEX_INITIALIZER;
static uint32_t		walk_next_ag, walk_agcount;
static uint64_t		walk_examined;	/* all walkers, for progress */
static unsigned		walk_running;

static int
push(
	struct walker		*w,
	const struct candidate	*c)
{
	if (w->n == w->alloc) {
		size_t na = w->alloc ? 2 * w->alloc : 4096;
		void *p = realloc(w->cands, na * sizeof(*w->cands));

		if (!p)
			return -ENOMEM;
		w->cands = p;
		w->alloc = na;
	}
	w->cands[w->n++] = *c;
	return 0;
}

/* The regular files of allocation group @agno that may move. */
static int
walk_ag(
	struct walker		*w,
	uint32_t		agno,
	int64_t			now)
{
	struct hsm_bulkstat_ahead *ra;
	const struct hsm_inode	*in;
	struct hsm_status	st;
	struct candidate	c;
	unsigned		nr, i;
	int			error;

	/* the next batch is read while this one is weighed */
	error = hsm_bulkstat_ahead_open(w->r->fs, agno, 0, 1024, &ra);
	if (error)
		return error;
	while (!(error = hsm_bulkstat_ahead_next(ra, &in, &nr, NULL))) {
		for (i = 0; i < nr && !error; i++) {
			bool has = false;

			w->examined++;
			/* a record is read only where bulkstat leaves the
			 * file a candidate, and where one can be */
			if (!policy_may_consider(&w->r->q, now, &in[i]))
				continue;
			if (hsm_inode_may_hold_record(w->rule, &in[i])) {
				int e = hsm_inode_status(w->r->fs, &in[i], &st);

				if (e == -ESTALE)
					continue;	/* deleted since */
				if (e) {
					w->unreadable++;
					continue;
				}
				has = true;
			}
			if (!policy_consider(&w->r->q, now, &in[i], &st, has,
					     &c))
				continue;
			error = push(w, &c);
		}
		__atomic_add_fetch(&walk_examined, nr, __ATOMIC_RELAXED);
		if (error)
			break;		/* out of memory */
	}
	hsm_bulkstat_ahead_free(ra);
	return error < 0 ? error : 0;
}

static void *
walker_main(
	void			*arg)
{
	struct walker		*w = arg;
	int64_t			now = time(NULL);
	uint32_t		agno;

	while (!w->error) {
		pthread_mutex_lock(&walk_lock);
		agno = walk_next_ag++;
		pthread_mutex_unlock(&walk_lock);
		if (agno >= walk_agcount)
			break;
		w->error = walk_ag(w, agno, now);
	}
	__atomic_sub_fetch(&walk_running, 1, __ATOMIC_RELEASE);
	return NULL;
}

/*
 * Every regular file that may move: one bulkstat walker per allocation
 * group, -j of them at once, as xfs_hsmscan does.
 */
static int
collect(
	struct run		*r)
{
	struct hsm_fs_geom	geo;
	struct walker		*ws;
	bool			tty = isatty(STDERR_FILENO) && !r->json;
	unsigned		n, i;
	size_t			total = 0;
	int			error;

	error = hsm_fs_geometry(r->fs, &geo);
	if (error)
		return error;
	walk_agcount = geo.agcount;
	walk_next_ag = 0;
	n = r->jobs < geo.agcount ? r->jobs : geo.agcount;
	ws = calloc(n, sizeof(*ws));
	if (!ws)
		return -ENOMEM;
	walk_running = n;
	for (i = 0; i < n; i++) {
		ws[i].r = r;
		ws[i].rule = &r->rule;
		if (pthread_create(&ws[i].thread, NULL, walker_main, &ws[i])) {
			ws[i].error = -EAGAIN;
			__atomic_sub_fetch(&walk_running, 1, __ATOMIC_RELEASE);
		}
	}
	/* on a terminal: inodes examined so far */
	while (tty && __atomic_load_n(&walk_running, __ATOMIC_ACQUIRE)) {
		usleep(250000);
		fprintf(stderr, "\rpolicy: %" PRIu64 " inodes examined",
			__atomic_load_n(&walk_examined, __ATOMIC_RELAXED));
	}
	if (tty)
		fprintf(stderr, "\r\033[K");
	for (i = 0; i < n; i++) {
		if (ws[i].error != -EAGAIN)
			pthread_join(ws[i].thread, NULL);
		total += ws[i].n;
		if (ws[i].error && !error)
			error = ws[i].error;
	}
	r->cands = error ? NULL : malloc((total ? total : 1) *
					 sizeof(*r->cands));
	if (!error && !r->cands)
		error = -ENOMEM;
	for (i = 0; i < n; i++) {
		if (!error) {
			memcpy(r->cands + r->n, ws[i].cands,
			       ws[i].n * sizeof(*r->cands));
			r->n += ws[i].n;
		}
		r->examined += ws[i].examined;
		r->unreadable += ws[i].unreadable;
		free(ws[i].cands);
	}
	free(ws);
	return error;
}

/* @in as a member of the saved set (min_age aside), read live. */
static bool
consider_live(
	struct run		*r,
	int64_t			now,
	const struct hsm_inode	*in,
	struct candidate	*c)
{
	struct hsm_status	st;
	bool			has = false;
	int			e;

	if (!policy_may_consider(&r->q, now, in))
		return false;
	if (hsm_inode_may_hold_record(&r->rule, in)) {
		e = hsm_inode_status(r->fs, in, &st);
		if (e == -ESTALE)
			return false;		/* deleted since */
		if (e) {
			r->unreadable++;
			return false;
		}
		has = true;
	}
	return policy_consider(&r->q, now, in, &st, has, c);
}

static int
cand_by_ino(
	const void		*a,
	const void		*b)
{
	const struct candidate	*x = a, *y = b;

	return x->ino < y->ino ? -1 : x->ino > y->ino;
}

/*
 * The saved set brought up to date: every entry of the directories the
 * journal says changed is read again, and added, updated or dropped.
 * The saved entries are in inode order.
 */
struct refresh_ctx {
	struct run		*r;
	size_t			base, cap;
	int64_t			now;
};

/* One inode of a changed directory, as it is now (@in NULL: gone). */
static int
refresh_one(
	void			*arg,
	uint64_t		ino,
	const struct hsm_inode	*in)
{
	struct refresh_ctx	*x = arg;
	struct run		*r = x->r;
	struct candidate	key = { .ino = ino }, c, *at, *m;

	r->examined++;
	at = bsearch(&key, r->cands, x->base, sizeof(*r->cands), cand_by_ino);
	/* not changed since the last run read it: as saved (its times
	 * from here, as they are free), and no record read */
	if (in && in->ctime_sec * 1000000000LL + in->ctime_nsec <
		  r->jp.since_ns && (!at || at->gen == in->gen)) {
		if (at)
			at->last = in->mtime_sec > in->atime_sec ?
				   in->mtime_sec : in->atime_sec;
		return 0;
	}
	if (!in || !consider_live(r, x->now, in, &c)) {
		if (at)
			at->can = ACT_NONE;	/* dropped */
		return 0;
	}
	c.verified = true;
	if (at) {
		*at = c;
		return 0;
	}
	if (r->n == x->cap) {
		x->cap = x->cap ? 2 * x->cap : 1024;
		m = realloc(r->cands, x->cap * sizeof(*m));
		if (!m)
			return -ENOMEM;
		r->cands = m;
	}
	r->cands[r->n++] = c;
	return 0;
}

/*
 * The saved set brought up to date: every entry of the directories the
 * journal says changed is read again, and added, updated or dropped.
 * The saved entries are in inode order.
 */
static int
refresh(
	struct run		*r)
{
	struct refresh_ctx	x = { .r = r, .base = r->n, .cap = r->n,
				      .now = time(NULL) };
	uint64_t		*inos;
	size_t			n;
	int			error;

	error = policy_journal_inodes(r->fs, &r->jp, &inos, &n);
	if (!error)
		error = policy_stat_each(r->fs, inos, n, refresh_one, &x);
	free(inos);
	return error;
}

/* The set: saved and brought up to date, or from a full scan. */
static int
discover(
	struct run		*r)
{
	struct policy_cache	pc;
	const char		*why = NULL;
	int			cerr, error;

	policy_sans_age(&r->p, &r->q);
	error = hsm_fs_record_rule(r->fs, &r->rule);
	if (error)
		return error;
	cerr = r->p.full_scan_interval ? policy_cache_load(r->fs, &pc, &why) :
					 -ENOENT;
	error = policy_journal_plan(r->fs, &r->p, &pc, cerr, why, &r->jp);
	if (!error && r->jp.use) {
		r->cands = pc.c;
		r->n = pc.n;
		r->scanned_ns = pc.scanned_ns;
		return refresh(r);
	}
	if (!cerr)
		free(pc.c);
	if (error)
		return error;
	r->scanned_ns = (int64_t)time(NULL) * 1000000000LL;
	return collect(r);
}

/* Ages and scores now; the dual-state bytes among the candidates. */
static void
weigh(
	struct run		*r)
{
	int64_t			now = time(NULL);
	size_t			i;

	r->dual = 0;
	for (i = 0; i < r->n; i++) {
		policy_age(&r->p, now, &r->cands[i]);
		if (!r->cands[i].skip && r->cands[i].can == ACT_RELEASE)
			r->dual += r->cands[i].resident;
	}
}

/*
 * Read every chosen file not read live in this run; true if any of them
 * is not what the saved set said (gone, changed, younger, busier), and
 * the choice must be made again.
 */
static bool
verify_chosen(
	struct run		*r)
{
	struct candidate	*c, nc;
	struct hsm_inode	in;
	int64_t			now = time(NULL);
	bool			changed = false;
	size_t			i;
	int			rc;

	for (i = 0; i < r->n; i++) {
		c = &r->cands[i];
		if (c->action == ACT_NONE || c->verified || c->done)
			continue;
		r->verified++;
		rc = policy_stat_one(r->fs, c->ino, &in);
		if (rc || !consider_live(r, now, &in, &nc)) {
			c->can = ACT_NONE;
			c->action = ACT_NONE;
			c->skip = true;
			c->verified = true;
			r->dropped++;
			changed = true;
			continue;
		}
		nc.verified = true;
		policy_age(&r->p, now, &nc);
		if (nc.skip || nc.can != c->can || nc.gen != c->gen ||
		    nc.resident != c->resident || nc.score != c->score)
			changed = true;
		nc.action = c->action;
		*c = nc;
	}
	return changed;
}

/* policy_choose(), from files known to be what the choice takes them
 * for: with a saved set, the chosen are read live first. */
static enum trigger
choose(
	struct run		*r,
	const struct space_policy *p,
	const struct space_now	*sp,
	bool			count_dual,
	uint64_t		*want)
{
	enum trigger		t;

	t = policy_choose(p, sp, count_dual ? r->dual : 0, r->cands, r->n,
			  want);
	while (r->jp.use && verify_chosen(r)) {
		weigh(r);
		t = policy_choose(p, sp, count_dual ? r->dual : 0, r->cands,
				  r->n, want);
	}
	return t;
}

/* What the run did, into the saved set; then the set, saved. */
static void
save_set(
	struct run		*r)
{
	struct policy_cache	pc = { 0 };
	struct candidate	*c;
	size_t			i;
	int			error;

	if (!r->jp.known)
		return;			/* no journal position to pin it to */
	for (i = 0; i < r->n; i++) {
		c = &r->cands[i];
		if (!c->done)
			continue;
		if (c->action == ACT_PREMIGRATE) {
			c->can = ACT_RELEASE;
			c->state = HSM_STATE_ARCHIVED;
			c->dirty = false;
			c->has_record = true;
		} else {
			c->can = ACT_NONE;	/* released: nothing to free */
		}
	}
	pc.fingerprint = policy_fingerprint(&r->p);
	pc.journal_created_ns = r->jp.created_ns;
	pc.epoch = r->jp.epoch;
	pc.scanned_ns = r->scanned_ns;
	pc.c = r->cands;
	pc.n = r->n;
	error = policy_cache_save(r->fs, &pc);
	if (error)
		fprintf(stderr, "%s: policy: warning: cannot save the candidate "
			"set of %s (%s): the next run scans in full\n",
			PROGNAME, r->mnt, strerror(-error));
}

static size_t
candidates(
	const struct run	*r)
{
	size_t			i, n = 0;

	for (i = 0; i < r->n; i++)
		n += !r->cands[i].skip;
	return n;
}

static void
batch_done(
	void				*arg,
	const struct hsm_item_result	*res)
{
	struct candidate		*c = res->cookie;
	struct run			*r = arg;

	c->error = res->error;
	c->done = !res->error && res->outcome == HSM_DONE;
	if (res->error == -EBUSY || res->error == -ESTALE) {
		/* open for writing, or written while copied: not a fault,
		 * and the file stays as it is */
		r->in_use++;
		if (verbose)
			fprintf(stderr, "%s: policy: inode %" PRIu64 " (gen %u)"
				" in use, left alone\n", PROGNAME, c->ino,
				c->gen);
		return;
	}
	if (res->error) {
		r->failed++;
		fprintf(stderr, "%s: policy: cannot %s inode %" PRIu64
				" (gen %u): %s\n", PROGNAME,
				action_names[c->action], c->ino, c->gen,
				res->detail ? res->detail :
				file_error_reason(r->fs, res->error));
		return;
	}
	if (c->done) {
		r->moved[c->action]++;
		r->moved_bytes[c->action] += c->resident;
	}
}

static bool
todo(
	const struct candidate	*c,
	enum cand_action	a)
{
	return c->action == a && !c->done && !c->error;
}

/* One batch run of every chosen file with action @a not yet tried. */
static int
run_action(
	struct run		*r,
	enum cand_action	a)
{
	struct hsm_batch_limits	lim = { .threads = r->jobs };
	struct hsm_batch	*b;
	struct hsm_inode	in;
	enum hsm_command	cmd = a == ACT_RELEASE ? HSM_CMD_RELEASE :
					       HSM_CMD_MIGRATE;
	unsigned		flags = a == ACT_PREMIGRATE ?
					HSM_MIGRATE_KEEP : 0;

	if (cmd == HSM_CMD_MIGRATE)
		flags |= HSM_MIGRATE_COPIES(r->p.copies ? r->p.copies : 1);
	size_t			i;
	int			error = 0;

	for (i = 0; i < r->n && !todo(&r->cands[i], a); i++)
		;
	if (i == r->n)
		return 0;			/* nothing chosen for @a */
	error = hsm_batch_new(r->fs, cmd, flags, batch_done, r, &b);
	if (error)
		return error;
	hsm_batch_set_limits(b, &lim);
	for (; i < r->n && !error; i++) {
		if (!todo(&r->cands[i], a))
			continue;
		memset(&in, 0, sizeof(in));
		in.ino = r->cands[i].ino;
		in.gen = r->cands[i].gen;
		error = hsm_batch_add_inode(b, &in, NULL, &r->cands[i]);
	}
	if (!error)
		error = hsm_batch_flush(b);
	hsm_batch_free(b);
	return error;
}

static const char *
age_str(
	int64_t		s,
	char		*buf,
	size_t		size)
{
	if (s >= 86400)
		snprintf(buf, size, "%" PRId64 "d", s / 86400);
	else if (s >= 3600)
		snprintf(buf, size, "%" PRId64 "h", s / 3600);
	else
		snprintf(buf, size, "%" PRId64 "m", s / 60);
	return buf;
}

static const char *
state_str(
	const struct candidate	*c)
{
	if (!c->has_record)
		return "resident";
	if (c->dirty)
		return "dirty";
	return hsm_state_name(c->state);
}

static void
print_file_text(
	const struct run	*r,
	const struct candidate	*c)
{
	char			sz[32], age[32];

	printf("%s%-10s score %.2f  %s  age %s  %s  inode %" PRIu64
	       " (gen %u)%s\n", r->dry_run ? "would " : "",
	       action_names[c->action], c->score,
	       human(c->resident, sz, sizeof(sz)),
	       age_str(c->age, age, sizeof(age)), state_str(c), c->ino,
	       c->gen, r->dry_run || !c->error ? "" :
	       c->error == -EBUSY || c->error == -ESTALE ? ": in use, left alone" :
	       ": failed");
}

static struct json_object *
file_json(
	const struct run	*r,
	const struct candidate	*c)
{
	struct json_object	*o = json_object_new_object();

	json_object_object_add(o, "ino", json_object_new_uint64(c->ino));
	json_object_object_add(o, "gen", json_object_new_uint64(c->gen));
	json_object_object_add(o, "action",
			json_object_new_string(action_names[c->action]));
	json_object_object_add(o, "score", json_object_new_double(c->score));
	json_object_object_add(o, "size", json_object_new_uint64(c->size));
	json_object_object_add(o, "resident_bytes",
			json_object_new_uint64(c->resident));
	json_object_object_add(o, "age_seconds",
			json_object_new_int64(c->age));
	json_object_object_add(o, "state",
			json_object_new_string(state_str(c)));
	if (!r->dry_run)
		json_object_object_add(o, "result", json_object_new_string(
				c->error == -EBUSY || c->error == -ESTALE ?
				"in use" : c->error ? "failed" : c->done ?
				"done" : "nothing to do"));
	return o;
}

static void
report(
	struct run		*r)
{
	struct json_object	*o, *files, *s;
	uint64_t		chosen[4] = { 0 }, bytes[4] = { 0 };
	char			b1[32], b2[32], b3[32], b4[32];
	double			secs = now_s() - r->t0;
	size_t			i;

	for (i = 0; i < r->n; i++) {
		chosen[r->cands[i].action]++;
		bytes[r->cands[i].action] += r->cands[i].resident;
	}
	if (r->dry_run) {
		/* what the run would leave: releases free what they hold */
		r->after = r->before;
		r->after.used -= bytes[ACT_RELEASE] + bytes[ACT_MIGRATE] <
				 r->after.used ? bytes[ACT_RELEASE] +
				 bytes[ACT_MIGRATE] : r->after.used;
	}
	if (!r->json) {
		for (i = 0; i < r->n; i++)
			if (r->cands[i].action != ACT_NONE)
				print_file_text(r, &r->cands[i]);
		printf("policy %s: %s; used %.1f%% (%s of %s), high %s, "
		       "low %s\n", r->mnt, r->trigger == TRIGGER_NONE ?
		       "below the watermarks, nothing to do" :
		       r->trigger == TRIGGER_HIGH ? "above the high watermark" :
		       "above the premigrate watermark",
		       pct(r->before.used, r->before.total),
		       human(r->before.used, b1, sizeof(b1)),
		       human(r->before.total, b2, sizeof(b2)),
		       human(watermark_bytes(&r->p.high, r->before.total), b3,
			     sizeof(b3)),
		       human(watermark_bytes(&r->p.low, r->before.total), b4,
			     sizeof(b4)));
		printf("%s %" PRIu64 " files released (%s), %" PRIu64
		       " migrated and released (%s), %" PRIu64 " premigrated"
		       " (%s)%s\n", r->dry_run ? "would have" : "moved:",
		       r->dry_run ? chosen[ACT_RELEASE] : r->moved[ACT_RELEASE],
		       human(r->dry_run ? bytes[ACT_RELEASE] :
			     r->moved_bytes[ACT_RELEASE], b1, sizeof(b1)),
		       r->dry_run ? chosen[ACT_MIGRATE] : r->moved[ACT_MIGRATE],
		       human(r->dry_run ? bytes[ACT_MIGRATE] :
			     r->moved_bytes[ACT_MIGRATE], b2, sizeof(b2)),
		       r->dry_run ? chosen[ACT_PREMIGRATE] :
				    r->moved[ACT_PREMIGRATE],
		       human(r->dry_run ? bytes[ACT_PREMIGRATE] :
			     r->moved_bytes[ACT_PREMIGRATE], b3, sizeof(b3)),
		       r->failed ? "; some failed" : "");
		if (r->in_use)
			printf("left alone: %" PRIu64 " files in use\n",
			       r->in_use);
		if (r->jp.use)
			printf("discovery: journal, %zu changed director%s "
			       "(epochs %" PRIu64 "-%" PRIu64 "), %" PRIu64
			       " saved candidates read live, %" PRIu64
			       " dropped\n", r->jp.ndirs,
			       r->jp.ndirs == 1 ? "y" : "ies", r->jp.from,
			       r->jp.epoch - 1, r->verified, r->dropped);
		else
			printf("discovery: full scan, because %s\n",
			       r->jp.why);
		printf("used %s %.1f%%; %" PRIu64 " inodes examined, %zu "
		       "candidates, %.2f s\n", r->dry_run ? "would be" :
		       "now", pct(r->after.used, r->after.total), r->examined,
		       candidates(r), secs);
		return;
	}
	o = json_object_new_object();
	json_add_path(o, r->mnt);
	json_object_object_add(o, "dry_run",
			       json_object_new_boolean(r->dry_run));
	json_object_object_add(o, "trigger", json_object_new_string(
			       trigger_names[r->trigger]));
	files = json_object_new_array();
	for (i = 0; i < r->n; i++)
		if (r->cands[i].action != ACT_NONE)
			json_object_array_add(files,
					      file_json(r, &r->cands[i]));
	json_object_object_add(o, "files", files);
	s = json_object_new_object();
	json_object_object_add(s, "total_bytes",
			       json_object_new_uint64(r->before.total));
	json_object_object_add(s, "used_before",
			       json_object_new_uint64(r->before.used));
	json_object_object_add(s, "used_after",
			       json_object_new_uint64(r->after.used));
	json_object_object_add(s, "high_watermark", json_object_new_uint64(
			watermark_bytes(&r->p.high, r->before.total)));
	json_object_object_add(s, "low_watermark", json_object_new_uint64(
			watermark_bytes(&r->p.low, r->before.total)));
	json_object_object_add(s, "aim_bytes", json_object_new_uint64(r->want));
	for (i = ACT_RELEASE; i <= ACT_PREMIGRATE; i++) {
		char key[40];

		snprintf(key, sizeof(key), "%s_files", action_names[i]);
		json_object_object_add(s, key, json_object_new_uint64(
				r->dry_run ? chosen[i] : r->moved[i]));
		snprintf(key, sizeof(key), "%s_bytes", action_names[i]);
		json_object_object_add(s, key, json_object_new_uint64(
				r->dry_run ? bytes[i] : r->moved_bytes[i]));
	}
	json_object_object_add(s, "failed", json_object_new_uint64(r->failed));
	json_object_object_add(s, "in_use", json_object_new_uint64(r->in_use));
	json_object_object_add(s, "inodes_examined",
			       json_object_new_uint64(r->examined));
	json_object_object_add(s, "candidates",
			       json_object_new_uint64(candidates(r)));
	json_object_object_add(s, "unreadable_records",
			       json_object_new_uint64(r->unreadable));
	json_object_object_add(s, "seconds", json_object_new_double(secs));
	json_object_object_add(o, "summary", s);
	s = json_object_new_object();
	json_object_object_add(s, "mode", json_object_new_string(
			       r->jp.use ? "journal" : "full_scan"));
	json_object_object_add(s, "reason", r->jp.use ? NULL :
			       json_object_new_string(r->jp.why));
	json_object_object_add(s, "changed_directories",
			       json_object_new_uint64(r->jp.ndirs));
	json_object_object_add(s, "epoch_from", r->jp.use ?
			       json_object_new_uint64(r->jp.from) : NULL);
	json_object_object_add(s, "epoch_to", r->jp.use ?
			       json_object_new_uint64(r->jp.epoch - 1) : NULL);
	json_object_object_add(s, "verified",
			       json_object_new_uint64(r->verified));
	json_object_object_add(s, "dropped",
			       json_object_new_uint64(r->dropped));
	json_object_object_add(o, "discovery", s);
	printf("%s\n", json_object_to_json_string_ext(o,
			JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
}

int
policy_f(
	int			argc,
	char			**argv)
{
	static const struct option longopts[] = {
		{ "config",	required_argument, NULL, 'C' },
		{ "dry-run",	no_argument,	   NULL, 'n' },
		{ "json",	no_argument,	   NULL, 'J' },
		{ "jobs",	required_argument, NULL, 'j' },
		{ "help",	no_argument,	   NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	long			cpus = sysconf(_SC_NPROCESSORS_ONLN);
	struct run		r = { .jobs = cpus > 0 ? cpus : 1 };
	const char		*config = NULL;
	char			*real;
	enum cand_action	a;
	unsigned		round;
	int			c, error;

	while ((c = getopt_long(argc, argv, "nj:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'C':
			config = optarg;
			break;
		case 'n':
			r.dry_run = true;
			break;
		case 'J':
			r.json = true;
			break;
		case 'j':
			if (parse_uint(optarg, 1, 64, &r.jobs)) {
				fprintf(stderr, "%s: policy: invalid --jobs "
					"'%s'\n", PROGNAME, optarg);
				errtryhelp(HSM_EX_USAGE);
			}
			break;
		case 'h':
			policy_help();
			return 0;
		default:
			errtryhelp(HSM_EX_USAGE);
		}
	}
	if (optind != argc - 1) {
		fprintf(stderr, "%s: policy: %s\n", PROGNAME, optind >= argc ?
			"missing mount point" : "one mount point only");
		errtryhelp(HSM_EX_USAGE);
	}
	require_root();
	r.fs = fs_named(argv[optind], !r.dry_run);
	if (!r.fs)
		return 0;		/* reported, exitcode set */
	r.mnt = hsm_fs_mountpoint(r.fs);
	real = realpath(argv[optind], NULL);
	if (!real || strcmp(real, r.mnt)) {
		fprintf(stderr, "%s: policy: '%s' is not a mount point (a "
			"policy covers a whole filesystem: give '%s')\n",
			PROGNAME, argv[optind], r.mnt);
		free(real);
		exitcode |= HSM_EX_USAGE;
		return 0;
	}
	free(real);
	if (policy_read(config ? config : POLICY_CONFIG, config != NULL,
			r.mnt, &r.p, NULL)) {
		exitcode |= HSM_EX_USAGE;
		return 0;
	}
	r.t0 = now_s();
	error = space_now(r.mnt, &r.before);
	if (!error)
		error = discover(&r);
	if (error) {
		fprintf(stderr, "%s: policy: %s: %s\n", PROGNAME, r.mnt,
			strerror(-error));
		exitcode |= HSM_EX_OPERATIONAL;
		free(r.cands);
		policy_journal_free(&r.jp);
		return 0;
	}
	weigh(&r);
	r.trigger = choose(&r, &r.p, &r.before, true, &r.want);
	r.after = r.before;
	/*
	 * A file in use or failing frees nothing: choose again from the
	 * rest, a few times, while the high mark's run is short.
	 */
	for (round = 0; !r.dry_run && !error && round < 4; round++) {
		uint64_t skipped = r.in_use + r.failed, want;
		struct space_policy cont = r.p;

		for (a = ACT_RELEASE; a <= ACT_PREMIGRATE && !error; a++) {
			error = run_action(&r, a);
			if (error) {
				fprintf(stderr, "%s: policy: %s: %s: %s\n",
					PROGNAME, r.mnt, action_names[a],
					file_error_reason(r.fs, error));
				exitcode |= HSM_EX_OPERATIONAL;
			}
		}
		if (space_now(r.mnt, &r.after))
			r.after = r.before;
		if (r.trigger != TRIGGER_HIGH || r.in_use + r.failed == skipped ||
		    r.after.used <= watermark_bytes(&r.p.low, r.after.total))
			break;
		/* on to the low mark, from wherever the last round left */
		cont.high = cont.low;
		choose(&r, &cont, &r.after, false, &want);
	}
	if (r.failed)
		exitcode |= HSM_EX_PROBLEMS;
	report(&r);
	save_set(&r);
	free(r.cands);
	policy_journal_free(&r.jp);
	return 0;
}
