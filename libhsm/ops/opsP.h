/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * opsP.h - the operations on files: migrate, release, recall, forget,
 * pins, repair, audit, and the settle rule for pending operations left
 * by dead processes.  Depends on fs/, store/ and ctl/.
 */
#ifndef LIBHSM_OPSP_H
#define LIBHSM_OPSP_H

#include "ctl/ctlP.h"

/* ---- internal operation steps --------------------------------------- */

/* Release @f (opened O_RDWR, WRLCK held).  @sealed_ctime, when not NULL,
 * is the ctime observed right after this process sealed the copy; if
 * the file still has it, the data is known unchanged without re-reading.
 */
int hsm_release_locked(struct hsm_fileref *f,
		       const struct timespec *sealed_ctime,
		       struct hsm_result *res);

/* Recall every chunk not yet resident (f opened O_RDWR, WRLCK held). */
int hsm_recall_locked(struct hsm_fileref *f, struct hsm_result *res);

/*
 * Settle a pending op left by a dead process, as DESIGN prescribes:
 * MIGRATING is undone (partial object deleted), FORGETTING finished.
 * RELEASING and RECALLING are left to the callers that can finish them.
 * Returns 0 or -errno.
 */
int hsm_settle_stale(struct hsm_fileref *f);

#endif /* LIBHSM_OPSP_H */
