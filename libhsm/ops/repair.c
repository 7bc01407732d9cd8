// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * repair.c - finish or undo the pending operation a crash left on one
 * inode, as DESIGN.md prescribes (the crash-recovery record):
 *
 *   MIGRATING   undone: the partial (or committed but never sealed) object
 *               is deleted and the record cleared back to its pins; the
 *               data never left the file.
 *   RELEASING   finished: the copy was verified before RELEASING was
 *               written; the identity (size, mtime) and the store copy
 *               are checked again, then the punch is completed under an
 *               F_WRLCK lease (DESIGN invariant 1).  If the copy is gone
 *               meanwhile, the release is undone instead, but only when
 *               the data is all still there (checksum of the record).
 *   RECALLING   finished from the resident map: chunks already recorded
 *               resident are kept, the others are recalled and verified.
 *   FORGETTING  finished: the object is deleted and the record cleared.
 *
 * A record that fails its checks is never acted on, and an operation
 * whose owner still runs is left to it.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include "ops/opsP.h"

/*
 * A RELEASING whose store copy is gone (the file is flagged LOST): if the
 * data is all still there, byte for byte the archived data (the punch had
 * not started, or was lost with the log), the release is undone and the
 * file stays resident, for a migrate to copy again.  Otherwise nothing is
 * changed.  Returns 0 when undone, -ENOLINK when not.
 */
static int
undo_release(
	struct hsm_fileref	*f)
{
	struct hsm_datamap	map;
	uint64_t		sum;
	int			error;

	if (!hsm_fileref_matches_record(f))
		return -ENOLINK;
	error = hsm_datamap_read_written(f->fd, f->rec.size, &map);
	if (error)
		return -ENOLINK;
	error = hsm_csum_fd(f->fd, &map, &sum);
	hsm_datamap_free(&map);
	if (error || sum != f->rec.checksum) {
		hsm_fs_set_detail(f->fs, "store copy missing or corrupt, and "
				"the release had begun: data lost");
		return -ENOLINK;
	}
	f->rec.pending = HSM_OP_NONE;
	hsm_record_mark_lost(&f->rec);
	return hsm_fileref_commit(f, HSM_DUR_BATCH);
}

/* Finish a RELEASING under a lease: release's work does the punch. */
static int
repair_releasing(
	struct hsm_batch	*b,
	struct hsm_item		*it)
{
	struct hsm_fileref	*f = &it->f;
	struct hsm_result	r;
	int			error;

	error = hsm_fileref_lease(f, F_WRLCK);
	if (error) {
		if (error == -EBUSY)
			hsm_fs_set_detail(f->fs, "file is in use (repair "
					"needs exclusive access)");
		return error;
	}
	error = hsm_fileref_restat(f);
	if (!error)
		error = hsm_release_check(f, NULL, 0, &r);
	if (error == -ENOLINK) {
		error = undo_release(f);
		if (error)
			return error == -ENOLINK ? error : error;
		it->repair_action = HSM_REPAIR_UNDONE;
		it->sealed = true;
		return HSM_ITEM_DONE;
	}
	if (error)
		return error;
	it->op = &hsm_op_release;	/* its work punches and records */
	(void)b;
	return 0;
}

static int
repair_prepare(
	struct hsm_batch	*b,
	struct hsm_item		*it)
{
	struct hsm_fs		*fs = b->fs;
	struct hsm_inode	in = { .ino = it->ino, .gen = it->gen,
				       .mode = S_IFREG };
	struct hsm_record	rec;
	int			oflags = O_RDONLY;
	int			error;

	/*
	 * Look first without opening the file: an open would break the
	 * lease of an operation still running on it.
	 */
	error = hsm_inode_read_record(fs, &in, &rec);
	if (error == 1 || (!error && rec.pending == HSM_OP_NONE))
		return HSM_ITEM_DONE;
	if (error)
		return error;
	it->repair_op = rec.pending;
	if (hsm_record_owner_alive(fs, &rec)) {
		hsm_fs_set_detail(fs, "%s in progress by pid %u",
				hsm_op_name(rec.pending), rec.owner_pid);
		return -EALREADY;
	}
	if (rec.pending == HSM_OP_RELEASING || rec.pending == HSM_OP_RECALLING)
		oflags = O_RDWR;
	error = hsm_fileref_open_ino(fs, it->ino, it->gen, oflags, false,
			&it->f);
	if (error)
		return error;
	it->f.commit = &b->commit;
	it->f.set = hsm_batch_set(b);
	/* the record read through the fd is the one acted on */
	if (!it->f.has_rec || it->f.rec.pending == HSM_OP_NONE) {
		it->repair_op = HSM_OP_NONE;
		return HSM_ITEM_DONE;
	}
	it->repair_op = it->f.rec.pending;
	if (hsm_fileref_pending_alive(&it->f)) {
		hsm_fs_set_detail(fs, "%s in progress by pid %u",
				hsm_op_name(it->f.rec.pending),
				it->f.rec.owner_pid);
		return -EALREADY;
	}
	switch (it->f.rec.pending) {
	case HSM_OP_MIGRATING:
	case HSM_OP_FORGETTING:
		error = hsm_settle_stale(&it->f);
		if (error)
			return error;
		it->repair_action = it->repair_op == HSM_OP_MIGRATING ?
			HSM_REPAIR_UNDONE : HSM_REPAIR_FINISHED;
		it->sealed = true;
		return HSM_ITEM_DONE;
	case HSM_OP_RELEASING:
		if (oflags != O_RDWR)
			break;
		return repair_releasing(b, it);
	case HSM_OP_RECALLING:
		if (oflags != O_RDWR)
			break;
		return hsm_item_switch(b, it, &hsm_op_recall);
	default:
		return -EUCLEAN;
	}
	hsm_fs_set_detail(fs, "record changed during the repair: run it again");
	return -EAGAIN;
}

const struct hsm_opdesc hsm_op_repair = {
	.code		= HSM_CMD_REPAIR,
	.name		= "repair",
	.flags		= HSM_OPD_INODES | HSM_OPD_NOOPEN | HSM_OPD_STORE,
	.oflags		= O_RDONLY,
	.prepare	= repair_prepare,
};
