// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * audit.c - --audit, --verify and --gc: the filesystem against its store.
 *
 * Order of the checks (DESIGN invariant 4, libhsm/audit.c):
 *  1. list the store's committed objects, before the scan begins;
 *  2. the scan collects every object any valid record names, in any state
 *     and with any pending operation;
 *  3. an object listed and named by nothing is an orphan.  --gc removes it
 *     only if the scan read every record (no bad or unreadable one, which
 *     could name it, and the scan complete), and hsm_orphan_remove()
 *     checks its age and the record of the inode it came from once more;
 *  4. a record that relies on its object (ARCHIVED, not LOST, not halfway
 *     through a migrate or forget) whose object is not listed is looked
 *     up again (it may have been committed after the listing); if it is
 *     really gone the file is flagged LOST.  --verify also reads every
 *     such object and checks it against its checksum and the record's.
 *  5. an object named by more than one inode (a copy of a record, made
 *     by cp -a or rsync -X as root) is reported: forgetting one of the
 *     files would delete the copy of the other.
 * An orphan whose file (inode and generation) is gone was a deleted
 * file's: listed as "deleted" with its last path, kept by --gc for
 * --retention after the deletion (xfs_hsm undelete brings it back).
 * --gc then repacks the stores' aggregates of small objects (a store's
 * own business: no record changes, hsm_store_repack_in), below
 * repack_threshold percent live.
 * Every store of the filesystem is listed, and each copy a record names
 * is checked in its own store: a missing copy is flagged lost on its own,
 * the file only with its last one.  Files with a copy lost or never
 * finished are reported; --repair makes those copies again.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <json-c/json.h>
#include "xfs_hsmscan.h"

enum check_kind {
	CHECK_MISSING,		/* not in the listing */
	CHECK_VERIFY,		/* in the listing, --verify */
};

struct check_item {
	struct named	n;
	enum check_kind	kind;
	bool		problem;	/* missing or corrupt */
	bool		corrupt;	/* there but wrong */
	int		flag_error;	/* of hsm_inode_mark_lost: 0 flagged */
	char		reason[256];	/* why not flagged, or unverifiable */
	bool		unverified;	/* could not be checked */
	bool		copy_only;	/* flagged: the copy, not the file */
};

/* A store's object, as listed (sorted by oid: oids are unique). */
struct listed_obj {
	uint8_t		oid[HSM_OID_LEN];
	uint32_t	store_id;
};

struct orphan_item {
	uint8_t		oid[HSM_OID_LEN];
	uint32_t	store_id;
	int		result;		/* of hsm_orphan_remove; 2: no --gc */
	int64_t		age;
	int		deleted;	/* 1: its file was deleted, 0: an
					 * orphan of a crash or re-archive,
					 * <0: unknown */
	char		path[4096];	/* the file's, at archive time */
	char		reason[256];
};

struct shared_item {
	uint8_t		oid[HSM_OID_LEN];
	size_t		first;		/* into the sorted named array */
	size_t		nr;
};

struct audit {
	struct vec	objects;	/* struct listed_obj, sorted */
	struct vec	short_copies;	/* struct pending: a copy lost or not
					 * made */
	struct vec	checks;		/* struct check_item */
	struct vec	orphans;	/* struct orphan_item */
	struct vec	shared;		/* struct shared_item */
	struct vec	named;		/* the scan's, sorted by oid */
	const char	*gc_refused;	/* why --gc removed nothing */
	char		gc_refused_buf[128];
	unsigned long	missing, corrupt, removed, kept, unverified;
	unsigned long	deleted;	/* of the orphans */
	struct hsm_repack_info repack;	/* summed over the stores */
	bool		repack_failed;
};

static int
oid_cmp(
	const void	*a,
	const void	*b)
{
	return memcmp(a, b, HSM_OID_LEN);
}

static int
named_cmp(
	const void		*a,
	const void		*b)
{
	const struct named	*x = a, *y = b;
	int			c = memcmp(x->oid, y->oid, HSM_OID_LEN);

	if (c)
		return c;
	return x->ino < y->ino ? -1 : x->ino > y->ino;
}

