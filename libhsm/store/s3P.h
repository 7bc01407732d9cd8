/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * s3P.h - private to store_s3.so: the bucket handle and its requests
 * (store_s3.c), and the aggregates of small objects (s3_agg.c: write,
 * find, read, change, delete, list; s3_agg_repack.c: gc's repack).
 *
 * An S3 bucket has no omap and no index to update in place, so a member
 * of an aggregate is found through its oid: the store gives the oids of
 * small files (new_oid), and such an oid names its aggregate and slot.
 *
 *   PREFIX/hsm.agg.<24 hex>    an aggregate: header, table of contents
 *                              (slot, oid, offset, length, when stored,
 *                              metadata text), then the members' bytes
 *                              back to back; written once by a PUT that
 *                              creates only (If-None-Match), never
 *                              modified, only deleted
 *   PREFIX/hsm.aggst.<24 hex>  its state, absent while every slot is as
 *                              written: slots deleted, slots moved to
 *                              another aggregate by a repack, metadata
 *                              replaced.  Changed only by a PUT that
 *                              names the version read (If-Match), or
 *                              creates it (If-None-Match)
 *
 * Layout and crash safety: doc/design.md, "Small-file aggregates".
 */
#ifndef LIBHSM_S3P_H
#define LIBHSM_S3P_H

#include <pthread.h>
#include <curl/curl.h>
#include "store/store.h"

#define S3_KEY_MAX		1024
#define S3_AGG_THRESHOLD_DEFAULT (256ULL << 10)	/* objects up to this */
#define S3_AGG_THRESHOLD_MAX	(4ULL << 20)	/* as a rados: store's */
#define S3_AGG_MAX_DEFAULT	(64ULL << 20)	/* bytes per aggregate */
#define S3_AGG_MAX_LIMIT	(64ULL << 20)	/* held in memory */
#define S3_AGG_META_MAX		(64U << 10)	/* text in a slot */
#define S3_AGG_ID_LEN		12		/* bytes of the oid */
#define S3_AGG_MARK		0xa6		/* oid[12] of a member */
#define S3_AGG_SLOTS		(1U << 24)	/* oid[13..15] */
#define S3_AGG_PREFIX		"hsm.agg."
#define S3_AGG_STATE_PREFIX	"hsm.aggst."
#define S3_AGG_KEY_LEN		48

/* An aggregate being handed out by new_oid. */
struct s3_pack {
	uint8_t		id[S3_AGG_ID_LEN];
	uint32_t	slots;
	uint64_t	bytes;
	bool		open;
	uint64_t	seen;		/* ids published, looked through */
};

struct s3_store {
	struct hsm_store base;
	CURL		*curl;
	char		*endpoint;	/* http://host:port, no slash at the end */
	char		*bucket;
	char		*prefix;	/* "" or "dir/" */
	char		*region;
	char		*userpwd;	/* access:secret */
	unsigned	timeout;
	uint64_t	agg_threshold;	/* aggregate=, 0: off */
	uint64_t	agg_max;	/* aggregate_max= */
	uint64_t	ident;		/* hash of endpoint, bucket, prefix */
	/* the last object read: where its data segments lie, in which key */
	uint8_t		map_oid[HSM_OID_LEN];
	struct hsm_objmeta map_meta;
	bool		map_known;
	char		map_key[S3_AGG_KEY_LEN];
	uint64_t	map_base;	/* its bytes' offset in that key */
};

#define SS(s)	((struct s3_store *)(s))

/* A request's body going out and its answer coming back. */
struct s3_body {
	const char	*data;		/* what is sent */
	size_t		len, off;
	char		*got;		/* what comes back (NUL ended) */
	size_t		got_len, got_cap;
	char		*out;		/* or into here, at most out_cap */
	size_t		out_cap, out_len;
	char		etag[128];
	const char	*hdr;		/* one more header line, or NULL */
};

/* @method on @key (NULL: the bucket): the HTTP status or -errno. */
int s3_request(struct s3_store *ss, const char *method, const char *key,
	       const char *query, const char *range, struct s3_body *b);
/* @etag without the quotes If-Match must not have (radosgw). */
void s3_bare_etag(const char *etag, char *out, size_t size);
/* An HTTP status as -errno: 0 for 2xx, -ECANCELED for 412. */
int s3_status_errno(int st);
/* PUT @len bytes at @key, with header @hdr (NULL, "If-None-Match: *",
 * "If-Match: ETAG"): 0, -ECANCELED when the condition failed, -errno. */
int s3_put(struct s3_store *ss, const char *key, const void *data,
	   size_t len, const char *hdr);
/* GET @key whole (or @range of it) into b->got; 0 or -errno. */
int s3_get_small(struct s3_store *ss, const char *key, const char *range,
		 struct s3_body *b);
/* DELETE @key: 0 or -errno (-ENOENT: it was not there). */
int s3_head(struct s3_store *ss, const char *key);
int s3_delete(struct s3_store *ss, const char *key);
/* @fn(key without PREFIX, size, modification time, @arg) for each key
 * under PREFIX + @prefix; stops on non-zero, which it returns. */
int s3_list_keys(struct s3_store *ss, const char *prefix,
		 int (*fn)(const char *key, uint64_t size, int64_t mtime,
			   void *arg), void *arg);

/* ---- aggregates (s3_agg.c) ------------------------------------------- */

/* Is @oid one new_oid gave a small object? */
bool s3_agg_is_member(const uint8_t *oid);
/* An oid for an object of @size bytes: a slot of @group's open
 * aggregate when small, else random. */
int s3_agg_new_oid(struct s3_store *ss, const void *group, uint64_t size,
		   uint8_t *oid);
/* Where member @oid lives now: its aggregate's key, its bytes' offset
 * there, and its metadata; -ENOENT when it is no member. */
int s3_agg_find(struct s3_store *ss, const uint8_t *oid, char *key,
		uint64_t *base, struct hsm_objmeta *meta);
/* Pack the writers @ws[i] with @small[i] into the aggregates their oids
 * name; each one's @errors[i] (-EAGAIN: publish it as an object of its
 * own).  Frees none. */
struct s3_member {
	const uint8_t	*oid;
	const char	*data;		/* segments end to end */
	uint64_t	len;
	const char	*meta;
	size_t		meta_len;
	int		error;
};
void s3_agg_publish(struct s3_store *ss, struct s3_member *m, size_t n);
int s3_agg_replace_meta(struct s3_store *ss, const uint8_t *oid,
			const char *text, size_t len);
int s3_agg_del(struct s3_store *ss, const uint8_t *oid);
int s3_agg_list(struct s3_store *ss,
		int (*fn)(const uint8_t *oid, void *arg), void *arg);
int s3_agg_repack(struct s3_store *ss, unsigned min_live_pct,
		  int64_t grace_sec, struct hsm_repack_info *info);
/* The aggregate at @key was gone under a reader: forget what was read. */
void s3_agg_gone(struct s3_store *ss, const char *key);

#endif /* LIBHSM_S3P_H */
