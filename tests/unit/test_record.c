// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test_record.c - the trusted.hsm record: encode/decode round trips, the
 * exact v2 byte layout, v1 records still read (with the copy state their
 * flags imply), corrupt and foreign values of both versions, and the
 * printable names of states and pending operations.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "hsm.h"
#include "tap.h"

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

#define V1_SIZE		128
#define V1_CSUM		120
#define V2_SIZE		160
#define V2_CSUM		152
#define V2_COPY(i)	(80 + 24 * (i))	/* copy slot i of v2 */

/* ---- independent encoders, from the layouts in record.c ---------------- */

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

static size_t
rec_size(
	int		ver)
{
	return ver == 1 ? V1_SIZE : V2_SIZE;
}

static size_t
csum_off(
	int		ver)
{
	return ver == 1 ? V1_CSUM : V2_CSUM;
}

/* Recompute the trailing XXH3 of a record of version @ver. */
static void
reseal(
	uint8_t		*p,
	int		ver)
{
	le64_put(p + csum_off(ver), XXH3_64bits(p, csum_off(ver)));
}

/* v1: 128 bytes, one store_id and oid, no copy state. */
static void
ref_encode_v1(
	const struct hsm_record	*r,
	uint8_t			*p)
{
	memset(p, 0, V1_SIZE);
	memcpy(p, "XHSM", 4);
	p[4] = 1;
	p[5] = r->pending;
	p[6] = r->chunk_shift;
	le32_put(p + 8, r->flags);
	le32_put(p + 12, r->copy[0].store_id);
	memcpy(p + 16, r->copy[0].oid, 16);
	le64_put(p + 32, r->copy_version);
	le64_put(p + 40, r->size);
	le64_put(p + 48, (uint64_t)r->mtime_sec);
	le32_put(p + 56, r->mtime_nsec);
	le32_put(p + 60, r->owner_pid);
	le64_put(p + 64, r->checksum);
	le64_put(p + 72, (uint64_t)r->pending_since);
	memcpy(p + 80, r->owner_boot, 16);
	reseal(p, 1);
}

/* v2: 160 bytes, three 24-byte copy slots from offset 80. */
static void
ref_encode_v2(
	const struct hsm_record	*r,
	uint8_t			*p)
{
	int			i;

	memset(p, 0, V2_SIZE);
	memcpy(p, "XHSM", 4);
	p[4] = 2;
	p[5] = r->pending;
	p[6] = r->chunk_shift;
	le32_put(p + 8, r->flags);
	le32_put(p + 12, r->owner_pid);
	le64_put(p + 16, r->size);
	le64_put(p + 24, (uint64_t)r->mtime_sec);
	le32_put(p + 32, r->mtime_nsec);
	le64_put(p + 40, r->checksum);
	le64_put(p + 48, (uint64_t)r->pending_since);
	memcpy(p + 56, r->owner_boot, 16);
	le64_put(p + 72, r->copy_version);
	for (i = 0; i < 3; i++) {
		le32_put(p + V2_COPY(i), r->copy[i].store_id);
		p[V2_COPY(i) + 4] = r->copy[i].state;
		memcpy(p + V2_COPY(i) + 8, r->copy[i].oid, 16);
	}
	reseal(p, 2);
}

static void
ref_encode(
	const struct hsm_record	*r,
	int			ver,
	uint8_t			*p)
{
	if (ver == 1)
		ref_encode_v1(r, p);
	else
		ref_encode_v2(r, p);
}

/* Field-by-field equality (struct padding is not compared). */
static int
rec_equal(
	const struct hsm_record	*a,
	const struct hsm_record	*b)
{
	int			i;

	for (i = 0; i < HSM_COPIES_MAX; i++)
		if (a->copy[i].store_id != b->copy[i].store_id ||
		    a->copy[i].state != b->copy[i].state ||
		    memcmp(a->copy[i].oid, b->copy[i].oid, HSM_OID_LEN))
			return 0;
	return a->version == b->version &&
	       a->flags == b->flags &&
	       a->pending == b->pending &&
	       a->chunk_shift == b->chunk_shift &&
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
#define OID_B { 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, \
		0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01 }
#define OID_FF { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, \
		 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff }

