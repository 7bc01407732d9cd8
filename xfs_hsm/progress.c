// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * progress.c - a progress line on a terminal while a batch runs, and a
 * summary (files, bytes, seconds) at its end.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#include "xfs_hsm.h"

struct progress {
	const char	*verb;
	unsigned long	files;
	unsigned long	failed;
	uint64_t	bytes;		/* of finished files */
	uint64_t	cur;		/* of the file being moved */
	double		t0;
	double		last_draw;
	bool		tty;
	bool		drawn;
	/* the bytes come from the threads of the runs in flight, the
	 * files from the caller's */
	pthread_mutex_t	lock;
};

static double
now(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

const char *
human(
	double		v,
	char		*buf,
	size_t		size)
{
	static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB",
					     "PiB" };
	unsigned	u = 0;

	while (v >= 1024 && u < 5) {
		v /= 1024;
		u++;
	}
	if (u == 0)
		snprintf(buf, size, "%.0f B", v);
	else
		snprintf(buf, size, "%.1f %s", v, units[u]);
	return buf;
}

struct progress *
progress_start(
	const char	*verb)
{
	struct progress	*p = calloc(1, sizeof(*p));

	if (!p) {
		fprintf(stderr, "%s: out of memory\n", PROGNAME);
		exit(HSM_EX_OPERATIONAL);
	}
	p->verb = verb;
	pthread_mutex_init(&p->lock, NULL);
	p->t0 = now();
	p->tty = isatty(STDERR_FILENO);
	return p;
}

static void
draw(
	struct progress	*p,
	bool		force)
{
	char		b[32];
	double		t = now();

	if (!p->tty || (!force && t - p->last_draw < 0.2))
		return;
	p->last_draw = t;
	p->drawn = true;
	fprintf(stderr, "\r%s: %lu files, %s, %.0f s\033[K", p->verb,
		p->files, human(p->bytes + p->cur, b, sizeof(b)), t - p->t0);
}

void
progress_bytes(
	uint64_t	bytes,
	void		*arg)
{
	struct progress	*p = arg;

	pthread_mutex_lock(&p->lock);
	p->cur = bytes;
	draw(p, false);
	pthread_mutex_unlock(&p->lock);
}

void
progress_file(
	struct progress	*p,
	uint64_t	bytes,
	bool		failed)
{
	pthread_mutex_lock(&p->lock);
	p->files++;
	if (failed)
		p->failed++;
	p->bytes += bytes;
	p->cur = 0;
	draw(p, false);
	pthread_mutex_unlock(&p->lock);
}

void
progress_refused(
	struct progress	*p,
	unsigned long	n)
{
	pthread_mutex_lock(&p->lock);
	p->files += n;
	p->failed += n;
	pthread_mutex_unlock(&p->lock);
}

void
progress_end(
	struct progress	*p,
	bool		summary)
{
	char		b[32], r[32];
	double		secs = now() - p->t0;

	if (p->drawn)
		fputs("\r\033[K", stderr);
	if (summary) {
		fprintf(stderr, "%s: %s: %lu files, %s in %.2f s (%s/s)",
			PROGNAME, p->verb, p->files,
			human(p->bytes, b, sizeof(b)), secs,
			human(secs > 0 ? p->bytes / secs : 0, r, sizeof(r)));
		if (p->failed)
			fprintf(stderr, ", %lu failed", p->failed);
		fputc('\n', stderr);
	}
	pthread_mutex_destroy(&p->lock);
	free(p);
}
