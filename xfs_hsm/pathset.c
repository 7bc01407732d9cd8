// SPDX-License-Identifier: GPL-2.0-or-later
/* pathset.c - a set of paths, for xfs_hsm changes. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "changes.h"

int
pathset_add(
	struct pathset	*s,
	const char	*p)
{
	char		**np;

	if (s->n == s->cap) {
		np = realloc(s->path, (s->cap ? s->cap * 2 : 64) * sizeof(*np));
		if (!np)
			return -ENOMEM;
		s->path = np;
		s->cap = s->cap ? s->cap * 2 : 64;
	}
	s->path[s->n] = strdup(p);
	if (!s->path[s->n])
		return -ENOMEM;
	s->n++;
	s->sorted = false;
	return 0;
}

int
pathset_add_with_parents(
	struct pathset	*s,
	const char	*p,
	const char	*top)
{
	size_t		tlen = strlen(top);
	char		*q = strdup(p), *slash;
	int		error = 0;

	if (!q)
		return -ENOMEM;
	for (;;) {
		error = pathset_add(s, q);
		if (error || strlen(q) <= tlen)
			break;
		slash = strrchr(q, '/');
		if (!slash || (size_t)(slash - q) < tlen)
			break;
		*slash = '\0';
		if (strlen(q) < tlen)
			break;
	}
	free(q);
	return error;
}

static int
cmp(
	const void	*a,
	const void	*b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void
pathset_sort(
	struct pathset	*s)
{
	size_t		i, o;

	if (s->sorted)
		return;
	if (s->n)	/* an empty set has no array: qsort wants one */
		qsort(s->path, s->n, sizeof(*s->path), cmp);
	for (i = 0, o = 0; i < s->n; i++) {
		if (o && !strcmp(s->path[o - 1], s->path[i])) {
			free(s->path[i]);
			continue;
		}
		s->path[o++] = s->path[i];
	}
	s->n = o;
	s->sorted = true;
}

bool
pathset_has(
	struct pathset	*s,
	const char	*p)
{
	pathset_sort(s);
	return bsearch(&p, s->path, s->n, sizeof(*s->path), cmp) != NULL;
}

void
pathset_free(
	struct pathset	*s)
{
	size_t		i;

	for (i = 0; i < s->n; i++)
		free(s->path[i]);
	free(s->path);
	memset(s, 0, sizeof(*s));
}
