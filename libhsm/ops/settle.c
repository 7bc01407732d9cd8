// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * settle.c - the rule for a pending operation whose owner is gone.
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
		error = hsm_fileref_del_object(f, f->rec.oid);
		if (error && error != -ENOENT)
			return error;
		if (f->rec.pending == HSM_OP_FORGETTING)
			hsm_fault(f->fs, "forget-deleted");
		f->rec.flags &= HSM_F_ADMIN;
		f->rec.pending = HSM_OP_NONE;
		memset(f->rec.oid, 0, HSM_OID_LEN);
		if (!f->rec.flags)
			return hsm_fileref_clear(f);
		return hsm_fileref_commit(f);
	default:
		return 0;
	}
}

