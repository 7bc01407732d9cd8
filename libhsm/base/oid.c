// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * oid.c - object ids: 128 random bits, printed as 32 lowercase hex
 * digits.  A store path is built only from that hex, never from record
 * bytes, so a crafted record cannot name a file outside the store.
 */
#include <errno.h>
#include <string.h>
#include <sys/random.h>
#include "base/base.h"

int
hsm_oid_new(
	uint8_t		oid[HSM_OID_LEN])
{
	ssize_t		n = getrandom(oid, HSM_OID_LEN, 0);

	if (n != HSM_OID_LEN)
		return n < 0 ? -errno : -EIO;
	if (hsm_oid_is_zero(oid))	/* zero means "no object" */
		oid[0] = 1;
	return 0;
}

HSM_EXPORT bool
hsm_oid_is_zero(
	const uint8_t	oid[HSM_OID_LEN])
{
	int		i;

	for (i = 0; i < HSM_OID_LEN; i++)
		if (oid[i])
			return false;
	return true;
}

HSM_EXPORT void
hsm_oid_hex(
	const uint8_t	oid[HSM_OID_LEN],
	char		out[33])
{
	static const char hex[] = "0123456789abcdef";
	int		i;

	for (i = 0; i < HSM_OID_LEN; i++) {
		out[2 * i] = hex[oid[i] >> 4];
		out[2 * i + 1] = hex[oid[i] & 15];
	}
	out[32] = '\0';
}

int
hsm_hexval(
	int		c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

HSM_EXPORT int
hsm_oid_parse(
	const char	*hex,
	uint8_t		oid[HSM_OID_LEN])
{
	int		i, hi, lo;

	if (strlen(hex) != 32)
		return -EINVAL;
	for (i = 0; i < HSM_OID_LEN; i++) {
		hi = hsm_hexval(hex[2 * i]);
		lo = hsm_hexval(hex[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return -EINVAL;
		oid[i] = hi << 4 | lo;
	}
	return 0;
}

