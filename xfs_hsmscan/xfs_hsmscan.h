/* SPDX-License-Identifier: GPL-2.0-or-later */
/* xfs_hsmscan.h - what the parts of the scanner share. */
#ifndef XFS_HSMSCAN_XFS_HSMSCAN_H
#define XFS_HSMSCAN_XFS_HSMSCAN_H

#include <stdbool.h>
#include <stdio.h>
#include <stddef.h>
#include <stdint.h>
#include <hsm.h>
#include "exitcodes.h"
#include "jsonpath.h"

#define PROGNAME	"xfs_hsmscan"
#include "usage.h"		/* errtryhelp() */

/* --list selections */
enum {
	SEL_RESIDENT	= (1U << 0),	/* resident, with a record */
	SEL_ARCHIVED	= (1U << 1),
	SEL_RELEASED	= (1U << 2),
	SEL_PARTIAL	= (1U << 3),
	SEL_DIRTY	= (1U << 4),
	SEL_LOST	= (1U << 5),
	SEL_MIGRATING	= (1U << 6),
	SEL_RELEASING	= (1U << 7),
	SEL_RECALLING	= (1U << 8),
	SEL_FORGETTING	= (1U << 9),
	SEL_BAD		= (1U << 10),	/* record failing its checks */
};
#define SEL_PENDING	(SEL_MIGRATING | SEL_RELEASING | SEL_RECALLING | \
			 SEL_FORGETTING)
#define SEL_ALL		((1U << 11) - 1)

struct options {
	const char	*mount;
	unsigned	jobs;
	bool		json;
	bool		paths;
	bool		repair;
	bool		audit;
	bool		verify;
	bool		gc;
	bool		refresh_paths;	/* with audit */
	bool		resume;
	bool		quick;
	bool		verbose;
	bool		upgrade;	/* rewrite v1 records as v2 */
	bool		probe_all;	/* read records whatever the fork size */
	bool		report;		/* --report: the histograms */
	bool		records;	/* read records (not --changed-since
					 * alone) */
	unsigned	list;		/* SEL_* to list, 0: no list */
	bool		changed;	/* --changed-since given */
	int64_t		changed_sec;
	uint32_t	changed_nsec;
	int64_t		grace;		/* seconds */
	int64_t		retention;	/* of a deleted file's object */
	unsigned	repack;		/* repack_threshold, percent */
	bool		grace_set, retention_set;	/* on the command
							 * line */
	const char	*config;	/* --config, or NULL */
	int64_t		time_limit;	/* seconds, -1: none */
	const char	*state_dir;
	bool		progress;	/* stderr is a terminal */
};

/* Scan counters, summed per allocation group and over the run. */
enum {
	C_INODES,		/* inodes bulkstat returned */
	C_PROBED,		/* records read by handle */
	C_REGULAR,
	C_RES_NOREC,		/* resident, no record */
	C_RES_REC,		/* resident, with a record */
	C_ARCHIVED,
	C_RELEASED,
	C_PARTIAL,
	C_DIRTY,
	C_LOST,
	C_MIGRATING,		/* pending operations, by kind */
	C_RELEASING,
	C_RECALLING,
	C_FORGETTING,
	C_LIVE,			/* of which the owner still runs */
	C_BAD,			/* records failing their checks */
	C_ERRORS,		/* records that could not be read */
	C_VANISHED,		/* inodes gone between bulkstat and read */
	C_CHANGED,		/* ctime newer than --changed-since */
	C_BYTES_RESIDENT,
	C_BYTES_RELEASED,
	C_BYTES_DUAL,
	C_FORK_SKIPPED,		/* with a fork too small for a record */
	C_V1,			/* v1 records (--upgrade rewrites them) */
	C_NR
};

struct counts {
	uint64_t	c[C_NR];
};

void counts_add(struct counts *to, const struct counts *from);

struct repair_totals;
struct audit;
struct json_object;

/* A growable array of fixed-size items. */
struct vec {
	void		*items;
	size_t		nr;
	size_t		alloc;
	size_t		size;		/* of one item */
};

/* qsort() comparison of items that begin with a uint64_t. */
int cmp_u64(const void *a, const void *b);
/* Index of the first of the @n sorted values of @a that is >= @v. */
size_t lower_bound_u64(const uint64_t *a, size_t n, uint64_t v);

void vec_init(struct vec *v, size_t size);
void *vec_push(struct vec *v);		/* exits on ENOMEM */
void vec_append(struct vec *to, struct vec *from);	/* empties @from */
void vec_free(struct vec *v);
#define VEC_AT(v, type, i)	(&((type *)(v)->items)[i])

/* A file the run reports on after the scan. */
struct file_entry {
	struct hsm_inode in;
	struct hsm_status st;
	int		error;		/* of the record read, if it failed */
	bool		listed;		/* goes to the --list output */
	bool		alive;		/* pending op of a live process */
	const char	*path;		/* with --paths, or NULL */
};

