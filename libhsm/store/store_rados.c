// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * store_rados.c - a Ceph RADOS pool as a store (librados).
 *
 *   rados:POOL[?conf=PATH&id=CLIENT&namespace=NS&timeout=SECONDS
 *              &aggregate=SIZE&aggregate_max=SIZE&index_shards=N]
 *
 *   xfs-hsm-store        marker: "xfs-hsm-store 1\nfs_uuid U\n"; version 2
 *                        when its aggregate index has other than 256
 *                        shards, their count in its xattr
 *                        "hsm.index_shards" (older versions, which know
 *                        only 256, refuse the pool)
 *   <oid>                the head: the first HEAD_BYTES of the data, and
 *                        the metadata text in its xattr "hsm.meta"
 *   <oid>.<k>            part k >= 1: data [HEAD + (k-1) STRIPE, + STRIPE)
 *
 * An object is committed when its head exists: the head is written last,
 * by one write operation that creates it (exclusively), writes its data
 * and sets its metadata, so data and metadata commit atomically; the
 * parts of a large file are written before it.  A RADOS write is durable
 * on every replica when it returns, so publish has nothing to sync.  A
 * part stays under the cluster's object size limit (128 MiB by default)
 * and each write under its write size limit (90 MiB); holes are not
 * written, so objects stay sparse.  Every operation fails within the
 * timeout (default 30 s) when the cluster does not answer.
 *
 * Objects of up to aggregate= bytes (default 256 KiB, 0: none) are packed
 * by publish into aggregates of up to aggregate_max= bytes (default and
 * limit 64 MiB) and found through an index (rados_agg.c): their oid stays
 * theirs, every call below keeps its meaning for them.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <rados/librados.h>
#include "store/rados_agg.h"

#define MARKER		"xfs-hsm-store"
#define SHARDS_XATTR	"hsm.index_shards"
#define META_XATTR	"hsm.meta"
#define HEAD_BYTES	(4ULL << 20)	/* in the head, written with it */
#define STRIPE		(64ULL << 20)	/* per part */
#define TIMEOUT_DEFAULT	30
#define NAME_LEN	64

struct rados_store {
	struct hsm_store base;
	rados_t		cluster;
	rados_ioctx_t	io;
	struct agg_pool	agg;			/* io, and its index shards */
	bool		connected;
	bool		has_io;
	uint64_t	agg_threshold;		/* aggregate=, 0: off */
	uint64_t	agg_max;		/* aggregate_max= */
	uint8_t		size_oid[HSM_OID_LEN];	/* the last object read */
	uint64_t	size;			/* and its size */
	bool		size_known;
	bool		member;			/* it is in an aggregate */
	struct agg_loc	loc;			/* there */
};

/* The head's data, kept until publish writes it with the metadata. */
struct head_piece {
	uint64_t	off;
	size_t		len;
	char		*data;
};

struct hsm_store_writer {
	struct rados_store *rs;
	uint8_t		oid[HSM_OID_LEN];
	struct head_piece *pieces;
	size_t		npieces, alloc;
	char		*meta;		/* text, after put_finish */
	size_t		meta_len;
	uint64_t	parts;		/* highest part written */
	uint8_t		*cleared;	/* parts emptied before the first write */
	size_t		ncleared;
	uint64_t	size;		/* of the object, after put_finish */
};

#define RS(s)	((struct rados_store *)(s))

static void
head_name(
	const uint8_t	*oid,
	char		name[NAME_LEN])
{
	hsm_oid_hex(oid, name);
}

static void
part_name(
	const uint8_t	*oid,
	uint64_t	k,
	char		name[NAME_LEN])
{
	char		hex[33];

	hsm_oid_hex(oid, hex);
	snprintf(name, NAME_LEN, "%s.%llu", hex, (unsigned long long)k);
}

/* Part of byte @off (0: the head), and the offset in it. */
static uint64_t
part_of(
	uint64_t	off,
	uint64_t	*in_part)
{
	if (off < HEAD_BYTES) {
		*in_part = off;
		return 0;
	}
	*in_part = (off - HEAD_BYTES) % STRIPE;
	return (off - HEAD_BYTES) / STRIPE + 1;
}

/* Bytes from @off to the end of its part. */
static uint64_t
part_room(
	uint64_t	off)
{
	uint64_t	in;

	return part_of(off, &in) ? STRIPE - in : HEAD_BYTES - in;
}

