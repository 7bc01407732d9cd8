// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test_store.c - the POSIX directory store on a temp dir: put (with holes),
 * get, stat, list, abort, delete, the filesystem UUID marker and modes;
 * the object metadata text; object ids as hex.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/xattr.h>

#include "store/store.h"
#include "tap.h"
#include "pattern.h"

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define KiB		(1ULL << 10)
#define MiB		(1ULL << 20)
#define GiB		(1ULL << 30)
#define MAXW		4

static const char U1[] = "11111111-2222-3333-4444-555555555555";
static const char U2[] = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee";

static char base[64];			/* mkdtemp */
static char sdir[128];			/* base/store */
static char spec[160];			/* posix:base/store */

/* ---- helpers ------------------------------------------------------------ */

/* Listing of a tree: "relpath mode" lines, sorted by nftw order. */
static char	walk_buf[1 << 16];
static size_t	walk_len;
static size_t	walk_base_len;
static int	walk_bad_modes;

static int
walk_one(
	const char		*path,
	const struct stat	*st,
	int			type,
	struct FTW		*ftw)
{
	unsigned		mode = st->st_mode & 07777;

	if (S_ISDIR(st->st_mode) && mode != 0700)
		walk_bad_modes++;
	if (S_ISREG(st->st_mode) && mode != 0600)
		walk_bad_modes++;
	if (walk_bad_modes && walk_bad_modes < 4 &&
	    ((S_ISDIR(st->st_mode) && mode != 0700) ||
	     (S_ISREG(st->st_mode) && mode != 0600)))
		diag("mode %04o: %s", mode, path);
	if (walk_len < sizeof(walk_buf) - 300)
		walk_len += snprintf(walk_buf + walk_len,
				     sizeof(walk_buf) - walk_len, "%s %c\n",
				     path + walk_base_len,
				     S_ISDIR(st->st_mode) ? 'd' : 'f');
	return 0;
}

