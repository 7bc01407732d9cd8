// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * storeobj.c - list, check, delete, corrupt and read the objects of a
 * filesystem's store through libhsm, so that the integration tests ask the
 * store and never reach into its layout: the same test runs against a
 * posix, rados or s3 store.
 *
 *   storeobj MOUNT [-s STORE_ID] VERB [ARGS]
 *
 *   ls                  every committed object id, one per line, sorted
 *   has OID             exit 0 if OID is committed, 1 if not
 *   rm OID              delete OID, durably
 *   corrupt OID OFFSET  invert every bit of the data byte at OFFSET: the
 *                       object and its metadata are read, the object is
 *                       deleted and written again under the same id with
 *                       the same metadata, so its checksums no longer match
 *   cat OID             OID's data on stdout (its size, holes as zeros)
 *   names OID           the names its metadata keeps: "path P", then
 *                       "link L" for each other one
 *
 * STORE_ID is a store id of the filesystem (xfs_hsm store list); the
 * default is the primary.  Errors print "storeobj: SUBJECT: reason" and
 * exit 2; a usage error exits 8.
 *
 * The store vtable (store/store.h) is what libhsm's own operations use;
 * its functions are reached through the handle, so none of them need be
 * exported.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "fs/fsP.h"
#include "store/store.h"

#define IO_BUF		(1U << 20)
#define EXIT_ERROR	2
#define EXIT_USAGE	8

static const char	*subject;	/* what errors are about */

static void __attribute__((noreturn, format(printf, 1, 2)))
die(
	const char	*fmt,
	...)
{
	va_list		ap;

	fprintf(stderr, "storeobj: %s: ", subject);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(EXIT_ERROR);
}

static void __attribute__((noreturn))
usage(void)
{
	fprintf(stderr,
"usage: storeobj <mount> [-s <store id>] ls\n"
"       storeobj <mount> [-s <store id>] has|rm|cat <oid>\n"
"       storeobj <mount> [-s <store id>] corrupt <oid> <offset>\n");
	exit(EXIT_USAGE);
}

/* What an error of the store means for an object. */
static const char *
obj_strerror(
	int		error)
{
	return error == -ENOENT ? "no such object" : strerror(-error);
}

/* Strict unsigned number; exits on anything else. */
static uint64_t
number(
	const char	*s)
{
	char		*end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || end == s || *end || *s == '-') {
		fprintf(stderr, "storeobj: invalid number '%s'\n", s);
		exit(EXIT_USAGE);
	}
	return v;
}

/* Store @id's handle (the caller thread's, in fs->own). */
static struct hsm_store *
store_open(
	struct hsm_fs		*fs,
	uint32_t		id)
{
	struct hsm_store	*s;
	int			error;

	s = hsm_fs_store_get(fs, &fs->own, id, &error);
	if (!s)
		die("%s", hsm_strerror(fs, error));
	return s;
}

/* Read exactly @len bytes of @oid at @off: 0 or -errno. */
static int
get_all(
	struct hsm_store	*s,
	const uint8_t		*oid,
	char			*buf,
	size_t			len,
	uint64_t		off)
{
	ssize_t			n;

	n = s->ops->get(s, oid, buf, len, off);
	if (n < 0)
		return n;
	return (size_t)n == len ? 0 : -EUCLEAN;	/* shorter than its size */
}

/* The object ids a listing gave. */
struct oid_list {
	uint8_t		(*v)[HSM_OID_LEN];
	size_t		n, alloc;
};

static int
list_one(
	const uint8_t	*oid,
	void		*arg)
{
	struct oid_list	*o = arg;
	void		*p;

	if (o->n == o->alloc) {
		o->alloc = o->alloc ? 2 * o->alloc : 256;
		p = realloc(o->v, o->alloc * HSM_OID_LEN);
		if (!p)
			return -ENOMEM;
		o->v = p;
	}
	memcpy(o->v[o->n++], oid, HSM_OID_LEN);
	return 0;
}

