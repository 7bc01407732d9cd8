// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * forget.c - drop the store copy of a resident file.
 *
 * The FORGETTING record clears ARCHIVED in the same write that names the
 * object as the one to delete: from then on the file relies on no copy
 * (DESIGN invariant 4), and a crash leaves a record that says which
 * object to finish deleting, so no orphan is left behind.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include "ops/opsP.h"

HSM_EXPORT int
hsm_forget(
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
		return hsm_ctl_forward(fs, HSM_CTL_FORGET, path, 0, res);
	error = hsm_fs_open_store(fs);
	if (error)
		return error;
	error = hsm_fileref_open(fs, path, O_RDONLY, false, &f);
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
		if (f.rec.pending == HSM_OP_FORGETTING) {
			error = hsm_settle_stale(&f);
			goto out_close;
		}
		error = hsm_settle_stale(&f);
		if (error)
			goto out_close;
	}
	if ((f.has_rec && (f.rec.flags & HSM_F_RELEASED)) ||
	    f.rec.pending == HSM_OP_RELEASING ||
	    f.rec.pending == HSM_OP_RECALLING) {
		hsm_fs_set_detail(fs, "file is released: recall it first");
		error = -EAGAIN;
		goto out_close;
	}
	if (!f.has_rec || hsm_oid_is_zero(f.rec.oid)) {
		res->outcome = HSM_NOOP;
		goto out_close;
	}
	f.rec.flags &= HSM_F_ADMIN;
	f.rec.pending = HSM_OP_FORGETTING;
	error = hsm_fileref_commit(&f);
	if (error)
		goto out_close;
	hsm_fault(fs, "forget-pending");
	/* deletes the object, then clears the record; if the delete
	 * fails, FORGETTING stays and the next run finishes it */
	error = hsm_settle_stale(&f);
	if (error)
		hsm_fileref_abandon(&f);
	else
		res->outcome = HSM_DONE;
out_close:
	hsm_fileref_close(&f);
	return error;
}
