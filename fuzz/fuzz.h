/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fuzz.h - what every fuzz target shares.  A target is one
 * LLVMFuzzerTestOneInput(); libFuzzer calls it, and so does replay.c, the
 * gcc-built driver that runs the checked-in corpus in make check.
 */
#ifndef XFS_HSM_FUZZ_H
#define XFS_HSM_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A broken invariant is a crash: libFuzzer saves the input. */
#define FUZZ_CHECK(cond) do {						\
	if (!(cond)) {							\
		fprintf(stderr, "%s:%d: check failed: %s\n",		\
			__FILE__, __LINE__, #cond);			\
		abort();						\
	}								\
} while (0)

/* A NUL-terminated copy of the input, or NULL (no memory). */
static inline char *
fuzz_strdup(
	const uint8_t	*data,
	size_t		size)
{
	char		*s = malloc(size + 1);

	if (s) {
		if (size)
			__builtin_memcpy(s, data, size);
		s[size] = '\0';
	}
	return s;
}

#endif
