// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * openread.c - open, read 4 KiB, close, N times: the per-access cost that
 * xfs_hsmd adds to resident files (bench/daemon.sh).
 *
 *   openread FILE N    prints the seconds the N rounds took
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

int
main(
	int		argc,
	char		**argv)
{
	struct timespec	a, b;
	char		buf[4096];
	long		i, n;
	int		fd;

	if (argc != 3 || (n = atol(argv[2])) <= 0) {
		fprintf(stderr, "usage: openread FILE N\n");
		return 2;
	}
	clock_gettime(CLOCK_MONOTONIC, &a);
	for (i = 0; i < n; i++) {
		fd = open(argv[1], O_RDONLY);
		if (fd < 0 || read(fd, buf, sizeof(buf)) < 0) {
			perror(argv[1]);
			return 1;
		}
		close(fd);
	}
	clock_gettime(CLOCK_MONOTONIC, &b);
	printf("%.6f\n", (b.tv_sec - a.tv_sec) + (b.tv_nsec - a.tv_nsec) / 1e9);
	return 0;
}
