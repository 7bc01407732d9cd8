/* SPDX-License-Identifier: GPL-2.0-or-later */
/* policy_journal.h - incremental candidate discovery (policy_journal.c). */
#ifndef XFS_HSM_POLICY_JOURNAL_H
#define XFS_HSM_POLICY_JOURNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <hsm.h>
#include "policy.h"

struct journal_plan {
	bool		use;		/* incremental, from the journal */
	char		why[256];	/* else: why a full scan */
	bool		known;		/* a position to save the set at: */
	int64_t		created_ns;	/*  the journal's creation */
	uint64_t	epoch;		/*  and its epoch opened now */
	uint64_t	from;		/* epochs from..epoch - 1 are read */
	int64_t		since_ns;	/* an entry whose ctime is older is
					 * as the saved set has it */
	struct hsm_jhandle *dirs;	/* the changed directories in them */
	size_t		ndirs;
};

/*
 * Close the journal's epoch (through the daemon) and decide: the saved
 * set @pc (or @cache_error, -ENOENT / -EUCLEAN with @cache_why, from
 * policy_cache_load) brought up to date from the journal, or a full scan
 * and why.  0 or -errno (out of memory).
 */
int policy_journal_plan(struct hsm_fs *fs, const struct space_policy *p,
			const struct policy_cache *pc, int cache_error,
			const char *cache_why, struct journal_plan *jp);
/* The inodes of every entry but the subdirectories of the changed
 * directories, sorted, each once.  0 or -errno. */
int policy_journal_inodes(struct hsm_fs *fs, const struct journal_plan *jp,
			  uint64_t **inos, size_t *n);
void policy_journal_free(struct journal_plan *jp);
/* Inode @ino as bulkstat sees it now: 0, 1 when it is gone, or -errno. */
int policy_stat_one(struct hsm_fs *fs, uint64_t ino, struct hsm_inode *in);
/* The same for each of the sorted @inos, to @fn (@in NULL: gone), in
 * as few bulkstat calls as their spread allows.  0 or the first -errno of
 * bulkstat or @fn. */
int policy_stat_each(struct hsm_fs *fs, const uint64_t *inos, size_t n,
		     int (*fn)(void *arg, uint64_t ino,
			       const struct hsm_inode *in), void *arg);

#endif