/* Walk @dir; returns a malloc'd listing, sorted so order is stable. */
static int
cmp_lines(
	const void	*a,
	const void	*b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static char *
walk(
	const char	*dir)
{
	char		*lines[4096], *copy, *p, *out;
	size_t		n = 0, i, o = 0;

	walk_len = 0;
	walk_buf[0] = '\0';
	walk_base_len = strlen(dir);
	walk_bad_modes = 0;
	nftw(dir, walk_one, 16, FTW_PHYS);
	copy = strdup(walk_buf);
	out = malloc(walk_len + 1);
	if (!copy || !out) {
		free(copy);
		free(out);
		return NULL;
	}
	for (p = strtok(copy, "\n"); p && n < 4096; p = strtok(NULL, "\n"))
		lines[n++] = p;
	qsort(lines, n, sizeof(lines[0]), cmp_lines);
	out[0] = '\0';
	for (i = 0; i < n; i++)
		o += sprintf(out + o, "%s\n", lines[i]);
	free(copy);
	return out;
}

static int
rm_one(
	const char		*path,
	const struct stat	*st,
	int			type,
	struct FTW		*ftw)
{
	return remove(path) < 0 ? 0 : 0;
}

/* ---- objects -------------------------------------------------------------- */

struct wr {
	uint64_t	off, len;
};

static struct obj {
	const char	*name;
	struct wr	w[MAXW];	/* pattern bytes at these offsets */
	size_t		nw;
	uint64_t	size;
	const char	*path;		/* at archive time */
	uint8_t		oid[HSM_OID_LEN];
	bool		committed;
} objs[] = {
	{ "holes: writes at 0, 1 MiB, 5 MiB",
		{ { 0, 4096 }, { MiB, 10000 }, { 5 * MiB, 64 * KiB } }, 3,
		6 * MiB, "/mnt/a file with spaces", { 0 }, false },
	{ "empty object", { { 0 } }, 0, 0, "", { 0 }, false },
	{ "small dense object", { { 0, 100 } }, 1, 100, "/mnt/x\nnewline",
		{ 0 }, false },
	{ "1 GiB sparse, data in the middle", { { 512 * MiB, 8192 } }, 1, GiB,
		"/mnt/\xff\xfe-not-utf8", { 0 }, false },
	{ "unaligned writes", { { 1, 2 }, { 4095, 3 }, { 70000, 5000 } }, 3,
		80000, "/mnt/back\\slash", { 0 }, false },
};

/* Expected bytes of @o over [off, off+len), zeros in holes. */
static void
expect_bytes(
	const struct obj *o,
	uint8_t		*buf,
	uint64_t	off,
	size_t		len)
{
	size_t		i;

	memset(buf, 0, len);
	for (i = 0; i < o->nw; i++) {
		uint64_t s = o->w[i].off, e = s + o->w[i].len;

		if (e <= off || s >= off + len)
			continue;
		if (s < off)
			s = off;
		if (e > off + len)
			e = off + len;
		pattern(buf + (s - off), e - s, s);
	}
}

static void
fill_meta(
	const struct obj	*o,
	unsigned		shift,
	struct hsm_objmeta	*m)
{
	size_t			i;

	memset(m, 0, sizeof(*m));
	memcpy(m->oid, o->oid, HSM_OID_LEN);
	strcpy(m->fs_uuid, U1);
	m->ino = 131 + o->nw;
	m->gen = 0xdeadbeef;
	m->size = o->size;
	m->mtime_sec = 1700000000;
	m->mtime_nsec = 999999999;
	m->checksum = 0x0123456789abcdefULL ^ o->size;
	snprintf(m->path, sizeof(m->path), "%s", o->path);
	m->has_inode = true;
	m->mode = 0100644 | (o->nw << 9 & 07000);
	m->uid = 1000 + o->nw;
	m->gid = 4294967294U;
	m->nlink = 2;
	m->projid = 77;
	m->atime_sec = -5;
	m->atime_nsec = 1;
	m->ctime_sec = 1700000001;
	m->ctime_nsec = 999999999;
	hsm_objmeta_add_xattr(m, "user.empty", "", 0);
	hsm_objmeta_add_xattr(m, "user.odd name\n\\", "\0\xff\n", 3);
	hsm_objmeta_add_link(m, "/mnt/other name\nend");
	hsm_objmeta_add_link(m, "/mnt/third");
	m->chunk_shift = shift;
	for (i = 0; i < o->nw; i++)
		hsm_datamap_add(&m->map, o->w[i].off, o->w[i].len);
	for (i = 0; i < o->nw; i++) {
		uint64_t c = o->w[i].off >> m->chunk_shift;

		if (!m->nsums || m->sums[m->nsums - 1].chunk < c)
			hsm_objmeta_add_sum(m, c, 0xabc0000 + c);
	}
}

static bool
meta_equal(
	const struct hsm_objmeta *a,
	const struct hsm_objmeta *b)
{
	size_t			i;

	if (memcmp(a->oid, b->oid, HSM_OID_LEN) ||
	    strcmp(a->fs_uuid, b->fs_uuid) || a->ino != b->ino ||
	    a->gen != b->gen || a->size != b->size ||
	    a->mtime_sec != b->mtime_sec || a->mtime_nsec != b->mtime_nsec ||
	    a->checksum != b->checksum || strcmp(a->path, b->path) ||
	    a->map.nr != b->map.nr || a->chunk_shift != b->chunk_shift ||
	    a->nsums != b->nsums)
		return false;
	if (a->has_inode != b->has_inode || a->mode != b->mode ||
	    a->uid != b->uid || a->gid != b->gid || a->nlink != b->nlink ||
	    a->projid != b->projid || a->atime_sec != b->atime_sec ||
	    a->atime_nsec != b->atime_nsec || a->ctime_sec != b->ctime_sec ||
	    a->ctime_nsec != b->ctime_nsec || a->nxattrs != b->nxattrs)
		return false;
	if (a->nlinks != b->nlinks)
		return false;
	for (i = 0; i < a->nlinks; i++)
		if (strcmp(a->links[i], b->links[i]))
			return false;
	for (i = 0; i < a->nxattrs; i++)
		if (strcmp(a->xattrs[i].name, b->xattrs[i].name) ||
		    a->xattrs[i].len != b->xattrs[i].len ||
		    memcmp(a->xattrs[i].value, b->xattrs[i].value,
			   a->xattrs[i].len))
			return false;
	for (i = 0; i < a->map.nr; i++)
		if (a->map.ext[i].off != b->map.ext[i].off ||
		    a->map.ext[i].len != b->map.ext[i].len)
			return false;
	for (i = 0; i < a->nsums; i++)
		if (a->sums[i].chunk != b->sums[i].chunk ||
		    a->sums[i].sum != b->sums[i].sum)
			return false;
	return true;
}

/* Write object @o into @s and commit it. */
static int
put_obj(
	struct hsm_store	*s,
	struct obj		*o)
{
	struct hsm_store_writer	*w;
	struct hsm_objmeta	m;
	uint8_t			*buf;
	size_t			i;
	int			rc;

	rc = s->ops->put_begin(s, o->oid, &w);
	if (rc)
		return rc;
	for (i = 0; i < o->nw && !rc; i++) {
		buf = malloc(o->w[i].len);
		if (!buf) {
			rc = -ENOMEM;
			break;
		}
		pattern(buf, o->w[i].len, o->w[i].off);
		rc = s->ops->put_write(w, buf, o->w[i].len, o->w[i].off);
		free(buf);
	}
	if (rc) {
		s->ops->put_abort(w);
		return rc;
	}
	fill_meta(o, HSM_CHUNK_SHIFT_DEFAULT, &m);
	rc = hsm_store_commit_one(s, w, &m);
	hsm_objmeta_free(&m);
	return rc;
}

/* Check get() over ranges of @o: each write, around it, the whole. */
static int
check_get(
	struct hsm_store	*s,
	const struct obj	*o,
	char			*why,
	size_t			whysize)
{
	struct wr		r[3 * MAXW + 4];
	size_t			nr = 0, i;
	uint8_t			*got, *want;
	ssize_t			n;
	int			bad = 0;

	if (o->size <= 8 * MiB)
		r[nr++] = (struct wr){ 0, o->size };
	for (i = 0; i < o->nw; i++) {
		uint64_t a = o->w[i].off, l = o->w[i].len;

		r[nr++] = (struct wr){ a, l };
		r[nr++] = (struct wr){ a > 4096 ? a - 4096 : 0, l + 8192 };
	}
	r[nr++] = (struct wr){ 0, o->size < 4096 ? o->size : 4096 };
	r[nr++] = (struct wr){ o->size / 3, o->size / 3 < 65536 ?
					    o->size / 3 : 65536 };
	for (i = 0; i < nr && !bad; i++) {
		uint64_t len = r[i].len;

		if (r[i].off + len > o->size)
			len = o->size - r[i].off;
		got = malloc(r[i].len + 1);
		want = malloc(r[i].len + 1);
		if (!got || !want) {
			free(got);
			free(want);
			snprintf(why, whysize, "out of memory");
			return 1;
		}
		memset(got, 0x11, r[i].len + 1);
		n = s->ops->get(s, o->oid, got, r[i].len, r[i].off);
		expect_bytes(o, want, r[i].off, len);
		if (n != (ssize_t)len) {
			snprintf(why, whysize, "get %llu+%llu returned %zd, "
				 "expected %llu",
				 (unsigned long long)r[i].off,
				 (unsigned long long)r[i].len, n,
				 (unsigned long long)len);
			bad = 1;
		} else if (memcmp(got, want, len)) {
			snprintf(why, whysize, "get %llu+%llu: wrong bytes",
				 (unsigned long long)r[i].off,
				 (unsigned long long)len);
			bad = 1;
		}
		free(got);
		free(want);
	}
	if (!bad) {
		uint8_t b[16];

		/* short read past the end, and nothing beyond it */
		n = s->ops->get(s, o->oid, b, sizeof(b), o->size);
		if (n != 0) {
			snprintf(why, whysize, "get at EOF returned %zd", n);
			bad = 1;
		}
		n = s->ops->get(s, o->oid, b, sizeof(b), o->size + MiB);
		if (n != 0) {
			snprintf(why, whysize, "get past EOF returned %zd", n);
			bad = 1;
		}
	}
	return bad;
}

/* list() callback: record the oids seen. */
struct seen {
	uint8_t		oid[64][HSM_OID_LEN];
	size_t		n;
	int		stop_after;	/* return 7 after this many, 0: never */
};

static int
list_cb(
	const uint8_t	*oid,
	void		*arg)
{
	struct seen	*s = arg;

	if (s->n < 64)
		memcpy(s->oid[s->n], oid, HSM_OID_LEN);
	s->n++;
	return s->stop_after && s->n >= (size_t)s->stop_after ? 7 : 0;
}

/* Does the listing equal exactly the committed objects? */
static bool
seen_is_committed(
	const struct seen *s)
{
	size_t		i, j, want = 0, found;

	for (i = 0; i < ARRAY_SIZE(objs); i++) {
		if (!objs[i].committed)
			continue;
		want++;
		found = 0;
		for (j = 0; j < s->n && j < 64; j++)
			found += !memcmp(s->oid[j], objs[i].oid, HSM_OID_LEN);
		if (found != 1)
			return false;
	}
	return s->n == want;
}

/* ---- the store tests ---------------------------------------------------- */

#define NR_OPEN_TESTS	11

static void
test_open(void)
{
	struct hsm_store	*s = NULL;
	struct stat		st;
	char			missing[200], notstore[200];
	int			rc;

	snprintf(missing, sizeof(missing), "posix:%s/missing", base);
	snprintf(notstore, sizeof(notstore), "%s/plain", base);
	mkdir(notstore, 0700);
	snprintf(notstore, sizeof(notstore), "posix:%s/plain", base);

	rc = hsm_store_open(missing, U1, true, &s);
	ok(rc == -ENOENT, "open a missing dir with create: -ENOENT (%d)", rc);
	rc = hsm_store_open(missing, U1, false, &s);
	ok(rc == -ENOENT, "open a missing dir: -ENOENT (%d)", rc);
	rc = hsm_store_open(notstore, U1, false, &s);
	ok(rc == -ENOENT, "open a dir that is no store, without create: "
	   "-ENOENT (%d)", rc);
	rc = hsm_store_open("posix", U1, true, &s);
	ok(rc == -EINVAL, "open a spec without ':': -EINVAL (%d)", rc);
	rc = hsm_store_open("nosuch:/tmp", U1, true, &s);
	ok(rc == -EPROTONOSUPPORT, "open an unknown store kind: "
	   "-EPROTONOSUPPORT (%d)", rc);

	rc = hsm_store_open(spec, U1, true, &s);
	ok(rc == 0, "create a store in a new dir (%d)", rc);
	hsm_store_close(s);
	s = NULL;
	if (stat(sdir, &st) < 0)
		st.st_mode = 0;
	ok((st.st_mode & 07777) == 0700, "the store dir is mode 0700 (%04o)",
	   st.st_mode & 07777);

	rc = hsm_store_open(spec, U2, true, &s);
	ok(rc == -EXDEV, "create again for another fs uuid: -EXDEV (%d)", rc);
	rc = hsm_store_open(spec, U2, false, &s);
	ok(rc == -EXDEV, "open for another fs uuid: -EXDEV (%d)", rc);
	rc = hsm_store_open(spec, U1, false, &s);
	ok(rc == 0, "open again for the same fs uuid (%d)", rc);
	hsm_store_close(s);
	s = NULL;
	rc = hsm_store_open(spec, U1, true, &s);
	ok(rc == 0, "create again for the same fs uuid is a no-op (%d)", rc);
	hsm_store_close(s);
	hsm_store_close(NULL);		/* accepts NULL */
}

static void
test_objects(void)
{
	struct hsm_store	*s;
	struct hsm_store_writer	*w;
	struct hsm_objmeta	m, want;
	struct seen		seen;
	char			why[200], hex[33], *before, *after;
	uint8_t			buf[4096], oid[HSM_OID_LEN];
	size_t			i;
	int			rc;

	rc = hsm_store_open(spec, U1, true, &s);
	if (rc) {
		skip(3 * ARRAY_SIZE(objs) + 18, "cannot open the store (%d)",
		     rc);
		return;
	}

	for (i = 0; i < ARRAY_SIZE(objs); i++) {
		if (hsm_oid_new(objs[i].oid)) {
			fail("oid_new for %s", objs[i].name);
			continue;
		}
		rc = put_obj(s, &objs[i]);
		objs[i].committed = rc == 0;
		ok(rc == 0, "put %s (%d)", objs[i].name, rc);
	}
	for (i = 0; i < ARRAY_SIZE(objs); i++) {
		why[0] = '\0';
		ok(objs[i].committed && !check_get(s, &objs[i], why,
						   sizeof(why)),
		   "get %s: data where written, zeros in holes%s%s",
		   objs[i].name, why[0] ? ": " : "", why);
	}
	for (i = 0; i < ARRAY_SIZE(objs); i++) {
		memset(&m, 0, sizeof(m));
		rc = s->ops->stat(s, objs[i].oid, &m);
		fill_meta(&objs[i], HSM_CHUNK_SHIFT_DEFAULT, &want);
		ok(rc == 0 && meta_equal(&m, &want),
		   "stat %s: the committed metadata (%d)", objs[i].name, rc);
		if (!rc)
			hsm_objmeta_free(&m);
		hsm_objmeta_free(&want);
	}

	memset(&seen, 0, sizeof(seen));
	rc = s->ops->list(s, list_cb, &seen);
	ok(rc == 0 && seen_is_committed(&seen),
	   "list finds exactly the %zu committed objects (%d, saw %zu)",
	   ARRAY_SIZE(objs), rc, seen.n);
	memset(&seen, 0, sizeof(seen));
	seen.stop_after = 2;
	rc = s->ops->list(s, list_cb, &seen);
	ok(rc == 7 && seen.n == 2,
	   "list stops when the callback returns non-zero (%d, saw %zu)", rc,
	   seen.n);

	before = walk(sdir);
	ok(walk_bad_modes == 0, "every store dir is 0700, every file 0600");

	/* nothing is visible until commit */
	hsm_oid_new(oid);
	rc = s->ops->put_begin(s, oid, &w);
	if (!rc) {
		pattern(buf, sizeof(buf), 0);
		rc = s->ops->put_write(w, buf, sizeof(buf), 2 * MiB);
	}
	if (!rc) {
		memset(&seen, 0, sizeof(seen));
		s->ops->list(s, list_cb, &seen);
		memset(&m, 0, sizeof(m));
		ok(seen_is_committed(&seen) &&
		   s->ops->get(s, oid, buf, 16, 2 * MiB) == -ENOENT &&
		   s->ops->stat(s, oid, &m) == -ENOENT,
		   "an uncommitted object is not listed, read or stat'ed");
		s->ops->put_abort(w);
		after = walk(sdir);
		ok(before && after && !strcmp(before, after),
		   "put_abort after writes leaves no file behind");
		if (before && after && strcmp(before, after))
			diag("before:\n%safter:\n%s", before, after);
		free(after);
	} else {
		fail("put_begin/put_write for abort (%d)", rc);
		fail("put_abort after writes: no writer");
	}

	hsm_oid_new(oid);
	rc = s->ops->put_begin(s, oid, &w);
	if (!rc)
		s->ops->put_abort(w);
	after = walk(sdir);
	ok(rc == 0 && before && after && !strcmp(before, after),
	   "put_abort right after put_begin leaves no file behind (%d)", rc);
	free(after);

	/* an interrupted upload (no abort) is cleaned by del */
	hsm_oid_new(oid);
	rc = s->ops->put_begin(s, oid, &w);
	if (!rc) {
		rc = s->ops->put_write(w, buf, sizeof(buf), 0);
		rc = s->ops->del(s, oid);
		after = walk(sdir);
		ok(rc == -ENOENT && before && after && !strcmp(before, after),
		   "del of a partial upload: -ENOENT, partial data gone (%d)",
		   rc);
		free(after);
		s->ops->put_abort(w);
	} else {
		fail("put_begin for a partial upload (%d)", rc);
	}

	/* a commit that fails leaves nothing: size smaller than a write */
	hsm_oid_new(oid);
	rc = s->ops->put_begin(s, oid, &w);
	if (!rc) {
		struct obj bad = { .name = "bad", .nw = 1,
				   .w = { { 0, 4096 } }, .size = 4096 };

		memcpy(bad.oid, oid, HSM_OID_LEN);
		fill_meta(&bad, HSM_CHUNK_SHIFT_DEFAULT, &m);
		m.map.ext[0].len = 8192;	/* past the size */
		rc = hsm_store_commit_one(s, w, &m);
		hsm_objmeta_free(&m);
		after = walk(sdir);
		ok(rc != 0 && before && after && !strcmp(before, after),
		   "put_commit of inconsistent metadata fails and leaves no "
		   "file (%d)", rc);
		if (!rc)
			s->ops->del(s, oid);
		free(after);
	} else {
		fail("put_begin for a failing commit (%d)", rc);
	}

	/* an oid that is already committed: refused at the publish (the
	 * rename never replaces), and the object stays as it was */
	if (objs[2].committed) {
		struct obj	other = { .name = "other", .nw = 1,
					  .w = { { 0, 4096 } }, .size = 4096 };
		struct hsm_objmeta was, now;

		memset(&was, 0, sizeof(was));
		memset(&now, 0, sizeof(now));
		memcpy(other.oid, objs[2].oid, HSM_OID_LEN);
		s->ops->stat(s, objs[2].oid, &was);
		rc = s->ops->put_begin(s, objs[2].oid, &w);
		if (!rc)
			rc = s->ops->put_write(w, buf, sizeof(buf), 0);
		if (!rc) {
			fill_meta(&other, HSM_CHUNK_SHIFT_DEFAULT, &m);
			rc = hsm_store_commit_one(s, w, &m);
			hsm_objmeta_free(&m);
		}
		after = walk(sdir);
		ok(rc == -EEXIST && !s->ops->stat(s, objs[2].oid, &now) &&
		   now.size == was.size && now.checksum == was.checksum &&
		   before && after && !strcmp(before, after),
		   "a second object of a committed oid: -EEXIST, the first "
		   "as it was (%d)", rc);
		hsm_objmeta_free(&was);
		hsm_objmeta_free(&now);
		free(after);
	} else {
		skip(1, "no committed object");
	}
	free(before);

	/* persistence: a new handle sees the same objects */
	hsm_store_close(s);
	rc = hsm_store_open(spec, U1, false, &s);
	if (rc) {
		skip(9, "cannot reopen the store (%d)", rc);
		return;
	}
	memset(&seen, 0, sizeof(seen));
	rc = s->ops->list(s, list_cb, &seen);
	why[0] = '\0';
	ok(rc == 0 && seen_is_committed(&seen) &&
	   !check_get(s, &objs[0], why, sizeof(why)),
	   "after reopen: same objects, same data %s", why);

	/* del */
	rc = s->ops->del(s, objs[0].oid);
	ok(rc == 0, "del %s (%d)", objs[0].name, rc);
	objs[0].committed = false;
	memset(&m, 0, sizeof(m));
	rc = s->ops->stat(s, objs[0].oid, &m);
	ok(rc == -ENOENT, "stat after del: -ENOENT (%d)", rc);
	rc = s->ops->get(s, objs[0].oid, buf, 16, 0);
	ok(rc == -ENOENT, "get after del: -ENOENT (%d)", rc);
	rc = s->ops->del(s, objs[0].oid);
	ok(rc == -ENOENT, "second del: -ENOENT (%d)", rc);
	hsm_oid_new(oid);
	rc = s->ops->del(s, oid);
	ok(rc == -ENOENT, "del of an unknown oid: -ENOENT (%d)", rc);
	memset(&seen, 0, sizeof(seen));
	rc = s->ops->list(s, list_cb, &seen);
	ok(rc == 0 && seen_is_committed(&seen),
	   "list after del: the others only (%d, saw %zu)", rc, seen.n);
	hsm_oid_hex(objs[0].oid, hex);
	after = walk(sdir);
	ok(after && !strstr(after, hex),
	   "no file named after the deleted object is left");
	free(after);

	/* get after del of the object read last (cached fd) */
	rc = s->ops->get(s, objs[2].oid, buf, 16, 0);
	if (rc >= 0)
		rc = s->ops->del(s, objs[2].oid);
	objs[2].committed = false;
	ok(rc == 0 && s->ops->get(s, objs[2].oid, buf, 16, 0) == -ENOENT,
	   "get of the last-read object after its del: -ENOENT (%d)", rc);
	hsm_store_close(s);
}

/* ---- object ids --------------------------------------------------------- */

static const struct {
	const char	*hex;
	int		expect;
} oid_hex[] = {
	{ "00000000000000000000000000000000", 0 },
	{ "0123456789abcdeffedcba9876543210", 0 },
	{ "ffffffffffffffffffffffffffffffff", 0 },
	{ "../../etc", -EINVAL },
	{ "../../../../../../../../etc/passwd", -EINVAL },
	{ "", -EINVAL },
	{ "0123456789abcdeffedcba987654321", -EINVAL },		/* 31 */
	{ "0123456789abcdeffedcba98765432100", -EINVAL },	/* 33 */
	{ "0123456789abcdeffedcba98765432/0", -EINVAL },
	{ "0123456789abcdeffedcba987654321g", -EINVAL },
	{ "0123456789abcdef fedcba987654321", -EINVAL },
	{ "0x23456789abcdeffedcba9876543210", -EINVAL },
	{ "0123456789ABCDEFFEDCBA9876543210", -EINVAL },	/* not canonical */
	{ "0123456789abcdeffedcba9876543210.meta", -EINVAL },
};

static void
test_oid(void)
{
	uint8_t		oid[HSM_OID_LEN], a[HSM_OID_LEN], b[HSM_OID_LEN];
	char		hex[40];
	size_t		i;
	int		rc;

	for (i = 0; i < ARRAY_SIZE(oid_hex); i++) {
		memset(oid, 0x5a, sizeof(oid));
		memset(hex, 'Z', sizeof(hex));
		rc = hsm_oid_parse(oid_hex[i].hex, oid);
		if (!rc)
			hsm_oid_hex(oid, hex);
		ok(rc == oid_hex[i].expect &&
		   (rc || !strcmp(hex, oid_hex[i].hex)),
		   "oid \"%s\": %s (%d)", oid_hex[i].hex,
		   oid_hex[i].expect ? "rejected" : "round trip", rc);
	}
	rc = hsm_oid_new(a);
	if (!rc)
		rc = hsm_oid_new(b);
	ok(rc == 0 && !hsm_oid_is_zero(a) && !hsm_oid_is_zero(b) &&
	   memcmp(a, b, HSM_OID_LEN),
	   "oid_new: two fresh ids, non-zero and different (%d)", rc);
}

/* ---- metadata text --------------------------------------------------------- */

static const struct {
	const char	*name;
	const char	*path;
	size_t		nw;
	struct wr	w[MAXW];
	uint64_t	size;
	unsigned	shift;
} metas[] = {
	{ "empty path, no data", "", 0, { { 0 } }, 0, 20 },
	{ "path with spaces", "/mnt/dir with spaces/a  b ", 1,
		{ { 0, 10 } }, 10, 20 },
	{ "path with newline and tab", "/mnt/a\nb\tc\r", 2,
		{ { 0, 10 }, { 4096, 1 } }, 5000, 12 },
	{ "non-UTF-8 path", "/mnt/\xff\xfe\x80\xc3(\x7f", 1,
		{ { MiB, MiB } }, 3 * MiB, 21 },
	{ "path with backslash escapes", "/mnt/\\x41\\\\x\\", 0, { { 0 } },
		1, 20 },
	{ "path 'end' and 'extents 9'", "end\nextents 9\nend", 0, { { 0 } },
		0, 20 },
	{ "huge sparse object", "/mnt/big", 3, { { 0, 1 }, { 1ULL << 40, 1 },
		{ (1ULL << 62) - 2, 2 } }, 1ULL << 62, 62 },
};

/* Lines to substitute into a valid text; NULL replacement = delete. */
static const struct {
	const char	*name;
	const char	*prefix;	/* the line to change */
	const char	*repl;		/* full new line, no newline */
} mal[] = {
	{ "other magic", "xfs-hsm-object", "xfs-hsm-object 3" },
	{ "inode line missing", "inode ", NULL },
	{ "inode mode not octal", "inode ", "inode 100648 1 2 3 4" },
	{ "inode uid negative", "inode ", "inode 100644 -1 2 3 4" },
	{ "inode four fields", "inode ", "inode 100644 1 2 3" },
	{ "atime nsec over 1e9", "atime ", "atime 1 1000000000" },
	{ "ctime missing", "ctime ", NULL },
	{ "xattrs count too big", "xattrs ", "xattrs 3" },
	{ "xattrs over the limit", "xattrs ", "xattrs 4097" },
	{ "xattr odd hex", "user.odd", "user.odd 00f" },
	{ "xattr bad hex", "user.odd", "user.odd 0g" },
	{ "xattr without value", "user.odd", "user.odd" },
	{ "xattr name bad escape", "user.odd", "user.\\q 00" },
	{ "links count too big", "links ", "links 3" },
	{ "links zero", "links ", "links 0" },
	{ "links over the limit", "links ", "links 4097" },
	{ "link empty", "link /mnt/third", "link " },
	{ "link bad escape", "link /mnt/third", "link /mnt/\\q" },
	{ "no magic", "xfs-hsm-object", NULL },
	{ "oid ../../etc", "oid ", "oid ../../etc" },
	{ "oid too short", "oid ", "oid 0123" },
	{ "oid line missing", "oid ", NULL },
	{ "fs_uuid short", "fs_uuid ", "fs_uuid 1234" },
	{ "ino not a number", "ino ", "ino abc" },
	{ "ino with junk", "ino ", "ino 12x" },
	{ "ino negative", "ino ", "ino -1" },
	{ "gen over 32 bits", "gen ", "gen 4294967296" },
	{ "size missing", "size ", NULL },
	{ "mtime one field", "mtime ", "mtime 1700000000" },
	{ "mtime nsec over 1e9", "mtime ", "mtime 1700000000 1000000000" },
	{ "checksum not hex", "checksum ", "checksum xyz" },
	{ "path escape unknown", "path ", "path /mnt/\\q" },
	{ "path escape short", "path ", "path /mnt/\\x4" },
	{ "path escape of NUL", "path ", "path /mnt/\\x00" },
	{ "extents count too big", "extents ", "extents 9" },
	{ "extent zero length", "0 4096", "0 0" },
	{ "extent past size", "0 4096", "0 999999999" },
	{ "extents out of order", "1048576 4096", "0 4096" },
	{ "extent with junk", "0 4096", "0 4096 7" },
	{ "chunk_shift 11", "chunk_shift ", "chunk_shift 11" },
	{ "chunk_shift 63", "chunk_shift ", "chunk_shift 63" },
	{ "chunk sum past the last chunk", "1 ", "2 00000000000000ff" },
	{ "chunk sums out of order", "1 ", "0 00000000000000ff" },
	{ "end missing", "end", NULL },
	{ "end misspelled", "end", "ende" },
};

/* The meta that the malformed rows start from. */
static const struct obj mal_base = {
	.name = "mal", .nw = 2, .w = { { 0, 4096 }, { MiB, 4096 } },
	.size = 2 * MiB, .path = "/mnt/file",
	.oid = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16 },
};

