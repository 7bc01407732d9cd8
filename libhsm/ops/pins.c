// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * pins.c - the administrator's flags: NORELEASE and NOARCHIVE pins, and
 * the per-file recall mode xfs_hsmd follows.  One record write per file,
 * forced with the batch.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include "ops/opsP.h"

/* The flags of a pins batch: what to set and clear, checked. */
static int
pins_flags(
	unsigned		flags,
	unsigned		*set,
	unsigned		*clear)
{
	*set = flags & 0xffff;
	*clear = flags >> 16;
	if (((*set | *clear) & ~HSM_F_ADMIN) ||
	    (*set & HSM_F_RECALL_MODE) == HSM_F_RECALL_MODE)
		return -EINVAL;
	/* one recall mode at a time: setting one drops the other */
	if (*set & HSM_F_RECALL_MODE)
		*clear |= HSM_F_RECALL_MODE & ~*set;
	return 0;
}

static int
pins_prepare(
	struct hsm_batch	*b,
	struct hsm_item		*it)
{
	struct hsm_fileref	*f = &it->f;
	unsigned		set, clear;
	uint32_t		flags;
	int			error;

	error = pins_flags(b->flags, &set, &clear);
	if (error)
		return error;
	if (hsm_fileref_pending_alive(f)) {
		hsm_fs_set_detail(f->fs, "%s in progress by pid %u",
				hsm_op_name(f->rec.pending), f->rec.owner_pid);
		return -EALREADY;
	}
	flags = (f->rec.flags | set) & ~clear;
	if (flags == f->rec.flags && f->has_rec) {
		it->outcome = HSM_NOOP;
		return HSM_ITEM_DONE;
	}
	f->rec.flags = flags;
	/* a record holding nothing but cleared pins goes away */
	if (!flags && hsm_oid_is_zero(f->rec.copy[0].oid) &&
	    f->rec.pending == HSM_OP_NONE)
		error = f->has_rec ? hsm_fileref_clear(f, HSM_DUR_BATCH) : 0;
	else
		error = hsm_fileref_commit(f, HSM_DUR_BATCH);
	if (error)
		return error;
	it->outcome = HSM_DONE;
	it->sealed = true;
	return HSM_ITEM_DONE;
}

const struct hsm_opdesc hsm_op_pins = {
	.code		= HSM_CMD_PINS,
	.name		= "pins",
	.flags		= HSM_OPD_NOSETTLE,
	.oflags		= O_RDONLY,
	.prepare	= pins_prepare,
};
