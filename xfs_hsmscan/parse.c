// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * parse.c - strict parsing of the command line's values: times,
 * durations, job counts and --list selections.  Each returns 0 or -EINVAL
 * and never prints; main.c names the bad argument.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include "xfs_hsmscan.h"

/* "@SECONDS[.FRACTION]": seconds since the epoch. */
static int
parse_epoch(
	const char	*s,
	int64_t		*sec,
	uint32_t	*nsec)
{
	char		*end;
	long long	v;
	uint32_t	ns = 0, scale = 100000000;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (end == s || errno || (*end && *end != '.'))
		return -EINVAL;
	if (*end == '.') {
		for (end++; *end >= '0' && *end <= '9'; end++) {
			ns += (*end - '0') * scale;
			scale /= 10;
		}
		if (*end || end[-1] == '.')
			return -EINVAL;
	}
	if (v < 0 && ns)
		return -EINVAL;		/* no negative fractions */
	*sec = v;
	*nsec = ns;
	return 0;
}

int
parse_time(
	const char	*s,
	int64_t		*sec,
	uint32_t	*nsec)
{
	static const char *const formats[] = {
		"%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S",
		"%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d",
	};
	struct tm	tm;
	const char	*end;
	size_t		i, len;
	bool		utc;
	time_t		t;

	if (s[0] == '@')
		return parse_epoch(s + 1, sec, nsec);
	len = strlen(s);
	utc = len && s[len - 1] == 'Z';
	for (i = 0; i < sizeof(formats) / sizeof(formats[0]); i++) {
		memset(&tm, 0, sizeof(tm));
		tm.tm_isdst = -1;
		end = strptime(s, formats[i], &tm);
		if (!end || (*end && !(utc && !strcmp(end, "Z"))))
			continue;
		t = utc ? timegm(&tm) : mktime(&tm);
		if (t == (time_t)-1)
			return -EINVAL;
		*sec = t;
		*nsec = 0;
		return 0;
	}
	return -EINVAL;
}

int
parse_duration(
	const char	*s,
	int64_t		*sec)
{
	char		*end;
	long long	v;
	int64_t		mul = 1;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (end == s || errno || v < 0 || s[0] == '-' || s[0] == '+')
		return -EINVAL;
	if (*end) {
		if (end[1])
			return -EINVAL;
		switch (*end) {
		case 's': mul = 1; break;
		case 'm': mul = 60; break;
		case 'h': mul = 3600; break;
		case 'd': mul = 86400; break;
		default: return -EINVAL;
		}
	}
	if (v > INT64_MAX / mul)
		return -EINVAL;
	*sec = v * mul;
	return 0;
}

int
parse_jobs(
	const char	*s,
	unsigned	*n)
{
	char		*end;
	unsigned long	v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (end == s || *end || errno || v < 1 || v > 1024 || s[0] == '-' ||
	    s[0] == '+')
		return -EINVAL;
	*n = v;
	return 0;
}

int
parse_selection(
	const char	*s,
	unsigned	*sel)
{
	static const struct {
		const char	*name;
		unsigned	bits;
	} names[] = {
		{ "resident",	SEL_RESIDENT },
		{ "archived",	SEL_ARCHIVED },
		{ "released",	SEL_RELEASED },
		{ "partial",	SEL_PARTIAL },
		{ "dirty",	SEL_DIRTY },
		{ "lost",	SEL_LOST },
		{ "pending",	SEL_PENDING },
		{ "migrating",	SEL_MIGRATING },
		{ "releasing",	SEL_RELEASING },
		{ "recalling",	SEL_RECALLING },
		{ "forgetting",	SEL_FORGETTING },
		{ "bad",	SEL_BAD },
		{ "all",	SEL_ALL },
	};
	const char	*p = s, *comma;
	unsigned	bits = 0;
	size_t		i, len;

	do {
		comma = strchr(p, ',');
		len = comma ? (size_t)(comma - p) : strlen(p);
		for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
			if (strlen(names[i].name) == len &&
			    !strncmp(names[i].name, p, len))
				break;
		if (i == sizeof(names) / sizeof(names[0]))
			return -EINVAL;
		bits |= names[i].bits;
		if (comma)		/* NULL + 1 is undefined */
			p = comma + 1;
	} while (comma);
	*sel = bits;
	return 0;
}

const char *
type_name(
	uint32_t	mode)
{
	if (S_ISREG(mode))
		return "file";
	if (S_ISDIR(mode))
		return "dir";
	if (S_ISLNK(mode))
		return "symlink";
	return "other";
}
