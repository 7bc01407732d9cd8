/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * store.h - secondary stores: the vtable every kind implements, the
 * object metadata kept beside each object, and chunk IO (fetch a chunk
 * and check its sum, write it into a file).  Depends on base/ only.
 */
#ifndef LIBHSM_STORE_H
#define LIBHSM_STORE_H

#include "base/base.h"

struct hsm_store;

/* ---- stores ---------------------------------------------------------- */

/* An extended attribute of the archived file (trusted.hsm* excluded). */
struct hsm_objxattr {
	char		*name;
	void		*value;
	size_t		len;
};
#define HSM_OBJXATTR_MAX	4096		/* per object */
#define HSM_OBJLINK_MAX		4096		/* other names kept */
#define HSM_OBJXATTR_VALUE_MAX	65536		/* XATTR_SIZE_MAX */

/* What the store keeps beside each object, for disaster recovery. */
struct hsm_objmeta {
	uint8_t		oid[HSM_OID_LEN];
	char		fs_uuid[37];
	uint64_t	ino;
	uint32_t	gen;
	uint64_t	size;
	int64_t		mtime_sec;
	uint32_t	mtime_nsec;
	uint64_t	checksum;
	char		path[4096];	/* at archive time, may be "" */
	/* the inode at archive time (text v2; false: a v1 text) */
	bool		has_inode;
	uint32_t	mode, uid, gid, nlink, projid;
	int64_t		atime_sec, ctime_sec;
	uint32_t	atime_nsec, ctime_nsec;
	struct hsm_objxattr *xattrs;	/* ACLs are system.posix_acl_* */
	size_t		nxattrs;
	/* the inode's other names (absolute, like path), as the last
	 * xfs_hsmscan --refresh-paths found them; none before it */
	char		**links;
	size_t		nlinks;
	struct hsm_datamap map;		/* data segments of the object */
	unsigned	chunk_shift;	/* granularity of chunk sums */
	struct hsm_chunksum *sums;	/* chunks holding data, ascending */
	size_t		nsums;
	size_t		sums_alloc;
	int64_t		stored_sec;	/* set by stat: when the store last
					 * wrote the object (not in the text) */
};

/* Checksum of one recall chunk: hsm_csum over the chunk's data pieces. */
struct hsm_chunksum {
	uint64_t	chunk;
	uint64_t	sum;
};

int hsm_objmeta_add_sum(struct hsm_objmeta *m, uint64_t chunk, uint64_t sum);
/* Add a copy of xattr @name = @value; -E2BIG past the limits above. */
int hsm_objmeta_add_xattr(struct hsm_objmeta *m, const char *name,
			  const void *value, size_t len);
/* Add @path to @m's other names; -E2BIG past HSM_OBJLINK_MAX. */
int hsm_objmeta_add_link(struct hsm_objmeta *m, const char *path);
/* Fill the inode fields and xattrs of @m from the open file @fd (whose
 * fstat is @st): 0 or -errno. */
int hsm_objmeta_read_inode(struct hsm_objmeta *m, int fd,
			   const struct stat *st);
/* Sum of @chunk; false if the chunk has no data (all hole). */
bool hsm_objmeta_find_sum(const struct hsm_objmeta *m, uint64_t chunk,
			  uint64_t *sum);
void hsm_objmeta_free(struct hsm_objmeta *m);

struct hsm_store_writer;

