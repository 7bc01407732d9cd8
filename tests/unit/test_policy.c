// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test_policy.c - the space policy of xfs_hsm policy: its configuration
 * (keys, units, the mount section over [space] wherever it stands,
 * refusals), which files may move and for what, and which a run chooses
 * (releases first, then by score, within max_files and max_bytes, to the
 * low mark; premigration to the high-to-low distance).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "xfs_hsm.h"
#include "policy.h"
#include "tap.h"

int exitcode, verbose;

#define MiB	(1ULL << 20)
#define DAY	86400

static char	conf[64];

/* Write @text to the scratch config and read it for mount "/m", its
 * recall rules into @ar (NULL: only checked). */
static int
read_conf(
	const char		*text,
	struct space_policy	*p,
	struct admit_rules	*ar)
{
	FILE			*f = fopen(conf, "w");
	int			rc, saved, null;

	fputs(text, f);
	fclose(f);
	/* the refusals' messages are not TAP: into /dev/null */
	fflush(stderr);
	saved = dup(STDERR_FILENO);
	null = open("/dev/null", O_WRONLY);
	dup2(null, STDERR_FILENO);
	close(null);
	rc = policy_read(conf, true, "/m", p, ar);
	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);
	return rc;
}

static int
read_text(
	const char		*text,
	struct space_policy	*p)
{
	return read_conf(text, p, NULL);
}

static void
test_config(void)
{
	struct space_policy	p;
	int			rc;

	rc = policy_read("/nonexistent/xfs_hsm.conf", false, "/m", &p, NULL);
	ok(rc == 0 && p.high.percent && p.high.value == 90 &&
	   p.low.value == 80 && !p.premigrate_set && p.min_age == DAY,
	   "no file: the defaults (90%%, 80%%, no premigrate, 1d)");
	rc = policy_read("/nonexistent/xfs_hsm.conf", true, "/m", &p, NULL);
	ok(rc == -1, "a file named on the command line must exist");

	rc = read_text("[/m]\nhigh_watermark = 70%\n[space]\n"
		       "high_watermark = 95%\nlow_watermark = 50%\n"
		       "min_size = 1M\nmin_age = 12h\nage_weight = 2.5\n"
		       "size_weight = 0.01\nmax_files = 1000\nmax_bytes = 1T\n"
		       "check_interval = 10m\nexclude_uids = 0, 33\n"
		       "premigrate_watermark = 40%\n", &p);
	ok(rc == 0 && p.high.value == 70 && p.low.value == 50 &&
	   p.min_size == MiB && p.min_age == 12 * 3600 &&
	   p.age_weight == 2.5 && p.size_weight == 0.01 &&
	   p.max_files == 1000 && p.max_bytes == 1ULL << 40 &&
	   p.check_interval == 600 && p.n_uid == 2 && p.excl_uid[1] == 33 &&
	   p.premigrate_set && p.premigrate.value == 40,
	   "every key; the mount's section wins though it comes first (%d)",
	   rc);
	rc = read_text("[space]\nhigh_watermark = 800G\n"
		       "low_watermark = 600G\n[/other]\nhigh_watermark = 1%\n",
		       &p);
	ok(rc == 0 && !p.high.percent && p.high.value == 800.0 * (1 << 30),
	   "sizes as watermarks; another mount's section is not ours");
	ok(watermark_bytes(&p.high, 1ULL << 40) == 800ULL << 30 &&
	   watermark_bytes(&p.high, 1ULL << 30) == 1ULL << 30,
	   "a size watermark, capped at the filesystem size");

	ok(p.repack_threshold == 50, "repack_threshold: 50%% by default");
	ok(read_text("[space]\nrepack_threshold = 30%\n[/m]\n"
		     "repack_threshold = 0\n", &p) == 0 &&
	   p.repack_threshold == 0, "repack_threshold: with or without %%");
	ok(read_text("[space]\nrepack_threshold = 101%\n", &p) == -1 &&
	   read_text("[space]\nrepack_threshold = half\n", &p) == -1,
	   "repack_threshold: 0 to 100 only");
	ok(read_text("[space]\nbogus = 1\n", &p) == -1, "unknown key");
	ok(read_text("[rules]\nx = 1\n", &p) == -1, "unknown section");
	ok(read_text("[/other]\nbogus = 1\n", &p) == -1,
	   "another mount's section is checked too");
	ok(read_text("[space]\nhigh_watermark = 101%\n", &p) == -1,
	   "a percentage over 100");
	ok(read_text("[space]\nhigh_watermark = -5%\n", &p) == -1,
	   "a negative percentage");
	ok(read_text("[space]\nlow_watermark = 95%\n", &p) == -1,
	   "low above the default high");
	ok(read_text("[space]\nhigh_watermark = 80%\nlow_watermark = 10G\n",
		     &p) == -1, "a percentage and a size mixed");
	ok(read_text("[space]\nmin_age = 3 days\n", &p) == -1,
	   "a duration with a word");
	ok(read_text("[space]\nmax_files = 1K\n", &p) == -1,
	   "a count with a unit");
	ok(read_text("[space]\ncheck_interval = 0\n", &p) == -1,
	   "a zero interval");
	ok(read_text("[space]\nexclude_uids = 1,,x\n", &p) == -1,
	   "a bad id list");
	ok(read_text("[space]\n", &p) == 0 && p.full_scan_interval == DAY,
	   "full_scan_interval: a day by default");
	ok(read_text("[space]\nfull_scan_interval = 0\n", &p) == 0 &&
	   !p.full_scan_interval, "full_scan_interval 0: always a full scan");
	ok(read_text("[space]\nfull_scan_interval = 6h\n", &p) == 0 &&
	   p.full_scan_interval == 6 * 3600, "full_scan_interval 6h");
	ok(read_text("[space]\nfull_scan_interval = soon\n", &p) == -1,
	   "a bad full_scan_interval");
	ok(read_text("[space\nhigh_watermark = 80%\n", &p) == -1,
	   "a syntax error");
}

