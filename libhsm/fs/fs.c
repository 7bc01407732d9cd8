// SPDX-License-Identifier: LGPL-2.1-or-later
/* fs.c - open the XFS filesystem holding a path, and its bound store. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <endian.h>
#include <unistd.h>
#include <libgen.h>
#include <sys/ioctl.h>
#include <sys/xattr.h>
#include <xfs/xfs.h>
#include <xfs/handle.h>
#include "fs/fsP.h"

/* The detail of the last failure, per thread (fsP.h). */
static __thread char fs_detail[256];

void
hsm_fs_set_detail(
	struct hsm_fs	*fs,
	const char	*fmt,
	...)
{
	va_list		ap;

	(void)fs;
	va_start(ap, fmt);
	vsnprintf(fs_detail, sizeof(fs_detail), fmt, ap);
	va_end(ap);
}

void
hsm_fs_clear_detail(
	struct hsm_fs	*fs)
{
	(void)fs;
	fs_detail[0] = '\0';
}

/* Read the geometry UUID; -ENOTTY when @fd is not on XFS. */
int
hsm_xfs_uuid(
	int			fd,
	unsigned char		uuid[16])
{
	struct xfs_fsop_geom	geo;

	memset(&geo, 0, sizeof(geo));
	if (ioctl(fd, XFS_IOC_FSGEOMETRY, &geo) < 0)
		return errno == EINVAL || errno == ENOTTY ||
		       errno == EOPNOTSUPP ? -ENOTTY : -errno;
	memcpy(uuid, geo.uuid, 16);
	return 0;
}

void
hsm_uuid_unparse(
	const unsigned char	u[16],
	char			out[37])
{
	snprintf(out, 37,
		"%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
		"%02x%02x%02x%02x%02x%02x",
		u[0], u[1], u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9],
		u[10], u[11], u[12], u[13], u[14], u[15]);
}

/* This host's boot id, so a pending op's owner can be told dead or alive. */
static void
read_boot_id(
	uint8_t		id[16])
{
	char		buf[64];
	unsigned	i, j = 0;
	FILE		*f = fopen("/proc/sys/kernel/random/boot_id", "re");

	memset(id, 0, 16);
	if (!f)
		return;
	if (fgets(buf, sizeof(buf), f)) {
		for (i = 0; buf[i] && j < 32; i++) {
			int c = buf[i], v;

			if (c >= '0' && c <= '9')
				v = c - '0';
			else if (c >= 'a' && c <= 'f')
				v = c - 'a' + 10;
			else
				continue;
			id[j / 2] |= (j % 2) ? v : v << 4;
			j++;
		}
	}
	fclose(f);
}

/* Canonical mount point of the filesystem holding @path, or NULL+errno. */
static char *
find_mountpoint(
	const char	*path,
	dev_t		*devp)
{
	struct stat	st, pst;
	char		*dir, *tmp, *parent;

	if (lstat(path, &st) < 0)
		return NULL;
	if (S_ISDIR(st.st_mode)) {
		dir = realpath(path, NULL);
	} else {
		tmp = strdup(path);
		if (!tmp)
			return NULL;
		dir = realpath(dirname(tmp), NULL);
		free(tmp);
	}
	if (!dir)
		return NULL;
	if (stat(dir, &st) < 0)
		goto out_free;
	*devp = st.st_dev;
	while (strcmp(dir, "/")) {
		tmp = strdup(dir);
		if (!tmp)
			goto out_free;
		parent = strdup(dirname(tmp));
		free(tmp);
		if (!parent)
			goto out_free;
		if (stat(parent, &pst) < 0 || pst.st_dev != st.st_dev ||
		    pst.st_ino == st.st_ino) {
			free(parent);
			break;
		}
		free(dir);
		dir = parent;
	}
	return dir;
out_free:
	free(dir);
	return NULL;
}

/* @set's slot for store @id: its own, else a free one; -1 if none. */
static int
set_slot(
	struct hsm_store_set	*set,
	uint32_t		id)
{
	int			i, free_slot = -1;

	for (i = 0; i < HSM_STORES_MAX; i++) {
		if (set->h[i] && set->id[i] == id)
			return i;
		if (!set->h[i] && free_slot < 0)
			free_slot = i;
	}
	return free_slot;
}

/* A slot of @set for a store about to be opened: a free one, else that of
 * a store no longer bound (a long-lived set, such as a daemon worker's,
 * outlives removed stores); -1 if none. */
