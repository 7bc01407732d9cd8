// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * jsonout.c - file names in JSON, for xfs_hsm and xfs_hsmscan (both link
 * it).  Names are bytes; JSON strings are Unicode.  A valid UTF-8 name
 * goes in "path" as it is.  Otherwise "path" gets U+FFFD for each bad
 * byte (readable, lossy) and "path_hex" the exact bytes in hex
 * (lossless), so scripts can always act on the real name.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>
#include "jsonpath.h"

/* Length of a valid UTF-8 sequence at @s, or 0. */
static size_t
utf8_seq(
	const unsigned char	*s)
{
	unsigned		c = s[0], n, i, cp;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		n = 2, cp = c & 0x1f;
	else if (c >= 0xe0 && c <= 0xef)
		n = 3, cp = c & 0x0f;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 4, cp = c & 0x07;
	else
		return 0;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((n == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
	    (n == 4 && (cp < 0x10000 || cp > 0x10ffff)))
		return 0;		/* overlong, surrogate, too big */
	return n;
}

void
json_add_path(
	struct json_object	*obj,
	const char		*path)
{
	static const char	hex[] = "0123456789abcdef";
	const unsigned char	*s = (const unsigned char *)path;
	size_t			len = strlen(path), i = 0, o = 0, n;
	char			*fixed, *hx;
	bool			bad = false;

	fixed = malloc(len * 3 + 1);
	if (!fixed)
		return;
	while (i < len) {
		n = utf8_seq(s + i);
		if (n) {
			memcpy(fixed + o, s + i, n);
			o += n;
			i += n;
		} else {
			memcpy(fixed + o, "\xef\xbf\xbd", 3);	/* U+FFFD */
			o += 3;
			i++;
			bad = true;
		}
	}
	fixed[o] = '\0';
	json_object_object_add(obj, "path", json_object_new_string(fixed));
	free(fixed);
	if (!bad)
		return;
	hx = malloc(len * 2 + 1);
	if (!hx)
		return;
	for (i = 0; i < len; i++) {
		hx[2 * i] = hex[s[i] >> 4];
		hx[2 * i + 1] = hex[s[i] & 15];
	}
	hx[2 * len] = '\0';
	json_object_object_add(obj, "path_hex", json_object_new_string(hx));
	free(hx);
}
