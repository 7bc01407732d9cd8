// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * settle.c - the rule for a pending operation whose owner is gone.
 *
 * The batch engine applies it once to every file, before the command's
 * own prepare: a pending operation of a live process is left alone
 * (-EALREADY); one whose owner is gone is undone (MIGRATING: its partial
 * object deleted) or finished (FORGETTING), and RELEASING or RECALLING
 * are left for the command, which finishes them (release, recall and
 * migrate finish a release; recall finishes a recall).
 */
#include <errno.h>
#include <string.h>
#include "ops/opsP.h"

/* Undo a MIGRATING or finish a FORGETTING left by a dead process. */
int
hsm_settle_stale(
	struct hsm_fileref	*f)
{
	int			error;

	switch (f->rec.pending) {
	case HSM_OP_MIGRATING:
	case HSM_OP_FORGETTING:
		error = hsm_fileref_del_copies(f);
		if (error)
			return error;
		if (f->rec.pending == HSM_OP_FORGETTING)
			hsm_fault(f->fs, "forget-deleted");
		f->rec.flags &= HSM_F_ADMIN;
		f->rec.pending = HSM_OP_NONE;
		memset(f->rec.copy, 0, sizeof(f->rec.copy));
		if (!f->rec.flags)
			return hsm_fileref_clear(f, HSM_DUR_BATCH);
		return hsm_fileref_commit(f, HSM_DUR_BATCH);
	default:
		return 0;
	}
}

int
hsm_settle_pending(
	struct hsm_fileref	*f)
{
	if (!f->has_rec || f->rec.pending == HSM_OP_NONE)
		return 0;
	if (hsm_fileref_pending_alive(f)) {
		hsm_fs_set_detail(f->fs, "%s in progress by pid %u",
				hsm_op_name(f->rec.pending), f->rec.owner_pid);
		return -EALREADY;
	}
	return hsm_settle_stale(f);
}
