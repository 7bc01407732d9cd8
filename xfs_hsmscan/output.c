// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * output.c - what the scanner prints: one line per listed file (or one
 * JSON object in the "files" array), the problems found, and the summary.
 *
 * Text lines, stable for scripts (see xfs_hsmscan(8)):
 *   --list:          INO GEN STATE FLAGS PENDING SIZE RESIDENT [PATH]
 *   --changed-since: INO GEN TYPE CTIME SIZE [PATH]
 * FLAGS as xfs_hsm status: D dirty, L lost, R norelease, A noarchive.
 * With --json, stdout is one document: {"filesystem", "uuid", "files",
 * "problems", "repairs", "audit", "summary"}, the optional parts only when
 * asked for.  Messages always go to stderr.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <json-c/json.h>
#include "xfs_hsmscan.h"

#define JSON_FLAGS	(JSON_C_TO_STRING_PLAIN | \
			 JSON_C_TO_STRING_NOSLASHESCAPE)

static bool	list_open;	/* "files": [ printed */
static bool	list_first = true;

static void
print_json(
	struct json_object	*o)
{
	fputs(json_object_to_json_string_ext(o, JSON_FLAGS), stdout);
}

void
output_begin(
	struct hsm_fs		*fs)
{
	struct json_object	*m, *u;

	if (!opts->json)
		return;
	m = json_object_new_string(hsm_fs_mountpoint(fs));
	u = json_object_new_string(hsm_fs_uuid(fs));
	printf("{\"filesystem\": ");
	print_json(m);
	printf(", \"uuid\": ");
	print_json(u);
	json_object_put(m);
	json_object_put(u);
	if (opts->list || opts->changed) {
		printf(",\n \"files\": [");
		list_open = true;
	}
}

/* Print one element of "files" (caller holds the output lock). */
static void
json_list_item(
	struct json_object	*o)
{
	printf("%s\n  ", list_first ? "" : ",");
	print_json(o);
	list_first = false;
	json_object_put(o);
}

static struct json_object *
u64(
	uint64_t	v)
{
	return json_object_new_uint64(v);
}

void
output_file(
	const struct file_entry	*e)
{
	const struct hsm_status	*st = &e->st;
	const struct hsm_record	*r = &st->rec;
	struct json_object	*o;
	const char		*state = e->error ? "bad" :
					 hsm_state_name(st->state);
	const char		*pending = st->has_record && r->pending ?
					   hsm_op_name(r->pending) : "-";
	char			flags[5], oid[33];
	bool			has_oid;

	hsm_status_flags(st, flags);
	output_lock_take();
	if (!opts->json) {
		printf("%" PRIu64 " %u %-8s %s %-10s %12" PRIu64 " %12" PRIu64
		       "%s%s\n", e->in.ino, e->in.gen, state, flags, pending,
		       e->in.size, e->in.blocks * 512, e->path ? " " : "",
		       e->path ? e->path : "");
		output_lock_drop();
		return;
	}
	o = json_object_new_object();
	json_object_object_add(o, "ino", u64(e->in.ino));
	json_object_object_add(o, "gen", u64(e->in.gen));
	if (e->path)
		json_add_path(o, e->path);
	json_object_object_add(o, "state", e->error ? NULL :
			       json_object_new_string(state));
	if (e->error)
		json_object_object_add(o, "error", json_object_new_string(
				error_reason(NULL, e->error)));
	json_object_object_add(o, "dirty", json_object_new_boolean(st->dirty));
	json_object_object_add(o, "lost", json_object_new_boolean(
			st->has_record && (r->flags & HSM_F_LOST)));
	json_object_object_add(o, "norelease", json_object_new_boolean(
			st->has_record && (r->flags & HSM_F_NORELEASE)));
	json_object_object_add(o, "noarchive", json_object_new_boolean(
			st->has_record && (r->flags & HSM_F_NOARCHIVE)));
	json_object_object_add(o, "pending", st->has_record && r->pending ?
			       json_object_new_string(pending) : NULL);
	if (st->has_record && r->pending)
		json_object_object_add(o, "owner_alive",
				       json_object_new_boolean(e->alive));
	json_object_object_add(o, "record_version", st->has_record &&
			       !e->error ? u64(r->version) : NULL);
	json_object_object_add(o, "size", u64(e->in.size));
	json_object_object_add(o, "resident_bytes", u64(e->in.blocks * 512));
	has_oid = st->has_record && !e->error && !hsm_oid_is_zero(r->copy[0].oid);
	if (has_oid)
		hsm_oid_hex(r->copy[0].oid, oid);
	json_object_object_add(o, "object", has_oid ?
			       json_object_new_string(oid) : NULL);
	json_list_item(o);
	output_lock_drop();
}

