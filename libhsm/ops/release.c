// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * release.c - punch out the data of an archived, unchanged file.
 *
 * DESIGN invariant 1: data is punched only when a verified durable copy
 * exists and the file has not changed since.  "Unchanged" is decided from
 * what the filesystem records, never from events: size and mtime must
 * match the record, and then either
 *  - the ctime is the one this process saw right after sealing the copy
 *    (any write, truncate, fallocate or utimes since would have moved it),
 *  - or the data is re-read and its checksum compared with the record's:
 *    our own record writes move ctime too, so a later release cannot use
 *    ctime alone, and a write followed by `touch -d` back to the old mtime
 *    leaves size and mtime equal.
 * All of it runs under an F_WRLCK lease: no one else has the file open.
 *
 * In a batch: prepare takes the lease and checks (re-reading the data of a
 * dual-state file); work records RELEASING (ordered: logged before the
 * punch, so no punch survives a crash without it), punches, and records
 * RELEASED; the batch's force makes the RELEASED records durable.  The
 * copy was durable before any of it (DESIGN invariant 1): its ARCHIVED
 * record is, or is logged before, RELEASING.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/falloc.h>
#include "ops/opsP.h"


/* Mark the file DIRTY (its copy no longer matches) and say why. */
static int
mark_dirty(
	struct hsm_fileref	*f)
{
	int			error;

	f->rec.flags |= HSM_F_DIRTY;
	error = hsm_fileref_commit(f, HSM_DUR_BATCH);
	hsm_fs_set_detail(f->fs, "file changed since it was archived");
	return error ? error : -ESTALE;
}

static int
mark_lost(
	struct hsm_fileref	*f)
{
	hsm_record_mark_lost(&f->rec);
	hsm_fileref_commit(f, HSM_DUR_BATCH);
	hsm_fs_set_detail(f->fs, "store copy missing or corrupt");
	return -ENOLINK;
}

/* Is the file's data still the archived copy?  0, -ESTALE, or -errno. */
static int
verify_unchanged(
	struct hsm_fileref	*f,
	const struct timespec	*sealed)
{
	struct hsm_chunkmap	map;
	struct hsm_datamap	dmap;
	uint64_t		sum;
	int			error;

	if (!hsm_fileref_matches_record(f))
		return -ESTALE;
	if (sealed && f->st.st_ctim.tv_sec == sealed->tv_sec &&
	    f->st.st_ctim.tv_nsec == sealed->tv_nsec)
		return 0;
	if (!(f->rec.flags & HSM_F_RELEASED) &&
	    f->rec.pending != HSM_OP_RECALLING) {
		error = hsm_datamap_read_written(f->fd, f->rec.size, &dmap);
		if (error)
			return error;
		error = hsm_csum_fd(f->fd, &dmap, &sum);
		hsm_datamap_free(&dmap);
		if (error)
			return error;
		return sum == f->rec.checksum ? 0 : -ESTALE;
	}
	/* partly recalled: what is in the file must be the store copy's
	 * (ops/verify.c); the map's shift must be one a map can have */
	error = hsm_chunkmap_init(&map, f->rec.size, f->rec.chunk_shift ?
			f->rec.chunk_shift : hsm_chunk_shift_for(f->rec.size));
	if (error == -EINVAL)
		return -EUCLEAN;	/* a shift no map has: forged record */
	if (error)
		return error;
	hsm_chunkmap_free(&map);
	return hsm_verify_written(f);
}

/*
 * Check each store still holds the copy the record names, and that every
 * copy wanted is there: a file is released only once all are durable.  A
 * copy found gone or wrong is flagged lost (the file too, if it was the
 * last), for xfs_hsmscan --repair to make again.  The copies in @fresh
 * (a bit per slot) were made durable by this process's batch a moment
 * ago, from the data the file still has: the store need not be asked.
 */
static int
check_store_copies(
	struct hsm_fileref	*f,
	unsigned		fresh)
{
	struct hsm_store	*store;
	struct hsm_objmeta	meta;
	unsigned		k, lost = 0, durable = 0;
	int			error;

	for (k = 0; k < HSM_COPIES_MAX; k++) {
		struct hsm_copy *cp = &f->rec.copy[k];

		if (cp->state == HSM_COPY_NONE)
			continue;
		if (cp->state != HSM_COPY_DURABLE) {
			hsm_fs_set_detail(f->fs, "copy %u (store %u) is %s: "
					"xfs_hsmscan --repair makes it", k + 1,
					cp->store_id,
					cp->state == HSM_COPY_LOST ? "lost" :
					"not made yet");
			return cp->state == HSM_COPY_LOST ? -ENOLINK : -EAGAIN;
		}
		if (fresh & (1U << k)) {
			durable++;
			continue;
		}
		store = hsm_fileref_store(f, cp->store_id, &error);
		if (!store)
			return error;
		memset(&meta, 0, sizeof(meta));
		error = store->ops->stat(store, cp->oid, &meta);
		if (!error && (meta.size != f->rec.size ||
			       meta.checksum != f->rec.checksum))
			error = -ENOLINK;
		hsm_objmeta_free(&meta);
		if (error == -ENOENT || error == -EUCLEAN || error == -ENOLINK) {
			cp->state = HSM_COPY_LOST;
			lost++;
			continue;
		}
		if (error)
			return error;
		durable++;
	}
	if (!lost)
		return 0;
	if (!durable)
		return mark_lost(f);
	hsm_fileref_commit(f, HSM_DUR_BATCH);
	hsm_fs_set_detail(f->fs, "%u of the store copies missing or corrupt "
			"(now flagged lost): xfs_hsmscan --repair makes them "
			"again", lost);
	return -ENOLINK;
}

