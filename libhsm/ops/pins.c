// SPDX-License-Identifier: LGPL-2.1-or-later
/* pins.c - the administrator's flags: NORELEASE and NOARCHIVE pins, and
 * the per-file recall mode xfs_hsmd follows. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include "ops/opsP.h"

HSM_EXPORT int
hsm_set_pins(
	struct hsm_fs		*fs,
	const char		*path,
	unsigned		set,
	unsigned		clear)
{
	struct hsm_fileref	f;
	uint32_t		flags;
	int			error;

	fs->errdetail[0] = '\0';
	if (((set | clear) & ~HSM_F_ADMIN) ||
	    (set & HSM_F_RECALL_MODE) == HSM_F_RECALL_MODE)
		return -EINVAL;
	/* one recall mode at a time: setting one drops the other */
	if (set & HSM_F_RECALL_MODE)
		clear |= HSM_F_RECALL_MODE & ~set;
	error = hsm_fs_route(fs);
	if (error)
		return error;
	if (fs->route == HSM_ROUTE_DAEMON)
		return hsm_ctl_forward(fs, HSM_CTL_SETFLAGS, path,
				       set | clear << 16, NULL);
	error = hsm_fileref_open(fs, path, O_RDONLY, false, &f);
	if (error)
		return error;
	if (hsm_fileref_pending_alive(&f)) {
		hsm_fs_set_detail(fs, "%s in progress by pid %u",
				hsm_op_name(f.rec.pending), f.rec.owner_pid);
		error = -EALREADY;
		goto out_close;
	}
	flags = (f.rec.flags | set) & ~clear;
	if (flags == f.rec.flags && f.has_rec)
		goto out_close;
	f.rec.flags = flags;
	/* a record holding nothing but cleared pins goes away */
	if (!flags && hsm_oid_is_zero(f.rec.oid) &&
	    f.rec.pending == HSM_OP_NONE)
		error = f.has_rec ? hsm_fileref_clear(&f) : 0;
	else
		error = hsm_fileref_commit(&f);
out_close:
	hsm_fileref_close(&f);
	return error;
}
