// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * stats.c - xfs_hsm stats: the counters of the xfs_hsmd serving a
 * filesystem.  Exit 4 and "no daemon serves MOUNT" when none does, which
 * scripts use to wait for a daemon to be ready.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <json-c/json.h>
#include "xfs_hsm.h"

/* One counter: its JSON key, its label, and where it is. */
static const struct {
	const char	*key;
	const char	*label;
	size_t		off;
} counters[] = {
#define C(k, l) { #k, l, offsetof(struct hsm_server_stats, k) }
	C(uptime_s, "uptime (s)"),
	C(events, "events answered"),
	C(own_events, "  of our own IO"),
	C(ignored, "ignore marks added"),
	C(recalls, "events that waited for data"),
	C(recall_bytes, "bytes recalled"),
	C(chunks, "chunks read from the store"),
	C(chunks_dedup, "waits on a chunk in flight"),
	C(failures, "events denied"),
	C(timeouts, "  past the deadline"),
	C(adopted, "events adopted after a crash"),
	C(in_flight, "events waiting now"),
	C(queued, "chunks queued now"),
	C(unsynced, "chunks not yet durable"),
	C(lat_p50_us, "latency p50 (us)"),
	C(lat_p90_us, "latency p90 (us)"),
	C(lat_p99_us, "latency p99 (us)"),
	C(lat_max_us, "latency max (us)"),
	C(rss_kib, "memory resident (KiB)"),
	C(rss_max_kib, "  peak (KiB)"),
#undef C
};
#define NCOUNTERS	(sizeof(counters) / sizeof(counters[0]))

static uint64_t
counter(
	const struct hsm_server_stats	*st,
	size_t				i)
{
	return *(const uint64_t *)((const char *)st + counters[i].off);
}

static void
print_json(
	const char			*mnt,
	const struct hsm_server_stats	*st)
{
	struct json_object		*o = json_object_new_object();
	size_t				i;

	json_add_path(o, mnt);
	json_object_object_add(o, "pid", json_object_new_int64(st->pid));
	json_object_object_add(o, "restarts",
			json_object_new_int64(st->restarts));
	for (i = 0; i < NCOUNTERS; i++)
		json_object_object_add(o, counters[i].key,
				json_object_new_uint64(counter(st, i)));
	printf("%s\n", json_object_to_json_string_ext(o,
			JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
}

static void
print_text(
	const char			*mnt,
	const struct hsm_server_stats	*st)
{
	size_t				i;

	printf("%-30s %s\n", "filesystem", mnt);
	printf("%-30s %u\n", "worker pid", st->pid);
	printf("%-30s %u\n", "worker restarts", st->restarts);
	for (i = 0; i < NCOUNTERS; i++)
		printf("%-30s %" PRIu64 "\n", counters[i].label,
		       counter(st, i));
}

void
stats_help(void)
{
	printf("Usage:\n %s stats [--json] <mount>\n\n"
	       "Show the counters of the xfs_hsmd serving <mount>: events, "
	       "recalls, bytes,\nchunks read and deduplicated, failures, what "
	       "waits now, recall latency.\nExits 4 when no daemon serves "
	       "<mount>.\n\nOptions:\n"
	       "     --json       one JSON object\n"
	       " -h, --help       display this help\n\nSee xfs_hsm(8).\n",
	       PROGNAME);
}

int
stats_f(
	int			argc,
	char			**argv)
{
	static const struct option longopts[] = {
		{ "json",	no_argument,	NULL, 'J' },
		{ "help",	no_argument,	NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct hsm_server_stats	st;
	struct hsm_fs		*fs;
	bool			json = false;
	int			c, error;

	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'J':
			json = true;
			break;
		case 'h':
			stats_help();
			return 0;
		default:
			errtryhelp(HSM_EX_USAGE);
		}
	}
	if (optind != argc - 1) {
		fprintf(stderr, "%s: stats: %s\n", PROGNAME, optind >= argc ?
			"missing mount point" : "one mount point only");
		errtryhelp(HSM_EX_USAGE);
	}
	require_root();
	fs = fs_named(argv[optind], false);
	if (!fs)
		return 0;		/* reported, exitcode set */
	error = hsm_fs_daemon_stats(fs, &st);
	if (error) {
		if (error == -ENOTCONN)
			fprintf(stderr, "%s: no daemon serves %s\n", PROGNAME,
				hsm_fs_mountpoint(fs));
		else
			fprintf(stderr, "%s: stats of %s: %s\n", PROGNAME,
				hsm_fs_mountpoint(fs), strerror(-error));
		exitcode |= HSM_EX_OPERATIONAL;
		return 0;
	}
	if (json)
		print_json(hsm_fs_mountpoint(fs), &st);
	else
		print_text(hsm_fs_mountpoint(fs), &st);
	return 0;
}
