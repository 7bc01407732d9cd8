// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * hsmd_policy.c - the space policy every check_interval: the supervisor
 * starts `xfs_hsm policy` for its filesystem, the very run an
 * administrator starts by hand, as a child of its own.  The supervisor
 * only forks, waits and logs; the run's batches come back to the worker
 * through the control socket, as any command's do, and a run that
 * crashes costs nothing but its own moves.
 *
 * On when the policy file exists (or --policy-config names one) and is
 * valid; a bad file is logged once and the daemon serves without it.
 * The run's output goes to a memfd; its last lines, the summary, go to
 * the log.  What the runs did (how many, the last one's times and exit)
 * is kept for xfs_hsm stats (policy_runs.c).
 */

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include "hsmd.h"
#include "policy.h"

static int64_t
mono_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/* xfs_hsm beside our own binary (in the build tree, libtool's .libs/) */
static int
find_tool(
	char		*buf,
	size_t		size)
{
	char		self[PATH_MAX], *slash;
	ssize_t		n;

	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n < 0)
		return -errno;
	self[n] = '\0';
	slash = strrchr(self, '/');
	if (!slash)
		return -ENOENT;
	*slash = '\0';
	if ((size_t)snprintf(buf, size, "%s/xfs_hsm", self) >= size)
		return -ENAMETOOLONG;
	return access(buf, X_OK) < 0 ? -errno : 0;
}

/* Keep what the runs did where xfs_hsm stats reads it. */
static void
note_runs(
	struct hsmd_policy	*p)
{
	int			error = policy_runs_write(p->uuid, &p->runs);

	if (error)
		hsmd_logf(LOG_WARNING, "space policy: cannot keep the runs' "
			  "counters in %s: %s", POLICY_RUNS_DIR,
			  strerror(-error));
}

/* A run ended with @status (waitpid's). */
static void
run_ended(
	struct hsmd_policy	*p,
	int			status)
{
	p->runs.running = 0;
	p->runs.last_end = time(NULL);
	p->runs.last_exit = WIFEXITED(status) ? WEXITSTATUS(status) :
			    128 + WTERMSIG(status);
	if (!WIFEXITED(status) || (WEXITSTATUS(status) & ~HSM_EX_PROBLEMS))
		p->runs.failed++;
	note_runs(p);
}

void
hsmd_policy_init(
	struct hsmd_opts	*o,
	struct hsmd_policy	*p)
{
	/* the server reads the rules for as long as it serves */
	static struct admit_rules admit;
	struct space_policy	sp;
	const char		*file = o->policy_config ? o->policy_config :
					POLICY_CONFIG;
	int			error;

	memset(p, 0, sizeof(*p));
	p->pid = -1;
	snprintf(p->uuid, sizeof(p->uuid), "%s", o->uuid);
	policy_runs_remove(p->uuid);	/* a daemon before us kept it */
	if (!o->policy_config && access(file, F_OK) < 0)
		return;			/* not configured: off */
	if (policy_read(file, true, o->mnt, &sp, &admit)) {
		hsmd_logf(LOG_ERR, "space policy '%s' is not valid (see the "
			  "messages above): no policy runs, no recall rules",
			  file);
		return;
	}
	o->cfg.admit = admit.rule;
	o->cfg.nadmit = admit.n;
	if (admit.n)
		hsmd_logf(LOG_INFO, "recall admission: %u rule%s from '%s'",
			  admit.n, admit.n > 1 ? "s" : "", file);
	error = find_tool(p->tool, sizeof(p->tool));
	if (error) {
		hsmd_logf(LOG_ERR, "cannot find xfs_hsm beside xfs_hsmd (%s): "
			  "no policy runs", strerror(-error));
		return;
	}
	snprintf(p->file, sizeof(p->file), "%s", file);
	p->interval_ms = sp.check_interval * 1000;
	p->next_ms = mono_ms() + p->interval_ms;
	p->on = true;
	note_runs(p);
	hsmd_logf(LOG_INFO, "space policy '%s': a run every %llu s", file,
		  (unsigned long long)sp.check_interval);
}