#define NONE		HSM_COPY_NONE
#define WANTED		HSM_COPY_WANTED
#define DURABLE		HSM_COPY_DURABLE
#define LOST		HSM_COPY_LOST

/*
 * Each row is a valid record; v1_state is what its v1 encoding (copy 0's
 * store_id and oid, the flags, the pending op) must decode to.
 */
static const struct {
	const char		*name;
	struct hsm_record	rec;
	uint8_t			v1_state;
} good[] = {
	{ "all zero (resident, no store)", { 0 }, NONE },
	{ "archived", { .flags = HSM_F_ARCHIVED,
		.copy[0] = { 1, DURABLE, OID_A },
		.copy_version = 1, .size = 12345, .mtime_sec = 1700000000,
		.mtime_nsec = 123456789, .checksum = 0x0123456789abcdefULL },
		DURABLE },
	{ "released", { .flags = HSM_F_ARCHIVED | HSM_F_RELEASED,
		.copy[0] = { 2, DURABLE, OID_A }, .size = 1ULL << 40 },
		DURABLE },
	{ "dirty, store id 0", { .flags = HSM_F_ARCHIVED | HSM_F_DIRTY,
		.copy[0] = { 0, DURABLE, OID_A } }, DURABLE },
	{ "lost", { .flags = HSM_F_LOST | HSM_F_RELEASED,
		.copy[0] = { 4, LOST, OID_A } }, LOST },
	/* v1 has no copy state: its flags decide, not what v2 said */
	{ "lost flag, copy durable", { .flags = HSM_F_LOST,
		.copy[0] = { 4, DURABLE, OID_A } }, LOST },
	{ "copy lost, no lost flag", { .flags = HSM_F_ARCHIVED,
		.copy[0] = { 4, LOST, OID_A } }, DURABLE },
	{ "norelease", { .flags = HSM_F_NORELEASE }, NONE },
	{ "noarchive", { .flags = HSM_F_NOARCHIVE }, NONE },
	{ "every flag", { .flags = HSM_F_ALL }, NONE },
	{ "pending migrating, no object yet", { .pending = HSM_OP_MIGRATING,
		.pending_since = 1700000001, .owner_pid = 4242,
		.owner_boot = OID_A }, NONE },
	{ "pending migrating, copy wanted", { .pending = HSM_OP_MIGRATING,
		.copy[0] = { 3, WANTED, OID_B }, .pending_since = 1700000001,
		.owner_pid = 4242, .owner_boot = OID_A }, WANTED },
	/* migrating wins over the lost flag */
	{ "pending migrating, lost flag", { .flags = HSM_F_LOST,
		.pending = HSM_OP_MIGRATING,
		.copy[0] = { 3, WANTED, OID_B } }, WANTED },
	{ "pending releasing", { .flags = HSM_F_ARCHIVED,
		.pending = HSM_OP_RELEASING, .copy[0] = { 1, DURABLE, OID_A },
		.pending_since = 1, .owner_pid = 1 }, DURABLE },
	{ "pending recalling", { .flags = HSM_F_ARCHIVED | HSM_F_RELEASED,
		.pending = HSM_OP_RECALLING, .chunk_shift = 20,
		.copy[0] = { 1, DURABLE, OID_A }, .pending_since = 2 },
		DURABLE },
	{ "pending forgetting", { .flags = HSM_F_ARCHIVED,
		.pending = HSM_OP_FORGETTING, .copy[0] = { 1, DURABLE, OID_A },
		.pending_since = 3 }, DURABLE },
	{ "partial with chunk_shift 21", { .flags = HSM_F_ARCHIVED |
		HSM_F_RELEASED, .chunk_shift = 21,
		.copy[0] = { 1, DURABLE, OID_A }, .size = 1ULL << 40 },
		DURABLE },
	{ "three copies", { .flags = HSM_F_ARCHIVED,
		.copy = { { 1, DURABLE, OID_A }, { 2, WANTED, OID_B },
			  { 3, LOST, OID_FF } }, .copy_version = 9 }, DURABLE },
	{ "only copy 1 used", { .flags = HSM_F_ARCHIVED,
		.copy[1] = { 5, DURABLE, OID_B } }, NONE },
	{ "only copy 2 used", { .copy[2] = { 6, WANTED, OID_A } }, NONE },
	{ "max values", { .flags = HSM_F_ALL, .pending = HSM_OP_MAX,
		.chunk_shift = 63,
		.copy = { { UINT32_MAX, LOST, OID_FF },
			  { UINT32_MAX, LOST, OID_FF },
			  { UINT32_MAX, LOST, OID_FF } },
		.copy_version = UINT64_MAX, .size = UINT64_MAX,
		.mtime_sec = INT64_MAX, .mtime_nsec = 999999999,
		.checksum = UINT64_MAX, .pending_since = INT64_MAX,
		.owner_pid = UINT32_MAX, .owner_boot = OID_FF }, LOST },
	{ "min signed values", { .mtime_sec = INT64_MIN,
		.pending_since = INT64_MIN }, NONE },
	{ "negative mtime (before 1970)", { .flags = HSM_F_ARCHIVED,
		.mtime_sec = -1, .mtime_nsec = 500000000 }, NONE },
};