/* Punch [0, len) (under xfs_hsmd, the lease hooks keep it silent). */
static int
punch(
	struct hsm_fileref	*f,
	uint64_t		len)
{
	if (len && fallocate(f->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
			     0, len) < 0)
		return -errno;
	return 0;
}

/* Punch everything and record RELEASED.  The copy was verified before. */
int
hsm_release_punch(
	struct hsm_fileref	*f,
	struct hsm_result	*res)
{
	uint64_t		freed = (uint64_t)f->st.st_blocks * 512;
	uint64_t		bs = f->st.st_blksize ? f->st.st_blksize : 4096;
	/* a punch ending mid-block zeroes that block but keeps it */
	uint64_t		len = (f->rec.size + bs - 1) / bs * bs;
	uint64_t		end;
	int			error;

	if (!hsm_lease_intact(f->fd, F_WRLCK)) {
		hsm_fs_set_detail(f->fs, "file is in use "
				"(release needs exclusive access)");
		return -EBUSY;
	}
	/* blocks preallocated past EOF (fallocate -n) hold no data: free
	 * them too, or a released file would still use space */
	error = hsm_extents_end(f->fd, &end);
	if (error)
		return error;
	if (end > len)
		len = end;
	error = hsm_fs_note_release(f->fs);
	if (error)
		return error;
	f->rec.pending = HSM_OP_RELEASING;
	error = hsm_fileref_commit(f, HSM_DUR_ORDERED);
	if (error)
		return error;
	hsm_fault(f->fs, "release-pending");
	error = punch(f, len);
	if (!error) {
		/*
		 * No flush here: the punch is a journaled metadata change,
		 * logged after RELEASING, and the batch's force makes
		 * RELEASED durable.  Until then RELEASING says what to finish.
		 */
		hsm_fault(f->fs, "release-punched");
		error = hsm_dur_map(f->fd, NULL, HSM_DUR_ORDERED, NULL);
	}
	if (error) {
		hsm_fileref_abandon(f);
		return error;
	}
	f->rec.flags |= HSM_F_RELEASED;
	f->rec.pending = HSM_OP_NONE;
	f->rec.chunk_shift = 0;
	error = hsm_fileref_commit(f, HSM_DUR_BATCH);
	if (error) {
		hsm_fileref_abandon(f);
		return error;
	}
	res->outcome = HSM_DONE;
	res->bytes = freed;
	return 0;
}

int
hsm_release_check(
	struct hsm_fileref	*f,
	const struct timespec	*sealed,
	unsigned		fresh,
	struct hsm_result	*res)
{
	bool			resumed = f->rec.pending == HSM_OP_RELEASING;
	int			error;

	memset(res, 0, sizeof(*res));
	if (!f->has_rec || !(f->rec.flags & HSM_F_ARCHIVED)) {
		hsm_fs_set_detail(f->fs, "not archived");
		return -ENODATA;
	}
	if (f->rec.flags & HSM_F_NORELEASE) {
		hsm_fs_set_detail(f->fs, "pinned with --norelease");
		return -EPERM;
	}
	if (f->rec.flags & HSM_F_LOST) {
		hsm_fs_set_detail(f->fs, "store copy missing or corrupt");
		return -ENOLINK;
	}
	if (f->rec.flags & HSM_F_DIRTY) {
		hsm_fs_set_detail(f->fs, "file changed since it was archived");
		return -ESTALE;
	}
	if ((f->rec.flags & HSM_F_RELEASED) && !resumed &&
	    f->rec.pending != HSM_OP_RECALLING && f->st.st_blocks == 0) {
		res->outcome = HSM_NOOP;
		return HSM_ITEM_DONE;
	}
	if (resumed) {
		/* verified before RELEASING was written; the punch may be
		 * half done, so only the identity can be checked now */
		if (!hsm_fileref_matches_record(f))
			return mark_dirty(f);
	} else {
		error = verify_unchanged(f, sealed);
		if (error == -ESTALE)
			return mark_dirty(f);
		if (error == -ENOLINK)
			return mark_lost(f);
		if (error)
			return error;
	}
	return check_store_copies(f, sealed ? fresh : 0);
}

static int
release_prepare(
	struct hsm_batch	*b,
	struct hsm_item		*it)
{
	struct hsm_fileref	*f = &it->f;
	struct hsm_result	res;
	int			error;

	(void)b;
	if (f->st.st_size == 0 && !(f->has_rec &&
				    (f->rec.flags & HSM_F_ARCHIVED))) {
		it->outcome = HSM_NOOP;
		return HSM_ITEM_DONE;
	}
	error = hsm_fileref_lease(f, F_WRLCK);
	if (error) {
		if (error == -EBUSY)
			hsm_fs_set_detail(f->fs, "file is in use "
					"(release needs exclusive access)");
		return error;
	}
	error = hsm_fileref_restat(f);
	if (!error)
		error = hsm_release_check(f, NULL, 0, &res);
	if (error == HSM_ITEM_DONE)
		it->outcome = res.outcome;
	return error;
}

static int
release_work(
	struct hsm_batch	*b,
	struct hsm_item		*it)
{
	struct hsm_result	res;
	int			error;

	(void)b;
	error = hsm_release_punch(&it->f, &res);
	if (error)
		return error;
	it->outcome = res.outcome;
	it->bytes = res.bytes;
	it->sealed = true;
	return 0;
}

const struct hsm_opdesc hsm_op_release = {
	.code		= HSM_CMD_RELEASE,
	.name		= "release",
	.flags		= HSM_OPD_STORE,
	.oflags		= O_RDWR,
	.prepare	= release_prepare,
	.work		= release_work,
};
