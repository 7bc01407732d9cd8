// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * audit.c - coherency between the filesystem and its store: the objects
 * the store holds, their metadata and content, flagging files whose copy
 * is gone, and removing orphans (objects no record names).
 *
 * DESIGN invariant 4: an object is deleted only when no file's record
 * names it.  A caller establishes that with a full scan of the records
 * that starts *after* it listed the store: an object in that listing was
 * committed after its MIGRATING record was written (migrate writes the
 * record first), so the scan sees a record naming it unless that record
 * was cleared since.  hsm_orphan_remove() then checks again, just before
 * deleting, with a fresh read of the record of the inode the object was
 * archived from, and never deletes an object younger than a grace period
 * (a copy being committed, a store whose listings lag).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include "ops/opsP.h"

#define VERIFY_BUF	(1U << 20)

struct list_ctx {
	hsm_object_fn	fn;
	void		*arg;
};

static int
list_one(
	const uint8_t	*oid,
	void		*arg)
{
	struct list_ctx	*c = arg;

	return c->fn(oid, c->arg);
}

HSM_EXPORT int
hsm_store_list_objects_in(
	struct hsm_fs	*fs,
	uint32_t	store_id,
	hsm_object_fn	fn,
	void		*arg)
{
	struct list_ctx	c = { .fn = fn, .arg = arg };
	struct hsm_store *store;
	int		error;

	store = hsm_fs_store_get(fs, &fs->own, store_id, &error);
	if (!store)
		return error;
	return store->ops->list(store, list_one, &c);
}

HSM_EXPORT int
hsm_store_list_objects(
	struct hsm_fs	*fs,
	hsm_object_fn	fn,
	void		*arg)
{
	int		error;

	error = hsm_fs_open_store(fs);
	if (error)
		return error;
	return hsm_store_list_objects_in(fs, fs->store_id, fn, arg);
}

static void
fill_info(
	const struct hsm_objmeta *m,
	struct hsm_object_info	*info)
{
	memset(info, 0, sizeof(*info));
	memcpy(info->oid, m->oid, HSM_OID_LEN);
	info->ino = m->ino;
	info->gen = m->gen;
	info->size = m->size;
	info->checksum = m->checksum;
	info->stored_sec = m->stored_sec;
}

/* Store @id of @fs, the primary's id for 0 (the calls without _in). */
static struct hsm_store *
audit_store(
	struct hsm_fs		*fs,
	uint32_t		id,
	int			*errp)
{
	if (!id) {
		*errp = hsm_fs_open_store(fs);
		if (*errp)
			return NULL;
		id = fs->store_id;
	}
	return hsm_fs_store_get(fs, &fs->own, id, errp);
}

/* Read the metadata of @oid into @meta and @info.  0 or -errno. */
static int
object_meta(
	struct hsm_store	*store,
	const uint8_t		*oid,
	struct hsm_objmeta	*meta,
	struct hsm_object_info	*info)
{
	int			error;

	memset(meta, 0, sizeof(*meta));
	error = store->ops->stat(store, oid, meta);
	if (error)
		return error;
	fill_info(meta, info);
	return 0;
}

HSM_EXPORT int
hsm_object_stat_in(
	struct hsm_fs		*fs,
	uint32_t		store_id,
	const uint8_t		oid[HSM_OID_LEN],
	struct hsm_object_info	*info)
{
	struct hsm_store	*store;
	struct hsm_objmeta	meta;
	int			error;

	store = audit_store(fs, store_id, &error);
	if (!store)
		return error;
	error = object_meta(store, oid, &meta, info);
	if (!error)
		hsm_objmeta_free(&meta);
	return error;
}

HSM_EXPORT int
hsm_object_deleted_in(
	struct hsm_fs		*fs,
	uint32_t		store_id,
	const uint8_t		oid[HSM_OID_LEN],
	struct hsm_object_info	*info,
	char			*path,
	size_t			size)
{
	struct hsm_store	*store;
	struct hsm_objmeta	meta;
	struct hsm_record	rec;
	struct hsm_inode	in;
	int			error;

	memset(info, 0, sizeof(*info));
	store = audit_store(fs, store_id, &error);
	if (!store)
		return error;
	error = object_meta(store, oid, &meta, info);
	if (error)
		return error;
	snprintf(path, size, "%s", meta.path);
	error = strcmp(meta.fs_uuid, fs->uuid_str) ? -EXDEV : 0;
	hsm_objmeta_free(&meta);
	if (error)
		return error;
	memset(&in, 0, sizeof(in));
	in.ino = info->ino;
	in.gen = info->gen;
	in.mode = S_IFREG;
	error = hsm_inode_read_record(fs, &in, &rec);
	if (error == -ESTALE)
		return 1;		/* that inode is no more */
	return error < 0 ? error : 0;
}

/*
 * The metadata @m of a file whose names are now @names (@n, sorted): its
 * path stays if it is one of them, else becomes the first; the others are
 * its links.  True if that changes @m.
 */
