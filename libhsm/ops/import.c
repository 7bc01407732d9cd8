// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * import.c - rebuild a lost filesystem from its stores: a released stub
 * for every file the stores know, from each object's metadata, with no
 * data copied (a read recalls it as usual).
 *
 * The new filesystem carries the old one's UUID (mkfs.xfs -m uuid=, or
 * xfs_admin -U): the stores' markers and every object's metadata name it,
 * so the stores bind to it as they were, and forget, gc and re-archiving
 * keep telling this filesystem's objects from any other's.
 *
 * Every store of the binding is listed and each object's metadata read;
 * objects of the same file (same inode, generation, size, mtime and
 * checksum) in several stores become the copies of one stub, in binding
 * order.  Where several files claim one path (a file and an older copy
 * of it, or a file deleted and made again), the newest mtime wins and
 * the others are reported.  A stub is made with O_EXCL: one that is
 * there already and names the same object was made by an earlier run
 * (import resumes), anything else there is a conflict, left alone.
 * Records are written ordered, and the filesystem synced at the end.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <linux/fs.h>
#include "ops/opsP.h"

/* One object found in a store: what its stub needs of its metadata
 * (a whole struct hsm_objmeta is 4 KiB: too much for millions). */
struct found {
	char		*path;		/* at archive time */
	uint8_t		oid[HSM_OID_LEN];
	uint32_t	store_id, gen;
	uint64_t	ino, size, checksum;
	int64_t		mtime_sec;
	uint32_t	mtime_nsec;
	struct found_inode *inode;	/* NULL: v1 metadata, no inode */
};

/* The inode at archive time (metadata v2). */
struct found_inode {
	uint32_t	mode, uid, gid, projid;
	int64_t		atime_sec;
	uint32_t	atime_nsec;
	struct hsm_objxattr *xattrs;
	size_t		nxattrs;
};

static void
found_free(
	struct found		*f)
{
	size_t			i;

	free(f->path);
	for (i = 0; f->inode && i < f->inode->nxattrs; i++) {
		free(f->inode->xattrs[i].name);
		free(f->inode->xattrs[i].value);
	}
	if (f->inode)
		free(f->inode->xattrs);
	free(f->inode);
}

/* Keep of @m (freed) what a stub needs: 0 or -ENOMEM. */
static int
found_take(
	struct found		*f,
	struct hsm_objmeta	*m,
	uint32_t		store_id)
{
	memset(f, 0, sizeof(*f));
	f->path = strdup(m->path);
	memcpy(f->oid, m->oid, HSM_OID_LEN);
	f->store_id = store_id;
	f->gen = m->gen;
	f->ino = m->ino;
	f->size = m->size;
	f->checksum = m->checksum;
	f->mtime_sec = m->mtime_sec;
	f->mtime_nsec = m->mtime_nsec;
	if (m->has_inode) {
		/* the inode fields, and the xattrs moved over */
		f->inode = calloc(1, sizeof(*f->inode));
		if (f->inode) {
			f->inode->mode = m->mode;
			f->inode->uid = m->uid;
			f->inode->gid = m->gid;
			f->inode->projid = m->projid;
			f->inode->atime_sec = m->atime_sec;
			f->inode->atime_nsec = m->atime_nsec;
			f->inode->xattrs = m->xattrs;
			f->inode->nxattrs = m->nxattrs;
			m->xattrs = NULL;
			m->nxattrs = 0;
		}
	}
	hsm_objmeta_free(m);
	if (!f->path || (m->has_inode && !f->inode)) {
		found_free(f);
		return -ENOMEM;
	}
	return 0;
}

struct import {
	struct hsm_fs	*fs;
	const struct hsm_import_opts *o;
	struct found	*objs;
	size_t		n, alloc;
	uint32_t	store_id;	/* being listed */
	struct hsm_store *store;
	int		error;		/* of the listing */
};

static int
collect_one(
	const uint8_t		oid[HSM_OID_LEN],
	void			*arg)
{
	struct import		*im = arg;
	struct hsm_objmeta	m;
	struct found		*f;
	int			error;

	if (im->n == im->alloc) {
		size_t na = im->alloc ? 2 * im->alloc : 1024;

		f = realloc(im->objs, na * sizeof(*f));
		if (!f)
			return -ENOMEM;
		im->objs = f;
		im->alloc = na;
	}
	f = &im->objs[im->n];
	memset(&m, 0, sizeof(m));
	error = im->store->ops->stat(im->store, oid, &m);
	if (error == -ENOENT || error == -EUCLEAN)
		return 0;	/* deleted since listed, or unreadable: gc's */
	if (error)
		return error;
	if (strcmp(m.fs_uuid, im->fs->uuid_str)) {
		hsm_objmeta_free(&m);
		return 0;		/* another filesystem's */
	}
	error = found_take(f, &m, im->store_id);
	if (!error)
		im->n++;
	return error;
}

