// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * policy_select.c - which files a space policy run moves, and in what
 * order: DMF's weighted score of age and size, highest first.
 *
 * Age is the time since the later of the file's atime and mtime, as
 * bulkstat gives them.  atime alone would be wrong under noatime (never
 * updated) and coarse under relatime (updated once a day at most), mtime
 * alone would release files read every hour; the later of the two is
 * what both allow.  The HSM's own IO goes through handles and moves
 * neither.
 *
 * Above the high mark, archived clean files are released first (no data
 * moves: instant), then files that need a copy are migrated and
 * released, until the low mark.  Above the premigrate mark only, files
 * are archived (--keep) until the dual-state bytes would take the
 * filesystem from the high mark to the low one at once.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "xfs_hsm.h"
#include "policy.h"

static bool
listed(
	const uint32_t	*ids,
	unsigned	n,
	uint32_t	id)
{
	unsigned	i;

	for (i = 0; i < n; i++)
		if (ids[i] == id)
			return true;
	return false;
}

bool
policy_may_consider(
	const struct space_policy *p,
	int64_t			now,
	const struct hsm_inode	*in)
{
	int64_t			last = in->mtime_sec > in->atime_sec ?
				       in->mtime_sec : in->atime_sec;

	if (!S_ISREG(in->mode) || listed(p->excl_uid, p->n_uid, in->uid) ||
	    listed(p->excl_gid, p->n_gid, in->gid) ||
	    listed(p->excl_proj, p->n_proj, in->projid))
		return false;
	if (in->size < p->min_size || now - last < (int64_t)p->min_age)
		return false;
	return in->blocks != 0;		/* else nothing to free */
}

bool
policy_consider(
	const struct space_policy *p,
	int64_t			now,
	const struct hsm_inode	*in,
	const struct hsm_status	*st,
	bool			has_status,
	struct candidate	*c)
{
	const struct hsm_record	*r = has_status && st->has_record ?
				     &st->rec : NULL;
	int64_t			last = in->mtime_sec > in->atime_sec ?
				       in->mtime_sec : in->atime_sec;

	if (!policy_may_consider(p, now, in))
		return false;
	memset(c, 0, sizeof(*c));
	c->ino = in->ino;
	c->gen = in->gen;
	c->size = in->size;
	c->resident = in->blocks * 512;
	c->last = last;
	c->age = now - last;
	c->state = has_status ? st->state : HSM_STATE_RESIDENT;
	c->dirty = has_status && st->dirty;
	c->has_record = r != NULL;
	if (!c->resident)
		return false;			/* nothing to free */
	if (r && (r->pending || (r->flags & (HSM_F_LOST | HSM_F_NORELEASE))))
		return false;			/* busy, broken or pinned */
	if ((c->state == HSM_STATE_ARCHIVED ||
	     c->state == HSM_STATE_PARTIAL) && !c->dirty) {
		c->can = ACT_RELEASE;
	} else if (c->state == HSM_STATE_RESIDENT || c->dirty) {
		/* no copy, or a stale one: archive first */
		if (r && (r->flags & HSM_F_NOARCHIVE))
			return false;
		c->can = ACT_MIGRATE;
	} else {
		return false;
	}
	policy_age(p, now, c);
	return true;
}

void
policy_sans_age(
	const struct space_policy *p,
	struct space_policy	*q)
{
	*q = *p;
	q->min_age = 0;
}

void
policy_age(
	const struct space_policy *p,
	int64_t			now,
	struct candidate	*c)
{
	c->age = now - c->last;
	c->skip = c->can == ACT_NONE || c->age < (int64_t)p->min_age;
	c->score = p->age_weight * (double)c->age / 86400 +
		   p->size_weight * (double)c->size / (1 << 20);
}

/* Highest score first; then more to free; then inode order. */
static int
by_score(
	const void		*a,
	const void		*b)
{
	const struct candidate	*x = a, *y = b;

	if (x->score != y->score)
		return x->score < y->score ? 1 : -1;
	if (x->resident != y->resident)
		return x->resident < y->resident ? 1 : -1;
	return x->ino < y->ino ? -1 : x->ino > y->ino;
}

struct budget {
	const struct space_policy *p;
	uint64_t	files, bytes;	/* chosen so far */
};

static bool
fits(
	struct budget		*b,
	const struct candidate	*c)
{
	if (b->p->max_files && b->files + 1 > b->p->max_files)
		return false;
	if (b->p->max_bytes && b->bytes + c->resident > b->p->max_bytes)
		return false;
	b->files++;
	b->bytes += c->resident;
	return true;
}

/* Choose files whose action is @from, as @to, until @want bytes. */
static uint64_t
take(
	struct budget		*b,
	struct candidate	*cands,
	size_t			n,
	enum cand_action	from,
	enum cand_action	to,
	uint64_t		got,
	uint64_t		want,
	bool			*chosen)
{
	size_t			i;

	for (i = 0; i < n && got < want; i++) {
		if (chosen[i] || cands[i].can != from || cands[i].done ||
		    cands[i].skip || cands[i].error || !fits(b, &cands[i]))
			continue;
		chosen[i] = true;
		cands[i].action = to;
		got += cands[i].resident;
	}
	return got;
}

enum trigger
policy_choose(
	const struct space_policy *p,
	const struct space_now	*sp,
	uint64_t		dual_bytes,
	struct candidate	*cands,
	size_t			n,
	uint64_t		*want)
{
	uint64_t		high = watermark_bytes(&p->high, sp->total);
	uint64_t		low = watermark_bytes(&p->low, sp->total);
	uint64_t		pre = watermark_bytes(&p->premigrate, sp->total);
	struct budget		b = { .p = p };
	enum trigger		t = TRIGGER_NONE;
	bool			*chosen;
	uint64_t		got;
	size_t			i;

	/* what earlier rounds moved counts against the budget */
	for (i = 0; i < n; i++)
		if (cands[i].done) {
			b.files++;
			b.bytes += cands[i].resident;
		}
	*want = 0;
	chosen = calloc(n ? n : 1, sizeof(*chosen));
	if (!chosen)
		return TRIGGER_NONE;
	qsort(cands, n, sizeof(*cands), by_score);
	if (sp->used > high) {
		t = TRIGGER_HIGH;
		*want = sp->used - low;
		got = take(&b, cands, n, ACT_RELEASE, ACT_RELEASE, 0, *want,
			   chosen);
		take(&b, cands, n, ACT_MIGRATE, ACT_MIGRATE, got, *want,
		     chosen);
	} else if (p->premigrate_set && sp->used > pre &&
		   dual_bytes < high - low) {
		t = TRIGGER_PREMIGRATE;
		*want = high - low - dual_bytes;
		take(&b, cands, n, ACT_MIGRATE, ACT_PREMIGRATE, 0, *want,
		     chosen);
	} else if (p->premigrate_set && sp->used > pre) {
		t = TRIGGER_PREMIGRATE;	/* enough is dual-state already */
	}
	for (i = 0; i < n; i++)
		if (!chosen[i] && !cands[i].done && !cands[i].error)
			cands[i].action = ACT_NONE;
	free(chosen);
	return t;
}
