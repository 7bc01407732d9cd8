/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * closestream.h - detect write errors on stdout at exit (util-linux's
 * include/closestream.h): a full disk must not pass for success, a
 * closed pipe is fine.  Include it after defining PROGNAME; then
 * atexit(close_stdout).
 */
#ifndef XFS_HSM_CLOSESTREAM_H
#define XFS_HSM_CLOSESTREAM_H

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "exitcodes.h"

static inline void
close_stdout(void)
{
	if (fflush(stdout) != 0 || ferror(stdout) || fclose(stdout) != 0) {
		if (errno == EPIPE)
			return;
		fprintf(stderr, "%s: write error: %s\n", PROGNAME,
			strerror(errno));
		_exit(HSM_EX_OPERATIONAL);
	}
}

#endif
