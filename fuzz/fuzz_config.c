// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * fuzz_config.c - xfs_hsmd's settings: the whole input as a config file
 * (read by hsmd_read_config() from a memfd, as from /etc), then split at
 * its first '=' as one command-line setting for hsmd_set().  Whatever is
 * accepted must lie in the documented ranges.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include "hsmd.h"
#include "fuzz.h"

static void
check_config(
	const struct hsm_server_config *c)
{
	FUZZ_CHECK(c->workers <= 256);
	FUZZ_CHECK(c->readahead <= 1024);
	FUZZ_CHECK(c->timeout_ms <= 86400 * 1000U);
	FUZZ_CHECK(!c->chunk_size || (c->chunk_size >= 4096 &&
		   c->chunk_size <= (1ULL << 30) &&
		   !(c->chunk_size & (c->chunk_size - 1))));
	FUZZ_CHECK(c->mode == HSM_RECALL_WHOLE ||
		   c->mode == HSM_RECALL_RANGE);
}

static void
check_file(
	const uint8_t		*data,
	size_t			size)
{
	struct hsmd_opts	o = { .mnt = "/srv/data" };
	char			path[64];
	int			fd;

	fd = memfd_create("fuzz_config", MFD_CLOEXEC);
	FUZZ_CHECK(fd >= 0);
	if (size)
		FUZZ_CHECK(write(fd, data, size) == (ssize_t)size);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	o.config = path;
	o.config_given = true;
	/* one setting as if from the command line: the file must keep it */
	o.set = SET_WORKERS;
	o.cfg.workers = 7;
	hsmd_read_config(&o);
	close(fd);
	FUZZ_CHECK(o.cfg.workers == 7);
	check_config(&o.cfg);
}

static void
check_setting(
	const uint8_t		*data,
	size_t			size)
{
	struct hsm_server_config cfg = { 0 };
	char			*key, *value;

	key = fuzz_strdup(data, size);
	if (!key)
		return;
	value = strchr(key, '=');
	if (value) {
		*value++ = '\0';
		hsmd_set(&cfg, key, value);
		check_config(&cfg);
	}
	free(key);
}

int
LLVMFuzzerTestOneInput(
	const uint8_t		*data,
	size_t			size)
{
	check_file(data, size);
	check_setting(data, size);
	return 0;
}