struct list_ctx {
	struct vec	*objects;
	uint32_t	store_id;
};

static int
list_one(
	const uint8_t	oid[HSM_OID_LEN],
	void		*arg)
{
	struct list_ctx	*c = arg;
	struct listed_obj *o = vec_push(c->objects);

	memcpy(o->oid, oid, HSM_OID_LEN);
	o->store_id = c->store_id;
	return 0;
}

int
audit_begin(
	struct hsm_fs	*fs,
	struct audit	**ap)
{
	struct hsm_store_info si[HSM_STORES_MAX];
	struct list_ctx	lc;
	struct audit	*a;
	int		error, n, i;

	error = hsm_fs_open_store(fs);
	if (error) {
		report_store_error(fs, error, "cannot audit");
		return HSM_EX_OPERATIONAL;
	}
	a = calloc(1, sizeof(*a));
	if (!a)
		nomem();
	vec_init(&a->objects, sizeof(struct listed_obj));
	vec_init(&a->short_copies, sizeof(struct pending));
	vec_init(&a->checks, sizeof(struct check_item));
	vec_init(&a->orphans, sizeof(struct orphan_item));
	vec_init(&a->shared, sizeof(struct shared_item));
	vec_init(&a->named, sizeof(struct named));
	/* step 1, before the scan: see the comment at the top */
	n = hsm_fs_stores(fs, si, HSM_STORES_MAX);
	for (i = 0; i < n; i++) {
		lc.objects = &a->objects;
		lc.store_id = si[i].id;
		error = hsm_store_list_objects_in(fs, si[i].id, list_one, &lc);
		if (error) {
			fprintf(stderr, "%s: cannot list store %u '%s': %s\n",
				PROGNAME, si[i].id, si[i].spec,
				strerror(-error));
			audit_free(a);
			return HSM_EX_OPERATIONAL;
		}
	}
	qsort(a->objects.items, a->objects.nr, a->objects.size, oid_cmp);
	*ap = a;
	return 0;
}

/* Is @n's copy in the listing of its own store? */
static bool
listed(
	const struct audit	*a,
	const struct named	*n)
{
	const struct listed_obj	*o;

	o = bsearch(n->oid, a->objects.items, a->objects.nr, a->objects.size,
		    oid_cmp);
	return o && o->store_id == n->store_id;
}

/* Does the record need this copy to be there and right? */
static bool
relies_on_object(
	const struct named	*n)
{
	return (n->flags & HSM_F_ARCHIVED) && !(n->flags & HSM_F_LOST) &&
	       n->state == HSM_COPY_DURABLE &&
	       n->pending != HSM_OP_MIGRATING &&
	       n->pending != HSM_OP_FORGETTING;
}

/* Flag @it's file lost, remembering why not if it could not be. */
static void
flag_lost(
	struct check_item	*it,
	struct hsm_fs		*fs)
{
	struct hsm_inode	in;

	/* a pending release or recall is --repair's: it finds the copy
	 * gone itself and flags the file then */
	if (it->n.pending != HSM_OP_NONE) {
		it->flag_error = 1;
		snprintf(it->reason, sizeof(it->reason), "not flagged: %s "
			 "pending, left to --repair",
			 hsm_op_name(it->n.pending));
		return;
	}
	memset(&in, 0, sizeof(in));
	in.ino = it->n.ino;
	in.gen = it->n.gen;
	it->flag_error = hsm_inode_mark_lost(fs, &in, it->n.oid);
	if (it->flag_error == 2) {
		it->flag_error = 0;
		it->copy_only = true;	/* the file has another copy */
	} else if (it->flag_error == 1)
		snprintf(it->reason, sizeof(it->reason),
			 "record changed since the scan, not flagged");
	else if (it->flag_error)
		snprintf(it->reason, sizeof(it->reason), "not flagged: %s",
			 error_reason(fs, it->flag_error));
}

