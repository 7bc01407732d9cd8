/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * opsP.h - the operations on files, and the one engine that runs them.
 *
 * Every operation (migrate, release, recall, forget, pins, repair, mark
 * lost) is one entry of the table in optable.c: its phase functions.  The
 * batch engine (batch.c) runs a batch of files through the phases, with
 * the batch's durable steps between them (doc/design.md, "Batches"):
 *
 *   open      each file by handle (parallel); then, in the daemon, hold
 *             each inode, in inode order
 *   settle    a pending operation whose owner is gone (settle.c), once
 *   prepare   checks, leases, the pending record (parallel)
 *   [force]   if any prepare asked for it: its records durable
 *   work      data moves: copy, punch, recall, delete (parallel)
 *   [publish] store objects durable and visible, all together
 *   [data]    file data durable, all together (syncfs)
 *   seal      the records that rely on what is durable now (parallel)
 *   [force]   one log force for the batch
 *   done      what may happen only once that is durable; results
 *
 * Where the batch runs is decided once, in batch.c: here, or in the
 * daemon that serves the filesystem (the items go over the control
 * socket, and the daemon runs the same table).  Depends on fs/, store/
 * and ctl/.
 */
#ifndef LIBHSM_OPSP_H
#define LIBHSM_OPSP_H

#include <pthread.h>
#include "ctl/ctlP.h"

struct hsm_batch;
struct hsm_item;

/* What a phase function returns besides 0 (go on) and -errno (failed). */
#define HSM_ITEM_DONE	1	/* finished: no more phases */

struct hsm_opdesc {
	enum hsm_command code;
	const char	*name;		/* "migrate": messages, fault points */
	unsigned	flags;		/* HSM_OPD_* */
	int		oflags;		/* how the file is opened */
	/* each may be NULL; see the phases above */
	int	(*prepare)(struct hsm_batch *b, struct hsm_item *it);
	int	(*work)(struct hsm_batch *b, struct hsm_item *it);
	int	(*seal)(struct hsm_batch *b, struct hsm_item *it);
	void	(*done)(struct hsm_batch *b, struct hsm_item *it);
	/* the batch failed the item after its prepare (a publish, a sync, a
	 * force): put back what can be, with @error */
	void	(*undo)(struct hsm_batch *b, struct hsm_item *it, int error);
};

enum {
	HSM_OPD_INODES	= (1U << 0),	/* items are inodes, not paths */
	HSM_OPD_STORE	= (1U << 1),	/* needs the store */
	HSM_OPD_NOOPEN	= (1U << 2),	/* prepare opens the file itself */
	HSM_OPD_NOSETTLE = (1U << 3),	/* prepare settles pending ops */
};

/* One file of a batch. */
struct hsm_item {
	/* what was asked */
	char		*path;		/* NULL for an inode */
	uint64_t	ino;
	uint32_t	gen;
	uint8_t		oid[HSM_OID_LEN];	/* mark lost: the object judged */
	void		*cookie;
	uint64_t	size;		/* when added: the batch's byte bound */

	const struct hsm_opdesc *op;	/* what runs next: prepare may switch */
	struct hsm_fileref f;
	void		*hold;		/* the daemon's hold on the inode */
	bool		finished;
	bool		force_prepared;	/* prepare's record must be durable
					 * before work */
	bool		wrote_data;	/* file data for the batch's sync */
	bool		sealed;		/* a record of seal awaits the force */
	int		error;
	enum hsm_outcome outcome;
	uint64_t	bytes;
	unsigned	repair_action;	/* enum hsm_repair_action */
	unsigned	repair_op;	/* enum hsm_op that was pending */
	char		detail[256];