static int
set_slot_new(
	const struct hsm_fs	*fs,
	struct hsm_store_set	*set,
	uint32_t		id)
{
	int			i = set_slot(set, id);

	if (i >= 0)
		return i;
	for (i = 0; i < HSM_STORES_MAX; i++)
		if (hsm_fs_store_index(fs, set->id[i]) < 0) {
			hsm_store_close(set->h[i]);
			set->h[i] = NULL;
			set->id[i] = 0;
			return i;
		}
	return -1;
}

/* Take @b as fs's binding (fs owns it now): the primary store is the
 * first one not draining (the first if all are), and copy 0 of a new
 * migrate goes there.  Under own_lock, or before any thread runs. */
static int
set_binding(
	struct hsm_fs		*fs,
	struct hsm_binding	*b)
{
	struct hsm_binding	**r;
	unsigned		i, p = 0;
	int			slot;

	for (i = 0; i < b->nstores; i++)
		if (!b->store[i].draining) {
			p = i;
			break;
		}
	if (fs->binding) {
		r = realloc(fs->retired, (fs->nretired + 1) * sizeof(*r));
		if (!r)
			return -ENOMEM;
		fs->retired = r;
		fs->retired[fs->nretired++] = fs->binding;
	}
	fs->binding = b;
	fs->store_spec = b->store[p].spec;
	fs->store_id = b->store[p].id;
	fs->records_v2 = b->records_v2;
	slot = set_slot(&fs->own, fs->store_id);
	fs->store = slot >= 0 ? fs->own.h[slot] : NULL;
	return 0;
}

/* Read the binding from the root directory: 0, 1 if there is none. */
static int
read_binding(
	struct hsm_fs		*fs,
	struct hsm_binding	**bp)
{
	struct hsm_binding	*b;
	char			*buf;
	ssize_t			n;
	int			error;

	*bp = NULL;
	buf = malloc(HSM_BINDING_MAX);
	b = malloc(sizeof(*b));
	if (!buf || !b) {
		error = -ENOMEM;
		goto out;
	}
	n = fgetxattr(fs->mntfd, HSM_XATTR_FS, buf, HSM_BINDING_MAX - 1);
	if (n < 0) {
		error = errno == ENODATA ? 1 : -errno;
		goto out;
	}
	error = hsm_binding_parse(buf, n, b);
	if (error) {
		hsm_fs_set_detail(fs, "corrupt store binding '%s'",
				HSM_XATTR_FS);
		goto out;
	}
	*bp = b;
	b = NULL;
out:
	free(b);
	free(buf);
	return error;
}

/* Is @b other than the binding @fs holds?  Under own_lock. */
static bool
binding_differs(
	struct hsm_fs		*fs,
	const struct hsm_binding *b)
{
	return !fs->binding || memcmp(fs->binding, b, sizeof(*b));
}

int
hsm_fs_reload_binding(
	struct hsm_fs		*fs)
{
	struct hsm_binding	*b;
	int			error;

	error = read_binding(fs, &b);
	if (error)
		return error < 0 ? error : 0;
	pthread_mutex_lock(&fs->own_lock);
	if (!binding_differs(fs, b))
		error = 1;			/* unchanged */
	else
		error = set_binding(fs, b);
	pthread_mutex_unlock(&fs->own_lock);
	if (error)
		free(b);
	return error < 0 ? error : 0;
}

bool
hsm_fs_binding_changed(
	struct hsm_fs		*fs)
{
	struct hsm_binding	*b;
	bool			changed;

	if (read_binding(fs, &b) != 0)
		return false;	/* none, or unreadable: the reload says */
	pthread_mutex_lock(&fs->own_lock);
	changed = binding_differs(fs, b);
	pthread_mutex_unlock(&fs->own_lock);
	free(b);
	return changed;
}

int
hsm_fs_write_binding(
	struct hsm_fs		*fs,
	const struct hsm_binding *b)
{
	struct hsm_binding	*copy;
	char			*val;
	int			n, error;

	val = malloc(HSM_BINDING_MAX);
	copy = calloc(1, sizeof(*copy));
	if (!val || !copy) {
		error = -ENOMEM;
		goto out;
	}
	n = hsm_binding_format(b, val, HSM_BINDING_MAX);
	if (n < 0) {
		error = n;
		goto out;
	}
	/* parsed back: the copy kept compares equal to a reload's */
	error = hsm_binding_parse(val, n, copy);
	if (!error)
		error = hsm_dur_fs_note(fs, HSM_XATTR_FS, val, n);
	if (error)
		goto out;
	pthread_mutex_lock(&fs->own_lock);
	error = set_binding(fs, copy);
	pthread_mutex_unlock(&fs->own_lock);
	if (!error)
		copy = NULL;
out:
	free(copy);
	free(val);
	return error;
}