void
output_changed(
	const struct hsm_inode	*in,
	const char		*path)
{
	struct json_object	*o;
	char			ct[40];

	snprintf(ct, sizeof(ct), "%" PRId64 ".%09u", in->ctime_sec,
		 in->ctime_nsec);
	output_lock_take();
	if (!opts->json) {
		printf("%" PRIu64 " %u %-7s %s %12" PRIu64 "%s%s\n", in->ino,
		       in->gen, type_name(in->mode), ct, in->size,
		       path ? " " : "", path ? path : "");
		output_lock_drop();
		return;
	}
	o = json_object_new_object();
	json_object_object_add(o, "ino", u64(in->ino));
	json_object_object_add(o, "gen", u64(in->gen));
	if (path)
		json_add_path(o, path);
	json_object_object_add(o, "type",
			       json_object_new_string(type_name(in->mode)));
	json_object_object_add(o, "ctime", json_object_new_string(ct));
	json_object_object_add(o, "size", u64(in->size));
	json_list_item(o);
	output_lock_drop();
}

void
output_list_end(void)
{
	if (list_open)
		printf("%s]", list_first ? "" : "\n ");
	list_open = false;
}

void
output_problems(
	const struct scan_result *res)
{
	struct json_object	*arr = opts->json ? json_object_new_array() :
					NULL;
	char			name[4200];
	size_t			i;

	for (i = 0; i < res->files.nr; i++) {
		const struct file_entry *e = VEC_AT(&res->files,
						    struct file_entry, i);
		struct json_object *o;

		if (!e->error)
			continue;
		fprintf(stderr, "%s: %s: %s, left alone\n", PROGNAME,
			file_name(e->in.ino, e->in.gen, e->path, name,
				  sizeof(name)), error_reason(NULL, e->error));
		if (!arr)
			continue;
		o = json_object_new_object();
		json_object_object_add(o, "ino", u64(e->in.ino));
		json_object_object_add(o, "gen", u64(e->in.gen));
		if (e->path)
			json_add_path(o, e->path);
		json_object_object_add(o, "error", json_object_new_string(
				error_reason(NULL, e->error)));
		json_object_array_add(arr, o);
	}
	if (arr)
		output_json_section("problems", arr);
}

void
output_json_section(
	const char		*key,
	struct json_object	*val)
{
	printf(",\n \"%s\": ", key);
	print_json(val);
	json_object_put(val);
}

void
summary_line(
	FILE		*out,
	const char	*key,
	uint64_t	v)
{
	fprintf(out, "%-18s %" PRIu64 "\n", key, v);
}

/* With -v: which inodes the scan read, and why (xfs_hsmscan(8)). */
static void
rule_text(
	FILE				*out,
	const struct scan_result	*res)
{
	const struct hsm_record_rule	*r = &res->rule;
	const uint64_t			*c = res->total.c;

	if (opts->probe_all) {
		fprintf(out, "%-18s not used (--probe-all): every inode with "
			"attributes read\n", "record rule:");
		return;
	}
	fprintf(out, "%-18s %u-byte inodes, %u-byte literal area; a %s "
		"record needs %u bytes of a fork inside the inode\n",
		"record rule:", r->inodesize, r->literal,
		r->v2_only ? "v2" : "v1", r->need);
	if (!r->v2_only)
		fprintf(out, "%-18s slow: v1 records may be left here, so only "
			"inodes without attributes are skipped (run --upgrade)"
			"\n", "fast path:");
	else if (c[C_FORK_SKIPPED])
		fprintf(out, "%-18s applies: inodes whose fork is inside the "
			"inode and begins after byte %u are skipped\n",
			"fast path:", r->literal - r->need);
	else
		fprintf(out, "%-18s did not apply: every attribute fork seen "
			"had room for a record (probing as without it)\n",
			"fast path:");
	fprintf(out, "%-18s %" PRIu64 " of %" PRIu64 " regular files\n",
		"skipped by fork:", c[C_FORK_SKIPPED], c[C_REGULAR]);
}

