/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * hsmP.h - libhsm internals.  Never installed; tools use hsm.h only.
 */
#ifndef LIBHSM_HSMP_H
#define LIBHSM_HSMP_H

#include <stdbool.h>
#include <sys/types.h>
#include <sys/stat.h>
#include "hsm.h"

#define HSM_EXPORT __attribute__((visibility("default")))

/* Default recall granularity and the largest bitmap we store. */
#define HSM_CHUNK_SHIFT_DEFAULT	20		/* 1 MiB */
#define HSM_MAP_MAX_BYTES	65536		/* XFS xattr value limit */

/* ---- filesystem ---------------------------------------------------- */

struct hsm_store;

struct hsm_fs {
	char		*mnt;		/* mount point, canonical */
	int		mntfd;
	dev_t		dev;
	void		*fshandle;	/* libhandle's, for open_by_handle */
	size_t		fshandle_len;
	unsigned char	uuid[16];
	char		uuid_str[37];
	char		*store_spec;	/* from the binding, or NULL */
	uint32_t	store_id;
	struct hsm_store *store;	/* opened store, or NULL */
	uint8_t		boot_id[16];
	char		errdetail[256];
	hsm_progress_fn	progress_fn;
	void		*progress_arg;
	/* who moves data: see ctl.c */
	int		route;		/* HSM_ROUTE_* */
	int		lockfd;		/* shared daemon lock (direct) */
	int		ctlfd;		/* connection to the daemon */
	/* set by the server on its own handles: see hsm_excl_hooks */
	const struct hsm_excl_hooks *excl_hooks;
	void		*hooks_arg;
};

/*
 * The server marks resident files so their accesses raise no events, and
 * its own IO raises events it must answer.  Under an exclusive lease both
 * bite: an event's fd, opened for the server, breaks the server's own
 * lease.  prepare runs before the lease is taken, begin once it is held,
 * end before it is dropped (srv_ops.c).
 */
struct hsm_excl_hooks {
	void	(*prepare)(void *arg, int fd);
	int	(*begin)(void *arg, int fd);
	void	(*end)(void *arg, int fd);
};

