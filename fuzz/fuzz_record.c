// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * fuzz_record.c - the trusted.hsm record decoder, v1 and v2.  A value
 * that decodes must encode (always as v2) and decode again to the same
 * record.  A v2 value must encode back to the same bytes (the layout has
 * no slack: reserved bytes are checked to be zero); a v1 value must come
 * back from a local v1 encoder byte for byte, except the store id of a
 * v1 record with no object, which the decoder drops.
 *
 * Random bytes almost never carry a right XXH3, so a 128- or 160-byte
 * input is also tried with its checksum fixed at the offset its version
 * byte implies, and once more stamped with the magic and the version its
 * size implies: that reaches the field checks.
 */
#include <endian.h>
#include <string.h>
#include <xxhash.h>
#include <hsm.h>
#include "fuzz.h"

#define V1_CSUM_OFF	120
#define V2_CSUM_OFF	152

static void
put_le32(
	uint8_t		*p,
	uint32_t	v)
{
	v = htole32(v);
	memcpy(p, &v, 4);
}

static void
put_le64(
	uint8_t		*p,
	uint64_t	v)
{
	v = htole64(v);
	memcpy(p, &v, 8);
}

/* The v1 layout of libhsm/base/record.c, which the library no longer writes. */
static void
encode_v1(
	const struct hsm_record	*r,
	uint8_t			*p)
{
	memset(p, 0, HSM_RECORD_V1_SIZE);
	memcpy(p, "XHSM", 4);
	p[4] = 1;
	p[5] = r->pending;
	p[6] = r->chunk_shift;
	put_le32(p + 8, r->flags);
	put_le32(p + 12, r->copy[0].store_id);
	memcpy(p + 16, r->copy[0].oid, HSM_OID_LEN);
	put_le64(p + 32, r->copy_version);
	put_le64(p + 40, r->size);
	put_le64(p + 48, (uint64_t)r->mtime_sec);
	put_le32(p + 56, r->mtime_nsec);
	put_le32(p + 60, r->owner_pid);
	put_le64(p + 64, r->checksum);
	put_le64(p + 72, (uint64_t)r->pending_since);
	memcpy(p + 80, r->owner_boot, 16);
	put_le64(p + V1_CSUM_OFF, XXH3_64bits(p, V1_CSUM_OFF));
}

static void
check_v1(
	const uint8_t		*data,
	const struct hsm_record	*rec)
{
	uint8_t			buf[HSM_RECORD_V1_SIZE];
	static const struct hsm_copy none;

	/* one copy only, in a state that agrees with its object id */
	FUZZ_CHECK(!memcmp(&rec->copy[1], &none, sizeof(none)));
	FUZZ_CHECK(!memcmp(&rec->copy[2], &none, sizeof(none)));
	encode_v1(rec, buf);
	if (rec->copy[0].state != HSM_COPY_NONE) {
		FUZZ_CHECK(memcmp(buf, data, HSM_RECORD_V1_SIZE) == 0);
		return;
	}
	FUZZ_CHECK(rec->copy[0].store_id == 0);
	FUZZ_CHECK(memcmp(buf, data, 12) == 0);
	FUZZ_CHECK(memcmp(buf + 16, data + 16, V1_CSUM_OFF - 16) == 0);
}

static void
check_one(
	const uint8_t		*data,
	size_t			size)
{
	struct hsm_record	rec, again;
	uint8_t			buf[HSM_RECORD_SIZE];

	memset(&rec, 0, sizeof(rec));
	if (hsm_record_decode(data, size, &rec))
		return;
	FUZZ_CHECK(rec.version == data[4]);
	FUZZ_CHECK((rec.version == 1 && size == HSM_RECORD_V1_SIZE) ||
		   (rec.version == 2 && size == HSM_RECORD_SIZE));
	FUZZ_CHECK(hsm_record_encode(&rec, buf) == 0);
	if (rec.version == 2)
		FUZZ_CHECK(memcmp(buf, data, HSM_RECORD_SIZE) == 0);
	else
		check_v1(data, &rec);
	memset(&again, 0, sizeof(again));
	FUZZ_CHECK(hsm_record_decode(buf, sizeof(buf), &again) == 0);
	FUZZ_CHECK(again.version == 2);
	/* the same record, but for the version it was read from */
	again.version = rec.version;
	FUZZ_CHECK(memcmp(&rec, &again, sizeof(rec)) == 0);
	FUZZ_CHECK(hsm_op_name(rec.pending) != NULL);
}

/* @p with a right checksum for version @p[4] (its size's if another). */
static void
check_sealed(
	uint8_t		*p,
	size_t		size)
{
	size_t		off = size - 8;
	uint64_t	sum;

	if (p[4] == 1)
		off = V1_CSUM_OFF;
	else if (p[4] == 2)
		off = V2_CSUM_OFF;
	if (off + 8 > size)
		return;			/* a v2 claim in 128 bytes */
	sum = htole64(XXH3_64bits(p, off));
	memcpy(p + off, &sum, 8);
	check_one(p, size);
}

int
LLVMFuzzerTestOneInput(
	const uint8_t	*data,
	size_t		size)
{
	uint8_t		fixed[HSM_RECORD_SIZE];

	check_one(data, size);
	if (size != HSM_RECORD_V1_SIZE && size != HSM_RECORD_SIZE)
		return 0;
	memcpy(fixed, data, size);
	check_sealed(fixed, size);
	memcpy(fixed, "XHSM", 4);
	fixed[4] = size == HSM_RECORD_SIZE ? 2 : 1;
	check_sealed(fixed, size);
	return 0;
}