struct rados_opts {
	char		**conf, **id, **ns;
	unsigned	*timeout;
	uint64_t	*agg_threshold, *agg_max;
	unsigned	*shard_bits;
};

/* "N": a power of two from 256 to 65536, as its bits (8 to 16); 0 or
 * -EINVAL. */
static int
parse_shards(
	const char	*value,
	unsigned	*bits)
{
	char		*end;
	unsigned long	v;
	unsigned	b;

	errno = 0;
	v = strtoul(value, &end, 10);
	if (errno || end == value || *end)
		return -EINVAL;
	for (b = AGG_SHARD_BITS_MIN; b <= AGG_SHARD_BITS_MAX; b++)
		if (v == 1UL << b) {
			*bits = b;
			return 0;
		}
	return -EINVAL;
}

static int
rados_opt(
	const char	*key,
	const char	*value,
	void		*arg)
{
	struct rados_opts *o = arg;
	char		**to = NULL;

	if (!strcmp(key, "conf"))
		to = o->conf;
	else if (!strcmp(key, "id"))
		to = o->id;
	else if (!strcmp(key, "namespace"))
		to = o->ns;
	else if (!strcmp(key, "timeout"))
		return (*o->timeout = strtoul(value, NULL, 10)) ? 0 : -EINVAL;
	else if (!strcmp(key, "aggregate"))
		return hsm_store_size_option(value, o->agg_threshold) ||
		       *o->agg_threshold > HEAD_BYTES ? -EINVAL : 0;
	else if (!strcmp(key, "aggregate_max"))
		return hsm_store_size_option(value, o->agg_max) ||
		       *o->agg_max < (1ULL << 20) ||
		       *o->agg_max > AGG_MAX_LIMIT ? -EINVAL : 0;
	else if (!strcmp(key, "index_shards"))
		return parse_shards(value, o->shard_bits);
	else
		return -EINVAL;
	free(*to);
	*to = strdup(value);
	return *to ? 0 : -ENOMEM;
}

/* "POOL[?key=value&...]": the pool, and what the options set. */
static int
parse_spec(
	const char	*arg,
	char		*pool,
	size_t		pool_size,
	char		**conf,
	char		**id,
	char		**ns,
	unsigned	*timeout,
	uint64_t	*agg_threshold,
	uint64_t	*agg_max,
	unsigned	*shard_bits)
{
	struct rados_opts o = { conf, id, ns, timeout, agg_threshold,
				agg_max, shard_bits };
	const char	*q = strchr(arg, '?');
	size_t		len = q ? (size_t)(q - arg) : strlen(arg);

	if (!len || len >= pool_size)
		return -EINVAL;
	memcpy(pool, arg, len);
	pool[len] = '\0';
	return q ? hsm_store_options(q + 1, rados_opt, &o) : 0;
}

/* Make the marker of a new pool (namespace): version 2 and the shard
 * count when the index is not the 256 shards every version knows. */
static int
make_marker(
	struct rados_store	*rs,
	const char		*fs_uuid,
	unsigned		bits)
{
	rados_write_op_t	op = rados_create_write_op();
	char			text[128], count[16];
	int			error;

	if (!op)
		return -ENOMEM;
	hsm_store_marker_text(fs_uuid, bits == AGG_SHARD_BITS_DEFAULT ? 1 : 2,
			      text, sizeof(text));
	snprintf(count, sizeof(count), "%u", 1U << bits);
	rados_write_op_create(op, LIBRADOS_CREATE_EXCLUSIVE, NULL);
	rados_write_op_write_full(op, text, strlen(text));
	rados_write_op_setxattr(op, SHARDS_XATTR, count, strlen(count));
	error = rados_write_op_operate(op, rs->io, MARKER, NULL, 0);
	rados_release_write_op(op);
	return error;
}

/*
 * The marker object says which filesystem the pool (namespace) serves,
 * and how its index is sharded.  @bits: what the spec asked for (0:
 * nothing), which may only make a new pool's index.
 */