/* What decoding @r's v1 encoding must give: copy 0 only, state @state. */
static void
v1_view(
	const struct hsm_record	*r,
	uint8_t			state,
	struct hsm_record	*out)
{
	*out = *r;
	out->version = 1;
	memset(&out->copy[1], 0, sizeof(out->copy[1]));
	memset(&out->copy[2], 0, sizeof(out->copy[2]));
	out->copy[0].state = state;
	if (state == NONE)
		out->copy[0].store_id = 0;
}

/* v1 values with no v2 twin: a store id kept with no object. */
static const struct {
	const char		*name;
	struct hsm_record	v1;	/* copy[0].state is not encoded */
	struct hsm_record	want;
} v1_only[] = {
	{ "store id, no object",
		{ .flags = HSM_F_NOARCHIVE, .copy[0].store_id = 9 },
		{ .version = 1, .flags = HSM_F_NOARCHIVE } },
	{ "store id, no object, pending migrating",
		{ .pending = HSM_OP_MIGRATING, .copy[0].store_id = UINT32_MAX,
		  .owner_pid = 7 },
		{ .version = 1, .pending = HSM_OP_MIGRATING, .owner_pid = 7 } },
	{ "store id, no object, lost flag",
		{ .flags = HSM_F_LOST, .copy[0].store_id = 1 },
		{ .version = 1, .flags = HSM_F_LOST } },
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
	{ "copy 0 state 4", { .copy[0] = { 1, HSM_COPY_STATE_MAX + 1,
		OID_A } } },
	{ "copy 2 state 255", { .copy[0] = { 1, DURABLE, OID_A },
		.copy[2] = { 1, 255, OID_A } } },
	{ "copy 0 none with a store id", { .copy[0] = { 1, NONE } } },
	{ "copy 0 none with an object", { .copy[0] = { 0, NONE, OID_B } } },
	{ "copy 1 none with an object", { .copy[0] = { 1, DURABLE, OID_A },
		.copy[1] = { 0, NONE, OID_A } } },
	{ "copy 2 none with a store id", { .copy[2] = { UINT32_MAX, NONE } } },
	{ "copy 0 wanted, no object", { .copy[0] = { 1, WANTED } } },
	{ "copy 0 durable, no object", { .copy[0] = { 1, DURABLE } } },
	{ "copy 0 lost, no object", { .copy[0] = { 0, LOST } } },
	{ "copy 1 wanted, no object", { .copy[0] = { 1, DURABLE, OID_A },
		.copy[1] = { 2, WANTED } } },
};

/* ---- corrupt values ------------------------------------------------------ */

enum mutation {
	M_LEN,			/* decode only the first @arg bytes */
	M_LEN_EXTRA,		/* append @arg bytes (zero) */
	M_FLIP,			/* flip bit @arg (byte*8+bit), no reseal */
	M_SET8,			/* byte @arg = @val, then reseal */
	M_SET32,		/* le32 at @arg = @val, then reseal */
	M_SET8_RAW,		/* byte @arg = @val, no reseal */
	M_ZERO,			/* @val bytes at @arg = 0, then reseal */
};

/*
 * Rows start from base's encoding in version @ver (the reseal uses that
 * version's checksum offset).  base has copy 0 durable, copy 1 wanted and
 * copy 2 unused, so each copy rule can be broken with a good checksum.
 */
