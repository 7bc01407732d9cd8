// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * srv_stats.c - the server's counters and the latency of the last
 * SRV_LAT_RING recalls, for xfs_hsm stats.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "server/serverP.h"

void
srv_stats_init(
	struct srv_stats	*st)
{
	memset(st, 0, sizeof(*st));
	pthread_mutex_init(&st->lat_lock, NULL);
}

void
srv_stats_latency(
	struct srv_stats	*st,
	int64_t			ns)
{
	uint64_t		us = ns > 0 ? ns / 1000 : 0;

	pthread_mutex_lock(&st->lat_lock);
	st->lat_us[st->lat_n++ % SRV_LAT_RING] = us > UINT32_MAX ?
						 UINT32_MAX : us;
	if (us > st->lat_max)
		st->lat_max = us;
	pthread_mutex_unlock(&st->lat_lock);
}

static int
cmp_u32(
	const void	*a,
	const void	*b)
{
	uint32_t	x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* The worker's memory, so an administrator sees it stays bounded. */
static void
stats_memory(
	struct hsm_server_stats	*out)
{
	char			line[128];
	unsigned long		kib;
	FILE			*f = fopen("/proc/self/status", "re");

	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "VmRSS: %lu", &kib) == 1)
			out->rss_kib = kib;
		else if (sscanf(line, "VmHWM: %lu", &kib) == 1)
			out->rss_max_kib = kib;
	}
	fclose(f);
}

void
srv_stats_get(
	struct hsm_server	*s,
	struct hsm_server_stats	*out)
{
	struct srv_stats	*st = &s->stats;
	uint32_t		sorted[SRV_LAT_RING];
	size_t			n;

	memset(out, 0, sizeof(*out));
	out->uptime_s = (srv_now_ns() - s->start_ns) / 1000000000;
	out->pid = s->pid;
	out->restarts = atomic_load(&s->evtab->restarts);
	out->events = atomic_load(&st->events);
	out->own_events = atomic_load(&st->own_events);
	out->ignored = atomic_load(&st->ignored);
	out->recalls = atomic_load(&st->recalls);
	out->recall_bytes = atomic_load(&st->recall_bytes);
	out->chunks = atomic_load(&st->chunks);
	out->chunks_dedup = atomic_load(&st->chunks_dedup);
	out->failures = atomic_load(&st->failures);
	out->timeouts = atomic_load(&st->timeouts);
	out->adopted = atomic_load(&st->adopted);
	out->in_flight = atomic_load(&st->in_flight);
	out->queued = atomic_load(&st->queued_now);
	out->unsynced = atomic_load(&st->unsynced_now);
	stats_memory(out);
	srv_admit_stats(s, out);
	pthread_mutex_lock(&st->lat_lock);
	n = st->lat_n < SRV_LAT_RING ? st->lat_n : SRV_LAT_RING;
	memcpy(sorted, st->lat_us, n * sizeof(sorted[0]));
	out->lat_max_us = st->lat_max;
	pthread_mutex_unlock(&st->lat_lock);
	if (!n)
		return;
	qsort(sorted, n, sizeof(sorted[0]), cmp_u32);
	out->lat_p50_us = sorted[n * 50 / 100];
	out->lat_p90_us = sorted[n * 90 / 100];
	out->lat_p99_us = sorted[n * 99 / 100];
}