static int
check_marker(
	struct rados_store	*rs,
	const char		*fs_uuid,
	bool			create,
	unsigned		bits)
{
	char			have[128], count[16];
	unsigned		format, has = AGG_SHARD_BITS_DEFAULT;
	int			n, error;

	n = rados_read(rs->io, MARKER, have, sizeof(have) - 1, 0);
	if (n == -ENOENT && create) {
		has = bits ? bits : AGG_SHARD_BITS_DEFAULT;
		error = make_marker(rs, fs_uuid, has);
		rs->agg.shard_bits = has;
		return error;
	}
	if (n < 0)
		return n;
	have[n] = '\0';
	error = hsm_store_marker_check(have, fs_uuid, 2, &format);
	if (error)
		return error;
	if (format >= 2) {
		n = rados_getxattr(rs->io, MARKER, SHARDS_XATTR, count,
				   sizeof(count) - 1);
		if (n < 0)
			return n == -ENODATA ? -EUCLEAN : n;
		count[n] = '\0';
		if (parse_shards(count, &has))
			return -EUCLEAN;
	}
	/* the index cannot be resharded by a spec: its entries stay put */
	if (bits && bits != has)
		return -EMEDIUMTYPE;
	rs->agg.shard_bits = has;
	return 0;
}

static void rados_store_close(struct hsm_store *s);

static int
rados_store_open(
	const char		*arg,
	const char		*fs_uuid,
	bool			create,
	struct hsm_store	**sp)
{
	struct rados_store	*rs;
	char			pool[256], secs[16];
	char			*conf = NULL, *id = NULL, *ns = NULL;
	unsigned		timeout = TIMEOUT_DEFAULT;
	uint64_t		agg_threshold = AGG_THRESHOLD_DEFAULT;
	uint64_t		agg_max = AGG_MAX_DEFAULT;
	unsigned		shard_bits = 0;
	int			error;

	error = parse_spec(arg, pool, sizeof(pool), &conf, &id, &ns,
			   &timeout, &agg_threshold, &agg_max, &shard_bits);
	if (error)
		goto out_free;
	rs = calloc(1, sizeof(*rs));
	if (!rs) {
		error = -ENOMEM;
		goto out_free;
	}
	rs->base.ops = &hsm_store_rados_ops;
	rs->agg_threshold = agg_threshold < agg_max ? agg_threshold : agg_max;
	rs->agg_max = agg_max;
	error = rados_create(&rs->cluster, id);
	if (error) {
		free(rs);
		goto out_free;
	}
	error = rados_conf_read_file(rs->cluster, conf);
	snprintf(secs, sizeof(secs), "%u", timeout);
	if (!error)
		error = rados_conf_set(rs->cluster, "client_mount_timeout",
				       secs);
	if (!error)
		error = rados_conf_set(rs->cluster, "rados_osd_op_timeout",
				       secs);
	if (!error)
		error = rados_conf_set(rs->cluster, "rados_mon_op_timeout",
				       secs);
	if (!error) {
		error = rados_connect(rs->cluster);
		rs->connected = !error;
	}
	if (!error) {
		error = rados_ioctx_create(rs->cluster, pool, &rs->io);
		rs->has_io = !error;
	}
	if (!error) {
		if (ns)
			rados_ioctx_set_namespace(rs->io, ns);
		rs->agg.io = rs->io;
		error = check_marker(rs, fs_uuid, create, shard_bits);
	}
	if (error) {
		rados_store_close(&rs->base);
		goto out_free;
	}
	*sp = &rs->base;
out_free:
	free(conf);
	free(id);
	free(ns);
	return error;
}

static void
rados_store_close(
	struct hsm_store	*s)
{
	struct rados_store	*rs = RS(s);

	if (rs->has_io)
		rados_ioctx_destroy(rs->io);
	rados_shutdown(rs->cluster);
	free(rs);
}

static int
rados_put_begin(
	struct hsm_store	*s,
	const uint8_t		*oid,
	struct hsm_store_writer	**wp)
{
	struct rados_store	*rs = RS(s);
	struct hsm_store_writer	*w;
	char			name[NAME_LEN];
	uint64_t		size;
	time_t			mtime;
	int			error;

	head_name(oid, name);
	error = rados_stat(rs->io, name, &size, &mtime);
	if (!error)
		return -EEXIST;
	if (error != -ENOENT)
		return error;
	w = calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	w->rs = rs;
	memcpy(w->oid, oid, HSM_OID_LEN);
	*wp = w;
	return 0;
}