static const struct {
	const char	*name;
	int		ver;
	enum mutation	m;
	unsigned	arg;
	uint32_t	val;
	int		expect;
} corrupt[] = {
	/* v2: length, magic, version */
	{ "v2 empty",			2, M_LEN, 0, 0, -EUCLEAN },
	{ "v2 1 byte",			2, M_LEN, 1, 0, -EUCLEAN },
	{ "v2 4 bytes (magic only)",	2, M_LEN, 4, 0, -EUCLEAN },
	{ "v2 5 bytes (magic, version)", 2, M_LEN, 5, 0, -EUCLEAN },
	{ "v2 64 bytes",		2, M_LEN, 64, 0, -EUCLEAN },
	{ "v2 truncated to 128 (v1 size)", 2, M_LEN, 128, 0, -EUCLEAN },
	{ "v2 truncated to 159",	2, M_LEN, 159, 0, -EUCLEAN },
	{ "v2 extra byte (161)",	2, M_LEN_EXTRA, 1, 0, -EUCLEAN },
	{ "v2 extra 160 bytes (320)",	2, M_LEN_EXTRA, 160, 0, -EUCLEAN },
	{ "v2 bad magic byte 0",	2, M_SET8, 0, 'x', -EUCLEAN },
	{ "v2 bad magic byte 3",	2, M_SET8, 3, 'm', -EUCLEAN },
	{ "v2 magic zeroed",		2, M_SET32, 0, 0, -EUCLEAN },
	{ "v2 says version 1 (160 bytes)", 2, M_SET8, 4, 1, -EUCLEAN },
	{ "v2 version 0",		2, M_SET8, 4, 0, -EPROTONOSUPPORT },
	{ "v2 version 3",		2, M_SET8, 4, 3, -EPROTONOSUPPORT },
	{ "v2 version 255",		2, M_SET8, 4, 255, -EPROTONOSUPPORT },
	/* v2: the checksum */
	{ "v2 flip pending bit",	2, M_FLIP, 5 * 8 + 0, 0, -EUCLEAN },
	{ "v2 flip flags bit 0",	2, M_FLIP, 8 * 8 + 0, 0, -EUCLEAN },
	{ "v2 flip owner_pid bit",	2, M_FLIP, 12 * 8 + 3, 0, -EUCLEAN },
	{ "v2 flip size top bit",	2, M_FLIP, 23 * 8 + 7, 0, -EUCLEAN },
	{ "v2 flip copy 0 store_id bit", 2, M_FLIP, 80 * 8 + 0, 0, -EUCLEAN },
	{ "v2 flip copy 0 state bit",	2, M_FLIP, 84 * 8 + 0, 0, -EUCLEAN },
	{ "v2 flip copy 2 oid last bit", 2, M_FLIP, 151 * 8 + 7, 0, -EUCLEAN },
	{ "v2 flip record checksum low", 2, M_FLIP, 152 * 8 + 0, 0, -EUCLEAN },
	{ "v2 flip record checksum high", 2, M_FLIP, 159 * 8 + 7, 0,
							-EUCLEAN },
	{ "v2 checksum byte zeroed",	2, M_SET8_RAW, 152, 0, -EUCLEAN },
	/* v2: fields, with a valid checksum */
	{ "v2 flag bit 8",		2, M_SET32, 8, HSM_F_ARCHIVED | (1U << 8),
							-EUCLEAN },
	{ "v2 flag bit 31",		2, M_SET32, 8, 1U << 31, -EUCLEAN },
	{ "v2 pending max+1",		2, M_SET8, 5, HSM_OP_MAX + 1, -EUCLEAN },
	{ "v2 pending 255",		2, M_SET8, 5, 255, -EUCLEAN },
	{ "v2 chunk_shift 64",		2, M_SET8, 6, 64, -EUCLEAN },
	{ "v2 mtime_nsec 1e9",		2, M_SET32, 32, 1000000000U, -EUCLEAN },
	{ "v2 reserved byte 7",		2, M_SET8, 7, 1, -EUCLEAN },
	{ "v2 reserved byte 36",	2, M_SET8, 36, 0x80, -EUCLEAN },
	{ "v2 reserved byte 39",	2, M_SET8, 39, 1, -EUCLEAN },
	{ "v2 copy 0 reserved byte 85",	2, M_SET8, 85, 1, -EUCLEAN },
	{ "v2 copy 0 reserved byte 87",	2, M_SET8, 87, 0x80, -EUCLEAN },
	{ "v2 copy 1 reserved byte 109", 2, M_SET8, 109, 1, -EUCLEAN },
	{ "v2 copy 2 reserved byte 135", 2, M_SET8, 135, 1, -EUCLEAN },
	{ "v2 copy 0 state 4",		2, M_SET8, 84, 4, -EUCLEAN },
	{ "v2 copy 1 state 255",	2, M_SET8, 108, 255, -EUCLEAN },
	{ "v2 copy 2 state 4",		2, M_SET8, 132, 4, -EUCLEAN },
	{ "v2 copy 2 none with a store id", 2, M_SET32, 128, 1, -EUCLEAN },
	{ "v2 copy 2 none, oid first byte", 2, M_SET8, 136, 1, -EUCLEAN },
	{ "v2 copy 2 none, oid last byte", 2, M_SET8, 151, 0x80, -EUCLEAN },
	{ "v2 copy 2 wanted, no object", 2, M_SET8, 132, WANTED, -EUCLEAN },
	{ "v2 copy 2 lost, no object",	2, M_SET8, 132, LOST, -EUCLEAN },
	{ "v2 copy 0 none, keeps store and oid", 2, M_SET8, 84, NONE,
							-EUCLEAN },
	{ "v2 copy 0 durable, oid zeroed", 2, M_ZERO, 88, 16, -EUCLEAN },
	{ "v2 copy 1 wanted, oid zeroed", 2, M_ZERO, 112, 16, -EUCLEAN },

	/* v1: length, magic, version */
	{ "v1 empty",			1, M_LEN, 0, 0, -EUCLEAN },
	{ "v1 5 bytes (magic, version)", 1, M_LEN, 5, 0, -EUCLEAN },
	{ "v1 7 bytes",			1, M_LEN, 7, 0, -EUCLEAN },
	{ "v1 64 bytes",		1, M_LEN, 64, 0, -EUCLEAN },
	{ "v1 truncated to 127",	1, M_LEN, 127, 0, -EUCLEAN },
	{ "v1 extra byte (129)",	1, M_LEN_EXTRA, 1, 0, -EUCLEAN },
	{ "v1 zero-extended to 160 (v2 size)", 1, M_LEN_EXTRA, 32, 0,
							-EUCLEAN },
	{ "v1 extra 128 bytes (256)",	1, M_LEN_EXTRA, 128, 0, -EUCLEAN },
	{ "v1 bad magic byte 0",	1, M_SET8, 0, 'x', -EUCLEAN },
	{ "v1 bad magic byte 3",	1, M_SET8, 3, 'm', -EUCLEAN },
	{ "v1 magic zeroed",		1, M_SET32, 0, 0, -EUCLEAN },
	{ "v1 says version 2 (128 bytes)", 1, M_SET8, 4, 2, -EUCLEAN },
	{ "v1 version 0",		1, M_SET8, 4, 0, -EPROTONOSUPPORT },
	{ "v1 version 3",		1, M_SET8, 4, 3, -EPROTONOSUPPORT },
	{ "v1 version 255",		1, M_SET8, 4, 255, -EPROTONOSUPPORT },
	/* v1: the checksum */
	{ "v1 flip magic bit",		1, M_FLIP, 0 * 8 + 5, 0, -EUCLEAN },
	{ "v1 flip pending bit",	1, M_FLIP, 5 * 8 + 0, 0, -EUCLEAN },
	{ "v1 flip chunk_shift bit",	1, M_FLIP, 6 * 8 + 1, 0, -EUCLEAN },
	{ "v1 flip reserved byte 7",	1, M_FLIP, 7 * 8 + 7, 0, -EUCLEAN },
	{ "v1 flip flags bit 1",	1, M_FLIP, 8 * 8 + 1, 0, -EUCLEAN },
	{ "v1 flip store_id bit",	1, M_FLIP, 12 * 8 + 3, 0, -EUCLEAN },
	{ "v1 flip oid first bit",	1, M_FLIP, 16 * 8 + 0, 0, -EUCLEAN },
	{ "v1 flip oid last bit",	1, M_FLIP, 31 * 8 + 7, 0, -EUCLEAN },
	{ "v1 flip copy_version bit",	1, M_FLIP, 32 * 8 + 0, 0, -EUCLEAN },
	{ "v1 flip size top bit",	1, M_FLIP, 47 * 8 + 7, 0, -EUCLEAN },
	{ "v1 flip mtime_nsec bit",	1, M_FLIP, 56 * 8 + 2, 0, -EUCLEAN },
	{ "v1 flip owner_pid bit",	1, M_FLIP, 60 * 8 + 0, 0, -EUCLEAN },
	{ "v1 flip owner_boot bit",	1, M_FLIP, 80 * 8 + 0, 0, -EUCLEAN },
	{ "v1 flip reserved byte 119",	1, M_FLIP, 119 * 8 + 7, 0, -EUCLEAN },
	{ "v1 flip record checksum low", 1, M_FLIP, 120 * 8 + 0, 0, -EUCLEAN },
	{ "v1 flip record checksum high", 1, M_FLIP, 127 * 8 + 7, 0,
							-EUCLEAN },
	{ "v1 checksum byte zeroed",	1, M_SET8_RAW, 120, 0, -EUCLEAN },
	/* v1: fields, with a valid checksum */
	{ "v1 flag bit 8",		1, M_SET32, 8, HSM_F_ARCHIVED | (1U << 8),
							-EUCLEAN },
	{ "v1 flag bit 31",		1, M_SET32, 8, 1U << 31, -EUCLEAN },
	{ "v1 pending max+1",		1, M_SET8, 5, HSM_OP_MAX + 1, -EUCLEAN },
	{ "v1 pending 255",		1, M_SET8, 5, 255, -EUCLEAN },
	{ "v1 chunk_shift 64",		1, M_SET8, 6, 64, -EUCLEAN },
	{ "v1 mtime_nsec 1e9",		1, M_SET32, 56, 1000000000U, -EUCLEAN },
	{ "v1 reserved byte 7",		1, M_SET8, 7, 1, -EUCLEAN },
	{ "v1 reserved byte 96",	1, M_SET8, 96, 0x80, -EUCLEAN },
	{ "v1 reserved byte 108",	1, M_SET8, 108, 1, -EUCLEAN },
	{ "v1 reserved byte 119",	1, M_SET8, 119, 1, -EUCLEAN },
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
	.chunk_shift = 20,
	.copy = { { 7, DURABLE, OID_A }, { 8, WANTED, OID_B } },
	.copy_version = 3, .size = 5 << 20, .mtime_sec = 1700000000,
	.mtime_nsec = 42, .checksum = 0xdeadbeefcafef00dULL,
	.pending_since = 1700000100, .owner_pid = 31337, .owner_boot = OID_A,
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
	uint8_t			buf[V2_SIZE + 1], ref[V2_SIZE];
	uint8_t			v1[V1_SIZE], up[V2_SIZE + 1];
	struct hsm_record	want, out, again;
	size_t			i;
	int			rc, rc2, rc3;

	for (i = 0; i < ARRAY_SIZE(good); i++) {
		const struct hsm_record *r = &good[i].rec;

		memset(buf, 0xee, sizeof(buf));
		rc = hsm_record_encode(r, buf);
		ref_encode_v2(r, ref);
		ok(rc == 0 && !memcmp(buf, ref, V2_SIZE) &&
		   buf[V2_SIZE] == 0xee,
		   "encode %s: v2 layout (rc %d)", good[i].name, rc);

		want = *r;
		want.version = 2;
		memset(&out, 0x5a, sizeof(out));
		rc = hsm_record_decode(ref, V2_SIZE, &out);
		ok(rc == 0 && rec_equal(&out, &want),
		   "decode %s: v2 round trip (rc %d)", good[i].name, rc);

		v1_view(r, good[i].v1_state, &want);
		ref_encode_v1(r, v1);
		memset(&out, 0x5a, sizeof(out));
		rc = hsm_record_decode(v1, V1_SIZE, &out);
		ok(rc == 0 && rec_equal(&out, &want),
		   "decode %s: v1, copy 0 state %u (rc %d, version %u, "
		   "state %u)",
		   good[i].name, good[i].v1_state, rc, out.version,
		   out.copy[0].state);

		/* what xfs_hsmscan --upgrade does: v1 in, v2 out */
		memset(up, 0xee, sizeof(up));
		rc2 = rc ? rc : hsm_record_encode(&out, up);
		ref_encode_v2(&want, ref);
		want.version = 2;
		memset(&again, 0x5a, sizeof(again));
		rc3 = rc2 ? rc2 : hsm_record_decode(up, V2_SIZE, &again);
		ok(rc3 == 0 && !memcmp(up, ref, V2_SIZE) &&
		   up[V2_SIZE] == 0xee && rec_equal(&again, &want),
		   "upgrade %s: v1 decoded, encoded as v2 (rc %d)",
		   good[i].name, rc3);
	}

	/* encode always writes v2, whatever the version field says */
	want = base;
	want.version = 1;
	rc = hsm_record_encode(&want, buf);
	want.version = 77;
	rc2 = hsm_record_encode(&want, up);
	ref_encode_v2(&base, ref);
	ok(rc == 0 && rc2 == 0 && !memcmp(buf, ref, V2_SIZE) &&
	   !memcmp(up, ref, V2_SIZE) && buf[4] == HSM_RECORD_VERSION,
	   "encode ignores the version field (rc %d, %d)", rc, rc2);

	/* An xattr buffer need not be aligned. */
	ref_encode_v2(&base, buf + 1);
	want = base;
	want.version = 2;
	rc = hsm_record_decode(buf + 1, V2_SIZE, &out);
	ok(rc == 0 && rec_equal(&out, &want),
	   "decode a v2 record from an unaligned buffer (rc %d)", rc);
	ref_encode_v1(&base, buf + 1);
	v1_view(&base, DURABLE, &want);
	rc = hsm_record_decode(buf + 1, V1_SIZE, &out);
	ok(rc == 0 && rec_equal(&out, &want),
	   "decode a v1 record from an unaligned buffer (rc %d)", rc);
}