struct hsm_store_ops {
	const char *name;		/* "posix" */
	/* Open (and with @create, prepare) a store bound to @fs_uuid. */
	int (*open)(const char *arg, const char *fs_uuid, bool create,
		    struct hsm_store **sp);
	void (*close)(struct hsm_store *s);
	/* Start a new object; nothing is visible until commit.  An @oid
	 * already committed is refused with -EEXIST, here or at the
	 * publish, and the committed object is left as it was. */
	int (*put_begin)(struct hsm_store *s, const uint8_t *oid,
			 struct hsm_store_writer **wp);
	/* Write data at @off; offsets need not be contiguous (holes). */
	int (*put_write)(struct hsm_store_writer *w, const void *buf,
			 size_t len, uint64_t off);
	/* All data written: record the metadata beside it.  Nothing is
	 * durable or visible yet.  On error, put_abort. */
	int (*put_finish)(struct hsm_store_writer *w,
			  const struct hsm_objmeta *meta);
	/* Make @n finished objects durable, then visible, then visible
	 * durably: after it returns, a record may name those whose
	 * @errors[i] is 0.  Frees every writer (failed ones aborted). */
	int (*publish)(struct hsm_store *s, struct hsm_store_writer **w,
		       size_t n, int *errors);
	/* Drop a partial object.  Frees @w. */
	void (*put_abort)(struct hsm_store_writer *w);
	/* Read exactly @len bytes at @off (short only past the end). */
	ssize_t (*get)(struct hsm_store *s, const uint8_t *oid, void *buf,
		       size_t len, uint64_t off);
	/* Read an object's metadata (caller calls hsm_objmeta_free). */
	int (*stat)(struct hsm_store *s, const uint8_t *oid,
		    struct hsm_objmeta *meta);
	/* Replace the metadata of committed object @oid by @meta (same
	 * oid), durably: a crash leaves the old text or the new one.
	 * -ENOENT if no committed object is there. */
	int (*replace_meta)(struct hsm_store *s, const uint8_t *oid,
			    const struct hsm_objmeta *meta);
	/* Delete object, metadata and any partial upload, durable with
	 * the next sync; -ENOENT if no committed object was there. */
	int (*del)(struct hsm_store *s, const uint8_t *oid);
	/* Make every delete and write so far durable. */
	int (*sync)(struct hsm_store *s);
	/* Hint that [off, off + len) of @oid will be read soon (may be
	 * NULL): the recall of one file by several workers reads it in
	 * strides no readahead guesses. */
	void (*prefetch)(struct hsm_store *s, const uint8_t *oid, uint64_t off,
			 uint64_t len);
	/* Call @fn for each committed object id; stops on non-zero. */
	int (*list)(struct hsm_store *s,
		    int (*fn)(const uint8_t *oid, void *arg), void *arg);
	/* Rewrite the aggregates of small objects whose live share is
	 * below @min_live_pct, delete those with none once @grace_sec old
	 * (NULL: the store does not aggregate).  hsm_store_repack_in(). */
	int (*repack)(struct hsm_store *s, unsigned min_live_pct,
		      int64_t grace_sec, struct hsm_repack_info *info);
	/* A new oid for an object of about @size bytes (NULL: a random
	 * one).  A store that finds its objects by name may say in it
	 * where a small one goes; @group names the objects that will be
	 * published together (a batch run), whatever handle asks. */
	int (*new_oid)(struct hsm_store *s, const void *group, uint64_t size,
		       uint8_t *oid);
};

struct hsm_store {
	const struct hsm_store_ops *ops;
};

extern const struct hsm_store_ops hsm_store_posix_ops;
/* the modules' (store_rados.so, store_s3.so; store.c loads them) */
extern const struct hsm_store_ops hsm_store_rados_ops;
extern const struct hsm_store_ops hsm_store_s3_ops;

/* Parse "kind:arg" and open.  -EINVAL without a colon,
 * -EPROTONOSUPPORT for an unknown kind. */
int hsm_store_open(const char *spec, const char *fs_uuid, bool create,
		   struct hsm_store **sp);
void hsm_store_close(struct hsm_store *s);
/* The marker a store keeps of the filesystem it serves, with the format of
 * its objects, and what one read back means: 0 ours (*@format set), -EXDEV
 * another filesystem's, -EUCLEAN no marker, -EPROTO a format newer than
 * @newest (a newer xfs-hsm wrote objects an older one cannot read). */
