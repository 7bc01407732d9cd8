// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * srv_adopt.c - take over the events a dead worker, or a dead daemon
 * whose group and table the service manager kept, left unanswered.
 *
 * The kernel matches an answer to the first pending event with that fd
 * number, whoever read it.  Before this process reads a single event:
 *  1. every number in the table is held open here by a placeholder
 *     (evtab_hold.c: the supervisor put them there before it opened
 *     anything), so no new event of ours can get it and make an answer
 *     ambiguous; a number one of our own fds has all the same is answered
 *     EIO at once, since that fd could be closed while its event waits;
 *  2. every other number up to the old worker's highest, and a batch of
 *     reads beyond it, is answered EIO: events it had read but not yet
 *     recorded (a number that is not pending just fails with ENOENT);
 *  3. each recorded event becomes a request like any other, answered by
 *     number once its data is back (or with EIO if its inode was never
 *     recorded), and its placeholder is closed after the answer.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>
#include "server/serverP.h"

/* One read() of the group can hand out this many fds before any is
 * recorded: 64 KiB of 24-byte events. */
#define SWEEP_MARGIN	2800

int
srv_adopt(
	struct hsm_server	*s)
{
	struct hsm_evtab	*t = s->evtab;
	int32_t			maxfd = atomic_load(&t->maxfd);
	unsigned		i, nslots = 0, swept = 0, collided = 0;
	uint8_t			*held;
	int			n, rc;

	if (maxfd < 0 && !atomic_load(&t->restarts))
		return 0;		/* no worker served before us */
	s->served_before = true;
	held = calloc(maxfd + 2, 1);
	if (!held)
		return -ENOMEM;
	for (i = 0; i < EVTAB_SLOTS; i++) {
		struct evtab_slot *sl = &t->slots[i];

		if (atomic_load(&sl->state) == SLOT_FREE)
			continue;
		if (sl->fd <= 2 || sl->fd > maxfd || held[sl->fd]) {
			evtab_release(t, i);	/* cannot be one of them */
			continue;
		}
		if (fcntl(sl->fd, F_GETFD) < 0)
			rc = evtab_hold_number(sl->fd, maxfd);
		else
			rc = evtab_is_hold(sl->fd) ? 0 : -EBUSY;
		if (rc < 0) {
			/* ours, or no placeholder: no answer could be sure
			 * to reach it later */
			srv_respond(s, sl->fd, -EIO);
			evtab_release(t, i);
			collided++;
			continue;
		}
		held[sl->fd] = 1;
		nslots++;
	}
	for (n = 0; n <= maxfd + SWEEP_MARGIN; n++)
		if ((n > maxfd || !held[n]) && srv_respond(s, n, -EIO) == 0)
			swept++;

	for (i = 0; i < EVTAB_SLOTS; i++) {
		struct evtab_slot *sl = &t->slots[i];
		uint32_t state = atomic_load(&sl->state);
		struct srv_req *r;

		if (state == SLOT_FREE)
			continue;
		r = srv_req_new(REQ_ADOPTED);
		if (!r || state != SLOT_KNOWN) {
			srv_respond(s, sl->fd, -EIO);
			evtab_release(t, i);
			close(sl->fd);
			srv_req_free(r);
			swept++;
			continue;
		}
		/* the placeholder, closed on answer */
		r->fd = sl->fd;
		r->resp_fd = sl->fd;
		r->mask = sl->mask;
		r->off = sl->off;
		r->count = sl->count;
		r->has_range = sl->has_range;
		r->pid = sl->pid;
		r->ino = sl->ino;
		r->gen = sl->gen;
		r->slot = i;
		atomic_fetch_add(&s->stats.adopted, 1);
		srv_queue_event(s, r);
	}
	free(held);
	if (nslots || swept || collided)
		srv_log(s, LOG_WARNING, "took over %u events of a dead worker "
			"or daemon, %u more answered EIO", nslots,
			swept + collided);
	if (collided)
		srv_log(s, LOG_WARNING, "%u of those had a number an fd of "
			"ours had taken: answered EIO (their placeholders were "
			"not set before the daemon opened its own files)",
			collided);
	return 0;
}
