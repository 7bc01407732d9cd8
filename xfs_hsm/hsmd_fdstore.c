// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * hsmd_fdstore.c - the fanotify group and the table of its unanswered
 * events outlive every xfs_hsmd process, in the service manager's file
 * descriptor store (sd_pid_notify_with_fds(3), FileDescriptorStoreMax= in
 * systemd.service(5)).
 *
 * The kernel lets every pending event through to zeros when the last
 * descriptor of a pre-content group closes.  While the service manager
 * holds one, readers simply wait when no daemon runs, and the next daemon
 * takes the group and the table back (sd_listen_fds_with_names(3)) and
 * answers them.  A clean stop takes them out of the store first, so that
 * a stopped daemon's group does not hold every access of the filesystem.
 *
 * The change journal's group (a notification group, which holds nobody
 * up) stays in the store even after a clean stop: while it is there its
 * queue keeps every change for the next daemon, and the journal's epoch
 * stays vouched for across the restart.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>
#include <systemd/sd-daemon.h>
#include "hsmd.h"

#define NAME_GROUP	"fanotify"
#define NAME_EVTAB	"events"
#define NAME_JOURNAL	"journal"

/*
 * Take the group and its table back, before this process opens anything:
 * the numbers of the events the dead daemon read must stay free for their
 * placeholders (hsm_evtab_reserve(3)).  1 when both were there, 0 when not
 * (start afresh).
 */
int
hsmd_fdstore_take(
	int			*group_fd,
	struct hsm_evtab	**t,
	int			*journal_fd)
{
	char			**names = NULL;
	int			n, i, fd, gfd = -1, tfd = -1, error = 0;

	*journal_fd = -1;
	n = sd_listen_fds_with_names(1, &names);
	if (n <= 0)
		return 0;
	for (i = 0; i < n; i++) {
		fd = SD_LISTEN_FDS_START + i;
		if (names && !strcmp(names[i], NAME_GROUP) && gfd < 0)
			gfd = fd;
		else if (names && !strcmp(names[i], NAME_EVTAB) && tfd < 0)
			tfd = fd;
		else if (names && !strcmp(names[i], NAME_JOURNAL) &&
			 *journal_fd < 0)
			*journal_fd = fd;
		else
			close(fd);	/* not ours: do not leak it */
	}
	for (i = 0; names && i < n; i++)
		free(names[i]);
	free(names);
	if (gfd < 0 && tfd < 0)
		return 0;		/* a clean stop left the journal only */
	if (gfd < 0 || tfd < 0) {
		hsmd_logf(LOG_WARNING, "the service manager handed back %s "
			  "without %s: starting afresh", gfd >= 0 ?
			  "the fanotify group" : "the event table", gfd >= 0 ?
			  "its event table" : "the group");
		error = 0;
		goto out_close;
	}
	error = hsm_evtab_adopt(tfd, t);
	if (!error) {
		error = hsm_evtab_reserve(*t);
		if (error > 0)
			error = 0;
		if (error) {
			hsm_evtab_free(*t);
			tfd = -1;
		}
	}
	if (error) {
		hsmd_logf(LOG_ERR, "cannot take back the fanotify group from "
			  "the service manager (%s): starting afresh",
			  strerror(-error));
		goto out_close;
	}
	*group_fd = gfd;
	return 1;
out_close:
	if (gfd >= 0)
		close(gfd);
	if (tfd >= 0)
		close(tfd);
	return error;
}

void
hsmd_fdstore_give(
	int			group_fd,
	struct hsm_evtab	*t)
{
	int			tfd = hsm_evtab_fd(t);

	if (!getenv("NOTIFY_SOCKET")) {
		hsmd_logf(LOG_WARNING, "no service manager keeps the fanotify "
			  "group: if every xfs_hsmd process dies, readers "
			  "waiting for a recall read zeros (see xfs_hsmd(8))");
		return;
	}
	if (sd_pid_notify_with_fds(0, 0, "FDSTORE=1\nFDNAME=" NAME_GROUP
				   "\nFDPOLL=0", &group_fd, 1) <= 0 ||
	    sd_pid_notify_with_fds(0, 0, "FDSTORE=1\nFDNAME=" NAME_EVTAB
				   "\nFDPOLL=0", &tfd, 1) <= 0) {
		hsmd_logf(LOG_WARNING, "cannot hand the fanotify group to the "
			  "service manager: if every xfs_hsmd process dies, "
			  "readers waiting for a recall read zeros");
		return;
	}
	hsmd_logf(LOG_INFO, "the service manager keeps the fanotify group "
		  "(FileDescriptorStoreMax= must allow 3)");
}

void
hsmd_fdstore_drop(void)
{
	if (getenv("NOTIFY_SOCKET"))
		sd_notify(0, "FDSTOREREMOVE=1\nFDNAME=" NAME_GROUP "\n");
	if (getenv("NOTIFY_SOCKET"))
		sd_notify(0, "FDSTOREREMOVE=1\nFDNAME=" NAME_EVTAB "\n");
}

/* Keep the journal's group in the store (see the top of this file). */
void
hsmd_fdstore_give_journal(
	int			fd)
{
	if (!getenv("NOTIFY_SOCKET"))
		return;
	if (sd_pid_notify_with_fds(0, 0, "FDSTORE=1\nFDNAME=" NAME_JOURNAL
				   "\nFDPOLL=0", &fd, 1) <= 0)
		hsmd_logf(LOG_WARNING, "cannot hand the change journal's group "
			  "to the service manager: a restart puts a gap in "
			  "the journal");
}