/* Keep a piece of the head's data for publish. */
static int
keep_piece(
	struct hsm_store_writer	*w,
	const void		*buf,
	size_t			len,
	uint64_t		off)
{
	struct head_piece	*p;

	if (w->npieces == w->alloc) {
		size_t na = w->alloc ? 2 * w->alloc : 8;

		p = realloc(w->pieces, na * sizeof(*p));
		if (!p)
			return -ENOMEM;
		w->pieces = p;
		w->alloc = na;
	}
	p = &w->pieces[w->npieces];
	p->data = malloc(len);
	if (!p->data)
		return -ENOMEM;
	memcpy(p->data, buf, len);
	p->off = off;
	p->len = len;
	w->npieces++;
	return 0;
}

/* Before the first write to part @k: no data of an earlier try in it. */
static int
clear_part(
	struct hsm_store_writer	*w,
	uint64_t		k)
{
	char			name[NAME_LEN];
	int			error;

	if (k < w->ncleared && w->cleared[k])
		return 0;
	if (k >= w->ncleared) {
		uint8_t *c = realloc(w->cleared, k + 16);

		if (!c)
			return -ENOMEM;
		memset(c + w->ncleared, 0, k + 16 - w->ncleared);
		w->cleared = c;
		w->ncleared = k + 16;
	}
	part_name(w->oid, k, name);
	error = rados_remove(w->rs->io, name);
	if (error && error != -ENOENT)
		return error;
	w->cleared[k] = 1;
	if (k > w->parts)
		w->parts = k;
	return 0;
}

static int
rados_put_write(
	struct hsm_store_writer	*w,
	const void		*buf,
	size_t			len,
	uint64_t		off)
{
	const char		*p = buf;
	char			name[NAME_LEN];
	uint64_t		k, in, n;
	int			error;

	while (len) {
		n = part_room(off);
		if (n > len)
			n = len;
		k = part_of(off, &in);
		if (!k) {
			error = keep_piece(w, p, n, off);
		} else {
			error = clear_part(w, k);
			part_name(w->oid, k, name);
			if (!error)
				error = rados_write(w->rs->io, name, p, n, in);
		}
		if (error)
			return error;
		p += n;
		off += n;
		len -= n;
	}
	return 0;
}

static void
free_writer(
	struct hsm_store_writer	*w)
{
	size_t			i;

	for (i = 0; i < w->npieces; i++)
		free(w->pieces[i].data);
	free(w->pieces);
	free(w->cleared);
	free(w->meta);
	free(w);
}

/* Remove parts 1..@last of @oid (what is not there is fine). */
static int
remove_parts(
	struct rados_store	*rs,
	const uint8_t		*oid,
	uint64_t		last)
{
	char			name[NAME_LEN];
	uint64_t		k;
	int			error, first = 0;

	for (k = 1; k <= last; k++) {
		part_name(oid, k, name);
		error = rados_remove(rs->io, name);
		if (error && error != -ENOENT && !first)
			first = error;
	}
	return first;
}

static void
rados_put_abort(
	struct hsm_store_writer	*w)
{
	remove_parts(w->rs, w->oid, w->parts);
	free_writer(w);
}

static int
rados_put_finish(
	struct hsm_store_writer	*w,
	const struct hsm_objmeta *meta)
{
	w->size = meta->size;
	return hsm_objmeta_format(meta, &w->meta, &w->meta_len);
}

/* The head, by one operation: create, data, metadata. */
static rados_write_op_t
head_op(
	struct hsm_store_writer	*w)
{
	rados_write_op_t	op = rados_create_write_op();
	size_t			i;

	if (!op)
		return NULL;
	rados_write_op_create(op, LIBRADOS_CREATE_EXCLUSIVE, NULL);
	for (i = 0; i < w->npieces; i++)
		rados_write_op_write(op, w->pieces[i].data, w->pieces[i].len,
				     w->pieces[i].off);
	rados_write_op_setxattr(op, META_XATTR, w->meta, w->meta_len);
	return op;
}

