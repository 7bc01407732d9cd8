// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test_scanparse.c - xfs_hsmscan's strict parsers (xfs_hsmscan/parse.c):
 * --changed-since times, --grace/--time-limit durations, --jobs counts and
 * --list selections.  One row per case, good and bad.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "xfs_hsmscan.h"
#include "tap.h"

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

/* parse.c needs nothing else from the tool */
const struct options *opts;

static const struct {
	const char	*in;
	int		ret;
	int64_t		sec;		/* when ret == 0, and not local time */
	uint32_t	nsec;
	bool		local;		/* a local time: compared via mktime */
} times[] = {
	{ "@0", 0, 0, 0, false },
	{ "@1700000000", 0, 1700000000, 0, false },
	{ "@1700000000.5", 0, 1700000000, 500000000, false },
	{ "@1700000000.123456789", 0, 1700000000, 123456789, false },
	{ "@1700000000.1234567891", 0, 1700000000, 123456789, false },
	{ "@-5", 0, -5, 0, false },
	{ "2000-01-01T00:00:00Z", 0, 946684800, 0, false },
	{ "2000-01-01T12:30Z", 0, 946729800, 0, false },
	{ "2000-01-01", 0, 0, 0, true },
	{ "2000-01-01 12:30", 0, 0, 0, true },
	{ "2000-01-01 12:30:15", 0, 0, 0, true },
	{ "", -EINVAL, 0, 0, false },
	{ "@", -EINVAL, 0, 0, false },
	{ "@12x", -EINVAL, 0, 0, false },
	{ "@12.", -EINVAL, 0, 0, false },
	{ "@-5.5", -EINVAL, 0, 0, false },
	{ "1700000000", -EINVAL, 0, 0, false },
	{ "yesterday", -EINVAL, 0, 0, false },
	{ "2000-13-01", -EINVAL, 0, 0, false },
	{ "2000-01-01 25:00", -EINVAL, 0, 0, false },
	{ "2000-01-01T00:00:00ZZ", -EINVAL, 0, 0, false },
	{ "2000-01-01 trailing", -EINVAL, 0, 0, false },
};

static const struct {
	const char	*in;
	int		ret;
	int64_t		sec;
} durations[] = {
	{ "0", 0, 0 },
	{ "90", 0, 90 },
	{ "90s", 0, 90 },
	{ "30m", 0, 1800 },
	{ "12h", 0, 43200 },
	{ "7d", 0, 604800 },
	{ "", -EINVAL, 0 },
	{ "-1", -EINVAL, 0 },
	{ "+1", -EINVAL, 0 },
	{ "1w", -EINVAL, 0 },
	{ "1dd", -EINVAL, 0 },
	{ "d", -EINVAL, 0 },
	{ "99999999999999999999", -EINVAL, 0 },
	{ "9223372036854775807d", -EINVAL, 0 },
};

static const struct {
	const char	*in;
	int		ret;
	unsigned	n;
} jobs[] = {
	{ "1", 0, 1 },
	{ "16", 0, 16 },
	{ "1024", 0, 1024 },
	{ "0", -EINVAL, 0 },
	{ "1025", -EINVAL, 0 },
	{ "-1", -EINVAL, 0 },
	{ "4x", -EINVAL, 0 },
	{ "", -EINVAL, 0 },
};

static const struct {
	const char	*in;
	int		ret;
	unsigned	sel;
} sels[] = {
	{ "released", 0, SEL_RELEASED },
	{ "archived,released", 0, SEL_ARCHIVED | SEL_RELEASED },
	{ "pending", 0, SEL_PENDING },
	{ "migrating,forgetting", 0, SEL_MIGRATING | SEL_FORGETTING },
	{ "dirty,lost,bad", 0, SEL_DIRTY | SEL_LOST | SEL_BAD },
	{ "resident", 0, SEL_RESIDENT },
	{ "all", 0, SEL_ALL },
	{ "", -EINVAL, 0 },
	{ "releas", -EINVAL, 0 },
	{ "released,", -EINVAL, 0 },
	{ ",released", -EINVAL, 0 },
	{ "Released", -EINVAL, 0 },
};

/* Seconds of a local time given as text, the way parse_time reads it. */
static int64_t
local(
	const char	*s)
{
	struct tm	tm;

	memset(&tm, 0, sizeof(tm));
	tm.tm_isdst = -1;
	if (sscanf(s, "%d-%d-%d %d:%d:%d", &tm.tm_year, &tm.tm_mon,
		   &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec) < 3)
		return -1;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	return mktime(&tm);
}

int
main(void)
{
	size_t		i;

	plan_tests(ARRAY_SIZE(times) + ARRAY_SIZE(durations) +
		   ARRAY_SIZE(jobs) + ARRAY_SIZE(sels));
	for (i = 0; i < ARRAY_SIZE(times); i++) {
		int64_t sec = -1, want = times[i].sec;
		uint32_t nsec = 7;
		int ret = parse_time(times[i].in, &sec, &nsec);

		if (times[i].local)
			want = local(times[i].in);
		ok(ret == times[i].ret && (ret || (sec == want &&
						   nsec == times[i].nsec)),
		   "time '%s': ret %d, %lld.%09u", times[i].in, ret,
		   (long long)sec, nsec);
	}
	for (i = 0; i < ARRAY_SIZE(durations); i++) {
		int64_t sec = -1;
		int ret = parse_duration(durations[i].in, &sec);

		ok(ret == durations[i].ret && (ret || sec == durations[i].sec),
		   "duration '%s': ret %d, %lld", durations[i].in, ret,
		   (long long)sec);
	}
	for (i = 0; i < ARRAY_SIZE(jobs); i++) {
		unsigned n = 0;
		int ret = parse_jobs(jobs[i].in, &n);

		ok(ret == jobs[i].ret && (ret || n == jobs[i].n),
		   "jobs '%s': ret %d, %u", jobs[i].in, ret, n);
	}
	for (i = 0; i < ARRAY_SIZE(sels); i++) {
		unsigned sel = 0;
		int ret = parse_selection(sels[i].in, &sel);

		ok(ret == sels[i].ret && (ret || sel == sels[i].sel),
		   "list '%s': ret %d, %#x", sels[i].in, ret, sel);
	}
	return exit_status();
}
