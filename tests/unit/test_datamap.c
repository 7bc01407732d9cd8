// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test_datamap.c - data maps (hsm_datamap_add merging, _bytes, _read on a
 * sparse file) and the content checksum, checked against an XXH3 taken
 * here over (le64 offset, le64 length, bytes) per data segment.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xxhash.h>

#include "base/base.h"
#include "tap.h"
#include "pattern.h"

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define KiB		(1ULL << 10)
#define MiB		(1ULL << 20)
#define GiB		(1ULL << 30)
#define MAXEXT		8

struct ext {
	uint64_t	off, len;
};

/* ---- hsm_datamap_add ---------------------------------------------------- */

static const struct {
	const char	*name;
	struct ext	add[MAXEXT];
	size_t		nadd;
	struct ext	want[MAXEXT];
	size_t		nwant;
} adds[] = {
	{ "empty map", { { 0 } }, 0, { { 0 } }, 0 },
	{ "one extent", { { 0, 10 } }, 1, { { 0, 10 } }, 1 },
	{ "adjacent extents merge", { { 0, 10 }, { 10, 5 } }, 2,
		{ { 0, 15 } }, 1 },
	{ "a run of adjacent extents merges", { { 4096, 1 }, { 4097, 1 },
		{ 4098, 1 }, { 4099, 1 } }, 4, { { 4096, 4 } }, 1 },
	{ "a gap keeps extents apart", { { 0, 10 }, { 11, 5 } }, 2,
		{ { 0, 10 }, { 11, 5 } }, 2 },
	{ "merge after a gap", { { 0, 10 }, { 20, 5 }, { 25, 5 },
		{ 40, 1 } }, 4, { { 0, 10 }, { 20, 10 }, { 40, 1 } }, 3 },
	{ "zero lengths are ignored", { { 0, 0 }, { 5, 0 } }, 2,
		{ { 0 } }, 0 },
	{ "zero length between adjacent", { { 0, 10 }, { 10, 0 },
		{ 10, 5 } }, 3, { { 0, 15 } }, 1 },
	{ "zero length in a gap", { { 0, 10 }, { 15, 0 }, { 20, 5 } }, 3,
		{ { 0, 10 }, { 20, 5 } }, 2 },
	{ "large offsets", { { 1ULL << 62, 1ULL << 40 },
		{ (1ULL << 62) + (1ULL << 40), 1 } }, 2,
		{ { 1ULL << 62, (1ULL << 40) + 1 } }, 1 },
};

/* Adds that break the map's order: refused with -EINVAL. */
static const struct {
	const char	*name;
	struct ext	add[MAXEXT];
	size_t		nadd;
} misordered[] = {
	{ "overlapping extent", { { 0, 10 }, { 5, 10 } }, 2 },
	{ "extent before the last", { { 20, 5 }, { 0, 5 } }, 2 },
	{ "extent wrapping past 2^64", { { UINT64_MAX - 1, 8 } }, 1 },
};

static bool
map_is(
	const struct hsm_datamap *m,
	const struct ext	*want,
	size_t			n)
{
	size_t			i;

	if (m->nr != n)
		return false;
	for (i = 0; i < n; i++)
		if (m->ext[i].off != want[i].off || m->ext[i].len != want[i].len)
			return false;
	return true;
}

/* "(off,len) (off,len)" of @m, for diagnostics. */
static void
diag_map(
	const char		*what,
	const struct hsm_datamap *m)
{
	char			buf[512];
	size_t			i, o = 0;

	buf[0] = '\0';
	for (i = 0; i < m->nr && o < sizeof(buf) - 48; i++)
		o += snprintf(buf + o, sizeof(buf) - o, " (%llu,%llu)",
			      (unsigned long long)m->ext[i].off,
			      (unsigned long long)m->ext[i].len);
	diag("%s:%s", what, m->nr ? buf : " (empty)");
}