static void
test_v1_only(void)
{
	uint8_t			buf[V1_SIZE];
	struct hsm_record	out;
	size_t			i;
	int			rc;

	for (i = 0; i < ARRAY_SIZE(v1_only); i++) {
		ref_encode_v1(&v1_only[i].v1, buf);
		memset(&out, 0x5a, sizeof(out));
		rc = hsm_record_decode(buf, sizeof(buf), &out);
		ok(rc == 0 && rec_equal(&out, &v1_only[i].want),
		   "decode v1 %s: no copy, store id dropped (rc %d, "
		   "store %u, state %u)", v1_only[i].name, rc,
		   out.copy[0].store_id, out.copy[0].state);
	}
}

static void
test_refused(void)
{
	uint8_t		buf[V2_SIZE];
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
	uint8_t		good_buf[3][V2_SIZE], buf[2 * V2_SIZE];
	size_t		i, len;
	int		ver, rc, kept;

	for (ver = 1; ver <= 2; ver++) {
		ref_encode(&base, ver, good_buf[ver]);
		rc = hsm_record_decode(good_buf[ver], rec_size(ver),
				       &(struct hsm_record){ 0 });
		ok(rc == 0, "the v%d base record of the corrupt rows decodes "
		   "(rc %d)", ver, rc);
	}

	for (i = 0; i < ARRAY_SIZE(corrupt); i++) {
		unsigned a = corrupt[i].arg;

		ver = corrupt[i].ver;
		memset(buf, 0, sizeof(buf));
		memcpy(buf, good_buf[ver], rec_size(ver));
		len = rec_size(ver);
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
			reseal(buf, ver);
			break;
		case M_SET32:
			le32_put(buf + a, corrupt[i].val);
			reseal(buf, ver);
			break;
		case M_SET8_RAW:
			buf[a] = corrupt[i].val;
			break;
		case M_ZERO:
			memset(buf + a, 0, corrupt[i].val);
			reseal(buf, ver);
			break;
		}
		kept = decode_keeps(buf, len, &rc);
		ok(rc == corrupt[i].expect && kept,
		   "decode %s: %d, record untouched (rc %d%s)",
		   corrupt[i].name, corrupt[i].expect, rc,
		   kept ? "" : ", record changed");
	}
}