void hsm_store_marker_text(const char *fs_uuid, unsigned format, char *buf,
			   size_t size);
int hsm_store_marker_check(const char *have, const char *fs_uuid,
			   unsigned newest, unsigned *format);
/* @fn(key, value, @arg) for each "key=value" of "a=1&b=2": its first
 * non-zero return; -EINVAL for a key without a value. */
int hsm_store_options(const char *opts,
		      int (*fn)(const char *key, const char *value, void *arg),
		      void *arg);
/* A spec's "SIZE[KMG]" (powers of 1024): 0 or -EINVAL. */
int hsm_store_size_option(const char *value, uint64_t *out);
/* A new oid for an object of about @size bytes in @s, to be published
 * with the others of @group. */
int hsm_store_new_oid(struct hsm_store *s, const void *group, uint64_t size,
		      uint8_t *oid);
/* Finish and publish one object (the batch steps for a single one). */
int hsm_store_commit_one(struct hsm_store *s, struct hsm_store_writer *w,
			 const struct hsm_objmeta *meta);
/* Delete one object durably. */
int hsm_store_del_sync(struct hsm_store *s, const uint8_t *oid);
/* A posix store object's names under DIR/objects: "XX/<oid>" and, when
 * @meta is not NULL, "XX/<oid>.meta" (objpath.c). */
#define HSM_OBJ_DATA_NAME	40
#define HSM_OBJ_META_NAME	48
void hsm_posix_object_names(const uint8_t oid[HSM_OID_LEN],
			    char data[HSM_OBJ_DATA_NAME],
			    char meta[HSM_OBJ_META_NAME]);
/* The data file of a posix store object (objfile.c): its metadata text in
 * xattr HSM_OBJFILE_META (-EOPNOTSUPP: the file cannot hold it; -ENODATA:
 * it holds none). */
#define HSM_OBJFILE_META	"user.xfs-hsm.meta"
int hsm_objfile_set_meta(int fd, const char *text, size_t len);
ssize_t hsm_objfile_get_meta(int fd, char **out);
int hsm_objfile_has_meta(int fd);
int hsm_objfile_drop_meta(int fd);
/* Object metadata as text and back; -EUCLEAN on a malformed text. */
int hsm_objmeta_format(const struct hsm_objmeta *m, char **out, size_t *len);
int hsm_objmeta_parse(const char *buf, size_t len, struct hsm_objmeta *m);

/*
 * Read chunk @c of object @oid into @buf (1 << meta->chunk_shift bytes, at
 * the chunk's offsets) and check its sum: 0, -ENOLINK when the store
 * cannot give the right bytes, other -errno from the store.  A chunk with
 * no data in the copy reads as nothing (0).  @hint: extent cursor, start 0.
 */
int hsm_chunk_fetch(struct hsm_store *store, const uint8_t *oid,
		    const struct hsm_objmeta *meta, uint64_t c, void *buf,
		    size_t *hint);
/* Write the data pieces of the @count chunks from @c on (fetched one after
 * the other into @buf) to @fd, none at or past @limit: one pwrite per
 * piece, however many chunks it spans.  Returns the bytes or -errno. */
int64_t hsm_chunk_write(int fd, const struct hsm_objmeta *meta, uint64_t c,
			uint64_t count, const void *buf, uint64_t limit,
			size_t *hint);
/* The buffer hsm_chunk_fetch needs for any chunk of @meta: a chunk, or
 * the object's size if smaller (a 1 MiB malloc and free for each small
 * file kept glibc's thread arenas growing and trimming). */
size_t hsm_chunk_buf_len(const struct hsm_objmeta *meta);
/* Bytes of data chunk @c holds below @limit. */
uint64_t hsm_chunk_data_len(const struct hsm_objmeta *meta, uint64_t c,
			    uint64_t limit);

#endif /* LIBHSM_STORE_H */
