// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * fuzz_scanparse.c - xfs_hsmscan's value parsers (parse.c).  The input's
 * first byte picks the parser, the rest is the argument.  What is
 * accepted must be in range.
 */
#include <string.h>
#include "xfs_hsmscan.h"
#include "fuzz.h"

/* parse.c needs nothing else from the tool */
const struct options *opts;

int
LLVMFuzzerTestOneInput(
	const uint8_t	*data,
	size_t		size)
{
	int64_t		sec;
	uint32_t	nsec;
	unsigned	n;
	char		*s;

	if (!size)
		return 0;
	s = fuzz_strdup(data + 1, size - 1);
	if (!s)
		return 0;
	switch (data[0] % 4) {
	case 0:
		nsec = 0;
		if (!parse_time(s, &sec, &nsec))
			FUZZ_CHECK(nsec < 1000000000U);
		break;
	case 1:
		if (!parse_duration(s, &sec))
			FUZZ_CHECK(sec >= 0);
		break;
	case 2:
		if (!parse_jobs(s, &n))
			FUZZ_CHECK(n >= 1 && n <= 1024);
		break;
	case 3:
		if (!parse_selection(s, &n))
			FUZZ_CHECK(n && !(n & ~SEL_ALL));
		break;
	}
	free(s);
	return 0;
}