	/* migrate, copy: the writer of each copy slot being written */
	struct hsm_store_writer *w[HSM_COPIES_MAX];
	struct hsm_objmeta meta;
	struct hsm_record orig;
	bool		had_rec;
	struct stat	before;
	struct timespec	sealed_ctime;
	bool		have_sealed;
	bool		drop_old;
	/* copy */
	unsigned	slots;		/* the copy slots being written */
	bool		from_file;	/* the data from the file, not a copy */
	/* recall */
	struct hsm_recall *rc;
	struct hsm_range *ranges;	/* only these bytes (--range), or NULL */
	size_t		nranges;
	/* mark lost */
	bool		copy_only;	/* one copy flagged, others remain */
};

/* Runs in flight at once: with two, a run's small files still left a CPU
 * idle while the other waited on its syncs (bench-bulk, 4 KiB files). */
#define BATCH_RUNS	3

struct hsm_batch {
	struct hsm_fs	*fs;
	const struct hsm_opdesc *op;
	unsigned	flags;		/* the command's: HSM_MIGRATE_KEEP... */
	hsm_result_fn	fn;
	void		*arg;
	struct hsm_batch_limits limits;
	struct hsm_batch_stats stats;

	struct hsm_item	**items;
	size_t		nitems, alloc;
	uint64_t	bytes;		/* sizes of the files added */
	uint64_t	*iset;		/* their inodes, a hash set (batch.c) */
	size_t		iset_cap, iset_n;
	bool		iset_zero;	/* inode 0 is in it */
	int64_t		first_ns;	/* when the first was added */
	int		route_error;	/* the route could not be had */

	struct hsm_commit commit;
	struct hsm_store_set sets[64];	/* the helper threads' (batch.c) */
	pthread_mutex_t	lock;		/* progress and results (the batch's) */
	uint64_t	moved;		/* bytes moved: a run's items; the
					 * batch's: of its runs in flight */

	/*
	 * Runs: the files added so far are cut into a run, which runs on its
	 * own thread while the next is filled, BATCH_RUNS at most
	 * (batch.c).  A run is a struct hsm_batch too, so the phase
	 * functions see one kind.
	 */
	struct hsm_batch *parent;	/* a run: the batch it belongs to */
	/* the batch: its runs, kept for their store handles */
	struct hsm_batch *runs[BATCH_RUNS];
	uint64_t	seq;		/* a run: its place; the batch: the next */
	bool		inflight;	/* a run: started, results not delivered */
	bool		threaded;	/* a run: on its own thread (tid) */
	pthread_t	tid;
	int		run_error;	/* a run: its own error (route, store) */
	uint64_t	*inos;		/* a run: its inodes, sorted, for the */
	size_t		ninos;		/* caller's thread only */
	bool		drain;		/* the batch: a file added is in a run
					 * in flight: wait for the runs first */
};

/* The table (optable.c), and the descriptor of a command. */
const struct hsm_opdesc *hsm_opdesc(enum hsm_command code);
extern const struct hsm_opdesc hsm_op_migrate, hsm_op_release,
	hsm_op_recall, hsm_op_forget, hsm_op_pins, hsm_op_repair,
	hsm_op_marklost, hsm_op_upgrade, hsm_op_copy;

/* ---- the engine's services to the phase functions (batch.c) ---------- */

/* The store handles for the calling thread's work (a store handle serves
 * one thread at a time). */
struct hsm_store_set *hsm_batch_set(struct hsm_batch *b);
/* A new oid for @f's copy in store @store_id: the store may say in it
 * where a small object goes (hsm_store_new_oid). */
int hsm_batch_new_oid(struct hsm_batch *b, const struct hsm_fileref *f,
		      uint32_t store_id, uint8_t *oid);
/* Bytes moved for progress: any thread. */
void hsm_batch_progress(struct hsm_batch *b, uint64_t bytes);
/* Switch @it to @op and run its prepare (migrate of a released file is
 * its release).  Reopens the file if @op opens it otherwise. */
int hsm_item_switch(struct hsm_batch *b, struct hsm_item *it,
		    const struct hsm_opdesc *op);
/* Reopen the item's file with @oflags (its leases are dropped). */
int hsm_item_reopen(struct hsm_batch *b, struct hsm_item *it, int oflags);

/* ---- steps shared between operations ------------------------------- */

