/* SPDX-License-Identifier: GPL-2.0-or-later */
/* xfs_hsm.h - what the xfs_hsm subcommands share. */
#ifndef XFS_HSM_XFS_HSM_H
#define XFS_HSM_XFS_HSM_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>
#include <hsm.h>
#include "exitcodes.h"

#ifndef PROGNAME		/* xfs_hsmscan builds the config reader too */
#define PROGNAME	"xfs_hsm"
#endif
#include "usage.h"		/* errtryhelp() */

extern int exitcode;		/* HSM_EX_* bits collected so far */
extern int verbose;

struct cmdinfo {
	const char	*name;
	int		(*fn)(int argc, char **argv);
	const char	*args;
	const char	*oneline;
	void		(*help)(void);
};

/* The subcommands (one file each). */
int init_f(int argc, char **argv);
void init_help(void);
int migrate_f(int argc, char **argv);
void migrate_help(void);
int release_f(int argc, char **argv);
void release_help(void);
int recall_f(int argc, char **argv);
void recall_help(void);
int forget_f(int argc, char **argv);
void forget_help(void);
int status_f(int argc, char **argv);
void status_help(void);
/* statusmap.c: status --map of one file (@first: none printed yet) */
void status_map_file(const char *path, bool named, bool json, bool *first);
int set_f(int argc, char **argv);
void set_help(void);
int clear_f(int argc, char **argv);
void clear_help(void);
int stats_f(int argc, char **argv);
void stats_help(void);
/* stats_prom.c: stats --prometheus (@st NULL: no daemon serves @fs) */
void stats_prometheus(struct hsm_fs *fs, const struct hsm_server_stats *st);
int policy_f(int argc, char **argv);
void policy_help(void);
int changes_f(int argc, char **argv);
void changes_help(void);

/* init.c: why binding store @spec to @mnt failed ("cannot VERB ..."). */
void report_bind_error(const char *verb, const char *mnt, const char *spec,
		       int error);
int store_f(int argc, char **argv);
void store_help(void);
int import_f(int argc, char **argv);
void import_help(void);
int undelete_f(int argc, char **argv);
void undelete_help(void);

/* main.c */
void require_root(void);

/* The filesystem of a path, opened once per device.  NULL when it
 * cannot be used; the reason was printed once and exitcode set. */
struct hsm_fs *fs_for_path(const char *path, bool need_store);
/* The same for a path whose lstat the caller has (a walk). */
struct hsm_fs *fs_for_stat(const char *path, const struct stat *st,
			   bool need_store);
/* The same for a path named on the command line (a mount point): a path
 * that cannot be reached is reported here. */
struct hsm_fs *fs_named(const char *path, bool need_store);
void fs_cache_free(void);
/* Why an operation on one file failed, for "cannot VERB 'PATH': WHY". */
const char *file_error_reason(struct hsm_fs *fs, int error);
void report_file_error(const char *verb, const char *path,
		       struct hsm_fs *fs, int error);

/* walk.c: call @fn for each regular file named (@named), or found (each
 * inode once) under a named directory with @recursive, with its lstat.
 * Returns the number of paths refused (reported already). */
typedef void (*walk_fn)(const char *path, const struct stat *st,
			bool named, void *arg);
unsigned long walk_paths(const char *verb, char **paths, int npaths,
			 bool recursive, walk_fn fn, void *arg);

/* batchrun.c: a libhsm command over the files of a walk, in batches. */
struct batch_run {
	const char	*verb;
	enum hsm_command cmd;
	unsigned	flags;
	unsigned	copies;		/* migrate: 0, each fs's default */
	const char	*config;	/* where that default is (or NULL) */
	bool		need_store;
	struct hsm_batch_limits limits;
	/* recall --range: only the chunks covering these bytes */
	struct hsm_range ranges[HSM_RANGES_MAX];
	size_t		nranges;
	/* what a file that went right prints (with -v, usually) */
	void		(*report)(struct batch_run *run,
				  const struct hsm_item_result *r);
	void		*arg;
	/* private */
	struct progress	*progress;
	struct fs_batch	*batches;
	bool		failed_once;
};
void batch_run_paths(struct batch_run *run, char **paths, int npaths,
		     bool recursive);
/* The --jobs and --batch-* options, for getopt_long's table. */
#define BATCH_LONGOPTS \
	{ "jobs",		required_argument, NULL, 'j' }, \
	{ "batch-files",	required_argument, NULL, 'F' }, \
	{ "batch-size",		required_argument, NULL, 'S' }, \
	{ "batch-time",		required_argument, NULL, 'T' }
/* Take one of those options (@c); false if @c is not one. */
bool batch_option(struct batch_run *run, int c, const char *arg);
void batch_options_help(void);

/* progress.c */
/* "12.0 MiB" into @buf */
const char *human(double v, char *buf, size_t size);
struct progress;
struct progress *progress_start(const char *verb);
void progress_file(struct progress *p, uint64_t bytes, bool failed);
void progress_bytes(uint64_t bytes, void *arg);	/* hsm_progress_fn */
void progress_refused(struct progress *p, unsigned long n);
void progress_end(struct progress *p, bool summary);

/* jsonout.c: a JSON string for a file name (see xfs_hsm(8)). */
#include "jsonpath.h"

#endif
