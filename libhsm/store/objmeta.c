// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * objmeta.c - what the store keeps beside each object (struct hsm_objmeta)
 * and its text form.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "store/store.h"

/* The longest line: an xattr of the largest value, its name escaped. */
#define LINE_MAX_TEXT	(2 * HSM_OBJXATTR_VALUE_MAX + 4 * 256 + 64)

/*
 * Metadata text, one "key value" per line, ending "end".  The path is
 * escaped: backslash, control bytes and bytes >= 0x7f become \xHH, so a
 * name with newlines or non-UTF-8 bytes survives the round trip.
 *
 * Version 2 (written since objects carry what a rebuild needs) adds,
 * after the path: "inode MODE UID GID NLINK PROJID" (mode in octal),
 * "atime S NS", "ctime S NS", "xattrs N" and N lines "NAME HEXVALUE"
 * (the name escaped as the path, and its spaces too).  Version 1 texts
 * are still read.
 */
static int
escape_text(
	const char	*in,
	char		*out,
	size_t		size,
	bool		space)		/* escape ' ' too (an xattr name) */
{
	static const char hex[] = "0123456789abcdef";
	size_t		o = 0;
	const unsigned char *p;

	for (p = (const unsigned char *)in; *p; p++) {
		if (o + 5 >= size)
			return -ENAMETOOLONG;
		if (*p < 0x20 || *p >= 0x7f || *p == '\\' ||
		    (space && *p == ' ')) {
			out[o++] = '\\';
			out[o++] = 'x';
			out[o++] = hex[*p >> 4];
			out[o++] = hex[*p & 15];
		} else {
			out[o++] = *p;
		}
	}
	out[o] = '\0';
	return 0;
}

static int
unescape_text(
	const char	*in,
	char		*out,
	size_t		size)
{
	size_t		o = 0;
	int		hi, lo;

	while (*in) {
		if (o + 1 >= size)
			return -EUCLEAN;
		if (*in == '\\') {
			if (in[1] != 'x' || (hi = hsm_hexval(in[2])) < 0 ||
			    (lo = hsm_hexval(in[3])) < 0 || !(hi | lo))
				return -EUCLEAN;
			out[o++] = hi << 4 | lo;
			in += 4;
		} else {
			out[o++] = *in++;
		}
	}
	out[o] = '\0';
	return 0;
}

/* "NAME HEXVALUE\n"; @esc: room for an escaped name. */
static int
format_xattr(
	FILE			*f,
	const struct hsm_objxattr *x,
	char			*esc)
{
	const unsigned char	*v = x->value;
	size_t			i;

	if (escape_text(x->name, esc, 4 * 256 + 1, true))
		return -ENAMETOOLONG;
	fprintf(f, "%s ", esc);
	for (i = 0; i < x->len; i++)
		fprintf(f, "%02x", v[i]);
	fputc('\n', f);
	return 0;
}