void hsm_fs_set_detail(struct hsm_fs *fs, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Note on the root directory that a file is being released (before the
 * punch: xfs_hsm status MOUNT warns from it).  0 or -errno. */
int hsm_fs_note_release(struct hsm_fs *fs);
/* Read the XFS geometry UUID of an open fd.  -ENOTTY if not XFS. */
int hsm_xfs_uuid(int fd, unsigned char uuid[16]);
void hsm_uuid_unparse(const unsigned char uuid[16], char out[37]);

/* ---- who moves data: the daemon or this process (ctl.c) ------------- */

#define HSM_RUNDIR	"/run/xfs-hsm"	/* <uuid>.lock, <uuid>.sock */

enum {
	HSM_ROUTE_UNKNOWN = 0,
	HSM_ROUTE_DIRECT,	/* no daemon: we hold the lock shared */
	HSM_ROUTE_DAEMON,	/* a daemon serves the fs: ask it */
	HSM_ROUTE_SERVER,	/* we are the daemon */
};

/* Decide the route once per handle: 0 or -errno (daemon not answering). */
int hsm_fs_route(struct hsm_fs *fs);
/* "/run/xfs-hsm/<uuid>.<ext>" */
void hsm_fs_runpath(const struct hsm_fs *fs, const char *ext, char *buf,
		    size_t size);

/* Control protocol: a request is a 16-byte header and a payload (a path,
 * bytes as they are), a response a 32-byte header and a payload (detail
 * text or stats).  Little endian. */
enum hsm_ctl_op {
	HSM_CTL_PING = 1,
	HSM_CTL_STATS,
	HSM_CTL_MIGRATE,
	HSM_CTL_RELEASE,
	HSM_CTL_RECALL,
	HSM_CTL_FORGET,
	HSM_CTL_SETFLAGS,	/* flags: set in the low 16 bits, clear high */
	HSM_CTL_REPAIR,		/* payload: an inode (see hsm_ctl_inode) */
	HSM_CTL_MARKLOST,	/* payload: an inode and the object id */
};
#define HSM_CTL_OP_MAX		HSM_CTL_MARKLOST
#define HSM_CTL_INODE_LEN	(8 + 4 + HSM_OID_LEN)
#define HSM_CTL_REQ_HDR		16
#define HSM_CTL_RESP_HDR	32
#define HSM_CTL_MAX_PAYLOAD	8192

struct hsm_ctl_msg {
	uint16_t	op;
	uint32_t	flags;
	int32_t		error;		/* responses: 0 or -errno */
	uint32_t	outcome;
	uint64_t	bytes;
	uint32_t	len;
	char		payload[HSM_CTL_MAX_PAYLOAD + 1];	/* NUL added */
};

/* Encode into @buf (header + payload); returns the length or -EINVAL. */
int hsm_ctl_encode(const struct hsm_ctl_msg *m, bool response, void *buf,
		   size_t size);
/* Check and decode a header: 0 or -EBADMSG; m->len says what follows. */
int hsm_ctl_decode_hdr(const void *buf, size_t len, bool response,
		       struct hsm_ctl_msg *m);
/* Read or write one whole message on a socket. */
int hsm_ctl_recv(int fd, bool response, struct hsm_ctl_msg *m);
int hsm_ctl_send(int fd, const struct hsm_ctl_msg *m, bool response);
/* One request and its response on the daemon connection of @fs. */
int hsm_ctl_call(struct hsm_fs *fs, struct hsm_ctl_msg *m);
/* The stats as a response payload (at least 8 + 8 * 18 bytes). */
size_t hsm_stats_pack(const struct hsm_server_stats *st, void *buf);
/* An inode in a request payload: le64 ino, le32 gen, object id. */
void hsm_ctl_inode_encode(uint64_t ino, uint32_t gen, const uint8_t *oid,
			  void *buf);
int hsm_ctl_inode_decode(const void *buf, size_t len, uint64_t *ino,
			 uint32_t *gen, uint8_t *oid);
/* Forward an operation on inode @ino to the daemon: 0 or -errno, with
 * the response's outcome and bytes. */
int hsm_ctl_forward_ino(struct hsm_fs *fs, unsigned op, uint64_t ino,
			uint32_t gen, const uint8_t *oid, uint32_t *outcome,
			uint64_t *bytes);
/* Forward an operation on @path to the daemon; fills @res and errdetail. */
int hsm_ctl_forward(struct hsm_fs *fs, unsigned op, const char *path,
		    unsigned flags, struct hsm_result *res);

/* ---- binding: trusted.hsm.fs on the root directory ----------------- */

struct hsm_binding {
	uint32_t	store_id;
	char		spec[4096];	/* "posix:/dir" */
};
/* Parse the binding value (-EUCLEAN if malformed); format it, returning
 * its length or -EINVAL for a binding that could not be parsed back. */
int hsm_binding_parse(const char *buf, size_t len, struct hsm_binding *b);
int hsm_binding_format(const struct hsm_binding *b, char *buf, size_t size);

/* ---- one file, opened by handle (invisible IO) --------------------- */

struct hsm_fileref {
	struct hsm_fs	*fs;
	const char	*path;
	int		fd;		/* open_by_handle fd, or -1 */
	int		oflags;
	struct stat	st;		/* fstat at open */
	bool		has_rec;
	struct hsm_record rec;
	bool		leased;
	bool		excl_hooked;	/* excl_hooks->begin ran */
};

/*
 * Open @path by XFS handle with @oflags (O_RDONLY/O_RDWR), check it is a
 * regular file on @fs and read its record.  A bad record is an error
 * (-EUCLEAN/-EPROTONOSUPPORT) unless @tolerate_bad is set.
 */
int hsm_fileref_open(struct hsm_fs *fs, const char *path, int oflags,
		     bool tolerate_bad, struct hsm_fileref *f);
/* The same for inode @ino, generation @gen (f->path is NULL): for the
 * scanner and the daemon, which know inodes, not names. */
int hsm_fileref_open_ino(struct hsm_fs *fs, uint64_t ino, uint32_t gen,
			 int oflags, bool tolerate_bad, struct hsm_fileref *f);
/*
 * Delete store object @oid, which @f's record names, only if the object's
 * metadata says it was archived from this inode (number and generation) of
 * this filesystem.  A record copied or forged from another file names that
 * file's object: it is kept (DESIGN invariant 4), and --gc re-checks it
 * against the record of the inode it came from.
 * Return: 0 deleted, or kept as another file's; -ENOENT no committed object
 * (partial ones removed); -errno.
 */
int hsm_fileref_del_object(struct hsm_fileref *f,
			   const uint8_t oid[HSM_OID_LEN]);
/* A name of @f for messages and store metadata: its path, or what
 * /proc/self/fd says; "" if neither is known.  Returns @buf. */
const char *hsm_fileref_name(const struct hsm_fileref *f, char *buf,
			     size_t size);
void hsm_fileref_close(struct hsm_fileref *f);
/* Read and decode the trusted.hsm record of @fd: 0, 1 if there is none,
 * or -errno (-EUCLEAN: corrupt). */
int hsm_fd_read_record(int fd, struct hsm_record *rec);
/* Write f->rec durably (fsetxattr + fsync).  Stamps owner if pending. */
int hsm_fileref_commit(struct hsm_fileref *f);
/* Remove the record durably (pins and all). */
int hsm_fileref_clear(struct hsm_fileref *f);
/*
 * Take a lease of @type on @f (F_RDLCK: no writer; F_WRLCK: nobody else),
 * without blocking: -EBUSY when it conflicts.  hsm_fileref_close drops it.
 */
int hsm_fileref_lease(struct hsm_fileref *f, int type);
/* Re-read the file's stat into f->st. */
int hsm_fileref_restat(struct hsm_fileref *f);
/* True when size and mtime match the record (the archived identity). */
bool hsm_fileref_matches_record(const struct hsm_fileref *f);
/* True when the record's pending op belongs to a live process (another
 * thread of ours included). */
bool hsm_fileref_pending_alive(const struct hsm_fileref *f);
/*
 * After a failure that leaves the pending op in place (it can be finished
 * later), drop its owner so that the next operation on the file resumes it
 * instead of waiting for us.  Best effort.
 */
void hsm_fileref_abandon(struct hsm_fileref *f);
/*
 * Settle a pending op left by a dead process, as DESIGN prescribes:
 * MIGRATING is undone (partial object deleted), FORGETTING finished.
 * RELEASING and RECALLING are left to the callers that can finish them.
 * Returns 0 or -errno.
 */
int hsm_settle_stale(struct hsm_fileref *f);

/* ---- libhandle, under one lock (xfshandle.c) ------------------------- */

/* Filesystem handle of @mnt; caches the fs fd open_by_handle needs. */
int hsm_xfs_fshandle(const char *mnt, void **hp, size_t *lenp);
/* Handle of @path (free with free_handle). */
int hsm_xfs_handle(const char *path, void **hp, size_t *lenp);
/* Open by handle: invisible IO on XFS.  Returns the fd or -errno. */
int hsm_xfs_open_handle(void *h, size_t len, int oflags);
/* Open inode @ino of generation @gen by handle (-ESTALE if it is gone). */
int hsm_xfs_open_ino(struct hsm_fs *fs, uint64_t ino, uint32_t gen,
		     int oflags);

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

/* ---- stores ---------------------------------------------------------- */

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
	/* Start a new object; nothing is visible until commit.
	 * -EEXIST if @oid is already committed. */
	int (*put_begin)(struct hsm_store *s, const uint8_t *oid,
			 struct hsm_store_writer **wp);
	/* Write data at @off; offsets need not be contiguous (holes). */
	int (*put_write)(struct hsm_store_writer *w, const void *buf,
			 size_t len, uint64_t off);
	/* Make object and metadata durable and visible (fsync, rename,
	 * fsync dir).  Frees @w whatever the result; on error the
	 * partial object is removed. */
	int (*put_commit)(struct hsm_store_writer *w,
			  const struct hsm_objmeta *meta);
	/* Drop a partial object.  Frees @w. */
	void (*put_abort)(struct hsm_store_writer *w);
	/* Read exactly @len bytes at @off (short only past the end). */
	ssize_t (*get)(struct hsm_store *s, const uint8_t *oid, void *buf,
		       size_t len, uint64_t off);
	/* Read an object's metadata (caller calls hsm_objmeta_free). */
	int (*stat)(struct hsm_store *s, const uint8_t *oid,
		    struct hsm_objmeta *meta);
	/* Delete object, metadata and any partial upload durably;
	 * -ENOENT if no committed object was there. */
	int (*del)(struct hsm_store *s, const uint8_t *oid);
	/* Call @fn for each committed object id; stops on non-zero. */
	/* Hint that [off, off + len) of @oid will be read soon (may be
	 * NULL): the recall of one file by several workers reads it in
	 * strides no readahead guesses. */
	void (*prefetch)(struct hsm_store *s, const uint8_t *oid, uint64_t off,
			 uint64_t len);
	int (*list)(struct hsm_store *s,
		    int (*fn)(const uint8_t *oid, void *arg), void *arg);
};

