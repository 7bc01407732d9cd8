// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * replay.c - feed every file of a corpus to a fuzz target, one TAP result
 * each.  Built with the ordinary compiler, so make check runs the
 * checked-in corpus (fuzz/corpus/TARGET) even without clang.  Arguments,
 * if any, are files or directories to run instead.  A crash or a failed
 * check aborts: the TAP driver reports the missing results as an error.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include "fuzz.h"

struct input {
	char		**paths;
	size_t		nr;
};

static void
add_path(
	struct input	*in,
	char		*path)
{
	char		**p = realloc(in->paths, (in->nr + 1) * sizeof(*p));

	if (!p || !path) {
		fprintf(stderr, "replay: out of memory\n");
		exit(1);
	}
	in->paths = p;
	in->paths[in->nr++] = path;
}

static int
cmp_path(
	const void	*a,
	const void	*b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* A directory's regular files (not "."-files), or @path itself. */
static void
add_arg(
	struct input	*in,
	const char	*path)
{
	struct dirent	*d;
	char		*p;
	DIR		*dir = opendir(path);

	if (!dir) {
		if (errno != ENOTDIR) {
			fprintf(stderr, "replay: cannot open '%s': %s\n",
				path, strerror(errno));
			exit(1);
		}
		add_path(in, strdup(path));
		return;
	}
	while ((d = readdir(dir))) {
		if (d->d_name[0] == '.')
			continue;
		if (asprintf(&p, "%s/%s", path, d->d_name) < 0)
			p = NULL;
		add_path(in, p);
	}
	closedir(dir);
}

/* The whole file, malloc'ed to its exact size so ASan sees overreads. */
static uint8_t *
read_file(
	const char	*path,
	size_t		*size)
{
	struct stat	st;
	uint8_t		*buf;
	ssize_t		n;
	int		fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0 || fstat(fd, &st) < 0)
		return NULL;
	buf = malloc(st.st_size ? st.st_size : 1);
	n = buf ? read(fd, buf, st.st_size) : -1;
	close(fd);
	if (n != st.st_size) {
		free(buf);
		return NULL;
	}
	*size = n;
	return buf;
}

int
main(
	int		argc,
	char		**argv)
{
	struct input	in = { 0 };
	const char	*srcdir = getenv("HSM_SRCDIR");
	uint8_t		*buf;
	size_t		i, size;
	char		*dir;
	int		failed = 0;

	if (argc > 1) {
		for (i = 1; i < (size_t)argc; i++)
			add_arg(&in, argv[i]);
	} else {
		if (asprintf(&dir, "%s/fuzz/corpus/%s", srcdir ? srcdir : ".",
			     FUZZ_TARGET) < 0)
			return 1;
		add_arg(&in, dir);
		free(dir);
	}
	qsort(in.paths, in.nr, sizeof(*in.paths), cmp_path);
	printf("1..%zu\n", in.nr);
	for (i = 0; i < in.nr; i++) {
		buf = read_file(in.paths[i], &size);
		if (!buf) {
			printf("not ok %zu - %s: cannot read\n", i + 1,
			       in.paths[i]);
			failed = 1;
		} else {
			fflush(stdout);
			LLVMFuzzerTestOneInput(buf, size);
			printf("ok %zu - %s (%zu bytes)\n", i + 1,
			       strrchr(in.paths[i], '/') ?
			       strrchr(in.paths[i], '/') + 1 : in.paths[i],
			       size);
		}
		free(buf);
		free(in.paths[i]);
	}
	free(in.paths);
	return failed;
}
