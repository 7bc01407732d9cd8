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
 * the others are reported.  A stub is made whole and nameless, then
 * named (make_stub): one that is there already and names the same object
 * was made by an earlier run (import resumes), anything else there is a
 * conflict, left alone.  Records are written ordered, and the filesystem
 * synced at the end.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
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
	char		**links;	/* its other names, if known */
	size_t		nlinks;
	bool		unreadable;	/* its metadata does not parse */
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
	for (i = 0; i < f->nlinks; i++)
		free(f->links[i]);
	free(f->links);
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
	f->links = m->links;
	f->nlinks = m->nlinks;
	m->links = NULL;
	m->nlinks = 0;
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
	_Atomic size_t	next;		/* the next to read */
	_Atomic int	error;		/* the first a reader met */
	char		*parent;	/* the last stub's directory */
	_Atomic uint64_t unreadable;	/* metadata that does not parse */
};

/* List: each object's id and store; its metadata is read after. */
static int
list_one(
	const uint8_t		oid[HSM_OID_LEN],
	void			*arg)
{
	struct import		*im = arg;
	struct found		*f;

	if (im->n == im->alloc) {
		size_t na = im->alloc ? 2 * im->alloc : 1024;

		f = realloc(im->objs, na * sizeof(*f));
		if (!f)
			return -ENOMEM;
		im->objs = f;
		im->alloc = na;
	}
	f = &im->objs[im->n++];
	memset(f, 0, sizeof(*f));
	memcpy(f->oid, oid, HSM_OID_LEN);
	f->store_id = im->store_id;
	return 0;
}

/* A reader thread: the metadata of the objects it takes in turn, with
 * store handles of its own.  An object gone since listed, unreadable or
 * another filesystem's is left without a path. */
static void *
read_metas(
	void			*arg)
{
	struct import		*im = arg;
	struct hsm_store_set	set = { .h = { NULL } };
	struct hsm_objmeta	m;
	struct hsm_store	*store;
	struct found		*f;
	size_t			i;
	int			error;

	while (!atomic_load(&im->error) &&
	       (i = atomic_fetch_add(&im->next, 1)) < im->n) {
		f = &im->objs[i];
		store = hsm_fs_store_get(im->fs, &set, f->store_id, &error);
		memset(&m, 0, sizeof(m));
		if (store)
			error = store->ops->stat(store, f->oid, &m);
		if (error == -EUCLEAN) {
			atomic_fetch_add(&im->unreadable, 1);
			f->unreadable = true;
		}
		if (error == -ENOENT || error == -EUCLEAN)
			continue;	/* deleted since listed, or damaged */
		if (!error && strcmp(m.fs_uuid, im->fs->uuid_str)) {
			hsm_objmeta_free(&m);
			continue;	/* another filesystem's */
		}
		if (!error)
			error = found_take(f, &m, f->store_id);
		if (error) {
			int none = 0;

			atomic_compare_exchange_strong(&im->error, &none,
						       error);
		}
	}
	hsm_store_set_close(&set);
	return NULL;
}

#define IMPORT_READERS	4

/* Read every listed object's metadata, on several threads (cold metadata
 * is many small reads), then keep those that had a file's. */