static void
check_one(
	void			*item,
	struct hsm_fs		*fs,
	void			*arg)
{
	struct check_item	*it = item;
	struct hsm_object_info	info;
	int			error;

	if (!fs) {
		it->unverified = true;
		snprintf(it->reason, sizeof(it->reason), "store unusable");
		return;
	}
	if (it->kind == CHECK_MISSING)
		error = hsm_object_stat_in(fs, it->n.store_id, it->n.oid,
				&info);
	else
		error = hsm_object_verify_in(fs, it->n.store_id, it->n.oid,
				&info);
	if (!error && (info.size != it->n.size ||
		       info.checksum != it->n.checksum))
		error = -EBADMSG;	/* another file's copy, or stale */
	if (!error)
		return;			/* committed after the listing: fine */
	if (error != -ENOENT && error != -EUCLEAN && error != -EBADMSG) {
		it->unverified = true;
		snprintf(it->reason, sizeof(it->reason), "%s",
			 strerror(-error));
		return;
	}
	it->problem = true;
	it->corrupt = error != -ENOENT;
	flag_lost(it, fs);
}

/* Was @it's file deleted?  (Its object's metadata, its inode.) */
static void
classify_one(
	void			*item,
	struct hsm_fs		*fs,
	void			*arg)
{
	struct orphan_item	*it = item;
	struct hsm_object_info	info;

	it->deleted = fs ? hsm_object_deleted_in(fs, it->store_id, it->oid,
						 &info, it->path,
						 sizeof(it->path)) : -ENODATA;
	if (it->deleted < 0)
		it->path[0] = '\0';
	if (info.stored_sec)
		it->age = time(NULL) - info.stored_sec;
}

/*
 * Seconds since @path's file was deleted, at least: the age of the last
 * change of the deepest directory of its path that is still there (the
 * deletion changed its directory; later changes only make it younger).
 */
static int64_t
deleted_age(
	struct hsm_fs		*fs,
	const char		*path)
{
	const char		*mnt = hsm_fs_mountpoint(fs);
	char			dir[4096], *s;
	struct stat		st;

	snprintf(dir, sizeof(dir), "%s", path);
	while ((s = strrchr(dir, '/')) && s != dir) {
		*s = '\0';
		if (strncmp(dir, mnt, strlen(mnt)))
			break;		/* not under the mount point */
		if (lstat(dir, &st) == 0 && S_ISDIR(st.st_mode))
			return time(NULL) - st.st_mtime;
	}
	if (lstat(mnt, &st) < 0)
		return 0;
	return time(NULL) - st.st_mtime;
}

static void
gc_one(
	void			*item,
	struct hsm_fs		*fs,
	void			*arg)
{
	struct orphan_item	*it = item;
	struct hsm_object_info	info;
	int64_t			age;

	if (!fs) {
		it->result = -ENODATA;
		snprintf(it->reason, sizeof(it->reason), "store unusable");
		return;
	}
	if (it->deleted && opts->retention > 0) {
		age = it->deleted > 0 ? deleted_age(fs, it->path) : 0;
		if (age < opts->retention) {
			it->result = -EAGAIN;
			snprintf(it->reason, sizeof(it->reason), "%s",
				 it->deleted > 0 ? "deleted within the "
				 "retention" : "cannot tell whether its file "
				 "was deleted");
			return;
		}
	}
	it->result = hsm_orphan_remove_in(fs, it->store_id, it->oid,
			opts->grace, &info);
	if (info.stored_sec)
		it->age = time(NULL) - info.stored_sec;
	if (it->result < 0)
		snprintf(it->reason, sizeof(it->reason), "%s",
			 error_reason(fs, it->result));
}

/* Objects named by more than one inode. */
static void
find_shared(
	struct audit		*a)
{
	struct named		*n = a->named.items;
	size_t			i, j;

	for (i = 0; i < a->named.nr; i = j) {
		size_t inodes = 1;

		for (j = i + 1; j < a->named.nr &&
		     !memcmp(n[j].oid, n[i].oid, HSM_OID_LEN); j++)
			if (n[j].ino != n[j - 1].ino)
				inodes++;
		if (inodes > 1) {
			struct shared_item *s = vec_push(&a->shared);

			memcpy(s->oid, n[i].oid, HSM_OID_LEN);
			s->first = i;
			s->nr = j - i;
		}
	}
}

