// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * histo.c - xfs_hsmscan --report: per state (resident, archived, released,
 * partial), the files and bytes by age and by size, from the inodes the
 * bulkstat scan sees anyway, so an administrator can size the watermarks
 * and min_age of a space policy before turning it on (as rbh-report does
 * for Lustre).
 *
 * Age is the modification time's, as the policy's min_age: atime is not
 * worth a histogram under relatime (updated at most once a day, and only
 * when older than mtime), and not at all under noatime.  Bytes are the
 * file sizes; disk bytes what the files take now (st_blocks), which is
 * what releasing them frees.  Each bucket holds its lower bound.
 */
#include <inttypes.h>
#include <string.h>
#include <sys/stat.h>
#include <json-c/json.h>
#include "xfs_hsmscan.h"

static const char *const state_names[RS_NR] = {
	"resident", "archived", "released", "partial",
};

#define DAY	86400LL
static const struct {
	const char	*label;
	int64_t		min;		/* seconds */
} age_buckets[AGE_BUCKETS] = {
	{ "<1h", 0 }, { "1h-1d", 3600 }, { "1d-1w", DAY },
	{ "1w-30d", 7 * DAY }, { "30d-90d", 30 * DAY },
	{ "90d-1y", 90 * DAY }, { "1y-3y", 365 * DAY },
	{ ">=3y", 3 * 365 * DAY },
};

static const struct {
	const char	*label;
	uint64_t	min;		/* bytes */
} size_buckets[SIZE_BUCKETS] = {
	{ "0", 0 }, { "1-31", 1 }, { "32-1K", 32 }, { "1K-32K", 1ULL << 10 },
	{ "32K-1M", 32ULL << 10 }, { "1M-32M", 1ULL << 20 },
	{ "32M-1G", 32ULL << 20 }, { "1G-32G", 1ULL << 30 },
	{ "32G-1T", 32ULL << 30 }, { ">=1T", 1ULL << 40 },
};

unsigned
histo_state(
	const struct hsm_status	*st)
{
	switch (st->state) {
	case HSM_STATE_ARCHIVED:
		return RS_ARCHIVED;
	case HSM_STATE_RELEASED:
		return RS_RELEASED;
	case HSM_STATE_PARTIAL:
		return RS_PARTIAL;
	default:
		return RS_RESIDENT;
	}
}

static void
cell_add(
	struct histo_cell	*c,
	const struct hsm_inode	*in)
{
	c->files++;
	c->bytes += in->size;
	c->disk += in->blocks * 512;
}

void
histo_add(
	struct histo		*h,
	unsigned		state,
	const struct hsm_inode	*in)
{
	int64_t			age = h->now - in->mtime_sec;
	unsigned		a, s;

	for (a = AGE_BUCKETS - 1; a > 0 && age < age_buckets[a].min; a--)
		;
	for (s = SIZE_BUCKETS - 1; s > 0 && in->size < size_buckets[s].min;
	     s--)
		;
	cell_add(&h->total[state], in);
	cell_add(&h->age[state][a], in);
	cell_add(&h->size[state][s], in);
}

static void
cell_merge(
	struct histo_cell	*to,
	const struct histo_cell	*from)
{
	to->files += from->files;
	to->bytes += from->bytes;
	to->disk += from->disk;
}

void
histo_merge(
	struct histo		*to,
	const struct histo	*from)
{
	unsigned		i, j;

	for (i = 0; i < RS_NR; i++) {
		cell_merge(&to->total[i], &from->total[i]);
		for (j = 0; j < AGE_BUCKETS; j++)
			cell_merge(&to->age[i][j], &from->age[i][j]);
		for (j = 0; j < SIZE_BUCKETS; j++)
			cell_merge(&to->size[i][j], &from->size[i][j]);
	}
}

static struct json_object *
cell_json(
	const struct histo_cell	*c)
{
	struct json_object	*o = json_object_new_object();

	json_object_object_add(o, "files", json_object_new_uint64(c->files));
	json_object_object_add(o, "bytes", json_object_new_uint64(c->bytes));
	json_object_object_add(o, "disk_bytes",
			       json_object_new_uint64(c->disk));
	return o;
}

static struct json_object *
histo_json(
	const struct histo	*h)
{
	struct json_object	*top = json_object_new_object();
	struct json_object	*states = json_object_new_object();
	struct json_object	*s, *arr, *b;
	unsigned		i, j;

	json_object_object_add(top, "now", json_object_new_int64(h->now));
	for (i = 0; i < RS_NR; i++) {
		s = cell_json(&h->total[i]);
		arr = json_object_new_array();
		for (j = 0; j < AGE_BUCKETS; j++) {
			b = cell_json(&h->age[i][j]);
			json_object_object_add(b, "bucket",
				json_object_new_string(age_buckets[j].label));
			json_object_object_add(b, "min_age_s",
				json_object_new_int64(age_buckets[j].min));
			json_object_array_add(arr, b);
		}
		json_object_object_add(s, "by_age", arr);
		arr = json_object_new_array();
		for (j = 0; j < SIZE_BUCKETS; j++) {
			b = cell_json(&h->size[i][j]);
			json_object_object_add(b, "bucket",
				json_object_new_string(size_buckets[j].label));
			json_object_object_add(b, "min_size",
				json_object_new_uint64(size_buckets[j].min));
			json_object_array_add(arr, b);
		}
		json_object_object_add(s, "by_size", arr);
		json_object_object_add(states, state_names[i], s);
	}
	json_object_object_add(top, "states", states);
	return top;
}

static void
row(
	const char		*label,
	const struct histo_cell	*c)
{
	printf("  %-10s %10" PRIu64 " %16" PRIu64 " %16" PRIu64 "\n", label,
	       c->files, c->bytes, c->disk);
}

void
histo_report(
	const struct histo	*h)
{
	unsigned		i, j;

	if (opts->json) {
		output_json_section("report", histo_json(h));
		return;
	}
	printf("files and bytes by state, by age (mtime) and by size:\n");
	for (i = 0; i < RS_NR; i++) {
		const struct histo_cell *t = &h->total[i];

		printf("\n%s: %" PRIu64 " files, %" PRIu64 " bytes, %" PRIu64
		       " on disk\n", state_names[i], t->files, t->bytes,
		       t->disk);
		if (!t->files)
			continue;
		printf("  %-10s %10s %16s %16s\n", "age", "files", "bytes",
		       "disk bytes");
		for (j = 0; j < AGE_BUCKETS; j++)
			row(age_buckets[j].label, &h->age[i][j]);
		printf("  %-10s %10s %16s %16s\n", "size", "files", "bytes",
		       "disk bytes");
		for (j = 0; j < SIZE_BUCKETS; j++)
			row(size_buckets[j].label, &h->size[i][j]);
	}
	printf("\n");
}
