// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * fileref.c - one file opened by XFS handle, with its record.
 *
 * Handle fds are XFS "invisible IO": FMODE_NOCMTIME and O_NOATIME, so the
 * data can be copied out and written back without touching mtime (DESIGN
 * invariant 5).  Opening by handle needs CAP_SYS_ADMIN.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/xattr.h>
#include <linux/fs.h>
#include <xfs/xfs.h>
#include <xfs/handle.h>
#include "fs/fsP.h"

int
hsm_fd_read_record(
	int			fd,
	struct hsm_record	*rec)
{
	uint8_t			buf[HSM_RECORD_SIZE + 64];
	ssize_t			n;

	n = fgetxattr(fd, HSM_XATTR_RECORD, buf, sizeof(buf));
	if (n < 0) {
		if (errno == ENODATA)
			return 1;
		return errno == ERANGE ? -EUCLEAN : -errno;
	}
	return hsm_record_decode(buf, n, rec);
}

/*
 * Check that the fd just opened in @f is the regular file expected (inode
 * @ino: a rename between lookup and open must not make us act on another
 * file) and read its record.  Closes the fd on error.
 */
static int
fileref_opened(
	struct hsm_fileref	*f,
	uint64_t		ino,
	bool			tolerate_bad)
{
	int			error;

	if (fstat(f->fd, &f->st) < 0) {
		error = -errno;
		goto out_close;
	}
	if (f->st.st_ino != ino || !S_ISREG(f->st.st_mode)) {
		error = S_ISREG(f->st.st_mode) ? -ESTALE : -EINVAL;
		goto out_close;
	}
	error = hsm_fd_read_record(f->fd, &f->rec);
	if (error == 1) {
		f->has_rec = false;
		error = 0;
	} else if (error == 0) {
		f->has_rec = true;
	} else if (tolerate_bad && (error == -EUCLEAN ||
				    error == -EPROTONOSUPPORT)) {
		f->has_rec = false;
	}
	if (error && !tolerate_bad)
		goto out_close;
	return error;
out_close:
	close(f->fd);
	f->fd = -1;
	return error;
}

static void
fileref_init(
	struct hsm_fileref	*f,
	struct hsm_fs		*fs,
	const char		*path,
	int			oflags)
{
	memset(f, 0, sizeof(*f));
	f->fs = fs;
	f->set = &fs->own;
	f->path = path;
	f->fd = -1;
	f->oflags = oflags;
}

int
hsm_fileref_open(
	struct hsm_fs		*fs,
	const char		*path,
	int			oflags,
	bool			tolerate_bad,
	struct hsm_fileref	*f)
{
	struct stat		lst;
	xfs_handle_t		h;
	int			error;

	fileref_init(f, fs, path, oflags);
	if (lstat(path, &lst) < 0)
		return -errno;
	if (S_ISDIR(lst.st_mode))
		return -EISDIR;
	if (!S_ISREG(lst.st_mode))
		return -EINVAL;
	if (lst.st_dev != fs->dev)
		return -EXDEV;
	/* the path is never opened: see hsm_xfs_path_handle */
	error = hsm_xfs_path_handle(fs, path, &h);
	if (error)
		return error;
	if (h.ha_fid.fid_ino != lst.st_ino)
		return -ENOENT;	/* renamed over since the lstat */
	f->fd = hsm_xfs_open_handle(fs, &h, sizeof(h), oflags | O_CLOEXEC);
	if (f->fd < 0) {
		error = f->fd == -ENOENT || f->fd == -EINVAL ||
			f->fd == -ESTALE ? -ENOENT : f->fd;
		f->fd = -1;
		return error;	/* gone since the lookup */
	}
	f->gen = h.ha_fid.fid_gen;
	return fileref_opened(f, lst.st_ino, tolerate_bad);
}

int
hsm_fileref_open_ino(
	struct hsm_fs		*fs,
	uint64_t		ino,
	uint32_t		gen,
	int			oflags,
	bool			tolerate_bad,
	struct hsm_fileref	*f)
{
	int			fd;

	fileref_init(f, fs, NULL, oflags);
	fd = hsm_xfs_open_ino(fs, ino, gen, oflags | O_CLOEXEC);
	if (fd < 0)
		return fd == -ENOENT || fd == -EINVAL ? -ESTALE : fd;
	f->fd = fd;
	f->gen = gen;
	return fileref_opened(f, ino, tolerate_bad);
}

const char *
hsm_fileref_name(
	const struct hsm_fileref *f,
	char			*buf,
	size_t			size)
{
	char			proc[64];
	ssize_t			n;

	if (f->path) {
		snprintf(buf, size, "%s", f->path);
		return buf;
	}
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", f->fd);
	n = f->fd >= 0 ? readlink(proc, buf, size - 1) : -1;
	buf[n < 0 ? 0 : n] = '\0';
	return buf;
}

int
hsm_fileref_lease(
	struct hsm_fileref	*f,
	int			type)
{
	const struct hsm_excl_hooks *h = f->fs->excl_hooks;
	int			error;

	if (type == F_WRLCK && h)
		h->prepare(f->fs->hooks_arg, f->fd);
	error = hsm_lease_take(f->fd, type);
	if (error)
		return error;
	f->leased = true;
	if (type == F_WRLCK && h) {
		error = h->begin(f->fs->hooks_arg, f->fd);
		if (error) {
			hsm_lease_drop(f->fd);
			f->leased = false;
			return error;
		}
		f->excl_hooked = true;
	}
	return 0;
}

