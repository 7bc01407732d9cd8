// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * mkcorpus.c - write the seed corpus, fuzz/corpus/TARGET/NAME, from the
 * real encoders (v1 records from a local one: libhsm only reads them):
 * valid values, plus a few corrupt ones each.  Run by "make fuzz-corpus";
 * the output is checked in.
 */
#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <xxhash.h>
#include "ctl/ctlP.h"
#include "store/store.h"
#ifdef HAVE_S3
#include "store/s3_agg.h"
#endif
#include "fuzz.h"

static const char *outdir;

static void
put(
	const char	*target,
	const char	*name,
	const void	*buf,
	size_t		len)
{
	char		path[4096];
	FILE		*f;

	snprintf(path, sizeof(path), "%s/%s", outdir, target);
	if (mkdir(path, 0755) < 0 && errno != EEXIST)
		goto fail;
	snprintf(path, sizeof(path), "%s/%s/%s", outdir, target, name);
	f = fopen(path, "we");
	if (!f || fwrite(buf, 1, len, f) != len || fclose(f))
		goto fail;
	return;
fail:
	fprintf(stderr, "mkcorpus: cannot write '%s': %s\n", path,
		strerror(errno));
	exit(1);
}

static void
put_str(
	const char	*target,
	const char	*name,
	const char	*s)
{
	put(target, name, s, strlen(s));
}

static void
put_le(
	uint8_t		*p,
	uint64_t	v,
	unsigned	width)
{
	while (width--) {
		*p++ = v & 0xff;
		v >>= 8;
	}
}

/*
 * The v1 layout (128 bytes), which libhsm still reads but no longer
 * writes; @version is the version byte, 1 but for a corrupt sample.
 */
static void
encode_v1(
	const struct hsm_record	*r,
	uint8_t			version,
	uint8_t			*p)
{
	memset(p, 0, HSM_RECORD_V1_SIZE);
	memcpy(p, "XHSM", 4);
	p[4] = version;
	p[5] = r->pending;
	p[6] = r->chunk_shift;
	put_le(p + 8, r->flags, 4);
	put_le(p + 12, r->copy[0].store_id, 4);
	memcpy(p + 16, r->copy[0].oid, HSM_OID_LEN);
	put_le(p + 32, r->copy_version, 8);
	put_le(p + 40, r->size, 8);
	put_le(p + 48, (uint64_t)r->mtime_sec, 8);
	put_le(p + 56, r->mtime_nsec, 4);
	put_le(p + 60, r->owner_pid, 4);
	put_le(p + 64, r->checksum, 8);
	put_le(p + 72, (uint64_t)r->pending_since, 8);
	memcpy(p + 80, r->owner_boot, 16);
	put_le(p + 120, XXH3_64bits(p, 120), 8);
}

/* Byte @off of @buf set to @val, the XXH3 at @csum recomputed. */
static void
put_resealed(
	const char	*name,
	uint8_t		*buf,
	size_t		len,
	unsigned	off,
	uint8_t		val,
	unsigned	csum)
{
	uint8_t		copy[HSM_RECORD_SIZE];

	memcpy(copy, buf, len);
	copy[off] = val;
	put_le(copy + csum, XXH3_64bits(copy, csum), 8);
	put("record", name, copy, len);
}

/* @r encoded as v1 into "record/@name". */
static void
put_v1(
	const char		*name,
	const struct hsm_record	*r)
{
	uint8_t			buf[HSM_RECORD_V1_SIZE];

	encode_v1(r, 1, buf);
	put("record", name, buf, sizeof(buf));
}

/* @r encoded as v2 into "record/@name" and @buf; exits if refused. */
static void
put_v2(
	const char		*name,
	const struct hsm_record	*r,
	uint8_t			*buf)
{
	if (hsm_record_encode(r, buf)) {
		fprintf(stderr, "mkcorpus: cannot encode record '%s'\n", name);
		exit(1);
	}
	put("record", name, buf, HSM_RECORD_SIZE);
}