static int
read_rules(
	const char		*text,
	struct admit_rules	*ar)
{
	struct space_policy	p;

	return read_conf(text, &p, ar);
}

static void
test_rules(void)
{
	struct admit_rules	ar;
	const struct hsm_admit_rule *r;
	int			rc;

	rc = read_rules("[recall backup]\ncomm = bsdtar, rsync\n"
			"uid = 0 1000\ngid = root\nexe = /usr/bin/bsdtar\n"
			"cgroup = /system.slice/backup.service\n"
			"action = limit\nrecalls_per_second = 2.5\n"
			"bytes_per_second = 50M\nmode = whole\n"
			"[space]\nhigh_watermark = 90%\n"
			"[recall scanners]\ncomm = clamd\naction = deny\n"
			"errno = EBUSY\naudit = yes\n"
			"[recall backup]\nmode = range\n", &ar);
	ok(rc == 0 && ar.n == 2, "two rules, a section seen twice is one "
	   "(%d, %u)", rc, ar.n);
	r = &ar.rule[0];
	ok(rc == 0 && !strcmp(r->name, "backup") && r->ncomms == 2 &&
	   !strcmp(r->comms[1], "rsync") && r->nuids == 2 &&
	   r->uids[1] == 1000 && r->ngids == 1 && r->gids[0] == 0 &&
	   r->nexes == 1 && r->ncgroups == 1 &&
	   r->action == HSM_ADMIT_LIMIT && r->recalls_per_s == 2.5 &&
	   r->bytes_per_s == 50 * MiB && r->mode == HSM_ADMIT_MODE_RANGE,
	   "every key of a rule; the later mode wins");
	r = &ar.rule[1];
	ok(rc == 0 && r->action == HSM_ADMIT_DENY && r->deny_errno == EBUSY &&
	   r->audit && r->mode == HSM_ADMIT_MODE_FILE,
	   "deny, errno, audit; mode defaults to the file's");
	admit_rules_free(&ar);

	ok(read_rules("[recall x]\naction = deny\nerrno = ENOENT\n", &ar) ==
	   -1, "an errno fanotify does not accept");
	ok(read_rules("[recall x]\naction = limit\n", &ar) == -1,
	   "limit without a rate");
	ok(read_rules("[recall x]\nrecalls_per_second = 3\n", &ar) == -1,
	   "a rate without limit");
	ok(read_rules("[recall x]\naudit = yes\n", &ar) == -1,
	   "audit without deny");
	ok(read_rules("[recall x]\nexe = bsdtar\n", &ar) == -1,
	   "exe must be a path");
	ok(read_rules("[recall x]\ncomm = a_name_longer_than_15\n", &ar) ==
	   -1, "comm longer than the kernel keeps");
	ok(read_rules("[recall x]\nuid = no_such_user_here\n", &ar) == -1,
	   "an unknown user");
	ok(read_rules("[recall x]\nspeed = 3\n", &ar) == -1, "unknown key");
	ok(read_rules("[recall x]\nrecalls_per_second = 0\naction = limit\n",
		      &ar) == -1, "a zero rate");
	ok(read_rules("[recall a_rule_name_of_more_than_31_chars]\n"
		      "action = allow\n", &ar) == -1, "a name too long");
}

