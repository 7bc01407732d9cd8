// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * recall.c - bring released data back from the store.
 *
 * Each chunk is read from the store and checked against its checksum
 * before a byte of it is written, so a corrupt object never puts wrong
 * data in the file: the file is flagged LOST instead.  Data is written
 * through the invisible-IO fd (mtime untouched) only where the copy has
 * data, so holes stay holes.  A chunk is recorded resident in
 * trusted.hsm.map only after fdatasync (DESIGN invariant 2); an
 * interrupted recall resumes from that map.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "ops/opsP.h"

#define SYNC_EVERY	(64ULL << 20)	/* bytes written between map saves */

struct recall_state {
	struct hsm_fileref	*f;
	struct hsm_objmeta	meta;
	struct hsm_chunkmap	map;
	char			*buf;		/* one chunk */
	size_t			ext_idx;	/* first extent not yet past */
	uint64_t		*done;		/* chunks written, not synced */
	size_t			ndone;
	uint64_t		unsynced;
	uint64_t		moved;
	struct hsm_lease_guard	guard;		/* the caller's F_WRLCK */
};

static int
mark_lost(
	struct hsm_fileref	*f)
{
	f->rec.flags |= HSM_F_LOST;
	hsm_fileref_commit(f);
	hsm_fs_set_detail(f->fs, "store copy missing or corrupt");
	return -ENOLINK;
}

/* Make written chunks durable, then record them resident. */
static int
sync_done(
	struct recall_state	*rs)
{
	size_t			i;
	int			error;

	if (!rs->ndone)
		return 0;
	if (fdatasync(rs->f->fd) < 0)
		return -errno;
	for (i = 0; i < rs->ndone; i++)
		hsm_chunkmap_set(&rs->map, rs->done[i]);
	error = hsm_chunkmap_save(rs->f->fd, &rs->map);
	rs->ndone = 0;
	rs->unsynced = 0;
	hsm_fault(rs->f->fs, "recall-chunk");
	return error;
}

/*
 * Read chunk @c from the store, check its sum, and write it.  -ENOLINK
 * when the store cannot give the right bytes.
 */
static int
recall_chunk(
	struct recall_state	*rs,
	uint64_t		c)
{
	unsigned		shift = rs->meta.chunk_shift;
	int64_t			n;
	int			error;

	error = hsm_chunk_fetch(rs->f->fs->store, rs->f->rec.oid, &rs->meta,
			c, rs->buf, &rs->ext_idx);
	if (error)
		return error;
	n = hsm_chunk_write(rs->f->fd, &rs->meta, c, 1, rs->buf,
			rs->f->rec.size, &rs->ext_idx);
	if (n < 0)
		return n;
	rs->unsynced += n;
	rs->moved += n;
	/*
	 * Start writing the chunk back now, without waiting: reading the
	 * next chunk overlaps the write-out, and the fdatasync in sync_done
	 * finds little left to do.  Durability still comes from that fdatasync.
	 */
	sync_file_range(rs->f->fd, c << shift, 1ULL << shift,
			SYNC_FILE_RANGE_WRITE);
	rs->done[rs->ndone++] = c;
	hsm_fs_progress(rs->f->fs, rs->moved);
	if (rs->unsynced >= SYNC_EVERY)
		return sync_done(rs);
	return 0;
}

/* The file must still be what was archived, or recall would clobber it. */
static int
check_identity(
	struct recall_state	*rs)
{
	struct hsm_fileref	*f = rs->f;

	if (!hsm_fileref_matches_record(f)) {
		hsm_fs_set_detail(f->fs, "file changed while released (no "
				"daemon served it): recall would overwrite it");
		return -ESTALE;
	}
	return 0;
}

int
hsm_recall_locked(
	struct hsm_fileref	*f,
	struct hsm_result	*res)
{
	struct hsm_store	*store = f->fs->store;
	struct recall_state	rs = { .f = f };
	size_t			i, max_done;
	int			error;

	memset(res, 0, sizeof(*res));
	if (f->rec.flags & HSM_F_LOST) {
		hsm_fs_set_detail(f->fs, "store copy missing or corrupt");
		return -ENOLINK;
	}
	/* DIRTY and released: xfs_hsmd saw the file change and kept the
	 * record and map true (a truncation lowers rec.size) */
	if (!(f->rec.flags & HSM_F_DIRTY)) {
		error = check_identity(&rs);
		if (error)
			return error;
	}
	error = store->ops->stat(store, f->rec.oid, &rs.meta);
	if (error == -ENOENT || error == -EUCLEAN)
		return mark_lost(f);
	if (error)
		return error;
	if (rs.meta.checksum != f->rec.checksum || rs.meta.size < f->rec.size ||
	    (rs.meta.size != f->rec.size && !(f->rec.flags & HSM_F_DIRTY))) {
		error = mark_lost(f);
		goto out_meta;
	}
	error = hsm_chunkmap_init(&rs.map, rs.meta.size, rs.meta.chunk_shift);
	if (error)
		goto out_meta;
	/*
	 * The map is true whenever it exists (bits are set only once their
	 * data is durable) except after RELEASING: the punch may have gone
	 * past chunks an older map still calls resident.
	 */
	if (f->rec.pending == HSM_OP_RELEASING ||
	    f->rec.chunk_shift != rs.meta.chunk_shift ||
	    hsm_chunkmap_load(f->fd, &rs.map))
		memset(rs.map.bits, 0, (rs.map.nchunks + 7) / 8);
	/* an interrupted op may have left verified data outside the map */
	if (f->rec.pending == HSM_OP_NONE &&
	    hsm_chunkmap_covers_data(&rs.map, f->fd, f->rec.size)) {
		hsm_fs_set_detail(f->fs, "file changed while released (no "
				"daemon served it): recall would overwrite it");
		error = -ESTALE;
		goto out_free;
	}

