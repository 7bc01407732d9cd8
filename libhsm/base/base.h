/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * base.h - the bottom layer of libhsm: what needs no filesystem handle
 * and no store.  The record codec, data maps and checksums, the resident
 * chunk bitmap, extents (FIEMAP), leases, object ids, debug output.
 * Never installed; tools use hsm.h only.
 */
#ifndef LIBHSM_BASE_H
#define LIBHSM_BASE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/stat.h>
#include "hsm.h"

#define HSM_EXPORT __attribute__((visibility("default")))

/* Default recall granularity and the largest bitmap we store. */
#define HSM_CHUNK_SHIFT_DEFAULT	20		/* 1 MiB */
#define HSM_MAP_MAX_BYTES	65536		/* XFS xattr value limit */

/* ---- leases --------------------------------------------------------- */

/* Take a lease of @type (F_RDLCK/F_WRLCK) without blocking: -EBUSY if
 * the file is open by others in a conflicting way. */
int hsm_lease_take(int fd, int type);
/* True while the lease of @type is still held and not being broken. */
bool hsm_lease_intact(int fd, int type);
void hsm_lease_drop(int fd);

/*
 * Is the file still ours to write?  While our lease is being broken the
 * opener waits for us, up to /proc/sys/fs/lease-break-time; after that it
 * is in.  The guard answers true while the lease is intact, and for half
 * of that time after it was last seen intact, so that work started under
 * the lease finishes if it can, and no write lands once the opener is in.
 */
struct hsm_lease_guard {
	int		fd;
	int		type;
	int64_t		last_intact_ns;
	int64_t		grace_ns;
};

void hsm_lease_guard_init(struct hsm_lease_guard *g, int fd, int type);
bool hsm_lease_guard_ok(struct hsm_lease_guard *g);

/* ---- data map: the file's data segments (SEEK_DATA/SEEK_HOLE) ------ */

struct hsm_extent {
	uint64_t	off;
	uint64_t	len;
};

struct hsm_datamap {
	struct hsm_extent *ext;
	size_t		nr;
	size_t		alloc;
};

/* Build the data map of @fd up to @size.  Returns 0 or -errno. */
int hsm_datamap_read(int fd, uint64_t size, struct hsm_datamap *map);
/* Append an extent (merged with an adjacent last one).  -EINVAL if it
 * overlaps or precedes the last extent, or wraps. */
int hsm_datamap_add(struct hsm_datamap *map, uint64_t off, uint64_t len);
void hsm_datamap_free(struct hsm_datamap *map);
/* The written extents only (FIEMAP): blocks reserved unwritten are not
 * data, even when the page cache holds zeros for them (extents.c). */
int hsm_datamap_read_written(int fd, uint64_t size, struct hsm_datamap *map);
/* Punch the unwritten extents of @fd that lie in holes of @keep (blocks
 * reserved for a range recall where the copy has none). */
int hsm_punch_unwritten_holes(int fd, const struct hsm_datamap *keep,
			      uint64_t size);
/* End of @fd's furthest extent, blocks preallocated past EOF included. */
int hsm_extents_end(int fd, uint64_t *end);
uint64_t hsm_datamap_bytes(const struct hsm_datamap *map);
/* A buffer for reading @map's extents through, @max bytes at a time: no
 * larger than its longest extent, at least 1.  A 1 MiB malloc and free
 * for each small file kept glibc's thread arenas growing and trimming
 * (mmap, munmap, page faults): a quarter of a recall's CPU. */
size_t hsm_datamap_buf_len(const struct hsm_datamap *map, size_t max);

/*
 * The content checksum of a file: XXH3-64 over its data segments in
 * offset order, each as (le64 offset, le64 length, bytes).  Holes are not
 * hashed, so a 1 TiB sparse file costs only its data.
 */
struct hsm_csum;
struct hsm_csum *hsm_csum_new(void);
void hsm_csum_segment(struct hsm_csum *c, uint64_t off, uint64_t len);
void hsm_csum_update(struct hsm_csum *c, const void *buf, size_t len);
uint64_t hsm_csum_final(struct hsm_csum *c);	/* and frees */
/* Checksum of @fd's data over @map. */
int hsm_csum_fd(int fd, const struct hsm_datamap *map, uint64_t *sum);

/* ---- resident-chunk bitmap (trusted.hsm.map) ------------------------ */

struct hsm_chunkmap {
	unsigned	shift;		/* chunk = 1 << shift bytes */
	uint64_t	nchunks;
	uint8_t		*bits;
};

/* Smallest shift >= default whose bitmap for @size fits one xattr. */
unsigned hsm_chunk_shift_for(uint64_t size);
int hsm_chunkmap_init(struct hsm_chunkmap *m, uint64_t size, unsigned shift);
void hsm_chunkmap_free(struct hsm_chunkmap *m);
bool hsm_chunkmap_test(const struct hsm_chunkmap *m, uint64_t chunk);
void hsm_chunkmap_set(struct hsm_chunkmap *m, uint64_t chunk);
uint64_t hsm_chunkmap_count(const struct hsm_chunkmap *m);
/* Load from / store to the file's trusted.hsm.map.  A missing xattr
 * loads as all clear.  -EUCLEAN if the stored length does not match. */
int hsm_chunkmap_load(int fd, struct hsm_chunkmap *m);
int hsm_chunkmap_save(int fd, const struct hsm_chunkmap *m);
int hsm_chunkmap_remove(int fd);
/*
 * -ESTALE when @fd has data outside the resident chunks of @m: someone
 * wrote into a released range while no daemon served the file.
 */
int hsm_chunkmap_covers_data(const struct hsm_chunkmap *m, int fd,
			     uint64_t size);


/* ---- records (record.c) ------------------------------------------------ */

/* Every copy is missing or corrupt: the flag readers check and the state
 * of each copy that was durable, always together. */
void hsm_record_mark_lost(struct hsm_record *rec);

/* ---- object ids (oid.c) ---------------------------------------------- */

/* Fresh random object id. */
int hsm_oid_new(uint8_t oid[HSM_OID_LEN]);
/* hsm_oid_is_zero(), hsm_oid_hex() and hsm_oid_parse() are public: hsm.h */
/* Value of hex digit @c (either case), or -1. */
int hsm_hexval(int c);

/* Sleep at @step when LIBHSM_DELAY="<step>=<ms>" (slow-store tests). */
void hsm_fault_delay(const char *step);
/* SIGKILL ourselves at @step when LIBHSM_FAULT names it: a store's
 * durable steps (the operations' are fs/fault.c's hsm_fault). */
void hsm_fault_kill(const char *step);
/* LIBHSM_FAULT names @step, and LIBHSM_FAULT_ONCE lets it fire. */
bool hsm_fault_armed(const char *step);

/* Debug output behind LIBHSM_DEBUG=all. */
void hsm_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif /* LIBHSM_BASE_H */