/* Copy of @text with the first line starting @prefix replaced. */
static char *
replace_line(
	const char	*text,
	const char	*prefix,
	const char	*repl)
{
	size_t		plen = strlen(prefix);
	const char	*l, *nl;
	char		*out;

	for (l = text; *l; l = nl + 1) {
		nl = strchr(l, '\n');
		if (!nl)
			return NULL;
		if (!strncmp(l, prefix, plen))
			break;
	}
	if (!*l)
		return NULL;
	out = malloc(strlen(text) + (repl ? strlen(repl) : 0) + 2);
	if (!out)
		return NULL;
	memcpy(out, text, l - text);
	out[l - text] = '\0';
	if (repl) {
		strcat(out, repl);
		strcat(out, "\n");
	}
	strcat(out, nl + 1);
	return out;
}

static void
test_objmeta(void)
{
	struct hsm_objmeta	m, back;
	struct obj		o;
	char			*text, *bad, *again;
	size_t			len, alen, i, j;
	int			rc;

	for (i = 0; i < ARRAY_SIZE(metas); i++) {
		memset(&o, 0, sizeof(o));
		o.nw = metas[i].nw;
		for (j = 0; j < o.nw; j++)
			o.w[j] = metas[i].w[j];
		o.size = metas[i].size;
		o.path = metas[i].path;
		memset(o.oid, 0xa0 + i, HSM_OID_LEN);
		fill_meta(&o, metas[i].shift, &m);
		rc = hsm_objmeta_format(&m, &text, &len);
		if (rc) {
			fail("objmeta %s: format failed (%d)", metas[i].name,
			     rc);
			hsm_objmeta_free(&m);
			continue;
		}
		memset(&back, 0x77, sizeof(back));
		rc = hsm_objmeta_parse(text, len, &back);
		ok(rc == 0 && meta_equal(&m, &back) &&
		   strlen(text) == len,
		   "objmeta %s: format/parse round trip (%d)", metas[i].name,
		   rc);
		if (!rc)
			hsm_objmeta_free(&back);
		hsm_objmeta_free(&m);
		free(text);
	}

	/* a path of 4095 bytes that all need escaping */
	memset(&o, 0, sizeof(o));
	fill_meta(&o, HSM_CHUNK_SHIFT_DEFAULT, &m);
	memset(m.path, 0xff, sizeof(m.path) - 1);
	m.path[sizeof(m.path) - 1] = '\0';
	rc = hsm_objmeta_format(&m, &text, &len);
	if (!rc) {
		rc = hsm_objmeta_parse(text, len, &back);
		ok(rc == 0 && meta_equal(&m, &back),
		   "objmeta: longest path, all escaped: round trip (%d)", rc);
		if (!rc)
			hsm_objmeta_free(&back);
		free(text);
	} else {
		fail("objmeta: longest path: format failed (%d)", rc);
	}
	hsm_objmeta_free(&m);

	/* malformed texts */
	o = mal_base;
	fill_meta(&o, HSM_CHUNK_SHIFT_DEFAULT, &m);	/* sums of chunks 0, 1 */
	rc = hsm_objmeta_format(&m, &text, &len);
	hsm_objmeta_free(&m);
	if (rc) {
		skip(ARRAY_SIZE(mal) + 7, "format failed (%d)", rc);
		return;
	}
	rc = hsm_objmeta_parse(text, len, &back);
	ok(rc == 0, "objmeta: the base of the malformed rows parses (%d)", rc);
	if (!rc)
		hsm_objmeta_free(&back);
	else
		diag("%s", text);
	for (i = 0; i < ARRAY_SIZE(mal); i++) {
		bad = replace_line(text, mal[i].prefix, mal[i].repl);
		if (!bad) {
			fail("objmeta %s: no line \"%s\"", mal[i].name,
			     mal[i].prefix);
			continue;
		}
		rc = hsm_objmeta_parse(bad, strlen(bad), &back);
		ok(rc == -EUCLEAN, "objmeta %s: -EUCLEAN (%d)", mal[i].name,
		   rc);
		if (!rc)
			hsm_objmeta_free(&back);
		free(bad);
	}
	/* a version 1 text, as stores written before hold: no inode lines */
	bad = strdup(text);
	if (bad) {
		char *a = strstr(bad, "\ninode "), *b = strstr(bad, "\nextents ");

		memcpy(bad, "xfs-hsm-object 1", 16);
		if (a && b)
			memmove(a, b, strlen(b) + 1);
		rc = hsm_objmeta_parse(bad, strlen(bad), &back);
		ok(rc == 0 && !back.has_inode && !back.nxattrs &&
		   back.size == mal_base.size,
		   "objmeta version 1: parsed, without inode fields (%d)", rc);
		/* names kept in it later (--refresh-paths): still version 1,
		 * no inode made up */
		if (!rc && !hsm_objmeta_add_link(&back, "/mnt/l") &&
		    !hsm_objmeta_format(&back, &again, &alen)) {
			struct hsm_objmeta v1;

			rc = hsm_objmeta_parse(again, alen, &v1);
			ok(!strncmp(again, "xfs-hsm-object 1\n", 17) &&
			   !strstr(again, "\ninode ") && rc == 0 &&
			   !v1.has_inode && v1.nlinks == 1 &&
			   !strcmp(v1.links[0], "/mnt/l"),
			   "objmeta version 1 with a link: stays version 1 "
			   "(%d)", rc);
			if (!rc)
				hsm_objmeta_free(&v1);
			free(again);
		} else {
			fail("objmeta version 1 with a link: not formatted");
		}
		if (!rc)
			hsm_objmeta_free(&back);
		free(bad);
	} else {
		skip(2, "out of memory");
	}
	rc = hsm_objmeta_parse(text, 0, &back);
	ok(rc == -EUCLEAN, "objmeta empty text: -EUCLEAN (%d)", rc);
	rc = hsm_objmeta_parse(text, len / 2, &back);
	ok(rc == -EUCLEAN, "objmeta truncated text: -EUCLEAN (%d)", rc);
	rc = hsm_objmeta_parse(text, len - 1, &back);
	ok(rc == -EUCLEAN, "objmeta without last newline: -EUCLEAN (%d)", rc);
	bad = malloc(len + 8);
	if (bad) {
		memcpy(bad, text, len);
		memcpy(bad + len, "junk\n", 5);
		rc = hsm_objmeta_parse(bad, len + 5, &back);
		ok(rc == -EUCLEAN, "objmeta with a line after end: -EUCLEAN "
		   "(%d)", rc);
		if (!rc)
			hsm_objmeta_free(&back);
		/* a NUL inside the first line */
		memcpy(bad, text, len);
		bad[strlen("xfs-hsm-object 2")] = '\0';
		memmove(bad + strlen("xfs-hsm-object 2") + 1,
			strchr(text, '\n'),
			len - (strchr(text, '\n') - text));
		rc = hsm_objmeta_parse(bad, len + 1, &back);
		ok(rc == -EUCLEAN, "objmeta with a NUL byte in a line: "
		   "-EUCLEAN (%d)", rc);
		if (!rc)
			hsm_objmeta_free(&back);
		free(bad);
	} else {
		skip(2, "out of memory");
	}
	free(text);
}


