/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * hsmfsx.h - the random file exerciser's state, shared by hsmfsx.c (the
 * command line and the main loop), hsmfsx_ops.c (the operations) and
 * hsmfsx_check.c (the model's checks, the history, retries).
 *
 * Invariants:
 *  - the model's bytes from the size up to max_len are zero, so growing
 *    the file (a write past the end, truncate up, fallocate) needs no work
 *    on the model;
 *  - an operation's parameters come from the seed and the model only,
 *    never from timing or errnos, so the same seed runs the same
 *    operations: the op stream (rng) chooses, the data stream (data_rng)
 *    fills buffers;
 *  - EBUSY and ETXTBSY (a daemon refusing for now) are retried in place;
 *    any other error fails the run, naming the operation.
 */
#ifndef TESTS_HSMFSX_H
#define TESTS_HSMFSX_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#define PROGNAME	"hsmfsx"
#define BLK		4096ULL		/* collapse, insert, clone unit */
#define NHIST		32		/* steps shown on a failure */
#define RETRY_MAX	30000		/* of 1 ms: the daemon's refusals */
#define IOBUF		(1U << 20)	/* whole-file checks read this much */

enum op_kind {
	OP_READ, OP_WRITE, OP_MAPREAD, OP_MAPWRITE, OP_TRUNCATE,
	OP_FALLOC, OP_KEEPSIZE, OP_PUNCH, OP_ZERO, OP_COLLAPSE, OP_INSERT,
	OP_COPY, OP_COPYSIDE, OP_CLONE,
	OP_NR,
	/* not chosen at random: steps between operations, for the history */
	EV_CLOSE = OP_NR, EV_HOOK, EV_ROCHECK, EV_OPEN,
	EV_NR
};

struct op_desc {
	const char	*name;
	unsigned	weight;		/* of the random choice */
};
extern const struct op_desc op_desc[EV_NR];

/* One step as the history shows it. */
struct hist {
	unsigned long	n;		/* operation number */
	int		kind;
	uint64_t	off, len;
	uint64_t	src;		/* copies and clones: source offset */
	uint64_t	size;		/* the file's size after it */
	int		res;		/* hook: exit status */
	bool		keep;		/* zero: with KEEP_SIZE */
	bool		skipped;	/* nothing to do at this size */
	struct timespec	when;		/* begun: to line up with other logs */
};

struct fsx {
	/* options */
	unsigned long	nops;
	uint64_t	seed;
	uint64_t	max_len;
	uint64_t	max_op;
	unsigned	close_every;
	unsigned	ro_every;
	unsigned	after_open;	/* % of first ops that move blocks */
	const char	*hook;
	bool		full_check;
	int		drop;		/* 0, 1 the file's pages, 2 all */
	bool		quiet;
	bool		excluded[OP_NR];

	/* state */
	const char	*path;
	char		*side_path;
	int		fd, side_fd;
	uint8_t		*model, *side, *buf;
	uint64_t	size, side_len;
	uint64_t	rng, data_rng;
	unsigned long	n;		/* operations begun */
	unsigned	tries;		/* busy retries of this step */
	bool		no_clone;
	bool		reopened;	/* the next op is a writer's first */
	long		pagesize;

	/* counters of the summary */
	unsigned long	done[OP_NR], skipped, retries;
	unsigned long	closes, rochecks, hooks, hook_ok;

	struct hist	hist[NHIST];
	unsigned long	nhist;
};

/* hsmfsx_check.c */
uint64_t rnd(struct fsx *x, uint64_t n);
void fill(struct fsx *x, uint8_t *p, size_t len);
struct hist *hist_add(struct fsx *x, int kind, uint64_t off, uint64_t len);
void hist_print_one(FILE *f, const struct hist *h, bool when);
void fail(struct fsx *x, const char *fmt, ...)
	__attribute__((noreturn, format(printf, 2, 3)));
bool retry(struct fsx *x, int err, const char *what);
void check(struct fsx *x, const char *what, const uint8_t *got,
	   uint64_t off, size_t len);
void xpread(struct fsx *x, int fd, uint8_t *p, size_t len, uint64_t off,
	    const char *what);
void check_all(struct fsx *x, int fd, const char *what);
int xopen(struct fsx *x, const char *path, int flags, const char *what);

/* hsmfsx_ops.c */
void xpwrite(struct fsx *x, int fd, const uint8_t *p, size_t len,
	     uint64_t off);
void do_op(struct fsx *x, int kind, struct hist *h);

#endif