int
hsm_fileref_lease_record(
	struct hsm_fileref	*f,
	const char		*verb)
{
	int			error;

	error = hsm_fileref_lease(f, F_WRLCK);
	if (!error)
		return hsm_fileref_reread(f);
	if (error == -EBUSY)
		hsm_fs_set_detail(f->fs, "file is in use, not %s", verb);
	return error;
}

void
hsm_fileref_unlease(
	struct hsm_fileref	*f)
{
	if (f->fd < 0)
		return;
	if (f->excl_hooked)
		f->fs->excl_hooks->end(f->fs->hooks_arg, f->fd);
	f->excl_hooked = false;
	if (f->leased)
		hsm_lease_drop(f->fd);
	f->leased = false;
}

void
hsm_fileref_close(
	struct hsm_fileref	*f)
{
	if (f->fd < 0)
		return;
	hsm_fileref_unlease(f);
	if (f->commit)
		hsm_commit_forget_fd(f->commit, f->fd, f->st.st_ino, f->gen);
	close(f->fd);
	f->fd = -1;
	f->leased = false;
}

int
hsm_fileref_reread(
	struct hsm_fileref	*f)
{
	int			error;

	if (fstat(f->fd, &f->st) < 0)
		return -errno;
	error = hsm_fd_read_record(f->fd, &f->rec);
	if (error < 0)
		return error;
	f->has_rec = error == 0;
	if (!f->has_rec)
		memset(&f->rec, 0, sizeof(f->rec));
	return 0;
}

int
hsm_fileref_restat(
	struct hsm_fileref	*f)
{
	return fstat(f->fd, &f->st) < 0 ? -errno : 0;
}

struct hsm_store *
hsm_fileref_store(
	struct hsm_fileref	*f,
	uint32_t		id,
	int			*errp)
{
	return hsm_fs_store_get(f->fs, f->set, id, errp);
}

/* Delete @oid: durable with the batch's store sync, or now. */
static int
fileref_del(
	struct hsm_fileref	*f,
	struct hsm_store	*store,
	uint32_t		store_id,
	const uint8_t		*oid)
{
	int			error;

	if (!f->commit)
		return hsm_store_del_sync(store, oid);
	error = store->ops->del(store, oid);
	if (!error || error == -ENOENT)
		atomic_fetch_or(&f->commit->store_dirty,
				1U << hsm_fs_store_index(f->fs, store_id));
	return error;
}

int
hsm_fileref_del_object(
	struct hsm_fileref	*f,
	uint32_t		store_id,
	const uint8_t		oid[HSM_OID_LEN])
{
	struct hsm_store	*store;
	struct hsm_objmeta	meta;
	int			error;
	bool			mine;

	store = hsm_fileref_store(f, store_id, &error);
	if (!store)
		return error;
	memset(&meta, 0, sizeof(meta));
	error = store->ops->stat(store, oid, &meta);
	if (error == -ENOENT)
		return fileref_del(f, store, store_id, oid);	/* partial leftovers */
	if (error)
		return error;
	/*
	 * The record is only as trustworthy as whoever wrote it: a record
	 * carried over by cp -a or planted with setfattr names another
	 * file's copy, and deleting it would lose that file's data.
	 */
	mine = meta.ino == (uint64_t)f->st.st_ino &&
	       !strcmp(meta.fs_uuid, f->fs->uuid_str) && meta.gen == f->gen;
	hsm_objmeta_free(&meta);
	if (!mine)
		return 0;
	return fileref_del(f, store, store_id, oid);
}

int
hsm_fileref_del_copies(
	struct hsm_fileref	*f)
{
	unsigned		k;
	int			error = 0, e;

	for (k = 0; k < HSM_COPIES_MAX; k++) {
		const struct hsm_copy *cp = &f->rec.copy[k];

		if (cp->state == HSM_COPY_NONE)
			continue;
		e = hsm_fileref_del_object(f, cp->store_id, cp->oid);
		if (e && e != -ENOENT && !error)
			error = e;
	}
	return error;
}

int
hsm_fileref_commit(
	struct hsm_fileref	*f,
	enum hsm_dur		how)
{
	int			error;

	if (f->rec.pending != HSM_OP_NONE) {
		f->rec.owner_pid = hsm_owner_pid();
		memcpy(f->rec.owner_boot, f->fs->boot_id, 16);
		f->rec.pending_since = time(NULL);
	} else {
		f->rec.owner_pid = 0;
		memset(f->rec.owner_boot, 0, 16);
		f->rec.pending_since = 0;
	}
	error = hsm_dur_record(f->fd, &f->rec, how, f->commit);
	if (error)
		return error;
	f->has_rec = true;
	return 0;
}

int
hsm_fileref_clear(
	struct hsm_fileref	*f,
	enum hsm_dur		how)
{
	int			error;

	error = hsm_dur_record_remove(f->fd, how, f->commit);
	if (error)
		return error;
	f->has_rec = false;
	memset(&f->rec, 0, sizeof(f->rec));
	return 0;
}

void
hsm_fileref_abandon(
	struct hsm_fileref	*f)
{
	if (f->rec.pending == HSM_OP_NONE)
		return;
	f->rec.owner_pid = 0;
	memset(f->rec.owner_boot, 0, 16);
	hsm_dur_record(f->fd, &f->rec, HSM_DUR_NOW, NULL);
}

bool
hsm_fileref_matches_record(
	const struct hsm_fileref *f)
{
	return (uint64_t)f->st.st_size == f->rec.size &&
	       f->st.st_mtim.tv_sec == f->rec.mtime_sec &&
	       (uint32_t)f->st.st_mtim.tv_nsec == f->rec.mtime_nsec;
}

bool
hsm_fileref_pending_alive(
	const struct hsm_fileref *f)
{
	return f->has_rec && hsm_owner_alive(f->fs, &f->rec);
}
