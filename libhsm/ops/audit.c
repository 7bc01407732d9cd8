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
hsm_store_list_objects(
	struct hsm_fs	*fs,
	hsm_object_fn	fn,
	void		*arg)
{
	struct list_ctx	c = { .fn = fn, .arg = arg };
	int		error;

	error = hsm_fs_open_store(fs);
	if (error)
		return error;
	return fs->store->ops->list(fs->store, list_one, &c);
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

/* Read the metadata of @oid into @meta and @info.  0 or -errno. */
static int
object_meta(
	struct hsm_fs		*fs,
	const uint8_t		*oid,
	struct hsm_objmeta	*meta,
	struct hsm_object_info	*info)
{
	int			error;

	error = hsm_fs_open_store(fs);
	if (error)
		return error;
	error = fs->store->ops->stat(fs->store, oid, meta);
	if (error)
		return error;
	fill_info(meta, info);
	return 0;
}

HSM_EXPORT int
hsm_object_stat(
	struct hsm_fs		*fs,
	const uint8_t		oid[HSM_OID_LEN],
	struct hsm_object_info	*info)
{
	struct hsm_objmeta	meta;
	int			error;

	error = object_meta(fs, oid, &meta, info);
	if (!error)
		hsm_objmeta_free(&meta);
	return error;
}

/* Checksum the data of object @oid over its map; -EBADMSG if short. */
static int
object_sum(
	struct hsm_fs		*fs,
	const struct hsm_objmeta *m,
	uint64_t		*sum)
{
	struct hsm_store	*store = fs->store;
	struct hsm_csum		*c;
	char			*buf;
	size_t			i;
	int			error = 0;

	buf = malloc(VERIFY_BUF);
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
hsm_object_verify(
	struct hsm_fs		*fs,
	const uint8_t		oid[HSM_OID_LEN],
	struct hsm_object_info	*info)
{
	struct hsm_objmeta	meta;
	uint64_t		sum = 0;
	int			error;

	error = object_meta(fs, oid, &meta, info);
	if (error)
		return error;
	error = object_sum(fs, &meta, &sum);
	if (!error && sum != meta.checksum)
		error = -EBADMSG;
	hsm_objmeta_free(&meta);
	return error;
}

/* Flag a file lost when its record relies on object @it->oid. */
static int
marklost_prepare(
	struct hsm_batch	*b,
	struct hsm_item		*it)
{
	struct hsm_fileref	*f = &it->f;
	int			error;

	(void)b;
	error = hsm_fileref_lease_record(f, "flagged");
	if (error)
		return error;
	/* only the record that was judged, and only if it relies on it */
	if (!f->has_rec || memcmp(f->rec.copy[0].oid, it->oid, HSM_OID_LEN) ||
	    f->rec.pending != HSM_OP_NONE || !(f->rec.flags & HSM_F_ARCHIVED) ||
	    (f->rec.flags & HSM_F_LOST)) {
		it->outcome = HSM_NOOP;
		return HSM_ITEM_DONE;
	}
	hsm_record_mark_lost(&f->rec);
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
hsm_orphan_remove(
	struct hsm_fs		*fs,
	const uint8_t		oid[HSM_OID_LEN],
	int64_t			grace_sec,
	struct hsm_object_info	*info)
{
	struct hsm_objmeta	meta;
	struct hsm_record	rec;
	struct hsm_inode	in;
	int			error;

	memset(info, 0, sizeof(*info));
	hsm_fs_clear_detail(fs);
	error = object_meta(fs, oid, &meta, info);
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
	if ((int64_t)time(NULL) - info->stored_sec < grace_sec) {
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
	/* DESIGN invariant 4: named by no record */
	error = hsm_store_del_sync(fs->store, oid);
	return error == -ENOENT ? 1 : error;
}
