// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test_chunkmap.c - the resident-chunk bitmap: chunk size choice, set /
 * test / count, and its trusted.hsm.map xattr (when we may write trusted.*).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/xattr.h>

#include "base/base.h"
#include "tap.h"

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define KiB		(1ULL << 10)
#define MiB		(1ULL << 20)
#define GiB		(1ULL << 30)
#define TiB		(1ULL << 40)

/* Reference: smallest shift >= 20 whose bitmap for @size fits 64 KiB. */
static unsigned
ref_shift_for(
	uint64_t	size)
{
	unsigned	shift;

	for (shift = HSM_CHUNK_SHIFT_DEFAULT; shift < 63; shift++) {
		/* chunks = ceil(size / 2^shift), without overflow */
		uint64_t chunks = (size >> shift) +
				  !!(size & ((1ULL << shift) - 1));

		if ((chunks + 7) / 8 <= HSM_MAP_MAX_BYTES)
			break;
	}
	return shift;
}

static const struct {
	uint64_t	size;
	unsigned	shift;		/* expected */
} shifts[] = {
	{ 0,				20 },
	{ 1,				20 },
	{ 4096,				20 },
	{ MiB,				20 },
	{ MiB + 1,			20 },
	{ 100 * GiB,			20 },
	{ 512 * GiB - 1,		20 },
	{ 512 * GiB,			20 },	/* 2^19 chunks: 65536 bytes */
	{ 512 * GiB + 1,		21 },
	{ TiB - 1,			21 },
	{ TiB,				21 },	/* bitmap fits 65536 bytes */
	{ TiB + 1,			22 },
	{ 8 * TiB,			24 },
	{ 1ULL << 50,			31 },
	{ INT64_MAX,			44 },	/* largest off_t */
	{ UINT64_MAX,			45 },	/* size from a crafted record */
};

/* Chunkmaps to set bits in: size, shift, chunks to set. */
static const struct {
	uint64_t	size;
	unsigned	shift;
	uint64_t	nchunks;	/* expected */
	uint64_t	set[6];
	size_t		nset;
} maps[] = {
	{ 0,		20, 0,		{ 0 },			0 },
	{ 1,		20, 1,		{ 0 },			1 },
	{ MiB,		20, 1,		{ 0 },			1 },
	{ MiB + 1,	20, 2,		{ 1 },			1 },
	{ 9 * MiB,	20, 9,		{ 0, 7, 8 },		3 },
	{ 9 * MiB,	20, 9,		{ 8, 8, 8 },		3 },	/* idempotent */
	{ 64 * KiB,	12, 16,		{ 0, 1, 2, 3, 15 },	5 },
	{ TiB,		21, 1ULL << 19,	{ 0, 12345, (1ULL << 19) - 1 }, 3 },
	{ 512 * GiB,	20, 1ULL << 19,	{ 1, 2, 3, 4, 5, 6 },	6 },
};

/* chunkmap_init arguments it must refuse. */
static const struct {
	const char	*name;
	uint64_t	size;
	unsigned	shift;
	int		expect;
} bad_init[] = {
	{ "shift 11 (below a page)",	MiB,		11,	-EINVAL },
	{ "shift 63",			MiB,		63,	-EINVAL },
	{ "bitmap over 64 KiB",		TiB,		20,	-EFBIG },
	{ "bitmap one bit over",	512 * GiB + 1,	20,	-EFBIG },
	{ "huge size, small shift",	UINT64_MAX,	44,	-EFBIG },
};

static void
test_shift_for(void)
{
	size_t		i;
	unsigned	s;

	for (i = 0; i < ARRAY_SIZE(shifts); i++) {
		s = hsm_chunk_shift_for(shifts[i].size);
		ok(s == shifts[i].shift && s == ref_shift_for(shifts[i].size),
		   "hsm_chunk_shift_for(%llu) is %u (got %u)",
		   (unsigned long long)shifts[i].size, shifts[i].shift, s);
	}
}

