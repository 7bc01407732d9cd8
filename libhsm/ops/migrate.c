// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * migrate.c - archive files to the store, then (unless kept) release them.
 *
 * The phases of a batch (opsP.h) and its durable steps (doc/design.md,
 * "migrate"):
 *  prepare  an F_RDLCK lease on an invisible-IO fd: refused while a
 *           writer has the file open, broken by any later write open or
 *           truncate.  The MIGRATING record names the new object, so that
 *           a crash can undo it; the batch forces these records before
 *           any object can exist.
 *  work     copy the data segments, hashing them, into a store object
 *           that is neither durable nor visible yet.
 *  [publish] the batch's objects durable and visible, together.
 *  seal     if the lease is intact and size, mtime and ctime unchanged,
 *           record ARCHIVED with the identity and checksum of the copy
 *           (ordered: the batch's force makes it durable, and the release
 *           that follows is logged after it); then release, knowing the
 *           ctime the seal left: if the file still has it, nothing changed
 *           in between (any change would move ctime).
 *  [force]  ARCHIVED and RELEASED of the batch, durable.
 *  done     the object of an earlier copy of a changed file goes (DESIGN
 *           invariant 4: no record names it once ARCHIVED is durable).
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
	struct hsm_batch	*b;
	struct hsm_fileref	*f;
	struct hsm_store_writer	*w[HSM_COPIES_MAX];	/* NULL: not written */
	struct hsm_store	*store[HSM_COPIES_MAX];
	struct hsm_objmeta	*meta;
	struct hsm_csum		*file_sum;
	struct hsm_csum		*chunk_sum;	/* of chunk cur_chunk */
	uint64_t		cur_chunk;
	uint64_t		moved;
	char			*buf;
	size_t			buflen;
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
	unsigned		k;
	int			error;

	hsm_csum_segment(cs->chunk_sum, off, len);
	while (len) {
		size_t want = len < cs->buflen ? len : cs->buflen;
		ssize_t n = pread(cs->f->fd, cs->buf, want, off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -ESTALE;	/* shrank */
		hsm_csum_update(cs->chunk_sum, cs->buf, n);
		hsm_csum_update(cs->file_sum, cs->buf, n);
		for (k = 0; k < HSM_COPIES_MAX; k++) {
			if (!cs->w[k])
				continue;
			error = cs->store[k]->ops->put_write(cs->w[k], cs->buf,
					n, off);
			if (error)
				return error;
		}
		off += n;
		len -= n;
		cs->moved += n;
		hsm_batch_progress(cs->b, n);
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
		/* a writer's open breaks our lease: let it in now, not after
		 * lease-break-time, since this copy is stale anyway */
		if (!hsm_lease_intact(cs->f->fd, F_RDLCK))
			return -ESTALE;
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

/* Fill the disaster-recovery metadata the store keeps with the object
 * (its oid is each copy's: put_finish gets it per copy). */
static void
fill_meta(
	struct hsm_fileref	*f,
	struct hsm_objmeta	*meta)
{
	strcpy(meta->fs_uuid, f->fs->uuid_str);
	meta->ino = f->st.st_ino;
	meta->gen = f->gen;
	meta->size = f->st.st_size;
	meta->mtime_sec = f->st.st_mtim.tv_sec;
	meta->mtime_nsec = f->st.st_mtim.tv_nsec;
	if (!f->path || hsm_abs_path(f->path, meta->path, sizeof(meta->path)))
		hsm_fileref_name(f, meta->path, sizeof(meta->path));
	/* a file opened by handle whose name the kernel has not cached
	 * reads as "/": no path is better than a wrong one */
	if (!strcmp(meta->path, "/"))
		meta->path[0] = '\0';
}

static bool
same_time(
	const struct timespec	*a,
	const struct timespec	*b)
{
	return a->tv_sec == b->tv_sec && a->tv_nsec == b->tv_nsec;
}

int
hsm_begin_writers(
	struct hsm_fileref	*f,
	unsigned		slots,
	struct hsm_store_writer	*w[HSM_COPIES_MAX],
	struct hsm_store	*store[HSM_COPIES_MAX])
{
	unsigned		k;
	int			error;

	for (k = 0; k < HSM_COPIES_MAX; k++) {
		if (!(slots & (1U << k)))
			continue;
		store[k] = hsm_fileref_store(f, f->rec.copy[k].store_id,
				&error);
		if (!store[k])
			return error;
		error = store[k]->ops->put_begin(store[k], f->rec.copy[k].oid,
				&w[k]);
		if (error) {
			w[k] = NULL;
			return error;
		}
	}
	return 0;
}

int
hsm_end_writers(
	struct hsm_item		*it,
	struct hsm_store_writer	*w[HSM_COPIES_MAX],
	struct hsm_store	*store[HSM_COPIES_MAX],
	int			error)
{
	unsigned		k;

	for (k = 0; k < HSM_COPIES_MAX && !error; k++) {
		if (!w[k])
			continue;
		memcpy(it->meta.oid, it->f.rec.copy[k].oid, HSM_OID_LEN);
		error = store[k]->ops->put_finish(w[k], &it->meta);
	}
	for (k = 0; k < HSM_COPIES_MAX; k++) {
		if (!w[k])
			continue;
		if (error)
			store[k]->ops->put_abort(w[k]);
		else
			it->w[k] = w[k];
		w[k] = NULL;
	}
	return error;
}

int
hsm_copy_from_file(
	struct hsm_batch	*b,
	struct hsm_item		*it,
	unsigned		slots)
{
	struct hsm_fileref	*f = &it->f;
	struct hsm_objmeta	*meta = &it->meta;
	struct copy_state	cs = { .b = b, .f = f, .meta = meta };
	struct hsm_datamap	map;
	size_t			i;
	int			error;

	fill_meta(f, meta);
	error = hsm_objmeta_read_inode(meta, f->fd, &f->st);
	if (error)
		return error;
	meta->chunk_shift = hsm_chunk_shift_for(meta->size);
	/*
	 * Written extents only: an unwritten (preallocated) extent reads as
	 * zeros and is no data, but SEEK_DATA calls it data as soon as the
	 * page cache holds a page of it, which readahead does.
	 */
	error = hsm_datamap_read_written(f->fd, meta->size, &map);
	if (error)
		return error;
	/* one pass front to back: ask for the larger readahead (a file
	 * within the default window is read whole anyway) */
	if (meta->size > COPY_BUF)
		posix_fadvise(f->fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	/* no more than the file: a 1 MiB malloc and free for each small
	 * file kept glibc's thread arenas growing and trimming */
	cs.buflen = meta->size && meta->size < COPY_BUF ? meta->size :
		    COPY_BUF;
	cs.buf = malloc(cs.buflen);
	cs.file_sum = hsm_csum_new();
	if (!cs.buf || !cs.file_sum) {
		error = -ENOMEM;
		goto out_free;
	}
	error = hsm_begin_writers(f, slots, cs.w, cs.store);
	for (i = 0; i < map.nr && !error; i++)
		error = copy_segment(&cs, map.ext[i].off, map.ext[i].len);
	if (!error)
		error = finish_chunk(&cs);
	meta->checksum = hsm_csum_final(cs.file_sum);
	cs.file_sum = NULL;
	meta->map = map;
	map.ext = NULL;
	map.nr = map.alloc = 0;
	/* the copy counts only if no write could have run during it */
	if (!error && !hsm_lease_intact(f->fd, F_RDLCK))
		error = -ESTALE;
	error = hsm_end_writers(it, cs.w, cs.store, error);
out_free:
	if (cs.chunk_sum)
		hsm_csum_final(cs.chunk_sum);
	if (cs.file_sum)
		hsm_csum_final(cs.file_sum);
	hsm_datamap_free(&map);
	free(cs.buf);
	return error;
}

/* Put the record back as it was before MIGRATING (ordered: the MIGRATING
 * record it replaces may not even be durable). */
static void
undo_migrating(
	struct hsm_item		*it)
{
	if (!it->had_rec) {
		hsm_fileref_clear(&it->f, HSM_DUR_ORDERED);
		return;
	}
	it->f.rec = it->orig;
	hsm_fileref_commit(&it->f, HSM_DUR_ORDERED);
}

void
hsm_drop_wanted(
	struct hsm_fileref	*f)
{
	struct hsm_store	*store;
	unsigned		k;
	int			e;

	for (k = 0; k < HSM_COPIES_MAX; k++) {
		if (f->rec.copy[k].state != HSM_COPY_WANTED)
			continue;
		store = hsm_fileref_store(f, f->rec.copy[k].store_id, &e);
		if (store)
			hsm_store_del_sync(store, f->rec.copy[k].oid);
	}
}

/* A file migrate leaves to release (already archived) or to nobody. */
static int
hand_over(
	struct hsm_batch	*b,
	struct hsm_item		*it)
{
	if (b->flags & HSM_MIGRATE_KEEP) {
		it->outcome = HSM_NOOP;
		return HSM_ITEM_DONE;
	}
	return hsm_item_switch(b, it, &hsm_op_release);
}

unsigned
hsm_copies_wanted(
	const struct hsm_batch	*b,
	const struct hsm_record	*rec)
{
	unsigned		n = HSM_MIGRATE_COPIES_OF(b->flags), k, have = 0;

	for (k = 0; k < HSM_COPIES_MAX; k++)
		have += rec->copy[k].state != HSM_COPY_NONE;
	if (!n)
		n = b->op->code == HSM_CMD_MIGRATE || !have ? 1 : have;
	return n;
}

int
hsm_pick_stores(
	struct hsm_fileref	*f,
	unsigned		n,
	uint32_t		ids[HSM_COPIES_MAX])
{
	const struct hsm_binding *bd = f->fs->binding;
	unsigned		i, got = 0;

	if (n > HSM_COPIES_MAX) {
		hsm_fs_set_detail(f->fs, "%u copies wanted, a record holds "
				"at most %u", n, HSM_COPIES_MAX);
		return -EINVAL;
	}
	for (i = 0; bd && i < bd->nstores && got < n; i++)
		if (!bd->store[i].draining)
			ids[got++] = bd->store[i].id;
	if (got < n) {
		hsm_fs_set_detail(f->fs, "%u copies wanted, but %u of the "
				"stores of %s take copies", n, got, f->fs->mnt);
		return -ENOSPC;
	}
	return 0;
}

static int
migrate_prepare(
	struct hsm_batch	*b,
	struct hsm_item		*it)
{
	struct hsm_fileref	*f = &it->f;
	uint32_t		ids[HSM_COPIES_MAX];
	unsigned		n, k;
	int			error;

	if (f->rec.pending == HSM_OP_RELEASING ||
	    f->rec.pending == HSM_OP_RECALLING)
		return hand_over(b, it);  /* an interrupted release finishes */
	/* released: its copies may be made from the others */
	if (f->rec.flags & HSM_F_RELEASED) {
		if (f->rec.pending == HSM_OP_NONE &&
		    !(f->rec.flags & (HSM_F_LOST | HSM_F_DIRTY)) &&
		    hsm_copies_missing(f, hsm_copies_wanted(b, &f->rec)))
			return hsm_item_switch(b, it, &hsm_op_copy);
		return hand_over(b, it);
	}
	if (f->rec.flags & HSM_F_NOARCHIVE) {
		hsm_fs_set_detail(f->fs, "pinned with --noarchive");
		return -EPERM;
	}
	if (f->st.st_size == 0) {
		it->outcome = HSM_NOOP;		/* nothing to archive */
		return HSM_ITEM_DONE;
	}
	n = hsm_copies_wanted(b, &f->rec);
	/* a lost copy is replaced: the resident data is the truth; the
	 * copy we have may still be good, and release verifies it */
	if ((f->rec.flags & HSM_F_ARCHIVED) &&
	    !(f->rec.flags & (HSM_F_DIRTY | HSM_F_LOST)) &&
	    hsm_fileref_matches_record(f)) {
		if (hsm_copies_missing(f, n))
			return hsm_item_switch(b, it, &hsm_op_copy);
		return hand_over(b, it);
	}
	error = hsm_pick_stores(f, n, ids);
	if (error)
		return error;
	error = hsm_fileref_lease(f, F_RDLCK);
	if (error) {
		if (error == -EBUSY)
			hsm_fs_set_detail(f->fs, "file is open for writing");
		return error;
	}
	error = hsm_fileref_restat(f);
	if (error)
		return error;

	it->orig = f->rec;
	it->had_rec = f->has_rec;
	/* the stale copies of a changed file: unnamed from here */
	for (k = 0; f->has_rec && k < HSM_COPIES_MAX; k++)
		if (f->rec.copy[k].state != HSM_COPY_NONE)
			it->drop_old = true;
	/* the pending record first */
	f->rec.flags &= HSM_F_ADMIN;
	f->rec.pending = HSM_OP_MIGRATING;
	f->rec.chunk_shift = 0;
	memset(f->rec.copy, 0, sizeof(f->rec.copy));
	for (k = 0, error = 0; k < n && !error; k++) {
		f->rec.copy[k].store_id = ids[k];
		f->rec.copy[k].state = HSM_COPY_WANTED;
		error = hsm_batch_new_oid(b, f, ids[k],
					  f->rec.copy[k].oid);
	}
	if (!error)
		error = hsm_fileref_commit(f, HSM_DUR_BATCH);
	if (!error)
		error = hsm_fileref_restat(f);
	if (error) {
		undo_migrating(it);
		return error;
	}
	/* our own record write moved ctime: compare against what follows */
	it->before = f->st;
	it->force_prepared = true;
	hsm_fault(f->fs, "migrate-pending");
	return 0;
}

static int
migrate_work(
	struct hsm_batch	*b,
	struct hsm_item		*it)
{
	unsigned		k, slots = 0;
	int			error;

	for (k = 0; k < HSM_COPIES_MAX; k++)
		if (it->f.rec.copy[k].state == HSM_COPY_WANTED)
			slots |= 1U << k;
	error = hsm_copy_from_file(b, it, slots);
	if (error) {
		if (error == -ESTALE)
			hsm_fs_set_detail(it->f.fs, "file changed during the "
					"copy");
		undo_migrating(it);
		/* the writer that broke our lease need not wait for the
		 * rest of the batch, nor for lease-break-time */
		hsm_fileref_unlease(&it->f);
		return error;
	}
	hsm_fault(it->f.fs, "migrate-copied");
	return 0;
}

/* The copy is durable in the store: ARCHIVED, then the release. */
static int
migrate_seal(
	struct hsm_batch	*b,
	struct hsm_item		*it)
{
	struct hsm_fileref	*f = &it->f;
	unsigned		k;
	int			error;

	error = hsm_fileref_restat(f);
	if (!error && (!hsm_lease_intact(f->fd, F_RDLCK) ||
		       f->st.st_size != it->before.st_size ||
		       !same_time(&f->st.st_mtim, &it->before.st_mtim) ||
		       !same_time(&f->st.st_ctim, &it->before.st_ctim))) {
		hsm_fs_set_detail(f->fs, "file changed during the copy");
		error = -ESTALE;
	}
	if (error) {
		hsm_drop_wanted(f);
		undo_migrating(it);
		return error;
	}
	f->rec.flags |= HSM_F_ARCHIVED;
	f->rec.pending = HSM_OP_NONE;
	f->rec.size = it->before.st_size;
	f->rec.mtime_sec = it->before.st_mtim.tv_sec;
	f->rec.mtime_nsec = it->before.st_mtim.tv_nsec;
	f->rec.checksum = it->meta.checksum;
	f->rec.copy_version++;
	for (k = 0; k < HSM_COPIES_MAX; k++)
		if (f->rec.copy[k].state == HSM_COPY_WANTED)
			f->rec.copy[k].state = HSM_COPY_DURABLE;
	error = hsm_fileref_commit(f, HSM_DUR_BATCH);
	if (!error)
		error = hsm_fileref_restat(f);
	if (error) {
		for (k = 0; k < HSM_COPIES_MAX; k++)
			if (f->rec.copy[k].state == HSM_COPY_DURABLE)
				f->rec.copy[k].state = HSM_COPY_WANTED;
		hsm_drop_wanted(f);
		undo_migrating(it);
		return error;
	}
	it->sealed = true;
	it->sealed_ctime = f->st.st_ctim;
	it->have_sealed = true;
	it->bytes = hsm_datamap_bytes(&it->meta.map);
	it->outcome = HSM_DONE;
	hsm_fault(f->fs, "migrate-archived");
	if (b->flags & HSM_MIGRATE_KEEP)
		return 0;
	return hsm_release_sealed(b, it);
}

/* The copy slots of the sealed record this batch made: the ones its
 * record did not name as durable before. */
static unsigned
fresh_copies(
	const struct hsm_item	*it)
{
	const struct hsm_record	*rec = &it->f.rec;
	unsigned		k, j, fresh = 0;

	for (k = 0; k < HSM_COPIES_MAX; k++) {
		bool old = false;

		if (rec->copy[k].state != HSM_COPY_DURABLE)
			continue;
		for (j = 0; j < HSM_COPIES_MAX && !old; j++)
			old = it->orig.copy[j].state == HSM_COPY_DURABLE &&
			      !memcmp(it->orig.copy[j].oid, rec->copy[k].oid,
				      HSM_OID_LEN);
		if (!old)
			fresh |= 1U << k;
	}
	return fresh;
}

int
hsm_release_sealed(
	struct hsm_batch	*b,
	struct hsm_item		*it)
{
	struct hsm_fileref	*f = &it->f;
	struct hsm_result	rres;
	int			error;

	/* release under an exclusive lease on a writable fd */
	error = hsm_item_reopen(b, it, O_RDWR);
	if (!error)
		error = hsm_fileref_lease(f, F_WRLCK);
	if (error) {
		if (error == -EBUSY)
			hsm_fs_set_detail(f->fs, "archived, but not released: "
					"file is in use");
		return error;
	}
	error = hsm_fileref_restat(f);
	if (!error)
		error = hsm_release_check(f, &it->sealed_ctime,
				fresh_copies(it), &rres);
	if (!error)
		error = hsm_release_punch(f, &rres);
	return error;
}

/* The batch could not publish or force: the copy does not count. */
static void
migrate_undo(
	struct hsm_batch	*b,
	struct hsm_item		*it,
	int			error)
{
	(void)b;
	(void)error;
	if (it->f.fd >= 0 && it->f.rec.pending == HSM_OP_MIGRATING)
		undo_migrating(it);
}

/* ARCHIVED is durable: the copy of the file's old data can go. */
static void
migrate_done(
	struct hsm_batch	*b,
	struct hsm_item		*it)
{
	unsigned		k;

	(void)b;
	if (!it->sealed || !it->drop_old || it->error || it->f.fd < 0)
		return;
	for (k = 0; k < HSM_COPIES_MAX; k++)
		if (it->orig.copy[k].state != HSM_COPY_NONE)
			hsm_fileref_del_object(&it->f, it->orig.copy[k].store_id,
					it->orig.copy[k].oid);
}

const struct hsm_opdesc hsm_op_migrate = {
	.code		= HSM_CMD_MIGRATE,
	.name		= "migrate",
	.flags		= HSM_OPD_STORE,
	.oflags		= O_RDONLY,
	.prepare	= migrate_prepare,
	.work		= migrate_work,
	.seal		= migrate_seal,
	.done		= migrate_done,
	.undo		= migrate_undo,
};
