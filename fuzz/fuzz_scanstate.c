// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * fuzz_scanstate.c - xfs_hsmscan's state files read back (stateparse.c):
 * the input's first byte picks the --resume checkpoint or the --quick
 * index, the rest is the file.  A loaded checkpoint gives only entries
 * of known AGs; a loaded index is strictly ascending.
 */
#include <string.h>
#include "xfs_hsmscan.h"
#include "fuzz.h"

#define UUID		"0b5c0d7e-1f00-4a4a-9c9c-123456789abc"
#define KEY		"grace=0"
#define AGCOUNT		4
/* the index's "written" must not be later */
#define NOW		1800000000

/* stateparse.c needs nothing else from the tool */
const struct options *opts;

static void
check_checkpoint(
	FILE			*f)
{
	struct ag_state		ags[AGCOUNT];
	struct scan_result	res;
	int64_t			started = 0;
	size_t			i;

	memset(ags, 0, sizeof(ags));
	memset(&res, 0, sizeof(res));
	vec_init(&res.pending, sizeof(struct pending));
	vec_init(&res.tagged, sizeof(struct tagged));
	if (checkpoint_parse(f, UUID, KEY, AGCOUNT, ags, &res, &started) == 1) {
		for (i = 0; i < AGCOUNT; i++)
			FUZZ_CHECK(ags[i].done == 0 || ags[i].done == 1);
	} else {
		FUZZ_CHECK(res.pending.nr == 0 && res.tagged.nr == 0);
	}
	vec_free(&res.pending);
	vec_free(&res.tagged);
}

static void
check_index(
	FILE			*f)
{
	struct record_index	*ix;
	const char		*why = NULL;
	size_t			pos = 0;
	uint64_t		ino;

	ix = index_parse(f, UUID, NOW, &why);
	if (!ix) {
		FUZZ_CHECK(why != NULL);
		return;
	}
	FUZZ_CHECK(why == NULL);
	/* every entry is found, in ascending order, by the merge cursor */
	for (ino = 0; ino < 4096; ino++)
		index_has(ix, &pos, ino);
	FUZZ_CHECK(index_seek(ix, 0) == 0);
	index_free(ix);
}

int
LLVMFuzzerTestOneInput(
	const uint8_t	*data,
	size_t		size)
{
	FILE		*f;

	if (!size)
		return 0;
	/* fmemopen() of zero bytes fails: give it one NUL instead */
	f = fmemopen(size > 1 ? (void *)(data + 1) : (void *)"", size > 1 ?
		     size - 1 : 1, "r");
	if (!f)
		return 0;
	if (data[0] & 1)
		check_index(f);
	else
		check_checkpoint(f);
	fclose(f);
	return 0;
}
