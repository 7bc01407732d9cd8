/* SPDX-License-Identifier: GPL-2.0-or-later */
/* changes.h - what the parts of xfs_hsm changes share. */
#ifndef XFS_HSM_CHANGES_H
#define XFS_HSM_CHANGES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <hsm.h>

/* pathset.c: a set of paths, each once, in byte order once sorted. */
struct pathset {
	char		**path;
	size_t		n, cap;
	bool		sorted;
};
/* Add a copy of @p; -ENOMEM. */
int pathset_add(struct pathset *s, const char *p);
/* Add @p and every directory above it up to @top (included). */
int pathset_add_with_parents(struct pathset *s, const char *p,
			     const char *top);
void pathset_sort(struct pathset *s);	/* and drop duplicates */
bool pathset_has(struct pathset *s, const char *p);
void pathset_free(struct pathset *s);

/*
 * changes_scan.c: the fallback.  The directories of @fs that hold an
 * entry changed (ctime) at or after @since_ns, with their ancestors, into
 * @dirs: a bulkstat ctime scan finds the changed inodes, then one walk
 * that reads directories only finds where they are.  *@inodes gets the
 * number of changed inodes.  0 or -errno.
 */
int changes_scan(struct hsm_fs *fs, int64_t since_ns, struct pathset *dirs,
		 uint64_t *inodes);

#endif