	max_done = SYNC_EVERY >> rs.meta.chunk_shift;
	rs.done = calloc(max_done + 1, sizeof(*rs.done));
	rs.buf = malloc(1ULL << rs.meta.chunk_shift);
	if (!rs.done || !rs.buf) {
		error = -ENOMEM;
		goto out_free;
	}

	hsm_lease_guard_init(&rs.guard, f->fd, F_WRLCK);
	f->rec.pending = HSM_OP_RECALLING;
	f->rec.chunk_shift = rs.meta.chunk_shift;
	error = hsm_fileref_commit(f);
	if (error)
		goto out_free;
	hsm_fault(f->fs, "recall-pending");

	for (i = 0; i < rs.meta.nsums && !error; i++) {
		uint64_t c = rs.meta.sums[i].chunk;

		if ((c << rs.meta.chunk_shift) >= f->rec.size)
			break;		/* truncated away while released */
		if (hsm_chunkmap_test(&rs.map, c))
			continue;
		/*
		 * Someone opens the file: our lease is being broken, and once
		 * the kernel gives up waiting for us they are in.  Write
		 * nothing then (we would race a writer); what is written is
		 * recorded below, and the rest is for the next recall.
		 */
		if (!hsm_lease_guard_ok(&rs.guard)) {
			hsm_fs_set_detail(f->fs, "file opened during the "
					"recall (no xfs_hsmd serves it): "
					"stopped, run it again");
			error = -EBUSY;
			break;
		}
		error = recall_chunk(&rs, c);
		if (!error && rs.ndone > max_done)
			error = sync_done(&rs);
	}
	if (!error || error == -EBUSY) {
		int serror = sync_done(&rs);

		if (!error)
			error = serror;
	}
	if (error == -ENOLINK) {
		error = mark_lost(f);
		hsm_fileref_abandon(f);
		goto out_free;
	}
	if (error) {
		hsm_fileref_abandon(f);		/* resumable from the map */
		goto out_free;
	}

	/* all data is back and durable: the file is dual-state again */
	error = hsm_chunkmap_remove(f->fd);
	if (error) {
		hsm_fileref_abandon(f);
		goto out_free;
	}
	f->rec.flags &= ~HSM_F_RELEASED;
	f->rec.pending = HSM_OP_NONE;
	f->rec.chunk_shift = 0;
	error = hsm_fileref_commit(f);
	if (error) {
		f->rec.flags |= HSM_F_RELEASED;
		f->rec.pending = HSM_OP_RECALLING;
		f->rec.chunk_shift = rs.meta.chunk_shift;
		hsm_fileref_abandon(f);
	} else {
		res->outcome = HSM_DONE;
		res->bytes = rs.moved;
	}
out_free:
	free(rs.buf);
	free(rs.done);
	hsm_chunkmap_free(&rs.map);
out_meta:
	hsm_objmeta_free(&rs.meta);
	return error;
}

HSM_EXPORT int
hsm_recall(
	struct hsm_fs		*fs,
	const char		*path,
	struct hsm_result	*res)
{
	struct hsm_fileref	f;
	int			error;

	memset(res, 0, sizeof(*res));
	fs->errdetail[0] = '\0';
	error = hsm_fs_route(fs);
	if (error)
		return error;
	if (fs->route == HSM_ROUTE_DAEMON)
		return hsm_ctl_forward(fs, HSM_CTL_RECALL, path, 0, res);
	error = hsm_fs_open_store(fs);
	if (error)
		return error;
	error = hsm_fileref_open(fs, path, O_RDWR, false, &f);
	if (error)
		return error;
	if (f.has_rec && f.rec.pending != HSM_OP_NONE) {
		if (hsm_fileref_pending_alive(&f)) {
			hsm_fs_set_detail(fs, "%s in progress by pid %u",
					hsm_op_name(f.rec.pending),
					f.rec.owner_pid);
			error = -EALREADY;
			goto out_close;
		}
		error = hsm_settle_stale(&f);
		if (error)
			goto out_close;
	}
	/* an interrupted release counts as released: its copy was verified */
	if (!f.has_rec || (!(f.rec.flags & HSM_F_RELEASED) &&
			   f.rec.pending != HSM_OP_RELEASING &&
			   f.rec.pending != HSM_OP_RECALLING)) {
		res->outcome = HSM_NOOP;
		goto out_close;
	}
	error = hsm_fileref_lease(&f, F_WRLCK);
	if (error) {
		if (error == -EBUSY)
			hsm_fs_set_detail(fs, "file is in use (recall "
					"without xfs_hsmd needs exclusive access)");
		goto out_close;
	}
	error = hsm_fileref_restat(&f);
	if (!error)
		error = hsm_recall_locked(&f, res);
out_close:
	hsm_fileref_close(&f);
	return error;
}