HSM_EXPORT int
hsm_objmeta_format(
	const struct hsm_objmeta *m,
	char			**out,
	size_t			*lenp)
{
	char			oid[33], *buf, *esc;
	size_t			size, i;
	FILE			*f;
	int			error = 0;

	esc = malloc(4 * sizeof(m->path) + 1);
	if (!esc)
		return -ENOMEM;
	if (escape_text(m->path, esc, 4 * sizeof(m->path) + 1, false)) {
		free(esc);
		return -ENAMETOOLONG;
	}
	f = open_memstream(&buf, &size);
	if (!f) {
		free(esc);
		return -ENOMEM;
	}
	hsm_oid_hex(m->oid, oid);
	/* a v1 text read back stays v1: no inode it never knew */
	fprintf(f, "xfs-hsm-object %d\noid %s\nfs_uuid %s\nino %" PRIu64
		"\ngen %" PRIu32 "\nsize %" PRIu64 "\nmtime %" PRId64 " %" PRIu32
		"\nchecksum %016" PRIx64 "\npath %s\n",
		m->has_inode ? 2 : 1, oid, m->fs_uuid, m->ino, m->gen, m->size,
		m->mtime_sec, m->mtime_nsec, m->checksum, esc);
	if (m->has_inode)
		fprintf(f, "inode %o %" PRIu32 " %" PRIu32 " %" PRIu32 " %"
			PRIu32 "\natime %" PRId64 " %" PRIu32 "\nctime %" PRId64
			" %" PRIu32 "\nxattrs %zu\n", m->mode, m->uid, m->gid,
			m->nlink, m->projid, m->atime_sec, m->atime_nsec,
			m->ctime_sec, m->ctime_nsec, m->nxattrs);
	for (i = 0; m->has_inode && i < m->nxattrs && !error; i++)
		error = format_xattr(f, &m->xattrs[i], esc);
	if (m->nlinks)
		fprintf(f, "links %zu\n", m->nlinks);
	for (i = 0; i < m->nlinks && !error; i++) {
		if (escape_text(m->links[i], esc, 4 * sizeof(m->path) + 1,
				false))
			error = -ENAMETOOLONG;
		else
			fprintf(f, "link %s\n", esc);
	}
	fprintf(f, "extents %zu\n", m->map.nr);
	for (i = 0; i < m->map.nr; i++)
		fprintf(f, "%" PRIu64 " %" PRIu64 "\n", m->map.ext[i].off,
			m->map.ext[i].len);
	fprintf(f, "chunk_shift %u\nchunks %zu\n", m->chunk_shift, m->nsums);
	for (i = 0; i < m->nsums; i++)
		fprintf(f, "%" PRIu64 " %016" PRIx64 "\n", m->sums[i].chunk,
			m->sums[i].sum);
	fputs("end\n", f);
	if (fclose(f) && !error)
		error = -ENOMEM;
	if (error)
		free(buf);
	free(esc);
	if (error)
		return error;
	*out = buf;
	*lenp = size;
	return 0;
}

/* "KEY <decimal>" with nothing else; 0 or -EUCLEAN. */
static int
parse_u64(
	const char	*line,
	const char	*key,
	uint64_t	*v)
{
	size_t		klen = strlen(key);
	char		*end;

	if (strncmp(line, key, klen) || line[klen] < '0' || line[klen] > '9')
		return -EUCLEAN;
	errno = 0;
	*v = strtoull(line + klen, &end, 10);
	return *end || errno ? -EUCLEAN : 0;
}

/* "KEY <seconds> <nanoseconds>"; 0 or -EUCLEAN. */
static int
parse_time(
	const char	*line,
	const char	*key,
	int64_t		*sec,
	uint32_t	*nsec)
{
	size_t		klen = strlen(key);
	int		c;

	if (strncmp(line, key, klen) ||
	    sscanf(line + klen, "%" SCNd64 " %" SCNu32 "%n", sec, nsec,
		   &c) != 2 || line[klen + c] || *nsec >= 1000000000U)
		return -EUCLEAN;
	return 0;
}

/* "NAME HEXVALUE" into @m; -EUCLEAN, or -ENOMEM. */
static int
parse_xattr(
	char			*line,
	struct hsm_objmeta	*m)
{
	char			name[257], *sp = strchr(line, ' ');
	unsigned char		*v;
	size_t			n, i;
	int			hi, lo, error;

	if (!sp || sp == line || (size_t)(sp - line) > 4 * 255)
		return -EUCLEAN;
	*sp = '\0';
	if (unescape_text(line, name, sizeof(name)))
		return -EUCLEAN;
	n = strlen(sp + 1);
	if (n % 2 || n / 2 > HSM_OBJXATTR_VALUE_MAX)
		return -EUCLEAN;
	v = malloc(n / 2 + 1);
	if (!v)
		return -ENOMEM;
	for (i = 0; i < n / 2; i++) {
		hi = hsm_hexval(sp[1 + 2 * i]);
		lo = hsm_hexval(sp[2 + 2 * i]);
		if (hi < 0 || lo < 0) {
			free(v);
			return -EUCLEAN;
		}
		v[i] = hi << 4 | lo;
	}
	error = hsm_objmeta_add_xattr(m, name, v, n / 2);
	free(v);
	return error == -E2BIG ? -EUCLEAN : error;
}

/* Next line of @buf (NUL-terminated copy in @line); NULL at the end. */
static const char *
next_line(
	const char	*p,
	const char	*end,
	char		*line,
	size_t		size)
{
	const char	*nl;

	if (p >= end)
		return NULL;
	nl = memchr(p, '\n', end - p);
	if (!nl || (size_t)(nl - p) >= size)
		return NULL;
	memcpy(line, p, nl - p);
	line[nl - p] = '\0';
	return nl + 1;
}

