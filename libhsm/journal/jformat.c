// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * jformat.c - the change journal's file: header and records (layout in
 * journalP.h), and reading a whole file into a view of its epochs.
 *
 * Decoding is strict: every field of a record is checked before any is
 * trusted, and the first record that fails ends the log.  A reader may
 * run while the writer appends: it sees a prefix of whole records.
 */
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include <xxhash.h>
#include "journal/journalP.h"
#include "lebytes.h"

/* CLOCK_REALTIME in ns: the clock ctime is stamped from. */
int64_t
jr_now(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/*
 * The state directory: XFS_HSM_STATEDIR when set to an absolute path
 * (the tests' own, and a service's Environment=), else the configured one.
 */
const char *
jr_statedir(void)
{
	const char	*d = getenv("XFS_HSM_STATEDIR");

	return d && d[0] == '/' ? d : HSM_STATEDIR;
}

void
jr_path(
	const struct hsm_fs	*fs,
	char			*buf,
	size_t			size)
{
	snprintf(buf, size, "%s/%s.journal", jr_statedir(), fs->uuid_str);
}

HSM_EXPORT void
hsm_journal_path(
	struct hsm_fs	*fs,
	char		*buf,
	size_t		size)
{
	jr_path(fs, buf, size);
}

void
jr_put_header(
	unsigned char		*p,
	const unsigned char	*uuid,
	int64_t			created_ns,
	uint64_t		first,
	int64_t			first_ns)
{
	memset(p, 0, JR_HDR_SIZE);
	memcpy(p, JR_MAGIC, 8);
	put32(p + 8, JR_VERSION);
	put32(p + 12, JR_HDR_SIZE);
	memcpy(p + 16, uuid, 16);
	put64(p + 32, created_ns);
	put64(p + 40, first);
	put64(p + 48, first_ns);
	put64(p + 56, XXH3_64bits(p, 56));
}

int
jr_check_header(
	const unsigned char	*p,
	const unsigned char	*uuid,
	int64_t			*created_ns,
	uint64_t		*first,
	int64_t			*first_ns)
{
	uint32_t		version = get32(p + 8);

	if (memcmp(p, JR_MAGIC, 8) || version < JR_VERSION_MIN ||
	    version > JR_VERSION || get32(p + 12) != JR_HDR_SIZE ||
	    get64(p + 56) != XXH3_64bits(p, 56) || memcmp(p + 16, uuid, 16))
		return -EUCLEAN;
	*created_ns = get64(p + 32);
	*first = get64(p + 40);
	*first_ns = get64(p + 48);
	if (*first > (1ULL << 62) || (version == 1 && (*first || *first_ns)))
		return -EUCLEAN;
	if (!*first)
		*first = 1;
	if (!*first_ns)
		*first_ns = *created_ns;
	return 0;
}

size_t
jr_put(
	unsigned char	*p,
	uint8_t		type,
	uint8_t		flags,
	uint64_t	epoch,
	int64_t		time_ns,
	const void	*payload,
	uint16_t	len)
{
	p[0] = type;
	p[1] = flags;
	put16(p + 2, len);
	put32(p + 4, 0);
	put64(p + 8, epoch);
	put64(p + 16, time_ns);
	if (len)
		memmove(p + JR_REC_HDR, payload, len);
	put64(p + JR_REC_HDR + len, XXH3_64bits(p, JR_REC_HDR + len));
	return JR_REC_HDR + len + 8;
}

/* The payload length each type must have (MARK: at least). */
static bool
len_ok(
	uint8_t		type,
	uint16_t	len)
{
	switch (type) {
	case JR_MARK:
		return len > 4 && len <= 4 + HSM_JHANDLE_MAX;
	case JR_GAP:
		return len == 12;
	case JR_START:
		return len == 4;
	default:
		return len == 0;
	}
}

size_t
jr_get(
	const unsigned char	*p,
	size_t			avail,
	struct jrec		*r)
{
	uint16_t		len;

	if (avail < JR_REC_HDR + 8)
		return 0;
	len = get16(p + 2);
	if (avail < (size_t)JR_REC_HDR + len + 8 ||
	    get64(p + JR_REC_HDR + len) != XXH3_64bits(p, JR_REC_HDR + len))
		return 0;
	if (p[0] < JR_START || p[0] > JR_TYPE_MAX || (p[1] & ~JR_FLUSH_END) ||
	    get32(p + 4) || !len_ok(p[0], len))
		return 0;
	r->type = p[0];
	r->flags = p[1];
	r->len = len;
	r->epoch = get64(p + 8);
	r->time_ns = (int64_t)get64(p + 16);
	r->payload = p + JR_REC_HDR;
	return JR_REC_HDR + len + 8;
}

/* Add a mark to @e; -ENOMEM. */
static int
epoch_add_mark(
	struct hsm_jepoch	*e,
	size_t			*cap,
	const struct jrec	*r)
{
	struct hsm_jhandle	*h;

	if (e->nmarks == *cap) {
		size_t n = *cap ? *cap * 2 : 64;

		h = realloc(e->marks, n * sizeof(*h));
		if (!h)
			return -ENOMEM;
		e->marks = h;
		*cap = n;
	}
	h = &e->marks[e->nmarks++];
	memset(h, 0, sizeof(*h));
	h->type = get32(r->payload);
	h->len = r->len - 4;
	memcpy(h->bytes, r->payload + 4, h->len);
	return 0;
}

/* Open the next epoch in @v (the first: @first) at @t; -ENOMEM. */
static int
view_open_epoch(
	struct hsm_jview	*v,
	size_t			*cap,
	uint64_t		first,
	int64_t			t)
{
	struct hsm_jepoch	*e;

	e = realloc(v->epochs, (v->nepochs + 1) * sizeof(*e));
	if (!e)
		return -ENOMEM;
	v->epochs = e;
	e = &v->epochs[v->nepochs++];
	memset(e, 0, sizeof(*e));
	e->epoch = first + v->nepochs - 1;
	e->opened_ns = t;
	e->vouched = true;
	*cap = 0;
	return 0;
}

int
jr_load(
	int			fd,
	const unsigned char	*uuid,
	struct hsm_jview	**vp,
	uint64_t		*valid)
{
	struct hsm_jview	*v;
	struct hsm_jepoch	*e;
	struct stat		st;
	unsigned char		*buf;
	struct jrec		r;
	size_t			off, n, cap = 0;
	uint64_t		first;
	int64_t			first_ns;
	ssize_t			got;
	int			error;

	if (fstat(fd, &st) < 0)
		return -errno;
	if (st.st_size < JR_HDR_SIZE)
		return -EUCLEAN;
	buf = malloc(st.st_size);
	v = calloc(1, sizeof(*v));
	if (!buf || !v) {
		error = -ENOMEM;
		goto out_free;
	}
	for (off = 0; off < (size_t)st.st_size; off += got) {
		got = pread(fd, buf + off, st.st_size - off, off);
		if (got < 0) {
			error = -errno;
			goto out_free;
		}
		if (got == 0)
			break;
	}
	n = off;
	error = jr_check_header(buf, uuid, &v->created_ns, &first, &first_ns);
	if (error)
		goto out_free;
	error = view_open_epoch(v, &cap, first, first_ns);
	if (error)
		goto out_free;
	v->last_ns = first_ns;
	for (off = JR_HDR_SIZE; off < n; ) {
		size_t len = jr_get(buf + off, n - off, &r);

		/* an epoch out of order is as bad as a bad checksum */
		if (!len || r.epoch != first + v->nepochs - 1)
			break;
		e = &v->epochs[v->nepochs - 1];
		e->bytes += len;
		if (r.flags & JR_FLUSH_END)
			e->flushes++;
		switch (r.type) {
		case JR_MARK:
			error = epoch_add_mark(e, &cap, &r);
			break;
		case JR_GAP:
			if (e->vouched || (int64_t)get64(r.payload) <
					  e->gap_since_ns) {
				if (e->vouched)
					e->gap_reason = get32(r.payload + 8);
				e->gap_since_ns = get64(r.payload);
			}
			e->vouched = false;
			break;
		case JR_CHECKPOINT:
			e->closed_ns = r.time_ns;
			error = view_open_epoch(v, &cap, first, r.time_ns);
			break;
		}
		if (error)
			goto out_free;
		v->clean = r.type == JR_CLEAN;
		v->last_ns = r.time_ns;
		off += len;
	}
	v->size = off;
	*valid = off;
	free(buf);
	*vp = v;
	return 0;
out_free:
	free(buf);
	hsm_jview_free(v);
	return error;
}

int
jr_prune_copy(
	int			fd,
	const unsigned char	*uuid,
	uint64_t		keep,
	int			out)
{
	unsigned char		*buf, hdr[JR_HDR_SIZE];
	struct stat		st;
	struct jrec		r;
	uint64_t		first;
	int64_t			created_ns, first_ns, keep_ns = 0;
	size_t			off, len, from = 0, n;
	ssize_t			got;
	int			error = 0;

	if (fstat(fd, &st) < 0)
		return -errno;
	if (st.st_size < JR_HDR_SIZE)
		return -EUCLEAN;
	buf = malloc(st.st_size);
	if (!buf)
		return -ENOMEM;
	for (off = 0; off < (size_t)st.st_size; off += got) {
		got = pread(fd, buf + off, st.st_size - off, off);
		if (got <= 0) {
			error = got < 0 ? -errno : -EIO;
			goto out;
		}
	}
	n = off;
	error = jr_check_header(buf, uuid, &created_ns, &first, &first_ns);
	if (error)
		goto out;
	/* epoch @keep opens at the checkpoint that closes @keep - 1 */
	for (off = JR_HDR_SIZE; off < n && !from; off += len) {
		len = jr_get(buf + off, n - off, &r);
		if (!len)
			break;
		if (r.type == JR_CHECKPOINT && r.epoch == keep - 1) {
			keep_ns = r.time_ns;
			from = off + len;
		}
	}
	if (!from || keep <= first) {
		error = -ENOENT;
		goto out;
	}
	jr_put_header(hdr, uuid, created_ns, keep, keep_ns);
	memmove(buf + from - JR_HDR_SIZE, hdr, JR_HDR_SIZE);
	for (off = from - JR_HDR_SIZE; off < n; off += got) {
		got = write(out, buf + off, n - off);
		if (got < 0 && errno == EINTR) {
			got = 0;
			continue;
		}
		if (got <= 0) {
			error = got < 0 ? -errno : -EIO;
			break;
		}
	}
out:
	free(buf);
	return error;
}

HSM_EXPORT void
hsm_jview_free(
	struct hsm_jview	*v)
{
	size_t			i;

	if (!v)
		return;
	for (i = 0; i < v->nepochs; i++)
		free(v->epochs[i].marks);
	free(v->epochs);
	free(v);
}

HSM_EXPORT int
hsm_journal_load(
	struct hsm_fs		*fs,
	struct hsm_jview	**vp)
{
	char			path[PATH_MAX];
	uint64_t		valid;
	int			fd, error;

	jr_path(fs, path, sizeof(path));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	error = jr_load(fd, fs->uuid, vp, &valid);
	close(fd);
	return error;
}
