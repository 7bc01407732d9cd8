// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * hsmfsx.c - a model-based random exerciser of one file, for the tests of
 * xfs_hsmd (integ/045).
 *
 *   hsmfsx [options] FILE
 *
 * It keeps in memory the bytes FILE must hold (the model) and runs random
 * operations on FILE: reads, writes, mmap reads and writes, truncates,
 * every fallocate mode, copy_file_range within FILE and from a side file
 * (FILE.side, whose bytes the model knows too) and clones from the side
 * file.  Every byte read is compared with the model; the first wrong one
 * ends the run with exit 1, the bytes, and the operations that led there.
 *
 * The opens and closes are where an HSM steps in, so FILE is closed and
 * reopened now and then (-c); while it is closed a hook runs on it (-H,
 * e.g. xfs_hsm migrate), and sometimes a read-only opener reads it whole
 * (-r), which in range mode recalls it range by range before the writer's
 * reopen.  A writer's first operation after a reopen is what lost data in
 * issue 11 (the daemon still punching blocks while a collapse moved them),
 * so it is often one that moves blocks (-a: collapse, insert).
 *
 * The same seed (-S) runs the same operations (hsmfsx.h says how).
 *
 * Exit: 0 every byte right, 1 wrong bytes or a failed call (opening the
 * file included), 4 out of memory, 8 usage.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "hsmfsx.h"
#include "closestream.h"
#include "exitcodes.h"
#include "usage.h"

const struct op_desc op_desc[EV_NR] = {
	[OP_READ]	= { "read", 4 },
	[OP_WRITE]	= { "write", 4 },
	[OP_MAPREAD]	= { "mapread", 2 },
	[OP_MAPWRITE]	= { "mapwrite", 2 },
	[OP_TRUNCATE]	= { "truncate", 2 },
	[OP_FALLOC]	= { "falloc", 1 },
	[OP_KEEPSIZE]	= { "keepsize", 1 },
	[OP_PUNCH]	= { "punch", 2 },
	[OP_ZERO]	= { "zero", 2 },
	[OP_COLLAPSE]	= { "collapse", 2 },
	[OP_INSERT]	= { "insert", 2 },
	[OP_COPY]	= { "copy", 2 },
	[OP_COPYSIDE]	= { "copyside", 1 },
	[OP_CLONE]	= { "clone", 2 },
	[EV_CLOSE]	= { "close", 0 },
	[EV_HOOK]	= { "hook", 0 },
	[EV_ROCHECK]	= { "rocheck", 0 },
	[EV_OPEN]	= { "open", 0 },
};

/* ---- closing and reopening ------------------------------------------- */

/* Record a step between operations, as it begins; shown unless quiet. */
static struct hist *
event(
	struct fsx	*x,
	int		kind)
{
	struct hist	*h = hist_add(x, kind, 0, 0);

	if (!x->quiet && kind != EV_HOOK)
		hist_print_one(stdout, h, false);
	return h;
}

/* Run the hook on FILE; count it, and its successes. */
static void
run_hook(
	struct fsx	*x)
{
	struct hist	*h;
	char		*cmd;
	int		st;

	if (!x->hook)
		return;
	if (asprintf(&cmd, "%s '%s'", x->hook, x->path) < 0)
		fail(x, "hook: out of memory");
	h = event(x, EV_HOOK);
	fflush(stdout);
	st = system(cmd);
	free(cmd);
	if (st < 0)
		fail(x, "hook: %s", strerror(errno));
	x->hooks++;
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
		x->hook_ok++;
	h->res = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	if (!x->quiet)
		hist_print_one(stdout, h, false);
}

/* A read-only opener reads FILE whole: in range mode, range by range. */
static void
ro_check(
	struct fsx	*x)
{
	int		fd;

	x->rochecks++;
	event(x, EV_ROCHECK);
	fd = xopen(x, x->path, O_RDONLY, "rocheck: open");
	check_all(x, fd, "rocheck");
	close(fd);
}

