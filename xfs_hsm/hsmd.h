/* SPDX-License-Identifier: GPL-2.0-or-later */
/* hsmd.h - what the parts of xfs_hsmd share. */
#ifndef XFS_HSM_HSMD_H
#define XFS_HSM_HSMD_H

#include <stdbool.h>
#include <hsm.h>
#include "exitcodes.h"

#define HSMD_NAME	"xfs_hsmd"
#define HSMD_CONFIG	"/etc/xfs-hsm/xfs_hsmd.conf"
#define HSMD_READAHEAD	4	/* units, range mode */

struct hsmd_opts {
	const char	*mnt;
	const char	*config;	/* NULL: HSMD_CONFIG if it exists */
	bool		config_given;
	bool		foreground;
	int		verbose;
	struct hsm_server_config cfg;
	/* what the command line set, over the config file */
	unsigned	set;
};

enum {
	SET_MODE	= (1U << 0),
	SET_WORKERS	= (1U << 1),
	SET_CHUNK	= (1U << 2),
	SET_READAHEAD	= (1U << 3),
	SET_TIMEOUT	= (1U << 4),
};

/* hsmd_config.c: one "key = value" setting; -EINVAL names nothing, the
 * caller reports.  Also used for the command line's values. */
int hsmd_set(struct hsm_server_config *cfg, const char *key,
	     const char *value);
/* Read the config file's [xfs_hsmd] and [MOUNT] sections, keeping what
 * the command line set.  0, or 1 after reporting an error. */
int hsmd_read_config(struct hsmd_opts *o);

/* hsmd_log.c */
void hsmd_log_init(bool foreground, int verbose);
void hsmd_log(void *arg, int level, const char *msg);
void hsmd_logf(int level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* hsmd_fdstore.c: the group and the event table in the service manager's
 * fd store.  take: 1 when a dead daemon's were handed back (the group is
 * marked again), 0 when none, -errno; give: store them (logs when there
 * is no service manager); drop: take them out (a clean stop). */
int hsmd_fdstore_take(int *group_fd, struct hsm_evtab **t);
void hsmd_fdstore_give(int group_fd, struct hsm_evtab *t);
void hsmd_fdstore_drop(void);

/* hsmd_supervise.c: hold the group, run and replace the worker. */
int hsmd_supervise(struct hsmd_opts *o, struct hsm_fs *fs, int group_fd,
		   struct hsm_evtab *t);

#endif