int
hsm_fs_store_index(
	const struct hsm_fs	*fs,
	uint32_t		id)
{
	unsigned		i;

	for (i = 0; fs->binding && i < fs->binding->nstores; i++)
		if (fs->binding->store[i].id == id)
			return i;
	return -1;
}

HSM_EXPORT struct hsm_store *
hsm_fs_store_get(
	struct hsm_fs		*fs,
	struct hsm_store_set	*set,
	uint32_t		id,
	int			*errp)
{
	struct hsm_store	*h = NULL;
	int			i, slot, error = 0;

	i = hsm_fs_store_index(fs, id);
	if (i < 0 && hsm_fs_reload_binding(fs) == 0)
		i = hsm_fs_store_index(fs, id);	/* added since */
	if (i < 0) {
		hsm_fs_set_detail(fs, "store %u is not bound to %s", id,
				fs->mnt);
		*errp = -ENOENT;
		return NULL;
	}
	if (set == &fs->own)
		pthread_mutex_lock(&fs->own_lock);
	slot = set_slot_new(fs, set, id);
	if (slot < 0) {
		error = -EMFILE;
	} else if (set->h[slot]) {
		h = set->h[slot];
	} else {
		error = hsm_store_open(fs->binding->store[i].spec,
				fs->uuid_str, false, &h);
		if (error) {
			h = NULL;
			hsm_fs_set_detail(fs, error == -EPROTO ?
				"store '%s' is of a newer format (a newer "
				"xfs-hsm wrote it)" : error == -EMEDIUMTYPE ?
				"store '%s': index_shards= is not its pool's "
				"number of index shards" : "store '%s'",
				fs->binding->store[i].spec);
		} else {
			set->h[slot] = h;
			set->id[slot] = id;
			if (set == &fs->own && id == fs->store_id)
				fs->store = h;
		}
	}
	if (set == &fs->own)
		pthread_mutex_unlock(&fs->own_lock);
	*errp = error;
	return h;
}

void
hsm_store_set_close(
	struct hsm_store_set	*set)
{
	unsigned		i;

	for (i = 0; i < HSM_STORES_MAX; i++) {
		hsm_store_close(set->h[i]);
		set->h[i] = NULL;
		set->id[i] = 0;
	}
}

void
hsm_store_set_drop(
	struct hsm_store_set	*set,
	uint32_t		id)
{
	int			i = set_slot(set, id);

	if (i >= 0 && set->h[i]) {
		hsm_store_close(set->h[i]);
		set->h[i] = NULL;
		set->id[i] = 0;
	}
}

HSM_EXPORT int
hsm_fs_open_store(
	struct hsm_fs	*fs)
{
	int		error;

	if (fs->store)
		return 0;
	if (!fs->binding)
		return -ENODATA;
	hsm_fs_store_get(fs, &fs->own, fs->store_id, &error);
	return error;
}

HSM_EXPORT int
hsm_fs_open(
	const char	*path,
	unsigned	flags,
	struct hsm_fs	**fsp)
{
	struct hsm_fs	*fs;
	struct sigaction sa;
	int		error;

	fs = calloc(1, sizeof(*fs));
	if (!fs)
		return -ENOMEM;
	fs->mntfd = -1;
	fs->iofd = -1;
	fs->lockfd = -1;
	pthread_mutex_init(&fs->own_lock, NULL);
	fs->ctlfd = -1;
	fs->mnt = find_mountpoint(path, &fs->dev);
	if (!fs->mnt) {
		error = -errno;
		goto out_free;
	}
	fs->mntfd = open(fs->mnt, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fs->mntfd < 0) {
		error = -errno;
		goto out_free;
	}
	error = hsm_xfs_uuid(fs->mntfd, fs->uuid);
	if (error)
		goto out_free;
	hsm_uuid_unparse(fs->uuid, fs->uuid_str);
	/* libhandle needs the fs handle cached before open_by_handle works */
	error = hsm_xfs_fshandle(fs->mnt, &fs->fshandle, &fs->fshandle_len);
	if (error)
		goto out_free;
	read_boot_id(fs->boot_id);
	error = hsm_fs_reload_binding(fs);
	if (error)
		goto out_free;
	if (flags & HSM_FS_NEED_STORE) {
		error = hsm_fs_open_store(fs);
		if (error)
			goto out_free;
	}