/* Listed objects no record names: a merge of two sorted arrays. */
static void
find_orphans(
	struct audit		*a)
{
	const struct named	*n = a->named.items;
	const struct listed_obj	*o = a->objects.items;
	size_t			i, k = 0;

	for (i = 0; i < a->objects.nr; i++) {
		const uint8_t *oid = o[i].oid;
		struct orphan_item *it;

		while (k < a->named.nr && memcmp(n[k].oid, oid,
						 HSM_OID_LEN) < 0)
			k++;
		if (k < a->named.nr && !memcmp(n[k].oid, oid, HSM_OID_LEN))
			continue;
		it = vec_push(&a->orphans);
		memcpy(it->oid, oid, HSM_OID_LEN);
		it->store_id = o[i].store_id;
		it->result = 2;		/* found, not (yet) removed */
	}
}

static void gc_orphans(struct audit *a, struct hsm_fs *fs,
		       struct scan_result *res);
static void repack(struct audit *a, struct hsm_fs *fs);

void
audit_run(
	struct audit		*a,
	struct hsm_fs		*fs,
	struct scan_result	*res)
{
	struct named		*n;
	size_t			i;

	vec_append(&a->named, &res->named);
	vec_append(&a->short_copies, &res->copies);
	qsort(a->named.items, a->named.nr, a->named.size, named_cmp);
	find_shared(a);
	find_orphans(a);
	for (i = 0; i < a->named.nr; i++) {
		struct check_item *it;
		bool there;

		n = VEC_AT(&a->named, struct named, i);
		if (!relies_on_object(n))
			continue;
		there = listed(a, n);
		if (there && !opts->verify)
			continue;
		it = vec_push(&a->checks);
		it->n = *n;
		it->kind = there ? CHECK_VERIFY : CHECK_MISSING;
	}
	jobs_run(hsm_fs_mountpoint(fs), opts->jobs, &a->checks, check_one,
		 NULL);
	jobs_run(hsm_fs_mountpoint(fs), opts->jobs, &a->orphans, classify_one,
		 NULL);

	if (!opts->gc)
		return;
	if (a->orphans.nr)
		gc_orphans(a, fs, res);
	repack(a, fs);
}

/* The aggregates of each store, once the orphans are gone. */
static void
repack(
	struct audit		*a,
	struct hsm_fs		*fs)
{
	struct hsm_store_info	si[HSM_STORES_MAX];
	struct hsm_repack_info	r;
	int			n, i, error;

	n = hsm_fs_stores(fs, si, HSM_STORES_MAX);
	for (i = 0; i < n; i++) {
		error = hsm_store_repack_in(fs, si[i].id, opts->repack,
					    opts->grace, &r);
		a->repack.aggregates += r.aggregates;
		a->repack.repacked += r.repacked;
		a->repack.deleted += r.deleted;
		a->repack.written += r.written;
		a->repack.moved += r.moved;
		a->repack.freed += r.freed;
		a->repack.rewritten += r.rewritten;
		a->repack.kept += r.kept;
		if (error) {
			fprintf(stderr, "%s: cannot repack the aggregates of "
				"store %u '%s': %s\n", PROGNAME, si[i].id,
				si[i].spec, strerror(-error));
			a->repack_failed = true;
			exitcode |= HSM_EX_PROBLEMS;
		}
	}
}

static void
gc_orphans(
	struct audit		*a,
	struct hsm_fs		*fs,
	struct scan_result	*res)
{
	const uint64_t		*c = res->total.c;
	int			error;

