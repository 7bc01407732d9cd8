// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test_binding.c - the trusted.hsm.fs value that binds a store to a
 * filesystem (libhsm/binding.c):
 *   "xfs-hsm-binding 1\nstore_id N\nstore KIND:ARG\n" (and more stores,
 *   "draining N", "last_id N", "records 2")
 * Round trips through hsm_binding_format/parse, and malformed values.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl/ctlP.h"
#include "tap.h"

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define MAGIC		"xfs-hsm-binding 1\n"

static const struct {
	uint32_t	id;
	const char	*spec;
	const char	*text;		/* expected, NULL: not checked */
} good[] = {
	{ 1, "posix:/srv/hsm", MAGIC "store_id 1\nstore posix:/srv/hsm\n" },
	{ UINT32_MAX, "posix:/a dir/with spaces",
		MAGIC "store_id 4294967295\nstore posix:/a dir/with spaces\n" },
	{ 7, "posix:/\xff\xfe/non-utf8", NULL },
	{ 2, "posix:/x/store_id 3", NULL },
	{ 3, NULL /* longest spec: 4095 bytes */, NULL },
};

static const struct {
	const char	*name;
	uint32_t	id;
	const char	*spec;
	size_t		bufsize;
	int		expect;
} bad_format[] = {
	{ "empty spec", 1, "", 4200, -EINVAL },
	{ "spec with a newline", 1, "posix:/a\nstore_id 2", 4200, -EINVAL },
	{ "buffer too small", 1, "posix:/srv/hsm", 20, -ENAMETOOLONG },
	{ "buffer one byte short", 1, "posix:/srv/hsm",
		sizeof(MAGIC "store_id 1\nstore posix:/srv/hsm\n") - 1,
		-ENAMETOOLONG },
};

/* Malformed values: parse must say -EUCLEAN. */
static const struct {
	const char	*name;
	const char	*text;
	size_t		len;		/* 0: strlen(text) */
} bad_parse[] = {
	{ "empty", "", 0 },
	{ "magic only", MAGIC, 0 },
	{ "magic without newline", "xfs-hsm-binding 1", 0 },
	{ "other version", "xfs-hsm-binding 2\nstore_id 1\nstore posix:/x\n",
		0 },
	{ "foreign text", "hello\nstore_id 1\nstore posix:/x\n", 0 },
	{ "no final newline", MAGIC "store_id 1\nstore posix:/x", 0 },
	{ "store missing", MAGIC "store_id 1\n", 0 },
	{ "store_id missing", MAGIC "store posix:/x\n", 0 },
	{ "store_id 0", MAGIC "store_id 0\nstore posix:/x\n", 0 },
	{ "store_id not a number", MAGIC "store_id one\nstore posix:/x\n", 0 },
	{ "store_id with junk", MAGIC "store_id 1x\nstore posix:/x\n", 0 },
	{ "store_id empty", MAGIC "store_id \nstore posix:/x\n", 0 },
	{ "store_id over 32 bits",
		MAGIC "store_id 4294967296\nstore posix:/x\n", 0 },
	{ "store_id negative", MAGIC "store_id -1\nstore posix:/x\n", 0 },
	{ "store_id twice",
		MAGIC "store_id 1\nstore_id 2\nstore posix:/x\n", 0 },
	{ "store twice",
		MAGIC "store_id 1\nstore posix:/x\nstore posix:/y\n", 0 },
	{ "store empty", MAGIC "store_id 1\nstore \n", 0 },
	{ "unknown key", MAGIC "store_id 1\nstore posix:/x\ncolor red\n", 0 },
	{ "records 1", MAGIC "store_id 1\nstore posix:/x\nrecords 1\n", 0 },
	{ "records 3", MAGIC "store_id 1\nstore posix:/x\nrecords 3\n", 0 },
	{ "records twice",
		MAGIC "store_id 1\nstore posix:/x\nrecords 2\nrecords 2\n", 0 },
	{ "records without value", MAGIC "store_id 1\nstore posix:/x\nrecords\n",
		0 },
	{ "key without value", MAGIC "store_id 1\nstore\n", 0 },
	{ "draining an unknown store",
		MAGIC "store_id 1\nstore posix:/x\ndraining 2\n", 0 },
	{ "draining twice", MAGIC "store_id 1\nstore posix:/x\nstore_id 2\n"
		"store posix:/y\ndraining 2\ndraining 2\n", 0 },
	{ "one id for two stores", MAGIC "store_id 1\nstore posix:/x\n"
		"store_id 1\nstore posix:/y\n", 0 },
	{ "five stores", MAGIC "store_id 1\nstore p:/a\nstore_id 2\nstore p:/b\n"
		"store_id 3\nstore p:/c\nstore_id 4\nstore p:/d\n"
		"store_id 5\nstore p:/e\n", 0 },
	{ "store_id last", MAGIC "store_id 1\nstore posix:/x\nstore_id 2\n", 0 },
	{ "last_id 0", MAGIC "store_id 1\nstore posix:/x\nlast_id 0\n", 0 },
	{ "last_id twice", MAGIC "store_id 1\nstore posix:/x\nlast_id 3\n"
		"last_id 3\n", 0 },
	{ "NUL byte inside", MAGIC "store_id 1\nstore posix:/x\0y\n",
		sizeof(MAGIC "store_id 1\nstore posix:/x\0y\n") - 1 },
};

