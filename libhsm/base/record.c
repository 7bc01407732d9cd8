// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * record.c - encode and check the trusted.hsm record.
 *
 * v2 layout, little endian, HSM_RECORD_SIZE (160) bytes, the one written:
 *   0 magic "XHSM"   4 version 2   5 pending   6 chunk_shift   7 zero
 *   8 flags  12 owner_pid  16 size  24 mtime_sec  32 mtime_nsec  36 zero
 *  40 checksum  48 pending_since  56 owner_boot[16]  72 copy_version
 *  80 copy[3], 24 bytes each: +0 store_id  +4 state  +5 zero[3]  +8 oid[16]
 * 152 XXH3-64 of bytes 0..151
 *
 * v1 layout, 128 bytes, still read (xfs_hsmscan --upgrade rewrites it):
 *   0 magic "XHSM"   4 version 1   5 pending   6 chunk_shift   7 zero
 *   8 flags  12 store_id  16 oid[16]  32 copy_version  40 size
 *  48 mtime_sec  56 mtime_nsec  60 owner_pid  64 checksum
 *  72 pending_since  80 owner_boot[16]  96..119 zero
 * 120 XXH3-64 of bytes 0..119
 *
 * Why 160 bytes: with its shortform entry (4-byte fork header, 3-byte
 * entry header, the name "hsm") a v2 record needs 170 bytes of attribute
 * fork, more than the 144 a new inode of a 512-byte-inode filesystem has,
 * and less than 255, the most a shortform value can hold.  So writing one
 * moves the fork offset, which bulkstat reports (doc/design.md, "Which
 * inodes can hold a record"), yet it stays in the inode when it can.
 * The check is XXH3 from libxxhash rather than a hand-written crc32c.
 */
#include <errno.h>
#include <string.h>
#include <endian.h>
#include <xxhash.h>
#include "base/base.h"
#include "lebytes.h"

#define REC_MAGIC	"XHSM"
#define V1_CSUM_OFF	120
#define V2_CSUM_OFF	152
#define V2_COPY_OFF	80
#define V2_COPY_SIZE	24


static bool
all_zero(
	const uint8_t	*p,
	size_t		len)
{
	while (len--)
		if (*p++)
			return false;
	return true;
}

/* A copy slot is either unused and all zero, or names an object. */
static bool
copy_valid(
	const struct hsm_copy	*c)
{
	if (c->state > HSM_COPY_STATE_MAX)
		return false;
	if (c->state == HSM_COPY_NONE)
		return !c->store_id && all_zero(c->oid, HSM_OID_LEN);
	return !all_zero(c->oid, HSM_OID_LEN);
}

/* What encode refuses and decode calls corrupt, for both versions. */
static bool
record_valid(
	const struct hsm_record	*r)
{
	unsigned		i;

	if ((r->flags & ~HSM_F_ALL) || r->pending > HSM_OP_MAX ||
	    r->chunk_shift > 63 || r->mtime_nsec >= 1000000000U)
		return false;
	for (i = 0; i < HSM_COPIES_MAX; i++)
		if (!copy_valid(&r->copy[i]))
			return false;
	return true;
}

HSM_EXPORT int
hsm_record_encode(
	const struct hsm_record	*rec,
	void			*buf)
{
	uint8_t			*p = buf, *c;
	unsigned		i;

	if (!record_valid(rec))
		return -EINVAL;

	memset(p, 0, HSM_RECORD_SIZE);
	memcpy(p, REC_MAGIC, 4);
	p[4] = HSM_RECORD_VERSION;
	p[5] = rec->pending;
	p[6] = rec->chunk_shift;
	put32(p + 8, rec->flags);
	put32(p + 12, rec->owner_pid);
	put64(p + 16, rec->size);
	put64(p + 24, (uint64_t)rec->mtime_sec);
	put32(p + 32, rec->mtime_nsec);
	put64(p + 40, rec->checksum);
	put64(p + 48, (uint64_t)rec->pending_since);
	memcpy(p + 56, rec->owner_boot, 16);
	put64(p + 72, rec->copy_version);
	for (i = 0; i < HSM_COPIES_MAX; i++) {
		c = p + V2_COPY_OFF + i * V2_COPY_SIZE;
		put32(c, rec->copy[i].store_id);
		c[4] = rec->copy[i].state;
		memcpy(c + 8, rec->copy[i].oid, HSM_OID_LEN);
	}
	put64(p + V2_CSUM_OFF, XXH3_64bits(p, V2_CSUM_OFF));
	return 0;
}

static int
decode_v2(
	const uint8_t		*p,
	struct hsm_record	*r)
{
	const uint8_t		*c;
	unsigned		i;

	if (get64(p + V2_CSUM_OFF) != XXH3_64bits(p, V2_CSUM_OFF))
		return -EUCLEAN;
	if (p[7] || !all_zero(p + 36, 4))
		return -EUCLEAN;
	r->pending = p[5];
	r->chunk_shift = p[6];
	r->flags = get32(p + 8);
	r->owner_pid = get32(p + 12);
	r->size = get64(p + 16);
	r->mtime_sec = (int64_t)get64(p + 24);
	r->mtime_nsec = get32(p + 32);
	r->checksum = get64(p + 40);
	r->pending_since = (int64_t)get64(p + 48);
	memcpy(r->owner_boot, p + 56, 16);
	r->copy_version = get64(p + 72);
	for (i = 0; i < HSM_COPIES_MAX; i++) {
		c = p + V2_COPY_OFF + i * V2_COPY_SIZE;
		if (!all_zero(c + 5, 3))
			return -EUCLEAN;
		r->copy[i].store_id = get32(c);
		r->copy[i].state = c[4];
		memcpy(r->copy[i].oid, c + 8, HSM_OID_LEN);
	}
	return 0;
}

void
hsm_record_mark_lost(
	struct hsm_record	*rec)
{
	unsigned		k;

	rec->flags |= HSM_F_LOST;
	for (k = 0; k < HSM_COPIES_MAX; k++)
		if (rec->copy[k].state == HSM_COPY_DURABLE)
			rec->copy[k].state = HSM_COPY_LOST;
}

/* The state a v1 record implies for its one copy. */
static uint8_t
v1_copy_state(
	const struct hsm_record	*r)
{
	if (all_zero(r->copy[0].oid, HSM_OID_LEN))
		return HSM_COPY_NONE;
	if (r->pending == HSM_OP_MIGRATING)
		return HSM_COPY_WANTED;
	if (r->flags & HSM_F_LOST)
		return HSM_COPY_LOST;
	return HSM_COPY_DURABLE;
}

static int
decode_v1(
	const uint8_t		*p,
	struct hsm_record	*r)
{
	if (get64(p + V1_CSUM_OFF) != XXH3_64bits(p, V1_CSUM_OFF))
		return -EUCLEAN;
	if (p[7] || !all_zero(p + 96, V1_CSUM_OFF - 96))
		return -EUCLEAN;
	r->pending = p[5];
	r->chunk_shift = p[6];
	r->flags = get32(p + 8);
	r->copy[0].store_id = get32(p + 12);
	memcpy(r->copy[0].oid, p + 16, HSM_OID_LEN);
	r->copy_version = get64(p + 32);
	r->size = get64(p + 40);
	r->mtime_sec = (int64_t)get64(p + 48);
	r->mtime_nsec = get32(p + 56);
	r->owner_pid = get32(p + 60);
	r->checksum = get64(p + 64);
	r->pending_since = (int64_t)get64(p + 72);
	memcpy(r->owner_boot, p + 80, 16);
	r->copy[0].state = v1_copy_state(r);
	if (r->copy[0].state == HSM_COPY_NONE)
		r->copy[0].store_id = 0;	/* v1 kept it with no object */
	return 0;
}

HSM_EXPORT bool
hsm_record_names(
	const struct hsm_record	*rec,
	const uint8_t		oid[HSM_OID_LEN])
{
	unsigned		i;

	for (i = 0; i < HSM_COPIES_MAX; i++)
		if (rec->copy[i].state != HSM_COPY_NONE &&
		    !memcmp(rec->copy[i].oid, oid, HSM_OID_LEN))
			return true;
	return false;
}

HSM_EXPORT int
hsm_record_decode(
	const void		*buf,
	size_t			len,
	struct hsm_record	*rec)
{
	const uint8_t		*p = buf;
	struct hsm_record	r;
	int			error;

	if (len < 5 || memcmp(p, REC_MAGIC, 4))
		return -EUCLEAN;		/* foreign or truncated */
	memset(&r, 0, sizeof(r));
	r.version = p[4];
	switch (r.version) {
	case 1:
		if (len != HSM_RECORD_V1_SIZE)
			return -EUCLEAN;
		error = decode_v1(p, &r);
		break;
	case 2:
		if (len != HSM_RECORD_SIZE)
			return -EUCLEAN;
		error = decode_v2(p, &r);
		break;
	default:
		return -EPROTONOSUPPORT;
	}
	if (error)
		return error;
	if (!record_valid(&r))
		return -EUCLEAN;
	*rec = r;
	return 0;
}
