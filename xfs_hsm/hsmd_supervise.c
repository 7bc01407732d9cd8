// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * hsmd_supervise.c - keep the fanotify group alive across worker crashes.
 *
 * If the last holder of a pre-content group dies, the kernel allows every
 * pending event and a blocked reader of a released file reads zeros.  So
 * this process holds the group (and the daemon lock) and does nothing
 * else; the worker, a child, serves.  When the worker dies its pending
 * events stay pending; the next worker finds them in the shared event
 * table, finishes their recalls and answers them (libhsm srv_adopt.c).
 *
 * The supervisor is the service's main process: it keeps the group and the
 * event table in the service manager's fd store too (hsmd_fdstore.c), so
 * that even the death of both processes lets no reader through, tells
 * systemd READY=1 once the first worker serves, and passes SIGTERM on to
 * the worker.
 *
 * The change journal's group is the supervisor's too, for the same
 * reason: a worker that dies leaves the events it had not read queued
 * for the next one.  The worker writes the journal (a thread of its own,
 * libhsm's hsm_journal_open).
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <systemd/sd-daemon.h>
#include "hsmd.h"

#define BACKOFF_MIN_MS	100
#define BACKOFF_MAX_MS	5000
#define STABLE_S	10	/* a worker this old was not crash-looping */

static struct hsm_server *the_server;

/*
 * The change journal's group: handed back (its mark still there, so the
 * journal missed nothing while no daemon ran), or a new one.  Sets
 * *@continuous; -1 when there is none (logged).
 */
static int
journal_group(
	struct hsmd_opts	*o,
	struct hsm_fs		*fs,
	int			fd,
	bool			*continuous)
{
	int			error;

	*continuous = false;
	if (fd >= 0) {
		error = hsm_journal_group_adopt(fs, fd);
		if (error >= 0) {
			*continuous = error == 0;
			return fd;
		}
		close(fd);
	}
	error = hsm_journal_group(fs, &fd);
	if (error) {
		hsmd_logf(LOG_ERR, "cannot watch %s for the change journal "
			  "(%s): it keeps none", o->mnt, strerror(-error));
		return -1;
	}
	hsmd_fdstore_give_journal(fd);
	return fd;
}

static void
on_term(
	int		sig)
{
	(void)sig;
	if (the_server)
		hsm_server_stop(the_server);
}

/*
 * The server serves (hsm_server_run calls this once events taken over are
 * queued, the socket answers and the files opened before us are back):
 * the supervisor tells the service manager READY=1.
 */
static void
tell_ready(
	void		*arg)
{
	int		*fd = arg;
	char		c = 1;

	if (write(*fd, &c, 1) != 1)
		hsmd_logf(LOG_WARNING, "cannot tell the supervisor we serve");
	close(*fd);
	*fd = -1;
}

/* A recall found the filesystem full: the supervisor runs the policy now. */
static void
ask_room(
	void		*arg)
{
	(void)arg;
	kill(getppid(), SIGUSR1);
}

/* The worker: serve until told to stop.  Never returns. */
static void __attribute__((noreturn))
worker(
	struct hsmd_opts	*o,
	struct hsm_fs		*fs,
	int			group_fd,
	struct hsm_evtab	*t,
	int			ready_fd,
	int			journal_fd,
	bool			continuous)
{
	struct sigaction	sa = { .sa_handler = on_term };
	struct hsm_journal	*j = NULL;
	sigset_t		none;
	int			error;

	prctl(PR_SET_NAME, "xfs_hsmd-work");
	/* the supervisor gone, nobody would replace us: stop cleanly, and
	 * free the lock for the daemon that replaces the supervisor */
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	if (getppid() == 1)
		_exit(HSM_EX_OPERATIONAL);
	o->cfg.ready = tell_ready;
	o->cfg.ready_arg = &ready_fd;
	if (o->policy.on)
		o->cfg.room = ask_room;
	/* before the server: its socket answers journal requests */
	if (journal_fd >= 0) {
		error = hsm_journal_open(fs, journal_fd, continuous, hsmd_log,
					 NULL, &j);
		if (error)
			hsmd_logf(LOG_ERR, "cannot write the change journal of "
				  "%s (%s): it keeps none", o->mnt,
				  strerror(-error));
		o->cfg.journal = j;
		if (j)
			hsm_journal_set_retention(j, o->journal_retention);
	}
	error = hsm_server_new(fs, group_fd, t, &o->cfg, &the_server);
	if (error) {
		hsmd_logf(LOG_ERR, "cannot start serving %s: %s", o->mnt,
			  strerror(-error));
		_exit(HSM_EX_OPERATIONAL);
	}
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	error = hsm_server_run(the_server);
	hsm_server_free(the_server);
	/* after the server: no request can come in any more */
	hsm_journal_close(j);
	_exit(error ? HSM_EX_OPERATIONAL : 0);
}

static void
sleep_ms(
	unsigned	ms)
{
	struct timespec	ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* Describe how a worker ended, for the log. */
static void
describe(
	int		status,
	char		*buf,
	size_t		size)
{
	if (WIFSIGNALED(status))
		snprintf(buf, size, "killed by signal %d (%s)",
			 WTERMSIG(status), strsignal(WTERMSIG(status)));
	else
		snprintf(buf, size, "exited with status %d",
			 WEXITSTATUS(status));
}

/*
 * @group_fd and @t: what the service manager handed back (hsmd_fdstore_take,
 * already reserved), or -1 and NULL.
 */
int
hsmd_supervise(
	struct hsmd_opts	*o,
	struct hsm_fs		*fs,
	int			group_fd,
	struct hsm_evtab	*t,
	int			journal_fd)
{
	sigset_t		set;
	siginfo_t		si;
	time_t			started;
	unsigned		backoff = BACKOFF_MIN_MS;
	struct hsmd_policy	*policy = &o->policy;
	bool			notified = false, stopping = false;
	bool			continuous = false;
	char			why[128], c;
	int			pipefd[2], status, error;
	pid_t			pid;

	/* the group of a daemon that died, with the events it left, or ours */
	if (group_fd >= 0) {
		error = hsm_server_group_adopt(fs, group_fd);
		if (error) {
			hsmd_logf(LOG_ERR, "cannot take back the fanotify group "
				  "from the service manager (%s): starting "
				  "afresh", strerror(-error));
			close(group_fd);
			group_fd = -1;
			hsm_evtab_free(t);
			t = NULL;
		} else {
			hsmd_logf(LOG_WARNING, "took back the fanotify group of "
				  "a daemon that died: its waiting readers are "
				  "answered now");
		}
	}
	if (group_fd < 0) {
		error = hsm_server_group(fs, &group_fd);
		if (error) {
			fprintf(stderr, "%s: cannot watch '%s': %s\n",
				HSMD_NAME, o->mnt, error == -EOPNOTSUPP ?
				"this kernel has no fanotify pre-content "
				"events (Linux 6.14 or later)" :
				strerror(-error));
			return HSM_EX_OPERATIONAL;
		}
		error = hsm_evtab_new(&t);
		if (error) {
			fprintf(stderr, "%s: %s\n", HSMD_NAME,
				strerror(-error));
			return HSM_EX_OPERATIONAL;
		}
		hsmd_fdstore_give(group_fd, t);
	}
	if (o->no_journal) {
		if (journal_fd >= 0)
			close(journal_fd);
		journal_fd = -1;
	} else {
		journal_fd = journal_group(o, fs, journal_fd, &continuous);
	}
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGUSR1);	/* the worker asks for room */
	sigprocmask(SIG_BLOCK, &set, NULL);
	hsmd_logf(LOG_INFO, "watching %s (store %s, %s recall)", o->mnt,
		  hsm_fs_store_spec(fs) ? hsm_fs_store_spec(fs) : "none",
		  o->cfg.mode == HSM_RECALL_RANGE ? "range" : "whole-file");

	for (;;) {
		/* the numbers of the events the last worker left stay taken */
		error = hsm_evtab_reserve(t);
		if (error < 0)
			hsmd_logf(LOG_WARNING, "cannot keep the numbers of the "
				  "events left waiting (%s): some may be "
				  "answered EIO", strerror(-error));
		if (pipe(pipefd) < 0)
			return HSM_EX_OPERATIONAL;
		started = time(NULL);
		pid = fork();
		if (pid < 0) {
			hsmd_logf(LOG_ERR, "fork: %s", strerror(errno));
			sleep_ms(BACKOFF_MAX_MS);
			close(pipefd[0]);
			close(pipefd[1]);
			continue;
		}
		if (pid == 0) {
			close(pipefd[0]);
			worker(o, fs, group_fd, t, pipefd[1], journal_fd,
			       continuous);
		}
		close(pipefd[1]);
		if (read(pipefd[0], &c, 1) == 1 && !notified) {
			sd_notifyf(0, "READY=1\nSTATUS=serving %s\nMAINPID=%lu",
				   o->mnt, (unsigned long)getpid());
			notified = true;
		}
		close(pipefd[0]);

		/* wait for the worker to end, passing stop signals on, and
		 * start the space policy's runs when they are due */
		for (;;) {
			long wait = stopping ? -1 : hsmd_policy_wait_ms(policy);
			struct timespec ts = { wait / 1000,
					       (wait % 1000) * 1000000L };

			if ((wait < 0 ? sigwaitinfo(&set, &si) :
			     sigtimedwait(&set, &si, &ts)) < 0) {
				if (errno == EAGAIN)
					hsmd_policy_start(policy, o->mnt);
				continue;
			}
			if (si.si_signo == SIGCHLD) {
				hsmd_policy_reap(policy);
				if (waitpid(pid, &status, WNOHANG) == pid)
					break;
				continue;
			}
			if (si.si_signo == SIGHUP)
				continue;	/* settings need a restart */
			if (si.si_signo == SIGUSR1) {
				if (si.si_pid == pid)
					hsmd_policy_now(policy, o->mnt);
				continue;
			}
			stopping = true;
			sd_notify(0, "STOPPING=1");
			hsmd_policy_stop(policy);
			kill(pid, SIGTERM);
		}
		if (stopping || (WIFEXITED(status) && !WEXITSTATUS(status)))
			break;
		describe(status, why, sizeof(why));
		hsmd_logf(LOG_ERR, "worker %d %s: starting another, which "
			  "takes over the events it left", (int)pid, why);
		if (WIFEXITED(status) &&
		    WEXITSTATUS(status) == HSM_EX_OPERATIONAL &&
		    time(NULL) - started < STABLE_S && backoff >= BACKOFF_MAX_MS)
			hsmd_logf(LOG_ERR, "the worker keeps failing; still "
				  "holding %s so that no reader gets zeros",
				  o->mnt);
		hsm_evtab_note_restart(t);
		continuous = true;	/* the group is ours; the dead writer's
					 * unclean stop is the journal's gap */
		backoff = time(NULL) - started >= STABLE_S ? BACKOFF_MIN_MS :
			  (backoff * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS :
			   backoff * 2);
		sleep_ms(backoff);
	}
	hsmd_policy_stop(policy);
	policy_runs_remove(policy->uuid);	/* stats: no daemon, no runs */
	/* every waiting event was answered: the group may close with us */
	if (stopping)
		hsmd_fdstore_drop();
	hsmd_logf(LOG_INFO, "stopped serving %s", o->mnt);
	return WIFEXITED(status) ? WEXITSTATUS(status) : HSM_EX_OPERATIONAL;
}
