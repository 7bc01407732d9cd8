// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * fault.c - crash on purpose at a named durable step, for crash tests.
 *
 *   LIBHSM_FAULT=<step>           the step to crash at (see fs/fsP.h)
 *   LIBHSM_FAULT_ACTION=kill      SIGKILL ourselves (default)
 *                      shutdown   shut the filesystem down, log flushed,
 *                                 then SIGKILL (xfs_io "shutdown -f")
 *                      shutdown-nolog  the same without the log flush,
 *                                 a power cut (xfs_io "shutdown")
 *   LIBHSM_FAULT_ONCE=<file>      crash only if <file> can be created:
 *                                 once, not again in the daemon worker
 *                                 that replaces the one that crashed
 * LIBHSM_DELAY slows a step down instead (fault_delay.c).
 * Always compiled in: a crash test must exercise the shipped code.
 */
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <xfs/xfs.h>
#include "fs/fsP.h"

void
hsm_fault(
	struct hsm_fs	*fs,
	const char	*step)
{
	const char	*action = getenv("LIBHSM_FAULT_ACTION");
	uint32_t	how;

	if (!hsm_fault_armed(step))
		return;
	hsm_debug("fault injected at %s (%s)", step, action ? action : "kill");
	if (action && !strncmp(action, "shutdown", 8)) {
		how = strcmp(action, "shutdown-nolog") ?
			XFS_FSOP_GOING_FLAGS_LOGFLUSH :
			XFS_FSOP_GOING_FLAGS_NOLOGFLUSH;
		ioctl(fs->mntfd, XFS_IOC_GOINGDOWN, &how);
	}
	kill(getpid(), SIGKILL);
	pause();
}

