// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * changes.c - xfs_hsm changes: the directories that changed in some
 * epochs of the change journal, by path, ancestors included; with
 * --files the changed entries inside them; --checkpoint closes the
 * current epoch (doc/design.md, "The change journal").
 *
 * The answer comes from the journal file, after the daemon has made
 * every change made before the command durable in it (a SYNC request).
 * Where the journal does not vouch for a period (its writer stopped
 * uncleanly, its queue overflowed, no daemon runs now), a ctime scan
 * since that period's start completes it, and the answer says so.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <dirent.h>
#include <unistd.h>
#include <sys/stat.h>
#include <json-c/json.h>
#include "xfs_hsm.h"
#include "changes.h"
#include "strutils.h"

/* The fallback scan reaches this far before a gap's safe point: see
 * libhsm/journal/journalP.h, JR_MARGIN_NS (the gap records include it;
 * this covers the tail after the last record when no daemon answers). */
#define MARGIN_NS	(10LL * 1000000000)
/*
 * --files lists the entries of a changed directory stamped (ctime) since
 * the first epoch opened, less this: an event read after the checkpoint
 * that opened the epoch was queued after it, by a call that stamped its
 * change at most this long before (a long write; the coarse clock).
 */
#define FILES_MARGIN_NS	(1LL * 1000000000)

static const char *const gap_why[] = {
	[HSM_JGAP_NONE] = "",
	[HSM_JGAP_UNCLEAN] = "the journal's writer did not stop cleanly",
	[HSM_JGAP_UNWATCHED] = "no daemon watched for a while",
	[HSM_JGAP_OVERFLOW] = "the event queue overflowed",
	[HSM_JGAP_ERROR] = "events could not be read",
};

struct changes_opts {
	bool		json;
	bool		files;
	bool		checkpoint;
	bool		since_set;
	uint64_t	since;
	const char	*under;		/* canonical, or NULL */
};

struct answer {
	uint64_t	from, to;	/* epochs */
	uint64_t	first;		/* the first the journal keeps */
	bool		live;		/* the daemon synced the journal */
	bool		fallback;
	int64_t		fb_since_ns;
	const char	*fb_why;
	uint64_t	fb_inodes;	/* changed inodes the scan found */
	struct pathset	dirs;
	struct pathset	files;
};