/* By path, then newest first, then one file's copies together. */
static int
by_path(
	const void		*a,
	const void		*b)
{
	const struct found	*x = a, *y = b;
	int			c = strcmp(x->path, y->path);

	if (c)
		return c;
	if (x->mtime_sec != y->mtime_sec)
		return x->mtime_sec > y->mtime_sec ? -1 : 1;
	if (x->mtime_nsec != y->mtime_nsec)
		return x->mtime_nsec > y->mtime_nsec ? -1 : 1;
	if (x->ino != y->ino)
		return x->ino < y->ino ? -1 : 1;
	if (x->checksum != y->checksum)
		return x->checksum < y->checksum ? -1 : 1;
	return (int)x->store_id - (int)y->store_id;
}

/* Are @a and @b copies of one archived file? */
static bool
same_file(
	const struct found	*a,
	const struct found	*b)
{
	return !strcmp(a->path, b->path) &&
	       a->ino == b->ino && a->gen == b->gen &&
	       a->size == b->size &&
	       a->mtime_sec == b->mtime_sec &&
	       a->mtime_nsec == b->mtime_nsec &&
	       a->checksum == b->checksum;
}

/*
 * The path under this mount point of archived path @old: NULL when it is
 * not under the old mount point, or names "." or ".." (a crafted or
 * damaged metadata text must not place a file anywhere else).
 */
static char *
target_path(
	const struct import	*im,
	const char		*old)
{
	const char		*from = im->o->old_mount ? im->o->old_mount :
					im->fs->mnt;
	size_t			fl = strlen(from);
	const char		*rel, *p;
	char			*out;

	while (fl > 1 && from[fl - 1] == '/')
		fl--;
	if (strncmp(old, from, fl) || old[fl] != '/' || !old[fl + 1])
		return NULL;
	rel = old + fl + 1;
	for (p = rel; p; p = strchr(p, '/')) {
		if (*p == '/')
			p++;
		if (!*p || !strncmp(p, "./", 2) || !strcmp(p, ".") ||
		    !strncmp(p, "../", 3) || !strcmp(p, "..") || *p == '/')
			return NULL;
	}
	if (asprintf(&out, "%s/%s", im->fs->mnt, rel) < 0)
		return NULL;
	return out;
}

/* mkdir -p of @path's parent directories (made 0755, owned by root). */
static int
make_parents(
	char			*path,
	size_t			skip)
{
	char			*s;
	int			error = 0;

	for (s = strchr(path + skip + 1, '/'); s && !error;
	     s = strchr(s + 1, '/')) {
		*s = '\0';
		if (mkdir(path, 0755) < 0 && errno != EEXIST)
			error = -errno;
		*s = '/';
	}
	return error;
}

/* The record of the stub of @n copies starting at @f. */
static void
stub_record(
	const struct found	*f,
	size_t			n,
	struct hsm_record	*rec)
{
	size_t			k;

	memset(rec, 0, sizeof(*rec));
	rec->version = HSM_RECORD_VERSION;
	rec->flags = HSM_F_ARCHIVED | HSM_F_RELEASED;
	rec->size = f->size;
	rec->mtime_sec = f->mtime_sec;
	rec->mtime_nsec = f->mtime_nsec;
	rec->checksum = f->checksum;
	rec->copy_version = 1;
	for (k = 0; k < n && k < HSM_COPIES_MAX; k++) {
		rec->copy[k].store_id = f[k].store_id;
		rec->copy[k].state = HSM_COPY_DURABLE;
		memcpy(rec->copy[k].oid, f[k].oid, HSM_OID_LEN);
	}
}