/* Every head at once, then wait for all: one round trip for the batch. */
static int
publish_heads(
	struct hsm_store	*s,
	struct hsm_store_writer	**ws,
	size_t			n,
	int			*errors)
{
	struct rados_store	*rs = RS(s);
	rados_completion_t	*cs = calloc(n, sizeof(*cs));
	rados_write_op_t	*ops = calloc(n, sizeof(*ops));
	char			name[NAME_LEN];
	size_t			i;

	for (i = 0; i < n; i++) {
		errors[i] = -ENOMEM;
		if (!cs || !ops || !ws[i]->meta)
			continue;
		ops[i] = head_op(ws[i]);
		if (!ops[i] || rados_aio_create_completion(NULL, NULL, NULL,
							  &cs[i])) {
			cs[i] = NULL;
			continue;
		}
		head_name(ws[i]->oid, name);
		errors[i] = rados_aio_write_op_operate(ops[i], rs->io, cs[i],
						       name, NULL, 0);
	}
	for (i = 0; i < n; i++) {
		if (cs && cs[i]) {
			if (!errors[i]) {
				rados_aio_wait_for_complete(cs[i]);
				errors[i] = rados_aio_get_return_value(cs[i]);
			}
			rados_aio_release(cs[i]);
		}
		if (ops && ops[i])
			rados_release_write_op(ops[i]);
		if (errors[i])
			rados_put_abort(ws[i]);
		else
			free_writer(ws[i]);
	}
	free(cs);
	free(ops);
	return 0;
}

static int stat_where(struct rados_store *rs, const uint8_t *oid,
		      struct hsm_objmeta *meta, bool *member,
		      struct agg_loc *loc);

/* Size of @oid's data, from its metadata (kept for the next reads), and
 * where it is when it is in an aggregate. */
static int
object_size(
	struct rados_store	*rs,
	const uint8_t		*oid,
	uint64_t		*size)
{
	struct hsm_objmeta	m;
	int			error;

	if (rs->size_known && !memcmp(rs->size_oid, oid, HSM_OID_LEN)) {
		*size = rs->size;
		return 0;
	}
	memset(&m, 0, sizeof(m));
	error = stat_where(rs, oid, &m, &rs->member, &rs->loc);
	if (error)
		return error;
	*size = m.size;
	hsm_objmeta_free(&m);
	if (rs->member && rs->loc.len != *size)
		return -EUCLEAN;	/* the index and the metadata disagree */
	memcpy(rs->size_oid, oid, HSM_OID_LEN);
	rs->size = *size;
	rs->size_known = true;
	return 0;
}

static ssize_t
rados_get(
	struct hsm_store	*s,
	const uint8_t		*oid,
	void			*buf,
	size_t			len,
	uint64_t		off)
{
	struct rados_store	*rs = RS(s);
	char			name[NAME_LEN], *p = buf;
	uint64_t		size, k, in, n;
	size_t			done = 0;
	int			got, error;

	error = object_size(rs, oid, &size);
	if (error)
		return error;
	if (off >= size)
		return 0;
	if (len > size - off)
		len = size - off;
	if (rs->member)
		return agg_read(&rs->agg, oid, &rs->loc, buf, len, off);
	while (done < len) {
		n = part_room(off + done);
		if (n > len - done)
			n = len - done;
		k = part_of(off + done, &in);
		if (k)
			part_name(oid, k, name);
		else
			head_name(oid, name);
		got = rados_read(rs->io, name, p + done, n, in);
		if (got == -ENOENT && k)
			got = 0;	/* a part all hole was never written */
		if (got < 0)
			return got;
		/* a hole at the end of a part reads short: zeros */
		memset(p + done + got, 0, n - got);
		done += n;
	}
	return done;
}

/* The metadata of aggregate member @oid, from its index value. */
static int
member_stat(
	struct rados_store	*rs,
	const uint8_t		*oid,
	struct hsm_objmeta	*meta,
	struct agg_loc		*loc)
{
	char			*val;
	size_t			len, off;
	int			error;

	error = agg_index_get(&rs->agg, oid, &val, &len);
	if (error)
		return error;
	error = agg_value_parse(val, len, loc, &off);
	if (!error)
		error = hsm_objmeta_parse(val + off, len - off, meta);
	free(val);
	if (error)
		return error;
	if (memcmp(meta->oid, oid, HSM_OID_LEN)) {
		hsm_objmeta_free(meta);
		return -EUCLEAN;
	}
	meta->stored_sec = loc->stored;
	return 0;
}

/* The metadata of @oid; *@member and @loc when it is in an aggregate. */
static int
stat_where(
	struct rados_store	*rs,
	const uint8_t		*oid,
	struct hsm_objmeta	*meta,
	bool			*member,
	struct agg_loc		*loc)
{
	char			name[NAME_LEN];
	char			*text = NULL;
	uint64_t		hsize;
	time_t			mtime;
	size_t			cap = 8192;
	int			n, error;