/*
 * Close FILE and open it again; in between, the hook, and sometimes (one
 * close in ro_every) a read-only reader of the whole file.
 */
static void
cycle(
	struct fsx	*x,
	bool		last)
{
	bool		ro = last || (x->ro_every && !rnd(x, x->ro_every));

	if (x->drop && fsync(x->fd) < 0)	/* what drop_cache drops */
		fail(x, "fsync: %s", strerror(errno));
	event(x, EV_CLOSE);
	if (close(x->fd) < 0)
		fail(x, "close: %s", strerror(errno));
	x->fd = -1;
	x->closes++;
	run_hook(x);
	if (ro)
		ro_check(x);
	if (last)
		return;
	event(x, EV_OPEN);
	x->fd = xopen(x, x->path, O_RDWR, "reopen");
	x->reopened = true;
	if (x->full_check)
		check_all(x, x->fd, "reopen check");
}

/* ---- the main loop ------------------------------------------------------- */

/* Choose the next operation: by weight among those not excluded; the
 * writer's first after a reopen moves blocks (after_open %) when it can. */
static int
choose(
	struct fsx	*x)
{
	unsigned	total = 0, r, k;
	bool		moving = false;

	if (x->reopened) {
		x->reopened = false;
		moving = rnd(x, 100) < x->after_open;
	}
	if (moving && !x->excluded[OP_COLLAPSE] && !x->excluded[OP_INSERT])
		return rnd(x, 2) ? OP_COLLAPSE : OP_INSERT;
	for (k = 0; k < OP_NR; k++)
		if (!x->excluded[k])
			total += op_desc[k].weight;
	r = rnd(x, total);
	for (k = 0; k < OP_NR; k++) {
		if (x->excluded[k])
			continue;
		if (r < op_desc[k].weight)
			break;
		r -= op_desc[k].weight;
	}
	return k;
}

static void
run_op(
	struct fsx	*x,
	int		k)
{
	struct hist	*h = hist_add(x, k, 0, 0);

	x->tries = 0;
	do_op(x, k, h);
	h->size = x->size;
	if (h->skipped)
		x->skipped++;
	else
		x->done[k]++;
	if (!x->quiet)
		hist_print_one(stdout, h, false);
}

/* FILE.side: side_len bytes of random data, which the model keeps. */
static void
setup_side(
	struct fsx	*x)
{
	x->side_len = (x->max_len / 2 + BLK - 1) / BLK * BLK;
	if (x->side_len < 16 * BLK)
		x->side_len = 16 * BLK;
	x->side = malloc(x->side_len);
	if (!x->side || asprintf(&x->side_path, "%s.side", x->path) < 0) {
		fprintf(stderr, "%s: out of memory\n", PROGNAME);
		exit(HSM_EX_OPERATIONAL);
	}
	fill(x, x->side, x->side_len);
	x->side_fd = xopen(x, x->side_path, O_RDWR | O_CREAT | O_TRUNC,
			   "side file: open");
	xpwrite(x, x->side_fd, x->side, x->side_len, 0);
	if (fsync(x->side_fd) < 0)
		fail(x, "side file: fsync: %s", strerror(errno));
}

static void
summary(
	struct fsx	*x)
{
	unsigned long	total = 0;
	int		k;

	for (k = 0; k < OP_NR; k++)
		total += x->done[k];
	printf("summary: ops=%lu", total);
	for (k = 0; k < OP_NR; k++)
		printf(" %s=%lu", op_desc[k].name, x->done[k]);
	printf(" skipped=%lu closes=%lu rochecks=%lu hooks=%lu hook_ok=%lu"
	       " retries=%lu\n", x->skipped, x->closes, x->rochecks, x->hooks,
	       x->hook_ok, x->retries);
}

/* ---- the command line ---------------------------------------------------- */

