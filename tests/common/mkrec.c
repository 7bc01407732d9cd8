// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * mkrec.c - craft trusted.hsm values for the integration tests.
 *
 *   mkrec [--decode] [EDIT...] HEX
 *
 * HEX is a record as getfattr -e hex prints it (with or without "0x"),
 * usually a good one taken from a migrated file.  Each EDIT changes it,
 * in order; then the XXH3-64 of the bytes before the checksum is written
 * (the layouts of libhsm/base/record.c: v1, 128 bytes, checksum at 120;
 * v2, 160 bytes, checksum at 152), unless an edit said otherwise.  The
 * result is printed as hex without "0x", for setfattr -v 0x...
 *
 * The layout, and so the offsets of the fields and of the checksum, is
 * the one the version byte (byte 4) names when the edit applies: an edit
 * after version=1 or tov1 uses v1 offsets.  A version byte other than 1
 * or 2 keeps the layout in use (that of the input: v1 for version 1, else
 * v2), so version=255 on a v2 record still gets a v2 checksum.  The input
 * must be at least as long as its layout.  Edits:
 *
 *   FIELD=N      a numeric field (N: strtoull, any base; the field keeps
 *                its width and is stored little endian):
 *                  version pending shift pad flags pid size mtime nsec
 *                  csum (the data's) since copyver  (both versions)
 *                  store  (v1: the store id; v2: copy 0's)
 *                  state  (v2 only: copy 0's state)
 *   oid=TEXT     the 16 object id bytes (v2: copy 0's): TEXT's bytes,
 *                NUL-padded; "\0" in TEXT is a NUL byte, "\\" a backslash
 *                (at most 16 bytes)
 *   oidhex=HEX   the same, as 32 hex digits
 *   tov1         rewrite a v2 record as v1, 128 bytes: copy 0's store id
 *                and object id move to v1 offsets 12 and 16, the state and
 *                copies 1 and 2 are dropped
 *   at=OFF:HEX   raw bytes at offset OFF (the record grows if needed)
 *   len=N        truncate or zero-extend to N bytes (after the checksum)
 *   badcsum      flip a bit of the stored checksum
 *   nocsum       leave the checksum bytes as they are
 *
 * If the checksum falls beyond the end (version=2 on a v1 record), the
 * record is zero-extended to hold it.  With --decode, also say on stderr
 * what the real decoder answers.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>
#include "hsm.h"

#define MAXLEN		(1U << 16)
#define NO_FIELD	0		/* byte 0 is magic, never a field */

static const struct layout {
	int		version;
	unsigned	size;
	unsigned	csum;		/* offset of the record's XXH3 */
	unsigned	oid;		/* copy 0's object id */
} v1 = { 1, HSM_RECORD_V1_SIZE, 120, 16 },
  v2 = { 2, HSM_RECORD_SIZE, 152, 88 };

static const struct field {
	const char	*name;
	unsigned	off[2];		/* v1, v2 */
	unsigned	width;
} fields[] = {
	{ "version", { 4, 4 }, 1 },	{ "pending", { 5, 5 }, 1 },
	{ "shift", { 6, 6 }, 1 },	{ "pad", { 7, 7 }, 1 },
	{ "flags", { 8, 8 }, 4 },	{ "store", { 12, 80 }, 4 },
	{ "state", { NO_FIELD, 84 }, 1 },
	{ "copyver", { 32, 72 }, 8 },	{ "size", { 40, 16 }, 8 },
	{ "mtime", { 48, 24 }, 8 },	{ "nsec", { 56, 32 }, 4 },
	{ "pid", { 60, 12 }, 4 },	{ "csum", { 64, 40 }, 8 },
	{ "since", { 72, 48 }, 8 },
};

static uint8_t		rec[MAXLEN];
static size_t		len;
static const struct layout *lay;

static void __attribute__((noreturn))
die(
	const char	*what,
	const char	*arg)
{
	fprintf(stderr, "mkrec: %s '%s'\n", what, arg);
	exit(8);
}

/* The layout the version byte names; the one in use for any other. */
static const struct layout *
layout_now(void)
{
	if (rec[4] == 1)
		return &v1;
	if (rec[4] == 2)
		return &v2;
	return lay;
}

/* Parse hex @s into @out; the byte count, or exits. */
static size_t
unhex(
	const char	*s,
	uint8_t		*out,
	size_t		max)
{
	size_t		n = 0;
	unsigned	b;

	if (!strncmp(s, "0x", 2))
		s += 2;
	if (strlen(s) % 2)
		die("odd number of hex digits in", s);
	while (*s) {
		if (n == max || sscanf(s, "%2x", &b) != 1)
			die("bad hex", s);
		out[n++] = b;
		s += 2;
	}
	return n;
}

static unsigned long long
number(
	const char	*s)
{
	char		*end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || !*s || *end)
		die("bad number", s);
	return v;
}

/*
 * Rewrite the v2 record in rec[] as v1, 128 bytes; the checksum is left
 * to the end.  Bytes move as they are, reserved ones too (7 stays 7).
 */
static void
tov1(
	const char	*e)
{
	uint8_t		o[HSM_RECORD_SIZE];

	if (lay != &v2)
		die("tov1 needs a v2 record, not at", e);
	memcpy(o, rec, sizeof(o));
	memset(rec, 0, len > sizeof(o) ? len : sizeof(o));
	memcpy(rec, o, 8);	/* magic, version, pending, shift, pad */
	rec[4] = 1;
	memcpy(rec + 8, o + 8, 4);	/* flags */
	memcpy(rec + 12, o + 80, 4);	/* copy 0's store id */
	memcpy(rec + 16, o + 88, 16);	/* copy 0's object id */
	memcpy(rec + 32, o + 72, 8);	/* copy_version */
	memcpy(rec + 40, o + 16, 8);	/* size */
	memcpy(rec + 48, o + 24, 8);	/* mtime_sec */
	memcpy(rec + 56, o + 32, 4);	/* mtime_nsec */
	memcpy(rec + 60, o + 12, 4);	/* owner_pid */
	memcpy(rec + 64, o + 40, 8);	/* checksum of the data */
	memcpy(rec + 72, o + 48, 8);	/* pending_since */
	memcpy(rec + 80, o + 56, 16);	/* owner_boot */
	len = HSM_RECORD_V1_SIZE;
}

/* Apply one EDIT; returns false for "leave the checksum". */
static bool
edit(
	const char	*e,
	bool		*badcsum,
	long		*newlen)
{
	const char	*eq = strchr(e, '=');
	size_t		i, n;

	lay = layout_now();
	if (!strcmp(e, "badcsum")) {
		*badcsum = true;
		return true;
	}
	if (!strcmp(e, "nocsum"))
		return false;
	if (!strcmp(e, "tov1")) {
		tov1(e);
		return true;
	}
	if (!eq)
		die("bad edit", e);
	if (!strncmp(e, "oid=", 4)) {
		uint8_t	oid[HSM_OID_LEN] = { 0 };
		const char *s = eq + 1;

		for (n = 0; *s; n++) {
			if (n == HSM_OID_LEN)
				die("object id longer than 16 bytes", e);
			if (s[0] == '\\' && s[1] == '0') {
				oid[n] = 0;
				s += 2;
			} else if (s[0] == '\\' && s[1] == '\\') {
				oid[n] = '\\';
				s += 2;
			} else {
				oid[n] = *s++;
			}
		}
		memcpy(rec + lay->oid, oid, HSM_OID_LEN);
		return true;
	}
	if (!strncmp(e, "oidhex=", 7)) {
		if (strlen(eq + 1) != 32)
			die("oidhex needs 32 hex digits", e);
		unhex(eq + 1, rec + lay->oid, HSM_OID_LEN);
		return true;
	}
	if (!strncmp(e, "at=", 3)) {
		char	*colon;
		unsigned long long off = strtoull(eq + 1, &colon, 0);

		if (*colon != ':' || off >= MAXLEN)
			die("bad at=OFF:HEX", e);
		n = unhex(colon + 1, rec + off, MAXLEN - off);
		if (off + n > len)
			len = off + n;
		return true;
	}
	if (!strncmp(e, "len=", 4)) {
		*newlen = number(eq + 1);
		if (*newlen > (long)MAXLEN)
			die("too long", e);
		return true;
	}
	for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		const struct field *f = &fields[i];
		unsigned	off = f->off[lay->version - 1];
		unsigned long long v;

		if (strlen(f->name) != (size_t)(eq - e) ||
		    strncmp(f->name, e, eq - e))
			continue;
		if (off == NO_FIELD)
			die("field only in v2 records:", e);
		v = number(eq + 1);
		for (n = 0; n < f->width; n++, v >>= 8)
			rec[off + n] = v & 0xff;
		if (v)
			die("value too wide for its field", e);
		return true;
	}
	die("unknown field in", e);
}

int
main(
	int		argc,
	char		**argv)
{
	struct hsm_record r;
	bool		decode = false, csum = true, badcsum = false;
	long		newlen = -1;
	uint64_t	h;
	size_t		i;
	int		a = 1, error;

	if (a < argc && !strcmp(argv[a], "--decode")) {
		decode = true;
		a++;
	}
	if (a >= argc) {
		fprintf(stderr, "usage: mkrec [--decode] [EDIT...] HEX\n");
		return 8;
	}
	len = unhex(argv[argc - 1], rec, MAXLEN);
	lay = len > 4 && rec[4] == 1 ? &v1 : &v2;
	if (len < lay->size)
		die(lay == &v1 ? "v1 record shorter than 128 bytes" :
			"record shorter than 160 bytes", argv[argc - 1]);
	for (; a < argc - 1; a++)
		if (!edit(argv[a], &badcsum, &newlen))
			csum = false;
	lay = layout_now();
	if (lay->csum + 8 > len) {
		memset(rec + len, 0, lay->csum + 8 - len);
		len = lay->csum + 8;
	}
	if (csum) {
		h = XXH3_64bits(rec, lay->csum);
		for (i = 0; i < 8; i++, h >>= 8)
			rec[lay->csum + i] = h & 0xff;
	}
	if (badcsum)
		rec[lay->csum] ^= 1;
	if (newlen >= 0) {
		if ((size_t)newlen > len)
			memset(rec + len, 0, newlen - len);
		len = newlen;
	}
	if (decode) {
		error = hsm_record_decode(rec, len, &r);
		if (error)
			fprintf(stderr, "mkrec: decode: %s\n",
				strerror(-error));
		else
			fprintf(stderr, "mkrec: decode: ok, v%u\n", r.version);
	}
	for (i = 0; i < len; i++)
		printf("%02x", rec[i]);
	printf("\n");
	return 0;
}
