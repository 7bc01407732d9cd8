// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * policy_config.c - the space policy from xfs_hsm.conf (libinih):
 *
 *   [space]                  for every filesystem
 *   high_watermark = 90%     percent of the filesystem, or a size (800G)
 *   low_watermark = 80%
 *   premigrate_watermark = 70%
 *   min_age = 1d             min_size = 1M
 *   age_weight = 1           size_weight = 0.01
 *   max_files = 100000       max_bytes = 1T
 *   check_interval = 10m
 *   full_scan_interval = 1d  a full scan at least this often (0: always)
 *   copies = 2               stores each migrate writes a copy to
 *   exclude_uids = 0,33      exclude_gids = ...   exclude_projects = ...
 *   orphan_grace = 1d        deleted_retention = 30d   (xfs_hsmscan --gc)
 *   repack_threshold = 50%   (xfs_hsmscan --gc: aggregates of a store)
 *
 *   [/srv/data]              the same keys, over [space], for one mount
 *
 *   [recall NAME]            a recall admission rule (admit_config.c)
 *
 * Everything wrong is reported as "FILE:LINE: [SECTION] KEY: why"; a file
 * with any of it runs nothing.  libinih gives no line numbers to the
 * handler, so the reader counts them.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <ini.h>
#include "xfs_hsm.h"
#include "policy.h"
#include "strutils.h"

#define OVERRIDES_MAX	64

struct parse_ctx {
	const char		*file;
	const char		*mnt;
	struct space_policy	*space;		/* from [space] */
	struct admit_rules	*admit;		/* from [recall NAME] */
	char			*over[OVERRIDES_MAX][2]; /* [mnt]'s keys */
	unsigned		nover;
	unsigned		line;
	int			bad;
	FILE			*f;
};

void
policy_defaults(
	struct space_policy	*p)
{
	memset(p, 0, sizeof(*p));
	p->high = (struct watermark){ true, 90 };
	p->low = (struct watermark){ true, 80 };
	p->premigrate = (struct watermark){ true, 70 };
	p->min_age = 86400;
	p->age_weight = 1;
	p->check_interval = 600;
	p->orphan_grace = 86400;
	p->full_scan_interval = 86400;
	p->repack_threshold = 50;
}

uint64_t
watermark_bytes(
	const struct watermark	*w,
	uint64_t		total)
{
	if (!w->percent)
		return w->value < total ? (uint64_t)w->value : total;
	return (uint64_t)((double)total * w->value / 100);
}

/* "N%" or "N", N in [0, 100]. */
static int
parse_percent(
	const char		*s,
	unsigned		*out)
{
	char			buf[16];
	size_t			len = strlen(s);

	if (len && s[len - 1] == '%' && len < sizeof(buf)) {
		memcpy(buf, s, len - 1);
		buf[len - 1] = '\0';
		s = buf;
	}
	return parse_uint(s, 0, 100, out);
}

static int
parse_watermark(
	const char		*s,
	struct watermark	*w)
{
	size_t			len = strlen(s);
	uint64_t		v;
	char			*end;
	double			d;

	if (len > 1 && s[len - 1] == '%') {
		errno = 0;
		d = strtod(s, &end);
		if (errno || end != s + len - 1 || !(d >= 0 && d <= 100) ||
		    *s == ' ' || *s == '+' || *s == '-')
			return -EINVAL;
		*w = (struct watermark){ true, d };
		return 0;
	}
	if (parse_size(s, &v) || v == 0)
		return -EINVAL;
	*w = (struct watermark){ false, (double)v };
	return 0;
}

static int
parse_weight(
	const char	*s,
	double		*out)
{
	char		*end;
	double		d;

	errno = 0;
	d = strtod(s, &end);
	if (errno || end == s || *end || !isfinite(d) || d < 0 || d > 1e9 ||
	    *s == ' ' || *s == '+')
		return -EINVAL;
	*out = d;
	return 0;
}