/* ---- where an object keeps its metadata text --------------------------- */

/* Does object @oid have a .meta file, and its data file the xattr? */
static void
meta_places(
	const uint8_t		*oid,
	bool			*file,
	bool			*xattr)
{
	char			data[HSM_OBJ_DATA_NAME], mname[HSM_OBJ_META_NAME];
	char			path[256];

	hsm_posix_object_names(oid, data, mname);
	snprintf(path, sizeof(path), "%s/objects/%s", sdir, mname);
	*file = access(path, F_OK) == 0;
	snprintf(path, sizeof(path), "%s/objects/%s", sdir, data);
	*xattr = getxattr(path, HSM_OBJFILE_META, NULL, 0) >= 0;
}

/* Commit object @o with an extra xattr of @bulk bytes in its metadata,
 * then stat it back: 0 if the text read is the text written. */
static int
put_meta(
	struct hsm_store	*s,
	struct obj		*o,
	size_t			bulk,
	bool			replace)
{
	struct hsm_store_writer	*w;
	struct hsm_objmeta	m, got;
	char			*big;
	int			rc;

	fill_meta(o, HSM_CHUNK_SHIFT_DEFAULT, &m);
	big = calloc(1, bulk + 1);
	if (bulk)
		hsm_objmeta_add_xattr(&m, "user.bulk", big, bulk);
	free(big);
	if (replace) {
		rc = s->ops->replace_meta(s, o->oid, &m);
	} else {
		rc = s->ops->put_begin(s, o->oid, &w);
		if (!rc)
			rc = hsm_store_commit_one(s, w, &m);
	}
	memset(&got, 0, sizeof(got));
	if (!rc)
		rc = s->ops->stat(s, o->oid, &got);
	if (!rc && !meta_equal(&got, &m))
		rc = -EBADMSG;
	if (!rc)
		hsm_objmeta_free(&got);
	hsm_objmeta_free(&m);
	return rc;
}