	if (!res->complete)
		a->gc_refused = "the scan did not complete";
	else if (c[C_BAD])
		a->gc_refused = "bad records were found (one may name an "
				"orphan)";
	else if (c[C_ERRORS])
		a->gc_refused = "some records could not be read";
	if (a->gc_refused)
		return;
	/* deletions the scan saw are made durable before any object goes */
	error = hsm_fs_sync(fs);
	if (error) {
		snprintf(a->gc_refused_buf, sizeof(a->gc_refused_buf),
			 "the filesystem could not be synced (%s)",
			 strerror(-error));
		a->gc_refused = a->gc_refused_buf;
		return;
	}
	jobs_run(hsm_fs_mountpoint(fs), opts->jobs, &a->orphans, gc_one,
		 NULL);
}

const struct vec *
audit_named(
	const struct audit	*a)
{
	return &a->named;
}

void
audit_want_paths(
	struct audit	*a)
{
	size_t		i, j;

	for (i = 0; i < a->checks.nr; i++) {
		struct check_item *it = VEC_AT(&a->checks, struct check_item,
					       i);

		if (it->problem || it->unverified)
			paths_want(it->n.ino);
	}
	for (i = 0; i < a->short_copies.nr; i++)
		paths_want(VEC_AT(&a->short_copies, struct pending, i)->ino);
	for (i = 0; i < a->shared.nr; i++) {
		struct shared_item *s = VEC_AT(&a->shared, struct shared_item,
					       i);

		for (j = 0; j < s->nr; j++)
			paths_want(VEC_AT(&a->named, struct named,
					  s->first + j)->ino);
	}
}

/* The file of @n for messages. */
static const char *
who(
	const struct named	*n,
	char			*buf,
	size_t			size)
{
	return file_name(n->ino, n->gen, paths_lookup(n->ino), buf, size);
}

static void
report_checks(
	struct audit		*a)
{
	char			oid[33], name[4300];
	size_t			i;

	for (i = 0; i < a->checks.nr; i++) {
		struct check_item *it = VEC_AT(&a->checks, struct check_item,
					       i);

		hsm_oid_hex(it->n.oid, oid);
		who(&it->n, name, sizeof(name));
		if (it->unverified) {
			fprintf(stderr, "%s: cannot check object %s of %s: "
				"%s\n", PROGNAME, oid, name, it->reason);
			a->unverified++;
			exitcode |= HSM_EX_PROBLEMS;
			continue;
		}
		if (!it->problem)
			continue;
		if (it->corrupt)
			a->corrupt++;
		else
			a->missing++;
		exitcode |= HSM_EX_PROBLEMS;
		if (!opts->json)
			printf("%s %s (store %u) %s: %s\n", it->corrupt ?
			       "corrupt" : "missing", oid, it->n.store_id,
			       name, it->flag_error ? it->reason :
			       it->copy_only ? "copy flagged lost, the file "
			       "has another: --repair makes it again" :
			       "flagged lost");
	}
}

static const char *
kind(
	const struct orphan_item *it)
{
	return it->deleted > 0 ? "deleted" : "orphan";
}

static void
report_orphans(
	struct audit		*a)
{
	char			oid[33], what[4300] = "";
	size_t			i;

	if (a->gc_refused) {
		fprintf(stderr, "%s: --gc removed nothing: %s\n", PROGNAME,
			a->gc_refused);
		exitcode |= HSM_EX_PROBLEMS;
	}
	for (i = 0; i < a->orphans.nr; i++) {
		struct orphan_item *it = VEC_AT(&a->orphans,
						struct orphan_item, i);

		hsm_oid_hex(it->oid, oid);
		/* "deleted OID 'PATH'" for a deleted file's object */
		if (it->deleted > 0) {
			a->deleted++;
			snprintf(what, sizeof(what), "'%s'", it->path);
		}
		if (it->result == 0 || it->result == 1) {
			a->removed++;
			exitcode |= HSM_EX_REPAIRED;
			if (!opts->json)
				printf("%s %s%s%s: removed\n", kind(it), oid,
				       it->deleted > 0 ? " " : "", what);
		} else if (it->result == 2) {
			exitcode |= HSM_EX_PROBLEMS;
			if (!opts->json)
				printf("%s %s%s%s\n", kind(it), oid,
				       it->deleted > 0 ? " " : "", what);
		} else {
			a->kept++;
			/* young and named-after-all are no problem */
			if (it->result != -EAGAIN && it->result != -EEXIST)
				exitcode |= HSM_EX_PROBLEMS;
			if (!opts->json)
				printf("%s %s%s%s: kept, %s\n", kind(it), oid,
				       it->deleted > 0 ? " " : "", what,
				       it->reason);
		}
		what[0] = '\0';
	}
}