long
hsmd_policy_wait_ms(
	const struct hsmd_policy *p)
{
	int64_t			left;

	if (!p->on || p->pid > 0)
		return -1;		/* nothing to wait for */
	left = p->next_ms - mono_ms();
	return left > 0 ? left : 0;
}

void
hsmd_policy_start(
	struct hsmd_policy	*p,
	const char		*mnt)
{
	pid_t			pid;
	int			fd;

	if (!p->on || p->pid > 0 || mono_ms() < p->next_ms)
		return;
	p->next_ms = mono_ms() + p->interval_ms;
	fd = memfd_create("xfs_hsmd-policy", MFD_CLOEXEC);
	if (fd < 0) {
		hsmd_logf(LOG_ERR, "space policy: memfd: %s", strerror(errno));
		return;
	}
	pid = fork();
	if (pid < 0) {
		hsmd_logf(LOG_ERR, "space policy: fork: %s", strerror(errno));
		close(fd);
		return;
	}
	if (pid == 0) {
		sigset_t all;

		sigemptyset(&all);
		sigprocmask(SIG_SETMASK, &all, NULL);
		dup2(fd, STDOUT_FILENO);
		dup2(fd, STDERR_FILENO);
		execl(p->tool, "xfs_hsm", "policy", "--config", p->file, mnt,
		      (char *)NULL);
		_exit(127);
	}
	p->pid = pid;
	p->outfd = fd;
	p->runs.runs++;
	p->runs.running = 1;
	p->runs.last_start = time(NULL);
	note_runs(p);
}

void
hsmd_policy_now(
	struct hsmd_policy	*p,
	const char		*mnt)
{
	if (!p->on || p->pid > 0)
		return;			/* a run in progress frees what it can */
	hsmd_logf(LOG_WARNING, "%s is full: running the space policy now",
		  mnt);
	p->next_ms = 0;
	hsmd_policy_start(p, mnt);
}

/* Log what the run said: its summary, and every line about a problem. */
static void
log_output(
	struct hsmd_policy	*p)
{
	char			*buf, *line, *save = NULL;
	off_t			len = lseek(p->outfd, 0, SEEK_END);

	if (len <= 0 || len > (64 << 20))
		return;
	buf = malloc(len + 1);
	if (!buf)
		return;
	if (pread(p->outfd, buf, len, 0) != len) {
		free(buf);
		return;
	}
	buf[len] = '\0';
	for (line = strtok_r(buf, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		/* the per-file lines stay out of the log */
		if (!strncmp(line, "release ", 8) ||
		    !strncmp(line, "migrate ", 8) ||
		    !strncmp(line, "premigrate ", 11))
			continue;
		hsmd_logf(LOG_INFO, "space policy: %s", line);
	}
	free(buf);
}

bool
hsmd_policy_reap(
	struct hsmd_policy	*p)
{
	int			status;

	if (p->pid <= 0 || waitpid(p->pid, &status, WNOHANG) != p->pid)
		return false;
	log_output(p);
	run_ended(p, status);
	if (!WIFEXITED(status) || (WEXITSTATUS(status) & ~HSM_EX_PROBLEMS))
		hsmd_logf(LOG_ERR, "space policy run %s %d", WIFEXITED(status) ?
			  "exited with status" : "killed by signal",
			  WIFEXITED(status) ? WEXITSTATUS(status) :
			  WTERMSIG(status));
	close(p->outfd);
	p->pid = -1;
	return true;
}

void
hsmd_policy_stop(
	struct hsmd_policy	*p)
{
	int			status;

	if (p->pid <= 0)
		return;
	/* a run killed leaves what any crash leaves: pending records that
	 * the next operation on the file or a repair settles */
	kill(p->pid, SIGTERM);
	waitpid(p->pid, &status, 0);
	log_output(p);
	run_ended(p, status);
	hsmd_logf(LOG_INFO, "space policy run stopped with the daemon");
	close(p->outfd);
	p->pid = -1;
}
