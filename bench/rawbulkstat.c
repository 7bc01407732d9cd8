// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * rawbulkstat.c - the ceiling of the scan benchmark: a minimal v5
 * XFS_IOC_BULKSTAT loop, one thread per allocation group (at most -j N at
 * once), that reads every inode and does nothing with it.  Straight
 * ioctls, no libhsm, so that it measures only what the kernel costs.
 *
 *   rawbulkstat [-j N] MOUNT    prints "inodes N seconds S"
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <xfs/xfs.h>

#define BATCH	1024		/* what xfs_hsmscan asks for too */

static int		mntfd;
static unsigned		agcount;
static unsigned		next_ag;
static unsigned long long total;
static pthread_mutex_t	lock = PTHREAD_MUTEX_INITIALIZER;

static void *
worker(
	void			*arg)
{
	struct xfs_bulkstat_req	*req;
	unsigned long long	n = 0;
	unsigned		ag;

	req = calloc(1, XFS_BULKSTAT_REQ_SIZE(BATCH));
	if (!req)
		return NULL;
	for (;;) {
		pthread_mutex_lock(&lock);
		ag = next_ag++;
		pthread_mutex_unlock(&lock);
		if (ag >= agcount)
			break;
		memset(&req->hdr, 0, sizeof(req->hdr));
		req->hdr.flags = XFS_BULK_IREQ_AGNO;
		req->hdr.agno = ag;
		for (;;) {
			req->hdr.icount = BATCH;
			if (ioctl(mntfd, XFS_IOC_BULKSTAT, req) < 0) {
				perror("rawbulkstat: XFS_IOC_BULKSTAT");
				exit(1);
			}
			if (!req->hdr.ocount)
				break;
			n += req->hdr.ocount;
		}
	}
	pthread_mutex_lock(&lock);
	total += n;
	pthread_mutex_unlock(&lock);
	free(req);
	return NULL;
}

int
main(
	int			argc,
	char			**argv)
{
	struct xfs_fsop_geom	geo;
	struct timespec		t0, t1;
	pthread_t		*th;
	unsigned		jobs = 1, i;
	int			c;

	while ((c = getopt(argc, argv, "j:")) != -1) {
		if (c != 'j')
			return 8;
		jobs = strtoul(optarg, NULL, 10);
	}
	if (optind != argc - 1 || !jobs) {
		fprintf(stderr, "usage: rawbulkstat [-j N] MOUNT\n");
		return 8;
	}
	mntfd = open(argv[optind], O_RDONLY | O_DIRECTORY);
	if (mntfd < 0 || ioctl(mntfd, XFS_IOC_FSGEOMETRY, &geo) < 0) {
		perror(argv[optind]);
		return 4;
	}
	agcount = geo.agcount;
	th = calloc(jobs, sizeof(*th));
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < jobs; i++)
		pthread_create(&th[i], NULL, worker, NULL);
	for (i = 0; i < jobs; i++)
		pthread_join(th[i], NULL);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("inodes %llu seconds %.3f\n", total,
	       (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9);
	return 0;
}