#define NR_META_TESTS	8

static void
test_meta_places(void)
{
	struct obj		o = { "meta", { { 0 } }, 0, 0, "/mnt/m",
				      { 0 }, false };
	char			data[HSM_OBJ_DATA_NAME], mname[HSM_OBJ_META_NAME];
	char			path[256], *text = NULL;
	struct hsm_objmeta	m;
	struct hsm_store	*s;
	bool			file, xattr;
	ssize_t			n;
	int			rc, fd;

	rc = hsm_store_open(spec, U1, false, &s);
	if (rc) {
		skip(NR_META_TESTS, "cannot open the store (%d)", rc);
		return;
	}
	hsm_oid_new(o.oid);
	rc = put_meta(s, &o, 0, false);
	meta_places(o.oid, &file, &xattr);
	ok(rc == 0 && xattr && !file,
	   "a new object keeps its text in its xattr, no .meta (%d)", rc);
	rc = put_meta(s, &o, 60000, true);
	meta_places(o.oid, &file, &xattr);
	ok(rc == 0 && !xattr && file,
	   "a text grown past one xattr moves to a .meta file (%d)", rc);
	rc = put_meta(s, &o, 0, true);
	meta_places(o.oid, &file, &xattr);
	ok(rc == 0 && !xattr && file,
	   "and a smaller one replaces it there (%d)", rc);

	hsm_oid_new(o.oid);
	rc = put_meta(s, &o, 60000, false);
	meta_places(o.oid, &file, &xattr);
	ok(rc == 0 && !xattr && file,
	   "a new object with a text too large for an xattr has a .meta (%d)",
	   rc);

	/* ext4 refuses an xattr past a block with ENOSPC: a .meta there */
	hsm_oid_new(o.oid);
	rc = put_meta(s, &o, 3000, false);
	meta_places(o.oid, &file, &xattr);
	ok(rc == 0 && xattr != file,
	   "a text of some 6 KiB goes to one place or the other (%d: %s)", rc,
	   xattr ? "xattr" : file ? ".meta" : "none");

	/* an object as older versions wrote it: the text in a .meta file */
	hsm_oid_new(o.oid);
	rc = put_meta(s, &o, 0, false);
	hsm_posix_object_names(o.oid, data, mname);
	snprintf(path, sizeof(path), "%s/objects/%s", sdir, data);
	fd = open(path, O_RDONLY);
	n = fd < 0 ? -errno : hsm_objfile_get_meta(fd, &text);
	if (n > 0) {
		FILE *f;

		snprintf(path, sizeof(path), "%s/objects/%s", sdir, mname);
		f = fopen(path, "w");
		if (f) {
			fwrite(text, 1, n, f);
			fclose(f);
		}
		hsm_objfile_drop_meta(fd);
	}
	free(text);
	if (fd >= 0)
		close(fd);
	memset(&m, 0, sizeof(m));
	rc = s->ops->stat(s, o.oid, &m);
	meta_places(o.oid, &file, &xattr);
	ok(rc == 0 && file && !xattr && !memcmp(m.oid, o.oid, HSM_OID_LEN),
	   "an object with a .meta file of an older version reads (%d)", rc);
	if (!rc)
		hsm_objmeta_free(&m);
	rc = s->ops->del(s, o.oid);
	meta_places(o.oid, &file, &xattr);
	ok(rc == 0 && !file, "del removes its data and .meta (%d)", rc);

	hsm_oid_new(o.oid);
	rc = put_meta(s, &o, 0, false);
	if (!rc)
		rc = s->ops->del(s, o.oid);
	memset(&m, 0, sizeof(m));
	ok(rc == 0 && s->ops->stat(s, o.oid, &m) == -ENOENT,
	   "del of an object without .meta: 0, and it is gone (%d)", rc);
	hsm_store_close(s);
}

