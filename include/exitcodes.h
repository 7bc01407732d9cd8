/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * exitcodes.h - exit status of every xfs-hsm tool: a bitmask, summed like
 * fsck's and xfs_scrub's.
 */
#ifndef XFS_HSM_EXITCODES_H
#define XFS_HSM_EXITCODES_H

#define HSM_EX_OK		0	/* nothing wrong */
#define HSM_EX_PROBLEMS		1	/* a file refused or failed, bad record */
#define HSM_EX_REPAIRED		2	/* problems found and repaired */
#define HSM_EX_OPERATIONAL	4	/* not XFS, store unusable, not root */
#define HSM_EX_USAGE		8	/* bad command line */

#endif