static void
test_add(void)
{
	struct hsm_datamap	m;
	uint64_t		sum;
	size_t			i, j;
	int			rc;

	for (i = 0; i < ARRAY_SIZE(adds); i++) {
		memset(&m, 0, sizeof(m));
		rc = 0;
		for (j = 0; j < adds[i].nadd && !rc; j++)
			rc = hsm_datamap_add(&m, adds[i].add[j].off,
					     adds[i].add[j].len);
		sum = 0;
		for (j = 0; j < adds[i].nwant; j++)
			sum += adds[i].want[j].len;
		if (!ok(rc == 0 && map_is(&m, adds[i].want, adds[i].nwant) &&
			hsm_datamap_bytes(&m) == sum,
			"datamap_add: %s (rc %d, %llu bytes)", adds[i].name, rc,
			(unsigned long long)hsm_datamap_bytes(&m)))
			diag_map("got", &m);
		hsm_datamap_free(&m);
		ok(m.ext == NULL && m.nr == 0 && m.alloc == 0,
		   "datamap_free: %s leaves an empty map", adds[i].name);
	}

	/* Growth past any initial allocation: 1000 separate extents. */
	memset(&m, 0, sizeof(m));
	rc = 0;
	for (j = 0; j < 1000 && !rc; j++)
		rc = hsm_datamap_add(&m, j * 8192, 4096);
	for (j = 0, i = 0; j < m.nr; j++)
		i += m.ext[j].off == j * 8192 && m.ext[j].len == 4096;
	ok(rc == 0 && m.nr == 1000 && i == 1000 &&
	   hsm_datamap_bytes(&m) == 1000 * 4096,
	   "datamap_add: 1000 extents kept in order (rc %d, nr %zu)", rc,
	   m.nr);
	hsm_datamap_free(&m);

	for (i = 0; i < ARRAY_SIZE(misordered); i++) {
		memset(&m, 0, sizeof(m));
		rc = 0;
		for (j = 0; j < misordered[i].nadd && !rc; j++)
			rc = hsm_datamap_add(&m, misordered[i].add[j].off,
					     misordered[i].add[j].len);
		ok(rc == -EINVAL, "datamap_add refuses %s (rc %d)",
		   misordered[i].name, rc);
		hsm_datamap_free(&m);
	}
}

/* ---- hsm_datamap_read on sparse files ------------------------------------ */

#define WCHUNK	(64 * KiB)	/* write unit: a multiple of any block size */

static const struct {
	const char	*name;
	uint64_t	writes[MAXEXT];	/* WCHUNK bytes at each offset */
	size_t		nwrites;
	uint64_t	fsize;		/* file size (ftruncate) */
	uint64_t	mapsize;	/* size passed to datamap_read */
	struct ext	want[MAXEXT];
	size_t		nwant;
} sparse[] = {
	{ "holes between writes at 0, 1 MiB, 5 MiB",
		{ 0, MiB, 5 * MiB }, 3, 8 * MiB, 8 * MiB,
		{ { 0, WCHUNK }, { MiB, WCHUNK }, { 5 * MiB, WCHUNK } }, 3 },
	{ "map size cuts the last segment",
		{ 0, MiB, 5 * MiB }, 3, 8 * MiB, 5 * MiB + 4096,
		{ { 0, WCHUNK }, { MiB, WCHUNK }, { 5 * MiB, 4096 } }, 3 },
	{ "map size at the start of a segment",
		{ 0, MiB, 5 * MiB }, 3, 8 * MiB, 5 * MiB,
		{ { 0, WCHUNK }, { MiB, WCHUNK } }, 2 },
	{ "map size 0", { 0, MiB }, 2, 8 * MiB, 0, { { 0 } }, 0 },
	{ "leading hole, data at the end",
		{ 8 * MiB - WCHUNK }, 1, 8 * MiB, 8 * MiB,
		{ { 8 * MiB - WCHUNK, WCHUNK } }, 1 },
	{ "adjacent writes are one segment",
		{ 0, WCHUNK, 2 * WCHUNK }, 3, 4 * MiB, 4 * MiB,
		{ { 0, 3 * WCHUNK } }, 1 },
	{ "no data at all (1 GiB hole)", { 0 }, 0, GiB, GiB, { { 0 } }, 0 },
	{ "empty file", { 0 }, 0, 0, 0, { { 0 } }, 0 },
};