/* Make the stub at @path: 0, or -errno with the step in @detail. */
static int
make_stub(
	struct import		*im,
	const char		*path,
	const struct found	*f,
	size_t			n,
	const char		**detail)
{
	const struct found_inode *m = f->inode;	/* NULL: v1 metadata */
	struct hsm_record	rec;
	struct timespec		ts[2];
	struct fsxattr		fsx;
	size_t			i;
	int			fd, error = 0;

	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
		  0600);
	if (fd < 0) {
		*detail = "create";
		return -errno;
	}
	*detail = "size";
	if (ftruncate(fd, f->size) < 0)
		error = -errno;
	for (i = 0; !error && m && i < m->nxattrs; i++) {
		*detail = m->xattrs[i].name;
		if (fsetxattr(fd, m->xattrs[i].name, m->xattrs[i].value,
			      m->xattrs[i].len, 0) < 0)
			error = -errno;
	}
	if (!error && m && m->projid &&
	    ioctl(fd, FS_IOC_FSGETXATTR, &fsx) == 0) {
		fsx.fsx_projid = m->projid;
		*detail = "project id";
		if (ioctl(fd, FS_IOC_FSSETXATTR, &fsx) < 0)
			error = -errno;
	}
	if (!error) {
		*detail = "record";
		stub_record(f, n, &rec);
		error = hsm_dur_record(fd, &rec, HSM_DUR_ORDERED, NULL);
	}
	/* owner before mode: chown drops set-id bits */
	if (!error && m) {
		*detail = "owner and mode";
		if (fchown(fd, m->uid, m->gid) < 0 ||
		    fchmod(fd, m->mode & 07777) < 0)
			error = -errno;
	}
	if (!error) {
		/* the mtime last: it is the archived identity */
		ts[0].tv_sec = m ? m->atime_sec : f->mtime_sec;
		ts[0].tv_nsec = m ? m->atime_nsec : f->mtime_nsec;
		ts[1].tv_sec = f->mtime_sec;
		ts[1].tv_nsec = f->mtime_nsec;
		*detail = "times";
		if (futimens(fd, ts) < 0)
			error = -errno;
	}
	close(fd);
	if (error)
		unlink(path);		/* nothing half made */
	return error;
}

/* Was the stub at @path made by an earlier run (its record names @f)? */
static bool
made_before(
	const char		*path,
	const struct found	*f)
{
	struct hsm_record	rec;
	int			fd, rc;

	fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return false;
	rc = hsm_fd_read_record(fd, &rec);
	close(fd);
	return rc == 0 && hsm_record_names(&rec, f->oid);
}

static void
import_one(
	struct import		*im,
	const struct found	*f,
	size_t			n,
	hsm_import_fn		fn,
	void			*arg,
	struct hsm_import_stats	*st)
{
	struct hsm_import_result r = {
		.path = f->path, .size = f->size, .copies = n,
	};
	char			*path = target_path(im, f->path);
	const char		*detail = NULL;

	r.target = path;
	if (!path) {
		r.what = HSM_IMPORT_OUTSIDE;
		st->skipped++;
	} else if (im->o->dry_run) {
		r.what = access(path, F_OK) ? HSM_IMPORT_CREATED :
			 made_before(path, f) ? HSM_IMPORT_PRESENT :
			 HSM_IMPORT_CONFLICT;
	} else {
		r.error = make_parents(path, strlen(im->fs->mnt));
		if (!r.error)
			r.error = make_stub(im, path, f, n, &detail);
		else
			detail = "parent directories";
		if (!r.error)
			r.what = HSM_IMPORT_CREATED;
		else if (r.error == -EEXIST && made_before(path, f))
			r.what = HSM_IMPORT_PRESENT;
		else if (r.error == -EEXIST)
			r.what = HSM_IMPORT_CONFLICT;
		else
			r.what = HSM_IMPORT_FAILED;
		if (r.what != HSM_IMPORT_FAILED)
			r.error = 0;
		r.detail = r.what == HSM_IMPORT_FAILED ? detail : NULL;
	}
	switch (r.what) {
	case HSM_IMPORT_CREATED:
		st->created++;
		st->bytes += f->size;
		break;
	case HSM_IMPORT_PRESENT:
		st->present++;
		break;
	case HSM_IMPORT_CONFLICT:
		st->conflicts++;
		break;
	case HSM_IMPORT_FAILED:
		st->failed++;
		break;
	default:
		break;
	}
	fn(arg, &r);
	free(path);
}

