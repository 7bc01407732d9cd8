// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * hsmd_config.c - xfs_hsmd settings: the config file (libinih, as
 * xfsprogs' mkfs does) and the command line share one parser.
 *
 *   [xfs_hsmd]              for every filesystem
 *   mode = whole | range
 *   workers = 8
 *   chunk_size = 1M         a power of two, 4K to 1G
 *   readahead = 4           recall units ahead of a sequential reader
 *   timeout = 300           seconds before a recall fails with EIO
 *   journal_retention = 7d  closed change journal epochs kept (0: all)
 *
 *   [/srv/data]             the same keys, for one mount point
 */
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <ini.h>
#include "hsmd.h"
#include "strutils.h"

int
hsmd_set(
	struct hsm_server_config *cfg,
	const char		*key,
	const char		*value)
{
	uint64_t		size;
	unsigned		n;

	if (!strcmp(key, "mode")) {
		if (!strcmp(value, "whole"))
			cfg->mode = HSM_RECALL_WHOLE;
		else if (!strcmp(value, "range"))
			cfg->mode = HSM_RECALL_RANGE;
		else
			return -EINVAL;
		return 0;
	}
	if (!strcmp(key, "workers"))
		return parse_uint(value, 1, 256, &cfg->workers);
	if (!strcmp(key, "readahead"))
		return parse_uint(value, 0, 1024, &cfg->readahead);
	if (!strcmp(key, "timeout")) {
		if (parse_uint(value, 1, 86400, &n))
			return -EINVAL;
		cfg->timeout_ms = n * 1000;
		return 0;
	}
	if (!strcmp(key, "chunk_size")) {
		if (parse_size(value, &size) || size < 4096 ||
		    size > (1ULL << 30) || (size & (size - 1)))
			return -EINVAL;
		cfg->chunk_size = size;
		return 0;
	}
	return -ENOENT;
}

struct parse_ctx {
	struct hsmd_opts *o;
	const char	*file;
	int		bad;
};

static unsigned
key_bit(
	const char	*key)
{
	if (!strcmp(key, "mode"))
		return SET_MODE;
	if (!strcmp(key, "workers"))
		return SET_WORKERS;
	if (!strcmp(key, "chunk_size"))
		return SET_CHUNK;
	if (!strcmp(key, "readahead"))
		return SET_READAHEAD;
	if (!strcmp(key, "timeout"))
		return SET_TIMEOUT;
	if (!strcmp(key, "journal_retention"))
		return SET_RETENTION;
	return 0;
}

static int
handler(
	void			*user,
	const char		*section,
	const char		*key,
	const char		*value)
{
	struct parse_ctx	*pc = user;
	int			error;

	if (strcmp(section, HSMD_NAME) && strcmp(section, pc->o->mnt))
		return 1;		/* another filesystem's section */
	if (pc->o->set & key_bit(key))
		return 1;		/* the command line wins */
	if (!strcmp(key, "journal_retention"))
		error = parse_duration(value, &pc->o->journal_retention) ?
			-EINVAL : 0;
	else
		error = hsmd_set(&pc->o->cfg, key, value);
	if (error) {
		fprintf(stderr, "%s: %s: [%s] %s = '%s': %s\n", HSMD_NAME,
			pc->file, section, key, value, error == -ENOENT ?
			"unknown setting" : "invalid value");
		pc->bad = 1;
	}
	return 1;
}

int
hsmd_read_config(
	struct hsmd_opts	*o)
{
	struct parse_ctx	pc = { .o = o };
	int			line;

	pc.file = o->config ? o->config : HSMD_CONFIG;
	if (!o->config && access(pc.file, F_OK) < 0)
		return 0;		/* no file: the defaults */
	line = ini_parse(pc.file, handler, &pc);
	if (line < 0) {
		fprintf(stderr, "%s: cannot read config '%s': %s\n", HSMD_NAME,
			pc.file, line == -1 ? strerror(errno) :
			"out of memory");
		return 1;
	}
	if (line > 0) {
		fprintf(stderr, "%s: %s:%d: syntax error\n", HSMD_NAME,
			pc.file, line);
		return 1;
	}
	return pc.bad;
}
