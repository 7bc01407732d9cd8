// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test_record.c - the trusted.hsm record: encode/decode round trips, the
 * exact v1 byte layout, corrupt and foreign values, and the printable
 * names of states and pending operations.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "hsm.h"
#include "tap.h"

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

/* ---- an independent v1 encoder, from the layout in the brief ---------- */

static void
le32_put(
	uint8_t		*p,
	uint32_t	v)
{
	int		i;

	for (i = 0; i < 4; i++)
		p[i] = v >> (8 * i);
}

static void
le64_put(
	uint8_t		*p,
	uint64_t	v)
{
	int		i;

	for (i = 0; i < 8; i++)
		p[i] = v >> (8 * i);
}

/* Recompute the trailing XXH3 of a 128-byte record. */
static void
reseal(
	uint8_t		*p)
{
	le64_put(p + 120, XXH3_64bits(p, 120));
}

static void
ref_encode(
	const struct hsm_record	*r,
	uint8_t			*p)
{
	memset(p, 0, HSM_RECORD_SIZE);
	memcpy(p, "XHSM", 4);
	p[4] = 1;
	p[5] = r->pending;
	p[6] = r->chunk_shift;
	le32_put(p + 8, r->flags);
	le32_put(p + 12, r->store_id);
	memcpy(p + 16, r->oid, 16);
	le64_put(p + 32, r->copy_version);
	le64_put(p + 40, r->size);
	le64_put(p + 48, (uint64_t)r->mtime_sec);
	le32_put(p + 56, r->mtime_nsec);
	le32_put(p + 60, r->owner_pid);
	le64_put(p + 64, r->checksum);
	le64_put(p + 72, (uint64_t)r->pending_since);
	memcpy(p + 80, r->owner_boot, 16);
	reseal(p);
}

/* Field-by-field equality (struct padding is not compared). */
static int
rec_equal(
	const struct hsm_record	*a,
	const struct hsm_record	*b)
{
	return a->flags == b->flags &&
	       a->pending == b->pending &&
	       a->chunk_shift == b->chunk_shift &&
	       a->store_id == b->store_id &&
	       !memcmp(a->oid, b->oid, sizeof(a->oid)) &&
	       a->copy_version == b->copy_version &&
	       a->size == b->size &&
	       a->mtime_sec == b->mtime_sec &&
	       a->mtime_nsec == b->mtime_nsec &&
	       a->checksum == b->checksum &&
	       a->pending_since == b->pending_since &&
	       a->owner_pid == b->owner_pid &&
	       !memcmp(a->owner_boot, b->owner_boot, sizeof(a->owner_boot));
}

/* ---- good records ------------------------------------------------------ */

#define OID_A { 0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef, \
		0xfe, 0xdc, 0xba, 0x98, 0x76, 0x54, 0x32, 0x10 }
#define OID_FF { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, \
		 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff }

