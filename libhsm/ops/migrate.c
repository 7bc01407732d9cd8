// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * migrate.c - archive a file to the store, then (unless kept) release it.
 *
 * Durable steps (DESIGN "Operations"):
 *  1. F_RDLCK lease on an invisible-IO fd: refused while a writer has the
 *     file open, broken by any later write open or truncate.
 *  2. record MIGRATING naming the new object (so a crash can undo it).
 *  3. copy the data segments, hashing them; the store fsyncs object,
 *     metadata and directory in put_commit.
 *  4. if the lease is intact and size/mtime/ctime are unchanged, record
 *     ARCHIVED with the identity and checksum of the copy.
 *  5. release, knowing the ctime our own seal left: if the file still has
 *     it, nothing changed in between (any change would move ctime).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <linux/fs.h>
#include "ops/opsP.h"

#define COPY_BUF	(1U << 20)

struct copy_state {
	struct hsm_fileref	*f;
	struct hsm_store_writer	*w;
	struct hsm_objmeta	*meta;
	struct hsm_csum		*file_sum;
	struct hsm_csum		*chunk_sum;	/* of chunk cur_chunk */
	uint64_t		cur_chunk;
	uint64_t		moved;
	char			*buf;
};

/* Close the running chunk checksum into the metadata. */
static int
finish_chunk(
	struct copy_state	*cs)
{
	int			error;

	if (!cs->chunk_sum)
		return 0;
	error = hsm_objmeta_add_sum(cs->meta, cs->cur_chunk,
			hsm_csum_final(cs->chunk_sum));
	cs->chunk_sum = NULL;
	return error;
}