/* ---- the marker's format ------------------------------------------------ */

static char *
read_marker(
	const char		*dir)
{
	static char		text[128];
	char			path[256];
	FILE			*f;
	size_t			n;

	snprintf(path, sizeof(path), "%s/.xfs-hsm-store", dir);
	f = fopen(path, "r");
	if (!f)
		return "";
	n = fread(text, 1, sizeof(text) - 1, f);
	fclose(f);
	text[n] = '\0';
	return text;
}

static void
write_marker(
	const char		*dir,
	const char		*text)
{
	char			path[256];
	FILE			*f;

	snprintf(path, sizeof(path), "%s/.xfs-hsm-store", dir);
	f = fopen(path, "w");
	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

#define NR_MARKER_TESTS	6

static void
test_marker_format(void)
{
	struct obj		o = { "fmt", { { 0, 100 } }, 1, 100, "/mnt/f",
				      { 0 }, false };
	char			dir[128], fspec[160], v1[128], v2[128];
	struct hsm_store	*s = NULL;
	int			rc;

	snprintf(dir, sizeof(dir), "%s/fmt", base);
	snprintf(fspec, sizeof(fspec), "posix:%s", dir);
	mkdir(dir, 0700);
	snprintf(v1, sizeof(v1), "xfs-hsm-store 1\nfs_uuid %s\n", U1);
	snprintf(v2, sizeof(v2), "xfs-hsm-store 2\nfs_uuid %s\n", U1);

	rc = hsm_store_open(fspec, U1, true, &s);
	ok(rc == 0 && !strcmp(read_marker(dir), v2),
	   "a new posix store's marker says format 2 (%d)", rc);
	hsm_store_close(s);
	s = NULL;

	write_marker(dir, v1);
	rc = hsm_store_open(fspec, U1, false, &s);
	ok(rc == 0 && !strcmp(read_marker(dir), v1),
	   "a format 1 store opens, its marker left as it is (%d)", rc);
	hsm_oid_new(o.oid);
	if (!rc)
		rc = put_obj(s, &o);
	ok(rc == 0 && !strcmp(read_marker(dir), v2),
	   "its first new object makes it say format 2 (%d)", rc);
	hsm_store_close(s);
	s = NULL;
	rc = hsm_store_open(fspec, U1, false, &s);
	ok(rc == 0, "and it opens again (%d)", rc);
	hsm_store_close(s);
	s = NULL;

	write_marker(dir, "xfs-hsm-store 3\nfs_uuid 11111111-2222-3333-4444-"
		     "555555555555\n");
	rc = hsm_store_open(fspec, U1, false, &s);
	ok(rc == -EPROTO, "a format newer than this version's: -EPROTO (%d)",
	   rc);
	write_marker(dir, "xfs-hsm-store x\nfs_uuid 1\n");
	rc = hsm_store_open(fspec, U1, false, &s);
	ok(rc == -EUCLEAN, "a marker with no format: -EUCLEAN (%d)", rc);
}

#define NR_TEXT_TESTS	3

/*
 * A text of any length comes back whole from the xattr: the first read
 * takes 4 KiB, a longer text is read again at its length.  On tmpfs,
 * which takes user xattrs of any length up to 64 KiB (ext4 stops at a
 * block, and the store has a .meta file then).
 */
static void
test_text_lengths(void)
{
	static const size_t	lens[NR_TEXT_TESTS] = { 100, 4096 + 1, 60000 };
	char			path[] = "/dev/shm/test_store.XXXXXX";
	char			*text, *got = NULL;
	ssize_t			n;
	size_t			i, k;
	int			fd, rc;

	fd = mkstemp(path);
	if (fd < 0) {
		skip(NR_TEXT_TESTS, "no /dev/shm: %s", strerror(errno));
		return;
	}
	unlink(path);
	for (i = 0; i < NR_TEXT_TESTS; i++) {
		text = malloc(lens[i]);
		for (k = 0; text && k < lens[i]; k++)
			text[k] = 'a' + (k * 7 + i) % 26;
		rc = text ? hsm_objfile_set_meta(fd, text, lens[i]) : -ENOMEM;
		if (rc == -EOPNOTSUPP) {
			skip(1, "tmpfs takes no user xattr of %zu bytes",
			     lens[i]);
			free(text);
			continue;
		}
		n = rc ? rc : hsm_objfile_get_meta(fd, &got);
		ok(n == (ssize_t)lens[i] && !memcmp(got, text, lens[i]) &&
		   got[n] == '\0',
		   "a text of %zu bytes reads back whole (%zd)", lens[i], n);
		free(got);
		got = NULL;
		free(text);
	}
	close(fd);
}

int
main(void)
{
	const char	*tmp = getenv("TMPDIR");

	plan_tests(NR_OPEN_TESTS + 3 * ARRAY_SIZE(objs) + 18 +
		   ARRAY_SIZE(oid_hex) + 1 +
		   ARRAY_SIZE(metas) + 1 + 1 + ARRAY_SIZE(mal) + 7 +
		   NR_META_TESTS + NR_MARKER_TESTS + NR_TEXT_TESTS);

	snprintf(base, sizeof(base), "%s/test_store.XXXXXX",
		 tmp && *tmp && strlen(tmp) < 30 ? tmp : "/tmp");
	if (!mkdtemp(base)) {
		diag("mkdtemp %s: %s", base, strerror(errno));
		return exit_status();
	}
	snprintf(sdir, sizeof(sdir), "%s/store", base);
	snprintf(spec, sizeof(spec), "posix:%s", sdir);
	if (mkdir(sdir, 0755) < 0)
		diag("mkdir %s: %s", sdir, strerror(errno));

	test_open();
	test_objects();
	test_meta_places();
	test_text_lengths();
	test_marker_format();
	test_oid();
	test_objmeta();

	if (!getenv("KEEP_TMP"))
		nftw(base, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	else
		diag("left %s", base);
	return exit_status();
}
