/* SPDX-License-Identifier: GPL-2.0-or-later */
/* hsmd.h - what the parts of xfs_hsmd share. */
#ifndef XFS_HSM_HSMD_H
#define XFS_HSM_HSMD_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <hsm.h>
#include "exitcodes.h"
#include "policy.h"

#define HSMD_NAME	"xfs_hsmd"
#define HSMD_CONFIG	"/etc/xfs-hsm/xfs_hsmd.conf"
#define HSMD_READAHEAD	4	/* units, range mode */
#define HSMD_RETENTION	(7 * 86400) /* closed journal epochs kept, s */

/* hsmd_policy.c: `xfs_hsm policy` every check_interval. */
struct hsmd_policy {
	bool		on;
	char		file[PATH_MAX];
	char		tool[PATH_MAX];
	int64_t		interval_ms, next_ms;	/* CLOCK_MONOTONIC */
	pid_t		pid;			/* the run, or -1 */
	int		outfd;			/* its output (a memfd) */
	char		uuid[40];		/* the filesystem's */
	struct policy_runs runs;		/* for xfs_hsm stats */
};

struct hsmd_opts {
	const char	*mnt;
	const char	*uuid;		/* the filesystem's */
	const char	*config;	/* NULL: HSMD_CONFIG if it exists */
	const char	*policy_config;	/* NULL: xfs_hsm.conf if it exists */
	bool		config_given;
	bool		foreground;
	bool		no_journal;	/* --no-journal */
	uint64_t	journal_retention; /* seconds, 0: keep every epoch */
	int		verbose;
	struct hsm_server_config cfg;
	/* what the command line set, over the config file */
	unsigned	set;
	struct hsmd_policy policy;
};

enum {
	SET_MODE	= (1U << 0),
	SET_WORKERS	= (1U << 1),
	SET_CHUNK	= (1U << 2),
	SET_READAHEAD	= (1U << 3),
	SET_TIMEOUT	= (1U << 4),
	SET_RETENTION	= (1U << 5),
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
 * is no service manager); drop: take them out (a clean stop).  The change
 * journal's group (*journal_fd, -1 if none) is taken whatever the rest. */
int hsmd_fdstore_take(int *group_fd, struct hsm_evtab **t, int *journal_fd);
void hsmd_fdstore_give(int group_fd, struct hsm_evtab *t);
void hsmd_fdstore_give_journal(int fd);
void hsmd_fdstore_drop(void);

void hsmd_policy_init(struct hsmd_opts *o, struct hsmd_policy *p);
/* ms until the next run is due (0: now), -1 for none to wait for */
long hsmd_policy_wait_ms(const struct hsmd_policy *p);
/* Start a run if one is due and none runs. */
void hsmd_policy_start(struct hsmd_policy *p, const char *mnt);
/* Reap the run if it ended (true), logging its summary. */
bool hsmd_policy_reap(struct hsmd_policy *p);
/* A recall found the filesystem full: run now, unless a run runs. */
void hsmd_policy_now(struct hsmd_policy *p, const char *mnt);
/* Stop a run in progress (SIGTERM) and reap it. */
void hsmd_policy_stop(struct hsmd_policy *p);

/* hsmd_supervise.c: hold the group, run and replace the worker. */
int hsmd_supervise(struct hsmd_opts *o, struct hsm_fs *fs, int group_fd,
		   struct hsm_evtab *t, int journal_fd);

#endif