static int
oid_cmp(
	const void	*a,
	const void	*b)
{
	return memcmp(a, b, HSM_OID_LEN);
}

/* ls: every committed object, sorted (byte order is hex order). */
static void
obj_ls(
	struct hsm_store	*s)
{
	struct oid_list		o = { NULL, 0, 0 };
	char			hex[33];
	size_t			i;
	int			error;

	error = s->ops->list(s, list_one, &o);
	if (error)
		die("cannot list: %s", strerror(-error));
	qsort(o.v, o.n, HSM_OID_LEN, oid_cmp);
	for (i = 0; i < o.n; i++) {
		hsm_oid_hex(o.v[i], hex);
		printf("%s\n", hex);
	}
	free(o.v);
}

/* has: 0 committed, 1 not.  Damaged metadata still means committed. */
static int
obj_has(
	struct hsm_store	*s,
	const uint8_t		*oid)
{
	struct hsm_objmeta	meta;
	int			error;

	memset(&meta, 0, sizeof(meta));
	error = s->ops->stat(s, oid, &meta);
	if (!error)
		hsm_objmeta_free(&meta);
	if (error == -ENOENT)
		return 1;
	if (error && error != -EUCLEAN)
		die("%s", obj_strerror(error));
	return 0;
}

/* rm: delete, durably. */
static void
obj_rm(
	struct hsm_store	*s,
	const uint8_t		*oid)
{
	int			error;

	error = hsm_store_del_sync(s, oid);
	if (error)
		die("cannot delete: %s", obj_strerror(error));
}

/* names: the path and links the metadata keeps. */
static void
obj_names(
	struct hsm_store	*s,
	const uint8_t		*oid)
{
	struct hsm_objmeta	meta;
	size_t			i;
	int			error;

	memset(&meta, 0, sizeof(meta));
	error = s->ops->stat(s, oid, &meta);
	if (error)
		die("%s", obj_strerror(error));
	printf("path %s\n", meta.path);
	for (i = 0; i < meta.nlinks; i++)
		printf("link %s\n", meta.links[i]);
	hsm_objmeta_free(&meta);
}

/* cat: [0, size) in pieces; a store reads holes as zeros. */
static void
obj_cat(
	struct hsm_store	*s,
	const uint8_t		*oid)
{
	struct hsm_objmeta	meta;
	uint64_t		off;
	size_t			len;
	char			*buf;
	int			error;

	memset(&meta, 0, sizeof(meta));
	error = s->ops->stat(s, oid, &meta);
	if (error)
		die("%s", obj_strerror(error));
	buf = malloc(IO_BUF);
	if (!buf)
		die("%s", strerror(ENOMEM));
	for (off = 0; off < meta.size; off += len) {
		len = meta.size - off < IO_BUF ? meta.size - off : IO_BUF;
		error = get_all(s, oid, buf, len, off);
		if (error)
			die("cannot read at %llu: %s", (unsigned long long)off,
			    strerror(-error));
		if (fwrite(buf, 1, len, stdout) != len)
			die("cannot write: %s", strerror(errno));
	}
	free(buf);
	hsm_objmeta_free(&meta);
}

/*
 * Read the data segments of @oid as @meta maps them into one buffer, end
 * to end, with the byte at @flip inverted.  Exits if @flip is in no data
 * segment (a hole is no byte of the object).
 */
static char *
read_flipped(
	struct hsm_store	*s,
	const uint8_t		*oid,
	const struct hsm_objmeta *meta,
	uint64_t		flip)
{
	const struct hsm_extent	*e;
	uint64_t		total = 0, at = 0;
	bool			hit = false;
	size_t			i;
	char			*buf;
	int			error;

	for (i = 0; i < meta->map.nr; i++)
		total += meta->map.ext[i].len;
	buf = malloc(total ? total : 1);
	if (!buf)
		die("%s", strerror(ENOMEM));
	for (i = 0; i < meta->map.nr; at += e->len, i++) {
		e = &meta->map.ext[i];
		error = get_all(s, oid, buf + at, e->len, e->off);
		if (error)
			die("cannot read at %llu: %s",
			    (unsigned long long)e->off, strerror(-error));
		if (flip >= e->off && flip - e->off < e->len) {
			buf[at + flip - e->off] ^= 0xff;
			hit = true;
		}
	}
	if (!hit)
		die("offset %llu is not in the object's data",
		    (unsigned long long)flip);
	return buf;
}