/* "1,2,3": at most POLICY_IDS_MAX numbers */
static int
parse_ids(
	const char	*s,
	uint32_t	*ids,
	unsigned	*n)
{
	char		buf[1024], *tok, *save = NULL;
	unsigned	v;

	if (strlen(s) >= sizeof(buf) || !*s)
		return -EINVAL;
	strcpy(buf, s);
	*n = 0;
	for (tok = strtok_r(buf, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		while (*tok == ' ')
			tok++;
		if (*n >= POLICY_IDS_MAX ||
		    parse_uint(tok, 0, UINT32_MAX - 1, &v))
			return -EINVAL;
		ids[(*n)++] = v;
	}
	return *n ? 0 : -EINVAL;
}

/* Set @key; -ENOENT for an unknown key, -EINVAL for a bad value. */
static int
policy_set(
	struct space_policy	*p,
	const char		*key,
	const char		*value)
{
	if (!strcmp(key, "high_watermark"))
		return parse_watermark(value, &p->high);
	if (!strcmp(key, "low_watermark"))
		return parse_watermark(value, &p->low);
	if (!strcmp(key, "premigrate_watermark")) {
		p->premigrate_set = true;
		return parse_watermark(value, &p->premigrate);
	}
	if (!strcmp(key, "min_age"))
		return parse_duration(value, &p->min_age);
	if (!strcmp(key, "min_size"))
		return parse_size(value, &p->min_size);
	if (!strcmp(key, "age_weight"))
		return parse_weight(value, &p->age_weight);
	if (!strcmp(key, "size_weight"))
		return parse_weight(value, &p->size_weight);
	if (!strcmp(key, "max_files"))
		return parse_size(value, &p->max_files) ||
		       strpbrk(value, "kKmMgGtT") ? -EINVAL : 0;
	if (!strcmp(key, "max_bytes"))
		return parse_size(value, &p->max_bytes);
	if (!strcmp(key, "check_interval"))
		return parse_duration(value, &p->check_interval) ||
		       !p->check_interval ? -EINVAL : 0;
	if (!strcmp(key, "full_scan_interval"))
		return parse_duration(value, &p->full_scan_interval);
	if (!strcmp(key, "copies"))
		return parse_uint(value, 1, HSM_COPIES_MAX, &p->copies);
	/* xfs_hsmscan --gc's */
	if (!strcmp(key, "orphan_grace"))
		return parse_duration(value, &p->orphan_grace);
	if (!strcmp(key, "deleted_retention"))
		return parse_duration(value, &p->deleted_retention);
	if (!strcmp(key, "repack_threshold"))
		return parse_percent(value, &p->repack_threshold);
	if (!strcmp(key, "exclude_uids"))
		return parse_ids(value, p->excl_uid, &p->n_uid);
	if (!strcmp(key, "exclude_gids"))
		return parse_ids(value, p->excl_gid, &p->n_gid);
	if (!strcmp(key, "exclude_projects"))
		return parse_ids(value, p->excl_proj, &p->n_proj);
	return -ENOENT;
}

static void
complain(
	struct parse_ctx	*pc,
	const char		*section,
	const char		*key,
	const char		*why)
{
	fprintf(stderr, "%s: %s:%u: [%s] %s: %s\n", PROGNAME, pc->file,
		pc->line, section, key, why);
	pc->bad = 1;
}

static int
handler(
	void			*user,
	const char		*section,
	const char		*key,
	const char		*value)
{
	struct parse_ctx	*pc = user;
	struct space_policy	scratch;
	int			error;

	if (!strncmp(section, "recall ", 7)) {
		error = admit_set(pc->admit, section + 7, key, value);
		if (error)
			complain(pc, section, key,
				 error == -ENOENT ? "unknown key" :
				 error == -E2BIG ? "too many recall rules" :
				 error == -ENAMETOOLONG ? "bad rule name" :
				 error == -ENOMEM ? "out of memory" :
				 "invalid value");
		return 1;
	}
	if (strcmp(section, "space") && section[0] != '/') {
		complain(pc, section, key, "unknown section ([space], "
			 "[MOUNTPOINT] or [recall NAME])");
		return 1;
	}
	/* every section is checked; [space] is kept, and our mount's
	 * keys are applied over it at the end, wherever they stand */
	if (!strcmp(section, "space")) {
		error = policy_set(pc->space, key, value);
	} else {
		policy_defaults(&scratch);
		error = policy_set(&scratch, key, value);
		if (!error && pc->mnt && !strcmp(section, pc->mnt)) {
			if (pc->nover == OVERRIDES_MAX) {
				complain(pc, section, key, "too many keys");
				return 1;
			}
			pc->over[pc->nover][0] = strdup(key);
			pc->over[pc->nover++][1] = strdup(value);
		}
	}
	if (error)
		complain(pc, section, key, error == -ENOENT ?
			 "unknown key" : "invalid value");
	return 1;
}

/* ini_reader: fgets that counts the lines for the messages */
static char *
reader(
	char		*str,
	int		num,
	void		*stream)
{
	struct parse_ctx *pc = stream;
	char		*s = fgets(str, num, pc->f);

	if (s && strchr(s, '\n'))
		pc->line++;
	return s;
}

/* The marks must be in order once both sections are applied. */
static int
check_marks(
	struct parse_ctx		*pc,
	const struct space_policy	*p)
{
	const char	*why = NULL;

	if (p->high.percent != p->low.percent)
		why = "high_watermark and low_watermark must both be "
		      "percentages or both sizes";
	else if (p->low.value >= p->high.value)
		why = "low_watermark must be below high_watermark";
	else if (p->premigrate_set && p->premigrate.percent == p->low.percent &&
		 p->premigrate.value >= p->high.value)
		why = "premigrate_watermark must be below high_watermark";
	if (!why)
		return 0;
	fprintf(stderr, "%s: %s: [%s]: %s\n", PROGNAME, pc->file,
		pc->mnt ? pc->mnt : "space", why);
	return -1;
}

int
policy_read(
	const char		*file,
	bool			must_exist,
	const char		*mnt,
	struct space_policy	*p,
	struct admit_rules	*ar)
{
	struct admit_rules	scratch = { .n = 0 };
	struct parse_ctx	pc = {
		.file = file, .mnt = mnt, .space = p,
		.admit = ar ? ar : &scratch,
	};
	const char		*why, *rule;
	unsigned		i;
	int			line;

	pc.admit->n = 0;

	policy_defaults(p);
	pc.f = fopen(file, "r");
	if (!pc.f) {
		if (errno == ENOENT && !must_exist)
			return check_marks(&pc, p);	/* the defaults */
		fprintf(stderr, "%s: cannot read config '%s': %s\n", PROGNAME,
			file, strerror(errno));
		return -1;
	}
	line = ini_parse_stream(reader, &pc, handler, &pc);
	fclose(pc.f);
	why = admit_check(pc.admit, &rule);
	if (why && !pc.bad && line == 0) {
		fprintf(stderr, "%s: %s: [recall %s]: %s\n", PROGNAME, file,
			rule, why);
		pc.bad = 1;
	}
	if (pc.bad || line || !ar)
		admit_rules_free(pc.admit);
	for (i = 0; i < pc.nover; i++) {
		if (!pc.over[i][0] || !pc.over[i][1] ||
		    policy_set(p, pc.over[i][0], pc.over[i][1]))
			pc.bad = 1;		/* checked already: ENOMEM */
		free(pc.over[i][0]);
		free(pc.over[i][1]);
	}
	if (line > 0) {
		fprintf(stderr, "%s: %s:%d: syntax error\n", PROGNAME, file,
			line);
		return -1;
	}
	if (line < 0) {
		fprintf(stderr, "%s: cannot read config '%s': out of memory\n",
			PROGNAME, file);
		return -1;
	}
	if (pc.bad)
		return -1;
	return check_marks(&pc, p);
}