static void
records(void)
{
	static const struct hsm_copy durable = {
		.store_id = 1, .state = HSM_COPY_DURABLE,
		.oid = { 0x12, 0x34, 0xab, 0xcd, 1 },
	};
	struct hsm_record r = {
		.flags = HSM_F_ARCHIVED | HSM_F_RELEASED, .chunk_shift = 20,
		.copy[0] = durable, .copy_version = 3, .size = 1 << 20,
		.mtime_sec = 1700000000, .mtime_nsec = 999999999,
		.checksum = 0x0123456789abcdefULL,
	};
	uint8_t		buf[HSM_RECORD_SIZE];

	/* copy 0 in each state: released, lost, no-copy, migrating */
	put_v2("released", &r, buf);
	encode_v1(&r, 1, buf);
	put("record", "v1-released", buf, HSM_RECORD_V1_SIZE);
	/* reserved bytes set, under a right checksum */
	put_resealed("v1-reserved", buf, HSM_RECORD_V1_SIZE, 119, 1, 120);
	/* a version 2 claim at the v1 size, with a v1 checksum */
	encode_v1(&r, 2, buf);
	put("record", "version2", buf, HSM_RECORD_V1_SIZE);
	r.flags = HSM_F_ARCHIVED | HSM_F_NORELEASE | HSM_F_RECALL_RANGE;
	r.pending = HSM_OP_RECALLING;
	r.pending_since = 1700000100;
	r.owner_pid = 4242;
	memset(r.owner_boot, 0x5e, sizeof(r.owner_boot));
	put_v2("recalling", &r, buf);
	put("record", "truncated", buf, 64);
	buf[9] ^= 0x80;			/* unknown flag, stale sum */
	put("record", "bad-csum", buf, sizeof(buf));
	buf[4] = 3;
	put("record", "version3", buf, 8);

	r.flags = HSM_F_LOST | HSM_F_RELEASED;
	r.pending = HSM_OP_NONE;
	r.copy[0].state = HSM_COPY_LOST;
	put_v2("lost", &r, buf);

	memset(&r, 0, sizeof(r));
	r.flags = HSM_F_NORELEASE;
	put_v2("no-copy", &r, buf);

	r.flags = 0;
	r.pending = HSM_OP_MIGRATING;
	r.pending_since = 1700000200;
	r.owner_pid = 77;
	memset(r.owner_boot, 0x3c, sizeof(r.owner_boot));
	r.copy[0] = durable;
	r.copy[0].state = HSM_COPY_WANTED;
	put_v2("migrating", &r, buf);
	put_v1("v1-migrating", &r);
	/* v1 kept a store id with no object; decoding drops it */
	memset(r.copy[0].oid, 0, sizeof(r.copy[0].oid));
	put_v1("v1-store-no-object", &r);

	r.flags = HSM_F_ARCHIVED;
	r.pending = HSM_OP_NONE;
	r.copy[0] = durable;
	r.copy[1] = (struct hsm_copy){ .store_id = 2,
			.state = HSM_COPY_WANTED, .oid = { 0xff, 2 } };
	r.copy[2] = (struct hsm_copy){ .store_id = 0xffffffffU,
			.state = HSM_COPY_LOST, .oid = { [15] = 0x80 } };
	r.copy_version = 7;
	put_v2("three-copies", &r, buf);
	put_resealed("reserved", buf, HSM_RECORD_SIZE, 36, 1, 152);
	put_resealed("reserved-copy", buf, HSM_RECORD_SIZE, 133, 1, 152);
	put_resealed("copy-state4", buf, HSM_RECORD_SIZE, 84, 4, 152);
	put_str("record", "foreign", "user data, not a record");
}

static void
ctl_one(
	const char	*name,
	bool		response,
	struct hsm_ctl_msg *m)
{
	static uint8_t	buf[HSM_CTL_RESP_HDR + HSM_CTL_MAX_PAYLOAD];
	int		len = hsm_ctl_encode(m, response, buf, sizeof(buf));

	if (len < 0) {
		fprintf(stderr, "mkcorpus: cannot encode '%s'\n", name);
		exit(1);
	}
	put("ctl", name, buf, len);
}

static void
ctl_path(
	struct hsm_ctl_msg *m,
	const char	*path)
{
	struct hsm_ctl_item it = { .kind = HSM_CTL_ITEM_PATH, .path = path,
				   .plen = strlen(path) };

	if (hsm_ctl_put_item(m, &it)) {
		fprintf(stderr, "mkcorpus: cannot add '%s'\n", path);
		exit(1);
	}
}

