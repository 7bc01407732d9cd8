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
	f->rec.flags |= HSM_F_LOST;
	return hsm_fileref_commit(f);
}

/* Finish a RELEASING or RECALLING of @f (opened O_RDWR) under a lease. */
static int
repair_locked(
	struct hsm_fileref	*f,
	struct hsm_repair	*res)
{
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
	if (error)
		return error;
	memset(&r, 0, sizeof(r));
	if (f->rec.pending == HSM_OP_RELEASING) {
		error = hsm_release_locked(f, NULL, &r);
		if (error == -ENOLINK) {
			error = undo_release(f);
			if (!error) {
				res->action = HSM_REPAIR_UNDONE;
				return 0;
			}
		}
	} else {
		error = hsm_recall_locked(f, &r);
	}
	res->bytes = r.bytes;
	if (!error)
		res->action = HSM_REPAIR_FINISHED;
	return error;
}

HSM_EXPORT int
hsm_inode_repair(
	struct hsm_fs		*fs,
	const struct hsm_inode	*in,
	struct hsm_repair	*res)
{
	struct hsm_fileref	f;
	struct hsm_record	rec;
	int			oflags = O_RDONLY;
	int			error;

	memset(res, 0, sizeof(*res));
	fs->errdetail[0] = '\0';
	/* under xfs_hsmd, the daemon does it, in step with its recalls */
	error = hsm_fs_route(fs);
	if (error)
		return error;
	if (fs->route == HSM_ROUTE_DAEMON) {
		uint32_t outcome = 0;

		error = hsm_ctl_forward_ino(fs, HSM_CTL_REPAIR, in->ino,
				in->gen, NULL, &outcome, &res->bytes);
		res->action = outcome & 0xff;
		res->op = outcome >> 8;
		return error;
	}
	/*
	 * Look first without opening the file: an open would break the
	 * lease of an operation still running on it.
	 */
	error = hsm_inode_read_record(fs, in, &rec);
	if (error == 1 || (!error && rec.pending == HSM_OP_NONE))
		return 0;
	if (error)
		return error;
	res->op = rec.pending;
	if (hsm_record_owner_alive(fs, &rec)) {
		hsm_fs_set_detail(fs, "%s in progress by pid %u",
				hsm_op_name(rec.pending), rec.owner_pid);
		return -EALREADY;
	}
	error = hsm_fs_open_store(fs);
	if (error)
		return error;
	if (rec.pending == HSM_OP_RELEASING || rec.pending == HSM_OP_RECALLING)
		oflags = O_RDWR;
	error = hsm_fileref_open_ino(fs, in->ino, in->gen, oflags, false, &f);
	if (error)
		return error;
	/* the record read through the fd is the one acted on */
	if (!f.has_rec || f.rec.pending == HSM_OP_NONE)
		goto out_close;
	res->op = f.rec.pending;
	if (hsm_fileref_pending_alive(&f)) {
		hsm_fs_set_detail(fs, "%s in progress by pid %u",
				hsm_op_name(f.rec.pending), f.rec.owner_pid);
		error = -EALREADY;
		goto out_close;
	}
	switch (f.rec.pending) {
	case HSM_OP_MIGRATING:
	case HSM_OP_FORGETTING:
		error = hsm_settle_stale(&f);
		if (!error)
			res->action = res->op == HSM_OP_MIGRATING ?
				HSM_REPAIR_UNDONE : HSM_REPAIR_FINISHED;
		break;
	case HSM_OP_RELEASING:
	case HSM_OP_RECALLING:
		if (oflags != O_RDWR) {
			hsm_fs_set_detail(fs, "record changed during the "
					"repair: run it again");
			error = -EAGAIN;
			break;
		}
		error = repair_locked(&f, res);
		break;
	default:
		error = -EUCLEAN;
		break;
	}
out_close:
	hsm_fileref_close(&f);
	return error;
}