static bool
set_names(
	struct hsm_objmeta	*m,
	const char *const	*names,
	size_t			n,
	int			*errp)
{
	const char		*path = names[0];
	size_t			i, k = 0;
	bool			same;

	for (i = 0; i < n; i++)
		if (!strcmp(names[i], m->path))
			path = names[i];
	same = !strcmp(m->path, path) && m->nlinks == n - 1;
	for (i = 0; i < n && same; i++)
		if (names[i] != path && strcmp(m->links[k++], names[i]))
			same = false;
	if (same)
		return false;
	snprintf(m->path, sizeof(m->path), "%s", path);
	for (i = 0; i < m->nlinks; i++)
		free(m->links[i]);
	m->nlinks = 0;
	for (i = 0; i < n && !*errp; i++)
		if (names[i] != path)
			*errp = hsm_objmeta_add_link(m, names[i]);
	return true;
}

HSM_EXPORT int
hsm_object_set_names_in(
	struct hsm_fs		*fs,
	uint32_t		store_id,
	const uint8_t		oid[HSM_OID_LEN],
	const char *const	*names,
	size_t			n)
{
	struct hsm_store	*store;
	struct hsm_objmeta	meta;
	struct hsm_object_info	info;
	size_t			i;
	bool			changed;
	int			error = 0;

	if (!n || n > HSM_OBJLINK_MAX + 1)
		return -EINVAL;
	for (i = 0; i < n; i++)
		if (strlen(names[i]) >= sizeof(meta.path))
			return -ENAMETOOLONG;
	store = audit_store(fs, store_id, &error);
	if (!store)
		return error;
	error = object_meta(store, oid, &meta, &info);
	if (error)
		return error;
	if (strcmp(meta.fs_uuid, fs->uuid_str))
		error = -EXDEV;
	else if (!store->ops->replace_meta)
		error = -EOPNOTSUPP;
	changed = !error && set_names(&meta, names, n, &error);
	if (changed && !error) {
		hsm_fault(fs, "names-pending");
		error = store->ops->replace_meta(store, oid, &meta);
		if (!error)
			hsm_fault(fs, "names-replaced");
	}
	hsm_objmeta_free(&meta);
	return error ? error : changed;
}

HSM_EXPORT int
hsm_object_stat(
	struct hsm_fs		*fs,
	const uint8_t		oid[HSM_OID_LEN],
	struct hsm_object_info	*info)
{
	return hsm_object_stat_in(fs, 0, oid, info);
}

/* Checksum the data of object @oid over its map; -EBADMSG if short. */
static int
object_sum(
	struct hsm_store	*store,
	const struct hsm_objmeta *m,
	uint64_t		*sum)
{
	struct hsm_csum		*c;
	char			*buf;
	size_t			i;
	int			error = 0;

	buf = malloc(hsm_datamap_buf_len(&m->map, VERIFY_BUF));
	c = hsm_csum_new();
	if (!buf || !c) {
		error = -ENOMEM;
		goto out;
	}
	for (i = 0; i < m->map.nr && !error; i++) {
		uint64_t off = m->map.ext[i].off, left = m->map.ext[i].len;

		hsm_csum_segment(c, off, left);
		while (left && !error) {
			size_t want = left < VERIFY_BUF ? left : VERIFY_BUF;
			ssize_t n = store->ops->get(store, m->oid, buf, want,
						    off);

			if (n < 0)
				error = n;
			else if ((size_t)n != want)
				error = -EBADMSG;	/* truncated */
			else
				hsm_csum_update(c, buf, n);
			off += want;
			left -= want;
		}
	}
out:
	if (c) {
		uint64_t s = hsm_csum_final(c);

		if (!error)
			*sum = s;
	}
	free(buf);
	return error;
}

HSM_EXPORT int
hsm_object_verify_in(
	struct hsm_fs		*fs,
	uint32_t		store_id,
	const uint8_t		oid[HSM_OID_LEN],
	struct hsm_object_info	*info)
{
	struct hsm_store	*store;
	struct hsm_objmeta	meta;
	uint64_t		sum = 0;
	int			error;

	store = audit_store(fs, store_id, &error);
	if (!store)
		return error;
	error = object_meta(store, oid, &meta, info);
	if (error)
		return error;
	error = object_sum(store, &meta, &sum);
	if (!error && sum != meta.checksum)
		error = -EBADMSG;
	hsm_objmeta_free(&meta);
	return error;
}

HSM_EXPORT int
hsm_object_verify(
	struct hsm_fs		*fs,
	const uint8_t		oid[HSM_OID_LEN],
	struct hsm_object_info	*info)
{
	return hsm_object_verify_in(fs, 0, oid, info);
}

/* Flag a file lost when its record relies on object @it->oid. */
static int
marklost_prepare(
	struct hsm_batch	*b,
	struct hsm_item		*it)
{
	struct hsm_fileref	*f = &it->f;
	unsigned		k, judged = HSM_COPIES_MAX, others = 0;
	int			error;