/* Values a strict parser would refuse; binding.c accepts them today. */
static const struct {
	const char	*name;
	const char	*text;
} lenient[] = {
	{ "store_id with '+'", MAGIC "store_id +1\nstore posix:/x\n" },
	{ "store_id with two spaces", MAGIC "store_id  1\nstore posix:/x\n" },
	{ "blank line", MAGIC "store_id 1\n\nstore posix:/x\n" },
};

static void
test_round_trip(void)
{
	struct hsm_binding	b, back;
	char			buf[4200], *longspec;
	size_t			i;
	int			n, rc;

	longspec = malloc(sizeof(b.store[0].spec));
	if (!longspec)
		return;
	memcpy(longspec, "posix:", 6);
	memset(longspec + 6, 'd', sizeof(b.store[0].spec) - 7);
	longspec[sizeof(b.store[0].spec) - 1] = '\0';

	for (i = 0; i < ARRAY_SIZE(good); i++) {
		const char *spec = good[i].spec ? good[i].spec : longspec;

		memset(&b, 0, sizeof(b));
		b.nstores = 1;
		b.store[0].id = good[i].id;
		snprintf(b.store[0].spec, sizeof(b.store[0].spec), "%s", spec);
		memset(buf, 'Z', sizeof(buf));
		n = hsm_binding_format(&b, buf, sizeof(buf));
		rc = n < 0 ? n : hsm_binding_parse(buf, n, &back);
		ok(n > 0 && (size_t)n == strlen(buf) &&
		   (!good[i].text || !strcmp(buf, good[i].text)) && rc == 0 &&
		   back.store[0].id == good[i].id && !strcmp(back.store[0].spec, spec),
		   "binding %u \"%.40s\": format (%d) and parse (%d) round trip",
		   good[i].id, spec, n, rc);
	}
	free(longspec);
}

/* "records 2": written only when set, read back, and in any position. */
static void
test_records_line(void)
{
	static const char	want[] = MAGIC "store_id 7\nstore posix:/s\n"
					 "records 2\n";
	static const char	first[] = MAGIC "records 2\nstore_id 7\n"
					  "store posix:/s\n";
	struct hsm_binding	b, back;
	char			buf[4200];
	int			n, rc;

	memset(&b, 0, sizeof(b));
	b.nstores = 1;
		b.store[0].id = 7;
	snprintf(b.store[0].spec, sizeof(b.store[0].spec), "posix:/s");
	n = hsm_binding_format(&b, buf, sizeof(buf));
	rc = n < 0 ? n : hsm_binding_parse(buf, n, &back);
	ok(n > 0 && !strstr(buf, "records") && rc == 0 && !back.records_v2,
	   "no records line unless v2-only: parsed back as may-hold-v1 (%d)",
	   rc);
	b.records_v2 = true;
	n = hsm_binding_format(&b, buf, sizeof(buf));
	rc = n < 0 ? n : hsm_binding_parse(buf, n, &back);
	ok(n > 0 && !strcmp(buf, want) && rc == 0 && back.records_v2 &&
	   back.store[0].id == 7, "v2-only: \"records 2\" written and read "
	   "back (%d)", rc);
	rc = hsm_binding_parse(first, strlen(first), &back);
	ok(rc == 0 && back.records_v2 && !strcmp(back.store[0].spec, "posix:/s"),
	   "\"records 2\" before the other lines is read (%d)", rc);
}

