// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * fuzz_objpath.c - from a filesystem's binding to a store object's file.
 * The input's first 16 bytes are an object id as a record holds it (any
 * bytes), the rest the trusted.hsm.fs value.  A binding that parses must
 * format and parse back the same; the object's names must be plain
 * "XX/<32 hex>[.meta]" under objects/: not absolute, no "..", no other
 * byte, so the joined path always stays under the store's root.
 * An id given as hex must parse only when it prints back the same.
 */
#include <string.h>
#include "fs/fsP.h"
#include "fuzz.h"

static bool
is_hex_name(
	const char	*s,
	const char	*suffix)
{
	size_t		i;

	for (i = 0; i < 35; i++) {
		if (i == 2) {
			if (s[i] != '/')
				return false;
		} else if (!strchr("0123456789abcdef", s[i]) || !s[i]) {
			return false;
		}
	}
	return strcmp(s + 35, suffix) == 0;
}

static void
check_names(
	const uint8_t	oid[HSM_OID_LEN],
	const char	*root)
{
	char		data[HSM_OBJ_DATA_NAME], meta[HSM_OBJ_META_NAME];
	char		hex[33], *full;
	size_t		rlen = strlen(root);

	hsm_posix_object_names(oid, data, meta);
	FUZZ_CHECK(is_hex_name(data, ""));
	FUZZ_CHECK(is_hex_name(meta, ".meta"));
	FUZZ_CHECK(data[0] != '/' && !strstr(data, ".."));
	FUZZ_CHECK(meta[0] != '/' && !strstr(meta, ".."));
	hsm_oid_hex(oid, hex);
	FUZZ_CHECK(!strncmp(data + 3, hex, 32));

	/* as posix_open() and openat(objfd, data) join them */
	if (asprintf(&full, "%s/objects/%s", root, meta) < 0)
		return;
	FUZZ_CHECK(!strncmp(full, root, rlen) && full[rlen] == '/');
	FUZZ_CHECK(!strstr(full + rlen, "/../") && !strstr(full + rlen, "//"));
	free(full);
}

static void
check_binding(
	const uint8_t		*data,
	size_t			size,
	const uint8_t		oid[HSM_OID_LEN])
{
	struct hsm_binding	*b, *again;
	char			*text;
	int			n;

	b = malloc(sizeof(*b));
	again = malloc(sizeof(*again));
	text = malloc(HSM_BINDING_MAX);
	if (!b || !again || !text)
		goto out;
	if (hsm_binding_parse((const char *)data, size, b))
		goto out;
	FUZZ_CHECK(b->nstores >= 1 && b->store[0].id != 0 &&
		   b->store[0].spec[0]);
	n = hsm_binding_format(b, text, HSM_BINDING_MAX);
	FUZZ_CHECK(n > 0);
	FUZZ_CHECK(hsm_binding_parse(text, n, again) == 0);
	FUZZ_CHECK(!memcmp(again, b, sizeof(*b)));
	if (!strncmp(b->store[0].spec, "posix:", 6))
		check_names(oid, b->store[0].spec + 6);
out:
	free(text);
	free(again);
	free(b);
}

static void
check_hex(
	const uint8_t	*data,
	size_t		size)
{
	uint8_t		oid[HSM_OID_LEN];
	char		in[33], out[33];

	if (size < 32)
		return;
	memcpy(in, data, 32);
	in[32] = '\0';
	if (hsm_oid_parse(in, oid))
		return;
	hsm_oid_hex(oid, out);
	FUZZ_CHECK(!strcmp(in, out));
}

int
LLVMFuzzerTestOneInput(
	const uint8_t	*data,
	size_t		size)
{
	uint8_t		oid[HSM_OID_LEN] = { 0 };

	check_hex(data, size);
	if (size < HSM_OID_LEN)
		return 0;
	memcpy(oid, data, HSM_OID_LEN);
	check_names(oid, "/store");
	check_binding(data + HSM_OID_LEN, size - HSM_OID_LEN, oid);
	return 0;
}
