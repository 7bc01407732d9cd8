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

/* A recall admission rule's counters (xfs_hsm.conf(5), [recall NAME]). */
static const struct {
	const char	*key;
	size_t		off;
} rule_counters[] = {
#define R(k) { #k, offsetof(struct hsm_admit_stats, k) }
	R(matched), R(denied), R(audited), R(delayed), R(wait_ms),
	R(waiting), R(recalls), R(bytes),
#undef R
};
#define NRULE_COUNTERS	(sizeof(rule_counters) / sizeof(rule_counters[0]))

static uint64_t
rule_counter(
	const struct hsm_admit_stats	*a,
	size_t				i)
{
	return *(const uint64_t *)((const char *)a + rule_counters[i].off);
}

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
	struct json_object		*rules = json_object_new_array();
	size_t				j;

	for (i = 0; i < NCOUNTERS; i++)
		json_object_object_add(o, counters[i].key,
				json_object_new_uint64(counter(st, i)));
	for (i = 0; i < st->nadmit; i++) {
		struct json_object *r = json_object_new_object();

		json_object_object_add(r, "name",
				json_object_new_string(st->admit[i].name));
		for (j = 0; j < NRULE_COUNTERS; j++)
			json_object_object_add(r, rule_counters[j].key,
				json_object_new_uint64(
					rule_counter(&st->admit[i], j)));
		json_object_array_add(rules, r);
	}
	json_object_object_add(o, "recall_rules", rules);
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
	size_t				j;

	for (i = 0; i < NCOUNTERS; i++)
		printf("%-30s %" PRIu64 "\n", counters[i].label,
		       counter(st, i));
	if (!st->nadmit)
		return;
	printf("\n%-20s", "recall rule");
	for (j = 0; j < NRULE_COUNTERS; j++)
		printf(" %9s", rule_counters[j].key);
	printf("\n");
	for (i = 0; i < st->nadmit; i++) {
		printf("%-20s", st->admit[i].name);
		for (j = 0; j < NRULE_COUNTERS; j++)
			printf(" %9" PRIu64, rule_counter(&st->admit[i], j));
		printf("\n");
	}
}

void
stats_help(void)
{
	printf("Usage:\n %s stats [--json | --prometheus] <mount>\n\n"
	       "Show the counters of the xfs_hsmd serving <mount>: events, "
	       "recalls, bytes,\nchunks read and deduplicated, failures, what "
	       "waits now, recall latency, and\nwhat each recall admission rule "
	       "decided.\nExits 4 when no daemon serves "
	       "<mount>, or while it starts.\n\nOptions:\n"
	       "     --json       one JSON object\n"
	       "     --prometheus the Prometheus text format (node_exporter's "
	       "textfile\n"
	       "                  collector), with xfs_hsmd's policy runs\n"
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
		{ "prometheus",	no_argument,	NULL, 'P' },
		{ "help",	no_argument,	NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct hsm_server_stats	st;
	struct hsm_fs		*fs;
	bool			json = false, prom = false;
	int			c, error;

	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'J':
			json = true;
			break;
		case 'P':
			prom = true;
			break;
		case 'h':
			stats_help();
			return 0;
		default:
			errtryhelp(HSM_EX_USAGE);
		}
	}
	if (json && prom) {
		fprintf(stderr, "%s: stats: --json or --prometheus, not both\n",
			PROGNAME);
		errtryhelp(HSM_EX_USAGE);
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
	if (prom)
		stats_prometheus(fs, error ? NULL : &st);
	if (error) {
		if (error == -ENOTCONN)
			fprintf(stderr, "%s: no daemon serves %s\n", PROGNAME,
				hsm_fs_mountpoint(fs));
		else if (error == -EAGAIN)
			fprintf(stderr, "%s: the xfs_hsmd of %s is starting: "
				"it recalls the files opened before it\n",
				PROGNAME, hsm_fs_mountpoint(fs));
		else
			fprintf(stderr, "%s: stats of %s: %s\n", PROGNAME,
				hsm_fs_mountpoint(fs), strerror(-error));
		exitcode |= HSM_EX_OPERATIONAL;
		return 0;
	}
	if (prom)
		;
	else if (json)
		print_json(hsm_fs_mountpoint(fs), &st);
	else
		print_text(hsm_fs_mountpoint(fs), &st);
	return 0;
}