/* Several stores, one draining, a removed one's id: round trip. */
static void
test_several(void)
{
	static const char	want[] = MAGIC "store_id 1\nstore posix:/a\n"
					 "store_id 3\nstore rados:hsm\n"
					 "draining 1\nlast_id 4\nrecords 2\n";
	struct hsm_binding	*b, *back;
	char			buf[4200];
	int			n, rc;

	b = calloc(1, sizeof(*b));
	back = calloc(1, sizeof(*back));
	if (!b || !back) {
		skip(2, "out of memory");
		goto out;
	}
	b->nstores = 2;
	b->store[0].id = 1;
	b->store[0].draining = true;
	strcpy(b->store[0].spec, "posix:/a");
	b->store[1].id = 3;
	strcpy(b->store[1].spec, "rados:hsm");
	b->last_id = 4;
	b->records_v2 = true;
	n = hsm_binding_format(b, buf, sizeof(buf));
	rc = n < 0 ? n : hsm_binding_parse(buf, n, back);
	ok(n > 0 && !strcmp(buf, want) && rc == 0 && back->nstores == 2 &&
	   back->store[0].draining && !back->store[1].draining &&
	   back->store[1].id == 3 && !strcmp(back->store[1].spec, "rados:hsm") &&
	   back->last_id == 4 && back->records_v2,
	   "two stores, one draining, last_id: format and parse (%d)", rc);
	b->store[1].id = 1;
	n = hsm_binding_format(b, buf, sizeof(buf));
	ok(n == -EINVAL, "format refuses two stores of one id (%d)", n);
out:
	free(b);
	free(back);
}

static void
test_bad_format(void)
{
	struct hsm_binding	b;
	char			buf[4200];
	size_t			i;
	int			rc;

	for (i = 0; i < ARRAY_SIZE(bad_format); i++) {
		memset(&b, 0, sizeof(b));
		b.nstores = 1;
		b.store[0].id = bad_format[i].id;
		snprintf(b.store[0].spec, sizeof(b.store[0].spec), "%s", bad_format[i].spec);
		rc = hsm_binding_format(&b, buf, bad_format[i].bufsize);
		ok(rc == bad_format[i].expect, "format refuses %s: %d (%d)",
		   bad_format[i].name, bad_format[i].expect, rc);
	}

	/* store_id 0 is refused by parse, so format must not write it */
	memset(&b, 0, sizeof(b));
	b.nstores = 1;
	snprintf(b.store[0].spec, sizeof(b.store[0].spec), "posix:/x");
	rc = hsm_binding_format(&b, buf, sizeof(buf));
	ok(rc == -EINVAL, "format refuses store_id 0: -EINVAL (%d)", rc);
}

static void
test_bad_parse(void)
{
	struct hsm_binding	*b;
	char			*big;
	size_t			i, len;
	int			rc;

	b = malloc(sizeof(*b));
	if (!b)
		return;
	for (i = 0; i < ARRAY_SIZE(bad_parse); i++) {
		len = bad_parse[i].len ? bad_parse[i].len :
					 strlen(bad_parse[i].text);
		rc = hsm_binding_parse(bad_parse[i].text, len, b);
		ok(rc == -EUCLEAN, "parse refuses %s: -EUCLEAN (%d)",
		   bad_parse[i].name, rc);
	}

	/* a spec longer than the struct holds, and a huge value */
	big = malloc(2 * sizeof(b->store[0].spec) + 64);
	if (big) {
		len = sprintf(big, MAGIC "store_id 1\nstore posix:");
		memset(big + len, 'd', sizeof(b->store[0].spec));
		len += sizeof(b->store[0].spec);
		big[len++] = '\n';
		rc = hsm_binding_parse(big, len, b);
		ok(rc == -EUCLEAN, "parse refuses a spec of %zu bytes (%d)",
		   sizeof(b->store[0].spec) + 6, rc);
		memset(big + len - 1, 'd', sizeof(b->store[0].spec));
		len += sizeof(b->store[0].spec) - 1;
		big[len++] = '\n';
		rc = hsm_binding_parse(big, len, b);
		ok(rc == -EUCLEAN, "parse refuses a value of %zu bytes (%d)",
		   len, rc);
		free(big);
	} else {
		skip(2, "out of memory");
	}

	for (i = 0; i < ARRAY_SIZE(lenient); i++) {
		rc = hsm_binding_parse(lenient[i].text,
				       strlen(lenient[i].text), b);
		ok(rc == -EUCLEAN, "parse refuses %s: -EUCLEAN (%d)",
		   lenient[i].name, rc);
	}
	free(b);
}

int
main(void)
{
	plan_tests(2 + ARRAY_SIZE(good) + ARRAY_SIZE(bad_format) + 1 +
		   ARRAY_SIZE(bad_parse) + 2 + ARRAY_SIZE(lenient) + 3);
	test_round_trip();
	test_records_line();
	test_several();
	test_bad_format();
	test_bad_parse();
	return exit_status();
}