/*
 * Every single-bit flip of a valid record is rejected, none is accepted:
 * -EPROTONOSUPPORT in the version byte (1 and 2 differ in two bits, so a
 * flip never lands on the other version), -EUCLEAN anywhere else.  The
 * checksum is what catches the flips: each one outside it changes the
 * XXH3 of the bytes it covers.
 */
static void
test_all_flips(
	int		ver)
{
	uint8_t		good_buf[V2_SIZE], buf[V2_SIZE];
	size_t		size = rec_size(ver), coff = csum_off(ver);
	unsigned	bit, accepted = 0, other = 0, uncovered = 0;
	uint64_t	sum;
	int		rc, kept, want;

	ref_encode(&base, ver, good_buf);
	sum = XXH3_64bits(good_buf, coff);
	for (bit = 0; bit < 8 * size; bit++) {
		memcpy(buf, good_buf, size);
		buf[bit / 8] ^= 1U << (bit % 8);
		if (bit / 8 < coff && XXH3_64bits(buf, coff) == sum)
			uncovered++;
		want = bit / 8 == 4 ? -EPROTONOSUPPORT : -EUCLEAN;
		kept = decode_keeps(buf, size, &rc);
		if (rc == 0)
			accepted++;
		else if (!kept || rc != want)
			other++;
	}
	ok(accepted == 0 && other == 0 && uncovered == 0,
	   "all %zu single-bit flips of a v%d record rejected (%u accepted, "
	   "%u other errors, %u not seen by the checksum)",
	   8 * size, ver, accepted, other, uncovered);
}

