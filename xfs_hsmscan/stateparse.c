// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * stateparse.c - reading back the state files of state.c (the format is
 * described there) from an open stream: the checkpoint of --resume and
 * the record index of --quick.  Apart from state.c, which finds, locks
 * and writes the files, so that fuzz/fuzz_scanstate.c links the parsers.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "xfs_hsmscan.h"

#define LINE_MAX_LEN		4096

struct record_index {
	uint64_t	*ino;		/* sorted */
	size_t		nr;
	int64_t		epoch;
};

/* One line without its newline; NULL at the end or for a torn line. */
static char *
read_line(
	FILE		*f,
	char		*buf,
	size_t		size)
{
	size_t		len;

	if (!fgets(buf, size, f))
		return NULL;
	len = strlen(buf);
	if (!len || buf[len - 1] != '\n')
		return NULL;
	buf[len - 1] = '\0';
	return buf;
}

struct cp_entry {
	uint32_t	ag;
	struct pending	p;
	bool		tag;		/* a "T" line, else "P" */
};

/* Parse a "C" line into @ags; false if malformed. */
static bool
parse_c_line(
	char		*line,
	uint32_t	agcount,
	struct ag_state	*ags)
{
	struct ag_state	st;
	char		*p = line + 2, *end;
	unsigned long	ag, done;
	int		i;

	memset(&st, 0, sizeof(st));
	ag = strtoul(p, &end, 10);
	if (end == p || ag >= agcount)
		return false;
	st.cursor = strtoull(end, &p, 10);
	done = strtoul(p, &end, 10);
	if (end == p || done > 1)
		return false;
	st.done = done;
	for (i = 0; i < C_NR; i++) {
		p = end;
		st.counts.c[i] = strtoull(p, &end, 10);
		if (end == p)
			return false;
	}
	if (*end)
		return false;
	ags[ag] = st;
	return true;
}

int
checkpoint_parse(
	FILE			*f,
	const char		*uuid,
	const char		*key,
	uint32_t		agcount,
	struct ag_state		*ags,
	struct scan_result	*res,
	int64_t			*started)
{
	char			*buf, want[LINE_MAX_LEN], *line;
	struct vec		entries;
	struct cp_entry		*e;
	unsigned long long	a, b, c, d;
	long long		s;
	size_t			i;
	int			ret = 0;

	buf = malloc(LINE_MAX_LEN);
	if (!buf)
		nomem();
	vec_init(&entries, sizeof(struct cp_entry));
	line = read_line(f, buf, LINE_MAX_LEN);
	if (!line || strcmp(line, CHECKPOINT_MAGIC))
		goto out;
	snprintf(want, sizeof(want), "uuid %s", uuid);
	if (!(line = read_line(f, buf, LINE_MAX_LEN)) || strcmp(line, want))
		goto out;
	snprintf(want, sizeof(want), "key %s", key);
	if (!(line = read_line(f, buf, LINE_MAX_LEN)) || strcmp(line, want))
		goto out;
	if (!(line = read_line(f, buf, LINE_MAX_LEN)) ||
	    sscanf(line, "started %lld", &s) != 1)
		goto out;
	if (!(line = read_line(f, buf, LINE_MAX_LEN)) ||
	    sscanf(line, "agcount %llu", &a) != 1 || a != agcount)
		goto out;
	while ((line = read_line(f, buf, LINE_MAX_LEN))) {
		if (!strncmp(line, "C ", 2)) {
			if (!parse_c_line(line, agcount, ags))
				break;
		} else if (sscanf(line, "P %llu %llu %llu %llu", &a, &b, &c,
				  &d) == 4 && a < agcount) {
			e = vec_push(&entries);
			e->ag = a;
			e->p.ino = b;
			e->p.gen = c;
			e->p.op = d;
			e->tag = false;
		} else if (sscanf(line, "T %llu %llu %llu", &a, &b, &c) == 3 &&
			   a < agcount) {
			e = vec_push(&entries);
			e->ag = a;
			e->p.ino = b;
			e->p.gen = c;
			e->tag = true;
		} else {
			break;		/* torn or foreign: stop trusting */
		}
	}
	/* an AG's entries below its cursor were found before it */
	for (i = 0; i < entries.nr; i++) {
		e = VEC_AT(&entries, struct cp_entry, i);
		if (!ags[e->ag].done && e->p.ino >= ags[e->ag].cursor)
			continue;
		if (e->tag) {
			struct tagged *t = vec_push(&res->tagged);

			t->ino = e->p.ino;
			t->gen = e->p.gen;
		} else {
			*(struct pending *)vec_push(&res->pending) = e->p;
		}
	}
	*started = s;
	ret = 1;
out:
	vec_free(&entries);
	free(buf);
	return ret;
}

struct record_index *
index_parse(
	FILE			*f,
	const char		*uuid,
	int64_t			now,
	const char		**why)
{
	struct record_index	*ix;
	char			buf[256], want[128], *line;
	unsigned long long	count, ino, gen, i, alloc = 0;
	long long		epoch, written;
	uint64_t		*p;

	ix = calloc(1, sizeof(*ix));
	if (!ix)
		nomem();
	*why = "damaged index";
	snprintf(want, sizeof(want), "uuid %s", uuid);
	if (!(line = read_line(f, buf, sizeof(buf))) ||
	    strcmp(line, INDEX_MAGIC) ||
	    !(line = read_line(f, buf, sizeof(buf))) || strcmp(line, want) ||
	    !(line = read_line(f, buf, sizeof(buf))) ||
	    sscanf(line, "epoch %lld", &epoch) != 1 ||
	    !(line = read_line(f, buf, sizeof(buf))) ||
	    sscanf(line, "written %lld", &written) != 1 ||
	    !(line = read_line(f, buf, sizeof(buf))) ||
	    sscanf(line, "count %llu", &count) != 1 || count > (1ULL << 36))
		goto out_bad;
	if (now < written) {
		*why = "the clock is behind the time the index was written";
		goto out_bad;
	}
	/* grow as lines come: "count" is only a claim of the file's */
	for (i = 0; i < count; i++) {
		if (!(line = read_line(f, buf, sizeof(buf))) ||
		    sscanf(line, "%llu %llu", &ino, &gen) != 2 ||
		    (i && ino <= ix->ino[i - 1]))
			goto out_bad;
		if (i == alloc) {
			alloc = alloc ? alloc * 2 : 1024;
			if (alloc > count)
				alloc = count;
			p = realloc(ix->ino, alloc * sizeof(*ix->ino));
			if (!p)
				nomem();
			ix->ino = p;
		}
		ix->ino[i] = ino;
	}
	if (!(line = read_line(f, buf, sizeof(buf))) || strcmp(line, "end"))
		goto out_bad;
	ix->nr = count;
	ix->epoch = epoch;
	*why = NULL;
	return ix;
out_bad:
	index_free(ix);
	return NULL;
}

int64_t
index_epoch(
	const struct record_index *ix)
{
	return ix->epoch;
}

size_t
index_seek(
	const struct record_index *ix,
	uint64_t		ino)
{
	return lower_bound_u64(ix->ino, ix->nr, ino);
}

bool
index_has(
	const struct record_index *ix,
	size_t			*pos,
	uint64_t		ino)
{
	/* callers ask in ascending order: a merge, not a search */
	while (*pos < ix->nr && ix->ino[*pos] < ino)
		(*pos)++;
	return *pos < ix->nr && ix->ino[*pos] == ino;
}

void
index_free(
	struct record_index	*ix)
{
	if (!ix)
		return;
	free(ix->ino);
	free(ix);
}
