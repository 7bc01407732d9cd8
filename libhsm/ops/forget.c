// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * forget.c - drop the store copy of resident files.
 *
 * The FORGETTING record clears ARCHIVED in the same write that names the
 * object as the one to delete: from then on the file relies on no copy
 * (DESIGN invariant 4), and a crash leaves a record that says which
 * object to finish deleting, so no orphan is left behind.  In a batch the
 * FORGETTING records are forced before any object is deleted (an object
 * deleted under a record that still says ARCHIVED would make the file
 * lost after a crash); the records are cleared once the deletes are done
 * and forced together at the end.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include "ops/opsP.h"

static int
forget_prepare(
	struct hsm_batch	*b,
	struct hsm_item		*it)
{
	struct hsm_fileref	*f = &it->f;
	int			error;

	(void)b;
	if ((f->has_rec && (f->rec.flags & HSM_F_RELEASED)) ||
	    f->rec.pending == HSM_OP_RELEASING ||
	    f->rec.pending == HSM_OP_RECALLING) {
		hsm_fs_set_detail(f->fs, "file is released: recall it first");
		return -EAGAIN;
	}
	if (!f->has_rec || f->rec.copy[0].state == HSM_COPY_NONE) {
		it->outcome = HSM_NOOP;
		return HSM_ITEM_DONE;
	}
	f->rec.flags &= HSM_F_ADMIN;
	f->rec.pending = HSM_OP_FORGETTING;
	error = hsm_fileref_commit(f, HSM_DUR_BATCH);
	if (error)
		return error;
	it->force_prepared = true;
	hsm_fault(f->fs, "forget-pending");
	return 0;
}

/* Delete the object (durable with the batch's store sync, before any
 * record stops naming it); if it fails, FORGETTING stays and the next run
 * finishes it. */
static int
forget_work(
	struct hsm_batch	*b,
	struct hsm_item		*it)
{
	int			error;

	(void)b;
	error = hsm_fileref_del_copies(&it->f);
	if (error) {
		hsm_fileref_abandon(&it->f);
		return error;
	}
	hsm_fault(it->f.fs, "forget-deleted");
	return 0;
}

/* The object is gone for good: the record stops naming it. */
static int
forget_seal(
	struct hsm_batch	*b,
	struct hsm_item		*it)
{
	struct hsm_fileref	*f = &it->f;
	int			error;

	(void)b;
	f->rec.flags &= HSM_F_ADMIN;
	f->rec.pending = HSM_OP_NONE;
	memset(f->rec.copy, 0, sizeof(f->rec.copy));
	if (!f->rec.flags)
		error = hsm_fileref_clear(f, HSM_DUR_BATCH);
	else
		error = hsm_fileref_commit(f, HSM_DUR_BATCH);
	if (error) {
		hsm_fileref_abandon(f);
		return error;
	}
	it->outcome = HSM_DONE;
	it->sealed = true;
	return 0;
}

const struct hsm_opdesc hsm_op_forget = {
	.code		= HSM_CMD_FORGET,
	.name		= "forget",
	.flags		= HSM_OPD_STORE,
	.oflags		= O_RDONLY,
	.prepare	= forget_prepare,
	.work		= forget_work,
	.seal		= forget_seal,
};