static void
ctls(void)
{
	static struct hsm_ctl_msg m;
	struct hsm_ctl_item it = { .kind = HSM_CTL_ITEM_INODE, .ino = 131,
				   .gen = 7, .oid = { 0xde, 0xad, 0xbe, 0xef } };
	struct hsm_ctl_result r = { .error = -EIO, .outcome = 0,
				    .bytes = 65536, .ino = 131, .gen = 7,
				    .detail = "store read failed",
				    .dlen = 17 };

	m.op = HSM_CTL_PING;
	ctl_one("req-ping", false, &m);
	hsm_ctl_batch_start(&m, HSM_CMD_RECALL);
	ctl_path(&m, "/mnt/data/file");
	ctl_path(&m, "/mnt/data/other");
	ctl_one("req-recall", false, &m);
	hsm_ctl_batch_start(&m, HSM_CMD_RECALL);
	{
		struct hsm_ctl_item ri = { .kind = HSM_CTL_ITEM_RANGES,
			.path = "/mnt/data/big", .plen = 13, .nranges = 2,
			.ranges = { { 0, 4 << 20 }, { 1ULL << 30, 65536 } } };

		hsm_ctl_put_item(&m, &ri);
	}
	ctl_path(&m, "/mnt/data/file");
	ctl_one("req-recall-range", false, &m);
	hsm_ctl_batch_start(&m, HSM_CMD_PINS);
	m.flags = HSM_PINS(HSM_F_NORELEASE, HSM_F_NOARCHIVE);
	ctl_path(&m, "/mnt/data/file");
	ctl_one("req-setflags", false, &m);
	hsm_ctl_batch_start(&m, HSM_CMD_MARKLOST);
	m.flags = 0;
	hsm_ctl_put_item(&m, &it);
	ctl_one("req-marklost", false, &m);
	m.op = HSM_CTL_BATCH;
	m.error = 0;
	hsm_ctl_results_start(&m);
	hsm_ctl_put_result(&m, &r);
	r.error = 0;
	r.outcome = HSM_DONE;
	r.dlen = 0;
	hsm_ctl_put_result(&m, &r);
	ctl_one("resp-recall", true, &m);
	m.op = HSM_CTL_STATS;
	m.error = 0;
	m.len = 168;
	memset(m.payload, 1, m.len);
	ctl_one("resp-stats", true, &m);
	put("ctl", "short-hdr", "XHSQ\2\0", 6);
	/* a header promising more payload than follows */
	put("ctl", "short-payload",
	    "XHSQ" "\2\0" "\3\0" "\0\0\0\0" "\0\1\0\0" "/mnt", 20);
}

static void
configs(void)
{
	put_str("config", "full",
		"# xfs_hsmd.conf\n[xfs_hsmd]\nmode = range\nworkers = 8\n"
		"chunk_size = 4M\nreadahead = 16\ntimeout = 600\n\n"
		"[/srv/data]\nmode = whole\nchunk_size = 64KiB\n");
	put_str("config", "other-fs", "[/srv/other]\nworkers = 0\n");
	put_str("config", "bad-values",
		"[xfs_hsmd]\nworkers = 257\nchunk_size = 3K\ntimeout = -1\n"
		"readahead = 1G\nmode = sometimes\ncolour = blue\n");
	put_str("config", "syntax", "[xfs_hsmd\nmode\n= range\n");
	put_str("config", "setting-size", "chunk_size=18446744073709551615G");
	put_str("config", "setting-timeout", "timeout=86400");
}

static void
objpaths(void)
{
	static const uint8_t oid[HSM_OID_LEN] = {
		0x9f, 0x00, 0x2e, 0x2e, 0x2f, 0x2f, 0xff, 0x10,
		1, 2, 3, 4, 5, 6, 7, 8,
	};
	static struct hsm_binding b = {
		.nstores = 2,
		.store = { { .id = 1, .spec = "posix:/srv/store" },
			   { .id = 3, .draining = true, .spec = "rados:hsm" } },
		.last_id = 2,
	};
	char		buf[HSM_OID_LEN + 2 * sizeof(b.store[0].spec) + 64];
	int		n;

	memcpy(buf, oid, HSM_OID_LEN);
	n = hsm_binding_format(&b, buf + HSM_OID_LEN,
			sizeof(buf) - HSM_OID_LEN);
	put("objpath", "binding", buf, HSM_OID_LEN + n);
	memcpy(buf, "0123456789abcdef0123456789abcdef", 32);
	put("objpath", "hex-oid", buf, 32);
	memcpy(buf + HSM_OID_LEN, "xfs-hsm-binding 1\nstore posix:../x\n"
	       "store_id 4294967295\n", 55);
	put("objpath", "relative", buf, HSM_OID_LEN + 55);
	memcpy(buf + HSM_OID_LEN, "xfs-hsm-binding 1\nstore_id 01\n\n", 31);
	put("objpath", "bad-id", buf, HSM_OID_LEN + 31);
}

