/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * fsP.h - a managed filesystem and its files: the hsm_fs handle, the
 * store binding on its root, files opened by handle with their records,
 * bulkstat and status, crash points.  Depends on base/ and store/.
 */
#ifndef LIBHSM_FSP_H
#define LIBHSM_FSP_H

#include <pthread.h>
#include <stdatomic.h>
#include "base/base.h"
#include "store/store.h"

/* ---- filesystem ---------------------------------------------------- */

struct hsm_store;


/*
 * One thread's handles to the stores of a filesystem, by store id, opened
 * on first use (a store handle serves one thread at a time).
 */
struct hsm_store_set {
	uint32_t	id[HSM_STORES_MAX];
	struct hsm_store *h[HSM_STORES_MAX];
};

struct hsm_fs {
	char		*mnt;		/* mount point, canonical */
	int		mntfd;
	/* a directory of a detached clone of the mount whose IO our own
	 * fanotify group ignores (server only, see srv_group.c), or -1:
	 * opens by handle go through it */
	int		iofd;
	dev_t		dev;
	void		*fshandle;	/* libhandle's, for open_by_handle */
	size_t		fshandle_len;
	unsigned char	uuid[16];
	char		uuid_str[37];
	/* the binding: its stores, in copy order */
	struct hsm_binding *binding;	/* NULL: no store bound */
	struct hsm_binding **retired;	/* replaced ones, kept for readers
					 * in other threads until the end */
	size_t		nretired;
	struct hsm_store_set own;	/* the caller thread's handles */
	pthread_mutex_t	own_lock;	/* opening them */
	char		*store_spec;	/* the primary store's, or NULL */
	uint32_t	store_id;	/* the primary: the first not draining */
	bool		records_v2;	/* binding: no v1 record here */
	struct hsm_store *store;	/* the primary's handle, or NULL */
	uint8_t		boot_id[16];
	hsm_progress_fn	progress_fn;
	void		*progress_arg;
	/* the time of the release note last read or written here */
	_Atomic int64_t	release_noted;
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
	/* a batch holds each inode it works on, until it is done */
	void	*(*hold)(void *arg, uint64_t ino, uint32_t gen);
	void	(*unhold)(void *arg, void *h);
};

/*
 * Why the last operation failed, as hsm_fs_errdetail() tells it.  Kept
 * per thread: a batch runs files on several threads, each with its own.
 */
