// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * mkrec.c - craft trusted.hsm values for the integration tests.
 *
 *   mkrec [EDIT...] HEX
 *
 * HEX is a record as getfattr -e hex prints it (with or without "0x"),
 * usually a good one taken from a migrated file.  Each EDIT changes it,
 * in order; then the XXH3-64 of bytes 0..119 is written at 120 (the v1
 * layout of libhsm/record.c), unless an edit said otherwise.  The result
 * is printed as hex without "0x", for setfattr -v 0x...  Edits:
 *
 *   FIELD=N      a numeric field: version pending shift pad flags store
 *                copyver size mtime nsec pid csum since (N: strtoull, any
 *                base; the field keeps its width and is stored little endian)
 *   oid=TEXT     the 16 object id bytes: TEXT's bytes, NUL-padded; "\0" in
 *                TEXT is a NUL byte, "\\" a backslash (at most 16 bytes)
 *   oidhex=HEX   the 16 object id bytes as 32 hex digits
 *   at=OFF:HEX   raw bytes at offset OFF (the record grows if needed)
 *   len=N        truncate or zero-extend to N bytes (after the checksum)
 *   badcsum      flip a bit of the stored checksum
 *   nocsum       leave the checksum bytes as they are
 *
 * With --decode, also say on stderr what the real decoder answers.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>
#include "hsm.h"

#define CSUM_OFF	120
#define MAXLEN		(1U << 16)

static const struct field {
	const char	*name;
	unsigned	off;
	unsigned	width;
} fields[] = {
	{ "version", 4, 1 },	{ "pending", 5, 1 },	{ "shift", 6, 1 },
	{ "pad", 7, 1 },	{ "flags", 8, 4 },	{ "store", 12, 4 },
	{ "copyver", 32, 8 },	{ "size", 40, 8 },	{ "mtime", 48, 8 },
	{ "nsec", 56, 4 },	{ "pid", 60, 4 },	{ "csum", 64, 8 },
	{ "since", 72, 8 },
};

static uint8_t		rec[MAXLEN];
static size_t		len;

static void __attribute__((noreturn))
die(
	const char	*what,
	const char	*arg)
{
	fprintf(stderr, "mkrec: %s '%s'\n", what, arg);
	exit(8);
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

/* Apply one EDIT; returns false for "leave the checksum". */
static bool
edit(
	const char	*e,
	bool		*badcsum,
	long		*newlen)
{
	const char	*eq = strchr(e, '=');
	size_t		i, n;

	if (!strcmp(e, "badcsum")) {
		*badcsum = true;
		return true;
	}
	if (!strcmp(e, "nocsum"))
		return false;
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
		memcpy(rec + 16, oid, HSM_OID_LEN);
		return true;
	}
	if (!strncmp(e, "oidhex=", 7)) {
		if (strlen(eq + 1) != 32)
			die("oidhex needs 32 hex digits", e);
		unhex(eq + 1, rec + 16, HSM_OID_LEN);
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
		unsigned long long v;

		if (strlen(f->name) != (size_t)(eq - e) ||
		    strncmp(f->name, e, eq - e))
			continue;
		v = number(eq + 1);
		for (n = 0; n < f->width; n++, v >>= 8)
			rec[f->off + n] = v & 0xff;
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
	if (len < HSM_RECORD_SIZE)
		die("base record shorter than 128 bytes", argv[argc - 1]);
	for (; a < argc - 1; a++)
		if (!edit(argv[a], &badcsum, &newlen))
			csum = false;
	if (csum) {
		h = XXH3_64bits(rec, CSUM_OFF);
		for (i = 0; i < 8; i++, h >>= 8)
			rec[CSUM_OFF + i] = h & 0xff;
	}
	if (badcsum)
		rec[CSUM_OFF] ^= 1;
	if (newlen >= 0) {
		if ((size_t)newlen > len)
			memset(rec + len, 0, newlen - len);
		len = newlen;
	}
	if (decode) {
		error = hsm_record_decode(rec, len, &r);
		fprintf(stderr, "mkrec: decode: %s\n",
			error ? strerror(-error) : "ok");
	}
	for (i = 0; i < len; i++)
		printf("%02x", rec[i]);
	printf("\n");
	return 0;
}
