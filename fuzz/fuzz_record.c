// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * fuzz_record.c - the trusted.hsm record decoder.  A value that decodes
 * must encode back to the same bytes (the layout has no slack: reserved
 * bytes are checked to be zero), and that must decode to the same record.
 *
 * Random bytes almost never carry a right XXH3, so a 128-byte input is
 * also tried with its checksum fixed: that reaches the field checks.
 */
#include <endian.h>
#include <string.h>
#include <xxhash.h>
#include <hsm.h>
#include "fuzz.h"

#define CSUM_OFF	(HSM_RECORD_SIZE - 8)

static void
check_one(
	const uint8_t		*data,
	size_t			size)
{
	struct hsm_record	rec, again;
	uint8_t			buf[HSM_RECORD_SIZE];

	memset(&rec, 0xa5, sizeof(rec));
	if (hsm_record_decode(data, size, &rec))
		return;
	FUZZ_CHECK(size == HSM_RECORD_SIZE);
	FUZZ_CHECK(hsm_record_encode(&rec, buf) == 0);
	FUZZ_CHECK(memcmp(buf, data, HSM_RECORD_SIZE) == 0);
	memset(&again, 0x5a, sizeof(again));
	FUZZ_CHECK(hsm_record_decode(buf, sizeof(buf), &again) == 0);
	FUZZ_CHECK(memcmp(&rec, &again, sizeof(rec)) == 0);
	FUZZ_CHECK(hsm_op_name(rec.pending) != NULL);
}

int
LLVMFuzzerTestOneInput(
	const uint8_t	*data,
	size_t		size)
{
	uint8_t		fixed[HSM_RECORD_SIZE];
	uint64_t	sum;

	check_one(data, size);
	if (size == HSM_RECORD_SIZE) {
		memcpy(fixed, data, size);
		sum = htole64(XXH3_64bits(fixed, CSUM_OFF));
		memcpy(fixed + CSUM_OFF, &sum, 8);
		check_one(fixed, size);
	}
	return 0;
}
