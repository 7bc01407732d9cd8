// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * upgrade.c - HSM_CMD_UPGRADE: rewrite a v1 record as v2, and say in the
 * binding, once none is left, that the filesystem holds v2 records only.
 *
 * The record keeps what it says; only its layout changes.  XFS replaces an
 * attribute value atomically, so after a crash a file has either record,
 * and both are read everywhere: a filesystem with mixed records is right
 * at every moment, and an interrupted upgrade is finished by running it
 * again.  The rewrite is one record write of the batch (BATCH).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ops/opsP.h"

static int
upgrade_prepare(
	struct hsm_batch	*b,
	struct hsm_item		*it)
{
	struct hsm_fileref	*f = &it->f;
	int			error;

	(void)b;
	error = hsm_fileref_lease_record(f, "upgraded");
	if (error)
		return error;
	if (!f->has_rec || f->rec.version >= HSM_RECORD_VERSION) {
		it->outcome = HSM_NOOP;
		return HSM_ITEM_DONE;
	}
	error = hsm_fileref_commit(f, HSM_DUR_BATCH);
	if (error)
		return error;
	hsm_fault(f->fs, "upgrade-written");
	it->outcome = HSM_DONE;
	it->sealed = true;
	return HSM_ITEM_DONE;
}

const struct hsm_opdesc hsm_op_upgrade = {
	.code		= HSM_CMD_UPGRADE,
	.name		= "upgrade",
	.flags		= HSM_OPD_INODES | HSM_OPD_NOSETTLE,
	.oflags		= O_RDONLY,
	.prepare	= upgrade_prepare,
};

HSM_EXPORT int
hsm_fs_mark_records_v2(
	struct hsm_fs		*fs)
{
	struct hsm_binding	*b;
	int			error;

	if (!fs->binding)
		return -ENOLINK;	/* nothing bound: nothing to say */
	if (fs->records_v2)
		return 1;
	/*
	 * The line relies on the records the batches rewrote: they were
	 * logged before it, and XFS recovers its log in order, so they are
	 * durable before or with it.
	 */
	hsm_fault(fs, "upgrade-mark");
	b = malloc(sizeof(*b));
	if (!b)
		return -ENOMEM;
	*b = *fs->binding;
	b->records_v2 = true;
	error = hsm_fs_write_binding(fs, b);
	free(b);
	return error;
}