	*member = false;
	head_name(oid, name);
	error = rados_stat(rs->io, name, &hsize, &mtime);
	if (error == -ENOENT) {
		*member = true;
		return member_stat(rs, oid, meta, loc);
	}
	if (error)
		return error;
	for (;;) {
		char *t = realloc(text, cap);

		if (!t) {
			free(text);
			return -ENOMEM;
		}
		text = t;
		n = rados_getxattr(rs->io, name, META_XATTR, text, cap);
		if (n != -ERANGE && (n < 0 || (size_t)n < cap))
			break;
		cap *= 4;
		if (cap > (64U << 20)) {
			n = -EUCLEAN;
			break;
		}
	}
	if (n < 0) {
		free(text);
		return n == -ENODATA ? -EUCLEAN : n;
	}
	error = hsm_objmeta_parse(text, n, meta);
	free(text);
	if (error)
		return error;
	if (memcmp(meta->oid, oid, HSM_OID_LEN)) {
		hsm_objmeta_free(meta);
		return -EUCLEAN;
	}
	meta->stored_sec = mtime;
	return 0;
}

static int
rados_store_stat(
	struct hsm_store	*s,
	const uint8_t		*oid,
	struct hsm_objmeta	*meta)
{
	struct agg_loc		loc;
	bool			member;

	return stat_where(RS(s), oid, meta, &member, &loc);
}

/* New metadata: one operation on the head, which must be there. */
static int
rados_replace_meta(
	struct hsm_store	*s,
	const uint8_t		*oid,
	const struct hsm_objmeta *meta)
{
	struct rados_store	*rs = RS(s);
	rados_write_op_t	op;
	char			name[NAME_LEN], *text;
	size_t			len;
	int			error;

	error = hsm_objmeta_format(meta, &text, &len);
	if (error)
		return error;
	op = rados_create_write_op();
	if (!op) {
		free(text);
		return -ENOMEM;
	}
	head_name(oid, name);
	rados_write_op_assert_exists(op);
	rados_write_op_setxattr(op, META_XATTR, text, len);
	error = rados_write_op_operate(op, rs->io, name, NULL, 0);
	rados_release_write_op(op);
	if (error == -ENOENT)	/* not a head: a member? */
		error = agg_replace_meta(&rs->agg, oid, text, len);
	free(text);
	return error;
}

static int
rados_del(
	struct hsm_store	*s,
	const uint8_t		*oid)
{
	struct rados_store	*rs = RS(s);
	struct hsm_objmeta	m;
	char			name[NAME_LEN];
	uint64_t		last = 0, in, hsize;
	time_t			mtime;
	int			error;

	rs->size_known = false;
	head_name(oid, name);
	error = rados_stat(rs->io, name, &hsize, &mtime);
	if (error == -ENOENT)
		return agg_del(&rs->agg, oid);
	memset(&m, 0, sizeof(m));
	if (!rados_store_stat(s, oid, &m)) {
		if (m.size > HEAD_BYTES)
			last = part_of(m.size - 1, &in);
		hsm_objmeta_free(&m);
	}
	rs->size_known = false;
	/* the head first: the object is gone as soon as it is */
	head_name(oid, name);
	error = rados_remove(rs->io, name);
	if (error && error != -ENOENT)
		return error;
	if (remove_parts(rs, oid, last))
		return -EIO;
	return error;
}

/* Does @w go into an aggregate?  Small, all of it in its head, and its
 * metadata small enough for an index value (many xattrs: a head). */
static bool
aggregated(
	struct hsm_store_writer	*w)
{
	size_t			i;

	if (!w->rs->agg_threshold || !w->meta || w->parts ||
	    w->size > w->rs->agg_threshold || w->meta_len > AGG_META_MAX)
		return false;
	for (i = 0; i < w->npieces; i++)
		if (w->pieces[i].off + w->pieces[i].len > w->size)
			return false;
	return true;
}

/* @w's bytes, holes as zeros (freed by the caller). */
static char *
member_bytes(
	struct hsm_store_writer	*w)
{
	char			*data = calloc(1, w->size ? w->size : 1);
	size_t			i;

	for (i = 0; data && i < w->npieces; i++)
		memcpy(data + w->pieces[i].off, w->pieces[i].data,
		       w->pieces[i].len);
	return data;
}

