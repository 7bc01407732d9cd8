// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * stats_prom.c - xfs_hsm stats --prometheus: the daemon's counters in the
 * Prometheus text exposition format (version 0.0.4), for node_exporter's
 * textfile collector.  Every metric has its # HELP and # TYPE, a unit in
 * its name (_seconds, _bytes) and the label mount="MOUNT"; counters end in
 * _total.  The names are listed in xfs_hsm(8): they are an interface.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include "xfs_hsm.h"
#include "policy.h"

/* @s as a label value: backslash, double quote and newline escaped. */
static void
put_label(
	const char	*s)
{
	for (; *s; s++) {
		if (*s == '\\' || *s == '"')
			printf("\\%c", *s);
		else if (*s == '\n')
			printf("\\n");
		else
			putchar(*s);
	}
}

static void
head(
	const char	*name,
	const char	*type,
	const char	*help)
{
	printf("# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* One sample: NAME{mount="M"[,EXTRA]} VALUE */
static void
sample(
	const char	*name,
	const char	*mnt,
	const char	*key,
	const char	*val,
	const char	*value)
{
	printf("%s{mount=\"", name);
	put_label(mnt);
	if (key) {
		printf("\",%s=\"", key);
		put_label(val);
	}
	printf("\"} %s\n", value);
}

static void
metric_u64(
	const char	*name,
	const char	*type,
	const char	*help,
	const char	*mnt,
	uint64_t	v)
{
	char		buf[32];

	snprintf(buf, sizeof(buf), "%" PRIu64, v);
	head(name, type, help);
	sample(name, mnt, NULL, NULL, buf);
}

/* Microseconds as seconds, exactly. */
static void
us_to_s(
	uint64_t	us,
	char		*buf,
	size_t		size)
{
	snprintf(buf, size, "%" PRIu64 ".%06" PRIu64, us / 1000000,
		 us % 1000000);
}

static const struct {
	const char	*name;
	const char	*type;
	const char	*help;
	size_t		off;
	uint64_t	scale;		/* the value times this */
} daemon_metrics[] = {
#define M(n, t, h, f, x) { n, t, h, offsetof(struct hsm_server_stats, f), x }
	M("xfs_hsm_daemon_uptime_seconds", "gauge",
	  "Seconds since xfs_hsmd started serving.", uptime_s, 1),
	M("xfs_hsm_events_total", "counter",
	  "Permission events answered.", events, 1),
	M("xfs_hsm_own_events_total", "counter",
	  "Permission events raised by the daemon's own IO.", own_events, 1),
	M("xfs_hsm_ignore_marks_total", "counter",
	  "Ignore marks added for resident files.", ignored, 1),
	M("xfs_hsm_recalls_total", "counter",
	  "Events that waited for data to be recalled.", recalls, 1),
	M("xfs_hsm_recall_bytes_total", "counter",
	  "Bytes recalled from the store into files.", recall_bytes, 1),
	M("xfs_hsm_store_chunks_read_total", "counter",
	  "Chunks read from the store.", chunks, 1),
	M("xfs_hsm_chunk_waits_deduplicated_total", "counter",
	  "Waits on a chunk already being read (one read served them).",
	  chunks_dedup, 1),
	M("xfs_hsm_events_denied_total", "counter",
	  "Events denied (EIO, ENOSPC...).", failures, 1),
	M("xfs_hsm_events_timed_out_total", "counter",
	  "Events denied past their deadline.", timeouts, 1),
	M("xfs_hsm_events_adopted_total", "counter",
	  "Events taken over from a worker that died.", adopted, 1),
	M("xfs_hsm_events_waiting", "gauge",
	  "Events waiting for data now.", in_flight, 1),
	M("xfs_hsm_chunks_queued", "gauge",
	  "Chunks queued for a worker now.", queued, 1),
	M("xfs_hsm_chunks_unsynced", "gauge",
	  "Chunks recalled and not yet durable now.", unsynced, 1),
	M("xfs_hsm_daemon_resident_memory_bytes", "gauge",
	  "Resident memory of the daemon's worker.", rss_kib, 1024),
	M("xfs_hsm_daemon_resident_memory_peak_bytes", "gauge",
	  "Peak resident memory of the daemon's worker.", rss_max_kib, 1024),
#undef M
};

static const struct {
	const char	*name;
	const char	*type;
	const char	*help;
	size_t		off;
	bool		ms;		/* milliseconds: printed as seconds */
} rule_metrics[] = {
#define R(n, t, h, f, ms) { n, t, h, offsetof(struct hsm_admit_stats, f), ms }
	R("xfs_hsm_admit_matched_total", "counter",
	  "Events on released data a recall rule decided.", matched, false),
	R("xfs_hsm_admit_denied_total", "counter",
	  "Readers a recall rule denied.", denied, false),
	R("xfs_hsm_admit_audited_total", "counter",
	  "Denials a recall rule only logged (audit).", audited, false),
	R("xfs_hsm_admit_delayed_total", "counter",
	  "Readers that waited for a recall rule's limit.", delayed, false),
	R("xfs_hsm_admit_wait_seconds_total", "counter",
	  "Seconds readers waited for a recall rule's limit, all told.",
	  wait_ms, true),
	R("xfs_hsm_admit_waiting", "gauge",
	  "Readers waiting for a recall rule's limit now.", waiting, false),
	R("xfs_hsm_admit_recalls_total", "counter",
	  "Recalls a recall rule let through.", recalls, false),
	R("xfs_hsm_admit_bytes_total", "counter",
	  "Bytes the recalls a rule let through asked for.", bytes, false),
#undef R
};
#define NRULE_METRICS	(sizeof(rule_metrics) / sizeof(rule_metrics[0]))

static void
print_rules(
	const char			*mnt,
	const struct hsm_server_stats	*st)
{
	char				buf[32];
	size_t				i, j;
	uint64_t			v;

	for (j = 0; j < NRULE_METRICS && st->nadmit; j++) {
		head(rule_metrics[j].name, rule_metrics[j].type,
		     rule_metrics[j].help);
		for (i = 0; i < st->nadmit; i++) {
			v = *(const uint64_t *)((const char *)&st->admit[i] +
						rule_metrics[j].off);
			if (rule_metrics[j].ms)
				snprintf(buf, sizeof(buf), "%" PRIu64 ".%03"
					 PRIu64, v / 1000, v % 1000);
			else
				snprintf(buf, sizeof(buf), "%" PRIu64, v);
			sample(rule_metrics[j].name, mnt, "rule",
			       st->admit[i].name, buf);
		}
	}
}

static void
print_latency(
	const char			*mnt,
	const struct hsm_server_stats	*st)
{
	static const char *const q[] = { "0.5", "0.9", "0.99", "1" };
	const uint64_t	v[] = { st->lat_p50_us, st->lat_p90_us,
				st->lat_p99_us, st->lat_max_us };
	char		buf[40];
	size_t		i;

	head("xfs_hsm_recall_seconds", "gauge", "Recall latency of the last "
	     "4096 events that waited, by quantile (1: the maximum since "
	     "the start).");
	for (i = 0; i < 4; i++) {
		us_to_s(v[i], buf, sizeof(buf));
		sample("xfs_hsm_recall_seconds", mnt, "quantile", q[i], buf);
	}
}

static void
print_policy(
	const char		*mnt,
	const struct policy_runs *r)
{
	metric_u64("xfs_hsm_policy_runs_total", "counter",
		   "Space policy runs xfs_hsmd started.", mnt, r->runs);
	metric_u64("xfs_hsm_policy_runs_failed_total", "counter",
		   "Space policy runs that failed (exit status above 1, or "
		   "killed).", mnt, r->failed);
	metric_u64("xfs_hsm_policy_running", "gauge",
		   "1 while a space policy run runs.", mnt, r->running);
	metric_u64("xfs_hsm_policy_last_start_timestamp_seconds", "gauge",
		   "When the last space policy run started (unix time, 0: "
		   "never).", mnt, r->last_start);
	metric_u64("xfs_hsm_policy_last_end_timestamp_seconds", "gauge",
		   "When the last space policy run ended (unix time, 0: "
		   "never).", mnt, r->last_end);
	metric_u64("xfs_hsm_policy_last_exit_status", "gauge",
		   "Exit status of the last space policy run (128 + signal "
		   "when killed).", mnt, r->last_exit);
}

void
stats_prometheus(
	struct hsm_fs			*fs,
	const struct hsm_server_stats	*st)
{
	const char			*mnt = hsm_fs_mountpoint(fs);
	struct policy_runs		runs;
	uint64_t			v;
	size_t				i;

	metric_u64("xfs_hsm_daemon_up", "gauge", "1 when an xfs_hsmd serves "
		   "the filesystem.", mnt, st != NULL);
	if (!st)
		return;
	metric_u64("xfs_hsm_daemon_worker_restarts_total", "counter",
		   "Worker processes replaced after a crash.", mnt,
		   st->restarts);
	for (i = 0; i < sizeof(daemon_metrics) / sizeof(daemon_metrics[0]);
	     i++) {
		v = *(const uint64_t *)((const char *)st +
					daemon_metrics[i].off);
		metric_u64(daemon_metrics[i].name, daemon_metrics[i].type,
			   daemon_metrics[i].help, mnt,
			   v * daemon_metrics[i].scale);
	}
	print_latency(mnt, st);
	print_rules(mnt, st);
	if (!policy_runs_read(hsm_fs_uuid(fs), &runs))
		print_policy(mnt, &runs);
}