	(void)b;
	error = hsm_fileref_lease_record(f, "flagged");
	if (error)
		return error;
	for (k = 0; f->has_rec && k < HSM_COPIES_MAX; k++) {
		if (f->rec.copy[k].state != HSM_COPY_DURABLE)
			continue;
		if (!memcmp(f->rec.copy[k].oid, it->oid, HSM_OID_LEN))
			judged = k;
		else
			others++;
	}
	/* only the record that was judged, and only if it relies on it */
	if (judged == HSM_COPIES_MAX || f->rec.pending != HSM_OP_NONE ||
	    !(f->rec.flags & HSM_F_ARCHIVED) || (f->rec.flags & HSM_F_LOST)) {
		it->outcome = HSM_NOOP;
		return HSM_ITEM_DONE;
	}
	/* the file is lost only with its last copy */
	if (others) {
		f->rec.copy[judged].state = HSM_COPY_LOST;
		it->copy_only = true;
	} else {
		hsm_record_mark_lost(&f->rec);
	}
	error = hsm_fileref_commit(f, HSM_DUR_BATCH);
	if (error)
		return error;
	it->outcome = HSM_DONE;
	it->sealed = true;
	return HSM_ITEM_DONE;
}

const struct hsm_opdesc hsm_op_marklost = {
	.code		= HSM_CMD_MARKLOST,
	.name		= "mark lost",
	.flags		= HSM_OPD_INODES | HSM_OPD_NOSETTLE,
	.oflags		= O_RDONLY,
	.prepare	= marklost_prepare,
};

HSM_EXPORT int
hsm_orphan_remove_in(
	struct hsm_fs		*fs,
	uint32_t		store_id,
	const uint8_t		oid[HSM_OID_LEN],
	int64_t			grace_sec,
	struct hsm_object_info	*info)
{
	struct hsm_store	*store;
	struct hsm_objmeta	meta;
	struct hsm_record	rec;
	struct hsm_inode	in;
	struct timespec		now;
	int			error;

	memset(info, 0, sizeof(*info));
	hsm_fs_clear_detail(fs);
	store = audit_store(fs, store_id, &error);
	if (!store)
		return error;
	error = object_meta(store, oid, &meta, info);
	if (error == -ENOENT)
		return 1;		/* gone already */
	if (error) {
		if (error == -EUCLEAN)
			hsm_fs_set_detail(fs, "object metadata unreadable");
		return error;
	}
	error = strcmp(meta.fs_uuid, fs->uuid_str) ? -EXDEV : 0;
	if (error)
		hsm_fs_set_detail(fs, "object of filesystem %s", meta.fs_uuid);
	hsm_objmeta_free(&meta);
	if (error)
		return error;
	/* the precise clock: time() lags it by up to a tick, and an object
	 * stored a moment ago (a fine-grained timestamp) must not look
	 * stored after now */
	clock_gettime(CLOCK_REALTIME, &now);
	if ((int64_t)now.tv_sec - info->stored_sec < grace_sec) {
		hsm_fs_set_detail(fs, "younger than the grace period");
		return -EAGAIN;
	}
	/* a fresh read of the record of the file it was archived from */
	memset(&in, 0, sizeof(in));
	in.ino = info->ino;
	in.gen = info->gen;
	in.mode = S_IFREG;
	error = hsm_inode_read_record(fs, &in, &rec);
	if (error == 0 && hsm_record_names(&rec, oid)) {
		hsm_fs_set_detail(fs, "named by inode %llu",
				(unsigned long long)info->ino);
		return -EEXIST;
	}
	if (error == -EUCLEAN || error == -EPROTONOSUPPORT) {
		hsm_fs_set_detail(fs, "inode %llu has a bad record",
				(unsigned long long)info->ino);
		return error;
	}
	if (error < 0 && error != -ESTALE)
		return error;
	/* DESIGN invariant 4: named by no record (and, the caller's
	 * hsm_fs_sync made sure, by none a crash could bring back) */
	error = hsm_store_del_sync(store, oid);
	if (!error)
		hsm_fault(fs, "orphan-removed");
	return error == -ENOENT ? 1 : error;
}

HSM_EXPORT int
hsm_orphan_remove(
	struct hsm_fs		*fs,
	const uint8_t		oid[HSM_OID_LEN],
	int64_t			grace_sec,
	struct hsm_object_info	*info)
{
	return hsm_orphan_remove_in(fs, 0, oid, grace_sec, info);
}

HSM_EXPORT int
hsm_store_repack_in(
	struct hsm_fs		*fs,
	uint32_t		store_id,
	unsigned		min_live_pct,
	int64_t			grace_sec,
	struct hsm_repack_info	*info)
{
	struct hsm_store	*store;
	int			error;

	memset(info, 0, sizeof(*info));
	store = audit_store(fs, store_id, &error);
	if (!store)
		return error;
	if (!store->ops->repack)
		return 0;		/* one object per file */
	return store->ops->repack(store, min_live_pct, grace_sec, info);
}
