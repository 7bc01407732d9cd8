// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * fuzz_s3agg.c - the two objects of an S3 store's small-file aggregates
 * (store/s3_agg_format.c): an aggregate's header and table of contents,
 * and its state.  Recall, gc, audit and list read them from a bucket,
 * where anyone with the keys can write them, so a damaged or crafted one
 * must be refused or read within its bytes.  The first byte chooses the
 * parser (even: an aggregate, odd: a state), the rest is the object.
 *
 * An aggregate that parses has its entries within its contents, slots
 * ascending and each found by its slot; if its members' bytes are all
 * there, it builds again (agg_build, as publish and repack write) into
 * one that parses to the same entries.  A state that parses formats to
 * text that parses and formats to the very same bytes.
 */
#include <errno.h>
#include <string.h>
#include "store/s3_agg.h"
#include "fuzz.h"

static void
fuzz_toc(
	const uint8_t		*data,
	size_t			size)
{
	struct agg_toc		t = { 0 }, back = { 0 };
	struct agg_build_member	*m;
	const char		*end;
	char			*built;
	size_t			i, len;
	int			rc;

	/* as read: a NUL after the bytes (s3_request's body) */
	t.raw = fuzz_strdup(data, size);
	if (!t.raw)
		return;
	t.raw_len = size;
	rc = agg_toc_parse(&t);
	FUZZ_CHECK(rc == 0 || rc == -EAGAIN || rc == -EUCLEAN ||
		   rc == -ENOMEM);
	if (rc == -EAGAIN)
		FUZZ_CHECK(t.data_start > t.raw_len);
	if (rc) {
		agg_toc_free(&t);
		return;
	}
	FUZZ_CHECK(t.data_start <= t.raw_len && t.n <= S3_AGG_SLOTS);
	end = t.raw + t.data_start;
	for (i = 0; i < t.n; i++) {
		const struct agg_entry *e = &t.e[i];

		FUZZ_CHECK(e->meta > t.raw && e->meta + e->meta_len < end);
		FUZZ_CHECK(!i || e->slot > t.e[i - 1].slot);
		FUZZ_CHECK(agg_toc_find(&t, e->slot) == e);
		/* a member's bytes past the end: a reader's range read
		 * finds them short, and a repack refuses the aggregate */
		if (e->off > t.raw_len - t.data_start ||
		    e->len > t.raw_len - t.data_start - e->off)
			goto out;
	}
	m = calloc(t.n ? t.n : 1, sizeof(*m));
	if (!m)
		goto out;
	for (i = 0; i < t.n; i++) {
		m[i].slot = t.e[i].slot;
		m[i].oid = t.e[i].oid;
		m[i].data = end + t.e[i].off;
		m[i].len = t.e[i].len;
		m[i].meta = t.e[i].meta;
		m[i].meta_len = t.e[i].meta_len;
		m[i].stored = t.e[i].stored;
	}
	/* stored 0 is stored "now": 1 here */
	rc = agg_build(m, t.n, 1, &built, &len);
	FUZZ_CHECK(rc == 0 || rc == -ENOMEM);
	free(m);
	if (rc)
		goto out;
	back.raw = fuzz_strdup((const uint8_t *)built, len);
	free(built);
	if (!back.raw)
		goto out;
	back.raw_len = len;
	rc = agg_toc_parse(&back);
	FUZZ_CHECK(rc == 0 || rc == -ENOMEM);
	if (!rc) {
		uint64_t off = 0;

		FUZZ_CHECK(back.n == t.n && back.data_start <= back.raw_len);
		for (i = 0; i < t.n; i++) {
			const struct agg_entry *a = &t.e[i], *b = &back.e[i];

			FUZZ_CHECK(a->slot == b->slot && a->len == b->len &&
				   b->off == off &&
				   !memcmp(a->oid, b->oid, HSM_OID_LEN) &&
				   (a->stored ? a->stored : 1) == b->stored &&
				   a->meta_len == b->meta_len &&
				   !memcmp(a->meta, b->meta, a->meta_len) &&
				   !memcmp(end + a->off,
					   back.raw + back.data_start + off,
					   a->len));
			off += a->len;
		}
	}
	agg_toc_free(&back);
out:
	agg_toc_free(&t);
}

static void
fuzz_state(
	const uint8_t		*data,
	size_t			size)
{
	struct agg_state	st = { 0 }, back = { 0 };
	char			*text, *t1, *t2, *copy;
	size_t			l1, l2, i;
	int			rc;

	text = fuzz_strdup(data, size);
	if (!text)
		return;
	rc = agg_state_parse(text, size, &st);
	FUZZ_CHECK(rc == 0 || rc == -EUCLEAN || rc == -ENOMEM);
	if (rc)
		goto out;
	for (i = 1; i < st.n; i++)
		FUZZ_CHECK(st.s[i].slot > st.s[i - 1].slot);
	rc = agg_state_format(&st, &t1, &l1);
	FUZZ_CHECK(rc == 0 || rc == -ENOMEM);
	if (rc)
		goto out;
	/* read back as a GET would give it: a NUL after the bytes */
	copy = fuzz_strdup((const uint8_t *)t1, l1);
	rc = copy ? agg_state_parse(copy, l1, &back) : -ENOMEM;
	FUZZ_CHECK(rc == 0 || rc == -ENOMEM);
	if (!rc && !agg_state_format(&back, &t2, &l2)) {
		FUZZ_CHECK(l1 == l2 && !memcmp(t1, t2, l1));
		free(t2);
	}
	free(copy);
	free(t1);
out:
	agg_state_free(&back);
	agg_state_free(&st);
	free(text);
}

int
LLVMFuzzerTestOneInput(
	const uint8_t		*data,
	size_t			size)
{
	if (!size)
		return 0;
	if (data[0] & 1)
		fuzz_state(data + 1, size - 1);
	else
		fuzz_toc(data + 1, size - 1);
	return 0;
}
