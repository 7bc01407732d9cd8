// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * lease.c - leases as the fence between the HSM and everyone else.
 *
 * F_RDLCK (taken on an O_RDONLY fd) fails while anyone has the file open
 * for writing and is broken by any later write open or truncate: held
 * across a copy, it proves no write ran.  F_WRLCK fails while anyone else
 * has the file open at all: held across a punch, no reader can be mid-read.
 * Leases never block us: they fail with EAGAIN, reported as -EBUSY.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>
#include "base/base.h"

#define LEASE_BREAK_DEFAULT_S	45	/* the kernel's default */
#define LEASE_BREAK_REREAD_NS	(5 * 1000000000LL)

int
hsm_lease_take(
	int		fd,
	int		type)
{
	if (fcntl(fd, F_SETLEASE, type) < 0)
		return errno == EAGAIN ? -EBUSY : -errno;
	return 0;
}

bool
hsm_lease_intact(
	int		fd,
	int		type)
{
	/* A lease being broken reports the type it is going to. */
	return fcntl(fd, F_GETLEASE) == type;
}

void
hsm_lease_drop(
	int		fd)
{
	fcntl(fd, F_SETLEASE, F_UNLCK);
}

static int64_t
now_ns(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* Seconds an opener waits for a lease holder (fs.lease-break-time),
 * read again once the last reading is a few seconds old: a recall of
 * many small files asks for every file. */
static long
lease_break_time(void)
{
	static _Atomic long	cached = -1;
	static _Atomic int64_t	read_ns;
	int64_t			now = now_ns();
	long			s = atomic_load(&cached);
	FILE			*f;

	if (s >= 0 && now - atomic_load(&read_ns) < LEASE_BREAK_REREAD_NS)
		return s;
	s = LEASE_BREAK_DEFAULT_S;
	f = fopen("/proc/sys/fs/lease-break-time", "re");
	if (f) {
		if (fscanf(f, "%ld", &s) != 1 || s < 0)
			s = LEASE_BREAK_DEFAULT_S;
		fclose(f);
	}
	atomic_store(&cached, s);
	atomic_store(&read_ns, now);
	return s;
}

void
hsm_lease_guard_init(
	struct hsm_lease_guard	*g,
	int			fd,
	int			type)
{
	g->fd = fd;
	g->type = type;
	g->last_intact_ns = now_ns();
	g->grace_ns = lease_break_time() * 1000000000LL / 2;
}

bool
hsm_lease_guard_ok(
	struct hsm_lease_guard	*g)
{
	int64_t			now = now_ns();

	if (hsm_lease_intact(g->fd, g->type)) {
		g->last_intact_ns = now;
		return true;
	}
	return now - g->last_intact_ns < g->grace_ns;
}
