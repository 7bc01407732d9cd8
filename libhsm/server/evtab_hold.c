// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * evtab_hold.c - keep the fd numbers of unanswered events taken.
 *
 * The kernel matches an answer to the first pending event with that fd
 * number, whoever read it.  The events a dead process read keep the
 * numbers they had there.  Should an fd of ours have one of them, and be
 * closed while that event still waits, the kernel may give the number to
 * a new event: one answer would then complete the other, a reader could
 * be let through to holes, and ours would wait forever (a daemon killed
 * again and again did hang so, on its own recall write).
 *
 * So a process that takes over a table puts a placeholder on every such
 * number before it opens anything of its own (hsm_evtab_reserve), and the
 * worker closes each once its event is answered (srv_adopt.c).
 * Placeholders are dups of one memfd, named so that they can be told
 * from any other fd.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include "server/serverP.h"

#define HOLD_NAME	"xfs_hsmd-hold"
#define HOLD_LINK	"/memfd:" HOLD_NAME

bool
evtab_is_hold(
	int		fd)
{
	char		path[40], link[64];
	ssize_t		n;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	n = readlink(path, link, sizeof(link) - 1);
	if (n < 0)
		return false;
	link[n] = '\0';
	return !strncmp(link, HOLD_LINK, strlen(HOLD_LINK));
}

/* A placeholder on number @n, which must be free. */
static int
hold_at(
	int		*hold,
	int		above,
	int		n)
{
	int		fd;

	if (*hold < 0) {
		/* the memfd itself must not land on a number to hold */
		fd = memfd_create(HOLD_NAME, MFD_CLOEXEC);
		if (fd < 0)
			return -errno;
		*hold = fcntl(fd, F_DUPFD_CLOEXEC, above + 1);
		close(fd);
		if (*hold < 0)
			return -errno;
	}
	if (dup3(*hold, n, O_CLOEXEC) < 0)
		return -errno;
	return 0;
}

/*
 * Only while no process of ours serves the table (before the server runs,
 * or in the supervisor between workers): its slots do not move then.
 */
HSM_EXPORT int
hsm_evtab_reserve(
	struct hsm_evtab	*t)
{
	int32_t			maxfd = atomic_load(&t->maxfd);
	int			hold = -1, fd, n = 0, error = 0;
	uint8_t			*live;
	unsigned		i;

	if (maxfd < 3)
		return 0;
	live = calloc(maxfd + 1, 1);
	if (!live)
		return -ENOMEM;
	for (i = 0; i < EVTAB_SLOTS && !error; i++) {
		struct evtab_slot *sl = &t->slots[i];

		if (atomic_load(&sl->state) == SLOT_FREE || sl->fd <= 2 ||
		    sl->fd > maxfd)
			continue;
		live[sl->fd] = 1;
		if (fcntl(sl->fd, F_GETFD) >= 0)
			continue;	/* held already, or ours: srv_adopt */
		error = hold_at(&hold, maxfd, sl->fd);
		if (!error)
			n++;
	}
	/* placeholders of events answered since */
	for (fd = 3; fd <= maxfd && !error; fd++)
		if (!live[fd] && fcntl(fd, F_GETFD) >= 0 && evtab_is_hold(fd))
			close(fd);
	free(live);
	if (hold >= 0)
		close(hold);
	return error ? error : n;
}

int
evtab_hold_number(
	int		n,
	int		above)
{
	int		hold = -1, error;

	error = hold_at(&hold, above, n);
	if (hold >= 0)
		close(hold);
	return error;
}
