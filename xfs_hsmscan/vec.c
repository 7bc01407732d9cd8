// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vec.c - growable arrays, sorted inode numbers, and the one way out when
 * memory runs short.  Apart from main.c so that the state file parsers
 * (stateparse.c) link without the tool's main().
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "xfs_hsmscan.h"

void
nomem(void)
{
	fprintf(stderr, "%s: out of memory\n", PROGNAME);
	exit(HSM_EX_OPERATIONAL);
}

int
cmp_u64(
	const void	*a,
	const void	*b)
{
	uint64_t	x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

size_t
lower_bound_u64(
	const uint64_t	*a,
	size_t		n,
	uint64_t	v)
{
	size_t		lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (a[mid] < v)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

void
vec_init(
	struct vec	*v,
	size_t		size)
{
	memset(v, 0, sizeof(*v));
	v->size = size;
}

void *
vec_push(
	struct vec	*v)
{
	void		*p;

	if (v->nr == v->alloc) {
		size_t n = v->alloc ? v->alloc * 2 : 64;

		p = realloc(v->items, n * v->size);
		if (!p)
			nomem();
		v->items = p;
		v->alloc = n;
	}
	p = (char *)v->items + v->nr++ * v->size;
	memset(p, 0, v->size);
	return p;
}

void
vec_append(
	struct vec	*to,
	struct vec	*from)
{
	size_t		i;

	for (i = 0; i < from->nr; i++)
		memcpy(vec_push(to), (char *)from->items + i * from->size,
		       to->size);
	from->nr = 0;
}

void
vec_free(
	struct vec	*v)
{
	free(v->items);
	v->items = NULL;
	v->nr = v->alloc = 0;
}