/*
 * Settle a pending op left by a dead process, as doc/design.md says:
 * MIGRATING is undone (partial object deleted), FORGETTING finished.
 * RELEASING and RECALLING are left to the callers that can finish them.
 * Returns 0 or -errno.
 */
int hsm_settle_stale(struct hsm_fileref *f);
/* The settle rule, once per file: 0 to go on, -EALREADY when the owner
 * still runs, or -errno. */
int hsm_settle_pending(struct hsm_fileref *f);

/* Release @f (opened O_RDWR, WRLCK held).  @sealed_ctime, when not NULL,
 * is the ctime observed right after this process sealed the copy; if
 * the file still has it, the data is known unchanged without re-reading,
 * and the copy slots in @fresh (a bit each), which that seal made
 * durable, need not be asked of their stores.
 */
int hsm_release_check(struct hsm_fileref *f,
		      const struct timespec *sealed_ctime, unsigned fresh,
		      struct hsm_result *res);
int hsm_release_punch(struct hsm_fileref *f, struct hsm_result *res);

void hsm_recall_free(struct hsm_recall *r);

/* ---- copies (migrate.c, copy.c) ------------------------------------- */

/* How many copies the command asks of @rec's file: HSM_MIGRATE_COPIES of
 * its flags, else one for a migrate and as many as the record names (at
 * least one) for a copy. */
unsigned hsm_copies_wanted(const struct hsm_batch *b,
			   const struct hsm_record *rec);
/* The first @n stores that take copies, in the binding's order: 0, or
 * -ENOSPC (fewer stores) / -EINVAL (more than a record holds). */
int hsm_pick_stores(struct hsm_fileref *f, unsigned n,
		    uint32_t ids[HSM_COPIES_MAX]);
/* Does @f's record lack one of @n good copies (durable, on a store not
 * draining), or name a copy that is not good? */
bool hsm_copies_missing(const struct hsm_fileref *f, unsigned n);
/* A writer for each copy slot in @slots (a bit each), into the object the
 * record names; then finish them all with it->meta under each copy's oid
 * (abort them all on @error or a failure): the finished ones go to it->w
 * for the publish. */
int hsm_begin_writers(struct hsm_fileref *f, unsigned slots,
		      struct hsm_store_writer *w[HSM_COPIES_MAX],
		      struct hsm_store *store[HSM_COPIES_MAX]);
int hsm_end_writers(struct hsm_item *it,
		    struct hsm_store_writer *w[HSM_COPIES_MAX],
		    struct hsm_store *store[HSM_COPIES_MAX], int error);
/* Copy the file's data into new objects for @slots (it->meta: the map,
 * sums and checksum of what was read): 0, -ESTALE on a write, -errno. */
int hsm_copy_from_file(struct hsm_batch *b, struct hsm_item *it,
		       unsigned slots);
/* Delete the objects of the WANTED copies of @f's record, now. */
void hsm_drop_wanted(struct hsm_fileref *f);
/* Release a file whose copy this batch just sealed (it->sealed_ctime). */
int hsm_release_sealed(struct hsm_batch *b, struct hsm_item *it);

/* Every byte written in @f is the store copy's, at its offset: 0, -ESTALE
 * (someone else's data), -ENOLINK (the store cannot say), -errno. */
int hsm_verify_written(struct hsm_fileref *f);

/* Run the batch here (the daemon runs forwarded batches this way). */
int hsm_batch_run_here(struct hsm_batch *b);
/* Run it in the daemon: the items over the control socket (remote.c). */
int hsm_batch_run_remote(struct hsm_batch *b);
/* Mark @it failed with @error, the thread's detail kept with it. */
void hsm_item_fail(struct hsm_item *it, int error);
/* Add an item decoded from the wire (the daemon). */
int hsm_batch_add_item(struct hsm_batch *b, const char *path, uint64_t ino,
		       uint32_t gen, const uint8_t *oid, void *cookie);

#endif /* LIBHSM_OPSP_H */