static const struct {
	const char		*name;
	struct hsm_record	rec;
} good[] = {
	{ "all zero (resident, no store)", { 0 } },
	{ "archived", { .flags = HSM_F_ARCHIVED, .store_id = 1, .oid = OID_A,
		.copy_version = 1, .size = 12345, .mtime_sec = 1700000000,
		.mtime_nsec = 123456789, .checksum = 0x0123456789abcdefULL } },
	{ "released", { .flags = HSM_F_ARCHIVED | HSM_F_RELEASED,
		.store_id = 2, .oid = OID_A, .size = 1ULL << 40 } },
	{ "dirty", { .flags = HSM_F_ARCHIVED | HSM_F_DIRTY, .oid = OID_A } },
	{ "lost", { .flags = HSM_F_LOST | HSM_F_RELEASED, .oid = OID_A } },
	{ "norelease", { .flags = HSM_F_NORELEASE } },
	{ "noarchive", { .flags = HSM_F_NOARCHIVE } },
	{ "every flag", { .flags = HSM_F_ALL } },
	{ "pending migrating", { .pending = HSM_OP_MIGRATING,
		.pending_since = 1700000001, .owner_pid = 4242,
		.owner_boot = OID_A } },
	{ "pending releasing", { .flags = HSM_F_ARCHIVED,
		.pending = HSM_OP_RELEASING, .pending_since = 1,
		.owner_pid = 1 } },
	{ "pending recalling", { .flags = HSM_F_ARCHIVED | HSM_F_RELEASED,
		.pending = HSM_OP_RECALLING, .chunk_shift = 20,
		.pending_since = 2 } },
	{ "pending forgetting", { .flags = HSM_F_ARCHIVED,
		.pending = HSM_OP_FORGETTING, .pending_since = 3 } },
	{ "partial with chunk_shift 21", { .flags = HSM_F_ARCHIVED |
		HSM_F_RELEASED, .chunk_shift = 21, .size = 1ULL << 40 } },
	{ "max values", { .flags = HSM_F_ALL, .pending = HSM_OP_MAX,
		.chunk_shift = 63, .store_id = UINT32_MAX, .oid = OID_FF,
		.copy_version = UINT64_MAX, .size = UINT64_MAX,
		.mtime_sec = INT64_MAX, .mtime_nsec = 999999999,
		.checksum = UINT64_MAX, .pending_since = INT64_MAX,
		.owner_pid = UINT32_MAX, .owner_boot = OID_FF } },
	{ "min signed values", { .mtime_sec = INT64_MIN,
		.pending_since = INT64_MIN } },
	{ "negative mtime (before 1970)", { .flags = HSM_F_ARCHIVED,
		.mtime_sec = -1, .mtime_nsec = 500000000 } },
};

/* ---- records encode must refuse ---------------------------------------- */

static const struct {
	const char		*name;
	struct hsm_record	rec;
} refused[] = {
	{ "flag bit 8", { .flags = 1U << 8 } },
	{ "flag bit 31", { .flags = HSM_F_ARCHIVED | (1U << 31) } },
	{ "all flag bits", { .flags = UINT32_MAX } },
	{ "pending op max+1", { .pending = HSM_OP_MAX + 1 } },
	{ "pending op 255", { .pending = 255 } },
	{ "chunk_shift 64", { .chunk_shift = 64 } },
	{ "mtime_nsec 1e9", { .mtime_nsec = 1000000000U } },
};

/* ---- corrupt values ------------------------------------------------------ */

enum mutation {
	M_LEN,			/* decode only the first @arg bytes */
	M_LEN_EXTRA,		/* append @arg bytes (zero) */
	M_FLIP,			/* flip bit @arg (byte*8+bit), no reseal */
	M_SET8,			/* byte @arg = @val, then reseal */
	M_SET32,		/* le32 at @arg = @val, then reseal */
	M_SET8_RAW,		/* byte @arg = @val, no reseal */
};