static void __attribute__((noreturn))
usage(void)
{
	int		k;

	printf("Usage:\n %s [options] <file>\n\n", PROGNAME);
	printf("Run random operations on <file> and check every byte read "
	       "against a model\nof its contents.  Uses <file>.side as a "
	       "source of copies and clones.\n\n");
	printf("Options:\n"
" -N, --ops <n>            operations to run (default 10000)\n"
" -S, --seed <n>           seed of the random choices (default: the clock)\n"
" -l, --max-len <size>     largest file size (default 4M)\n"
" -o, --max-op-len <size>  largest operation (default 256K, at most\n"
"                          max-len)\n"
" -c, --close <n>          close and reopen about every n operations\n"
"                          (default 0: never)\n"
" -r, --ro-check <n>       on about every nth close, read the whole file\n"
"                          through a read-only open before the reopen\n"
" -H, --hook <cmd>         run \"<cmd> <file>\" after every close\n"
" -a, --after-open <pct>   a writer's first operation after a reopen is a\n"
"                          collapse or insert pct%% of the time (default 50)\n"
" -f, --full-check         read the whole file after every reopen\n"
" -d, --drop-cache         drop the file's cached pages before whole-file\n"
"                          checks (fsync, posix_fadvise)\n"
" -D, --drop-all-caches    drop all caches instead (/proc/sys/vm/drop_caches)\n"
" -x, --exclude <op,...>   never run these operations\n"
" -q, --quiet              print only notes, failures and the summary\n"
" -h, --help               display this help\n"
" -V, --version            display version\n\n"
"Operations:");
	for (k = 0; k < OP_NR; k++)
		printf("%s%s", k % 8 ? " " : "\n ", op_desc[k].name);
	printf("\n\nExit status: 0 all bytes right, 1 wrong bytes or a failed "
	       "call,\n4 out of memory, 8 usage error.\n");
	exit(HSM_EX_OK);
}

/* A number with an optional k, m or g (binary) suffix; exits on junk. */
static uint64_t
number(
	const char	*opt,
	const char	*s)
{
	const char	*units = "kmg", *u;
	char		*end;
	uint64_t	v;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (*end && !end[1] && (u = strchr(units, *end | 0x20))) {
		v <<= 10 * (u - units + 1);
		end++;
	}
	if (errno || !*s || *s == '-' || *end) {
		fprintf(stderr, "%s: bad number for %s: '%s'\n", PROGNAME, opt,
			s);
		errtryhelp(HSM_EX_USAGE);
	}
	return v;
}

/* -x op,op: mark them excluded. */
static void
exclude(
	struct fsx	*x,
	char		*list)
{
	char		*name, *save = NULL;
	int		k;

	for (name = strtok_r(list, ",", &save); name;
	     name = strtok_r(NULL, ",", &save)) {
		for (k = 0; k < OP_NR; k++)
			if (!strcmp(name, op_desc[k].name))
				break;
		if (k == OP_NR) {
			fprintf(stderr, "%s: unknown operation '%s'\n",
				PROGNAME, name);
			errtryhelp(HSM_EX_USAGE);
		}
		x->excluded[k] = true;
	}
	for (k = 0; k < OP_NR; k++)
		if (!x->excluded[k])
			return;
	fprintf(stderr, "%s: every operation excluded\n", PROGNAME);
	errtryhelp(HSM_EX_USAGE);
}

