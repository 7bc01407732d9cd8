// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * hsmfsx_check.c - the exerciser's checks against its model, the history
 * of its steps, failing with both, and retrying what a daemon refuses for
 * now.  The random streams are here too: a failure's report is only as
 * good as its replay.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "exitcodes.h"
#include "hsmfsx.h"

/* splitmix64: the next number of stream @s. */
static uint64_t
rnd_next(
	uint64_t	*s)
{
	uint64_t	z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* A random number in [0, n), n > 0, from the operation stream. */
uint64_t
rnd(
	struct fsx	*x,
	uint64_t	n)
{
	return rnd_next(&x->rng) % n;
}

/* Fill @len bytes with data from the data stream (not the op stream: the
 * operations chosen do not depend on how much data was made). */
void
fill(
	struct fsx	*x,
	uint8_t		*p,
	size_t		len)
{
	uint64_t	v;
	size_t		i;

	for (i = 0; i < len; i += 8) {
		v = rnd_next(&x->data_rng);
		memcpy(p + i, &v, len - i < 8 ? len - i : 8);
	}
}

/* ---- the history, and failing with it ------------------------------ */

struct hist *
hist_add(
	struct fsx	*x,
	int		kind,
	uint64_t	off,
	uint64_t	len)
{
	struct hist	*h = &x->hist[x->nhist++ % NHIST];

	memset(h, 0, sizeof(*h));
	h->n = x->n;
	h->kind = kind;
	h->off = off;
	h->len = len;
	h->size = x->size;
	clock_gettime(CLOCK_REALTIME, &h->when);
	return h;
}

void
hist_print_one(
	FILE		*f,
	const struct hist *h,
	bool		when)
{
	struct tm	tm;

	if (when) {
		localtime_r(&h->when.tv_sec, &tm);
		fprintf(f, "%02d:%02d:%02d.%06ld ", tm.tm_hour, tm.tm_min,
			tm.tm_sec, h->when.tv_nsec / 1000);
	}
	fprintf(f, "%7lu %-9s", h->n, op_desc[h->kind].name);
	switch (h->kind) {
	case EV_CLOSE:
	case EV_OPEN:
	case EV_ROCHECK:
		break;
	case EV_HOOK:
		fprintf(f, " exit %d", h->res);
		break;
	case OP_TRUNCATE:
		fprintf(f, " to 0x%" PRIx64, h->off);
		break;
	case OP_COPY:
	case OP_COPYSIDE:
	case OP_CLONE:
		fprintf(f, " 0x%" PRIx64 " len 0x%" PRIx64 " from 0x%" PRIx64,
			h->off, h->len, h->src);
		break;
	default:
		fprintf(f, " 0x%" PRIx64 " len 0x%" PRIx64 "%s", h->off,
			h->len, h->keep ? " keep" : "");
	}
	fprintf(f, "%s -> size 0x%" PRIx64 "\n",
		h->skipped ? " (skipped)" : "", h->size);
}

/* The last NHIST steps, oldest first. */
static void
hist_print(
	struct fsx	*x)
{
	unsigned long	i = x->nhist > NHIST ? x->nhist - NHIST : 0;

	fprintf(stderr, "last %lu steps (when begun, op number, what, "
		"where):\n", x->nhist - i);
	for (; i < x->nhist; i++)
		hist_print_one(stderr, &x->hist[i % NHIST], true);
}

/* Report a failure (printf-like), the last steps and the seed; exit 1. */
void
fail(
	struct fsx	*x,
	const char	*fmt,
	...)
{
	va_list		ap;

	fflush(stdout);
	fprintf(stderr, "%s: op %lu: ", PROGNAME, x->n);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	hist_print(x);
	fprintf(stderr, "%s: replay with -S %" PRIu64 "\n", PROGNAME, x->seed);
	exit(HSM_EX_PROBLEMS);
}

/* Failed with errno @err: wait and retry when the daemon refused for now
 * (returns true), else fail the run naming @what. */
bool
retry(
	struct fsx	*x,
	int		err,
	const char	*what)
{
	if (err != EBUSY && err != ETXTBSY && err != EINTR)
		fail(x, "%s: %s", what, strerror(err));
	if (++x->tries > RETRY_MAX)
		fail(x, "%s: still %s after %u tries", what, strerror(err),
		     x->tries);
	x->retries++;
	usleep(1000);
	return true;
}

/* Show @len bytes expected and read at file offset @off, 16 a line. */
static void
hexdump(
	const uint8_t	*want,
	const uint8_t	*got,
	uint64_t	off,
	size_t		len)
{
	size_t		i, j, n;

	for (i = 0; i < len; i += 16) {
		n = len - i < 16 ? len - i : 16;
		fprintf(stderr, "0x%08" PRIx64 " expected:", off + i);
		for (j = 0; j < n; j++)
			fprintf(stderr, " %02x", want[i + j]);
		fprintf(stderr, "\n%10s   actual:", "");
		for (j = 0; j < n; j++)
			fprintf(stderr, " %02x", got[i + j]);
		fputc('\n', stderr);
	}
}

/* Compare @len bytes read at @off with the model; on a difference, show
 * it and fail. */
void
check(
	struct fsx	*x,
	const char	*what,
	const uint8_t	*got,
	uint64_t	off,
	size_t		len)
{
	const uint8_t	*want = x->model + off;
	size_t		first, last, nbad = 0, nzero = 0, i, show;

	if (!memcmp(got, want, len))
		return;
	for (i = 0, first = len, last = 0; i < len; i++) {
		if (got[i] == want[i])
			continue;
		if (first == len)
			first = i;
		last = i;
		nbad++;
		nzero += !got[i];
	}
	fflush(stdout);
	fprintf(stderr, "%s: %s of 0x%" PRIx64 " len 0x%zx: wrong bytes at "
		"0x%" PRIx64 " (%" PRIu64 "): %zu bad (%zu of them zeros), "
		"the last at 0x%" PRIx64 ", file size 0x%" PRIx64 "\n",
		PROGNAME, what, off, len, off + first, off + first, nbad, nzero,
		off + last, x->size);
	i = first & ~(size_t)15;
	show = len - i < 64 ? len - i : 64;
	hexdump(want + i, got + i, off + i, show);
	fail(x, "%s found wrong bytes", what);
}

/* ---- reading and opening, retrying the daemon's refusals ---------- */

void
xpread(
	struct fsx	*x,
	int		fd,
	uint8_t		*p,
	size_t		len,
	uint64_t	off,
	const char	*what)
{
	ssize_t		n;

	while (len) {
		n = pread(fd, p, len, off);
		if (n < 0 && retry(x, errno, what))
			continue;
		if (n == 0)
			fail(x, "%s: end of file at 0x%" PRIx64 ", size 0x%"
			     PRIx64, what, off, x->size);
		p += n;
		off += n;
		len -= n;
	}
}

/* Drop the cached pages of @fd (after writing them) or all caches, so the
 * next reads go to the disk. */
static void
drop_cache(
	struct fsx	*x,
	int		fd)
{
	int		dfd;

	if (!x->drop)
		return;
	if (fsync(fd) < 0)
		fail(x, "fsync: %s", strerror(errno));
	if (x->drop == 1) {
		errno = posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
		if (errno)
			fail(x, "posix_fadvise: %s", strerror(errno));
		return;
	}
	dfd = open("/proc/sys/vm/drop_caches", O_WRONLY);
	if (dfd < 0 || write(dfd, "3\n", 2) != 2)
		fail(x, "/proc/sys/vm/drop_caches: %s", strerror(errno));
	close(dfd);
}

/* Read all of @fd and compare it with the model; its size first. */
void
check_all(
	struct fsx	*x,
	int		fd,
	const char	*what)
{
	struct stat	st;
	uint64_t	off, len;

	if (fstat(fd, &st) < 0)
		fail(x, "%s: fstat: %s", what, strerror(errno));
	if ((uint64_t)st.st_size != x->size)
		fail(x, "%s: size 0x%llx, expected 0x%" PRIx64, what,
		     (unsigned long long)st.st_size, x->size);
	drop_cache(x, fd);
	for (off = 0; off < x->size; off += len) {
		len = x->size - off < IOBUF ? x->size - off : IOBUF;
		xpread(x, fd, x->buf, len, off, what);
		check(x, what, x->buf, off, len);
	}
}

/* open(2), retrying the daemon's refusals. */
int
xopen(
	struct fsx	*x,
	const char	*path,
	int		flags,
	const char	*what)
{
	int		fd;

	x->tries = 0;
	while ((fd = open(path, flags, 0644)) < 0)
		retry(x, errno, what);
	return fd;
}