static const struct {
	const char	*name;
	enum mutation	m;
	unsigned	arg;
	uint32_t	val;
	int		expect;
} corrupt[] = {
	{ "empty",			M_LEN, 0, 0, -EUCLEAN },
	{ "1 byte",			M_LEN, 1, 0, -EUCLEAN },
	{ "4 bytes (magic only)",	M_LEN, 4, 0, -EUCLEAN },
	{ "7 bytes",			M_LEN, 7, 0, -EUCLEAN },
	{ "64 bytes",			M_LEN, 64, 0, -EUCLEAN },
	{ "truncated to 127",		M_LEN, 127, 0, -EUCLEAN },
	{ "extra byte (129)",		M_LEN_EXTRA, 1, 0, -EUCLEAN },
	{ "extra 128 bytes (256)",	M_LEN_EXTRA, 128, 0, -EUCLEAN },
	{ "bad magic byte 0",		M_SET8, 0, 'x', -EUCLEAN },
	{ "bad magic byte 3",		M_SET8, 3, 'm', -EUCLEAN },
	{ "magic zeroed",		M_SET32, 0, 0, -EUCLEAN },
	{ "flip magic bit",		M_FLIP, 0 * 8 + 5, 0, -EUCLEAN },
	{ "flip pending bit",		M_FLIP, 5 * 8 + 0, 0, -EUCLEAN },
	{ "flip chunk_shift bit",	M_FLIP, 6 * 8 + 1, 0, -EUCLEAN },
	{ "flip reserved byte 7",	M_FLIP, 7 * 8 + 7, 0, -EUCLEAN },
	{ "flip flags bit 0",		M_FLIP, 8 * 8 + 0, 0, -EUCLEAN },
	{ "flip flags bit 1",		M_FLIP, 8 * 8 + 1, 0, -EUCLEAN },
	{ "flip store_id bit",		M_FLIP, 12 * 8 + 3, 0, -EUCLEAN },
	{ "flip oid first bit",		M_FLIP, 16 * 8 + 0, 0, -EUCLEAN },
	{ "flip oid last bit",		M_FLIP, 31 * 8 + 7, 0, -EUCLEAN },
	{ "flip copy_version bit",	M_FLIP, 32 * 8 + 0, 0, -EUCLEAN },
	{ "flip size bit",		M_FLIP, 40 * 8 + 4, 0, -EUCLEAN },
	{ "flip size top bit",		M_FLIP, 47 * 8 + 7, 0, -EUCLEAN },
	{ "flip mtime_sec bit",		M_FLIP, 48 * 8 + 0, 0, -EUCLEAN },
	{ "flip mtime_nsec bit",	M_FLIP, 56 * 8 + 2, 0, -EUCLEAN },
	{ "flip owner_pid bit",		M_FLIP, 60 * 8 + 0, 0, -EUCLEAN },
	{ "flip checksum bit",		M_FLIP, 64 * 8 + 6, 0, -EUCLEAN },
	{ "flip pending_since bit",	M_FLIP, 72 * 8 + 0, 0, -EUCLEAN },
	{ "flip owner_boot bit",	M_FLIP, 80 * 8 + 0, 0, -EUCLEAN },
	{ "flip reserved byte 96",	M_FLIP, 96 * 8 + 0, 0, -EUCLEAN },
	{ "flip reserved byte 119",	M_FLIP, 119 * 8 + 7, 0, -EUCLEAN },
	{ "flip record checksum low",	M_FLIP, 120 * 8 + 0, 0, -EUCLEAN },
	{ "flip record checksum high",	M_FLIP, 127 * 8 + 7, 0, -EUCLEAN },
	{ "checksum zeroed",		M_SET8_RAW, 120, 0, -EUCLEAN },
	{ "version 2, valid checksum",	M_SET8, 4, 2, -EPROTONOSUPPORT },
	{ "version 0, valid checksum",	M_SET8, 4, 0, -EPROTONOSUPPORT },
	{ "version 255, valid checksum", M_SET8, 4, 255, -EPROTONOSUPPORT },
	{ "flag bit 8, valid checksum",	M_SET32, 8, HSM_F_ARCHIVED | (1U << 8),
							-EUCLEAN },
	{ "flag bit 31, valid checksum", M_SET32, 8, 1U << 31, -EUCLEAN },
	{ "pending max+1, valid checksum", M_SET8, 5, HSM_OP_MAX + 1,
							-EUCLEAN },
	{ "pending 255, valid checksum", M_SET8, 5, 255, -EUCLEAN },
	{ "chunk_shift 64, valid checksum", M_SET8, 6, 64, -EUCLEAN },
	{ "mtime_nsec 1e9, valid checksum", M_SET32, 56, 1000000000U,
							-EUCLEAN },
	{ "reserved byte 7, valid checksum", M_SET8, 7, 1, -EUCLEAN },
	{ "reserved byte 96, valid checksum", M_SET8, 96, 0x80, -EUCLEAN },
	{ "reserved byte 119, valid checksum", M_SET8, 119, 1, -EUCLEAN },
};

