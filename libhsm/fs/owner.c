// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * owner.c - is the process named by a pending record still at work?
 *
 * A record's pending operation belongs to the process it names (pid and
 * boot id) while that process runs.  Not the owner: a process of an
 * earlier boot; a zombie (kill(pid, 0) still succeeds on one, and PID 1
 * may reap late); a live process that started after the operation began
 * (the pid was reused).  Another thread of this very process is the
 * owner: settling its record would delete the object it is writing.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "fs/fsP.h"

static pid_t		self_pid;
static pthread_once_t	self_once = PTHREAD_ONCE_INIT;

static void
self_forked(void)
{
	self_pid = getpid();
}

static void
self_init(void)
{
	self_pid = getpid();
	pthread_atfork(NULL, NULL, self_forked);
}

/* This process's pid, without a system call per record written. */
pid_t
hsm_owner_pid(void)
{
	pthread_once(&self_once, self_init);
	return self_pid;
}

/* Seconds since the epoch at boot (btime of /proc/stat), 0 if unknown. */
static long long
boot_time(void)
{
	static long long btime = -1;
	char		line[256];
	FILE		*f;

	if (btime >= 0)
		return btime;
	btime = 0;
	f = fopen("/proc/stat", "re");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "btime %lld", &btime) == 1)
			break;
	fclose(f);
	return btime;
}

/*
 * The state letter and start time (seconds since the epoch) of @pid, from
 * /proc/PID/stat.  0, or -ESRCH when it is gone, -errno.
 */
static int
proc_stat(
	pid_t			pid,
	char			*state,
	long long		*start)
{
	char			path[64], buf[1024], *p;
	unsigned long long	ticks;
	ssize_t			n;
	FILE			*f;
	int			i;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return errno == ENOENT ? -ESRCH : -errno;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	if (n <= 0)
		return -ESRCH;
	buf[n] = '\0';
	/* the command name may hold spaces and parentheses: after the last */
	p = strrchr(buf, ')');
	if (!p || !p[1] || !p[2])
		return -EINVAL;
	*state = p[2];
	/* field 22, starttime; p + 2 is field 3 */
	for (i = 3, p += 2; i < 22 && p; i++) {
		p = strchr(p, ' ');
		if (p)
			p++;
	}
	if (!p || sscanf(p, "%llu", &ticks) != 1)
		return -EINVAL;
	*start = boot_time() + (long long)(ticks / sysconf(_SC_CLK_TCK));
	return 0;
}

bool
hsm_owner_alive(
	const struct hsm_fs	*fs,
	const struct hsm_record	*r)
{
	long long		start;
	char			state;
	int			error;

	if (r->pending == HSM_OP_NONE || !r->owner_pid)
		return false;
	if (memcmp(r->owner_boot, fs->boot_id, 16))
		return false;		/* owner died with an earlier boot */
	if (r->owner_pid == (uint32_t)hsm_owner_pid())
		return true;
	error = proc_stat(r->owner_pid, &state, &start);
	if (error == -ESRCH)
		return false;
	if (error)			/* cannot tell: assume it runs */
		return kill(r->owner_pid, 0) == 0 || errno == EPERM;
	if (state == 'Z' || state == 'X')
		return false;		/* dead, not yet reaped */
	/* started after the operation: the pid was reused (a second of
	 * slack: the start time is in clock ticks, rounded down) */
	if (r->pending_since && start > r->pending_since + 1)
		return false;
	return true;
}
