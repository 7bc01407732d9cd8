// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * store_users.c - the files whose records name a store: what draining it
 * must move, and what must be none before it is removed.  One bulkstat
 * walk; a record is read only where one can be (record_rule.c).  A bad or
 * unreadable record counts as naming the store: removing a store on a
 * guess could lose the only copy of a file.
 */
#include <errno.h>
#include <sys/stat.h>
#include "ops/opsP.h"

HSM_EXPORT int
hsm_fs_store_users(
	struct hsm_fs		*fs,
	uint32_t		id,
	hsm_inode_fn		fn,
	void			*arg,
	uint64_t		*count)
{
	struct hsm_bulkstat_ahead *ra;
	struct hsm_record_rule	rule;
	const struct hsm_inode	*in;
	struct hsm_record	rec;
	unsigned		nr, i, k;
	int			error, rc;

	*count = 0;
	error = hsm_fs_record_rule(fs, &rule);
	if (error)
		return error;
	error = hsm_bulkstat_ahead_open(fs, HSM_BULKSTAT_ALL_AGS, 0, 0, &ra);
	if (error)
		return error;
	while ((rc = hsm_bulkstat_ahead_next(ra, &in, &nr, NULL)) == 0) {
		for (i = 0; i < nr; i++) {
			if (!S_ISREG(in[i].mode) ||
			    !hsm_inode_may_hold_record(&rule, &in[i]))
				continue;
			rc = hsm_inode_read_record(fs, &in[i], &rec);
			if (rc == 1 || rc == -ESTALE)
				continue;	/* none, or gone */
			/* a record that cannot be read may name it: counted,
			 * and handed over (whose operation then says why) */
			for (k = 0; !rc && k < HSM_COPIES_MAX; k++)
				if (rec.copy[k].state != HSM_COPY_NONE &&
				    rec.copy[k].store_id == id)
					break;
			if (k == HSM_COPIES_MAX)
				continue;
			(*count)++;
			if (fn) {
				error = fn(&in[i], arg);
				if (error)
					goto out;
			}
		}
	}
	if (rc < 0)
		error = rc;
out:
	hsm_bulkstat_ahead_free(ra);
	return error;
}