/* Files whose records name a copy lost or not made (found by the scan,
 * before this audit flagged any). */
static void
report_short(
	struct audit		*a)
{
	char			name[4300];
	size_t			i;

	for (i = 0; i < a->short_copies.nr; i++) {
		struct pending *p = VEC_AT(&a->short_copies, struct pending,
					   i);

		exitcode |= HSM_EX_PROBLEMS;
		if (!opts->json)
			printf("copies %s: a copy is lost or not made: "
			       "--repair makes it\n", file_name(p->ino,
			       p->gen, paths_lookup(p->ino), name,
			       sizeof(name)));
	}
}

void
audit_report(
	struct audit		*a)
{
	char			oid[33], name[4300];
	size_t			i, j;

	report_orphans(a);
	report_checks(a);
	report_short(a);
	for (i = 0; i < a->shared.nr; i++) {
		struct shared_item *s = VEC_AT(&a->shared, struct shared_item,
					       i);

		exitcode |= HSM_EX_PROBLEMS;
		if (opts->json)
			continue;
		hsm_oid_hex(s->oid, oid);
		printf("shared %s:", oid);
		for (j = 0; j < s->nr; j++)
			printf(" %s", who(VEC_AT(&a->named, struct named,
						 s->first + j),
					  name, sizeof(name)));
		printf("\n");
	}
}

void
audit_summary_text(
	FILE			*out,
	const struct audit	*a)
{
	summary_line(out, "store objects:", a->objects.nr);
	summary_line(out, "orphans:", a->orphans.nr);
	summary_line(out, "of deleted files:", a->deleted);
	summary_line(out, "missing:", a->missing);
	if (opts->verify)
		summary_line(out, "corrupt:", a->corrupt);
	summary_line(out, "shared:", a->shared.nr);
	summary_line(out, "short of copies:", a->short_copies.nr);
	if (opts->gc) {
		summary_line(out, "removed:", a->removed);
		summary_line(out, "kept:", a->kept);
		if (!a->repack.aggregates)
			return;		/* no store aggregates */
		summary_line(out, "aggregates:", a->repack.aggregates);
		summary_line(out, "repacked:", a->repack.repacked);
		summary_line(out, "members moved:", a->repack.moved);
		summary_line(out, "aggregates freed:", a->repack.deleted);
	}
}

static struct json_object *
named_json(
	const struct named	*n)
{
	struct json_object	*o = json_object_new_object();
	const char		*path = paths_lookup(n->ino);

	json_object_object_add(o, "ino", json_object_new_uint64(n->ino));
	json_object_object_add(o, "gen", json_object_new_uint64(n->gen));
	if (path)
		json_add_path(o, path);
	return o;
}

struct json_object *
audit_json(
	struct audit		*a)
{
	struct json_object	*o = json_object_new_object(), *arr, *e;
	char			oid[33];
	size_t			i, j;

