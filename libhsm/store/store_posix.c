// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * store_posix.c - the POSIX directory store.
 *
 *   DIR/.xfs-hsm-store          marker: "xfs-hsm-store F\nfs_uuid U\n",
 *                               F the format: 1 every object has a .meta,
 *                               2 most keep their text in an xattr
 *   DIR/objects/XX/<oid>        the data, sparse, at the file's offsets;
 *                               its xattr user.xfs-hsm.meta holds the
 *                               metadata text (hsm_objmeta_format)
 *   DIR/objects/XX/<oid>.meta   the text instead, where the xattr cannot
 *                               hold it (and objects of older versions)
 *   DIR/tmp/<oid>.{data,meta}   objects being written
 *
 * An object is written in tmp/ and becomes visible by a rename into
 * objects/XX/, only after its data and metadata are durable; the renames
 * are made durable before publish returns: the record may say ARCHIVED
 * only after that (DESIGN invariant 1).  Objects are published in
 * batches, with one syncfs before the renames and one after.  A crash
 * leaves files in tmp/ only for objects whose pending record names them:
 * settling the record removes them (posix_del).  Everything is 0700/0600:
 * objects hold other users' data.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include "store/store.h"

#define MARKER		".xfs-hsm-store"
#define POSIX_FORMAT	2	/* objects' texts in xattrs (objfile.c) */
#define PLACE_THREADS	3	/* besides the caller's */

struct posix_store {
	struct hsm_store base;
	int		dirfd;		/* DIR */
	int		objfd;		/* DIR/objects */
	int		tmpfd;		/* DIR/tmp */
	char		fs_uuid[40];
	_Atomic unsigned format;	/* the marker's */
	uint8_t		cached_oid[HSM_OID_LEN];
	int		cached_fd;	/* last object read */
	uint8_t		subdirs[256 / 8];	/* objects/XX known to exist */
};

struct hsm_store_writer {
	struct posix_store *ps;
	uint8_t		oid[HSM_OID_LEN];
	char		name[64];	/* tmp/<name>: the data */
	bool		meta_file;	/* metadata is tmp/<oid>.meta */
	int		fd;		/* data, until finished */
	uint64_t	end;		/* furthest byte written */
	uint64_t	behind;		/* write-back started up to here */
};

/* Start the write-back of a large object every this many bytes. */
#define WRITE_BEHIND	(8ULL << 20)

#define PS(s)	((struct posix_store *)(s))

