// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * srv_proc.c - who raised an event: the process's ids, executable, name
 * and cgroup, from /proc, read only as far as the admission rules ask.
 *
 * The event gives a pid (the thread group's: the group has no
 * FAN_REPORT_TID).  The process waits in the kernel for our answer, so
 * its pid names it until then, unless it is killed meanwhile: then it
 * cannot be read, matches no rule that asks about it, and reads nothing.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "server/serverP.h"

/* Read /proc/@pid/@what into @buf; its length, or -errno. */
static ssize_t
proc_read(
	int32_t		pid,
	const char	*what,
	char		*buf,
	size_t		size)
{
	char		path[64];
	ssize_t		n;
	int		fd;

	snprintf(path, sizeof(path), "/proc/%d/%s", pid, what);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, size - 1);
	if (n < 0)
		n = -errno;
	else
		buf[n] = '\0';
	close(fd);
	return n;
}

/* The second field of status line "@key:\t..." ("Uid:\treal\teffective"). */
static int
status_ids(
	struct srv_proc	*p,
	const char	*status)
{
	const char	*l;
	char		*end;
	unsigned long	v;

	l = strstr(status, "\nUid:");
	if (!l || sscanf(l + 5, "%*u %u", &p->uid) != 1)
		return -EINVAL;
	l = strstr(status, "\nGid:");
	if (!l || sscanf(l + 5, "%*u %u", &p->gids[0]) != 1)
		return -EINVAL;
	p->ngids = 1;
	l = strstr(status, "\nGroups:");
	if (!l)
		return 0;
	for (l += 8; p->ngids < SRV_PROC_GROUPS; l = end) {
		v = strtoul(l, &end, 10);
		if (end == l)
			break;
		p->gids[p->ngids++] = v;
	}
	return 0;
}

int
srv_proc_read(
	int32_t		pid,
	unsigned	want,
	struct srv_proc	*p)
{
	char		buf[4096], path[64], *nl;
	ssize_t		n;

	memset(p, 0, sizeof(*p));
	p->pid = pid;
	if (want & SRV_PROC_IDS) {
		n = proc_read(pid, "status", buf, sizeof(buf));
		if (n < 0)
			return n;
		if (status_ids(p, buf))
			return -EINVAL;
	}
	if (want & SRV_PROC_COMM) {
		n = proc_read(pid, "comm", p->comm, sizeof(p->comm));
		if (n < 0)
			return n;
		nl = strchr(p->comm, '\n');
		if (nl)
			*nl = '\0';
	}
	if (want & SRV_PROC_EXE) {
		snprintf(path, sizeof(path), "/proc/%d/exe", pid);
		n = readlink(path, p->exe, sizeof(p->exe) - 1);
		if (n < 0)
			return -errno;
		p->exe[n] = '\0';
	}
	if (want & SRV_PROC_CGROUP) {
		/* cgroup v2: one line, "0::/path" */
		n = proc_read(pid, "cgroup", buf, sizeof(buf));
		if (n < 0)
			return n;
		nl = strstr(buf, "0::");
		if (!nl || (nl != buf && nl[-1] != '\n'))
			return -ENOENT;
		snprintf(p->cgroup, sizeof(p->cgroup), "%s", nl + 3);
		nl = strchr(p->cgroup, '\n');
		if (nl)
			*nl = '\0';
	}
	p->known = want;
	return 0;
}
