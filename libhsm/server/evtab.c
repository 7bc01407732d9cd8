// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * evtab.c - the events a server process has read but not yet answered,
 * in a memfd shared with its supervisor and kept, with the fanotify group,
 * in the service manager's fd store: a daemon started after every process
 * of the last one died finds them there (xfs_hsmd(8)).
 *
 * When a worker process dies, the kernel keeps its unanswered permission
 * events pending for as long as another process (the supervisor) holds
 * the group fd, and a response written by fd number completes them.  The
 * table tells the next worker which numbers those are and, once known,
 * which inode and range each was for, so it can finish the recall and
 * answer ALLOW (srv_adopt.c).  An event read but not yet in the table is
 * answered EIO by a sweep over every number up to maxfd: slower readers
 * get an error, never zeros.
 *
 * The event loop alone fills slots; any thread releases them.  A slot is
 * released after its answer is written and before its fd is closed, so a
 * used slot always names the latest event with that fd number.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include "server/serverP.h"

/* Map the table kept in memfd @fd (shared: the worker, the supervisor,
 * and the service manager's fd store, which outlives them all). */
static int
evtab_map(
	int			fd,
	struct hsm_evtab	**tp)
{
	struct hsm_evtab	*t;

	t = mmap(NULL, sizeof(*t), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (t == MAP_FAILED)
		return -errno;
	*tp = t;
	return 0;
}

HSM_EXPORT int
hsm_evtab_new(
	struct hsm_evtab	**tp)
{
	struct hsm_evtab	*t = NULL;
	int			fd, error;

	fd = memfd_create("xfs_hsmd-events", MFD_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (ftruncate(fd, sizeof(*t)) < 0) {
		error = -errno;
		close(fd);
		return error;
	}
	error = evtab_map(fd, &t);
	if (error) {
		close(fd);
		return error;
	}
	memset(t, 0, sizeof(*t));
	t->magic = EVTAB_MAGIC;
	atomic_store(&t->maxfd, -1);
	t->memfd = fd;
	*tp = t;
	return 0;
}

HSM_EXPORT int
hsm_evtab_adopt(
	int			fd,
	struct hsm_evtab	**tp)
{
	struct hsm_evtab	*t = NULL;
	struct stat		st;
	int			error;

	if (fstat(fd, &st) < 0)
		return -errno;
	if ((size_t)st.st_size != sizeof(*t))
		return -EUCLEAN;	/* another version's, or not ours */
	error = evtab_map(fd, &t);
	if (error)
		return error;
	if (t->magic != EVTAB_MAGIC) {
		munmap(t, sizeof(*t));
		return -EUCLEAN;
	}
	t->memfd = fd;
	/* the events in it are a dead process's: the worker adopts them */
	atomic_fetch_add(&t->restarts, 1);
	*tp = t;
	return 0;
}

HSM_EXPORT int
hsm_evtab_fd(
	const struct hsm_evtab	*t)
{
	return t->memfd;
}

HSM_EXPORT void
hsm_evtab_free(
	struct hsm_evtab	*t)
{
	if (!t)
		return;
	if (t->memfd >= 0)
		close(t->memfd);
	munmap(t, sizeof(*t));
}

HSM_EXPORT void
hsm_evtab_note_restart(
	struct hsm_evtab	*t)
{
	atomic_fetch_add(&t->restarts, 1);
}

/* Record @r; its slot number, or -1 when the table is full. */
int
evtab_alloc(
	struct hsm_evtab	*t,
	const struct srv_req	*r)
{
	int32_t			max = atomic_load(&t->maxfd);
	unsigned		i, n;

	while (r->resp_fd > max &&
	       !atomic_compare_exchange_weak(&t->maxfd, &max, r->resp_fd))
		;
	for (n = 0; n < EVTAB_SLOTS; n++) {
		struct evtab_slot *sl;

		i = (t->hint + n) % EVTAB_SLOTS;
		sl = &t->slots[i];
		if (atomic_load(&sl->state) != SLOT_FREE)
			continue;
		sl->fd = r->resp_fd;
		sl->mask = r->mask;
		sl->off = r->off;
		sl->count = r->count;
		sl->has_range = r->has_range;
		sl->pid = r->pid;
		sl->ino = r->ino;
		sl->gen = r->gen;
		atomic_store(&sl->state, r->ino ? SLOT_KNOWN : SLOT_USED);
		t->hint = i + 1;
		return i;
	}
	return -1;
}

void
evtab_release(
	struct hsm_evtab	*t,
	int			slot)
{
	if (slot >= 0)
		atomic_store(&t->slots[slot].state, SLOT_FREE);
}