static void
parse_args(
	struct fsx	*x,
	int		argc,
	char		**argv)
{
	static const struct option longopts[] = {
		{ "ops",		required_argument, NULL, 'N' },
		{ "seed",		required_argument, NULL, 'S' },
		{ "max-len",		required_argument, NULL, 'l' },
		{ "max-op-len",		required_argument, NULL, 'o' },
		{ "close",		required_argument, NULL, 'c' },
		{ "ro-check",		required_argument, NULL, 'r' },
		{ "hook",		required_argument, NULL, 'H' },
		{ "after-open",		required_argument, NULL, 'a' },
		{ "full-check",		no_argument,	   NULL, 'f' },
		{ "drop-cache",		no_argument,	   NULL, 'd' },
		{ "drop-all-caches",	no_argument,	   NULL, 'D' },
		{ "exclude",		required_argument, NULL, 'x' },
		{ "quiet",		no_argument,	   NULL, 'q' },
		{ "help",		no_argument,	   NULL, 'h' },
		{ "version",		no_argument,	   NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	int		c;

	while ((c = getopt_long(argc, argv, "N:S:l:o:c:r:H:a:fdDx:qhV",
				longopts, NULL)) != -1) {
		switch (c) {
		case 'N': x->nops = number("--ops", optarg); break;
		case 'S': x->seed = number("--seed", optarg); break;
		case 'l': x->max_len = number("--max-len", optarg); break;
		case 'o': x->max_op = number("--max-op-len", optarg); break;
		case 'c': x->close_every = number("--close", optarg); break;
		case 'r': x->ro_every = number("--ro-check", optarg); break;
		case 'H': x->hook = optarg; break;
		case 'a': x->after_open = number("--after-open", optarg); break;
		case 'f': x->full_check = true; break;
		case 'd': x->drop = 1; break;
		case 'D': x->drop = 2; break;
		case 'x': exclude(x, optarg); break;
		case 'q': x->quiet = true; break;
		case 'h': usage();
		case 'V':
			printf("%s from xfs-hsm %s\n", PROGNAME, VERSION);
			exit(HSM_EX_OK);
		default: errtryhelp(HSM_EX_USAGE);
		}
	}
	if (optind != argc - 1) {
		fprintf(stderr, "%s: %s\n", PROGNAME, optind < argc ?
			"one file only" : "no file given");
		errtryhelp(HSM_EX_USAGE);
	}
	x->path = argv[optind];
	if (!x->max_op)
		x->max_op = x->max_len < (256 << 10) ? x->max_len : 256 << 10;
	if (strchr(x->path, '\'')) {
		fprintf(stderr, "%s: a quote in '%s' would break the hook\n",
			PROGNAME, x->path);
		errtryhelp(HSM_EX_USAGE);
	}
	if (x->max_len < 4 * BLK || x->max_len > (1ULL << 30) ||
	    x->max_op < 1 || x->max_op > x->max_len || x->after_open > 100) {
		fprintf(stderr, "%s: need 16K <= max-len <= 1G, "
			"1 <= max-op-len <= max-len, after-open <= 100\n",
			PROGNAME);
		errtryhelp(HSM_EX_USAGE);
	}
}

int
main(
	int		argc,
	char		**argv)
{
	struct fsx	x = {
		.nops = 10000, .max_len = 4 << 20,
		.after_open = 50, .fd = -1, .side_fd = -1,
		.seed = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32),
	};
	size_t		bufsz;

	atexit(close_stdout);
	parse_args(&x, argc, argv);
	printf("%s: seed %" PRIu64 "\n", PROGNAME, x.seed);
	x.rng = x.seed;
	x.data_rng = x.seed ^ 0x5bd1e9955bd1e995ULL;
	x.pagesize = sysconf(_SC_PAGESIZE);
	bufsz = x.max_len > IOBUF ? x.max_len : IOBUF;
	x.model = calloc(1, x.max_len);
	x.buf = malloc(bufsz);
	if (!x.model || !x.buf) {
		fprintf(stderr, "%s: out of memory\n", PROGNAME);
		return HSM_EX_OPERATIONAL;
	}
	setup_side(&x);
	x.fd = xopen(&x, x.path, O_RDWR | O_CREAT | O_TRUNC, "open");
	for (x.n = 1; x.n <= x.nops; x.n++) {
		run_op(&x, choose(&x));
		if (x.close_every && x.n < x.nops && !rnd(&x, x.close_every))
			cycle(&x, false);
	}
	cycle(&x, true);		/* and a last read of it all */
	close(x.side_fd);
	summary(&x);
	return HSM_EX_OK;
}