static int
read_all(
	struct import		*im,
	hsm_import_fn		fn,
	void			*arg)
{
	struct hsm_import_result r;
	pthread_t		tids[IMPORT_READERS];
	unsigned		t, nt = 0;
	size_t			i, kept = 0;

	atomic_init(&im->next, 0);
	atomic_init(&im->error, 0);
	for (t = 1; t < IMPORT_READERS; t++)
		if (pthread_create(&tids[nt], NULL, read_metas, im) == 0)
			nt++;
	read_metas(im);
	for (t = 0; t < nt; t++)
		pthread_join(tids[t], NULL);
	for (i = 0; i < im->n; i++) {
		if (im->objs[i].path) {
			im->objs[kept++] = im->objs[i];
			continue;
		}
		if (im->objs[i].unreadable) {
			memset(&r, 0, sizeof(r));
			memcpy(r.oid, im->objs[i].oid, HSM_OID_LEN);
			r.what = HSM_IMPORT_UNREADABLE;
			r.error = -EUCLEAN;
			fn(arg, &r);
		}
		found_free(&im->objs[i]);
	}
	im->n = kept;
	return atomic_load(&im->error);
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

/* Was no path recorded for @f?  (A file archived by inode, by the policy
 * or a repair, whose name the kernel did not have at hand.) */
static bool
nameless(
	const struct found	*f)
{
	return !f->path[0] || !strcmp(f->path, "/");
}

/* Do @a and @b claim the same path?  Nameless files claim none. */
static bool
same_path(
	const struct found	*a,
	const struct found	*b)
{
	if (strcmp(a->path, b->path))
		return false;
	return !nameless(a) || (a->ino == b->ino && a->gen == b->gen);
}

/* Are @a and @b copies of one archived file? */
static bool
same_file(
	const struct found	*a,
	const struct found	*b)
{
	return same_path(a, b) &&
	       a->ino == b->ino && a->gen == b->gen &&
	       a->size == b->size &&
	       a->mtime_sec == b->mtime_sec &&
	       a->mtime_nsec == b->mtime_nsec &&
	       a->checksum == b->checksum;
}

/*
 * The path under this mount point of archived path @old: NULL when it is
 * not under the old mount point, or climbs with ".." (a crafted or damaged
 * metadata text must not place a file anywhere else).
 */
static char *
target_path(
	const struct import	*im,
	const char		*old)
{
	const char		*from = im->o->old_mount ? im->o->old_mount :
					im->fs->mnt;
	size_t			fl = strlen(from);
	const char		*p, *e;
	char			*out, *o;
	size_t			len;

	while (fl > 0 && from[fl - 1] == '/')
		fl--;			/* "/" becomes "", "/data/" "/data" */
	if (strncmp(old, from, fl) || old[fl] != '/')
		return NULL;
	out = malloc(strlen(im->fs->mnt) + strlen(old) + 2);
	if (!out)
		return NULL;
	o = out + sprintf(out, "%s", im->fs->mnt);
	/* as typed at archive time: "." and empty parts dropped */
	for (p = old + fl; *p; p = e) {
		while (*p == '/')
			p++;
		e = strchrnul(p, '/');
		len = e - p;
		if (!len || (len == 1 && *p == '.'))
			continue;
		if (len == 2 && !strncmp(p, "..", 2)) {
			free(out);
			return NULL;
		}
		*o++ = '/';
		memcpy(o, p, len);
		o += len;
	}
	*o = '\0';
	if (o == out + strlen(im->fs->mnt)) {
		free(out);
		return NULL;		/* the mount point itself */
	}
	return out;
}

/*
 * mkdir -p of @path's parent directories (made 0755, owned by root), but
 * for a parent made or found for the file before it (files come in path
 * order, so the files of a directory come together).
 */
static int
make_parents(
	struct import		*im,
	char			*path,
	size_t			skip)
{
	char			*s, *last = strrchr(path, '/');
	size_t			dlen = last - path;
	int			error = 0;

	if (im->parent && strlen(im->parent) == dlen &&
	    !strncmp(im->parent, path, dlen))
		return 0;
	for (s = strchr(path + skip + 1, '/'); s && !error;
	     s = strchr(s + 1, '/')) {
		*s = '\0';
		if (mkdir(path, 0755) < 0 && errno != EEXIST)
			error = -errno;
		*s = '/';
	}
	free(im->parent);
	im->parent = error ? NULL : strndup(path, dlen);
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

/*
 * Make the stub at @path: 0, or -errno with the step in @detail.  It is
 * made nameless (O_TMPFILE in its directory), whole, and named last by
 * linkat: a crash leaves a whole stub or none, never a half-made file
 * that an import run again would take for someone else's.  XFS's log
 * replays in order, so a name that survives a crash has its record.
 */
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
	char			*dir, *s;
	size_t			i;
	int			fd, error = 0;

	dir = strdup(path);
	if (!dir)
		return -ENOMEM;
	s = strrchr(dir, '/');
	if (s)
		*s = '\0';
	*detail = "create";
	fd = open(s ? (*dir ? dir : "/") : ".",
		  O_TMPFILE | O_WRONLY | O_CLOEXEC, 0600);
	free(dir);
	if (fd < 0)
		return -errno;
	*detail = "size";
	if (ftruncate(fd, f->size) < 0)
		error = -errno;
	if (!error) {
		*detail = "record";
		stub_record(f, n, &rec);
		error = hsm_dur_record(fd, &rec, HSM_DUR_ORDERED, NULL);
	}
	/* owner, then mode, then xattrs: chown drops set-id bits and file
	 * capabilities (security.capability), which come back after it */
	if (!error && m) {
		*detail = "owner and mode";
		if (fchown(fd, m->uid, m->gid) < 0 ||
		    fchmod(fd, m->mode & 07777) < 0)
			error = -errno;
	}
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
		/* the mtime last: it is the archived identity */
		ts[0].tv_sec = m ? m->atime_sec : f->mtime_sec;
		ts[0].tv_nsec = m ? m->atime_nsec : f->mtime_nsec;
		ts[1].tv_sec = f->mtime_sec;
		ts[1].tv_nsec = f->mtime_nsec;
		*detail = "times";
		if (futimens(fd, ts) < 0)
			error = -errno;
	}
	hsm_fault(im->fs, "import-stub");
	if (!error) {
		*detail = "create";
		if (linkat(fd, "", AT_FDCWD, path, AT_EMPTY_PATH) < 0)
			error = -errno;
	}
	close(fd);
	if (!error)
		hsm_fault(im->fs, "import-named");
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

/* Count outcome @r (of a stub of @bytes, or a link) in @st. */
static void
tally(
	struct hsm_import_stats	*st,
	const struct hsm_import_result *r,
	uint64_t		bytes)
{
	switch (r->what) {
	case HSM_IMPORT_CREATED:
		st->created++;
		st->nameless += r->nameless;
		st->bytes += bytes;
		break;
	case HSM_IMPORT_LINKED:
		st->links++;
		break;
	case HSM_IMPORT_PRESENT:
		st->present++;
		break;
	case HSM_IMPORT_CONFLICT:
		st->conflicts++;
		break;
	case HSM_IMPORT_OLDER:
		st->older++;
		break;
	case HSM_IMPORT_OUTSIDE:
		st->skipped++;
		break;
	case HSM_IMPORT_FAILED:
		st->failed++;
		break;
	default:
		break;
	}
}

/*
 * The other names of the stub at @path: hard links to it, where nothing
 * else is (a link there already, to this stub, was made by an earlier
 * run).  Each one made or refused is reported.
 */
static void
import_links(
	struct import		*im,
	const struct found	*f,
	const char		*path,
	hsm_import_fn		fn,
	void			*arg,
	struct hsm_import_stats	*st)
{
	struct hsm_import_result r = { .size = f->size, .copies = 1 };
	struct stat		a, b;
	size_t			i;
	char			*t;

	memcpy(r.oid, f->oid, HSM_OID_LEN);
	for (i = 0; i < f->nlinks; i++) {
		t = target_path(im, f->links[i]);
		r.path = f->links[i];
		r.target = t;
		r.error = 0;
		r.detail = NULL;
		if (!t) {
			r.what = HSM_IMPORT_OUTSIDE;
		} else if (im->o->dry_run) {
			r.what = lstat(t, &b) ? HSM_IMPORT_LINKED :
				 HSM_IMPORT_PRESENT;
		} else {
			r.error = make_parents(im, t, strlen(im->fs->mnt));
			if (!r.error && link(path, t) < 0)
				r.error = -errno;
			if (!r.error) {
				/* a crash here: the next run makes the rest */
				hsm_fault(im->fs, "import-linked");
				r.what = HSM_IMPORT_LINKED;
			}
			else if (r.error == -EEXIST && !lstat(path, &a) &&
				 !lstat(t, &b) && a.st_ino == b.st_ino)
				r.what = HSM_IMPORT_PRESENT;
			else if (r.error == -EEXIST)
				r.what = HSM_IMPORT_CONFLICT;
			else
				r.what = HSM_IMPORT_FAILED;
			if (r.what == HSM_IMPORT_FAILED)
				r.detail = "hard link";
			else
				r.error = 0;
		}
		/* one made by an earlier run is not news */
		if (r.what != HSM_IMPORT_PRESENT) {
			tally(st, &r, 0);
			fn(arg, &r);
		}
		free(t);
	}
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
	char			*path;
	const char		*detail = NULL;

	/* nameless: under a directory of its own, by inode and generation */
	if (nameless(f)) {
		if (asprintf(&path, "%s/%s/inode-%llu-%u", im->fs->mnt,
			     HSM_IMPORT_NAMELESS_DIR, (unsigned long long)f->ino,
			     f->gen) < 0)
			path = NULL;
		r.nameless = true;
	} else {
		path = target_path(im, f->path);
	}
	memcpy(r.oid, f->oid, HSM_OID_LEN);
	r.target = path;
	if (!path) {
		r.what = HSM_IMPORT_OUTSIDE;
	} else if (im->o->dry_run) {
		r.what = access(path, F_OK) ? HSM_IMPORT_CREATED :
			 made_before(path, f) ? HSM_IMPORT_PRESENT :
			 HSM_IMPORT_CONFLICT;
	} else {
		r.error = make_parents(im, path, strlen(im->fs->mnt));
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
	tally(st, &r, f->size);
	fn(arg, &r);
	if (!r.nameless && (r.what == HSM_IMPORT_CREATED ||
			    r.what == HSM_IMPORT_PRESENT))
		import_links(im, f, path, fn, arg, st);
	free(path);
}

/* Is @path's directory on @fs?  0, -EXDEV, or why it cannot be told. */
static int
on_this_fs(
	struct hsm_fs		*fs,
	const char		*path)
{
	char			*dir = strdup(path), *s;
	struct stat		st;
	int			error = 0;

	if (!dir)
		return -ENOMEM;
	s = strrchr(dir, '/');
	if (s)
		*s = '\0';
	if (stat(s ? (*dir ? dir : "/") : ".", &st) < 0)
		error = -errno;
	else if (st.st_dev != fs->dev)
		error = -EXDEV;
	if (error)
		hsm_fs_set_detail(fs, "%s: %s", path, error == -EXDEV ?
				"not on this filesystem" : "its directory");
	free(dir);
	return error;
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
	error = on_this_fs(fs, target);
	if (!error && o->dry_run && !access(target, F_OK))
		error = -EEXIST;
	if (!error && !o->dry_run)
		error = make_stub(&im, target, &f, 1, &detail);
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
		struct hsm_store *store;

		im.store_id = fs->binding->store[s].id;
		store = hsm_fs_store_get(fs, &fs->own, im.store_id, &error);
		if (store)
			error = store->ops->list(store, list_one, &im);
		if (error)
			hsm_fs_set_detail(fs, "store '%s'",
					fs->binding->store[s].spec);
	}
	st->objects = im.n;
	if (!error)
		error = read_all(&im, fn, arg);
	st->unreadable = atomic_load(&im.unreadable);
	if (!error) {
		qsort(im.objs, im.n, sizeof(*im.objs), by_path);
		for (i = 0; i < im.n; i = k) {
			for (j = i + 1; j < im.n &&
			     same_file(&im.objs[i], &im.objs[j]); j++)
				;
			import_one(&im, &im.objs[i], j - i, fn, arg, st);
			/* older files that claimed the same path */
			for (k = j; k < im.n && same_path(&im.objs[k],
							  &im.objs[i]);
			     k++) {
				memset(&older, 0, sizeof(older));
				memcpy(older.oid, im.objs[k].oid, HSM_OID_LEN);
				older.path = im.objs[k].path;
				older.size = im.objs[k].size;
				older.what = HSM_IMPORT_OLDER;
				tally(st, &older, 0);
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
	free(im.parent);
	return error;
}
