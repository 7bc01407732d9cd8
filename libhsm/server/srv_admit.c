// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * srv_admit.c - recall admission: which readers may bring released data
 * back, how fast, and in which mode.
 *
 * A backup, an indexer or a virus scanner that walks a filesystem would
 * otherwise recall all of it.  The first rule whose criteria all hold for
 * the process raising the event decides, once per event on released data
 * (a resident file never gets here: it is silenced at its first event):
 *
 *  - deny: the reader gets the rule's errno and the file stays released;
 *    in audit mode the reader goes on and "would deny" is logged;
 *  - limit: each recall waits its turn.  A rule paces its recalls and
 *    their bytes on a virtual clock: a recall starts no earlier than the
 *    previous one's start plus 1/rate, and plus its bytes / byte rate.
 *    The waiting request holds no thread: it sits on the server's admit
 *    queue, in order of its turn, and a worker classifies it again then;
 *  - mode: whole or range recall for that reader, whatever the file says.
 *
 * Commands (xfs_hsm recall) are never held: they are the administrator.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include "server/serverP.h"

#define LOG_EVERY_NS	1000000000LL	/* a rule's lines, at most */

static const int deny_errnos[] = {
	EIO, EPERM, EBUSY, ETXTBSY, EAGAIN, ENOSPC, EDQUOT,
};

static bool
errno_allowed(
	int		e)
{
	size_t		i;

	for (i = 0; i < sizeof(deny_errnos) / sizeof(deny_errnos[0]); i++)
		if (deny_errnos[i] == e)
			return true;
	return false;
}

int
srv_admit_init(
	struct hsm_server	*s)
{
	const struct hsm_admit_rule *rules = s->cfg.admit;
	unsigned		i, n = s->cfg.nadmit;

	CDS_INIT_LIST_HEAD(&s->admitq);
	if (!n)
		return 0;
	if (n > HSM_ADMIT_RULES_MAX || !rules)
		return -EINVAL;
	for (i = 0; i < n; i++)
		if (rules[i].action == HSM_ADMIT_DENY &&
		    !errno_allowed(rules[i].deny_errno))
			return -EINVAL;
	s->admit = calloc(n, sizeof(*s->admit));
	if (!s->admit)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		struct srv_admit *a = &s->admit[i];

		a->rule = &rules[i];
		pthread_mutex_init(&a->lock, NULL);
		if (a->rule->nuids || a->rule->ngids)
			a->want |= SRV_PROC_IDS;
		if (a->rule->ncomms)
			a->want |= SRV_PROC_COMM;
		if (a->rule->nexes)
			a->want |= SRV_PROC_EXE;
		if (a->rule->ncgroups)
			a->want |= SRV_PROC_CGROUP;
		s->admit_want |= a->want;
	}
	s->nadmit = n;
	return 0;
}

void
srv_admit_free(
	struct hsm_server	*s)
{
	unsigned		i;

	for (i = 0; i < s->nadmit; i++)
		pthread_mutex_destroy(&s->admit[i].lock);
	free(s->admit);
	s->admit = NULL;
	s->nadmit = 0;
}

static bool
id_in(
	uint32_t		id,
	const uint32_t		*ids,
	unsigned		n)
{
	unsigned		i;

	for (i = 0; i < n; i++)
		if (ids[i] == id)
			return true;
	return false;
}

static bool
name_in(
	const char		*name,
	char *const		*names,
	unsigned		n)
{
	unsigned		i;

	for (i = 0; i < n; i++)
		if (!strcmp(names[i], name))
			return true;
	return false;
}

/* @cg is @top or below it: "/a/b" is in "/a" and "/a/b", not in "/a/bc" */
static bool
cgroup_in(
	const char		*cg,
	char *const		*tops,
	unsigned		n)
{
	unsigned		i;
	size_t			len;

	for (i = 0; i < n; i++) {
		len = strlen(tops[i]);
		while (len > 1 && tops[i][len - 1] == '/')
			len--;
		if (!strncmp(cg, tops[i], len) &&
		    (cg[len] == '\0' || cg[len] == '/' || len == 1))
			return true;
	}
	return false;
}

