/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * rados_agg.h - small objects packed into aggregates in a RADOS pool,
 * private to store_rados.so (rados_agg.c: write, find, read, delete;
 * rados_agg_repack.c: gc's repack).  The layout and why each step is
 * crash safe: doc/design.md, "Small-file aggregates".
 *
 *   hsm.agg.<32 hex>     an aggregate: its members' bytes back to back,
 *                        written once by one operation with its member
 *                        list in its omap (member oid -> index value as
 *                        packed); never modified, only deleted
 *   hsm.aggidx.<X..>     index shard of the members whose oid starts with
 *                        the shard's bits (2 hex digits: 256 shards, the
 *                        first byte; 3 for 4096, 4 for 65536): omap member
 *                        oid -> "AGG OFF LEN STORED\n" and the member's
 *                        metadata text.  The index says where a member
 *                        lives; an aggregate entry no index value names is
 *                        dead.  How many shards is the pool's, fixed when
 *                        it was made (the marker's xattr hsm.index_shards).
 */
#ifndef LIBHSM_RADOS_AGG_H
#define LIBHSM_RADOS_AGG_H

#include <rados/librados.h>
#include "store/store.h"

#define AGG_THRESHOLD_DEFAULT	(256ULL << 10)	/* objects up to this */
#define AGG_MAX_DEFAULT		(64ULL << 20)	/* bytes per aggregate */
#define AGG_MAX_LIMIT		(64ULL << 20)	/* under the write limit */
#define AGG_META_MAX		(64U << 10)	/* text in an index value */
#define AGG_PREFIX		"hsm.agg."
#define AGG_INDEX_PREFIX	"hsm.aggidx."
#define AGG_NAME_LEN		48
#define AGG_SHARD_BITS_DEFAULT	8	/* 256 shards */
#define AGG_SHARD_BITS_MIN	8
#define AGG_SHARD_BITS_MAX	16

/* The pool, and how its index is sharded. */
struct agg_pool {
	rados_ioctx_t	io;
	unsigned	shard_bits;
};

/* Where a member's bytes are, and when the store first wrote them. */
struct agg_loc {
	char		agg[AGG_NAME_LEN];
	uint64_t	off;
	uint64_t	len;
	int64_t		stored;
};

/* A small object for publish to pack. */
struct agg_member {
	const uint8_t	*oid;
	const char	*data;		/* @len bytes, holes as zeros */
	uint64_t	len;
	const char	*meta;		/* its metadata text */
	size_t		meta_len;
	int		error;		/* set by agg_publish */
};

/* Pack @n members into aggregates of up to @max bytes, each written
 * durably, then index them: a member whose error is 0 is committed. */
void agg_publish(const struct agg_pool *ap, uint64_t max,
		 struct agg_member *m, size_t n);
/* The index value of member @oid (malloc'd, not terminated): 0, -ENOENT
 * (no such member), -errno. */
int agg_index_get(const struct agg_pool *ap, const uint8_t *oid,
		  char **val, size_t *len);
/* Split an index value: its location, and where its text begins. */
int agg_value_parse(const char *val, size_t len, struct agg_loc *loc,
		    size_t *text_off);
/* "AGG OFF LEN STORED\n" + @text: the index value of a member. */
int agg_value_format(const struct agg_loc *loc, const char *text,
		     size_t text_len, char **out, size_t *out_len);
/* Read @len bytes at @off of member @oid, at @loc (refreshed and retried
 * once if its aggregate was repacked away meanwhile). */
ssize_t agg_read(const struct agg_pool *ap, const uint8_t *oid,
		 struct agg_loc *loc, void *buf, size_t len, uint64_t off);
/* New metadata text for member @oid, atomically: -ENOENT if none. */
int agg_replace_meta(const struct agg_pool *ap, const uint8_t *oid,
		     const char *text, size_t len);
/* Unindex member @oid; its aggregate goes with its last member. */
int agg_del(const struct agg_pool *ap, const uint8_t *oid);
/* Call @fn for each member indexed in shard object @shard. */
int agg_list_shard(rados_ioctx_t io, const char *shard,
		   int (*fn)(const uint8_t *oid, void *arg), void *arg);
/* Is @name an index shard's, an aggregate's? */
bool agg_is_shard(const char *name);
bool agg_is_aggregate(const char *name);
/* Index shard of @oid. */
void agg_shard_name(const struct agg_pool *ap, const uint8_t *oid,
		    char name[AGG_NAME_LEN]);
/* A fresh aggregate name. */
int agg_new_name(char name[AGG_NAME_LEN]);
/* Write aggregate @name: @data, @len bytes, and its member list (@n
 * keys, values and their lengths), by one exclusive create (aio). */
rados_write_op_t agg_write_op(const char *data, size_t len,
			      const char *const *keys, const char *const *vals,
			      const size_t *lens, size_t n);
/* @fn(key, value, its length, @arg) for each omap entry of @obj (values
 * with @vals), page by page; stops on non-zero; -ENOENT no @obj. */
int agg_omap_walk(rados_ioctx_t io, const char *obj, bool vals,
		  int (*fn)(const char *key, const char *val, size_t len,
			    void *arg), void *arg);

int agg_repack(const struct agg_pool *ap, uint64_t max,
	       unsigned min_live_pct, int64_t grace_sec,
	       struct hsm_repack_info *info);

#endif /* LIBHSM_RADOS_AGG_H */