/* The summary as text lines "key: value", keys in a fixed order. */
static void
summary_text(
	FILE				*out,
	struct hsm_fs			*fs,
	const struct scan_result	*res,
	const struct repair_totals	*rep,
	const struct audit		*audit)
{
	const uint64_t		*c = res->total.c;
	uint64_t		pend = c[C_MIGRATING] + c[C_RELEASING] +
				       c[C_RECALLING] + c[C_FORGETTING];

	fprintf(out, "%-18s %s\n", "filesystem:", hsm_fs_mountpoint(fs));
	fprintf(out, "%-18s %" PRIu64 ", %" PRIu64 " records read\n",
		"inodes scanned:", c[C_INODES], c[C_PROBED]);
	summary_line(out, "regular files:", c[C_REGULAR]);
	if (opts->verbose && opts->records)
		rule_text(out, res);
	if (opts->records) {
		fprintf(out, "%-18s %" PRIu64 " with no record, %" PRIu64
			" with a record\n", "resident:", c[C_RES_NOREC],
			c[C_RES_REC]);
		summary_line(out, "archived:", c[C_ARCHIVED]);
		summary_line(out, "released:", c[C_RELEASED]);
		summary_line(out, "partial:", c[C_PARTIAL]);
		summary_line(out, "dirty:", c[C_DIRTY]);
		summary_line(out, "lost:", c[C_LOST]);
		fprintf(out, "%-18s %" PRIu64 " (%" PRIu64 " migrating, %"
			PRIu64 " releasing, %" PRIu64 " recalling, %" PRIu64
			" forgetting", "pending:", pend, c[C_MIGRATING],
			c[C_RELEASING], c[C_RECALLING], c[C_FORGETTING]);
		if (c[C_LIVE])
			fprintf(out, "; %" PRIu64 " in progress", c[C_LIVE]);
		fputs(")\n", out);
		if (c[C_V1])
			summary_line(out, "v1 records:", c[C_V1]);
		summary_line(out, "bad records:", c[C_BAD]);
		summary_line(out, "unreadable:", c[C_ERRORS]);
		if (c[C_VANISHED])
			summary_line(out, "vanished:", c[C_VANISHED]);
	}
	summary_line(out, "bytes resident:", c[C_BYTES_RESIDENT]);
	if (opts->records) {
		summary_line(out, "bytes released:", c[C_BYTES_RELEASED]);
		summary_line(out, "bytes dual-state:", c[C_BYTES_DUAL]);
	}
	if (opts->changed)
		summary_line(out, "changed since:", c[C_CHANGED]);
	if (rep) {
		summary_line(out, "repaired:", rep->repaired);
		summary_line(out, "not repaired:", rep->failed);
	}
	if (audit)
		audit_summary_text(out, audit);
	fprintf(out, "%-18s %s\n", "scan:", res->complete ? "complete" :
		res->failed ? "failed" : "incomplete, continue with --resume");
	fprintf(out, "%-18s %.2f\n", "seconds:", res->seconds);
	fprintf(out, "%-18s %.0f\n", "inodes/s:", res->seconds > 0 ?
		res->run_inodes / res->seconds : 0);
}

static struct json_object *
summary_json(
	const struct scan_result	*res)
{
	static const char *const keys[C_NR] = {
		[C_INODES] = "inodes_scanned", [C_PROBED] = "records_read",
		[C_REGULAR] = "regular_files",
		[C_RES_NOREC] = "resident_no_record",
		[C_RES_REC] = "resident_with_record",
		[C_ARCHIVED] = "archived", [C_RELEASED] = "released",
		[C_PARTIAL] = "partial", [C_DIRTY] = "dirty",
		[C_LOST] = "lost", [C_BAD] = "bad_records",
		[C_ERRORS] = "unreadable", [C_VANISHED] = "vanished",
		[C_BYTES_RESIDENT] = "bytes_resident",
		[C_BYTES_RELEASED] = "bytes_released",
		[C_BYTES_DUAL] = "bytes_dual_state",
		[C_FORK_SKIPPED] = "skipped_by_fork_size",
		[C_V1] = "v1_records",
	};
	const uint64_t		*c = res->total.c;
	struct json_object	*o = json_object_new_object(), *p;
	int			i;

	/* without records read, only what bulkstat said */
	for (i = 0; i < C_NR; i++)
		if (keys[i] && (opts->records || i == C_INODES ||
				i == C_PROBED || i == C_REGULAR ||
				i == C_BYTES_RESIDENT))
			json_object_object_add(o, keys[i], u64(c[i]));
	if (opts->records) {
		p = json_object_new_object();
		json_object_object_add(p, "migrating", u64(c[C_MIGRATING]));
		json_object_object_add(p, "releasing", u64(c[C_RELEASING]));
		json_object_object_add(p, "recalling", u64(c[C_RECALLING]));
		json_object_object_add(p, "forgetting", u64(c[C_FORGETTING]));
		json_object_object_add(p, "in_progress", u64(c[C_LIVE]));
		json_object_object_add(o, "pending", p);
	}
	if (opts->changed)
		json_object_object_add(o, "changed", u64(c[C_CHANGED]));
	if (opts->records) {
		p = json_object_new_object();
		json_object_object_add(p, "inode_size",
				       u64(res->rule.inodesize));
		json_object_object_add(p, "literal_area",
				       u64(res->rule.literal));
		json_object_object_add(p, "record_needs",
				       u64(res->rule.need));
		json_object_object_add(p, "v2_only", json_object_new_boolean(
				       res->rule.v2_only));
		json_object_object_add(p, "used", json_object_new_boolean(
				       !opts->probe_all));
		json_object_object_add(o, "record_rule", p);
	}
	json_object_object_add(o, "complete",
			       json_object_new_boolean(res->complete));
	json_object_object_add(o, "seconds",
			       json_object_new_double(res->seconds));
	json_object_object_add(o, "inodes_per_second", json_object_new_double(
			res->seconds > 0 ? res->run_inodes / res->seconds : 0));
	return o;
}

void
output_summary(
	struct hsm_fs			*fs,
	const struct scan_result	*res,
	struct repair_totals		*rep,
	struct audit			*audit)
{
	if (opts->json) {
		if (rep)
			output_json_section("repair", repair_json(rep));
		if (audit)
			output_json_section("audit", audit_json(audit));
		output_json_section("summary", summary_json(res));
		printf("}\n");
		return;
	}
	/* a listing is for scripts: its summary only when asked for */
	if (!opts->list && !opts->changed)
		summary_text(stdout, fs, res, rep, audit);
	else if (opts->verbose)
		summary_text(stderr, fs, res, rep, audit);
}
