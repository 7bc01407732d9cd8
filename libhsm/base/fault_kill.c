// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * fault_kill.c - crash on purpose at a named durable step of a store,
 * for crash tests: what fs/fault.c does for the steps of an operation,
 * for code that has no filesystem to shut down (the store modules).
 * LIBHSM_FAULT=<step> and LIBHSM_FAULT_ONCE=<file> as in fault.c; the
 * action is always a SIGKILL.  Always compiled in.
 */
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "base/base.h"

/*
 * Is the crash test asking for a crash at @step now?  LIBHSM_FAULT names
 * it, and LIBHSM_FAULT_ONCE, if set, is a file only the first crash may
 * create.  Shared with fs/fault.c, which has more ways to crash.
 */
bool
hsm_fault_armed(
	const char	*step)
{
	const char	*want = getenv("LIBHSM_FAULT");
	const char	*once = getenv("LIBHSM_FAULT_ONCE");
	int		fd;

	if (!want || strcmp(want, step))
		return false;
	if (once) {
		fd = open(once, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (fd < 0)
			return false;	/* fired already */
		close(fd);
	}
	return true;
}

HSM_EXPORT void
hsm_fault_kill(
	const char	*step)
{
	if (!hsm_fault_armed(step))
		return;
	hsm_debug("fault injected at %s (kill)", step);
	kill(getpid(), SIGKILL);
	pause();
}
