// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * copy.c - give an archived file the copies it should have: as many as
 * were asked for (HSM_MIGRATE_COPIES), on distinct stores that take
 * copies, none lost, none on a store being drained.
 *
 * The same phases as migrate (opsP.h), and the same rules:
 *  prepare  an F_RDLCK lease (any writer breaks it); the record names the
 *           new copies as WANTED, in the slots of lost or unfinished
 *           copies or in free ones, before any object can exist.
 *  work     the data, from the file when it is all resident and still
 *           what was archived (its checksum must come out the record's),
 *           else from the first readable copy, chunk by chunk, each chunk
 *           checked against its sum before it is written.
 *  [publish] the new objects durable and visible.
 *  seal     lease intact, file unchanged: the new copies DURABLE; copies
 *           on a draining store leave the record once enough others are.
 *  done     the objects no record names any more go: those of the copies
 *           replaced or drained (DESIGN invariant 4, as migrate).
 * A crash leaves WANTED slots, which the next copy (xfs_hsmscan --repair)
 * writes again; their partial objects are gc's.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include "ops/opsP.h"

/* Is copy @cp one a file can rely on, and keep? */
static bool
copy_good(
	const struct hsm_fs	*fs,
	const struct hsm_copy	*cp)
{
	int			i;

	if (cp->state != HSM_COPY_DURABLE)
		return false;
	i = hsm_fs_store_index(fs, cp->store_id);
	return i >= 0 && !fs->binding->store[i].draining;
}

static unsigned
good_copies(
	const struct hsm_fileref *f)
{
	unsigned		k, n = 0;

	for (k = 0; k < HSM_COPIES_MAX; k++)
		n += copy_good(f->fs, &f->rec.copy[k]);
	return n;
}

bool
hsm_copies_missing(
	const struct hsm_fileref *f,
	unsigned		n)
{
	unsigned		k;

	for (k = 0; k < HSM_COPIES_MAX; k++)
		if (f->rec.copy[k].state != HSM_COPY_NONE &&
		    !copy_good(f->fs, &f->rec.copy[k]))
			return true;
	return good_copies(f) < n;
}

/* Is store @id already holding a good copy of the file? */
static bool
store_used(
	const struct hsm_fileref *f,
	uint32_t		id)
{
	unsigned		k;

	for (k = 0; k < HSM_COPIES_MAX; k++)
		if (f->rec.copy[k].store_id == id &&
		    (copy_good(f->fs, &f->rec.copy[k]) ||
		     f->rec.copy[k].state == HSM_COPY_WANTED))
			return true;
	return false;
}

/*
 * With every slot taken, may slot @k's copy, on a draining store, give its
 * place to the new one?  Only when no free slot is left and a good copy
 * remains meanwhile: the draining copy is then unnamed before the new one
 * is durable (its object is deleted once the new one is sealed, or left
 * to gc by a crash), while the good one keeps the file safe.
 */
static bool
slot_reusable(
	const struct hsm_fileref *f,
	unsigned		k)
{
	unsigned		i;

	for (i = 0; i < HSM_COPIES_MAX; i++)
		if (f->rec.copy[i].state == HSM_COPY_NONE)
			return false;
	return f->rec.copy[k].state == HSM_COPY_DURABLE &&
	       !copy_good(f->fs, &f->rec.copy[k]) && good_copies(f) > 0;
}

/*
 * Name the new copies in f->rec: lost and unfinished slots are written
 * again, then free slots filled (or, when none is, a draining copy's),
 * up to @n good copies.  Returns the slots to write (a bit each), or
 * -errno.
 */
static int
plan_copies(
	struct hsm_batch	*b,
	struct hsm_fileref	*f,
	unsigned		n)
{
	const struct hsm_binding *bd = f->fs->binding;
	unsigned		k, i, want, slots = 0;
	int			error;

	for (k = 0; k < HSM_COPIES_MAX; k++) {
		struct hsm_copy *cp = &f->rec.copy[k];

		if (cp->state == HSM_COPY_LOST || cp->state == HSM_COPY_WANTED)
			memset(cp, 0, sizeof(*cp));	/* written again */
	}
	want = good_copies(f) < n ? n - good_copies(f) : 0;
	for (k = 0; k < HSM_COPIES_MAX && want; k++) {
		struct hsm_copy *cp = &f->rec.copy[k];

		if (cp->state != HSM_COPY_NONE && !slot_reusable(f, k))
			continue;
		for (i = 0; i < bd->nstores; i++)
			if (!bd->store[i].draining &&
			    !store_used(f, bd->store[i].id))
				break;
		if (i == bd->nstores) {
			hsm_fs_set_detail(f->fs, "%u copies wanted, but no "
					"other store of %s takes copies", n,
					f->fs->mnt);
			return -ENOSPC;
		}
		memset(cp, 0, sizeof(*cp));
		cp->store_id = bd->store[i].id;
		cp->state = HSM_COPY_WANTED;
		error = hsm_batch_new_oid(b, f, cp->store_id, cp->oid);
		if (error)
			return error;
		slots |= 1U << k;
		want--;
	}
	if (want) {
		hsm_fs_set_detail(f->fs, "%u copies wanted, but the record "
				"has no free copy slot (drain needs one)", n);
		return -ENOSPC;
	}
	return slots;
}

/* Put the record back as it was (ordered, as migrate's undo). */
static void
undo_wanted(
	struct hsm_item		*it)
{
	it->f.rec = it->orig;
	hsm_fileref_commit(&it->f, HSM_DUR_ORDERED);
}

static int
copy_prepare(
	struct hsm_batch	*b,
	struct hsm_item		*it)
{
	struct hsm_fileref	*f = &it->f;
	unsigned		n;
	int			slots, error;

	if (!f->has_rec || !(f->rec.flags & HSM_F_ARCHIVED) ||
	    (f->rec.flags & HSM_F_DIRTY)) {
		it->outcome = HSM_NOOP;		/* nothing archived to copy */
		return HSM_ITEM_DONE;
	}
	if (f->rec.pending != HSM_OP_NONE) {
		hsm_fs_set_detail(f->fs, "a %s is pending",
				hsm_op_name(f->rec.pending));
		return -EBUSY;
	}
	if (f->rec.flags & HSM_F_LOST) {
		hsm_fs_set_detail(f->fs, "every copy is lost: migrate the "
				"file again while it is resident");
		return -ENOLINK;
	}
	n = hsm_copies_wanted(b, &f->rec);
	if (!hsm_copies_missing(f, n)) {
		it->outcome = HSM_NOOP;
		return HSM_ITEM_DONE;
	}
	it->from_file = !(f->rec.flags & HSM_F_RELEASED);
	if (it->from_file && !hsm_fileref_matches_record(f)) {
		hsm_fs_set_detail(f->fs, "changed since it was archived: "
				"migrate it");
		return -ESTALE;
	}
	error = hsm_fileref_lease(f, F_RDLCK);
	if (error) {
		if (error == -EBUSY)
			hsm_fs_set_detail(f->fs, "file is open for writing");
		return error;
	}
	it->orig = f->rec;
	it->had_rec = true;
	slots = plan_copies(b, f, n);
	if (slots < 0) {
		f->rec = it->orig;
		return slots;
	}
	it->slots = slots;
	error = hsm_fileref_commit(f, HSM_DUR_BATCH);
	if (!error)
		error = hsm_fileref_restat(f);
	if (error) {
		undo_wanted(it);
		return error;
	}
	it->before = f->st;
	it->force_prepared = true;
	hsm_fault(f->fs, "copy-pending");
	return 0;
}

/* Write the data pieces of chunk @c (in @buf) to every writer. */
static int
put_chunk(
	const struct hsm_objmeta *m,
	uint64_t		c,
	const char		*buf,
	struct hsm_store_writer	*w[HSM_COPIES_MAX],
	struct hsm_store	*store[HSM_COPIES_MAX],
	size_t			*ext)
{
	uint64_t		cs = c << m->chunk_shift;
	uint64_t		ce = (c + 1) << m->chunk_shift;
	unsigned		k;
	int			error;

	while (*ext < m->map.nr &&
	       m->map.ext[*ext].off + m->map.ext[*ext].len <= cs)
		(*ext)++;
	for (size_t i = *ext; i < m->map.nr && m->map.ext[i].off < ce; i++) {
		uint64_t po = m->map.ext[i].off > cs ? m->map.ext[i].off : cs;
		uint64_t pe = m->map.ext[i].off + m->map.ext[i].len;

		if (pe > ce)
			pe = ce;
		for (k = 0; k < HSM_COPIES_MAX; k++) {
			if (!w[k])
				continue;
			error = store[k]->ops->put_write(w[k], buf + (po - cs),
					pe - po, po);
			if (error)
				return error;
		}
	}
	return 0;
}

/* The data from the readable copies of the record as it was. */
static int
copy_from_copies(
	struct hsm_batch	*b,
	struct hsm_item		*it,
	unsigned		slots)
{
	struct hsm_fileref	*f = &it->f;
	struct hsm_store_writer	*w[HSM_COPIES_MAX] = { NULL };
	struct hsm_store	*store[HSM_COPIES_MAX] = { NULL };
	unsigned		from = 0;
	size_t			i, ext = 0, hint = 0;
	char			*buf = NULL;
	int			error;

	error = hsm_copies_stat(f->fs, f->set, &it->orig, &it->meta, &from);
	if (error)
		return error;
	buf = malloc(hsm_chunk_buf_len(&it->meta));
	if (!buf)
		return -ENOMEM;
	error = hsm_begin_writers(f, slots, w, store);
	for (i = 0; i < it->meta.nsums && !error; i++) {
		uint64_t c = it->meta.sums[i].chunk;

		error = hsm_copies_fetch(f->fs, f->set, &it->orig, &it->meta,
				c, buf, &hint, &from);
		if (!error)
			error = put_chunk(&it->meta, c, buf, w, store, &ext);
		if (!error)
			hsm_batch_progress(b, hsm_chunk_data_len(&it->meta, c,
					it->meta.size));
	}
	if (!error && !hsm_lease_intact(f->fd, F_RDLCK))
		error = -ESTALE;
	free(buf);
	return hsm_end_writers(it, w, store, error);
}

static int
copy_work(
	struct hsm_batch	*b,
	struct hsm_item		*it)
{
	int			error;

	if (!it->slots)
		return 0;		/* only lost copies to drop */
	if (it->from_file) {
		error = hsm_copy_from_file(b, it, it->slots);
		if (!error && it->meta.checksum != it->orig.checksum)
			error = -ESTALE;	/* not what was archived */
	} else {
		error = copy_from_copies(b, it, it->slots);
	}
	if (error) {
		if (error == -ESTALE)
			hsm_fs_set_detail(it->f.fs, "file changed during the "
					"copy");
		hsm_drop_wanted(&it->f);
		undo_wanted(it);
		hsm_fileref_unlease(&it->f);
		return error;
	}
	it->bytes = hsm_datamap_bytes(&it->meta.map);
	hsm_fault(it->f.fs, "copy-written");
	return 0;
}

/* Drop the copies on draining stores once enough good ones are durable,
 * and close the gaps: copy 0 stays the first one recall tries. */
static void
drop_drained(
	struct hsm_fileref	*f,
	unsigned		n)
{
	struct hsm_copy		kept[HSM_COPIES_MAX];
	unsigned		k, nk = 0;

	for (k = 0; k < HSM_COPIES_MAX; k++) {
		const struct hsm_copy *cp = &f->rec.copy[k];

		if (cp->state == HSM_COPY_NONE)
			continue;
		if (!copy_good(f->fs, cp) && good_copies(f) >= n)
			continue;
		kept[nk++] = *cp;
	}
	memset(f->rec.copy, 0, sizeof(f->rec.copy));
	memcpy(f->rec.copy, kept, nk * sizeof(kept[0]));
}

static int
copy_seal(
	struct hsm_batch	*b,
	struct hsm_item		*it)
{
	struct hsm_fileref	*f = &it->f;
	unsigned		k;
	int			error;

	error = hsm_fileref_restat(f);
	if (!error && (!hsm_lease_intact(f->fd, F_RDLCK) ||
		       f->st.st_size != it->before.st_size ||
		       f->st.st_mtim.tv_sec != it->before.st_mtim.tv_sec ||
		       f->st.st_mtim.tv_nsec != it->before.st_mtim.tv_nsec ||
		       f->st.st_ctim.tv_sec != it->before.st_ctim.tv_sec ||
		       f->st.st_ctim.tv_nsec != it->before.st_ctim.tv_nsec)) {
		hsm_fs_set_detail(f->fs, "file changed during the copy");
		error = -ESTALE;
	}
	if (error) {
		hsm_drop_wanted(f);
		undo_wanted(it);
		return error;
	}
	for (k = 0; k < HSM_COPIES_MAX; k++)
		if (f->rec.copy[k].state == HSM_COPY_WANTED)
			f->rec.copy[k].state = HSM_COPY_DURABLE;
	drop_drained(f, hsm_copies_wanted(b, &it->orig));
	f->rec.copy_version++;
	error = hsm_fileref_commit(f, HSM_DUR_BATCH);
	if (!error)
		error = hsm_fileref_restat(f);
	if (error) {
		undo_wanted(it);
		return error;
	}
	it->sealed = true;
	it->sealed_ctime = f->st.st_ctim;
	it->have_sealed = true;
	it->outcome = HSM_DONE;
	hsm_fault(f->fs, "copy-sealed");
	if (b->op->code == HSM_CMD_MIGRATE && !(b->flags & HSM_MIGRATE_KEEP))
		return hsm_release_sealed(b, it);
	return 0;
}

static void
copy_undo(
	struct hsm_batch	*b,
	struct hsm_item		*it,
	int			error)
{
	(void)b;
	(void)error;
	if (it->f.fd >= 0 && !it->sealed)
		undo_wanted(it);
}

/* The copies the sealed record no longer names: their objects go. */
static void
copy_done(
	struct hsm_batch	*b,
	struct hsm_item		*it)
{
	unsigned		k;

	(void)b;
	if (!it->sealed || it->error || it->f.fd < 0)
		return;
	for (k = 0; k < HSM_COPIES_MAX; k++) {
		const struct hsm_copy *cp = &it->orig.copy[k];

		if (cp->state != HSM_COPY_NONE &&
		    !hsm_record_names(&it->f.rec, cp->oid))
			hsm_fileref_del_object(&it->f, cp->store_id, cp->oid);
	}
}

const struct hsm_opdesc hsm_op_copy = {
	.code		= HSM_CMD_COPY,
	.name		= "copy",
	.flags		= HSM_OPD_STORE,
	.oflags		= O_RDONLY,
	.prepare	= copy_prepare,
	.work		= copy_work,
	.seal		= copy_seal,
	.done		= copy_done,
	.undo		= copy_undo,
};
