/* SPDX-License-Identifier: GPL-2.0-or-later */
/* pattern.h - test data that depends on its offset and is never zero, so
 * a byte written at the wrong place or a hole read as data shows. */
#ifndef TESTS_PATTERN_H
#define TESTS_PATTERN_H

#include <stddef.h>
#include <stdint.h>

static inline void
pattern(
	uint8_t		*buf,
	size_t		len,
	uint64_t	off)
{
	size_t		i;

	for (i = 0; i < len; i++)
		buf[i] = (uint8_t)((off + i) * 2654435761U >> 13) | 1;
}

#endif
