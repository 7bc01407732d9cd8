/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * usage.h - the usage-error exit every tool shares (util-linux's
 * errtryhelp in include/c.h).  Include it after defining PROGNAME.
 */
#ifndef XFS_HSM_USAGE_H
#define XFS_HSM_USAGE_H

#include <stdio.h>
#include <stdlib.h>

/* "Try 'PROG --help' for more information." on stderr, exit @code. */
static inline void __attribute__((noreturn))
errtryhelp(
	int		code)
{
	fprintf(stderr, "Try '%s --help' for more information.\n", PROGNAME);
	exit(code);
}

#endif
