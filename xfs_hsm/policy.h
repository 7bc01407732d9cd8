/* SPDX-License-Identifier: GPL-2.0-or-later */
/* policy.h - the space policy of xfs_hsm policy (xfs_hsm.conf(5)). */
#ifndef XFS_HSM_POLICY_H
#define XFS_HSM_POLICY_H

#include <stdbool.h>
#include <stdint.h>
#include <hsm.h>
#include "configfile.h"

#define POLICY_CONFIG	HSM_CONFIG_FILE
#define POLICY_IDS_MAX	64

/* A watermark: a percentage of the filesystem, or used bytes. */
struct watermark {
	bool		percent;
	double		value;		/* percent, or bytes */
};

struct space_policy {
	struct watermark high, low, premigrate;
	bool		premigrate_set;	/* off unless given */
	uint64_t	min_age;	/* seconds */
	uint64_t	min_size;	/* bytes */
	double		age_weight;	/* per day of age */
	double		size_weight;	/* per MiB */
	uint64_t	max_files;	/* per run, 0: no limit */
	uint64_t	max_bytes;
	uint64_t	check_interval;	/* seconds, for xfs_hsmd */
	unsigned	copies;		/* a migrate's copies (0: one) */
	uint64_t	orphan_grace;	/* xfs_hsmscan --gc's, seconds */
	uint64_t	deleted_retention;
	uint64_t	full_scan_interval; /* seconds, 0: always a full scan */
	unsigned	repack_threshold; /* percent live, below: repack */
	uint32_t	excl_uid[POLICY_IDS_MAX], excl_gid[POLICY_IDS_MAX],
			excl_proj[POLICY_IDS_MAX];
	unsigned	n_uid, n_gid, n_proj;
};

/*
 * What xfs_hsmd's policy runs did (policy_runs.c): kept by its supervisor
 * in POLICY_RUNS_DIR/<fs-uuid>.policy, read by xfs_hsm stats.  Times are
 * unix seconds (0: never); last_exit is the run's exit status, 128 + the
 * signal that killed it.
 */
#define POLICY_RUNS_DIR	"/run/xfs-hsm"
struct policy_runs {
	uint64_t	runs, failed;	/* started; exit beyond 0 and 1 */
	int64_t		last_start, last_end;
	int		last_exit;
	int		running;	/* 1 while a run runs */
};
int policy_runs_write(const char *uuid, const struct policy_runs *r);
/* 0, or -ENOENT when no daemon keeps one (no policy, or not started) */
int policy_runs_read(const char *uuid, struct policy_runs *r);
void policy_runs_remove(const char *uuid);

/* The recall admission rules, [recall NAME] sections (admit_config.c). */
struct admit_rules {
	struct hsm_admit_rule rule[HSM_ADMIT_RULES_MAX];
	unsigned	n;
};
/* Set @key of rule @name: -ENOENT unknown key, -EINVAL bad value,
 * -E2BIG one rule too many, -ENAMETOOLONG a bad name. */
int admit_set(struct admit_rules *ar, const char *name, const char *key,
	      const char *value);
/* What is wrong with the rules as a whole (*@name: which), or NULL. */
const char *admit_check(const struct admit_rules *ar, const char **name);
void admit_rules_free(struct admit_rules *ar);

/* policy_config.c: read @file ([space], then [@mnt] over it; the
 * [recall NAME] rules into @ar, or only checked if NULL).  Prints
 * "FILE:LINE: [SECTION] KEY: why" for what is wrong.  @must_exist:
 * the file was named on the command line.  Return: 0, or -1 (printed). */
int policy_read(const char *file, bool must_exist, const char *mnt,
		struct space_policy *p, struct admit_rules *ar);
void policy_defaults(struct space_policy *p);
/* A watermark in bytes of a filesystem of @total bytes. */
uint64_t watermark_bytes(const struct watermark *w, uint64_t total);

/* What a run may do to one file. */
enum cand_action {
	ACT_NONE = 0,
	ACT_RELEASE,		/* archived and clean: instant */
	ACT_MIGRATE,		/* archive, then release */
	ACT_PREMIGRATE,		/* archive only (--keep) */
};

struct candidate {
	uint64_t	ino;
	uint32_t	gen;
	uint32_t	state;		/* HSM_STATE_* */
	bool		dirty;
	uint64_t	size;
	uint64_t	resident;	/* bytes a release frees */
	int64_t		last;		/* max(atime, mtime), seconds */
	int64_t		age;		/* seconds since then */
	double		score;
	enum cand_action can;		/* what it may have */
	enum cand_action action;	/* what a run chose for it */
	bool		has_record;
	int		error;		/* the run's result */
	bool		done;
	bool		skip;		/* younger than min_age, or gone:
					 * known, but no candidate now */
	bool		verified;	/* read live in this run */
};

/* policy_select.c */
struct space_now {
	uint64_t	total, used;	/* bytes */
};
enum trigger {
	TRIGGER_NONE = 0,
	TRIGGER_HIGH,		/* above the high mark */
	TRIGGER_PREMIGRATE,	/* above the premigrate mark only */
};
/* Can @in be a candidate at all, by what bulkstat says (type, owner,
 * project, size, age, blocks)?  The record is read only where it is. */
bool policy_may_consider(const struct space_policy *p, int64_t now,
			 const struct hsm_inode *in);
/* Can @in be a candidate, and for what?  Fills @c (score too). */
bool policy_consider(const struct space_policy *p, int64_t now,
		     const struct hsm_inode *in, const struct hsm_status *st,
		     bool has_status, struct candidate *c);
/* A policy without min_age: what the saved set keeps (the young files
 * too, since they age into candidates without any change). */
void policy_sans_age(const struct space_policy *p, struct space_policy *q);
/* Age and score of @c at @now; skip if younger than min_age. */
void policy_age(const struct space_policy *p, int64_t now, struct candidate *c);
/* Rank @cands and choose what to do (action set on the chosen, ACT_NONE
 * on the rest; those with done or error set are passed over).  Returns
 * the trigger; *@want is the bytes the run aims to free (high) or to
 * make dual-state (premigrate). */
enum trigger policy_choose(const struct space_policy *p,
			   const struct space_now *sp, uint64_t dual_bytes,
			   struct candidate *cands, size_t n, uint64_t *want);

/*
 * policy_cache.c: the candidate set of the last run, saved under the
 * state directory ("<statedir>/<uuid>.policy") with the change journal's
 * epoch it is valid from.
 */
struct policy_cache {
	uint64_t	fingerprint;	/* of the filters it was built with */
	int64_t		journal_created_ns; /* which journal */
	uint64_t	epoch;		/* changes from this epoch on are not
					 * in it: read them from the journal */
	int64_t		scanned_ns;	/* the last full scan */
	struct candidate *c;
	size_t		n;
};
/* What the saved set depends on besides the files: the filters. */
uint64_t policy_fingerprint(const struct space_policy *p);
/* 0; -ENOENT none; -EUCLEAN not ours or corrupt (*@why says how);
 * other -errno. */
int policy_cache_load(struct hsm_fs *fs, struct policy_cache *pc,
		      const char **why);
/* Write it whole, by rename; 0 or -errno. */
int policy_cache_save(struct hsm_fs *fs, const struct policy_cache *pc);
void policy_cache_path(struct hsm_fs *fs, char *buf, size_t size);

#endif
