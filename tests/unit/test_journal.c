// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test_journal.c - the change journal's file format (libhsm/journal/
 * jformat.c) and its handle set (jset.c): header and record round trips,
 * every byte of a record checked, a torn tail ending the log, epochs,
 * gaps and checkpoints read back, and the set against duplicates.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <endian.h>
#include <xxhash.h>

#include "journal/journalP.h"
#include "tap.h"

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

static const unsigned char uuid[16] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 };
static const unsigned char other[16] = { 9 };

/* A record per row: type, payload; each must round-trip. */
static const struct {
	const char	*name;
	uint8_t		type;
	const char	*payload;
	uint16_t	len;
	bool		valid;
} recs[] = {
	{ "start", JR_START, "\1\0\0\0", 4, true },
	{ "gap", JR_GAP, "\1\2\3\4\5\6\7\0\1\0\0\0", 12, true },
	{ "mark, 8-byte handle", JR_MARK, "\1\0\0\0abcdefgh", 12, true },
	{ "mark, largest handle", JR_MARK,
	  "\1\0\0\0" "0123456789012345678901234567890123456789012345678",
	  4 + HSM_JHANDLE_MAX, true },
	{ "sync", JR_SYNC, "", 0, true },
	{ "checkpoint", JR_CHECKPOINT, "", 0, true },
	{ "clean", JR_CLEAN, "", 0, true },
	{ "mark with no handle", JR_MARK, "\1\0\0\0", 4, false },
	{ "mark, handle too long", JR_MARK,
	  "\1\0\0\0" "01234567890123456789012345678901234567890123456789",
	  4 + HSM_JHANDLE_MAX + 1, false },
	{ "gap too short", JR_GAP, "\1\2\3\4", 4, false },
	{ "sync with a payload", JR_SYNC, "x", 1, false },
	{ "type 0", 0, "", 0, false },
	{ "type past the last", JR_TYPE_MAX + 1, "", 0, false },
};

static void
test_records(void)
{
	unsigned char	buf[256], bad[256];
	struct jrec	r;
	size_t		i, len, k, caught;

	for (i = 0; i < ARRAY_SIZE(recs); i++) {
		len = jr_put(buf, recs[i].type, JR_FLUSH_END, 7, 123456789,
			     recs[i].payload, recs[i].len);
		if (!recs[i].valid) {
			ok(jr_get(buf, len, &r) == 0, "refused: %s",
			   recs[i].name);
			continue;
		}
		ok(jr_get(buf, len, &r) == len && r.type == recs[i].type &&
		   r.flags == JR_FLUSH_END && r.epoch == 7 &&
		   r.time_ns == 123456789 && r.len == recs[i].len &&
		   !memcmp(r.payload, recs[i].payload, r.len),
		   "round trip: %s", recs[i].name);
		/* every byte matters: flip each in turn */
		for (k = 0, caught = 0; k < len; k++) {
			memcpy(bad, buf, len);
			bad[k] ^= 0x40;
			caught += jr_get(bad, len, &r) == 0;
		}
		ok(caught == len, "every flipped byte refused: %s (%zu/%zu)",
		   recs[i].name, caught, len);
		ok(jr_get(buf, len - 1, &r) == 0, "a torn record refused: %s",
		   recs[i].name);
	}
}

static void
test_header(void)
{
	unsigned char	h[JR_HDR_SIZE];
	int64_t		created = 0, first_ns = 0;
	uint64_t	first = 0, one = htole32(1);

	jr_put_header(h, uuid, 42, 7, 99);
	ok(jr_check_header(h, uuid, &created, &first, &first_ns) == 0 &&
	   created == 42 && first == 7 && first_ns == 99,
	   "header round trip, with its first epoch");
	ok(jr_check_header(h, other, &created, &first, &first_ns) ==
	   -EUCLEAN, "header of another filesystem refused");
	/* a version 1 header: no first epoch, epoch 1 opened at creation */
	jr_put_header(h, uuid, 42, 0, 0);
	memcpy(h + 8, &one, 4);
	one = htole64(XXH3_64bits(h, 56));
	memcpy(h + 56, &one, 8);
	ok(jr_check_header(h, uuid, &created, &first, &first_ns) == 0 &&
	   first == 1 && first_ns == 42, "a version 1 header read");
	h[9] ^= 1;
	ok(jr_check_header(h, uuid, &created, &first, &first_ns) == -EUCLEAN,
	   "header with a flipped byte refused");
}

/* Append one record to the file. */
static size_t
app(
	int		fd,
	uint8_t		type,
	uint64_t	epoch,
	int64_t		t,
	const void	*p,
	uint16_t	len)
{
	unsigned char	buf[JR_REC_MAX];
	size_t		n = jr_put(buf, type, 0, epoch, t, p, len);

	if (write(fd, buf, n) != (ssize_t)n)
		abort();
	return n;
}

/* Epoch 1 of @fd (epochs 1 and 2, see test_load) pruned into a copy. */
static void
test_prune(
	int		fd)
{
	char		path[] = "/tmp/test_journal.XXXXXX";
	struct hsm_jview *v = NULL;
	uint64_t	valid;
	int		out;

	out = mkstemp(path);
	if (out < 0)
		abort();
	unlink(path);
	ok(jr_prune_copy(fd, uuid, 1, out) == -ENOENT,
	   "nothing to prune before the first epoch");
	ok(jr_prune_copy(fd, uuid, 3, out) == -ENOENT,
	   "an epoch not closed is not pruned");
	ok(jr_prune_copy(fd, uuid, 2, out) == 0, "epoch 1 pruned");
	ok(jr_load(out, uuid, &v, &valid) == 0 && v->nepochs == 1 &&
	   v->epochs[0].epoch == 2 && v->epochs[0].opened_ns == 2000 &&
	   v->epochs[0].nmarks == 1 && !v->epochs[0].vouched && v->clean,
	   "the copy starts at epoch 2, opened at its checkpoint, whole");
	hsm_jview_free(v);
	close(out);
}