/*
 * corrupt: stores never rewrite an object in place (put_begin refuses a
 * committed id), so delete it and put it again: the segments in order (a
 * store may keep them end to end), the same metadata, published.
 */
static void
obj_corrupt(
	struct hsm_store	*s,
	const uint8_t		*oid,
	uint64_t		flip)
{
	struct hsm_store_writer	*w;
	struct hsm_objmeta	meta;
	const struct hsm_extent	*e;
	uint64_t		at = 0;
	size_t			i;
	char			*buf;
	int			error;

	memset(&meta, 0, sizeof(meta));
	error = s->ops->stat(s, oid, &meta);
	if (error)
		die("%s", obj_strerror(error));
	buf = read_flipped(s, oid, &meta, flip);
	obj_rm(s, oid);
	error = s->ops->put_begin(s, oid, &w);
	if (error)
		die("deleted, cannot write again: %s", strerror(-error));
	for (i = 0; i < meta.map.nr; at += e->len, i++) {
		e = &meta.map.ext[i];
		error = s->ops->put_write(w, buf + at, e->len, e->off);
		if (error) {
			s->ops->put_abort(w);
			die("deleted, cannot write again: %s",
			    strerror(-error));
		}
	}
	error = hsm_store_commit_one(s, w, &meta);
	if (error)
		die("deleted, cannot publish again: %s", strerror(-error));
	free(buf);
	hsm_objmeta_free(&meta);
}

/* How many arguments @verb takes, or -1 for no such verb. */
static int
verb_args(
	const char	*verb)
{
	static const struct {
		const char	*name;
		int		args;
	} verbs[] = {
		{ "ls", 0 }, { "has", 1 }, { "rm", 1 }, { "cat", 1 },
		{ "names", 1 }, { "corrupt", 2 },
	};
	size_t		i;

	for (i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
		if (!strcmp(verbs[i].name, verb))
			return verbs[i].args;
	return -1;
}

int
main(
	int		argc,
	char		**argv)
{
	struct hsm_store *s;
	struct hsm_fs	*fs;
	uint8_t		oid[HSM_OID_LEN];
	uint64_t	id = 0;		/* 0: the primary */
	uint64_t	flip = 0;
	const char	*verb;
	int		a = 2, ret = 0, error;

	if (argc > 3 && !strcmp(argv[a], "-s")) {
		id = number(argv[a + 1]);
		if (!id || id > UINT32_MAX)
			usage();
		a += 2;
	}
	if (a >= argc)
		usage();
	verb = argv[a++];
	if (argc - a != verb_args(verb))
		usage();
	if (!strcmp(verb, "corrupt"))
		flip = number(argv[a + 1]);

	subject = argv[1];
	error = hsm_fs_open(argv[1], 0, &fs);
	if (error)
		die("%s", hsm_strerror(NULL, error));
	s = store_open(fs, id ? id : fs->store_id);
	if (strcmp(verb, "ls")) {
		subject = argv[a];
		if (hsm_oid_parse(argv[a], oid))
			die("not an object id");
	}

	if (!strcmp(verb, "ls"))
		obj_ls(s);
	else if (!strcmp(verb, "has"))
		ret = obj_has(s, oid);
	else if (!strcmp(verb, "rm"))
		obj_rm(s, oid);
	else if (!strcmp(verb, "cat"))
		obj_cat(s, oid);
	else if (!strcmp(verb, "names"))
		obj_names(s, oid);
	else
		obj_corrupt(s, oid, flip);

	if (fflush(stdout) || ferror(stdout))
		die("cannot write: %s", strerror(errno));
	hsm_fs_free(fs);
	return ret;
}
