/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * s3_agg.h - what the files of S3 aggregates share (s3_agg.c: oids,
 * publish, find, change, list; s3_agg_format.c: the bytes of both
 * objects; s3_agg_toc.c: contents read and cached; s3_agg_state.c:
 * states read, changed, followed; s3_agg_repack.c: gc's repack): an
 * aggregate's contents and a state, as read and written.
 *
 * An aggregate object:
 *   "xfs-hsm-aggregate 1 N TOCLEN\n"
 *   N times "SLOT OID OFF LEN STORED METALEN\n" METALEN bytes "\n"
 *   the members' bytes, each at data start + OFF (segments end to end,
 *   as an object of its own holds them; its metadata's map says where
 *   they go)
 * A state object:
 *   "xfs-hsm-aggstate 1\n"
 *   per slot changed since written, ascending, one of
 *   "dead SLOT\n"                    deleted
 *   "moved SLOT ID SLOT2\n"          repacked into aggregate ID, SLOT2
 *   "meta SLOT LEN\n" LEN bytes "\n" its metadata text now
 */
#ifndef LIBHSM_S3_AGG_H
#define LIBHSM_S3_AGG_H

#include "store/s3P.h"

#define AGG_MAGIC	"xfs-hsm-aggregate"
#define STATE_MAGIC	"xfs-hsm-aggstate"
#define AGG_HOPS_MAX	16	/* steps from a first slot, at most */
#define AGG_TRIES	16	/* writes of a state lost to others */

struct agg_entry {
	uint32_t	slot;
	uint8_t		oid[HSM_OID_LEN];
	uint64_t	off, len;
	int64_t		stored;
	const char	*meta;		/* in the raw read */
	size_t		meta_len;
};

/* An aggregate's header and contents, as read. */
struct agg_toc {
	uint8_t		id[S3_AGG_ID_LEN];
	char		*raw;		/* the bytes read, from 0 */
	size_t		raw_len;
	uint64_t	data_start;
	struct agg_entry *e;		/* slots ascending */
	size_t		n;
};

enum { AGG_LIVE, AGG_DEAD, AGG_MOVED, AGG_META };

struct agg_line {
	uint32_t	slot;
	int		kind;
	uint8_t		to[S3_AGG_ID_LEN];	/* AGG_MOVED */
	uint32_t	to_slot;
	char		*meta;			/* AGG_META */
	size_t		meta_len;
};

/* An aggregate's state, and the version read (for If-Match). */
struct agg_state {
	uint8_t		id[S3_AGG_ID_LEN];
	struct agg_line	*s;		/* slots ascending */
	size_t		n;
	bool		exists;
	char		etag[128];
};

/* States by id: every one of the store (agg_states_load), or those
 * read so far (lazy: each read on first use, fresh). */
struct agg_states {
	struct s3_store	*ss;
	struct agg_state *st;
	size_t		n, alloc;
	bool		lazy;
};

/* One step of a member's way: aggregate and slot. */
struct agg_hop {
	uint8_t		id[S3_AGG_ID_LEN];
	uint32_t	slot;
};

struct agg_build_member {
	uint32_t	slot;
	const uint8_t	*oid;
	const char	*data;
	uint64_t	len;
	const char	*meta;
	size_t		meta_len;
	int64_t		stored;		/* 0: now */
};

void agg_id_hex(const uint8_t *id, char hex[2 * S3_AGG_ID_LEN + 1]);
int agg_id_parse(const char *hex, uint8_t *id);
int agg_new_id(uint8_t *id);
void agg_key(const uint8_t *id, bool state, char key[S3_AGG_KEY_LEN]);
/* The aggregate and slot member @oid was first written to. */
void agg_member_where(const uint8_t *oid, uint8_t *id, uint32_t *slot);

/* Read aggregate @id's header and contents (@whole: and its members'
 * bytes, all in t->raw). */
int agg_toc_read(struct s3_store *ss, const uint8_t *id, bool whole,
		 struct agg_toc *t);
/* Aggregate @id's contents from the process's cache (read on a miss):
 * in use until agg_toc_put; agg_toc_forget once it is found gone. */
int agg_toc_get(struct s3_store *ss, const uint8_t *id,
		const struct agg_toc **tp);
void agg_toc_put(const struct agg_toc *t);
void agg_toc_forget(struct s3_store *ss, const uint8_t *id);
void agg_toc_free(struct agg_toc *t);
const struct agg_entry *agg_toc_find(const struct agg_toc *t, uint32_t slot);
/* Parse t->raw (t->raw_len bytes, a NUL after them): 0; -EAGAIN, more
 * bytes are needed (up to t->data_start); -EUCLEAN; -ENOMEM. */
int agg_toc_parse(struct agg_toc *t);
int agg_build(const struct agg_build_member *m, size_t n, int64_t now,
	      char **out, size_t *out_len);

/* Read aggregate @id's state (none: every slot as written, exists
 * false); write it back in place of the version read (-ECANCELED). */
int agg_state_read(struct s3_store *ss, const uint8_t *id,
		   struct agg_state *st);
int agg_state_write(struct s3_store *ss, const uint8_t *id,
		    const struct agg_state *st);
/* Change @id's state by @fn (0: write, 1: nothing to write, -errno),
 * retried on a fresh read when another wrote meanwhile; @have: the state
 * just read, for the first try, or NULL. */
int agg_state_change(struct s3_store *ss, const uint8_t *id,
		     struct agg_state *have,
		     int (*fn)(struct agg_state *st, void *arg), void *arg);
void agg_state_free(struct agg_state *st);
int agg_state_parse(const char *text, size_t len, struct agg_state *st);
int agg_state_format(const struct agg_state *st, char **out, size_t *len);
struct agg_line *agg_state_find(const struct agg_state *st, uint32_t slot);
struct agg_line *agg_state_line(struct agg_state *st, uint32_t slot);

int agg_states_load(struct s3_store *ss, struct agg_states *all);
void agg_states_free(struct agg_states *all);
const struct agg_state *agg_states_find(struct agg_states *all,
					const uint8_t *id);
/* Follow the way from slot @h by the states in @all: 1, and @h where
 * it ends (a slot as written, or with new metadata); 0 it ends dead (or
 * is too long); -errno. */
int agg_way_end(struct agg_states *all, struct agg_hop *h);
/* Does entry @e of aggregate @id hold its member's live bytes, by the
 * states in @all?  1 yes, 0 no, -errno (a lazy @all's read failed). */
int agg_lives_here(struct agg_states *all, const struct agg_entry *e,
		   const uint8_t *id);

#endif /* LIBHSM_S3_AGG_H */