	/* A lease break is SIGIO, whose default action kills us. */
	if (sigaction(SIGIO, NULL, &sa) == 0 && sa.sa_handler == SIG_DFL)
		signal(SIGIO, SIG_IGN);
	*fsp = fs;
	return 0;
out_free:
	hsm_fs_free(fs);
	return error;
}

HSM_EXPORT void
hsm_fs_free(
	struct hsm_fs	*fs)
{
	if (!fs)
		return;
	hsm_store_set_close(&fs->own);
	pthread_mutex_destroy(&fs->own_lock);
	if (fs->fshandle)
		free_handle(fs->fshandle, fs->fshandle_len);
	if (fs->mntfd >= 0)
		close(fs->mntfd);
	if (fs->lockfd >= 0)
		close(fs->lockfd);
	if (fs->ctlfd >= 0)
		close(fs->ctlfd);
	while (fs->nretired)
		free(fs->retired[--fs->nretired]);
	free(fs->retired);
	free(fs->binding);
	free(fs->mnt);
	free(fs);
}

HSM_EXPORT const char *
hsm_fs_mountpoint(
	const struct hsm_fs	*fs)
{
	return fs->mnt;
}

HSM_EXPORT const char *
hsm_fs_store_spec(
	const struct hsm_fs	*fs)
{
	return fs->store_spec;
}

HSM_EXPORT const char *
hsm_fs_uuid(
	const struct hsm_fs	*fs)
{
	return fs->uuid_str;
}

/* The release note is rewritten at most this often (seconds). */
#define RELEASE_NOTE_EVERY	60

HSM_EXPORT int
hsm_fs_last_release(
	struct hsm_fs	*fs,
	int64_t		*when)
{
	uint64_t	v;
	ssize_t		n;

	n = fgetxattr(fs->mntfd, HSM_XATTR_RELEASED, &v, sizeof(v));
	if (n < 0)
		return errno == ENODATA ? 1 : -errno;
	if (n != sizeof(v))
		return -EUCLEAN;
	*when = (int64_t)le64toh(v);
	return 0;
}

int
hsm_fs_note_release(
	struct hsm_fs	*fs)
{
	int64_t		now = time(NULL), last;
	uint64_t	v = htole64((uint64_t)now);
	int		error;

	/* what this process saw is as good as a read: a scan removes only
	 * a note older than RELEASE_NOTE_EVERY before it started */
	last = atomic_load(&fs->release_noted);
	if (last && last <= now && now - last < RELEASE_NOTE_EVERY)
		return 0;
	error = hsm_fs_last_release(fs, &last);
	if (!error && last <= now && now - last < RELEASE_NOTE_EVERY) {
		atomic_store(&fs->release_noted, last);
		return 0;
	}
	error = hsm_dur_fs_note(fs, HSM_XATTR_RELEASED, &v, sizeof(v));
	if (!error)
		atomic_store(&fs->release_noted, now);
	return error;
}

HSM_EXPORT int
hsm_fs_note_scan(
	struct hsm_fs	*fs,
	int		released,
	int64_t		scan_start)
{
	int64_t		last = 0;
	int		error;

	error = hsm_fs_last_release(fs, &last);
	if (released)
		return error == 1 ? hsm_fs_note_release(fs) : 0;
	if (error)
		return error == 1 ? 0 : error;
	/* a release during the scan, or one whose note was not rewritten
	 * because the last was recent, may have been missed */
	if (last >= scan_start - RELEASE_NOTE_EVERY)
		return 0;
	atomic_store(&fs->release_noted, 0);
	return hsm_dur_fs_note(fs, HSM_XATTR_RELEASED, NULL, 0);
}

HSM_EXPORT const char *
hsm_fs_errdetail(
	const struct hsm_fs	*fs)
{
	(void)fs;
	return fs_detail[0] ? fs_detail : NULL;
}

HSM_EXPORT void
hsm_fs_set_progress(
	struct hsm_fs	*fs,
	hsm_progress_fn	fn,
	void		*arg)
{
	fs->progress_fn = fn;
	fs->progress_arg = arg;
}

void
hsm_fs_progress(
	struct hsm_fs	*fs,
	uint64_t	bytes)
{
	if (fs->progress_fn)
		fs->progress_fn(bytes, fs->progress_arg);
}

int
hsm_abs_path(
	const char	*path,
	char		*out,
	size_t		size)
{
	char		cwd[PATH_MAX];
	int		n;

	if (path[0] == '/')
		n = snprintf(out, size, "%s", path);
	else if (!getcwd(cwd, sizeof(cwd)))
		return -errno;
	else
		n = snprintf(out, size, "%s/%s", strcmp(cwd, "/") ? cwd : "",
			     path);
	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}