void hsm_fs_set_detail(struct hsm_fs *fs, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void hsm_fs_clear_detail(struct hsm_fs *fs);
/* Note on the root directory that a file is being released (before the
 * punch: xfs_hsm status MOUNT warns from it).  0 or -errno. */
int hsm_fs_note_release(struct hsm_fs *fs);
/* Read the XFS geometry UUID of an open fd.  -ENOTTY if not XFS. */
int hsm_xfs_uuid(int fd, unsigned char uuid[16]);
void hsm_uuid_unparse(const unsigned char uuid[16], char out[37]);
/* @path made absolute (the working directory before a relative one; no
 * symlink resolved): the daemon opens it, the store keeps it. */
int hsm_abs_path(const char *path, char *out, size_t size);

/* Who moves data: see ctl/client.c. */
#define HSM_RUNDIR	"/run/xfs-hsm"	/* <uuid>.lock, <uuid>.sock */

enum {
	HSM_ROUTE_UNKNOWN = 0,
	HSM_ROUTE_DIRECT,	/* no daemon: we hold the lock shared */
	HSM_ROUTE_DAEMON,	/* a daemon serves the fs: ask it */
	HSM_ROUTE_SERVER,	/* we are the daemon */
};

/* Decide the route once per handle: 0 or -errno (daemon not answering). */

/* ---- binding: trusted.hsm.fs on the root directory ----------------- */

#define HSM_SPEC_MAX	4096		/* a store spec, with its NUL */
struct hsm_binding_store {
	uint32_t	id;		/* what records call it */
	bool		draining;	/* takes no new copy */
	char		spec[HSM_SPEC_MAX];	/* "posix:/dir" */
};
struct hsm_binding {
	unsigned	nstores;	/* 1 to HSM_STORES_MAX */
	struct hsm_binding_store store[HSM_STORES_MAX];	/* copy order */
	bool		records_v2;	/* "records 2": no v1 record here */
	uint32_t	last_id;	/* "last_id N": the highest id a removed
					 * store had (ids are never reused) */
};
#define HSM_BINDING_MAX	(HSM_STORES_MAX * (HSM_SPEC_MAX + 32) + 64)
/* Parse the binding value (-EUCLEAN if malformed); format it, returning
 * its length or -EINVAL for a binding that could not be parsed back. */
int hsm_binding_parse(const char *buf, size_t len, struct hsm_binding *b);
int hsm_binding_format(const struct hsm_binding *b, char *buf, size_t size);
const struct hsm_binding_store *hsm_binding_find(const struct hsm_binding *b,
						 uint32_t id);
/* Write @b to the root directory, durably, and take it as fs's. */
int hsm_fs_write_binding(struct hsm_fs *fs, const struct hsm_binding *b);
/* The binding's index of store @id, or -1. */
int hsm_fs_store_index(const struct hsm_fs *fs, uint32_t id);
/* Read the binding again if it changed (xfs_hsm store add, drain, remove
 * by another process): 0 or -errno. */
int hsm_fs_reload_binding(struct hsm_fs *fs);
/* Does the binding on disk differ from fs's?  (A reload replaces
 * fs->binding; the one replaced stays readable until fs is closed.) */
bool hsm_fs_binding_changed(struct hsm_fs *fs);
/*
 * @set's handle to store @id, opened on first use (fs->own: the caller
 * thread's, under fs->own_lock).  NULL and *@errp: -ENOENT when no such
 * store is bound, or why it could not be opened (the detail says which).
 */
struct hsm_store *hsm_fs_store_get(struct hsm_fs *fs,
				   struct hsm_store_set *set, uint32_t id,
				   int *errp);
void hsm_store_set_close(struct hsm_store_set *set);
/* Close @set's handle to store @id, if any: the next use opens it again. */
void hsm_store_set_drop(struct hsm_store_set *set, uint32_t id);

/* ---- durability: the one place that makes steps durable (durable.c) -- */

enum hsm_dur {
	HSM_DUR_NOW,		/* durable before the call returns */
	HSM_DUR_ORDERED,	/* ordered by the XFS log: durable with
				 * whatever is logged after it */
	HSM_DUR_BATCH,		/* with the batch's log force */
};

/* A file whose records await the force: by fd, or by handle once closed
 * (fd HSM_COMMIT_CLOSED), or not at all: a later entry of the same fd
 * (HSM_COMMIT_LATER). */
struct hsm_commit_file {
	int		fd;
	uint64_t	ino;
	uint32_t	gen;
};
#define HSM_COMMIT_CLOSED	(-1)
#define HSM_COMMIT_LATER	(-2)

/* A batch's group commit. */
struct hsm_commit {
	struct hsm_fs	*fs;
	pthread_mutex_t	lock;		/* the list: phases run in threads */
	struct hsm_commit_file *fds;	/* files whose records await the force */
	size_t		nfds, alloc;
	size_t		*fdpos;		/* by fd: 1 + its entry in fds, or 0 */
	size_t		fdpos_len;
	bool		data;		/* file data written, not yet synced */
	_Atomic unsigned store_dirty;	/* stores with deletes not yet synced,
					 * a bit per binding index */
	unsigned	forces, syncs;	/* how many, for the stats */
};

void hsm_commit_init(struct hsm_commit *c, struct hsm_fs *fs);
void hsm_commit_release(struct hsm_commit *c);
/* @fd of inode @ino, generation @gen, is closing: the force opens the
 * file by handle instead. */
void hsm_commit_forget_fd(struct hsm_commit *c, int fd, uint64_t ino,
			  uint32_t gen);
/* Make every file's data written so far durable (syncfs), and the log. */
int hsm_commit_data(struct hsm_commit *c);
/* Force the log over every record of the batch. */
int hsm_commit_force(struct hsm_commit *c);

/* The steps; @c may be NULL for HSM_DUR_NOW and HSM_DUR_ORDERED. */
int hsm_dur_record(int fd, const struct hsm_record *rec, enum hsm_dur how,
		   struct hsm_commit *c);
int hsm_dur_record_remove(int fd, enum hsm_dur how, struct hsm_commit *c);
/* Save the resident map @m, or remove it (@m NULL). */
int hsm_dur_map(int fd, const struct hsm_chunkmap *m, enum hsm_dur how,
		struct hsm_commit *c);
/* The data written to @fd. */
int hsm_dur_data(int fd, enum hsm_dur how, struct hsm_commit *c);
/* Set (or remove, @value NULL) an xattr of the root directory, durably. */
int hsm_dur_fs_note(struct hsm_fs *fs, const char *name, const void *value,
		    size_t len);
/* Publish finished store objects (the store's own sync; store.h). */
int hsm_dur_objects(struct hsm_store *store, struct hsm_store_writer **w,
		    size_t n, int *errors);
/* Make the store's deletes durable. */
int hsm_dur_store_sync(struct hsm_store *store);

/* ---- the copies of a file (copies.c) -------------------------------- */

/* The slots of @rec's readable (DURABLE) copies, in order: how many. */
unsigned hsm_copies_readable(const struct hsm_record *rec,
			     unsigned idx[HSM_COPIES_MAX]);
/*
 * Read the metadata of the first readable copy, from the @from-th on, that
 * has the record's checksum; *@from says which one it was.  -ENOLINK when
 * every copy is gone or corrupt; any other error when one could not be
 * asked (it may still be good).  Handles come from @set.
 */
int hsm_copies_stat(struct hsm_fs *fs, struct hsm_store_set *set,
		    const struct hsm_record *rec, struct hsm_objmeta *meta,
		    unsigned *from);
/* hsm_chunk_fetch from the @from-th readable copy on, falling back to the
 * next on any error; errors as hsm_copies_stat. */
int hsm_copies_fetch(struct hsm_fs *fs, struct hsm_store_set *set,
		     const struct hsm_record *rec,
		     const struct hsm_objmeta *meta, uint64_t c, void *buf,
		     size_t *hint, unsigned *from);
void hsm_copies_prefetch(struct hsm_fs *fs, struct hsm_store_set *set,
			 const struct hsm_record *rec, unsigned from,
			 uint64_t off, uint64_t len);

/* ---- one file, opened by handle (invisible IO) --------------------- */

struct hsm_fileref {
	struct hsm_fs	*fs;
	struct hsm_store_set *set;	/* this thread's store handles:
					 * fs->own by default */
	struct hsm_commit *commit;	/* the batch's, or NULL: durable now */
	const char	*path;
	int		fd;		/* open_by_handle fd, or -1 */
	uint32_t	gen;		/* the inode's generation */
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
int hsm_fileref_del_object(struct hsm_fileref *f, uint32_t store_id,
			   const uint8_t oid[HSM_OID_LEN]);
/* hsm_fileref_del_object for every copy the record names: 0 or the first
 * error (-ENOENT is none). */
int hsm_fileref_del_copies(struct hsm_fileref *f);
/* @f's handle to store @id (hsm_fs_store_get on its set). */
struct hsm_store *hsm_fileref_store(struct hsm_fileref *f, uint32_t id,
				    int *errp);
/* A name of @f for messages and store metadata: its path, or what
 * /proc/self/fd says; "" if neither is known.  Returns @buf. */
const char *hsm_fileref_name(const struct hsm_fileref *f, char *buf,
			     size_t size);
void hsm_fileref_close(struct hsm_fileref *f);
/* Read and decode the trusted.hsm record of @fd: 0, 1 if there is none,
 * or -errno (-EUCLEAN: corrupt). */
int hsm_fd_read_record(int fd, struct hsm_record *rec);
/* Write f->rec, durable as @how says (durable.c; HSM_DUR_BATCH with the
 * batch of f->commit).  Stamps the owner if an op is pending. */
int hsm_fileref_commit(struct hsm_fileref *f, enum hsm_dur how);
/* Remove the record (pins and all), durable as @how says. */
int hsm_fileref_clear(struct hsm_fileref *f, enum hsm_dur how);
/*
 * Take a lease of @type on @f (F_RDLCK: no writer; F_WRLCK: nobody else),
 * without blocking: -EBUSY when it conflicts.  hsm_fileref_close drops it.
 */
int hsm_fileref_lease(struct hsm_fileref *f, int type);
/* Give the lease back before the close: a writer waiting on it goes on. */
void hsm_fileref_unlease(struct hsm_fileref *f);
/*
 * F_WRLCK before a record's read-modify-write outside an operation (mark
 * lost, upgrade): no operation of ours has the file open, so the record
 * read again here is the one rewritten, and a running migrate's record
 * cannot be undone.  -EBUSY says "file is in use, not @verb".
 */
int hsm_fileref_lease_record(struct hsm_fileref *f, const char *verb);
/* Read the file's stat and record again (another process, or thread,
 * may have changed them).  0 or -errno. */
int hsm_fileref_reread(struct hsm_fileref *f);
/* Re-read the file's stat into f->st. */
int hsm_fileref_restat(struct hsm_fileref *f);
/* True when size and mtime match the record (the archived identity). */
bool hsm_fileref_matches_record(const struct hsm_fileref *f);
/* True when the record's pending op belongs to a live process (another
 * thread of ours included; not a zombie, not a reused pid: owner.c). */
bool hsm_fileref_pending_alive(const struct hsm_fileref *f);
bool hsm_owner_alive(const struct hsm_fs *fs, const struct hsm_record *r);
/* getpid, cached (and set again in a forked child). */
pid_t hsm_owner_pid(void);
/*
 * After a failure that leaves the pending op in place (it can be finished
 * later), drop its owner so that the next operation on the file resumes it
 * instead of waiting for us.  Best effort.
 */
void hsm_fileref_abandon(struct hsm_fileref *f);

/* ---- XFS handles (xfshandle.c) --------------------------------------- */

struct xfs_handle;

/* Filesystem handle of @mnt (libhandle's, under its lock). */
int hsm_xfs_fshandle(const char *mnt, void **hp, size_t *lenp);
/* The handle of @path (not followed if a symlink) without opening it:
 * 0, -EXDEV if it is on another filesystem than @fs, or -errno. */
int hsm_xfs_path_handle(struct hsm_fs *fs, const char *path,
			struct xfs_handle *h);
/* Open by handle: invisible IO on XFS, through fs->iofd if set.
 * Returns the fd or -errno. */
int hsm_xfs_open_handle(struct hsm_fs *fs, void *h, size_t len, int oflags);
/* Open inode @ino of generation @gen by handle (-ESTALE if it is gone). */
int hsm_xfs_open_ino(struct hsm_fs *fs, uint64_t ino, uint32_t gen,
		     int oflags);

/* Report progress of a long copy to the tool's callback. */
void hsm_fs_progress(struct hsm_fs *fs, uint64_t bytes);
/*
 * Crash here when LIBHSM_FAULT names @step (for crash tests, fault.c).
 * Steps: migrate-pending, migrate-copied, migrate-archived,
 * release-pending, release-punched, recall-pending, recall-chunk,
 * recall-sealed (a whole recall's record written, not forced),
 * recall-range-mapped (a range recall's map durable, RECALLING kept),
 * forget-pending, forget-deleted, upgrade-written (a v1 record rewritten,
 * not forced), upgrade-mark (before "records 2" is written to the
 * binding); in xfs_hsmd's recalls: srv-recalling
 * (RECALLING recorded), srv-written (a batch written, not synced),
 * srv-synced (data durable, map not saved), srv-mapped (map durable),
 * srv-finalize (map removed, RELEASED not yet cleared); in the change
 * journal's writer: journal-written (a flush written, not synced),
 * journal-flushed (synced), journal-pruning (the pruned copy
 * durable, not renamed), journal-pruned (renamed over the journal, its
 * directory not synced); in gc: orphan-removed (an orphan deleted from
 * its store); at a batch's barriers (ops/batch.c): batch-settled (the
 * deletes of settled records durable, the records not), batch-prepared,
 * batch-published, batch-synced, batch-forced.  The store modules'
 * steps (agg-*, s3agg-*, repack-*) only kill: hsm_fault_kill.
 */
void hsm_fault(struct hsm_fs *fs, const char *step);

/* ---- scanner support (bulkstat.c, status.c) ------------------------- */

/*
 * Set st->state and st->dirty from st->rec and the size and mtime already
 * in @st; @chunks(@arg) says whether trusted.hsm.map records a resident
 * chunk (1, 0 or -errno), asked only for released files.  Returns 0 or
 * the -errno of @chunks.
 */
int hsm_status_classify(struct hsm_status *st, int (*chunks)(void *arg),
			void *arg);


#endif /* LIBHSM_FSP_H */