static const char *
tmp_dir(void)
{
	const char	*d = getenv("TMPDIR");

	return d && *d ? d : "/tmp";
}

/* An unlinked temp file with @n WCHUNK writes; -1 on failure. */
static int
make_sparse(
	const uint64_t	*writes,
	size_t		n,
	uint64_t	size)
{
	static uint8_t	buf[WCHUNK];
	char		*path;
	size_t		i;
	int		fd;

	if (asprintf(&path, "%s/test_datamap.XXXXXX", tmp_dir()) < 0)
		return -1;
	fd = mkstemp(path);
	if (fd < 0) {
		diag("mkstemp %s: %s", path, strerror(errno));
		free(path);
		return -1;
	}
	unlink(path);
	free(path);
	if (ftruncate(fd, size) < 0)
		goto out_fail;
	for (i = 0; i < n; i++) {
		pattern(buf, WCHUNK, writes[i]);
		if (pwrite(fd, buf, WCHUNK, writes[i]) != (ssize_t)WCHUNK)
			goto out_fail;
	}
	if (fsync(fd) < 0)
		goto out_fail;
	return fd;
out_fail:
	diag("making a sparse file: %s", strerror(errno));
	close(fd);
	return -1;
}

/* Does the temp filesystem report holes?  NULL if so, else why not. */
static const char *
no_seek_hole(void)
{
	static char	why[128];
	uint64_t	w = MiB;
	off_t		hole;
	int		fd;

	fd = make_sparse(&w, 1, 4 * MiB);
	if (fd < 0)
		return "cannot make a sparse temp file";
	hole = lseek(fd, 0, SEEK_HOLE);
	if (hole < 0)
		snprintf(why, sizeof(why), "SEEK_HOLE on %s: %s", tmp_dir(),
			 strerror(errno));
	else if (hole != 0 || lseek(fd, 0, SEEK_DATA) != (off_t)MiB)
		snprintf(why, sizeof(why), "%s does not report holes "
			 "(SEEK_DATA/SEEK_HOLE)", tmp_dir());
	close(fd);
	return hole == 0 && !why[0] ? NULL : why;
}

static void
test_read(void)
{
	struct hsm_datamap	m;
	const char		*why = no_seek_hole();
	size_t			i;
	int			fd, rc;

	if (why) {
		skip(ARRAY_SIZE(sparse), "%s", why);
		return;
	}
	for (i = 0; i < ARRAY_SIZE(sparse); i++) {
		fd = make_sparse(sparse[i].writes, sparse[i].nwrites,
				 sparse[i].fsize);
		if (fd < 0) {
			fail("datamap_read: %s: no temp file", sparse[i].name);
			continue;
		}
		memset(&m, 0xa5, sizeof(m));	/* read must not trust it */
		rc = hsm_datamap_read(fd, sparse[i].mapsize, &m);
		if (!ok(rc == 0 && map_is(&m, sparse[i].want, sparse[i].nwant),
			"datamap_read: %s (rc %d)", sparse[i].name, rc) && !rc)
			diag_map("got", &m);
		if (!rc)
			hsm_datamap_free(&m);
		close(fd);
	}
}

/* ---- checksum --------------------------------------------------------- */

/* XXH3 over (le64 off, le64 len, bytes) per segment, in one buffer. */
static uint64_t
ref_csum(
	const struct ext	*segs,
	size_t			n)
{
	uint8_t			*buf, *p;
	size_t			i, total = 0;
	uint64_t		sum;
	int			b;

	for (i = 0; i < n; i++)
		total += 16 + segs[i].len;
	buf = p = malloc(total + 1);
	if (!buf)
		return 0;
	for (i = 0; i < n; i++) {
		for (b = 0; b < 8; b++)
			*p++ = segs[i].off >> (8 * b);
		for (b = 0; b < 8; b++)
			*p++ = segs[i].len >> (8 * b);
		pattern(p, segs[i].len, segs[i].off);
		p += segs[i].len;
	}
	sum = XXH3_64bits(buf, total);
	free(buf);
	return sum;
}