static void
scanparses(void)
{
	put("scanparse", "time-epoch", "\0@1700000000.123456789", 22);
	put("scanparse", "time-utc", "\0" "2000-01-01T12:30Z", 18);
	put("scanparse", "time-local", "\0" "2000-01-01 12:30:15", 20);
	put_str("scanparse", "duration", "\1" "9223372036854775807s");
	put_str("scanparse", "duration-day", "\1" "7d");
	put_str("scanparse", "jobs", "\2" "1024");
	put_str("scanparse", "selection", "\3released,partial,bad,all");
	put_str("scanparse", "selection-empty", "\3released,,");
}

/* The texts of xfs_hsmscan/state.c, as it writes them. */
static void
scanstates(void)
{
	static const char cp[] =
		"\0xfs_hsmscan checkpoint 1\n"
		"uuid 0b5c0d7e-1f00-4a4a-9c9c-123456789abc\nkey grace=0\n"
		"started 1700000000\nagcount 4\n"
		"P 0 131 7 1\nT 0 131 7\nT 0 4000 1\n"
		"C 0 4096 0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18"
		" 19 20 21 22\n"
		"P 3 99999 2 3\n"
		"C 3 0 1 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0\n"
		"C 9 0 1 0\n";
	static const char ix[] =
		"\1xfs_hsmscan index 1\n"
		"uuid 0b5c0d7e-1f00-4a4a-9c9c-123456789abc\n"
		"epoch 1700000000\nwritten 1700000002\ncount 3\n"
		"128 1\n131 7\n4000 2\nend\n";
	static const char big[] =
		"\1xfs_hsmscan index 1\n"
		"uuid 0b5c0d7e-1f00-4a4a-9c9c-123456789abc\n"
		"epoch 1\nwritten 2\ncount 68719476736\n128 1\nend\n";

	put("scanstate", "checkpoint", cp, sizeof(cp) - 1);
	put("scanstate", "checkpoint-torn", cp, 200);
	put("scanstate", "index", ix, sizeof(ix) - 1);
	put_str("scanstate", "index-unsorted", "\1xfs_hsmscan index 1\n"
	    "uuid 0b5c0d7e-1f00-4a4a-9c9c-123456789abc\n"
	    "epoch 1\nwritten 2\ncount 2\n9 1\n8 1\nend\n");
	put("scanstate", "index-huge-count", big, sizeof(big) - 1);
}

/* Object metadata texts, as the stores keep them (store/objmeta.c). */
static void
objmetas(void)
{
	struct hsm_objmeta m;
	char		*t;
	size_t		len;

	memset(&m, 0, sizeof(m));
	memset(m.oid, 0xa5, HSM_OID_LEN);
	strcpy(m.fs_uuid, "0b5c0d7e-1f00-4a4a-9c9c-123456789abc");
	m.ino = 131;
	m.gen = 7;
	m.size = 3 << 20;
	m.mtime_sec = 1700000000;
	m.mtime_nsec = 5;
	m.checksum = 0x0123456789abcdefULL;
	strcpy(m.path, "/data/a dir/caf\xc3\xa9\nname");
	m.has_inode = true;
	m.mode = 0104750;
	m.uid = 12;
	m.gid = 34;
	m.nlink = 3;
	m.atime_sec = -1;
	m.ctime_sec = 1700000001;
	hsm_objmeta_add_xattr(&m, "user.color", "blue", 4);
	hsm_objmeta_add_xattr(&m, "system.posix_acl_access", "\2\0\0\0", 4);
	hsm_objmeta_add_link(&m, "/data/links/s2");
	hsm_objmeta_add_link(&m, "/data/a dir/s3");
	m.chunk_shift = 20;
	hsm_datamap_add(&m.map, 0, 4096);
	hsm_datamap_add(&m.map, 2 << 20, 1 << 20);
	hsm_objmeta_add_sum(&m, 0, 0xabc);
	hsm_objmeta_add_sum(&m, 2, 0xdef);
	if (hsm_objmeta_format(&m, &t, &len))
		exit(1);
	put("objmeta", "v2-links", t, len);
	put("objmeta", "v2-torn", t, len / 2);
	free(t);
	/* as a store written before metadata v2 holds it */
	m.has_inode = false;
	if (hsm_objmeta_format(&m, &t, &len))
		exit(1);
	put("objmeta", "v1-links", t, len);
	free(t);
	hsm_objmeta_free(&m);
	put_str("objmeta", "links-over", "xfs-hsm-object 1\n"
		"oid a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5\n"
		"fs_uuid 0b5c0d7e-1f00-4a4a-9c9c-123456789abc\n"
		"ino 1\ngen 1\nsize 0\nmtime 0 0\nchecksum 0\npath \n"
		"links 4097\nlink /x\nextents 0\nchunk_shift 20\nchunks 0\n"
		"end\n");
}

