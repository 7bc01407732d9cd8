// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * debug.c - debug output behind LIBHSM_DEBUG=all (util-linux's
 * LIBMOUNT_DEBUG): the library never prints otherwise.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "base/base.h"

void
hsm_debug(
	const char	*fmt,
	...)
{
	static int	enabled = -1;
	va_list		ap;

	if (enabled < 0) {
		const char *e = getenv("LIBHSM_DEBUG");

		enabled = e && (!strcmp(e, "all") || !strcmp(e, "1"));
	}
	if (!enabled)
		return;
	va_start(ap, fmt);
	fputs("libhsm: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