static struct hsm_inode
inode(
	uint64_t	ino,
	uint64_t	size,
	int64_t		mtime,
	int64_t		atime)
{
	struct hsm_inode in = {
		.ino = ino, .gen = 1, .mode = S_IFREG | 0644, .size = size,
		.blocks = size / 512, .mtime_sec = mtime, .atime_sec = atime,
	};
	return in;
}

static struct hsm_status
status(
	unsigned	state,
	uint32_t	flags,
	unsigned	pending,
	bool		dirty)
{
	struct hsm_status st;

	memset(&st, 0, sizeof(st));
	st.state = state;
	st.has_record = 1;
	st.dirty = dirty;
	st.rec.flags = flags;
	st.rec.pending = pending;
	return st;
}

static void
test_consider(void)
{
	struct space_policy	p;
	struct hsm_inode	in;
	struct hsm_status	st;
	struct candidate	c;
	int64_t			now = 1000 * DAY;

	policy_defaults(&p);
	p.min_size = MiB;
	p.excl_uid[0] = 33;
	p.n_uid = 1;

	in = inode(1, 4 * MiB, now - 10 * DAY, now - 3 * DAY);
	ok(policy_may_consider(&p, now, &in), "bulkstat leaves it a candidate");
	in.blocks = 0;
	ok(!policy_may_consider(&p, now, &in),
	   "no blocks (released, or empty): no record is read");
	in = inode(1, 4 * MiB, now - 10 * DAY, now - 3 * DAY);
	ok(policy_consider(&p, now, &in, NULL, false, &c) &&
	   c.can == ACT_MIGRATE && c.age == 3 * DAY && c.score == 3,
	   "resident, no record: migrate; age and score from the later of "
	   "atime and mtime");
	st = status(HSM_STATE_ARCHIVED, HSM_F_ARCHIVED, 0, false);
	ok(policy_consider(&p, now, &in, &st, true, &c) &&
	   c.can == ACT_RELEASE, "archived and clean: release");
	st = status(HSM_STATE_ARCHIVED, HSM_F_ARCHIVED, 0, true);
	ok(policy_consider(&p, now, &in, &st, true, &c) &&
	   c.can == ACT_MIGRATE, "archived but dirty: a new copy first");
	st = status(HSM_STATE_ARCHIVED, HSM_F_ARCHIVED | HSM_F_NORELEASE, 0,
		    false);
	ok(!policy_consider(&p, now, &in, &st, true, &c), "pinned norelease");
	st = status(HSM_STATE_RESIDENT, HSM_F_NOARCHIVE, 0, false);
	ok(!policy_consider(&p, now, &in, &st, true, &c),
	   "pinned noarchive, no copy");
	st = status(HSM_STATE_ARCHIVED, HSM_F_ARCHIVED, HSM_OP_MIGRATING,
		    false);
	ok(!policy_consider(&p, now, &in, &st, true, &c), "pending operation");
	st = status(HSM_STATE_ARCHIVED, HSM_F_ARCHIVED | HSM_F_LOST, 0, false);
	ok(!policy_consider(&p, now, &in, &st, true, &c), "lost copy");
	st = status(HSM_STATE_RELEASED, HSM_F_ARCHIVED | HSM_F_RELEASED, 0,
		    false);
	in.blocks = 0;
	ok(!policy_consider(&p, now, &in, &st, true, &c), "nothing resident");
	in = inode(2, MiB - 1, now - 10 * DAY, 0);
	ok(!policy_consider(&p, now, &in, NULL, false, &c), "under min_size");
	in = inode(3, 4 * MiB, now - 10 * DAY, now - 3600);
	ok(!policy_consider(&p, now, &in, NULL, false, &c),
	   "read an hour ago: younger than min_age");
	{
		struct space_policy q;

		/* the saved set keeps it, and it ages into a candidate */
		policy_sans_age(&p, &q);
		ok(policy_consider(&q, now, &in, NULL, false, &c) &&
		   c.last == now - 3600, "without min_age: kept, with its time");
		policy_age(&p, now, &c);
		ok(c.skip && c.age == 3600, "but no candidate now (skip)");
		policy_age(&p, now + DAY, &c);
		ok(!c.skip && c.age == DAY + 3600 && c.score > 1,
		   "a day later: a candidate, scored by its age then");
		c.can = ACT_NONE;
		policy_age(&p, now + DAY, &c);
		ok(c.skip, "dropped from the set: never a candidate");
	}
	in = inode(4, 4 * MiB, now - 10 * DAY, 0);
	in.uid = 33;
	ok(!policy_consider(&p, now, &in, NULL, false, &c), "excluded uid");
	in.uid = 0;
	in.mode = S_IFDIR | 0755;
	ok(!policy_consider(&p, now, &in, NULL, false, &c), "not a file");
}