/* The path of the directory of handle @h, or NULL (gone). */
static char *
handle_path(
	int			mntfd,
	const struct hsm_jhandle *h)
{
	char			link[64], buf[PATH_MAX];
	ssize_t			n;
	int			fd;

	/* a directory opened by handle is always connected: its path is
	 * its name now */
	fd = hsm_jhandle_open(mntfd, h, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return NULL;
	buf[n] = '\0';
	return strdup(buf);
}

/* "type:hex" of the handle of directory @path, into @buf ("" if none). */
static void
path_handle(
	const char		*path,
	char			*buf,
	size_t			size)
{
	struct hsm_jhandle	h;
	unsigned		i;
	int			o;

	buf[0] = '\0';
	if (hsm_jhandle_get(AT_FDCWD, path, 0, &h))
		return;
	o = snprintf(buf, size, "%d:", (int)h.type);
	for (i = 0; i < h.len && o + 3 < (int)size; i++)
		o += snprintf(buf + o, size - o, "%02x", h.bytes[i]);
}

static bool
is_under(
	const char	*path,
	const char	*under)
{
	size_t		n = strlen(under);

	return !strncmp(path, under, n) && (path[n] == '\0' || path[n] == '/' ||
					    !strcmp(under, "/"));
}

/* With --files: the entries of changed directory @dir changed at or after
 * @since_ns (reads that directory only). */
static int
list_files(
	const char	*dir,
	int64_t		since_ns,
	struct pathset	*out)
{
	char		p[PATH_MAX];
	struct dirent	*d;
	struct stat	st;
	DIR		*dh;
	int		error = 0;

	dh = opendir(dir);
	if (!dh)
		return 0;		/* gone since */
	while (!error && (d = readdir(dh)) != NULL) {
		if (!strcmp(d->d_name, ".") || !strcmp(d->d_name, ".."))
			continue;
		if (fstatat(dirfd(dh), d->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			continue;
		if (st.st_ctim.tv_sec * 1000000000LL + st.st_ctim.tv_nsec <
		    since_ns)
			continue;
		snprintf(p, sizeof(p), "%s/%s", strcmp(dir, "/") ? dir : "",
			 d->d_name);
		error = pathset_add(out, p);
	}
	closedir(dh);
	return error;
}

/* Build the answer for epochs a->from..a->to of @v. */
static int
build(
	struct hsm_fs		*fs,
	const struct changes_opts *o,
	const struct hsm_jview	*v,
	struct answer		*a)
{
	const struct hsm_jepoch	*e;
	struct pathset		all = { 0 };
	char			*p;
	uint64_t		i;
	size_t			k;
	int			mntfd, error = 0;

	mntfd = open(hsm_fs_mountpoint(fs), O_RDONLY | O_DIRECTORY |
		     O_CLOEXEC);
	if (mntfd < 0)
		return -errno;
	/* pruned epochs: when they opened is gone with them, so the scan
	 * reaches back to the journal's start */
	if (a->from < a->first) {
		a->fallback = true;
		a->fb_since_ns = v->created_ns - MARGIN_NS;
		a->fb_why = "the epochs asked for are pruned from the journal";
	}
	for (i = a->from < a->first ? a->first : a->from; i <= a->to &&
	     !error; i++) {
		e = &v->epochs[i - a->first];
		if (!e->vouched && (!a->fallback ||
				    e->gap_since_ns < a->fb_since_ns)) {
			a->fallback = true;
			a->fb_since_ns = e->gap_since_ns;
			a->fb_why = gap_why[e->gap_reason <= HSM_JGAP_ERROR ?
					    e->gap_reason : HSM_JGAP_ERROR];
		}
		for (k = 0; k < e->nmarks && !error; k++) {
			p = handle_path(mntfd, &e->marks[k]);
			if (p)
				error = pathset_add(&all, p);
			free(p);
		}
	}
	close(mntfd);
	/* no daemon brought the journal up to date: what came after its
	 * last record is unknown */
	if (!error && !a->live && a->to == a->first + v->nepochs - 1 &&
	    (!a->fallback || v->last_ns - MARGIN_NS < a->fb_since_ns)) {
		a->fallback = true;
		a->fb_since_ns = v->last_ns - MARGIN_NS;
		a->fb_why = "no daemon keeps the journal up to date now";
	}
	if (!error && a->fallback)
		error = changes_scan(fs, a->fb_since_ns, &all, &a->fb_inodes);
	if (error)
		goto out;
	pathset_sort(&all);
	for (k = 0; k < all.n && !error; k++)
		if (!o->under || is_under(all.path[k], o->under))
			error = pathset_add(&a->dirs, all.path[k]);
	pathset_sort(&a->dirs);
	/* the period's start: the first epoch's opening (or the scan's) */
	for (k = 0; o->files && k < a->dirs.n && !error; k++)
		error = list_files(a->dirs.path[k], a->from < a->first ?
				   v->created_ns - FILES_MARGIN_NS :
				   v->epochs[a->from - a->first].opened_ns -
				   FILES_MARGIN_NS, &a->files);
	pathset_sort(&a->files);
out:
	pathset_free(&all);
	return error;
}

static void
print_text(
	const struct answer	*a,
	const struct changes_opts *o)
{
	size_t			i;

	printf("epochs %" PRIu64 "-%" PRIu64 "\n", a->from, a->to);
	if (a->fallback)
		printf("source fallback: %s\n", a->fb_why);
	else
		printf("source journal\n");
	for (i = 0; i < a->dirs.n; i++)
		printf("d %s\n", a->dirs.path[i]);
	for (i = 0; o->files && i < a->files.n; i++)
		printf("f %s\n", a->files.path[i]);
}

static struct json_object *
epoch_json(
	const struct hsm_jepoch	*e)
{
	struct json_object	*j = json_object_new_object();

	json_object_object_add(j, "epoch", json_object_new_uint64(e->epoch));
	json_object_object_add(j, "opened_ns",
			       json_object_new_int64(e->opened_ns));
	json_object_object_add(j, "closed_ns", e->closed_ns ?
			       json_object_new_int64(e->closed_ns) : NULL);
	json_object_object_add(j, "vouched",
			       json_object_new_boolean(e->vouched));
	json_object_object_add(j, "directories",
			       json_object_new_uint64(e->nmarks));
	json_object_object_add(j, "bytes", json_object_new_uint64(e->bytes));
	json_object_object_add(j, "flushes",
			       json_object_new_uint64(e->flushes));
	return j;
}

static void
print_json(
	const char		*mnt,
	const struct hsm_jview	*v,
	const struct answer	*a,
	const struct changes_opts *o)
{
	struct json_object	*j = json_object_new_object(), *arr, *d;
	char			h[2 * HSM_JHANDLE_MAX + 16];
	uint64_t		i;
	size_t			k;

	json_object_object_add(j, "mount", json_object_new_string(mnt));
	json_object_object_add(j, "from", json_object_new_uint64(a->from));
	json_object_object_add(j, "to", json_object_new_uint64(a->to));
	json_object_object_add(j, "source", json_object_new_string(
			       a->fallback ? "fallback" : "journal"));
	if (a->fallback) {
		d = json_object_new_object();
		json_object_object_add(d, "reason",
				       json_object_new_string(a->fb_why));
		json_object_object_add(d, "since_ns",
				       json_object_new_int64(a->fb_since_ns));
		json_object_object_add(d, "changed_inodes",
				       json_object_new_uint64(a->fb_inodes));
		json_object_object_add(j, "fallback", d);
	}
	arr = json_object_new_array();
	for (i = a->from < a->first ? a->first : a->from; i <= a->to; i++)
		json_object_array_add(arr,
				      epoch_json(&v->epochs[i - a->first]));
	json_object_object_add(j, "epochs", arr);
	arr = json_object_new_array();
	for (k = 0; k < a->dirs.n; k++) {
		d = json_object_new_object();
		json_add_path(d, a->dirs.path[k]);
		path_handle(a->dirs.path[k], h, sizeof(h));
		json_object_object_add(d, "handle", h[0] ?
				       json_object_new_string(h) : NULL);
		json_object_array_add(arr, d);
	}
	json_object_object_add(j, "directories", arr);
	if (o->files) {
		arr = json_object_new_array();
		for (k = 0; k < a->files.n; k++) {
			d = json_object_new_object();
			json_add_path(d, a->files.path[k]);
			json_object_array_add(arr, d);
		}
		json_object_object_add(j, "files", arr);
	}
	printf("%s\n", json_object_to_json_string_ext(j,
			JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(j);
}

/* --checkpoint: the daemon closes the current epoch. */
static int
checkpoint(
	struct hsm_fs		*fs,
	const struct changes_opts *o)
{
	const char		*mnt = hsm_fs_mountpoint(fs);
	uint64_t		epoch = 0;
	int			error;

	error = hsm_fs_journal_request(fs, HSM_JOURNAL_SYNC |
				       HSM_JOURNAL_CHECKPOINT, &epoch);
	if (error) {
		fprintf(stderr, "%s: cannot close the journal's epoch on %s: "
			"%s\n", PROGNAME, mnt, error == -ENOTCONN ?
			"no daemon serves it" : error == -ENOENT ?
			"its daemon keeps no journal" : strerror(-error));
		return HSM_EX_OPERATIONAL;
	}
	if (o->json)
		printf("{ \"mount\": \"%s\", \"closed\": %" PRIu64 ", "
		       "\"current\": %" PRIu64 " }\n", mnt, epoch, epoch + 1);
	else
		printf("closed epoch %" PRIu64 ", current %" PRIu64 "\n",
		       epoch, epoch + 1);
	return 0;
}

static int
query(
	struct hsm_fs		*fs,
	const struct changes_opts *o)
{
	const char		*mnt = hsm_fs_mountpoint(fs);
	struct hsm_jview	*v;
	struct answer		a = { 0 };
	uint64_t		epoch;
	int			error;

	/* everything changed before now, durable in the journal first */
	error = hsm_fs_journal_request(fs, HSM_JOURNAL_SYNC, &epoch);
	a.live = !error;
	if (error && error != -ENOTCONN && error != -ENOENT)
		fprintf(stderr, "%s: warning: the daemon of %s cannot bring "
			"its journal up to date (%s)\n", PROGNAME, mnt,
			strerror(-error));
	error = hsm_journal_load(fs, &v);
	if (error) {
		fprintf(stderr, "%s: cannot read the change journal of %s: "
			"%s\n", PROGNAME, mnt, error == -ENOENT ?
			"there is none (xfs_hsmd keeps it)" :
			error == -EUCLEAN ? "bad header" : strerror(-error));
		return HSM_EX_OPERATIONAL;
	}
	a.first = v->epochs[0].epoch;
	a.to = a.first + v->nepochs - 1;
	a.from = o->since_set ? o->since : a.to;
	/* an epoch pruned is answered (by the fallback), a future one not */
	if (a.from < 1 || a.from > a.to) {
		fprintf(stderr, "%s: no epoch %" PRIu64 " in the journal of %s "
			"(epochs %" PRIu64 "-%" PRIu64 ")\n", PROGNAME, a.from,
			mnt, a.first, a.to);
		hsm_jview_free(v);
		return HSM_EX_OPERATIONAL;
	}
	error = build(fs, o, v, &a);
	if (error) {
		fprintf(stderr, "%s: cannot list the changes of %s: %s\n",
			PROGNAME, mnt, strerror(-error));
		error = HSM_EX_OPERATIONAL;
	} else if (o->json) {
		print_json(mnt, v, &a, o);
	} else {
		print_text(&a, o);
	}
	pathset_free(&a.dirs);
	pathset_free(&a.files);
	hsm_jview_free(v);
	return error;
}

void
changes_help(void)
{
	printf("Usage:\n %s changes [options] <mount>\n\n"
	       "List the directories that hold a changed, created, deleted "
	       "or moved entry,\nand all their ancestors, from the change "
	       "journal xfs_hsmd keeps: by default\nin the current epoch.  "
	       "Where the journal cannot vouch for a period (an unclean\n"
	       "stop, a queue overflow, no daemon running) a ctime scan "
	       "completes it and the\nanswer says 'source fallback'.\n\n"
	       "Options:\n"
	       "     --since <epoch>  epochs <epoch> to the current one\n"
	       "     --under <path>   only directories at or below <path>\n"
	       "     --files          also the changed entries inside them\n"
	       "     --checkpoint     close the current epoch (the daemon "
	       "does it)\n"
	       "     --json           one JSON object\n"
	       " -h, --help           display this help\n\n"
	       "See xfs_hsm(8), and xfs_hsm(7) for the consistent-read "
	       "protocol.\n", PROGNAME);
}

int
changes_f(
	int			argc,
	char			**argv)
{
	static const struct option longopts[] = {
		{ "json",	no_argument,	   NULL, 'J' },
		{ "since",	required_argument, NULL, 's' },
		{ "under",	required_argument, NULL, 'u' },
		{ "files",	no_argument,	   NULL, 'f' },
		{ "checkpoint",	no_argument,	   NULL, 'c' },
		{ "help",	no_argument,	   NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct changes_opts	o = { 0 };
	struct hsm_fs		*fs;
	char			*under = NULL;
	unsigned		since;
	int			c;

	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'J':
			o.json = true;
			break;
		case 's':
			if (parse_uint(optarg, 1, UINT32_MAX, &since)) {
				fprintf(stderr, "%s: changes: invalid epoch "
					"'%s'\n", PROGNAME, optarg);
				errtryhelp(HSM_EX_USAGE);
			}
			o.since = since;
			o.since_set = true;
			break;
		case 'u':
			free(under);
			under = realpath(optarg, NULL);
			if (!under) {
				fprintf(stderr, "%s: cannot access '%s': %s\n",
					PROGNAME, optarg, strerror(errno));
				exitcode |= HSM_EX_OPERATIONAL;
				return 0;
			}
			break;
		case 'f':
			o.files = true;
			break;
		case 'c':
			o.checkpoint = true;
			break;
		case 'h':
			changes_help();
			return 0;
		default:
			errtryhelp(HSM_EX_USAGE);
		}
	}
	if (optind != argc - 1) {
		fprintf(stderr, "%s: changes: %s\n", PROGNAME, optind >= argc ?
			"missing mount point" : "one mount point only");
		errtryhelp(HSM_EX_USAGE);
	}
	o.under = under;
	require_root();
	fs = fs_named(argv[optind], false);
	if (!fs) {
		free(under);
		return 0;		/* reported, exitcode set */
	}
	exitcode |= o.checkpoint ? checkpoint(fs, &o) : query(fs, &o);
	free(under);
	return 0;
}