HSM_EXPORT int
hsm_fs_undelete(
	struct hsm_fs		*fs,
	const uint8_t		oid[HSM_OID_LEN],
	const char		*path,
	const struct hsm_import_opts *o,
	char			**madep)
{
	struct import		im = { .fs = fs, .o = o };
	struct hsm_objmeta	m;
	struct found		f;
	struct hsm_store	*store;
	const char		*detail = NULL;
	char			*target;
	uint32_t		store_id = 0;
	unsigned		s;
	int			error = -ENOENT;

	*madep = NULL;
	hsm_fs_reload_binding(fs);
	if (!fs->binding) {
		hsm_fs_set_detail(fs, "no store bound");
		return -ENODATA;
	}
	/* the object, in whichever store holds it */
	memset(&m, 0, sizeof(m));
	for (s = 0; s < fs->binding->nstores && error == -ENOENT; s++) {
		store_id = fs->binding->store[s].id;
		store = hsm_fs_store_get(fs, &fs->own, store_id, &error);
		if (store)
			error = store->ops->stat(store, oid, &m);
		else
			error = -ENOENT;	/* unreachable: try the next */
	}
	if (error) {
		hsm_fs_set_detail(fs, error == -ENOENT ? "no store holds that "
				"object" : "its metadata cannot be read");
		return error;
	}
	if (strcmp(m.fs_uuid, fs->uuid_str)) {
		hsm_fs_set_detail(fs, "an object of filesystem %s",
				m.fs_uuid);
		hsm_objmeta_free(&m);
		return -EXDEV;
	}
	error = found_take(&f, &m, store_id);
	if (error)
		return error;
	if (path) {
		target = strdup(path);
	} else {
		target = target_path(&im, f.path);
		if (!target)
			hsm_fs_set_detail(fs, "its path '%s' is not under %s: "
					"give one", f.path,
					o->old_mount ? o->old_mount : fs->mnt);
	}
	if (!target) {
		found_free(&f);
		return path ? -ENOMEM : -EINVAL;
	}
	error = o->dry_run ? 0 : make_stub(&im, target, &f, 1, &detail);
	if (!error && !o->dry_run) {
		int fd = open(target, O_RDONLY | O_CLOEXEC);

		/* the stub's record, before anyone relies on it */
		error = fd < 0 ? -errno : hsm_dur_data(fd, HSM_DUR_NOW, NULL);
		if (fd >= 0)
			close(fd);
	}
	if (error && detail)
		hsm_fs_set_detail(fs, "%s: %s", target, detail);
	found_free(&f);
	if (error)
		free(target);
	else
		*madep = target;
	return error;
}

HSM_EXPORT int
hsm_fs_import(
	struct hsm_fs		*fs,
	const struct hsm_import_opts *o,
	hsm_import_fn		fn,
	void			*arg,
	struct hsm_import_stats	*st)
{
	struct import		im = { .fs = fs, .o = o };
	struct hsm_import_result older;
	struct hsm_commit	c;
	size_t			i, j, k;
	unsigned		s;
	int			error = 0;

	memset(st, 0, sizeof(*st));
	hsm_fs_reload_binding(fs);
	if (!fs->binding) {
		hsm_fs_set_detail(fs, "no store bound: xfs_hsm init --store "
				"first");
		return -ENODATA;
	}
	for (s = 0; s < fs->binding->nstores && !error; s++) {
		im.store_id = fs->binding->store[s].id;
		im.store = hsm_fs_store_get(fs, &fs->own, im.store_id, &error);
		if (im.store)
			error = im.store->ops->list(im.store, collect_one, &im);
		if (error)
			hsm_fs_set_detail(fs, "store '%s'",
					fs->binding->store[s].spec);
	}
	st->objects = im.n;
	if (!error) {
		qsort(im.objs, im.n, sizeof(*im.objs), by_path);
		for (i = 0; i < im.n; i = k) {
			for (j = i + 1; j < im.n &&
			     same_file(&im.objs[i], &im.objs[j]); j++)
				;
			import_one(&im, &im.objs[i], j - i, fn, arg, st);
			/* older files that claimed the same path */
			for (k = j; k < im.n && !strcmp(im.objs[k].path,
							im.objs[i].path);
			     k++) {
				memset(&older, 0, sizeof(older));
				older.path = im.objs[k].path;
				older.size = im.objs[k].size;
				older.what = HSM_IMPORT_OLDER;
				st->older++;
				fn(arg, &older);
			}
		}
	}
	if (!o->dry_run && st->created) {
		hsm_commit_init(&c, fs);
		c.data = true;
		error = hsm_commit_data(&c);
		hsm_commit_release(&c);
	}
	for (i = 0; i < im.n; i++)
		found_free(&im.objs[i]);
	free(im.objs);
	return error;
}