/* Small objects into aggregates (rados_agg.c), the others as heads. */
static int
rados_publish(
	struct hsm_store	*s,
	struct hsm_store_writer	**ws,
	size_t			n,
	int			*errors)
{
	struct rados_store	*rs = RS(s);
	struct hsm_store_writer	**big = calloc(n ? n : 1, sizeof(*big));
	struct agg_member	*m = calloc(n ? n : 1, sizeof(*m));
	size_t			*mi = calloc(n ? n : 1, sizeof(*mi));
	size_t			*bi = calloc(n ? n : 1, sizeof(*bi));
	int			*berr = calloc(n ? n : 1, sizeof(*berr));
	size_t			i, nm = 0, nb = 0;

	if (!big || !m || !mi || !bi || !berr) {
		free(big);
		free(m);
		free(mi);
		free(bi);
		free(berr);
		return publish_heads(s, ws, n, errors);
	}
	for (i = 0; i < n; i++) {
		char *data = aggregated(ws[i]) ? member_bytes(ws[i]) : NULL;

		if (!data) {
			bi[nb] = i;
			big[nb++] = ws[i];
			continue;
		}
		m[nm].oid = ws[i]->oid;
		m[nm].data = data;
		m[nm].len = ws[i]->size;
		m[nm].meta = ws[i]->meta;
		m[nm].meta_len = ws[i]->meta_len;
		mi[nm++] = i;
	}
	if (nm)
		agg_publish(&rs->agg, rs->agg_max, m, nm);
	if (nb)
		publish_heads(s, big, nb, berr);
	for (i = 0; i < nb; i++)
		errors[bi[i]] = berr[i];
	for (i = 0; i < nm; i++) {
		errors[mi[i]] = m[i].error;
		free((char *)m[i].data);
		free_writer(ws[mi[i]]);	/* no parts: nothing to abort */
	}
	free(big);
	free(m);
	free(mi);
	free(bi);
	free(berr);
	return 0;
}

static int
rados_sync(
	struct hsm_store	*s)
{
	(void)s;
	return 0;		/* every write was durable when it returned */
}

static int
rados_list(
	struct hsm_store	*s,
	int			(*fn)(const uint8_t *oid, void *arg),
	void			*arg)
{
	struct rados_store	*rs = RS(s);
	rados_list_ctx_t	ctx;
	const char		*entry;
	uint8_t			oid[HSM_OID_LEN];
	char			(*shards)[AGG_NAME_LEN] = NULL;
	size_t			nshards = 0, i;
	int			error, ret = 0;

	error = rados_nobjects_list_open(rs->io, &ctx);
	if (error)
		return error;
	while (!ret) {
		error = rados_nobjects_list_next(ctx, &entry, NULL, NULL);
		if (error == -ENOENT)
			break;
		if (error) {
			ret = error;
			break;
		}
		/* heads only: committed objects */
		if (strlen(entry) == 32 && !hsm_oid_parse(entry, oid))
			ret = fn(oid, arg);
		else if (agg_is_shard(entry) && strlen(entry) < AGG_NAME_LEN) {
			void *p = realloc(shards, (nshards + 1) *
					  sizeof(*shards));

			if (!p) {
				ret = -ENOMEM;
				break;
			}
			shards = p;
			strcpy(shards[nshards++], entry);
		}
	}
	rados_nobjects_list_close(ctx);
	/* and the members of aggregates, from the index */
	for (i = 0; !ret && i < nshards; i++)
		ret = agg_list_shard(rs->io, shards[i], fn, arg);
	free(shards);
	return ret;
}

static int
rados_repack(
	struct hsm_store	*s,
	unsigned		min_live_pct,
	int64_t			grace_sec,
	struct hsm_repack_info	*info)
{
	struct rados_store	*rs = RS(s);

	rs->size_known = false;
	return agg_repack(&rs->agg, rs->agg_max, min_live_pct, grace_sec,
			  info);
}

HSM_EXPORT const struct hsm_store_ops hsm_store_rados_ops = {
	.name		= "rados",
	.open		= rados_store_open,
	.close		= rados_store_close,
	.put_begin	= rados_put_begin,
	.put_write	= rados_put_write,
	.put_finish	= rados_put_finish,
	.publish	= rados_publish,
	.put_abort	= rados_put_abort,
	.get		= rados_get,
	.stat		= rados_store_stat,
	.replace_meta	= rados_replace_meta,
	.del		= rados_del,
	.sync		= rados_sync,
	.prefetch	= NULL,
	.list		= rados_list,
	.repack		= rados_repack,
};
