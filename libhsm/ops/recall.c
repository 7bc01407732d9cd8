// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * recall.c - bring released data back from the store.
 *
 * Each chunk is read from the store and checked against its checksum
 * before a byte of it is written, so a corrupt object never puts wrong
 * data in the file: the file is flagged LOST instead.  Data is written
 * through the invisible-IO fd (mtime untouched) only where the copy has
 * data, so holes stay holes.
 *
 * In a batch (doc/design.md, "recall"):
 *  prepare  the F_WRLCK lease, the checks, RECALLING (ordered: logged
 *           before any block the recall allocates)
 *  work     the chunks, written but not synced; a file larger than 64 MiB
 *           (or the batch's byte bound) records its progress on the way
 *           (fdatasync, then the map of what is durable), so an
 *           interrupted recall resumes from that map
 *  [data]   one syncfs: every file's data durable
 *  seal     the map goes and RELEASED is cleared: a record that says the
 *           data is there is written only once it is durable (DESIGN
 *           invariant 2); a range recall (--range) that left chunks in
 *           the store writes the map of what is back and clears only
 *           RECALLING: the file stays released, partial
 *  [force]  those records, durable
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "ops/opsP.h"

/* A large file records its progress at least this often. */
#define RECALL_SYNC_EVERY	(64ULL << 20)

struct hsm_recall {
	struct hsm_fileref	*f;
	struct hsm_objmeta	meta;
	struct hsm_chunkmap	map;
	char			*buf;		/* one chunk */
	size_t			ext_idx;	/* first extent not yet past */
	uint64_t		*done;		/* chunks written, not synced */
	size_t			ndone, max_done;
	uint64_t		unsynced;
	uint64_t		sync_every;	/* bytes between map saves */
	uint64_t		moved;
	struct hsm_lease_guard	guard;		/* the caller's F_WRLCK */
	unsigned		from;		/* the readable copy read */
	const struct hsm_range	*ranges;	/* only these bytes, or all */
	size_t			nranges;
};

static int
mark_lost(
	struct hsm_fileref	*f)
{
	hsm_record_mark_lost(&f->rec);
	hsm_fileref_commit(f, HSM_DUR_NOW);
	hsm_fs_set_detail(f->fs, "store copy missing or corrupt");
	return -ENOLINK;
}

/* Make the chunks written so far durable, then record them resident. */
static int
sync_done(
	struct hsm_recall	*rs)
{
	size_t			i;
	int			error;

	if (!rs->ndone)
		return 0;
	error = hsm_dur_data(rs->f->fd, HSM_DUR_NOW, NULL);
	if (error)
		return error;
	for (i = 0; i < rs->ndone; i++)
		hsm_chunkmap_set(&rs->map, rs->done[i]);
	error = hsm_dur_map(rs->f->fd, &rs->map, HSM_DUR_ORDERED, NULL);
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
	struct hsm_recall	*rs,
	struct hsm_batch	*b,
	uint64_t		c)
{
	struct hsm_fileref	*f = rs->f;
	unsigned		shift = rs->meta.chunk_shift;
	int64_t			n;
	int			error;

	error = hsm_copies_fetch(f->fs, f->set, &f->rec, &rs->meta, c,
			rs->buf, &rs->ext_idx, &rs->from);
	if (error)
		return error;
	/*
	 * Someone opens the file: our lease is being broken, and once the
	 * kernel gives up waiting for us they are in.  Write nothing then
	 * (we would race a writer); what is written is recorded by the
	 * caller, and the rest is for the next recall.
	 */
	if (!hsm_lease_guard_ok(&rs->guard)) {
		hsm_fs_set_detail(f->fs, "file opened during the recall (no "
				"xfs_hsmd serves it): stopped, run it again");
		return -EBUSY;
	}
	n = hsm_chunk_write(f->fd, &rs->meta, c, 1, rs->buf, f->rec.size,
			&rs->ext_idx);
	if (n < 0)
		return n;
	rs->unsynced += n;
	rs->moved += n;
	/*
	 * Start writing the chunk back now, without waiting: reading the
	 * next chunk overlaps the write-out, and the sync finds little left
	 * to do.  Durability still comes from that sync.  The last chunk
	 * is left to it: small files are written back together.
	 */
	if (((c + 1) << shift) < f->rec.size)
		sync_file_range(f->fd, c << shift, 1ULL << shift,
				SYNC_FILE_RANGE_WRITE);
	rs->done[rs->ndone++] = c;
	if (b)
		hsm_batch_progress(b, n);
	else
		hsm_fs_progress(f->fs, rs->moved);
	if (rs->unsynced >= rs->sync_every || rs->ndone >= rs->max_done)
		return sync_done(rs);
	return 0;
}

/* Does chunk @c hold a byte of the ranges asked for (all: no ranges)? */
static bool
chunk_wanted(
	const struct hsm_recall	*rs,
	uint64_t		c)
{
	uint64_t		start = c << rs->meta.chunk_shift;
	uint64_t		end = start + (1ULL << rs->meta.chunk_shift);
	uint64_t		size = rs->f->rec.size;
	size_t			i;

	if (!rs->nranges)
		return true;
	for (i = 0; i < rs->nranges; i++) {
		uint64_t off = rs->ranges[i].off, len = rs->ranges[i].len;

		if (off >= size || !len)
			continue;
		if (len > size - off)
			len = size - off;	/* past the end: clipped */
		if (off < end && start < off + len)
			return true;
	}
	return false;
}

/* The file must still be what was archived, or recall would clobber it. */
static int
check_identity(
	struct hsm_fileref	*f)
{
	if (!hsm_fileref_matches_record(f)) {
		hsm_fs_set_detail(f->fs, "file changed while released (no "
				"daemon served it): recall would overwrite it");
		return -ESTALE;
	}
	return 0;
}

void
hsm_recall_free(
	struct hsm_recall	*rs)
{
	if (!rs)
		return;
	free(rs->buf);
	free(rs->done);
	hsm_chunkmap_free(&rs->map);
	hsm_objmeta_free(&rs->meta);
	free(rs);
}

/* Everything up to the RECALLING record.  1: nothing to recall. */
static int
recall_begin(
	struct hsm_fileref	*f,
	uint64_t		sync_every,
	struct hsm_recall	**rp)
{
	struct hsm_recall	*rs;
	int			error;

	*rp = NULL;
	if (f->rec.flags & HSM_F_LOST) {
		hsm_fs_set_detail(f->fs, "store copy missing or corrupt");
		return -ENOLINK;
	}
	/* DIRTY and released: xfs_hsmd saw the file change and kept the
	 * record and map true (a truncation lowers rec.size) */
	if (!(f->rec.flags & HSM_F_DIRTY)) {
		error = check_identity(f);
		if (error)
			return error;
	}
	rs = calloc(1, sizeof(*rs));
	if (!rs)
		return -ENOMEM;
	rs->f = f;
	error = hsm_copies_stat(f->fs, f->set, &f->rec, &rs->meta, &rs->from);
	if (error == -ENOLINK) {
		error = mark_lost(f);
		goto out_free;
	}
	if (error)
		goto out_free;
	if (rs->meta.checksum != f->rec.checksum ||
	    rs->meta.size < f->rec.size ||
	    (rs->meta.size != f->rec.size && !(f->rec.flags & HSM_F_DIRTY))) {
		error = mark_lost(f);
		goto out_free;
	}
	error = hsm_chunkmap_init(&rs->map, rs->meta.size,
			rs->meta.chunk_shift);
	if (error)
		goto out_free;
	/*
	 * The map is true whenever it exists (bits are set only once their
	 * data is durable) except after RELEASING: the punch may have gone
	 * past chunks an older map still calls resident.
	 */
	if (f->rec.pending == HSM_OP_RELEASING ||
	    f->rec.chunk_shift != rs->meta.chunk_shift ||
	    hsm_chunkmap_load(f->fd, &rs->map))
		memset(rs->map.bits, 0, (rs->map.nchunks + 7) / 8);
	/* data outside the map: an interrupted recall's (the store copy's
	 * bytes, written again harmlessly), or someone's who wrote into the
	 * released file while no daemon served it (ops/verify.c) */
	if (f->rec.pending == HSM_OP_NONE &&
	    hsm_chunkmap_covers_data(&rs->map, f->fd, f->rec.size) &&
	    hsm_verify_written(f)) {
		hsm_fs_set_detail(f->fs, "file changed while released (no "
				"daemon served it): recall would overwrite it");
		error = -ESTALE;
		goto out_free;
	}
	rs->sync_every = sync_every;
	rs->max_done = (sync_every >> rs->meta.chunk_shift) + 1;
	rs->done = calloc(rs->max_done + 1, sizeof(*rs->done));
	rs->buf = malloc(hsm_chunk_buf_len(&rs->meta));
	if (!rs->done || !rs->buf) {
		error = -ENOMEM;
		goto out_free;
	}
	hsm_lease_guard_init(&rs->guard, f->fd, F_WRLCK);
	f->rec.pending = HSM_OP_RECALLING;
	f->rec.chunk_shift = rs->meta.chunk_shift;
	error = hsm_fileref_commit(f, HSM_DUR_ORDERED);
	if (error)
		goto out_free;
	hsm_fault(f->fs, "recall-pending");
	*rp = rs;
	return 0;
out_free:
	hsm_recall_free(rs);
	return error;
}

/* Write every chunk not yet resident; what is written is recorded or
 * synced by the caller.  -ENOLINK: the file was flagged lost. */
static int
recall_copy(
	struct hsm_recall	*rs,
	struct hsm_batch	*b)
{
	struct hsm_fileref	*f = rs->f;
	size_t			i;
	int			error = 0;

	for (i = 0; i < rs->meta.nsums && !error; i++) {
		uint64_t c = rs->meta.sums[i].chunk;

		if ((c << rs->meta.chunk_shift) >= f->rec.size)
			break;		/* truncated away while released */
		if (hsm_chunkmap_test(&rs->map, c) || !chunk_wanted(rs, c))
			continue;
		error = recall_chunk(rs, b, c);
	}
	if (error == -ENOLINK) {
		error = mark_lost(f);
		hsm_fileref_abandon(f);
	} else if (error == -EBUSY) {
		/* stopped for an opener: keep what is on disk */
		if (!sync_done(rs))
			hsm_fileref_abandon(f);
	} else if (error) {
		hsm_fileref_abandon(f);		/* resumable from the map */
	}
	return error;
}

/*
 * A range recall left chunks in the store: the ones it wrote are durable
 * now (the batch's sync), so their bits go in the map, then the record
 * says no recall is under way.  The file stays released, "partial", as
 * one xfs_hsmd recalled by range and left idle (srv_recall.c); the rest
 * comes back by reads through xfs_hsmd or a whole recall.  A crash before
 * the record leaves RECALLING and a map that is true: the next recall
 * resumes from it.
 */
static int
recall_end_partial(
	struct hsm_recall	*rs,
	struct hsm_result	*res)
{
	struct hsm_fileref	*f = rs->f;
	int			error;

	error = hsm_dur_map(f->fd, &rs->map, HSM_DUR_ORDERED, NULL);
	if (error) {
		hsm_fileref_abandon(f);
		return error;
	}
	hsm_fault(f->fs, "recall-range-mapped");
	f->rec.pending = HSM_OP_NONE;
	error = hsm_fileref_commit(f, HSM_DUR_BATCH);
	if (error) {
		f->rec.pending = HSM_OP_RECALLING;
		hsm_fileref_abandon(f);
		return error;
	}
	res->outcome = rs->moved ? HSM_DONE : HSM_NOOP;
	res->bytes = rs->moved;
	return 0;
}

/* Every chunk with data in the copy (within the file) is resident. */
static bool
all_resident(
	const struct hsm_recall	*rs)
{
	size_t			i;

	for (i = 0; i < rs->meta.nsums; i++) {
		uint64_t c = rs->meta.sums[i].chunk;

		if ((c << rs->meta.chunk_shift) >= rs->f->rec.size)
			break;
		if (!hsm_chunkmap_test(&rs->map, c))
			return false;
	}
	return true;
}

/* All data is back and durable: the file is dual-state again. */
static int
recall_end(
	struct hsm_recall	*rs,
	struct hsm_result	*res)
{
	struct hsm_fileref	*f = rs->f;
	int			error;

	error = hsm_dur_map(f->fd, NULL, HSM_DUR_ORDERED, NULL);
	if (error) {
		hsm_fileref_abandon(f);
		return error;
	}
	f->rec.flags &= ~HSM_F_RELEASED;
	f->rec.pending = HSM_OP_NONE;
	f->rec.chunk_shift = 0;
	error = hsm_fileref_commit(f, HSM_DUR_BATCH);
	if (error) {
		f->rec.flags |= HSM_F_RELEASED;
		f->rec.pending = HSM_OP_RECALLING;
		f->rec.chunk_shift = rs->meta.chunk_shift;
		hsm_fileref_abandon(f);
		return error;
	}
	/* sealed, not forced: the log may go out now (anyone's fsync); the
	 * data must already be durable */
	hsm_fault(f->fs, "recall-sealed");
	res->outcome = HSM_DONE;
	res->bytes = rs->moved;
	return 0;
}

static int
recall_prepare(
	struct hsm_batch	*b,
	struct hsm_item		*it)
{
	struct hsm_fileref	*f = &it->f;
	int			error;

	/* an interrupted release counts as released: its copy was verified */
	if (!f->has_rec || (!(f->rec.flags & HSM_F_RELEASED) &&
			    f->rec.pending != HSM_OP_RELEASING &&
			    f->rec.pending != HSM_OP_RECALLING)) {
		it->outcome = HSM_NOOP;
		return HSM_ITEM_DONE;
	}
	error = hsm_fileref_lease(f, F_WRLCK);
	if (error) {
		if (error == -EBUSY)
			hsm_fs_set_detail(f->fs, "file is in use (recall "
					"without xfs_hsmd needs exclusive access)");
		return error;
	}
	error = hsm_fileref_restat(f);
	if (!error)
		error = recall_begin(f, b->limits.bytes < RECALL_SYNC_EVERY ?
				b->limits.bytes : RECALL_SYNC_EVERY, &it->rc);
	if (!error) {
		it->rc->ranges = it->ranges;
		it->rc->nranges = it->nranges;
	}
	return error;
}

static int
recall_work(
	struct hsm_batch	*b,
	struct hsm_item		*it)
{
	int			error;

	error = recall_copy(it->rc, b);
	if (!error) {
		/* the batch's syncfs makes it durable before any seal says
		 * it is there (DESIGN invariant 2): it must know to run */
		it->wrote_data = true;
		error = hsm_dur_data(it->f.fd, HSM_DUR_BATCH, &b->commit);
	}
	return error;
}

static int
recall_seal(
	struct hsm_batch	*b,
	struct hsm_item		*it)
{
	struct hsm_recall	*rs = it->rc;
	struct hsm_result	res;
	size_t			i;
	int			error;

	(void)b;
	/* a range recall: the chunks written are durable (the batch's sync) */
	for (i = 0; rs->nranges && i < rs->ndone; i++)
		hsm_chunkmap_set(&rs->map, rs->done[i]);
	if (rs->nranges)
		rs->ndone = 0;
	if (rs->nranges && !all_resident(rs))
		error = recall_end_partial(rs, &res);
	else
		error = recall_end(rs, &res);
	if (error)
		return error;
	it->outcome = res.outcome;
	it->bytes = res.bytes;
	it->sealed = true;
	return 0;
}

/* The batch's data sync failed: the recall is resumable, not done. */
static void
recall_undo(
	struct hsm_batch	*b,
	struct hsm_item		*it,
	int			error)
{
	(void)b;
	(void)error;
	if (it->f.fd >= 0)
		hsm_fileref_abandon(&it->f);
}

const struct hsm_opdesc hsm_op_recall = {
	.code		= HSM_CMD_RECALL,
	.name		= "recall",
	.flags		= HSM_OPD_STORE,
	.oflags		= O_RDWR,
	.prepare	= recall_prepare,
	.work		= recall_work,
	.seal		= recall_seal,
	.undo		= recall_undo,
};