/*
 * The same flips with the checksum recomputed: the decoder ignores no
 * bit.  Each flip is refused, or decodes to another record that encodes
 * back to exactly the flipped bytes.
 */
static void
test_all_flips_resealed(
	int			ver)
{
	uint8_t			good_buf[V2_SIZE], buf[V2_SIZE];
	uint8_t			again[V2_SIZE];
	struct hsm_record	orig, out;
	size_t			size = rec_size(ver);
	size_t			coff = csum_off(ver);
	unsigned		bit, accepted = 0, rejected = 0, bad = 0;
	int			rc, kept;

	ref_encode(&base, ver, good_buf);
	if (hsm_record_decode(good_buf, size, &orig))
		memset(&orig, 0, sizeof(orig));
	for (bit = 0; bit < 8 * coff; bit++) {
		memcpy(buf, good_buf, size);
		buf[bit / 8] ^= 1U << (bit % 8);
		reseal(buf, ver);
		kept = decode_keeps(buf, size, &rc);
		if (rc) {
			rejected++;
			if (!kept || !(rc == -EUCLEAN ||
			    (bit / 8 == 4 && rc == -EPROTONOSUPPORT)))
				bad++;
			continue;
		}
		accepted++;
		memset(&out, 0, sizeof(out));
		if (hsm_record_decode(buf, size, &out) ||
		    out.version != ver || rec_equal(&out, &orig)) {
			bad++;
			continue;
		}
		if (ver == 2)
			rc = hsm_record_encode(&out, again);
		else
			ref_encode_v1(&out, again);
		if (rc || memcmp(again, buf, size))
			bad++;
	}
	ok(bad == 0 && accepted > 0 && rejected > 0,
	   "all %zu resealed single-bit flips of a v%d record refused or "
	   "decoded to another record (%u accepted, %u refused, %u wrong)",
	   8 * coff, ver, accepted, rejected, bad);
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
	plan_tests(1 + 4 * ARRAY_SIZE(good) + 3 + ARRAY_SIZE(v1_only) +
		   ARRAY_SIZE(refused) + 2 + ARRAY_SIZE(corrupt) + 4 +
		   ARRAY_SIZE(state_names) + ARRAY_SIZE(op_names));
	ok(HSM_RECORD_SIZE == V2_SIZE && HSM_RECORD_V1_SIZE == V1_SIZE &&
	   HSM_RECORD_VERSION == 2 && HSM_COPIES_MAX == 3,
	   "sizes: v2 %d bytes, v1 %d, version %d, %d copies",
	   HSM_RECORD_SIZE, HSM_RECORD_V1_SIZE, HSM_RECORD_VERSION,
	   HSM_COPIES_MAX);
	test_good();
	test_v1_only();
	test_refused();
	test_corrupt();
	test_all_flips(1);
	test_all_flips(2);
	test_all_flips_resealed(1);
	test_all_flips_resealed(2);
	test_names();
	return exit_status();
}
