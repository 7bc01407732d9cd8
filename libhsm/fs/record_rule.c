// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * record_rule.c - which inodes can hold a record, from bulkstat alone.
 *
 * An XFS attribute fork is either local ("shortform", inside the inode)
 * or a block mapping (bulkstat's bs_aextents > 0), which may hold
 * anything.  A shortform fork lies between the fork offset and the end
 * of the inode's literal area, so it holds at most
 *
 *	literal area - fork offset
 *
 * bytes: a 4-byte header (xfs_attr_sf_hdr), then per attribute a 3-byte
 * entry header (xfs_attr_sf_entry), the name and the value.  trusted.hsm
 * is the name "hsm" in the root namespace, so a record of N bytes needs
 * 4 + 3 + 3 + N bytes of fork.  An inode whose local fork is smaller
 * cannot hold one, and the scan need not ask.  The literal area is the
 * inode size less the inode core: 176 bytes for the v3 inodes of a v5
 * filesystem, 100 before.  doc/design.md, "Which inodes can hold a
 * record", has the whole argument.
 *
 * The smallest record that may exist decides: 128 bytes while v1 records
 * may be left (and then a new 512-byte inode's 144-byte fork can hold
 * one: nothing but fork-less inodes is excluded), 160 once the binding
 * says "records 2".
 */
#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>
#include <xfs/xfs.h>
#include "fs/fsP.h"

#define SF_HDR_SIZE		4	/* xfs_attr_sf_hdr */
#define SF_ENTRY_HDR_SIZE	3	/* namelen, valuelen, flags */
#define DINODE_CORE_V3		176	/* struct xfs_dinode, v5 filesystems */
#define DINODE_CORE_V2		100

HSM_EXPORT int
hsm_fs_record_rule(
	struct hsm_fs		*fs,
	struct hsm_record_rule	*rule)
{
	struct xfs_fsop_geom	geo;
	unsigned		core, rec;

	memset(&geo, 0, sizeof(geo));
	if (ioctl(fs->mntfd, XFS_IOC_FSGEOMETRY, &geo) < 0)
		return -errno;
	core = (geo.flags & XFS_FSOP_GEOM_FLAGS_V5SB) ? DINODE_CORE_V3 :
							DINODE_CORE_V2;
	if (geo.inodesize <= core)
		return -EUCLEAN;
	rec = fs->records_v2 ? HSM_RECORD_SIZE : HSM_RECORD_V1_SIZE;
	memset(rule, 0, sizeof(*rule));
	rule->inodesize = geo.inodesize;
	rule->literal = geo.inodesize - core;
	rule->need = SF_HDR_SIZE + SF_ENTRY_HDR_SIZE +
		     strlen(HSM_XATTR_RECORD) - strlen("trusted.") + rec;
	rule->v2_only = fs->records_v2;
	return 0;
}

HSM_EXPORT bool
hsm_inode_may_hold_record(
	const struct hsm_record_rule *rule,
	const struct hsm_inode	*in)
{
	if (in->forkoff == 0)
		return false;		/* no attribute fork at all */
	if (in->aextents > 0)
		return true;		/* out of the inode: anything */
	if (in->forkoff >= rule->literal)
		return true;		/* not a layout we know: ask */
	return rule->literal - in->forkoff >= rule->need;
}