HSM_EXPORT int
hsm_objmeta_parse(
	const char		*buf,
	size_t			len,
	struct hsm_objmeta	*m)
{
	const char		*p = buf, *end = buf + len;
	char			*line, *link = NULL, oid[64], uuid[64];
	uint64_t		nr, i, off, elen, last_end = 0, gen;
	int			error = -EUCLEAN, c, version;

	memset(m, 0, sizeof(*m));
	if (memchr(buf, '\0', len))
		return -EUCLEAN;
	line = malloc(LINE_MAX_TEXT);
	link = malloc(sizeof(m->path));
	if (!line || !link) {
		free(line);
		free(link);
		return -ENOMEM;
	}
#define LINE() do { p = next_line(p, end, line, LINE_MAX_TEXT); \
		if (!p) goto out; } while (0)
	LINE();
	if (!strcmp(line, "xfs-hsm-object 1"))
		version = 1;
	else if (!strcmp(line, "xfs-hsm-object 2"))
		version = 2;
	else
		goto out;
	LINE();
	if (sscanf(line, "oid %63s%n", oid, &c) != 1 || line[c] ||
	    hsm_oid_parse(oid, m->oid))
		goto out;
	LINE();
	if (sscanf(line, "fs_uuid %63s%n", uuid, &c) != 1 || line[c] ||
	    strlen(uuid) != 36)
		goto out;
	strcpy(m->fs_uuid, uuid);
	LINE();
	if (parse_u64(line, "ino ", &m->ino))
		goto out;
	LINE();
	if (parse_u64(line, "gen ", &gen) || gen > UINT32_MAX)
		goto out;
	m->gen = gen;
	LINE();
	if (parse_u64(line, "size ", &m->size))
		goto out;
	LINE();
	if (sscanf(line, "mtime %" SCNd64 " %" SCNu32 "%n", &m->mtime_sec,
		   &m->mtime_nsec, &c) != 2 || line[c] ||
	    m->mtime_nsec >= 1000000000U)
		goto out;
	LINE();
	if (sscanf(line, "checksum %" SCNx64 "%n", &m->checksum, &c) != 1 ||
	    line[c])
		goto out;
	LINE();
	if (strncmp(line, "path ", 5) ||
	    unescape_text(line + 5, m->path, sizeof(m->path)))
		goto out;
	if (version >= 2) {
		LINE();
		if (sscanf(line, "inode %o %" SCNu32 " %" SCNu32 " %" SCNu32
			   " %" SCNu32 "%n", &m->mode, &m->uid, &m->gid,
			   &m->nlink, &m->projid, &c) != 5 || line[c] ||
		    strchr(line, '-'))
			goto out;
		LINE();
		if (parse_time(line, "atime ", &m->atime_sec, &m->atime_nsec))
			goto out;
		LINE();
		if (parse_time(line, "ctime ", &m->ctime_sec, &m->ctime_nsec))
			goto out;
		LINE();
		if (sscanf(line, "xattrs %" SCNu64 "%n", &nr, &c) != 1 ||
		    line[c] || nr > HSM_OBJXATTR_MAX)
			goto out;
		for (i = 0; i < nr; i++) {
			LINE();
			c = parse_xattr(line, m);
			if (c) {
				error = c;
				goto out;
			}
		}
		m->has_inode = true;
	}
	LINE();
	/* the other names, when --refresh-paths has found some */
	if (!strncmp(line, "links ", 6)) {
		if (parse_u64(line, "links ", &nr) || !nr ||
		    nr > HSM_OBJLINK_MAX)
			goto out;
		for (i = 0; i < nr; i++) {
			LINE();
			if (strncmp(line, "link ", 5) ||
			    unescape_text(line + 5, link, sizeof(m->path)) ||
			    !link[0])
				goto out;
			if (hsm_objmeta_add_link(m, link)) {
				error = -ENOMEM;
				goto out;
			}
		}
		LINE();
	}
	if (sscanf(line, "extents %" SCNu64 "%n", &nr, &c) != 1 || line[c])
		goto out;
	for (i = 0; i < nr; i++) {
		LINE();
		if (sscanf(line, "%" SCNu64 " %" SCNu64 "%n", &off, &elen,
			   &c) != 2 || line[c] || !elen || off < last_end ||
		    off + elen < off || off + elen > m->size)
			goto out;
		if (hsm_datamap_add(&m->map, off, elen)) {
			error = -ENOMEM;
			goto out;
		}
		last_end = off + elen;
	}
	LINE();
	if (sscanf(line, "chunk_shift %u%n", &m->chunk_shift, &c) != 1 ||
	    line[c] || m->chunk_shift < 12 || m->chunk_shift > 62)
		goto out;
	LINE();
	if (sscanf(line, "chunks %" SCNu64 "%n", &nr, &c) != 1 || line[c])
		goto out;
	for (i = 0; i < nr; i++) {
		uint64_t chunk, sum;

		LINE();
		if (sscanf(line, "%" SCNu64 " %" SCNx64 "%n", &chunk, &sum,
			   &c) != 2 || line[c] ||
		    (m->nsums && chunk <= m->sums[m->nsums - 1].chunk) ||
		    chunk >= ((m->size >> m->chunk_shift) +
			      !!(m->size & ((1ULL << m->chunk_shift) - 1))))
			goto out;
		if (hsm_objmeta_add_sum(m, chunk, sum)) {
			error = -ENOMEM;
			goto out;
		}
	}
	LINE();
	if (strcmp(line, "end") || p != end)
		goto out;