static bool
rule_matches(
	const struct hsm_admit_rule *ru,
	const struct srv_proc	*p)
{
	unsigned		i;
	bool			in_group = false;

	if ((p->known & SRV_PROC_IDS) == 0 && (ru->nuids || ru->ngids))
		return false;
	if (ru->nuids && !id_in(p->uid, ru->uids, ru->nuids))
		return false;
	if (ru->ngids) {
		for (i = 0; i < p->ngids && !in_group; i++)
			in_group = id_in(p->gids[i], ru->gids, ru->ngids);
		if (!in_group)
			return false;
	}
	if (ru->ncomms && (!(p->known & SRV_PROC_COMM) ||
			   !name_in(p->comm, ru->comms, ru->ncomms)))
		return false;
	if (ru->nexes && (!(p->known & SRV_PROC_EXE) ||
			  !name_in(p->exe, ru->exes, ru->nexes)))
		return false;
	if (ru->ncgroups && (!(p->known & SRV_PROC_CGROUP) ||
			     !cgroup_in(p->cgroup, ru->cgroups,
					ru->ncgroups)))
		return false;
	return true;
}

/* One line per rule and second at most: a storm must not flood the log. */
static void
admit_log(
	struct hsm_server	*s,
	struct srv_admit	*a,
	int			level,
	const struct srv_proc	*p,
	uint64_t		ino,
	const char		*what)
{
	int64_t			now = srv_now_ns();
	uint64_t		skipped;

	pthread_mutex_lock(&a->lock);
	if (a->logged_ns && now - a->logged_ns < LOG_EVERY_NS) {
		a->unlogged++;
		pthread_mutex_unlock(&a->lock);
		return;
	}
	a->logged_ns = now;
	skipped = a->unlogged;
	a->unlogged = 0;
	pthread_mutex_unlock(&a->lock);
	srv_log(s, level, "recall rule '%s': %s pid %d%s%s%s, inode %llu"
		"%s%.0llu%s", a->rule->name, what, p->pid,
		p->known & SRV_PROC_COMM ? " (" : "",
		p->known & SRV_PROC_COMM ? p->comm : "",
		p->known & SRV_PROC_COMM ? ")" : "",
		(unsigned long long)ino, skipped ? " (and " : "",
		(unsigned long long)skipped, skipped ? " more not logged)" :
		"");
}

int
srv_admit_match(
	struct hsm_server	*s,
	struct srv_req		*r,
	uint64_t		ino)
{
	struct srv_proc		p;
	struct srv_admit	*a = NULL;
	char			what[64];
	unsigned		i;

	if (r->admit_done || r->kind == REQ_SYNC || !s->nadmit)
		return 0;
	r->admit_done = true;
	/* a process gone meanwhile matches only rules that ask nothing */
	if (s->admit_want && srv_proc_read(r->pid, s->admit_want, &p))
		memset(&p, 0, sizeof(p));
	p.pid = r->pid;
	for (i = 0; i < s->nadmit && !a; i++)
		if (rule_matches(s->admit[i].rule, &p))
			a = &s->admit[i];
	if (!a)
		return 0;
	r->admit = a - s->admit;
	r->mode = a->rule->mode;
	atomic_fetch_add(&a->matched, 1);
	if (a->rule->action != HSM_ADMIT_DENY)
		return 0;
	snprintf(what, sizeof(what), "%s %s",
		 a->rule->audit ? "would deny" : "denied",
		 strerrorname_np(a->rule->deny_errno));
	admit_log(s, a, a->rule->audit ? LOG_NOTICE : LOG_WARNING, &p, ino,
		  what);
	if (a->rule->audit) {
		atomic_fetch_add(&a->audited, 1);
		return 0;
	}
	atomic_fetch_add(&a->denied, 1);
	return -a->rule->deny_errno;
}