	json_object_object_add(o, "objects",
			       json_object_new_uint64(a->objects.nr));
	arr = json_object_new_array();
	for (i = 0; i < a->orphans.nr; i++) {
		struct orphan_item *it = VEC_AT(&a->orphans,
						struct orphan_item, i);

		e = json_object_new_object();
		hsm_oid_hex(it->oid, oid);
		json_object_object_add(e, "object",
				       json_object_new_string(oid));
		json_object_object_add(e, "kind",
				       json_object_new_string(kind(it)));
		json_object_object_add(e, "store_id",
				       json_object_new_int64(it->store_id));
		if (it->deleted > 0)
			json_add_path(e, it->path);
		json_object_object_add(e, "action", json_object_new_string(
			it->result == 0 || it->result == 1 ? "removed" :
			it->result == 2 ? "none" : "kept"));
		json_object_object_add(e, "reason", it->result < 0 ?
				       json_object_new_string(it->reason) :
				       NULL);
		json_object_array_add(arr, e);
	}
	json_object_object_add(o, "orphans", arr);
	arr = json_object_new_array();
	for (i = 0; i < a->checks.nr; i++) {
		struct check_item *it = VEC_AT(&a->checks, struct check_item,
					       i);

		if (!it->problem)
			continue;
		e = named_json(&it->n);
		hsm_oid_hex(it->n.oid, oid);
		json_object_object_add(e, "object",
				       json_object_new_string(oid));
		json_object_object_add(e, "problem", json_object_new_string(
				it->corrupt ? "corrupt" : "missing"));
		json_object_object_add(e, "store_id",
				json_object_new_int64(it->n.store_id));
		json_object_object_add(e, "flagged_lost",
				json_object_new_boolean(!it->flag_error));
		json_object_object_add(e, "copy_only",
				json_object_new_boolean(it->copy_only));
		json_object_array_add(arr, e);
	}
	json_object_object_add(o, "problems", arr);
	arr = json_object_new_array();
	for (i = 0; i < a->shared.nr; i++) {
		struct shared_item *s = VEC_AT(&a->shared, struct shared_item,
					       i);
		struct json_object *inodes = json_object_new_array();

		e = json_object_new_object();
		hsm_oid_hex(s->oid, oid);
		json_object_object_add(e, "object",
				       json_object_new_string(oid));
		for (j = 0; j < s->nr; j++)
			json_object_array_add(inodes, named_json(VEC_AT(
				&a->named, struct named, s->first + j)));
		json_object_object_add(e, "files", inodes);
		json_object_array_add(arr, e);
	}
	json_object_object_add(o, "shared", arr);
	arr = json_object_new_array();
	for (i = 0; i < a->short_copies.nr; i++) {
		struct pending *p = VEC_AT(&a->short_copies, struct pending,
					   i);
		struct named n = { .ino = p->ino, .gen = p->gen };

		json_object_array_add(arr, named_json(&n));
	}
	json_object_object_add(o, "short_of_copies", arr);
	json_object_object_add(o, "missing",
			       json_object_new_uint64(a->missing));
	json_object_object_add(o, "corrupt",
			       json_object_new_uint64(a->corrupt));
	json_object_object_add(o, "removed",
			       json_object_new_uint64(a->removed));
	json_object_object_add(o, "kept", json_object_new_uint64(a->kept));
	json_object_object_add(o, "gc_refused", a->gc_refused ?
			       json_object_new_string(a->gc_refused) : NULL);
	if (opts->gc) {
		struct json_object *r = json_object_new_object();

		json_object_object_add(r, "aggregates",
				json_object_new_uint64(a->repack.aggregates));
		json_object_object_add(r, "repacked",
				json_object_new_uint64(a->repack.repacked));
		json_object_object_add(r, "deleted",
				json_object_new_uint64(a->repack.deleted));
		json_object_object_add(r, "written",
				json_object_new_uint64(a->repack.written));
		json_object_object_add(r, "moved",
				json_object_new_uint64(a->repack.moved));
		json_object_object_add(r, "kept",
				json_object_new_uint64(a->repack.kept));
		json_object_object_add(r, "bytes_freed",
				json_object_new_uint64(a->repack.freed));
		json_object_object_add(r, "bytes_rewritten",
				json_object_new_uint64(a->repack.rewritten));
		json_object_object_add(r, "failed",
				json_object_new_boolean(a->repack_failed));
		json_object_object_add(o, "repack", r);
	}
	return o;
}

void
audit_free(
	struct audit	*a)
{
	if (!a)
		return;
	vec_free(&a->objects);
	vec_free(&a->short_copies);
	vec_free(&a->checks);
	vec_free(&a->orphans);
	vec_free(&a->shared);
	vec_free(&a->named);
	free(a);
}
