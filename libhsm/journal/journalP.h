/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * journalP.h - the change journal (doc/design.md, "The change journal"):
 * per filesystem, numbered epochs, and in each the set of directories,
 * by handle, that hold a changed entry, with all their ancestors.
 *
 * Invariants the readers rely on:
 *  - The file is append-only.  Each record carries its own XXH3-64; the
 *    first record that fails its check ends the log (a torn tail), and
 *    the writer cuts it off before it appends.
 *  - A record is durable before anything relies on it: every group of
 *    records ends with a record flagged JR_FLUSH_END and one fdatasync.
 *  - Every record's time is a safe point: every change whose event was
 *    queued before it is in a durable MARK at or before that record.
 *  - A MARK is only ever written together with the MARKs of all its
 *    ancestors (in the same flush), or after them.
 *  - An epoch is vouched for unless it holds a GAP record; a GAP says
 *    from when (since_ns) a ctime scan must complete it.
 *  - The last record is CLEAN only after a clean stop.
 *
 * Depends on fs/.
 */
#ifndef LIBHSM_JOURNALP_H
#define LIBHSM_JOURNALP_H

#include "fs/fsP.h"

#ifndef HSM_STATEDIR
#define HSM_STATEDIR	"/var/lib/xfs-hsm"
#endif

/*
 * File header, 64 bytes, little endian:
 *   0 magic "XHSMJRN1"      8 le32 version (1)     12 le32 header size (64)
 *  16 filesystem uuid      32 le64 created (ns)    40 zero
 *  56 XXH3-64 of bytes 0..55
 *
 * Record, 24 + len + 8 bytes:
 *   0 type   1 flags   2 le16 len (payload)   4 le32 zero
 *   8 le64 epoch      16 le64 time (ns, CLOCK_REALTIME: the safe point)
 *  24 payload         24+len XXH3-64 of bytes 0..24+len-1
 *
 * Payloads: MARK le32 handle type, then the handle's bytes; GAP le64
 * since (ns), le32 reason; START le32 flags (JS_CONTINUOUS); the others
 * none.  CHECKPOINT closes its epoch; epoch + 1 opens at its time.
 */
#define JR_MAGIC		"XHSMJRN1"
#define JR_VERSION		1
#define JR_HDR_SIZE		64
#define JR_REC_HDR		24
#define JR_REC_MAX		(JR_REC_HDR + 4 + HSM_JHANDLE_MAX + 8)

enum {
	JR_START = 1,
	JR_GAP,
	JR_MARK,
	JR_SYNC,
	JR_CHECKPOINT,
	JR_CLEAN,
	JR_TYPE_MAX = JR_CLEAN,
};
#define JR_FLUSH_END		(1U << 0)
#define JS_CONTINUOUS		(1U << 0)

/*
 * A change is stamped (ctime) a little before its event is queued: a
 * write sets ctime at its start and queues FAN_MODIFY at its end.  The
 * fallback scan reaches this far before the last safe point.
 */
#define JR_MARGIN_NS		(10LL * 1000000000)

struct jrec {
	uint8_t		type;
	uint8_t		flags;
	uint16_t	len;
	uint64_t	epoch;
	int64_t		time_ns;
	const unsigned char *payload;
};

/* jformat.c */
void jr_put_header(unsigned char *p, const unsigned char *uuid,
		   int64_t created_ns);
/* 0, or -EUCLEAN for a header that is not ours (wrong magic, version,
 * size, checksum or filesystem). */
int jr_check_header(const unsigned char *p, const unsigned char *uuid,
		    int64_t *created_ns);
/* Encode one record at @p; returns its length. */
size_t jr_put(unsigned char *p, uint8_t type, uint8_t flags, uint64_t epoch,
	      int64_t time_ns, const void *payload, uint16_t len);
/* Decode the record at @p (@avail bytes): its length, 0 at a torn or
 * corrupt record (the end of the log). */
size_t jr_get(const unsigned char *p, size_t avail, struct jrec *r);
/* The whole file at @fd into a view; *@valid gets the length of the
 * good log (where a writer appends).  -EUCLEAN for a bad header. */
int jr_load(int fd, const unsigned char *uuid, struct hsm_jview **vp,
	    uint64_t *valid);
const char *jr_statedir(void);
void jr_path(const struct hsm_fs *fs, char *buf, size_t size);
int64_t jr_now(void);

/* jset.c: a set of handles, open addressing. */
struct jset {
	struct hsm_jhandle *slot;	/* len 0: empty */
	size_t		size;		/* power of two */
	size_t		count;
};
void jset_clear(struct jset *s);
/* 1 if @h was added, 0 if it was there, -ENOMEM. */
int jset_add(struct jset *s, const struct hsm_jhandle *h);
bool jset_has(const struct jset *s, const struct hsm_jhandle *h);
void jset_free(struct jset *s);

#endif /* LIBHSM_JOURNALP_H */
