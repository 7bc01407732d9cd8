// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * gcconfig.c - what --gc keeps, from xfs_hsm.conf(5) (libinih):
 *
 *   [space]                      for every filesystem
 *   orphan_grace = 1d            orphans younger than this stay
 *   deleted_retention = 30d      a deleted file's object stays this long
 *
 *   [/srv/data]                  the same, over [space], for one mount
 *
 * Only these two keys are read here; the file's other keys and sections
 * are the policy's, which xfs_hsm policy checks.  A bad value of either
 * is reported as "FILE:LINE: [SECTION] KEY: invalid value" and stops the
 * run; --grace and --retention win over the file.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <ini.h>
#include "xfs_hsmscan.h"

struct gc_ctx {
	const char	*file;
	const char	*mnt;
	FILE		*f;
	unsigned	line;
	int		bad;
	/* [0]: from [space], [1]: from [mnt] */
	int64_t		grace[2], retention[2];
	bool		grace_set[2], retention_set[2];
};

static int
handler(
	void		*user,
	const char	*section,
	const char	*key,
	const char	*value)
{
	struct gc_ctx	*gc = user;
	int		k;
	int64_t		v;

	if (!strcmp(section, "space"))
		k = 0;
	else if (!strcmp(section, gc->mnt))
		k = 1;
	else
		return 1;	/* another mount's, or a rule: not ours */
	if (strcmp(key, "orphan_grace") && strcmp(key, "deleted_retention"))
		return 1;
	if (parse_duration(value, &v)) {
		fprintf(stderr, "%s: %s:%u: [%s] %s: invalid value\n",
			PROGNAME, gc->file, gc->line, section, key);
		gc->bad = 1;
		return 1;
	}
	if (!strcmp(key, "orphan_grace")) {
		gc->grace[k] = v;
		gc->grace_set[k] = true;
	} else {
		gc->retention[k] = v;
		gc->retention_set[k] = true;
	}
	return 1;
}

/* ini_reader: fgets that counts the lines for the messages */
static char *
reader(
	char		*str,
	int		num,
	void		*stream)
{
	struct gc_ctx	*gc = stream;
	char		*s = fgets(str, num, gc->f);

	if (s && strchr(s, '\n'))
		gc->line++;
	return s;
}

int
gc_config_read(
	const char	*file,
	bool		must_exist,
	const char	*mnt,
	int64_t		*grace,
	int64_t		*retention)
{
	struct gc_ctx	gc = { .file = file, .mnt = mnt };
	int		line, k;

	gc.f = fopen(file, "r");
	if (!gc.f) {
		if (errno == ENOENT && !must_exist)
			return 0;
		fprintf(stderr, "%s: cannot read config '%s': %s\n", PROGNAME,
			file, strerror(errno));
		return -1;
	}
	line = ini_parse_stream(reader, &gc, handler, &gc);
	fclose(gc.f);
	if (line > 0) {
		fprintf(stderr, "%s: %s:%d: syntax error\n", PROGNAME, file,
			line);
		return -1;
	}
	if (gc.bad || line < 0)
		return -1;
	for (k = 0; k < 2; k++) {
		if (gc.grace_set[k])
			*grace = gc.grace[k];
		if (gc.retention_set[k])
			*retention = gc.retention[k];
	}
	return 0;
}