#ifdef HAVE_S3
/* put() of @len bytes after the parser's choice @kind (fuzz_s3agg.c) */
static void
put_s3agg(
	const char	*name,
	uint8_t		kind,
	const char	*buf,
	size_t		len)
{
	char		*b = malloc(len + 1);

	if (!b)
		exit(1);
	b[0] = kind;
	memcpy(b + 1, buf, len);
	put("s3agg", name, b, len + 1);
	free(b);
}

/* An S3 aggregate and states, as publish, delete and repack write them
 * (store/s3_agg_format.c). */
static void
s3aggs(void)
{
	static const char *meta[] = { "xfs-hsm-object 1\nsize 5\nend\n",
				      "", "m\n\n" };
	static const char *data[] = { "hello", "", "\0\1\2 binary\n" };
	struct agg_build_member	m[3];
	struct agg_state	st = { 0 };
	struct agg_line		*l;
	uint8_t			oid[HSM_OID_LEN];
	const char		*wrap;
	char			*t;
	size_t			len, i;

	memset(oid, 0x5a, sizeof(oid));
	oid[S3_AGG_ID_LEN] = S3_AGG_MARK;
	for (i = 0; i < 3; i++) {
		m[i].slot = 2 * i;
		m[i].oid = oid;
		m[i].data = data[i];
		m[i].len = i == 2 ? 10 : strlen(data[i]);
		m[i].meta = meta[i];
		m[i].meta_len = strlen(meta[i]);
		m[i].stored = i ? 1700000000 + i : 0;
	}
	if (agg_build(m, 3, 1700000000, &t, &len))
		exit(1);
	put_s3agg("aggregate", 0, t, len);
	put_s3agg("aggregate-torn", 0, t, len / 2);
	free(t);
	if (agg_build(m, 0, 1700000000, &t, &len))
		exit(1);
	put_s3agg("aggregate-empty", 0, t, len);
	free(t);
	put_s3agg("aggregate-count-over", 0,
		  "xfs-hsm-aggregate 1 16777217 40\n", 32);
	/* found by the fuzzer: a table length that wrapped the data start,
	 * and no newline after it for the entry's search to stop at */
	wrap = "xfs-hsm-aggregate 1 3 155555555555555555555555555555555555555552"
	    "\n0 5a5a";
	put_s3agg("aggregate-toclen-wraps", 0, wrap, strlen(wrap));
	l = agg_state_line(&st, 0);
	if (!l)
		exit(1);
	l->kind = AGG_DEAD;
	l = agg_state_line(&st, 2);
	if (!l)
		exit(1);
	l->kind = AGG_MOVED;
	memset(l->to, 0xc3, S3_AGG_ID_LEN);
	l->to_slot = 77;
	l = agg_state_line(&st, 4);
	if (!l)
		exit(1);
	l->kind = AGG_META;
	l->meta = strdup("xfs-hsm-object 1\nend\n");
	if (!l->meta)
		exit(1);
	l->meta_len = strlen(l->meta);
	if (agg_state_format(&st, &t, &len))
		exit(1);
	put_s3agg("state", 1, t, len);
	put_s3agg("state-torn", 1, t, len - 3);
	free(t);
	agg_state_free(&st);
	put_s3agg("state-twice", 1, "xfs-hsm-aggstate 1\ndead 3\ndead 3\n",
		  33);
}
#endif

int
main(
	int		argc,
	char		**argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: mkcorpus <dir>\n");
		return 8;
	}
	outdir = argv[1];
	records();
	ctls();
	configs();
	objpaths();
	scanparses();
	scanstates();
	objmetas();
#ifdef HAVE_S3
	s3aggs();
#endif
	return 0;
}