/* Copy [off, off + len) of one chunk, feeding both checksums. */
static int
copy_piece(
	struct copy_state	*cs,
	uint64_t		off,
	uint64_t		len)
{
	int			error;

	hsm_csum_segment(cs->chunk_sum, off, len);
	while (len) {
		size_t want = len < COPY_BUF ? len : COPY_BUF;
		ssize_t n = pread(cs->f->fd, cs->buf, want, off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -ESTALE;	/* shrank */
		hsm_csum_update(cs->chunk_sum, cs->buf, n);
		hsm_csum_update(cs->file_sum, cs->buf, n);
		error = cs->f->fs->store->ops->put_write(cs->w, cs->buf, n, off);
		if (error)
			return error;
		off += n;
		len -= n;
		cs->moved += n;
		hsm_fs_progress(cs->f->fs, cs->moved);
	}
	return 0;
}

/*
 * Copy one data segment.  Each chunk's sum covers its own pieces (extent
 * clipped to the chunk: offset, length, bytes), so recall can verify a
 * chunk alone before writing it back.
 */
static int
copy_segment(
	struct copy_state	*cs,
	uint64_t		off,
	uint64_t		len)
{
	unsigned		shift = cs->meta->chunk_shift;
	int			error;

	hsm_csum_segment(cs->file_sum, off, len);
	while (len) {
		uint64_t chunk = off >> shift;
		uint64_t piece = ((chunk + 1) << shift) - off;

		if (piece > len)
			piece = len;
		if (!cs->chunk_sum || chunk != cs->cur_chunk) {
			error = finish_chunk(cs);
			if (error)
				return error;
			cs->chunk_sum = hsm_csum_new();
			if (!cs->chunk_sum)
				return -ENOMEM;
			cs->cur_chunk = chunk;
		}
		error = copy_piece(cs, off, piece);
		if (error)
			return error;
		off += piece;
		len -= piece;
	}
	return 0;
}

/* Fill the disaster-recovery metadata the store keeps with the object. */
static void
fill_meta(
	struct hsm_fileref	*f,
	struct hsm_objmeta	*meta)
{
	char			*real;
	int			gen = 0;

	memcpy(meta->oid, f->rec.oid, HSM_OID_LEN);
	strcpy(meta->fs_uuid, f->fs->uuid_str);
	meta->ino = f->st.st_ino;
	if (ioctl(f->fd, FS_IOC_GETVERSION, &gen) == 0)
		meta->gen = gen;
	meta->size = f->st.st_size;
	meta->mtime_sec = f->st.st_mtim.tv_sec;
	meta->mtime_nsec = f->st.st_mtim.tv_nsec;
	if (f->path) {
		real = realpath(f->path, NULL);
		snprintf(meta->path, sizeof(meta->path), "%s",
			 real ? real : f->path);
		free(real);
	} else {
		hsm_fileref_name(f, meta->path, sizeof(meta->path));
	}
}

static bool
same_time(
	const struct timespec	*a,
	const struct timespec	*b)
{
	return a->tv_sec == b->tv_sec && a->tv_nsec == b->tv_nsec;
}

/* Copy the file to object f->rec.oid.  Fills @meta; returns 0 or -errno. */
static int
copy_to_store(
	struct hsm_fileref	*f,
	struct hsm_objmeta	*meta)
{
	struct hsm_store	*store = f->fs->store;
	struct copy_state	cs = { .f = f, .meta = meta };
	struct hsm_datamap	map;
	size_t			i;
	int			error;

	fill_meta(f, meta);
	meta->chunk_shift = hsm_chunk_shift_for(meta->size);
	/*
	 * Written extents only: an unwritten (preallocated) extent reads as
	 * zeros and is no data, but SEEK_DATA calls it data as soon as the
	 * page cache holds a page of it, which readahead does.
	 */
	error = hsm_datamap_read_written(f->fd, meta->size, &map);
	if (error)
		return error;
	/* one pass front to back: ask for the larger readahead */
	posix_fadvise(f->fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	cs.buf = malloc(COPY_BUF);
	cs.file_sum = hsm_csum_new();
	if (!cs.buf || !cs.file_sum) {
		error = -ENOMEM;
		goto out_free;
	}
	error = store->ops->put_begin(store, f->rec.oid, &cs.w);
	if (error)
		goto out_free;
	for (i = 0; i < map.nr && !error; i++)
		error = copy_segment(&cs, map.ext[i].off, map.ext[i].len);
	if (!error)
		error = finish_chunk(&cs);
	meta->checksum = hsm_csum_final(cs.file_sum);
	cs.file_sum = NULL;
	meta->map = map;
	map.ext = NULL;
	map.nr = map.alloc = 0;
	if (error) {
		store->ops->put_abort(cs.w);
		goto out_free;
	}
	/* The copy counts only if no write could have run during it. */
	if (!hsm_lease_intact(f->fd, F_RDLCK)) {
		error = -ESTALE;
		store->ops->put_abort(cs.w);
		goto out_free;
	}
	error = store->ops->put_commit(cs.w, meta);
out_free:
	if (cs.chunk_sum)
		hsm_csum_final(cs.chunk_sum);
	if (cs.file_sum)
		hsm_csum_final(cs.file_sum);
	hsm_datamap_free(&map);
	free(cs.buf);
	return error;
}

/* Put the record back as it was before MIGRATING, after a failed copy. */
static void
undo_migrating(
	struct hsm_fileref	*f,
	const struct hsm_record	*orig,
	bool			had_rec)
{
	if (!had_rec) {
		hsm_fileref_clear(f);
		return;
	}
	f->rec = *orig;
	hsm_fileref_commit(f);
}

/* Archive an open, RDLCK-leased file.  On success @sealed is our ctime. */
static int
archive_leased(
	struct hsm_fileref	*f,
	struct hsm_result	*res,
	struct timespec		*sealed)
{
	struct hsm_store	*store = f->fs->store;
	struct hsm_objmeta	meta;
	struct hsm_record	orig = f->rec;
	struct stat		before = f->st;
	bool			had_rec = f->has_rec;
	uint8_t			old_oid[HSM_OID_LEN];
	bool			drop_old = false;
	int			error;

	memset(&meta, 0, sizeof(meta));
	if (f->has_rec && !hsm_oid_is_zero(f->rec.oid)) {
		memcpy(old_oid, f->rec.oid, HSM_OID_LEN);
		drop_old = true;	/* the stale copy of a changed file */
	}
	/* step 2: pending record first (the old copy is unnamed from here) */
	f->rec.flags &= HSM_F_ADMIN;
	f->rec.pending = HSM_OP_MIGRATING;
	f->rec.store_id = f->fs->store_id;
	f->rec.chunk_shift = 0;
	error = hsm_oid_new(f->rec.oid);
	if (error)
		return error;
	error = hsm_fileref_commit(f);
	if (!error)
		error = hsm_fileref_restat(f);
	if (error)
		goto out_undo;
	/* our own record write moved ctime: compare against what follows it */
	before = f->st;
	hsm_fault(f->fs, "migrate-pending");

	/* step 3: copy, durable in the store */
	error = copy_to_store(f, &meta);
	if (error) {
		if (error == -ESTALE)
			hsm_fs_set_detail(f->fs, "file changed during the copy");
		goto out_undo;
	}

	hsm_fault(f->fs, "migrate-copied");
	/* step 4: seal, only if nothing changed while we copied */
	error = hsm_fileref_restat(f);
	if (!error && (!hsm_lease_intact(f->fd, F_RDLCK) ||
		       f->st.st_size != before.st_size ||
		       !same_time(&f->st.st_mtim, &before.st_mtim) ||
		       !same_time(&f->st.st_ctim, &before.st_ctim))) {
		hsm_fs_set_detail(f->fs, "file changed during the copy");
		error = -ESTALE;
	}
	if (error)
		goto out_delete;
	f->rec.flags |= HSM_F_ARCHIVED;
	f->rec.pending = HSM_OP_NONE;
	f->rec.size = before.st_size;
	f->rec.mtime_sec = before.st_mtim.tv_sec;
	f->rec.mtime_nsec = before.st_mtim.tv_nsec;
	f->rec.checksum = meta.checksum;
	f->rec.copy_version++;
	error = hsm_fileref_commit(f);
	if (error)
		goto out_delete;
	error = hsm_fileref_restat(f);
	if (error)
		goto out_meta;
	*sealed = f->st.st_ctim;
	res->bytes = hsm_datamap_bytes(&meta.map);
	hsm_fault(f->fs, "migrate-archived");

	/* DESIGN invariant 4: the old object is named by no record now */
	if (drop_old)
		hsm_fileref_del_object(f, old_oid);
	goto out_meta;

out_delete:
	store->ops->del(store, f->rec.oid);
out_undo:
	undo_migrating(f, &orig, had_rec);
out_meta:
	hsm_objmeta_free(&meta);
	return error;
}

/* Common checks on a pending op; 0 to go on. */
static int
check_pending(
	struct hsm_fileref	*f)
{
	int			error;

	if (!f->has_rec || f->rec.pending == HSM_OP_NONE)
		return 0;
	if (hsm_fileref_pending_alive(f)) {
		hsm_fs_set_detail(f->fs, "%s in progress by pid %u",
				hsm_op_name(f->rec.pending), f->rec.owner_pid);
		return -EALREADY;
	}
	error = hsm_settle_stale(f);
	if (error)
		return error;
	return 0;
}

HSM_EXPORT int
hsm_migrate(
	struct hsm_fs		*fs,
	const char		*path,
	unsigned		flags,
	struct hsm_result	*res)
{
	struct hsm_fileref	f;
	struct timespec		sealed;
	struct hsm_result	rres;
	int			error;

	memset(res, 0, sizeof(*res));
	fs->errdetail[0] = '\0';
	error = hsm_fs_route(fs);
	if (error)
		return error;
	if (fs->route == HSM_ROUTE_DAEMON)
		return hsm_ctl_forward(fs, HSM_CTL_MIGRATE, path, flags, res);
	error = hsm_fs_open_store(fs);
	if (error)
		return error;
	error = hsm_fileref_open(fs, path, O_RDONLY, false, &f);
	if (error)
		return error;
	error = check_pending(&f);
	if (error)
		goto out_close;
	if (f.rec.pending == HSM_OP_RELEASING ||
	    f.rec.pending == HSM_OP_RECALLING ||
	    (f.rec.flags & HSM_F_RELEASED)) {
		/* already migrated; an interrupted release is finished */
		hsm_fileref_close(&f);
		if (flags & HSM_MIGRATE_KEEP) {
			res->outcome = HSM_NOOP;
			return 0;
		}
		return hsm_release(fs, path, res);
	}
	if (f.rec.flags & HSM_F_NOARCHIVE) {
		hsm_fs_set_detail(fs, "pinned with --noarchive");
		error = -EPERM;
		goto out_close;
	}
	if (f.st.st_size == 0) {
		res->outcome = HSM_NOOP;	/* nothing to archive */
		goto out_close;
	}
	/* a lost copy is replaced: the resident data is the truth */
	if ((f.rec.flags & HSM_F_ARCHIVED) &&
	    !(f.rec.flags & (HSM_F_DIRTY | HSM_F_LOST)) &&
	    hsm_fileref_matches_record(&f)) {
		/* the copy we have may still be good: release verifies it */
		hsm_fileref_close(&f);
		if (flags & HSM_MIGRATE_KEEP) {
			res->outcome = HSM_NOOP;
			return 0;
		}
		return hsm_release(fs, path, res);
	}

	error = hsm_fileref_lease(&f, F_RDLCK);
	if (error) {
		if (error == -EBUSY)
			hsm_fs_set_detail(fs, "file is open for writing");
		goto out_close;
	}
	error = hsm_fileref_restat(&f);
	if (error)
		goto out_close;
	error = archive_leased(&f, res, &sealed);
	hsm_fileref_close(&f);
	if (error || (flags & HSM_MIGRATE_KEEP))
		return error;

	/* step 5: release under an exclusive lease on a writable fd */
	error = hsm_fileref_open(fs, path, O_RDWR, false, &f);
	if (error)
		return error;
	error = hsm_fileref_lease(&f, F_WRLCK);
	if (error) {
		if (error == -EBUSY)
			hsm_fs_set_detail(fs, "archived, but not released: "
					"file is in use");
		goto out_close;
	}
	error = hsm_fileref_restat(&f);
	if (!error)
		error = hsm_release_locked(&f, &sealed, &rres);
out_close:
	hsm_fileref_close(&f);
	return error;
}