/* ---- names ---------------------------------------------------------------- */

static const struct {
	unsigned	val;
	const char	*name;
} state_names[] = {
	{ HSM_STATE_RESIDENT, "resident" },
	{ HSM_STATE_ARCHIVED, "archived" },
	{ HSM_STATE_RELEASED, "released" },
	{ HSM_STATE_PARTIAL, "partial" },
	{ HSM_STATE_PARTIAL + 1, "unknown" },
	{ 1000, "unknown" },
	{ (unsigned)-1, "unknown" },
}, op_names[] = {
	{ HSM_OP_NONE, "none" },
	{ HSM_OP_MIGRATING, "migrating" },
	{ HSM_OP_RELEASING, "releasing" },
	{ HSM_OP_RECALLING, "recalling" },
	{ HSM_OP_FORGETTING, "forgetting" },
	{ HSM_OP_MAX + 1, "unknown" },
	{ 255, "unknown" },
	{ (unsigned)-1, "unknown" },
};

/* The record every corrupt row starts from: all fields non-trivial. */
static const struct hsm_record base = {
	.flags = HSM_F_ARCHIVED | HSM_F_RELEASED, .pending = HSM_OP_RECALLING,
	.chunk_shift = 20, .store_id = 7, .oid = OID_A, .copy_version = 3,
	.size = 5 << 20, .mtime_sec = 1700000000, .mtime_nsec = 42,
	.checksum = 0xdeadbeefcafef00dULL, .pending_since = 1700000100,
	.owner_pid = 31337, .owner_boot = OID_A,
};

/* Decode @buf into a sentinel-filled record; say whether it was kept. */
static int
decode_keeps(
	const void		*buf,
	size_t			len,
	int			*rc)
{
	struct hsm_record	r, sentinel;

	memset(&sentinel, 0xa5, sizeof(sentinel));
	memcpy(&r, &sentinel, sizeof(r));
	*rc = hsm_record_decode(buf, len, &r);
	return !memcmp(&r, &sentinel, sizeof(r));
}

static void
test_good(void)
{
	uint8_t			buf[HSM_RECORD_SIZE + 1], ref[HSM_RECORD_SIZE];
	struct hsm_record	out;
	size_t			i;
	int			rc, rc2;

	for (i = 0; i < ARRAY_SIZE(good); i++) {
		memset(buf, 0xee, sizeof(buf));
		rc = hsm_record_encode(&good[i].rec, buf);
		ref_encode(&good[i].rec, ref);
		ok(rc == 0 && !memcmp(buf, ref, HSM_RECORD_SIZE) &&
		   buf[HSM_RECORD_SIZE] == 0xee,
		   "encode %s: v1 layout (rc %d)", good[i].name, rc);
		memset(&out, 0x5a, sizeof(out));
		rc2 = hsm_record_decode(ref, HSM_RECORD_SIZE, &out);
		ok(rc2 == 0 && rec_equal(&out, &good[i].rec),
		   "decode %s: round trip (rc %d)", good[i].name, rc2);
	}

	/* An xattr buffer need not be aligned. */
	ref_encode(&base, buf + 1);
	rc = hsm_record_decode(buf + 1, HSM_RECORD_SIZE, &out);
	ok(rc == 0 && rec_equal(&out, &base), "decode from an unaligned buffer");
}

static void
test_refused(void)
{
	uint8_t		buf[HSM_RECORD_SIZE];
	size_t		i;
	int		rc;

	for (i = 0; i < ARRAY_SIZE(refused); i++) {
		memset(buf, 0x3c, sizeof(buf));
		rc = hsm_record_encode(&refused[i].rec, buf);
		ok(rc == -EINVAL, "encode refuses %s (rc %d)",
		   refused[i].name, rc);
	}
}