static const struct {
	const char	*name;
	struct ext	segs[MAXEXT];
	size_t		nsegs;
	size_t		piece;		/* feed data in pieces of this size */
} csums[] = {
	{ "no segments", { { 0 } }, 0, 1 },
	{ "one empty segment", { { 0, 0 } }, 1, 1 },
	{ "one byte", { { 0, 1 } }, 1, 1 },
	{ "one segment at 0", { { 0, 100000 } }, 1, 100000 },
	{ "one segment, fed bytewise", { { 4096, 3000 } }, 1, 1 },
	{ "segments at 0, 1 MiB, 5 MiB", { { 0, WCHUNK }, { MiB, WCHUNK },
		{ 5 * MiB, WCHUNK } }, 3, 4096 },
	{ "odd pieces across segments", { { 7, 13 }, { 1000, 999 },
		{ 1ULL << 40, 4097 } }, 3, 333 },
};

static void
test_csum(void)
{
	struct hsm_datamap	m;
	struct hsm_csum		*c;
	uint8_t			*buf;
	uint64_t		got, want;
	size_t			i, j, o;
	int			fd, rc;

	for (i = 0; i < ARRAY_SIZE(csums); i++) {
		want = ref_csum(csums[i].segs, csums[i].nsegs);
		c = hsm_csum_new();
		if (!c) {
			fail("csum: %s: hsm_csum_new failed", csums[i].name);
			continue;
		}
		for (j = 0; j < csums[i].nsegs; j++) {
			const struct ext *s = &csums[i].segs[j];

			buf = malloc(s->len + 1);
			if (!buf)
				break;
			pattern(buf, s->len, s->off);
			hsm_csum_segment(c, s->off, s->len);
			for (o = 0; o < s->len; o += csums[i].piece) {
				size_t n = s->len - o;

				if (n > csums[i].piece)
					n = csums[i].piece;
				hsm_csum_update(c, buf + o, n);
			}
			free(buf);
		}
		got = hsm_csum_final(c);
		ok(got == want, "csum: %s: %016llx (got %016llx)",
		   csums[i].name, (unsigned long long)want,
		   (unsigned long long)got);
	}

	/* hsm_csum_fd over a sparse file and its map */
	if (no_seek_hole()) {
		skip(3, "%s", no_seek_hole());
		return;
	}
	fd = make_sparse(sparse[0].writes, sparse[0].nwrites, sparse[0].fsize);
	if (fd < 0) {
		skip(3, "no sparse temp file");
		return;
	}
	rc = hsm_datamap_read(fd, sparse[0].fsize, &m);
	got = 0;
	if (!rc)
		rc = hsm_csum_fd(fd, &m, &got);
	want = ref_csum(sparse[0].want, sparse[0].nwant);
	ok(rc == 0 && got == want, "csum_fd: %s: %016llx (rc %d, got %016llx)",
	   sparse[0].name, (unsigned long long)want, rc,
	   (unsigned long long)got);

	/* an empty map is the hash of nothing */
	{
		struct hsm_datamap empty = { 0 };

		rc = hsm_csum_fd(fd, &empty, &got);
		ok(rc == 0 && got == XXH3_64bits(NULL, 0),
		   "csum_fd: empty map is XXH3 of nothing (rc %d)", rc);
	}

	/* a map reaching past EOF: the file shrank under us */
	if (!hsm_datamap_add(&m, sparse[0].fsize, 4096)) {
		rc = hsm_csum_fd(fd, &m, &got);
		ok(rc == -ESTALE, "csum_fd: map past EOF gives -ESTALE (%d)",
		   rc);
	} else {
		fail("csum_fd: map past EOF: datamap_add failed");
	}
	hsm_datamap_free(&m);
	close(fd);
}

int
main(void)
{
	plan_tests(2 * ARRAY_SIZE(adds) + 1 + ARRAY_SIZE(misordered) +
		   ARRAY_SIZE(sparse) + ARRAY_SIZE(csums) + 3);
	test_add();
	test_read();
	test_csum();
	return exit_status();
}
