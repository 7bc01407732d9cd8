// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * record.c - encode and check the trusted.hsm record.
 *
 * v1 layout, little endian, HSM_RECORD_SIZE bytes:
 *   0 magic "XHSM"   4 version   5 pending   6 chunk_shift   7 zero
 *   8 flags  12 store_id  16 oid[16]  32 copy_version  40 size
 *  48 mtime_sec  56 mtime_nsec  60 owner_pid  64 checksum
 *  72 pending_since  80 owner_boot[16]  96..119 zero
 * 120 XXH3-64 of bytes 0..119
 * The check is XXH3 from libxxhash rather than a hand-written crc32c.
 */
#include <errno.h>
#include <string.h>
#include <endian.h>
#include <xxhash.h>
#include "base/base.h"

#define REC_MAGIC	"XHSM"
#define REC_CSUM_OFF	120

static void put32(uint8_t *p, uint32_t v) { v = htole32(v); memcpy(p, &v, 4); }
static void put64(uint8_t *p, uint64_t v) { v = htole64(v); memcpy(p, &v, 8); }
static uint32_t get32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return le32toh(v); }
static uint64_t get64(const uint8_t *p) { uint64_t v; memcpy(&v, p, 8); return le64toh(v); }

HSM_EXPORT int
hsm_record_encode(
	const struct hsm_record	*rec,
	void			*buf)
{
	uint8_t			*p = buf;

	if ((rec->flags & ~HSM_F_ALL) || rec->pending > HSM_OP_MAX ||
	    rec->chunk_shift > 63 || rec->mtime_nsec >= 1000000000U)
		return -EINVAL;

	memset(p, 0, HSM_RECORD_SIZE);
	memcpy(p, REC_MAGIC, 4);
	p[4] = HSM_RECORD_VERSION;
	p[5] = rec->pending;
	p[6] = rec->chunk_shift;
	put32(p + 8, rec->flags);
	put32(p + 12, rec->store_id);
	memcpy(p + 16, rec->oid, HSM_OID_LEN);
	put64(p + 32, rec->copy_version);
	put64(p + 40, rec->size);
	put64(p + 48, (uint64_t)rec->mtime_sec);
	put32(p + 56, rec->mtime_nsec);
	put32(p + 60, rec->owner_pid);
	put64(p + 64, rec->checksum);
	put64(p + 72, (uint64_t)rec->pending_since);
	memcpy(p + 80, rec->owner_boot, 16);
	put64(p + REC_CSUM_OFF, XXH3_64bits(p, REC_CSUM_OFF));
	return 0;
}

HSM_EXPORT int
hsm_record_decode(
	const void		*buf,
	size_t			len,
	struct hsm_record	*rec)
{
	const uint8_t		*p = buf;
	struct hsm_record	r;
	size_t			i;

	if (len < 5 || memcmp(p, REC_MAGIC, 4))
		return -EUCLEAN;		/* foreign or truncated */
	if (p[4] != HSM_RECORD_VERSION)
		return -EPROTONOSUPPORT;
	if (len != HSM_RECORD_SIZE)
		return -EUCLEAN;
	if (get64(p + REC_CSUM_OFF) != XXH3_64bits(p, REC_CSUM_OFF))
		return -EUCLEAN;
	if (p[7])
		return -EUCLEAN;
	for (i = 96; i < REC_CSUM_OFF; i++)
		if (p[i])
			return -EUCLEAN;

	memset(&r, 0, sizeof(r));
	r.pending = p[5];
	r.chunk_shift = p[6];
	r.flags = get32(p + 8);
	r.store_id = get32(p + 12);
	memcpy(r.oid, p + 16, HSM_OID_LEN);
	r.copy_version = get64(p + 32);
	r.size = get64(p + 40);
	r.mtime_sec = (int64_t)get64(p + 48);
	r.mtime_nsec = get32(p + 56);
	r.owner_pid = get32(p + 60);
	r.checksum = get64(p + 64);
	r.pending_since = (int64_t)get64(p + 72);
	memcpy(r.owner_boot, p + 80, 16);

	if ((r.flags & ~HSM_F_ALL) || r.pending > HSM_OP_MAX ||
	    r.chunk_shift > 63 || r.mtime_nsec >= 1000000000U)
		return -EUCLEAN;
	*rec = r;
	return 0;
}