/* A copy a record names: a store object (for --audit). */
struct named {
	uint8_t		oid[HSM_OID_LEN];
	uint32_t	store_id;
	uint8_t		state;		/* enum hsm_copy_state */
	uint64_t	ino;
	uint32_t	gen;
	uint32_t	nlink;		/* as bulkstat saw it */
	uint32_t	flags;
	uint8_t		pending;
	uint64_t	size;		/* of the copy, per the record */
	uint64_t	checksum;
};

/* An inode with a pending operation (for --repair). */
struct pending {
	uint64_t	ino;
	uint32_t	gen;
	uint8_t		op;
	const char	*path;
};

/* An inode that held a record, or one that could not be read (--quick). */
struct tagged {
	uint64_t	ino;
	uint64_t	gen;
};

/* histo.c: --report, files and bytes per state by age and by size */
enum { RS_RESIDENT, RS_ARCHIVED, RS_RELEASED, RS_PARTIAL, RS_NR };
#define AGE_BUCKETS	8
#define SIZE_BUCKETS	10
struct histo_cell {
	uint64_t	files, bytes, disk;
};
struct histo {
	int64_t		now;		/* ages are taken from it */
	struct histo_cell total[RS_NR];
	struct histo_cell age[RS_NR][AGE_BUCKETS];
	struct histo_cell size[RS_NR][SIZE_BUCKETS];
};
unsigned histo_state(const struct hsm_status *st);	/* RS_* */
void histo_add(struct histo *h, unsigned state, const struct hsm_inode *in);
void histo_merge(struct histo *to, const struct histo *from);
/* the report, text or (--json) its section */
void histo_report(const struct histo *h);

/* Everything a scan found, merged from the workers. */
struct scan_result {
	struct counts	total;
	uint64_t	run_inodes;	/* scanned by this run (for the rate) */
	double		seconds;
	bool		complete;	/* every AG done */
	bool		failed;		/* bulkstat itself failed */
	struct vec	files;		/* struct file_entry: problems, and the
					 * list when it is printed at the end */
	struct vec	named;		/* struct named */
	struct vec	pending;	/* struct pending */
	struct vec	copies;		/* struct pending (op 0): archived
					 * files with a copy lost or not
					 * made (--audit, --repair) */
	struct vec	tagged;		/* struct tagged, for the index */
	struct vec	v1;		/* struct tagged: v1 records, with
					 * --upgrade */
	struct hsm_record_rule rule;	/* what decided C_FORK_SKIPPED */
	struct histo	histo;		/* --report */
};

/* report.c: shared by every part; main.c sets opts */
extern int exitcode;
extern const struct options *opts;
void nomem(void) __attribute__((noreturn));
void output_lock_take(void);
void output_lock_drop(void);
const char *error_reason(struct hsm_fs *fs, int error);
/* "store 'S' of 'M': why, CONSEQUENCE" for hsm_fs_open_store() errors */
void report_store_error(struct hsm_fs *fs, int error,
			const char *consequence);
/* "inode N (gen G)" or "'PATH' (inode N, gen G)", for messages */
const char *file_name(uint64_t ino, uint32_t gen, const char *path,
		      char *buf, size_t size);

/* parse.c: strict parsers; 0 or -EINVAL */
int parse_time(const char *s, int64_t *sec, uint32_t *nsec);
int parse_duration(const char *s, int64_t *sec);
int parse_jobs(const char *s, unsigned *n);
int parse_selection(const char *s, unsigned *sel);
const char *type_name(uint32_t mode);

/* state.c: the checkpoint of --resume and the record index of --quick */
#define CHECKPOINT_MAGIC	"xfs_hsmscan checkpoint 1"
#define INDEX_MAGIC		"xfs_hsmscan index 1"
struct ag_state {
	uint64_t	cursor;		/* next inode to read */
	bool		done;
	struct counts	counts;		/* of the AG so far */
};
/* Create the state directory if needed; 0 if it can be written. */
int state_dir_check(void);
struct checkpoint;
/* Open the checkpoint for @uuid in the state dir, loading a matching
 * one; fills @ags (agcount entries) and the entries found before their
 * AG's cursor.  Returns 0 or -errno (reported by the caller). */
int checkpoint_open(const char *uuid, const char *key, uint32_t agcount,
		    struct ag_state *ags, struct scan_result *res,
		    int64_t *started, bool *resumed, struct checkpoint **cpp);
/* Append the pending and tagged entries of AG @ag found since the last
 * checkpoint, then the AG's state. */
void checkpoint_write(struct checkpoint *cp, uint32_t ag,
		      const struct ag_state *st, struct vec *pending,
		      struct vec *tagged);
/* Close; @complete removes the file (the scan needs no resume). */
void checkpoint_close(struct checkpoint *cp, bool complete);

struct record_index;
/* Load the index of @uuid if it can be trusted; NULL (and why, in
 * @why) if not. */
struct record_index *index_load(const char *uuid, const char **why);
/* Epoch: an inode whose ctime is older than this and that is not in the
 * index had no record when the index was taken. */
