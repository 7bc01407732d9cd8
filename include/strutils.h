/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * strutils.h - strict parsing of the numbers the tools take on their
 * command lines and in their configuration files (util-linux's
 * include/strutils.h): no sign, no blank, no trailing garbage, no
 * overflow.  Each returns 0 or -EINVAL.
 */
#ifndef XFS_HSM_STRUTILS_H
#define XFS_HSM_STRUTILS_H

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* An unsigned number with an optional K, M, G, T suffix (binary units,
 * "KiB" and "KB" accepted as "K"). */
static inline int
parse_size(
	const char	*s,
	uint64_t	*out)
{
	unsigned long long v;
	char		*end;
	unsigned	shift = 0;

	if (!*s || *s == '-' || *s == '+' || *s == ' ')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s)
		return -EINVAL;
	switch (*end) {
	case 'k': case 'K': shift = 10; end++; break;
	case 'm': case 'M': shift = 20; end++; break;
	case 'g': case 'G': shift = 30; end++; break;
	case 't': case 'T': shift = 40; end++; break;
	}
	if (shift && (!strcmp(end, "iB") || !strcmp(end, "B")))
		end += strlen(end);
	if (*end || v > (UINT64_MAX >> shift))
		return -EINVAL;
	*out = (uint64_t)v << shift;
	return 0;
}

/* A plain unsigned number in [@min, @max]. */
static inline int
parse_uint(
	const char	*s,
	unsigned	min,
	unsigned	max,
	unsigned	*out)
{
	uint64_t	v;

	if (parse_size(s, &v) || strpbrk(s, "kKmMgGtT") || v < min || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

/* A duration: a number of seconds, or with an s, m, h, d suffix. */
static inline int
parse_duration(
	const char	*s,
	uint64_t	*secs)
{
	unsigned long long v;
	char		*end;
	uint64_t	mult = 1;

	if (!*s || *s == '-' || *s == '+' || *s == ' ')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s)
		return -EINVAL;
	switch (*end) {
	case 's': mult = 1; end++; break;
	case 'm': mult = 60; end++; break;
	case 'h': mult = 3600; end++; break;
	case 'd': mult = 86400; end++; break;
	}
	if (*end || v > UINT64_MAX / mult)
		return -EINVAL;
	*secs = v * mult;
	return 0;
}

#endif