/* @n candidates: i days old, 10 MiB each; every third archived. */
static struct candidate *
make(
	size_t		n)
{
	struct candidate *c = calloc(n, sizeof(*c));
	size_t		i;

	for (i = 0; i < n; i++) {
		c[i].ino = 100 + i;
		c[i].resident = 10 * MiB;
		c[i].score = i;
		c[i].can = i % 3 ? ACT_MIGRATE : ACT_RELEASE;
	}
	return c;
}

static void
count(
	const struct candidate	*c,
	size_t			n,
	size_t			*rel,
	size_t			*mig,
	size_t			*pre,
	double			*lowest_mig)
{
	size_t			i;

	*rel = *mig = *pre = 0;
	*lowest_mig = 1e9;
	for (i = 0; i < n; i++) {
		*rel += c[i].action == ACT_RELEASE;
		*pre += c[i].action == ACT_PREMIGRATE;
		if (c[i].action == ACT_MIGRATE) {
			(*mig)++;
			if (c[i].score < *lowest_mig)
				*lowest_mig = c[i].score;
		}
	}
}

static void
test_choose(void)
{
	struct space_policy	p;
	struct space_now	sp = { .total = 1000 * MiB };
	struct candidate	*c;
	size_t			rel, mig, pre, i;
	double			lowest;
	uint64_t		want;
	enum trigger		t;
	bool			order = true;

	policy_defaults(&p);
	/* 95 % used, low 80 %: 150 MiB to free; 10 archived hold 100 */
	sp.used = 950 * MiB;
	c = make(30);
	t = policy_choose(&p, &sp, 0, c, 30, &want);
	count(c, 30, &rel, &mig, &pre, &lowest);
	ok(t == TRIGGER_HIGH && want == 150 * MiB && rel == 10 && mig == 5 &&
	   pre == 0, "above high: every release first, then 5 migrations "
	   "(%zu, %zu)", rel, mig);
	for (i = 0; i < 30; i++)
		if (c[i].can == ACT_MIGRATE && c[i].action == ACT_NONE &&
		    c[i].score > lowest)
			order = false;
	ok(order, "the migrations are the highest scores (lowest chosen %.0f)",
	   lowest);
	free(c);

	p.max_files = 12;
	c = make(30);
	policy_choose(&p, &sp, 0, c, 30, &want);
	count(c, 30, &rel, &mig, &pre, &lowest);
	ok(rel == 10 && mig == 2, "max_files 12 (%zu, %zu)", rel, mig);
	free(c);
	p.max_files = 0;
	p.max_bytes = 55 * MiB;
	c = make(30);
	policy_choose(&p, &sp, 0, c, 30, &want);
	count(c, 30, &rel, &mig, &pre, &lowest);
	ok(rel == 5 && mig == 0, "max_bytes 55 MiB: 5 files (%zu, %zu)", rel,
	   mig);
	free(c);
	p.max_bytes = 0;

	/* a file that failed is passed over the next time */
	c = make(30);
	policy_choose(&p, &sp, 0, c, 30, &want);
	for (i = 0; i < 30; i++)
		c[i].done = c[i].action != ACT_NONE;
	for (i = 0; i < 30; i++)
		if (c[i].action == ACT_MIGRATE) {
			c[i].done = false;
			c[i].error = -16;	/* in use */
			break;
		}
	sp.used = 900 * MiB;	/* the rest freed 50 MiB: 100 to go */
	p.high = p.low;
	policy_choose(&p, &sp, 0, c, 30, &want);
	count(c, 30, &rel, &mig, &pre, &lowest);
	ok(want == 100 * MiB && mig == 15 && c[i].error,
	   "a second round passes over the failed file (%zu migrations)", mig);
	free(c);

	/* premigrate: 75 % used, mark 70 %: make high - low dual-state */
	policy_defaults(&p);
	p.premigrate_set = true;
	sp.used = 750 * MiB;
	c = make(30);
	t = policy_choose(&p, &sp, 30 * MiB, c, 30, &want);
	count(c, 30, &rel, &mig, &pre, &lowest);
	ok(t == TRIGGER_PREMIGRATE && want == 70 * MiB && pre == 7 &&
	   rel == 0 && mig == 0, "premigrate: 100 MiB dual wanted, 30 there: "
	   "7 files archived (%zu)", pre);
	free(c);
	c = make(30);
	t = policy_choose(&p, &sp, 200 * MiB, c, 30, &want);
	count(c, 30, &rel, &mig, &pre, &lowest);
	ok(t == TRIGGER_PREMIGRATE && pre == 0,
	   "premigrate: enough dual-state already");
	free(c);
	sp.used = 500 * MiB;
	c = make(30);
	t = policy_choose(&p, &sp, 0, c, 30, &want);
	count(c, 30, &rel, &mig, &pre, &lowest);
	ok(t == TRIGGER_NONE && rel + mig + pre == 0, "below every mark");
	free(c);
}