#undef LINE
	error = 0;
out:
	if (error)
		hsm_objmeta_free(m);
	free(line);
	free(link);
	return error;
}

int
hsm_objmeta_add_sum(
	struct hsm_objmeta	*m,
	uint64_t		chunk,
	uint64_t		sum)
{
	if (m->nsums == m->sums_alloc) {
		size_t n = m->sums_alloc ? m->sums_alloc * 2 : 16;
		struct hsm_chunksum *s = realloc(m->sums, n * sizeof(*s));

		if (!s)
			return -ENOMEM;
		m->sums = s;
		m->sums_alloc = n;
	}
	m->sums[m->nsums].chunk = chunk;
	m->sums[m->nsums].sum = sum;
	m->nsums++;
	return 0;
}

bool
hsm_objmeta_find_sum(
	const struct hsm_objmeta *m,
	uint64_t		chunk,
	uint64_t		*sum)
{
	size_t			lo = 0, hi = m->nsums;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (m->sums[mid].chunk == chunk) {
			*sum = m->sums[mid].sum;
			return true;
		}
		if (m->sums[mid].chunk < chunk)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

int
hsm_objmeta_add_xattr(
	struct hsm_objmeta	*m,
	const char		*name,
	const void		*value,
	size_t			len)
{
	struct hsm_objxattr	*x;

	if (m->nxattrs >= HSM_OBJXATTR_MAX || len > HSM_OBJXATTR_VALUE_MAX ||
	    !*name || strlen(name) > 255)
		return -E2BIG;
	x = realloc(m->xattrs, (m->nxattrs + 1) * sizeof(*x));
	if (!x)
		return -ENOMEM;
	m->xattrs = x;
	x = &m->xattrs[m->nxattrs];
	x->name = strdup(name);
	x->value = malloc(len ? len : 1);
	if (!x->name || !x->value) {
		free(x->name);
		free(x->value);
		return -ENOMEM;
	}
	memcpy(x->value, value, len);
	x->len = len;
	m->nxattrs++;
	return 0;
}

int
hsm_objmeta_add_link(
	struct hsm_objmeta	*m,
	const char		*path)
{
	char			**l;

	if (m->nlinks >= HSM_OBJLINK_MAX)
		return -E2BIG;
	l = realloc(m->links, (m->nlinks + 1) * sizeof(*l));
	if (!l)
		return -ENOMEM;
	m->links = l;
	l[m->nlinks] = strdup(path);
	if (!l[m->nlinks])
		return -ENOMEM;
	m->nlinks++;
	return 0;
}

HSM_EXPORT void
hsm_objmeta_free(
	struct hsm_objmeta	*m)
{
	size_t			i;

	hsm_datamap_free(&m->map);
	free(m->sums);
	m->sums = NULL;
	m->nsums = m->sums_alloc = 0;
	for (i = 0; i < m->nxattrs; i++) {
		free(m->xattrs[i].name);
		free(m->xattrs[i].value);
	}
	free(m->xattrs);
	m->xattrs = NULL;
	m->nxattrs = 0;
	for (i = 0; i < m->nlinks; i++)
		free(m->links[i]);
	free(m->links);
	m->links = NULL;
	m->nlinks = 0;
}