struct hsm_store {
	const struct hsm_store_ops *ops;
};

extern const struct hsm_store_ops hsm_store_posix_ops;

/* Parse "kind:arg" and open.  -EINVAL without a colon,
 * -EPROTONOSUPPORT for an unknown kind. */
int hsm_store_open(const char *spec, const char *fs_uuid, bool create,
		   struct hsm_store **sp);
void hsm_store_close(struct hsm_store *s);
/* Fresh random object id. */
int hsm_oid_new(uint8_t oid[HSM_OID_LEN]);
/* hsm_oid_is_zero() and hsm_oid_hex() are public: hsm.h */
int hsm_oid_parse(const char *hex, uint8_t oid[HSM_OID_LEN]);
/* A posix store object's names under DIR/objects: "XX/<oid>" and, when
 * @meta is not NULL, "XX/<oid>.meta" (objpath.c). */
#define HSM_OBJ_DATA_NAME	40
#define HSM_OBJ_META_NAME	48
void hsm_posix_object_names(const uint8_t oid[HSM_OID_LEN],
			    char data[HSM_OBJ_DATA_NAME],
			    char meta[HSM_OBJ_META_NAME]);
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
/* Bytes of data chunk @c holds below @limit. */
uint64_t hsm_chunk_data_len(const struct hsm_objmeta *meta, uint64_t c,
			    uint64_t limit);