static void
test_set_count(void)
{
	struct hsm_chunkmap	m;
	uint64_t		c, n, want, bad;
	size_t			i, j;
	int			rc;

	for (i = 0; i < ARRAY_SIZE(maps); i++) {
		rc = hsm_chunkmap_init(&m, maps[i].size, maps[i].shift);
		if (rc) {
			fail("chunkmap %llu/%u: init failed (%d)",
			     (unsigned long long)maps[i].size, maps[i].shift,
			     rc);
			continue;
		}
		n = hsm_chunkmap_count(&m);
		for (j = 0; j < maps[i].nset; j++)
			hsm_chunkmap_set(&m, maps[i].set[j]);
		/* distinct chunks set */
		want = 0;
		for (j = 0; j < maps[i].nset; j++) {
			size_t k;

			for (k = 0; k < j; k++)
				if (maps[i].set[k] == maps[i].set[j])
					break;
			want += k == j;
		}
		/* every chunk tests as set iff it was set */
		bad = 0;
		for (c = 0; c < m.nchunks; c++) {
			bool set = false;

			for (j = 0; j < maps[i].nset; j++)
				set |= maps[i].set[j] == c;
			bad += hsm_chunkmap_test(&m, c) != set;
		}
		/* out of range: never set, never crashes */
		hsm_chunkmap_set(&m, m.nchunks);
		hsm_chunkmap_set(&m, UINT64_MAX);
		bad += hsm_chunkmap_test(&m, m.nchunks);
		bad += hsm_chunkmap_test(&m, UINT64_MAX);
		ok(m.shift == maps[i].shift && m.nchunks == maps[i].nchunks &&
		   n == 0 && hsm_chunkmap_count(&m) == want && !bad,
		   "chunkmap %llu bytes/shift %u: %llu chunks, %llu set "
		   "(got %llu chunks, count %llu, %llu wrong)",
		   (unsigned long long)maps[i].size, maps[i].shift,
		   (unsigned long long)maps[i].nchunks,
		   (unsigned long long)want, (unsigned long long)m.nchunks,
		   (unsigned long long)hsm_chunkmap_count(&m),
		   (unsigned long long)bad);
		hsm_chunkmap_free(&m);
		hsm_chunkmap_free(&m);		/* twice is harmless */
	}

	for (i = 0; i < ARRAY_SIZE(bad_init); i++) {
		memset(&m, 0, sizeof(m));
		rc = hsm_chunkmap_init(&m, bad_init[i].size, bad_init[i].shift);
		ok(rc == bad_init[i].expect,
		   "chunkmap_init refuses %s: %d (got %d)", bad_init[i].name,
		   bad_init[i].expect, rc);
		if (!rc)
			hsm_chunkmap_free(&m);
	}
}

/* Set @len bytes of trusted.hsm.map; -errno on failure. */
static int
set_map_xattr(
	int		fd,
	size_t		len)
{
	char		*buf = calloc(1, len + 1);
	int		rc = 0;

	if (!buf)
		return -ENOMEM;
	memset(buf, 0xff, len);
	if (fsetxattr(fd, HSM_XATTR_MAP, buf, len, 0) < 0)
		rc = -errno;
	free(buf);
	return rc;
}

#define NR_XATTR_TESTS	6
#define GUARD		16

/* Save and load through trusted.hsm.map on a temp file (needs root). */
static void
test_xattr(void)
{
	struct hsm_chunkmap	m, l;
	char			path[] = "/tmp/test_chunkmap.XXXXXX";
	const char		*tmpdir = getenv("TMPDIR");
	char			*p = path;
	uint8_t			*guarded;
	int			fd, rc, i, overflow = 0;

	if (tmpdir && *tmpdir &&
	    asprintf(&p, "%s/test_chunkmap.XXXXXX", tmpdir) < 0) {
		skip(NR_XATTR_TESTS, "out of memory");
		return;
	}
	fd = mkstemp(p);
	if (fd < 0) {
		skip(NR_XATTR_TESTS, "cannot create %s: %s", p,
		     strerror(errno));
		goto out_path;
	}
	unlink(p);
	if (fsetxattr(fd, HSM_XATTR_MAP, "", 0, 0) < 0) {
		skip(NR_XATTR_TESTS, "cannot set trusted.* xattrs here: %s",
		     strerror(errno));
		goto out_fd;
	}
	fremovexattr(fd, HSM_XATTR_MAP);

	/* 9 chunks: 2 bytes of bitmap, the last one partly used */
	if (hsm_chunkmap_init(&m, 9 * MiB, 20) ||
	    hsm_chunkmap_init(&l, 9 * MiB, 20)) {
		skip(NR_XATTR_TESTS, "chunkmap_init failed");
		goto out_fd;
	}
	memset(l.bits, 0xff, 2);
	rc = hsm_chunkmap_load(fd, &l);
	ok(rc == 0 && hsm_chunkmap_count(&l) == 0,
	   "load without trusted.hsm.map: all clear (rc %d, %llu set)", rc,
	   (unsigned long long)hsm_chunkmap_count(&l));

	hsm_chunkmap_set(&m, 0);
	hsm_chunkmap_set(&m, 8);
	rc = hsm_chunkmap_save(fd, &m);
	ok(rc == 0 && fgetxattr(fd, HSM_XATTR_MAP, NULL, 0) == 2,
	   "save 9 chunks: 2 bytes stored (rc %d)", rc);

	rc = hsm_chunkmap_load(fd, &l);
	ok(rc == 0 && hsm_chunkmap_count(&l) == 2 &&
	   hsm_chunkmap_test(&l, 0) && hsm_chunkmap_test(&l, 8),
	   "load gives back chunks 0 and 8 (rc %d)", rc);

	/*
	 * Wrong stored lengths.  load may write only the bitmap's own
	 * (nchunks + 7) / 8 bytes: give it a buffer of exactly that size
	 * followed by a guard, so that an overflow shows without ASan.
	 */
	rc = set_map_xattr(fd, 1);
	if (!rc)
		rc = hsm_chunkmap_load(fd, &l);
	ok(rc == -EUCLEAN, "load of a 1-byte map for 9 chunks: -EUCLEAN (%d)",
	   rc);
	rc = set_map_xattr(fd, 3);
	guarded = malloc(2 + GUARD);
	if (!rc && guarded) {
		free(l.bits);
		l.bits = guarded;
		memset(guarded + 2, 0x5a, GUARD);
		rc = hsm_chunkmap_load(fd, &l);
		for (i = 0; i < GUARD; i++)
			overflow += guarded[2 + i] != 0x5a;
	}
	ok(rc == -EUCLEAN && !overflow,
	   "load of a 3-byte map for 9 chunks: -EUCLEAN, nothing written past "
	   "the 2-byte bitmap (%d, %d guard bytes changed)", rc, overflow);

	rc = hsm_chunkmap_remove(fd);
	if (!rc)
		rc = hsm_chunkmap_remove(fd);	/* absent is fine */
	ok(rc == 0 && fgetxattr(fd, HSM_XATTR_MAP, NULL, 0) < 0 &&
	   errno == ENODATA, "remove, twice: gone (rc %d)", rc);

	hsm_chunkmap_free(&m);
	hsm_chunkmap_free(&l);
out_fd:
	close(fd);
out_path:
	if (p != path)
		free(p);
}

