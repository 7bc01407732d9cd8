// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * hsmd_log.c - one line per recall or failure: to stderr in the
 * foreground (with the <N> priority prefix journald understands when
 * stderr is the journal), to syslog when detached.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <syslog.h>
#include "hsmd.h"

static bool to_stderr = true;
static bool journal;
static int max_level = LOG_INFO;

void
hsmd_log_init(
	bool		foreground,
	int		verbose)
{
	to_stderr = foreground;
	journal = foreground && getenv("JOURNAL_STREAM");
	max_level = verbose ? LOG_DEBUG : LOG_INFO;
	if (!foreground)
		openlog(HSMD_NAME, LOG_PID, LOG_DAEMON);
}

void
hsmd_log(
	void		*arg,
	int		level,
	const char	*msg)
{
	if (level > max_level)
		return;
	if (!to_stderr) {
		syslog(level, "%s", msg);
		return;
	}
	if (journal)
		fprintf(stderr, "<%d>%s\n", level, msg);
	else
		fprintf(stderr, "%s: %s\n", HSMD_NAME, msg);
}

void
hsmd_logf(
	int		level,
	const char	*fmt,
	...)
{
	char		msg[1024];
	va_list		ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	hsmd_log(NULL, level, msg);
}