/* Write all of @buf to @fd.  0 or -errno. */
static int
write_all(
	int		fd,
	const void	*buf,
	size_t		len)
{
	const char	*p = buf;
	ssize_t		n;

	while (len) {
		n = write(fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += n;
		len -= n;
	}
	return 0;
}

/*
 * Write the whole buffer to a new file @name in @dfd, and fsync it if
 * @sync (else a later syncfs makes it durable).  Nothing is left of it on
 * failure.
 */
static int
write_file(
	int		dfd,
	const char	*name,
	const void	*buf,
	size_t		len,
	bool		sync)
{
	int		fd, error;

	fd = openat(dfd, name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	error = write_all(fd, buf, len);
	if (!error && sync && fsync(fd) < 0)
		error = -errno;
	if (close(fd) < 0 && !error)
		error = -errno;
	if (error)
		unlinkat(dfd, name, 0);
	return error;
}

/* Read a small file whole; NUL-terminated.  Returns length or -errno. */
static ssize_t
read_small_file(
	int		dfd,
	const char	*name,
	char		**out)
{
	struct stat	st;
	char		*buf;
	ssize_t		n, got = 0;
	int		fd;

	fd = openat(dfd, name, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0 || st.st_size > (64 << 20)) {
		close(fd);
		return -EFBIG;
	}
	buf = malloc(st.st_size + 1);
	if (!buf) {
		close(fd);
		return -ENOMEM;
	}
	while (got < st.st_size) {
		n = read(fd, buf + got, st.st_size - got);
		if (n <= 0) {
			if (n < 0 && errno == EINTR)
				continue;
			break;
		}
		got += n;
	}
	close(fd);
	buf[got] = '\0';
	*out = buf;
	return got;
}

static int
mkdir_sync(
	int		dfd,
	const char	*name,
	bool		*made)
{
	*made = false;
	if (mkdirat(dfd, name, 0700) == 0) {
		*made = true;
		return 0;
	}
	return errno == EEXIST ? 0 : -errno;
}

/* Check or create the marker that ties this store to one filesystem;
 * *@format: the format it says. */
static int
check_marker(
	int		dirfd,
	const char	*fs_uuid,
	bool		create,
	unsigned	*format)
{
	char		want[128], *have = NULL;
	ssize_t		n;
	int		error;

	n = read_small_file(dirfd, MARKER, &have);
	if (n == -ENOENT && create) {
		hsm_store_marker_text(fs_uuid, POSIX_FORMAT, want,
				      sizeof(want));
		error = write_file(dirfd, MARKER, want, strlen(want), true);
		if (!error && fsync(dirfd) < 0)
			error = -errno;
		*format = POSIX_FORMAT;
		return error;
	}
	if (n == -ENOENT)
		return -ENOENT;		/* not a store (or not mounted) */
	if (n < 0)
		return n;
	error = hsm_store_marker_check(have, fs_uuid, POSIX_FORMAT, format);
	free(have);
	return error;
}

/* opendir(3) of @name in @dfd; NULL and errno on failure. */
static DIR *
opendir_at(
	int			dfd,
	const char		*name)
{
	int			fd;
	DIR			*d;

	fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	d = fdopendir(fd);
	if (!d)
		close(fd);
	return d;
}

/*
 * Remove the new markers that upgrades cut short by a crash left beside
 * the marker.  An upgrade in flight whose file goes finds the marker new
 * when its rename fails.
 */
static void
remove_stale_markers(
	int			dirfd)
{
	struct dirent		*de;
	DIR			*d = opendir_at(dirfd, ".");

	if (!d)
		return;
	while ((de = readdir(d)))
		if (!strncmp(de->d_name, MARKER ".", sizeof(MARKER)))
			unlinkat(dirfd, de->d_name, 0);
	closedir(d);
}

/*
 * Say format 2 in the marker before the first object of that format: an
 * older xfs-hsm then finds a store it cannot open ("unreachable") rather
 * than objects without a .meta, which it would take for lost.  The new
 * marker is written beside the old one, made durable and renamed over it:
 * a crash leaves the old marker or the new one, whole (tests/crash/
 * marker.sh), and perhaps the new one's file, which the next upgrade
 * removes.
 */
static int
upgrade_marker(
	struct posix_store	*ps)
{
	char			text[128], tmp[64];
	unsigned		format = 0;
	int			error;

	if (atomic_load(&ps->format) >= POSIX_FORMAT)
		return 0;
	hsm_store_marker_text(ps->fs_uuid, POSIX_FORMAT, text, sizeof(text));
	snprintf(tmp, sizeof(tmp), MARKER ".%d.%lx", (int)getpid(),
		 (unsigned long)pthread_self());
	error = write_file(ps->dirfd, tmp, text, strlen(text), true);
	if (error)
		return error;
	hsm_fault_kill("marker-written");
	if (renameat(ps->dirfd, tmp, ps->dirfd, MARKER) < 0) {
		error = -errno;
		unlinkat(ps->dirfd, tmp, 0);
		/* another upgrade finished first and removed ours */
		if (error != -ENOENT ||
		    check_marker(ps->dirfd, ps->fs_uuid, false, &format) ||
		    format < POSIX_FORMAT)
			return error;
	}
	hsm_fault_kill("marker-renamed");
	if (fsync(ps->dirfd) < 0)
		return -errno;
	remove_stale_markers(ps->dirfd);
	atomic_store(&ps->format, POSIX_FORMAT);
	return 0;
}

static void posix_close(struct hsm_store *s);

static int
posix_open(
	const char		*dir,
	const char		*fs_uuid,
	bool			create,
	struct hsm_store	**sp)
{
	struct posix_store	*ps;
	unsigned		format;
	bool			made;
	int			error;

	/* a directory keeps one file per object: nothing to aggregate */
	if (strstr(dir, "?aggregate") || strstr(dir, "&aggregate") ||
	    strstr(dir, "?index_shards") || strstr(dir, "&index_shards"))
		return -EOPNOTSUPP;
	ps = calloc(1, sizeof(*ps));
	if (!ps)
		return -ENOMEM;
	ps->base.ops = &hsm_store_posix_ops;
	ps->objfd = ps->tmpfd = ps->cached_fd = -1;
	ps->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (ps->dirfd < 0) {
		error = -errno;
		goto out_free;
	}
	error = check_marker(ps->dirfd, fs_uuid, create, &format);
	if (error)
		goto out_close;
	atomic_init(&ps->format, format);
	snprintf(ps->fs_uuid, sizeof(ps->fs_uuid), "%s", fs_uuid);
	if (create) {
		if (fchmod(ps->dirfd, 0700) < 0) {
			error = -errno;
			goto out_close;
		}
		error = mkdir_sync(ps->dirfd, "objects", &made);
		if (!error)
			error = mkdir_sync(ps->dirfd, "tmp", &made);
		if (!error && fsync(ps->dirfd) < 0)
			error = -errno;
		if (error)
			goto out_close;
	}
	ps->objfd = openat(ps->dirfd, "objects",
			O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	ps->tmpfd = openat(ps->dirfd, "tmp", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (ps->objfd < 0 || ps->tmpfd < 0) {
		error = errno == ENOENT ? -EUCLEAN : -errno;
		goto out_close;
	}
	*sp = &ps->base;
	return 0;
out_close:
	posix_close(&ps->base);
	return error;
out_free:
	free(ps);
	return error;
}

static void
posix_close(
	struct hsm_store	*s)
{
	struct posix_store	*ps = PS(s);

	if (ps->cached_fd >= 0)
		close(ps->cached_fd);
	if (ps->objfd >= 0)
		close(ps->objfd);
	if (ps->tmpfd >= 0)
		close(ps->tmpfd);
	if (ps->dirfd >= 0)
		close(ps->dirfd);
	free(ps);
}

static int
posix_put_begin(
	struct hsm_store	*s,
	const uint8_t		*oid,
	struct hsm_store_writer	**wp)
{
	struct hsm_store_writer	*w;
	char			hex[33];
	int			error;

	w = calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	w->ps = PS(s);
	memcpy(w->oid, oid, HSM_OID_LEN);
	hsm_oid_hex(oid, hex);
	snprintf(w->name, sizeof(w->name), "%s.data", hex);
	error = upgrade_marker(w->ps);
	if (!error) {
		w->fd = openat(w->ps->tmpfd, w->name,
				O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (w->fd < 0)
			error = -errno;
	}
	if (error) {
		free(w);
		return error;
	}
	*wp = w;
	return 0;
}

static int
posix_put_write(
	struct hsm_store_writer	*w,
	const void		*buf,
	size_t			len,
	uint64_t		off)
{
	const char		*p = buf;
	ssize_t			n;

	hsm_fault_delay("store-put");
	while (len) {
		n = pwrite(w->fd, p, len, off);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += n;
		off += n;
		len -= n;
	}
	if (off > w->end)
		w->end = off;
	/*
	 * Start writing a large object back now, without waiting: the
	 * copy's next reads overlap the write-out, where the page cache
	 * would hold it all until the publish's syncfs.  Durability still
	 * comes from that syncfs.  Small objects never get here: they are
	 * written back together.
	 */
	if (w->end >= w->behind + WRITE_BEHIND) {
		sync_file_range(w->fd, w->behind, w->end - w->behind,
				SYNC_FILE_RANGE_WRITE);
		w->behind = w->end;
	}
	return 0;
}

static void
writer_free(
	struct hsm_store_writer	*w)
{
	if (w->fd >= 0)
		close(w->fd);
	free(w);
}

static void
posix_put_abort(
	struct hsm_store_writer	*w)
{
	char			meta[64];

	unlinkat(w->ps->tmpfd, w->name, 0);
	if (w->meta_file) {
		snprintf(meta, sizeof(meta), "%.32s.meta", w->name);
		unlinkat(w->ps->tmpfd, meta, 0);
	}
	writer_free(w);
}

/* The metadata text in its own file tmp/<oid>.meta, for a data file that
 * cannot hold it. */
static int
write_meta_file(
	struct hsm_store_writer	*w,
	const char		*text,
	size_t			len)
{
	char			tmeta[64];

	snprintf(tmeta, sizeof(tmeta), "%.32s.meta", w->name);
	w->meta_file = true;
	/* durable with the data, by the batch's syncfs */
	return write_file(w->ps->tmpfd, tmeta, text, len, false);
}

/*
 * The data is all written: size it, give it its metadata and close it.
 * Nothing is durable or visible yet (posix_publish).
 */
static int
posix_put_finish(
	struct hsm_store_writer	*w,
	const struct hsm_objmeta *meta)
{
	char			*text = NULL;
	size_t			len;
	int			error;

	/* metadata that stat would refuse later must not be committed */
	if (meta->map.nr && meta->map.ext[meta->map.nr - 1].off +
			    meta->map.ext[meta->map.nr - 1].len > meta->size)
		return -EINVAL;
	/* a hole at the end: the size says where the file ends */
	if (w->end != meta->size && ftruncate(w->fd, meta->size) < 0)
		return -errno;
	error = hsm_objmeta_format(meta, &text, &len);
	if (error)
		return error;
	error = hsm_objfile_set_meta(w->fd, text, len);
	if (error == -EOPNOTSUPP)
		error = write_meta_file(w, text, len);
	free(text);
	if (!error) {
		if (close(w->fd) < 0)
			error = -errno;
		w->fd = -1;
	}
	return error;
}

/* The directory objects/XX of @oid, made if we have not seen it. */
static int
make_subdir(
	struct posix_store	*ps,
	const uint8_t		*oid)
{
	char			sub[3];
	bool			made;
	int			error;

	if (ps->subdirs[oid[0] / 8] & (1U << (oid[0] % 8)))
		return 0;
	snprintf(sub, sizeof(sub), "%02x", oid[0]);
	error = mkdir_sync(ps->objfd, sub, &made);
	if (!error)
		ps->subdirs[oid[0] / 8] |= 1U << (oid[0] % 8);
	return error;
}

/* rename, failing with EEXIST where @to exists.  A filesystem without
 * RENAME_NOREPLACE (NFS) gets a look first, which a racing creator could
 * beat: object ids are random, and only a planted object is refused. */
static int
rename_noreplace(
	int			fromfd,
	const char		*from,
	int			tofd,
	const char		*to)
{
	struct stat		st;

	if (renameat2(fromfd, from, tofd, to, RENAME_NOREPLACE) == 0)
		return 0;
	if (errno != EINVAL && errno != ENOSYS)
		return -errno;
	if (fstatat(tofd, to, &st, AT_SYMLINK_NOFOLLOW) == 0)
		return -EEXIST;
	return renameat(fromfd, from, tofd, to) < 0 ? -errno : 0;
}

/* Put a finished object into objects/XX/ (made already): rename its
 * files.  0 or -errno. */
static int
publish_one(
	struct hsm_store_writer	*w)
{
	struct posix_store	*ps = w->ps;
	char			tmeta[64];
	char			data[HSM_OBJ_DATA_NAME], mname[HSM_OBJ_META_NAME];
	int			error;

	snprintf(tmeta, sizeof(tmeta), "%.32s.meta", w->name);
	hsm_posix_object_names(w->oid, data, mname);
	/*
	 * A .meta file first: a data file without its metadata would look
	 * committed.  Never over a committed object (ids are never reused):
	 * EEXIST, and the meta we put there goes again.
	 */
	if (w->meta_file) {
		error = rename_noreplace(ps->tmpfd, tmeta, ps->objfd, mname);
		if (error)
			return error;
	}
	error = rename_noreplace(ps->tmpfd, w->name, ps->objfd, data);
	if (error && w->meta_file)
		unlinkat(ps->objfd, mname, 0);
	return error;
}

struct place_run {
	struct hsm_store_writer	**ws;
	int			*errors;
	size_t			n;
	_Atomic size_t		next;
};

static void *
place_some(
	void			*arg)
{
	struct place_run	*rr = arg;
	size_t			i;

	while ((i = atomic_fetch_add(&rr->next, 1)) < rr->n)
		if (!rr->errors[i])
			rr->errors[i] = publish_one(rr->ws[i]);
	return NULL;
}

/* publish_one for each writer not failed yet, on a few threads: the
 * renames go to 256 directories, and each waits on its own locks. */
static void
place_all(
	struct hsm_store_writer	**ws,
	size_t			n,
	int			*errors)
{
	struct place_run	rr = { .ws = ws, .errors = errors, .n = n };
	pthread_t		tids[PLACE_THREADS];
	unsigned		nt = 0, want = n / 64, i;

	atomic_init(&rr.next, 0);
	if (want > PLACE_THREADS)
		want = PLACE_THREADS;
	for (i = 0; i < want; i++)
		if (pthread_create(&tids[nt], NULL, place_some, &rr) == 0)
			nt++;
	place_some(&rr);
	for (i = 0; i < nt; i++)
		pthread_join(tids[i], NULL);
}

/*
 * Make finished objects durable and visible, all together: one syncfs of
 * the store's filesystem makes their data and metadata durable, the
 * renames make them visible, and a second syncfs makes those durable.  An object is never visible before its bytes are durable, and
 * the caller writes no record naming one before this returns (DESIGN
 * invariant 1).  Frees every writer; @errors[i] says how each fared.
 */
static int
posix_publish(
	struct hsm_store	*s,
	struct hsm_store_writer	**ws,
	size_t			n,
	int			*errors)
{
	struct posix_store	*ps = PS(s);
	size_t			i, ok = 0;
	int			error = 0;

	if (n && syncfs(ps->tmpfd) < 0)
		error = -errno;
	for (i = 0; i < n; i++)
		errors[i] = error ? error : make_subdir(ps, ws[i]->oid);
	place_all(ws, n, errors);
	for (i = 0; i < n; i++)
		ok += !errors[i];
	if (ok && syncfs(ps->objfd) < 0) {
		error = -errno;
		for (i = 0; i < n; i++)
			if (!errors[i]) {
				char data[HSM_OBJ_DATA_NAME];
				char mname[HSM_OBJ_META_NAME];

				hsm_posix_object_names(ws[i]->oid, data, mname);
				unlinkat(ps->objfd, data, 0);
				unlinkat(ps->objfd, mname, 0);
				errors[i] = error;
			}
	}
	for (i = 0; i < n; i++) {
		if (errors[i])
			posix_put_abort(ws[i]);
		else
			writer_free(ws[i]);
	}
	return error;
}

/* Everything deleted or written before is durable. */
static int
posix_sync(
	struct hsm_store	*s)
{
	return syncfs(PS(s)->objfd) < 0 ? -errno : 0;
}

/* An fd for reading object @oid, cached across calls. */
static int
object_fd(
	struct posix_store	*ps,
	const uint8_t		*oid)
{
	char			data[HSM_OBJ_DATA_NAME];

	if (ps->cached_fd >= 0 && !memcmp(ps->cached_oid, oid, HSM_OID_LEN))
		return ps->cached_fd;
	if (ps->cached_fd >= 0)
		close(ps->cached_fd);
	hsm_posix_object_names(oid, data, NULL);
	ps->cached_fd = openat(ps->objfd, data, O_RDONLY | O_CLOEXEC);
	if (ps->cached_fd < 0)
		return -errno;
	/* recall reads objects front to back */
	posix_fadvise(ps->cached_fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	memcpy(ps->cached_oid, oid, HSM_OID_LEN);
	return ps->cached_fd;
}

static ssize_t
posix_get(
	struct hsm_store	*s,
	const uint8_t		*oid,
	void			*buf,
	size_t			len,
	uint64_t		off)
{
	char			*p = buf;
	size_t			got = 0;
	ssize_t			n;
	int			fd = object_fd(PS(s), oid);

	if (fd < 0)
		return fd;
	hsm_fault_delay("store-get");
	while (got < len) {
		n = pread(fd, p + got, len - got, off + got);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			break;
		got += n;
	}
	return got;
}

static void
posix_prefetch(
	struct hsm_store	*s,
	const uint8_t		*oid,
	uint64_t		off,
	uint64_t		len)
{
	int			fd = object_fd(PS(s), oid);

	if (fd >= 0)
		posix_fadvise(fd, off, len, POSIX_FADV_WILLNEED);
}

/* The metadata text of object @oid, whose data file is open as @fd: in
 * its xattr, or else in its .meta file.  Length, or -errno. */
static ssize_t
read_meta(
	struct posix_store	*ps,
	int			fd,
	const char		*mname,
	char			**text)
{
	ssize_t			n;

	n = hsm_objfile_get_meta(fd, text);
	if (n != -ENODATA)
		return n;
	n = read_small_file(ps->objfd, mname, text);
	return n == -ENOENT ? -EUCLEAN : n;
}

static int
posix_stat(
	struct hsm_store	*s,
	const uint8_t		*oid,
	struct hsm_objmeta	*meta)
{
	struct posix_store	*ps = PS(s);
	char			data[HSM_OBJ_DATA_NAME], mname[HSM_OBJ_META_NAME];
	char			*text;
	struct stat		st;
	ssize_t			n;
	int			fd, error;

	hsm_posix_object_names(oid, data, mname);
	fd = openat(ps->objfd, data, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = fstat(fd, &st) < 0 ? -errno : read_meta(ps, fd, mname, &text);
	close(fd);
	if (n < 0)
		return n;
	error = hsm_objmeta_parse(text, n, meta);
	free(text);
	if (error)
		return error;
	if (memcmp(meta->oid, oid, HSM_OID_LEN) ||
	    (uint64_t)st.st_size != meta->size) {
		hsm_objmeta_free(meta);
		return -EUCLEAN;
	}
	/* written, then renamed into place by commit: the later of the two */
	meta->stored_sec = st.st_mtime > st.st_ctime ? st.st_mtime :
			   st.st_ctime;
	return 0;
}

/* New metadata text for a .meta file: written in tmp/ and made durable,
 * renamed over the old text, and the rename made durable. */
static int
replace_meta_file(
	struct posix_store	*ps,
	const uint8_t		*oid,
	const char		*text,
	size_t			len)
{
	char			data[HSM_OBJ_DATA_NAME], mname[HSM_OBJ_META_NAME];
	char			hex[33], tmp[64], sub[3];
	struct stat		st;
	int			fd, error;

	hsm_posix_object_names(oid, data, mname);
	hsm_oid_hex(oid, hex);
	snprintf(tmp, sizeof(tmp), "%s.meta-new", hex);
	error = write_file(ps->tmpfd, tmp, text, len, true);
	if (error)
		return error;
	if (renameat(ps->tmpfd, tmp, ps->objfd, mname) < 0) {
		error = -errno;
		unlinkat(ps->tmpfd, tmp, 0);
		return error;
	}
	if (fstatat(ps->objfd, data, &st, 0) < 0) {
		error = -errno;
		unlinkat(ps->objfd, mname, 0);
		return error;
	}
	/* the rename, durable: its directory objects/XX */
	memcpy(sub, data, 2);
	sub[2] = '\0';
	fd = openat(ps->objfd, sub, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	error = fsync(fd) < 0 ? -errno : 0;
	close(fd);
	return error;
}

/*
 * New metadata for a committed object, durably: a crash leaves the old
 * text or the new one.  Where the object keeps it (xattr or .meta file),
 * unless the new text is too large for the xattr: then the .meta file
 * is written first, and the xattr, which readers prefer, removed after.
 * An object deleted meanwhile loses a .meta file again (a text without
 * data would be left for good: the listing goes by data files).
 */
static int
posix_replace_meta(
	struct hsm_store	*s,
	const uint8_t		*oid,
	const struct hsm_objmeta *meta)
{
	struct posix_store	*ps = PS(s);
	char			data[HSM_OBJ_DATA_NAME];
	char			*text;
	size_t			len;
	int			fd, has, error;

	hsm_posix_object_names(oid, data, NULL);
	fd = openat(ps->objfd, data, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	error = hsm_objmeta_format(meta, &text, &len);
	if (error)
		goto out;
	has = hsm_objfile_has_meta(fd);
	if (has < 0) {
		error = has;
	} else if (has) {
		error = hsm_objfile_set_meta(fd, text, len);
		if (error == -EOPNOTSUPP) {
			error = replace_meta_file(ps, oid, text, len);
			if (!error)
				error = hsm_objfile_drop_meta(fd);
		}
		if (!error && fsync(fd) < 0)
			error = -errno;
	} else {
		error = replace_meta_file(ps, oid, text, len);
	}
	free(text);
out:
	close(fd);
	return error;
}

/* Remove a partial upload that an interrupted migrate left in tmp/. */
static void
remove_partial(
	struct posix_store	*ps,
	const uint8_t		*oid)
{
	char			hex[33], name[48];

	hsm_oid_hex(oid, hex);
	snprintf(name, sizeof(name), "%s.data", hex);
	unlinkat(ps->tmpfd, name, 0);
	snprintf(name, sizeof(name), "%s.meta", hex);
	unlinkat(ps->tmpfd, name, 0);
	snprintf(name, sizeof(name), "%s.meta-new", hex);
	unlinkat(ps->tmpfd, name, 0);	/* a replace_meta cut short */
}

/* Delete an object and any partial upload of it; not durable until
 * posix_sync (a delete lost in a crash leaves an orphan for gc). */
static int
posix_del(
	struct hsm_store	*s,
	const uint8_t		*oid)
{
	struct posix_store	*ps = PS(s);
	char			data[HSM_OBJ_DATA_NAME], mname[HSM_OBJ_META_NAME];
	int			error = 0;

	hsm_posix_object_names(oid, data, mname);
	if (ps->cached_fd >= 0 && !memcmp(ps->cached_oid, oid, HSM_OID_LEN)) {
		close(ps->cached_fd);
		ps->cached_fd = -1;
	}
	if (unlinkat(ps->objfd, data, 0) < 0)
		error = -errno;
	/* most objects have none (objfile.c) */
	if (unlinkat(ps->objfd, mname, 0) < 0 && errno != ENOENT && !error)
		error = -errno;
	if (error && error != -ENOENT)
		return error;
	remove_partial(ps, oid);
	return error;
}

static int
posix_list(
	struct hsm_store	*s,
	int			(*fn)(const uint8_t *oid, void *arg),
	void			*arg)
{
	struct posix_store	*ps = PS(s);
	struct dirent		*top, *ent;
	DIR			*d, *sd;
	uint8_t			oid[HSM_OID_LEN];
	int			ret = 0;

	d = opendir_at(ps->objfd, ".");
	if (!d)
		return -errno;
	while (!ret && (top = readdir(d))) {
		if (strlen(top->d_name) != 2 || top->d_name[0] == '.')
			continue;
		sd = opendir_at(ps->objfd, top->d_name);
		if (!sd)
			continue;
		while (!ret && (ent = readdir(sd)))
			if (!hsm_oid_parse(ent->d_name, oid))
				ret = fn(oid, arg);
		closedir(sd);
	}
	closedir(d);
	return ret;
}

const struct hsm_store_ops hsm_store_posix_ops = {
	.name		= "posix",
	.open		= posix_open,
	.close		= posix_close,
	.put_begin	= posix_put_begin,
	.put_write	= posix_put_write,
	.put_finish	= posix_put_finish,
	.publish	= posix_publish,
	.put_abort	= posix_put_abort,
	.get		= posix_get,
	.stat		= posix_stat,
	.replace_meta	= posix_replace_meta,
	.del		= posix_del,
	.sync		= posix_sync,
	.prefetch	= posix_prefetch,
	.list		= posix_list,
};