int64_t index_epoch(const struct record_index *ix);
/* Position of the first entry >= @ino (a cursor for index_has). */
size_t index_seek(const struct record_index *ix, uint64_t ino);
bool index_has(const struct record_index *ix, size_t *pos, uint64_t ino);
void index_free(struct record_index *ix);
/* Write the index of a complete scan begun at @started.  0 or -errno. */
int index_save(const char *uuid, int64_t started, struct vec *tagged);

/* stateparse.c: the files of state.c read back from @f.  A checkpoint
 * of @uuid made with options @key: 1 when loaded, 0 when it does not
 * match.  The index of @uuid as of time @now: NULL (and why) if it
 * cannot be trusted. */
int checkpoint_parse(FILE *f, const char *uuid, const char *key,
		     uint32_t agcount, struct ag_state *ags,
		     struct scan_result *res, int64_t *started);
struct record_index *index_parse(FILE *f, const char *uuid, int64_t now,
				 const char **why);

/* scan.c */
int scan_run(struct hsm_fs *fs, const struct hsm_fs_geom *geom,
	     struct scan_result *res);

/* paths.c: names for the inodes a run reports (--paths) */
void paths_want(uint64_t ino);
/* every name of @ino, up to @nlink of them (--refresh-paths) */
void paths_want_all(uint64_t ino, uint32_t nlink);
void paths_resolve(const char *mnt);
const char *paths_lookup(uint64_t ino);	/* NULL: none (or no --paths) */
/* the names of @ino found, in the order met; 0: none */
size_t paths_lookup_all(uint64_t ino, char ***names);
void paths_free(void);

/* output.c */
void output_begin(struct hsm_fs *fs);
void output_file(const struct file_entry *e);	/* one --list line */
void output_changed(const struct hsm_inode *in, const char *path);
void output_list_end(void);
void output_problems(const struct scan_result *res);
void output_json_section(const char *key, struct json_object *val);
void output_summary(struct hsm_fs *fs, const struct scan_result *res,
		    struct repair_totals *rep, struct audit *audit);
void summary_line(FILE *out, const char *key, uint64_t v);

/* jobs.c: @fn on N threads, each with its own filesystem handle */
typedef void (*job_fn)(void *item, struct hsm_fs *fs, void *arg);
void jobs_run(const char *mnt, unsigned nthreads, struct vec *items,
	      job_fn fn, void *arg);

/* repair.c */
struct repair_totals {
	unsigned long	repaired;
	unsigned long	failed;
	struct vec	work;		/* the repairs, until reported */
	struct json_object *items;	/* with --json */
};
/* Repair every pending op of @res; the results wait for the report. */
void repair_run(struct hsm_fs *fs, struct scan_result *res,
		struct repair_totals *tot);
/* Print the results (stdout, or stderr for failures) and count them. */
void repair_report(struct repair_totals *tot);
/* The "repair" section; hands over tot->items. */
struct json_object *repair_json(struct repair_totals *tot);

/* upgrade.c: --upgrade */
struct upgrade_totals {
	unsigned long	upgraded;
	unsigned long	failed;
	size_t		done;		/* results so far, for progress */
	bool		marked;		/* the binding says "records 2" */
};
void upgrade_run(struct hsm_fs *fs, struct scan_result *res,
		 struct upgrade_totals *tot);
void upgrade_report(const struct upgrade_totals *tot);
struct json_object *upgrade_json(const struct upgrade_totals *tot);

/* refresh.c: --refresh-paths */
struct refresh_totals {
	unsigned long	checked;	/* objects */
	unsigned long	rewritten;
	unsigned long	current;
	unsigned long	nameless;	/* of a file with no name found */
	unsigned long	failed;
};
/* Every name of every file with an object (@named: struct named, from
 * audit_named()), for paths_resolve(). */
void refresh_want(const struct vec *named);
/* After paths_resolve(): rewrite the names kept where they differ. */
void refresh_run(struct hsm_fs *fs, const struct vec *named,
		 struct refresh_totals *tot);
void refresh_report(const struct refresh_totals *tot);
struct json_object *refresh_json(const struct refresh_totals *tot);

/* audit.c */
struct audit;
/* List the store, before the scan.  0, or the exit bit (reported). */
int audit_begin(struct hsm_fs *fs, struct audit **ap);
/* Check the scan's records against the listing, flag lost files, and
 * with --gc remove orphans; the results wait for the report. */
void audit_run(struct audit *a, struct hsm_fs *fs, struct scan_result *res);
/* The objects records name (struct named), taken by audit_run(). */
const struct vec *audit_named(const struct audit *a);
/* Ask for the names of the files the report will mention (--paths). */
void audit_want_paths(struct audit *a);
void audit_report(struct audit *a);
void audit_summary_text(FILE *out, const struct audit *a);
struct json_object *audit_json(struct audit *a);
void audit_free(struct audit *a);

#endif