/*
 * hsm_chunkmap_covers_data on an 8 MiB file (1 MiB chunks) with 64 KiB of
 * data at 0, across the 1|2 MiB boundary, and inside chunk 5.
 */
static const struct {
	const char	*name;
	uint64_t	resident[8];
	size_t		n;
	int		expect;
} covers[] = {
	{ "exactly the data chunks", { 0, 1, 2, 5 }, 4, 0 },
	{ "every chunk", { 0, 1, 2, 3, 4, 5, 6, 7 }, 8, 0 },
	{ "no chunk", { 0 }, 0, -ESTALE },
	{ "chunk 5 missing", { 0, 1, 2 }, 3, -ESTALE },
	{ "first half of a straddling write", { 0, 1, 5 }, 3, -ESTALE },
	{ "second half of a straddling write", { 0, 2, 5 }, 3, -ESTALE },
};

static void
test_covers(void)
{
	static uint8_t		buf[64 * KiB];
	static const uint64_t	at[] = { 0, 2 * MiB - 32 * KiB,
					 5 * MiB + 4096 };
	struct hsm_chunkmap	m;
	const char		*tmpdir = getenv("TMPDIR");
	char			*p;
	size_t			i, j;
	int			fd, rc;

	if (asprintf(&p, "%s/test_chunkmap.XXXXXX",
		     tmpdir && *tmpdir ? tmpdir : "/tmp") < 0) {
		skip(ARRAY_SIZE(covers), "out of memory");
		return;
	}
	fd = mkstemp(p);
	if (fd >= 0)
		unlink(p);
	free(p);
	if (fd < 0 || ftruncate(fd, 8 * MiB) < 0) {
		skip(ARRAY_SIZE(covers), "no temp file: %s", strerror(errno));
		if (fd >= 0)
			close(fd);
		return;
	}
	memset(buf, 0x6b, sizeof(buf));
	for (i = 0; i < ARRAY_SIZE(at); i++)
		if (pwrite(fd, buf, sizeof(buf), at[i]) != sizeof(buf))
			break;
	if (i < ARRAY_SIZE(at) || fsync(fd) < 0 ||
	    lseek(fd, 0, SEEK_HOLE) != (off_t)sizeof(buf)) {
		skip(ARRAY_SIZE(covers), "temp dir has no SEEK_HOLE/SEEK_DATA");
		close(fd);
		return;
	}
	for (i = 0; i < ARRAY_SIZE(covers); i++) {
		rc = hsm_chunkmap_init(&m, 8 * MiB, 20);
		if (!rc) {
			for (j = 0; j < covers[i].n; j++)
				hsm_chunkmap_set(&m, covers[i].resident[j]);
			rc = hsm_chunkmap_covers_data(&m, fd, 8 * MiB);
			hsm_chunkmap_free(&m);
		}
		ok(rc == covers[i].expect, "covers_data, resident %s: %d (%d)",
		   covers[i].name, covers[i].expect, rc);
	}
	close(fd);
}

int
main(void)
{
	plan_tests(ARRAY_SIZE(shifts) + ARRAY_SIZE(maps) +
		   ARRAY_SIZE(bad_init) + NR_XATTR_TESTS + ARRAY_SIZE(covers));
	test_shift_for();
	test_set_count();
	test_xattr();
	test_covers();
	return exit_status();
}
