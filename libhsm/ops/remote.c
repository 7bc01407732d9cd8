// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * remote.c - run a batch in the daemon that serves the filesystem.
 *
 * The items go over the control socket, as many per round trip as fit a
 * message, and the daemon runs them through the same table (srv_ctl.c).
 * One bad item never fails the others; a lost connection fails what was
 * not answered.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ops/opsP.h"

/* Put item @it into @m; 0, -ENOSPC when the message is full, or -errno
 * for an item that cannot be sent (it failed). */
static int
put_item(
	struct hsm_ctl_msg	*m,
	struct hsm_item		*it)
{
	struct hsm_ctl_item	ci = { .kind = HSM_CTL_ITEM_INODE };
	char			abs[PATH_MAX];
	int			error;

	if (it->path) {
		error = hsm_abs_path(it->path, abs, sizeof(abs));
		if (error)
			return error;
		ci.kind = HSM_CTL_ITEM_PATH;
		ci.path = abs;
		ci.plen = strlen(abs);
		if (it->nranges) {
			ci.kind = HSM_CTL_ITEM_RANGES;
			ci.nranges = it->nranges;
			memcpy(ci.ranges, it->ranges,
			       it->nranges * sizeof(*it->ranges));
		}
	} else {
		ci.ino = it->ino;
		ci.gen = it->gen;
		memcpy(ci.oid, it->oid, HSM_OID_LEN);
	}
	return hsm_ctl_put_item(m, &ci);
}

/* Take the daemon's results for the items of @sent. */
static int
take_results(
	struct hsm_batch	*b,
	struct hsm_ctl_msg	*m,
	struct hsm_item		**sent,
	size_t			nsent)
{
	struct hsm_ctl_result	r;
	size_t			pos = 0, i;
	int			rc;

	for (i = 0; i < nsent; i++) {
		struct hsm_item *it = sent[i];

		rc = hsm_ctl_get_result(m, &pos, &r);
		if (rc) {
			hsm_fs_set_detail(b->fs, "xfs_hsmd sent a malformed "
					"answer");
			return -EBADMSG;
		}
		it->outcome = r.outcome;
		it->bytes = r.bytes;
		it->repair_action = r.repair_action;
		it->repair_op = r.repair_op;
		if (r.ino)
			it->ino = r.ino;
		if (r.gen)
			it->gen = r.gen;
		if (r.error) {
			hsm_fs_set_detail(b->fs, "%.*s", (int)r.dlen,
					r.detail);
			hsm_item_fail(it, r.error);
		}
		it->finished = true;
	}
	return 0;
}

int
hsm_batch_run_remote(
	struct hsm_batch	*b)
{
	struct hsm_ctl_msg	*m;
	struct hsm_item		**sent;
	size_t			next = 0, nsent;
	int			error = 0;

	m = malloc(sizeof(*m));
	sent = calloc(b->nitems, sizeof(*sent));
	if (!m || !sent) {
		free(m);
		free(sent);
		return -ENOMEM;
	}
	while (next < b->nitems && !error) {
		hsm_ctl_batch_start(m, b->op->code);
		m->flags = b->flags;
		for (nsent = 0; next < b->nitems; next++) {
			struct hsm_item *it = b->items[next];
			int rc = put_item(m, it);

			if (rc == -ENOSPC && nsent)
				break;
			if (rc) {
				hsm_fs_set_detail(b->fs, "%s", strerror(-rc));
				hsm_item_fail(it, rc);
				continue;
			}
			sent[nsent++] = it;
		}
		if (!nsent)
			continue;
		error = hsm_ctl_call(b->fs, m);
		if (!error && m->error)
			error = m->error;
		if (!error)
			error = take_results(b, m, sent, nsent);
	}
	free(sent);
	free(m);
	return error;
}
