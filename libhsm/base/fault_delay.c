// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * fault_delay.c - slow a step down on purpose, for tests of slow stores
 * and recall timeouts:
 *
 *   LIBHSM_DELAY=<step>=<ms>      sleep that long at every pass of the
 *                                 step; store-get is each read from the
 *                                 store, store-put each write to it
 *
 * Always compiled in, like fault.c.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "base/base.h"

void
hsm_fault_delay(
	const char	*step)
{
	const char	*want = getenv("LIBHSM_DELAY");
	size_t		len = strlen(step);
	struct timespec	ts;
	unsigned long	ms;

	if (!want || strncmp(want, step, len) || want[len] != '=')
		return;
	ms = strtoul(want + len + 1, NULL, 10);
	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (ms % 1000) * 1000000L;
	nanosleep(&ts, NULL);
}