/* Queue @r for its turn, in order of turns.  work_lock taken here. */
static void
admit_queue(
	struct hsm_server	*s,
	struct srv_req		*r)
{
	struct srv_req		*q;

	pthread_mutex_lock(&s->work_lock);
	/* turns come mostly in order: look from the tail */
	cds_list_for_each_entry_reverse(q, &s->admitq, admit_link)
		if (q->not_before <= r->not_before)
			break;
	cds_list_add(&r->admit_link, &q->admit_link);
	pthread_cond_broadcast(&s->work_cond);	/* a sooner wake-up */
	pthread_mutex_unlock(&s->work_lock);
}

bool
srv_admit_pace(
	struct hsm_server	*s,
	struct srv_req		*r,
	uint64_t		bytes)
{
	struct srv_admit	*a;
	const struct hsm_admit_rule *ru;
	int64_t			now, start;

	if (r->admit < 0 || r->paced || !bytes)
		return false;
	r->paced = true;
	a = &s->admit[r->admit];
	ru = a->rule;
	atomic_fetch_add(&a->recalls, 1);
	atomic_fetch_add(&a->bytes, bytes);
	if (ru->action != HSM_ADMIT_LIMIT)
		return false;
	now = srv_now_ns();
	pthread_mutex_lock(&a->lock);
	start = now;
	if (ru->recalls_per_s > 0 && a->next_ns > start)
		start = a->next_ns;
	if (ru->bytes_per_s && a->next_bytes_ns > start)
		start = a->next_bytes_ns;
	if (ru->recalls_per_s > 0)
		a->next_ns = start + (int64_t)(1e9 / ru->recalls_per_s);
	if (ru->bytes_per_s)
		a->next_bytes_ns = start + (int64_t)((double)bytes * 1e9 /
						     ru->bytes_per_s);
	pthread_mutex_unlock(&a->lock);
	if (start <= now)
		return false;
	r->not_before = start;
	r->delayed_at = now;
	atomic_fetch_add(&a->delayed, 1);
	atomic_fetch_add(&a->waiting, 1);
	admit_queue(s, r);
	return true;
}

struct srv_req *
__srv_admit_next(
	struct hsm_server	*s,
	int64_t			*wake)
{
	struct srv_admit	*a;
	struct srv_req		*r;
	int64_t			now;

	*wake = 0;
	if (cds_list_empty(&s->admitq))
		return NULL;
	r = cds_list_first_entry(&s->admitq, struct srv_req, admit_link);
	now = srv_now_ns();
	/* stopping: everyone now, before the group closes on them */
	if (r->not_before > now && !s->stopping) {
		*wake = r->not_before;
		return NULL;
	}
	cds_list_del_init(&r->admit_link);
	a = &s->admit[r->admit];
	atomic_fetch_sub(&a->waiting, 1);
	atomic_fetch_add(&a->wait_ms, (now - r->delayed_at) / 1000000);
	return r;
}

void
srv_admit_stats(
	struct hsm_server	*s,
	struct hsm_server_stats	*out)
{
	unsigned		i;

	out->nadmit = s->nadmit;
	for (i = 0; i < s->nadmit; i++) {
		struct srv_admit *a = &s->admit[i];
		struct hsm_admit_stats *o = &out->admit[i];

		snprintf(o->name, sizeof(o->name), "%s", a->rule->name);
		o->matched = atomic_load(&a->matched);
		o->denied = atomic_load(&a->denied);
		o->audited = atomic_load(&a->audited);
		o->delayed = atomic_load(&a->delayed);
		o->wait_ms = atomic_load(&a->wait_ms);
		o->waiting = atomic_load(&a->waiting);
		o->recalls = atomic_load(&a->recalls);
		o->bytes = atomic_load(&a->bytes);
	}
}