/* The policy @p read from @text equals the defaults in every key the
 * example gives its default for. */
static bool
same_as_defaults(
	const struct space_policy *p)
{
	struct space_policy	d;

	policy_defaults(&d);
	return p->high.percent == d.high.percent &&
	       p->high.value == d.high.value &&
	       p->low.percent == d.low.percent &&
	       p->low.value == d.low.value && p->min_age == d.min_age &&
	       p->min_size == d.min_size && p->age_weight == d.age_weight &&
	       p->size_weight == d.size_weight &&
	       p->max_files == d.max_files && p->max_bytes == d.max_bytes &&
	       p->check_interval == d.check_interval &&
	       (p->copies ? p->copies : 1) == (d.copies ? d.copies : 1) &&
	       p->orphan_grace == d.orphan_grace &&
	       p->deleted_retention == d.deleted_retention;
}

/*
 * doc/examples/xfs_hsm.conf.example, installed beside the docs: as shipped
 * (every key commented out) it changes nothing; with every key line and
 * section uncommented it is valid, and the defaults it shows are the
 * defaults.
 */
static void
test_example(void)
{
	const char		*srcdir = getenv("HSM_SRCDIR");
	char			path[4096], line[512];
	struct space_policy	p;
	struct admit_rules	ar;
	size_t			len = 0;
	char			*text;
	FILE			*f;
	int			rc;

	if (!srcdir) {
		skip(4, "HSM_SRCDIR is not set");
		return;
	}
	snprintf(path, sizeof(path), "%s/doc/examples/xfs_hsm.conf.example",
		 srcdir);
	f = fopen(path, "r");
	text = calloc(1, 1 << 16);
	if (!f || !text) {
		skip(4, "cannot read %s", path);
		free(text);
		if (f)
			fclose(f);
		return;
	}
	rc = policy_read(path, true, "/m", &p, &ar);
	ok(rc == 0 && same_as_defaults(&p) && !p.premigrate_set &&
	   !p.n_uid && ar.n == 0, "the example as shipped: the defaults");
	admit_rules_free(&ar);

	/* "#key = value" and "#[section]" lose their '#' */
	while (fgets(line, sizeof(line), f)) {
		const char	*l = line;
		size_t		n;

		if (line[0] == '#' && (line[1] == '[' ||
		    (line[1] >= 'a' && line[1] <= 'z' && strstr(line, " = "))))
			l = line + 1;
		n = strlen(l);
		if (len + n < (1 << 16) - 1) {
			memcpy(text + len, l, n);
			len += n;
		}
	}
	fclose(f);
	rc = read_conf(text, &p, &ar);
	ok(rc == 0, "the example uncommented is valid (%d)", rc);
	ok(rc == 0 && same_as_defaults(&p),
	   "the defaults it shows are the defaults");
	ok(rc == 0 && p.premigrate_set && p.n_uid == 2 && p.n_gid == 1 &&
	   p.n_proj == 1 && ar.n == 2,
	   "premigrate, the exclusions and two recall rules (%u rules)", ar.n);
	if (rc == 0)
		admit_rules_free(&ar);
	free(text);
}

int
main(void)
{
	int	fd;

	snprintf(conf, sizeof(conf), "/tmp/test_policy.XXXXXX");
	fd = mkstemp(conf);
	if (fd < 0)
		return 1;
	close(fd);
	plan_tests(24 + 17 + 14 + 8 + 4);
	test_config();
	test_example();
	test_rules();
	test_consider();
	test_choose();
	unlink(conf);
	return exit_status();
}
