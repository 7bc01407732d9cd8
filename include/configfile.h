/* SPDX-License-Identifier: GPL-2.0-or-later */
/* configfile.h - where xfs_hsm.conf(5) is, for every program reading it. */
#ifndef XFS_HSM_CONFIGFILE_H
#define XFS_HSM_CONFIGFILE_H

#define HSM_CONFIG_FILE	"/etc/xfs-hsm/xfs_hsm.conf"

#endif
