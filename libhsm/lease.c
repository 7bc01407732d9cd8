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
#include "hsmP.h"

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
