// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * srv_preopen.c - files opened before the daemon started.
 *
 * A file opened before the group's mark existed raises no events for that
 * open file description: its reader would read zeros where the file is
 * released.  So before the daemon says it serves, it looks for files of
 * its filesystem that processes hold open or mapped (/proc/PID/fd,
 * /proc/PID/map_files) and are released or partial, and recalls them
 * whole, as a command would.  One that some process holds open for
 * writing is left alone and logged: it may have been written since, and a
 * recall would write the archived bytes over the writer's (doc/design.md,
 * "Files opened before the daemon").
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <search.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <linux/fs.h>
#include "server/serverP.h"

struct found {
	uint64_t	ino;
	uint32_t	gen;
	pid_t		pid;		/* one process that holds it */
	struct srv_req	*req;
};

struct scan {
	struct hsm_server *s;
	struct found	*files;
	size_t		n, alloc;
	void		*seen;		/* tsearch set of inode numbers */
	unsigned	writers;	/* left alone: open for writing */
};

static int
ino_cmp(
	const void	*a,
	const void	*b)
{
	uint64_t	x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Look at one /proc link: a released file of ours is added once. */
static void
look(
	struct scan		*sc,
	const char		*link,
	pid_t			pid)
{
	struct hsm_server	*s = sc->s;
	struct hsm_record	rec;
	struct found		*f;
	struct stat		st;
	uint64_t		*key;
	int			fd, gen = 0;

	if (stat(link, &st) < 0 || st.st_dev != s->fs->dev ||
	    !S_ISREG(st.st_mode))
		return;
	if (tfind(&st.st_ino, &sc->seen, ino_cmp))
		return;
	key = malloc(sizeof(*key));
	if (!key)
		return;
	*key = st.st_ino;
	tsearch(key, &sc->seen, ino_cmp);
	/* our own open raises an event the loop answers at once */
	fd = open(link, O_RDONLY | O_CLOEXEC | O_NOATIME);
	if (fd < 0)
		fd = open(link, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	if (hsm_fd_read_record(fd, &rec) != 0 ||
	    (!(rec.flags & HSM_F_RELEASED) && rec.pending != HSM_OP_RELEASING &&
	     rec.pending != HSM_OP_RECALLING)) {
		close(fd);
		return;
	}
	ioctl(fd, FS_IOC_GETVERSION, &gen);
	/* a writer since before we watched: never write over its data */
	if (fcntl(fd, F_SETLEASE, F_RDLCK) < 0) {
		srv_log(s, LOG_WARNING, "inode %llu is released and open for "
			"writing since before xfs_hsmd started (pid %d): not "
			"recalled; its readers may read zeros until it is "
			"closed and opened again", (unsigned long long)st.st_ino,
			(int)pid);
		sc->writers++;
		close(fd);
		return;
	}
	fcntl(fd, F_SETLEASE, F_UNLCK);
	close(fd);
	if (sc->n == sc->alloc) {
		size_t na = sc->alloc ? 2 * sc->alloc : 64;

		f = realloc(sc->files, na * sizeof(*f));
		if (!f)
			return;
		sc->files = f;
		sc->alloc = na;
	}
	f = &sc->files[sc->n++];
	memset(f, 0, sizeof(*f));
	f->ino = st.st_ino;
	f->gen = gen;
	f->pid = pid;
}

/* Every link under /proc/PID/@sub (fd, map_files). */
static void
look_dir(
	struct scan		*sc,
	pid_t			pid,
	const char		*sub)
{
	char			path[64], link[64 + 256];
	struct dirent		*e;
	DIR			*d;

	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, sub);
	d = opendir(path);
	if (!d)
		return;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.') {
			snprintf(link, sizeof(link), "%s/%s", path, e->d_name);
			look(sc, link, pid);
		}
	closedir(d);
}

void
srv_recall_preopened(
	struct hsm_server	*s,
	struct srv_worker	*w)
{
	struct scan		sc = { .s = s };
	struct dirent		*e;
	size_t			i, ok = 0;
	pid_t			pid;
	DIR			*proc;

	proc = opendir("/proc");
	if (!proc)
		return;
	while ((e = readdir(proc))) {
		pid = atoi(e->d_name);
		if (pid <= 0 || pid == getpid() || pid == getppid())
			continue;
		look_dir(&sc, pid, "fd");
		look_dir(&sc, pid, "map_files");
	}
	closedir(proc);
	tdestroy(sc.seen, free);

	/* every recall at once, as a command's: they run side by side */
	for (i = 0; i < sc.n; i++) {
		struct found *f = &sc.files[i];

		f->req = srv_req_new(REQ_SYNC);
		if (!f->req)
			continue;
		f->req->ino = f->ino;
		f->req->gen = f->gen;
		srv_classify(w, f->req);
	}
	for (i = 0; i < sc.n; i++) {
		struct found *f = &sc.files[i];
		int error;

		if (!f->req)
			continue;
		error = srv_req_wait(f->req);
		srv_req_free(f->req);
		if (error)
			srv_log(s, LOG_ERR, "inode %llu, open since before "
				"xfs_hsmd started (pid %d): recall failed: %s",
				(unsigned long long)f->ino, (int)f->pid,
				strerror(-error));
		else
			ok++;
	}
	if (sc.n || sc.writers)
		srv_log(s, LOG_WARNING, "%zu released files were open since "
			"before xfs_hsmd started: %zu recalled whole, %u left "
			"alone (open for writing)", sc.n, ok, sc.writers);
	free(sc.files);
}