static void
test_load(void)
{
	char		path[] = "/tmp/test_journal.XXXXXX";
	unsigned char	h[JR_HDR_SIZE], buf[JR_REC_MAX];
	unsigned char	gap[12] = { 0 };
	struct hsm_jview *v = NULL;
	uint64_t	valid, good;
	int64_t		since = 5000;
	size_t		n;
	int		fd;

	fd = mkstemp(path);
	if (fd < 0)
		abort();
	unlink(path);
	jr_put_header(h, uuid, 1000, 1, 0);
	if (write(fd, h, sizeof(h)) != sizeof(h))
		abort();
	memcpy(gap, &since, 8);		/* le64: this test runs on LE */
	gap[8] = HSM_JGAP_UNCLEAN;
	good = JR_HDR_SIZE;
	good += app(fd, JR_START, 1, 1001, "\0\0\0\0", 4);
	good += app(fd, JR_MARK, 1, 1002, "\1\0\0\0aaaa", 8);
	good += app(fd, JR_MARK, 1, 1002, "\1\0\0\0bbbb", 8);
	good += app(fd, JR_CHECKPOINT, 1, 2000, NULL, 0);
	good += app(fd, JR_GAP, 2, 3000, gap, 12);
	good += app(fd, JR_MARK, 2, 3000, "\1\0\0\0cccc", 8);
	/* half a record: a torn write */
	n = jr_put(buf, JR_MARK, 0, 2, 4000, "\1\0\0\0dddd", 8);
	if (write(fd, buf, n / 2) != (ssize_t)(n / 2))
		abort();
	ok(jr_load(fd, uuid, &v, &valid) == 0, "a torn log loads");
	ok(valid == good, "the torn tail is not part of it (%llu/%llu)",
	   (unsigned long long)valid, (unsigned long long)good);
	ok(v && v->nepochs == 2, "two epochs");
	ok(v && v->epochs[0].nmarks == 2 && v->epochs[0].vouched &&
	   v->epochs[0].closed_ns == 2000 && v->epochs[0].opened_ns == 1000,
	   "epoch 1: two marks, vouched, closed by its checkpoint");
	ok(v && v->epochs[1].nmarks == 1 && !v->epochs[1].vouched &&
	   v->epochs[1].gap_since_ns == since &&
	   v->epochs[1].gap_reason == HSM_JGAP_UNCLEAN &&
	   v->epochs[1].opened_ns == 2000 && !v->epochs[1].closed_ns,
	   "epoch 2: one mark, a gap since its safe point, open");
	ok(v && !memcmp(v->epochs[1].marks[0].bytes, "cccc", 4) &&
	   v->epochs[1].marks[0].type == 1 && v->epochs[1].marks[0].len == 4,
	   "a mark's handle read back");
	ok(v && !v->clean && v->last_ns == 3000, "not clean; last safe point");
	hsm_jview_free(v);
	v = NULL;

	/* a record of a later epoch than the log is at ends it */
	if (ftruncate(fd, good) < 0 || lseek(fd, good, SEEK_SET) < 0)
		abort();
	app(fd, JR_MARK, 5, 5000, "\1\0\0\0eeee", 8);
	ok(jr_load(fd, uuid, &v, &valid) == 0 && valid == good,
	   "a record out of epoch order ends the log");
	hsm_jview_free(v);
	v = NULL;
	if (ftruncate(fd, good) < 0 || lseek(fd, good, SEEK_SET) < 0)
		abort();
	app(fd, JR_CLEAN, 2, 6000, NULL, 0);
	ok(jr_load(fd, uuid, &v, &valid) == 0 && v->clean &&
	   v->last_ns == 6000, "a clean stop read back");
	hsm_jview_free(v);
	v = NULL;
	ok(jr_load(fd, other, &v, &valid) == -EUCLEAN,
	   "another filesystem's journal refused");
	test_prune(fd);
	close(fd);
}

static void
test_set(void)
{
	struct jset		s = { 0 };
	struct hsm_jhandle	h;
	unsigned		i, added = 0, dup = 0, found = 0;

	for (i = 0; i < 10000; i++) {
		memset(&h, 0, sizeof(h));
		h.type = 1;
		h.len = sizeof(i);
		memcpy(h.bytes, &i, sizeof(i));
		added += jset_add(&s, &h) == 1;
		dup += jset_add(&s, &h) == 0;
	}
	for (i = 0; i < 10000; i++) {
		memset(&h, 0, sizeof(h));
		h.type = 1;
		h.len = sizeof(i);
		memcpy(h.bytes, &i, sizeof(i));
		found += jset_has(&s, &h);
	}
	ok(added == 10000 && dup == 10000 && s.count == 10000,
	   "set: 10000 added once each");
	ok(found == 10000, "set: all found after growing");
	h.type = 2;			/* same bytes, another type */
	ok(!jset_has(&s, &h), "set: the type is part of the key");
	jset_clear(&s);
	ok(s.count == 0 && !jset_has(&s, &h), "set: cleared");
	jset_free(&s);
}

int
main(void)
{
	plan_no_plan();
	test_header();
	test_records();
	test_load();
	test_set();
	return exit_status();
}