static void
test_corrupt(void)
{
	uint8_t		good_buf[HSM_RECORD_SIZE], buf[2 * HSM_RECORD_SIZE];
	size_t		i, len;
	int		rc, kept;

	ref_encode(&base, good_buf);
	rc = hsm_record_decode(good_buf, sizeof(good_buf),
			       &(struct hsm_record){ 0 });
	ok(rc == 0, "the base record of the corrupt rows decodes (rc %d)", rc);

	for (i = 0; i < ARRAY_SIZE(corrupt); i++) {
		unsigned a = corrupt[i].arg;

		memset(buf, 0, sizeof(buf));
		memcpy(buf, good_buf, sizeof(good_buf));
		len = HSM_RECORD_SIZE;
		switch (corrupt[i].m) {
		case M_LEN:
			len = a;
			break;
		case M_LEN_EXTRA:
			len += a;
			break;
		case M_FLIP:
			buf[a / 8] ^= 1U << (a % 8);
			break;
		case M_SET8:
			buf[a] = corrupt[i].val;
			reseal(buf);
			break;
		case M_SET32:
			le32_put(buf + a, corrupt[i].val);
			reseal(buf);
			break;
		case M_SET8_RAW:
			buf[a] = corrupt[i].val;
			break;
		}
		kept = decode_keeps(buf, len, &rc);
		ok(rc == corrupt[i].expect && kept,
		   "decode %s: %d, record untouched (rc %d%s)",
		   corrupt[i].name, corrupt[i].expect, rc,
		   kept ? "" : ", record changed");
	}
}

/* Every single-bit flip of a valid record is rejected, none is accepted. */
static void
test_all_flips(void)
{
	uint8_t			good_buf[HSM_RECORD_SIZE], buf[HSM_RECORD_SIZE];
	unsigned		bit, accepted = 0, other = 0;
	int			rc, kept;

	ref_encode(&base, good_buf);
	for (bit = 0; bit < 8 * HSM_RECORD_SIZE; bit++) {
		memcpy(buf, good_buf, sizeof(buf));
		buf[bit / 8] ^= 1U << (bit % 8);
		kept = decode_keeps(buf, sizeof(buf), &rc);
		if (rc == 0)
			accepted++;
		/* the version byte may say "another version" */
		else if (!kept || !(rc == -EUCLEAN ||
			 (bit / 8 == 4 && rc == -EPROTONOSUPPORT)))
			other++;
	}
	ok(accepted == 0 && other == 0,
	   "all %u single-bit flips rejected (%u accepted, %u other errors)",
	   8 * HSM_RECORD_SIZE, accepted, other);
}

static void
test_names(void)
{
	const char	*s;
	size_t		i;

	for (i = 0; i < ARRAY_SIZE(state_names); i++) {
		s = hsm_state_name(state_names[i].val);
		ok(s && !strcmp(s, state_names[i].name),
		   "hsm_state_name(%u) is \"%s\" (got \"%s\")",
		   state_names[i].val, state_names[i].name, s ? s : "(null)");
	}
	for (i = 0; i < ARRAY_SIZE(op_names); i++) {
		s = hsm_op_name(op_names[i].val);
		ok(s && !strcmp(s, op_names[i].name),
		   "hsm_op_name(%u) is \"%s\" (got \"%s\")",
		   op_names[i].val, op_names[i].name, s ? s : "(null)");
	}
}

int
main(void)
{
	plan_tests(2 * ARRAY_SIZE(good) + 1 + ARRAY_SIZE(refused) +
		   1 + ARRAY_SIZE(corrupt) + 1 +
		   ARRAY_SIZE(state_names) + ARRAY_SIZE(op_names));
	test_good();
	test_refused();
	test_corrupt();
	test_all_flips();
	test_names();
	return exit_status();
}