/* ---- internal operation steps --------------------------------------- */

/* Release @f (opened O_RDWR, WRLCK held).  @sealed_ctime, when not NULL,
 * is the ctime observed right after this process sealed the copy; if
 * the file still has it, the data is known unchanged without re-reading.
 */
int hsm_release_locked(struct hsm_fileref *f,
		       const struct timespec *sealed_ctime,
		       struct hsm_result *res);

/* Recall every chunk not yet resident (f opened O_RDWR, WRLCK held). */
int hsm_recall_locked(struct hsm_fileref *f, struct hsm_result *res);
/* Report progress of a long copy to the tool's callback. */
void hsm_fs_progress(struct hsm_fs *fs, uint64_t bytes);

/*
 * Crash here when LIBHSM_FAULT names @step (for crash tests, fault.c).
 * Steps: migrate-pending, migrate-copied, migrate-archived,
 * release-pending, release-punched, recall-pending, recall-chunk,
 * forget-pending, forget-deleted; in xfs_hsmd's recalls: srv-recalling
 * (RECALLING recorded), srv-written (a batch written, not synced),
 * srv-synced (data durable, map not saved), srv-mapped (map durable),
 * srv-finalize (map removed, RELEASED not yet cleared).
 */
void hsm_fault(struct hsm_fs *fs, const char *step);
/* Sleep at @step when LIBHSM_DELAY="<step>=<ms>" (slow-store tests). */
void hsm_fault_delay(const char *step);

/* Debug output behind LIBHSM_DEBUG=all. */
void hsm_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* ---- scanner support (bulkstat.c, status.c) ------------------------- */

/*
 * Set st->state and st->dirty from st->rec and the size and mtime already
 * in @st; @chunks(@arg) says whether trusted.hsm.map records a resident
 * chunk (1, 0 or -errno), asked only for released files.  Returns 0 or
 * the -errno of @chunks.
 */
int hsm_status_classify(struct hsm_status *st, int (*chunks)(void *arg),
			void *arg);

#endif /* LIBHSM_HSMP_H */
