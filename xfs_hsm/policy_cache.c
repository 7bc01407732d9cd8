// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * policy_cache.c - the space policy's saved candidate set: what the last
 * run knew of every file that may move, and the change journal's epoch
 * from which changes are not in it (doc/design.md, "Incremental
 * candidate discovery").  A cache, never an authority: a missing, torn
 * or foreign file costs a full scan, and a stale entry is read live
 * before anything is done to its file.
 *
 * "<statedir>/<uuid>.policy", little endian, written whole to ".new"
 * and renamed over (the journal's own file's discipline):
 *    0 magic "XHSMPOL1"       8 le32 version (1)    12 le32 entry size
 *   16 le64 XXH3-64 of the filesystem's uuid (text)   24 zero
 *   32 le64 fingerprint of the filters
 *   40 le64 journal created (ns)   48 le64 epoch   56 le64 scanned (ns)
 *   64 le64 entries          72 zero
 *   80 entries, then the XXH3-64 of every byte before it.
 * Entry: 0 le64 ino   8 le32 gen  12 state  13 flags (1 dirty, 2 record)
 *   14 action it may have  15 zero  16 le64 size  24 le64 resident bytes
 *   32 le64 max(atime, mtime)  40 zero
 */
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <xxhash.h>
#include "xfs_hsm.h"
#include "policy.h"
#include "lebytes.h"

#define PC_MAGIC	"XHSMPOL1"
#define PC_VERSION	1
#define PC_HDR		80
#define PC_ENT		48
#define PC_MAX		(1ULL << 32)	/* entries: beyond it, not ours */

uint64_t
policy_fingerprint(
	const struct space_policy *p)
{
	XXH3_state_t		*s = XXH3_createState();
	uint64_t		h, v[4] = { htole64(p->min_size),
					    htole64(p->n_uid),
					    htole64(p->n_gid),
					    htole64(p->n_proj) };

	if (!s)
		return 0;
	XXH3_64bits_reset(s);
	XXH3_64bits_update(s, v, sizeof(v));
	XXH3_64bits_update(s, p->excl_uid, p->n_uid * sizeof(uint32_t));
	XXH3_64bits_update(s, p->excl_gid, p->n_gid * sizeof(uint32_t));
	XXH3_64bits_update(s, p->excl_proj, p->n_proj * sizeof(uint32_t));
	h = XXH3_64bits_digest(s);
	XXH3_freeState(s);
	return h;
}

/* Beside the journal: "<statedir>/<uuid>.policy". */
void
policy_cache_path(
	struct hsm_fs	*fs,
	char		*buf,
	size_t		size)
{
	char		*dot;

	hsm_journal_path(fs, buf, size);
	dot = strrchr(buf, '.');
	if (dot && (size_t)(dot - buf) + sizeof(".policy") <= size)
		strcpy(dot, ".policy");
}

static void
put_entry(
	unsigned char		*p,
	const struct candidate	*c)
{
	memset(p, 0, PC_ENT);
	put64(p, c->ino);
	put32(p + 8, c->gen);
	p[12] = c->state;
	p[13] = (c->dirty ? 1 : 0) | (c->has_record ? 2 : 0);
	p[14] = c->can;
	put64(p + 16, c->size);
	put64(p + 24, c->resident);
	put64(p + 32, (uint64_t)c->last);
}

static bool
get_entry(
	const unsigned char	*p,
	struct candidate	*c)
{
	memset(c, 0, sizeof(*c));
	if ((p[13] & ~3) || (p[14] != ACT_RELEASE && p[14] != ACT_MIGRATE) ||
	    p[15] || get64(p + 40))
		return false;
	c->ino = get64(p);
	c->gen = get32(p + 8);
	c->state = p[12];
	c->dirty = p[13] & 1;
	c->has_record = p[13] & 2;
	c->can = p[14];
	c->size = get64(p + 16);
	c->resident = get64(p + 24);
	c->last = (int64_t)get64(p + 32);
	return true;
}

int
policy_cache_load(
	struct hsm_fs		*fs,
	struct policy_cache	*pc,
	const char		**why)
{
	char			path[PATH_MAX];
	unsigned char		*buf = NULL;
	const char		*uuid;
	struct stat		st;
	uint64_t		n, i;
	size_t			off;
	ssize_t			got;
	int			fd, error;

	memset(pc, 0, sizeof(*pc));
	*why = NULL;
	policy_cache_path(fs, path, sizeof(path));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	error = -EUCLEAN;
	if (fstat(fd, &st) < 0) {
		error = -errno;
		goto out;
	}
	if (st.st_size < PC_HDR + 8) {
		*why = "it is too short";
		goto out;
	}
	buf = malloc(st.st_size);
	if (!buf) {
		error = -ENOMEM;
		goto out;
	}
	for (off = 0; off < (size_t)st.st_size; off += got) {
		got = pread(fd, buf + off, st.st_size - off, off);
		if (got <= 0) {
			error = got < 0 ? -errno : -EUCLEAN;
			*why = "it cannot be read whole";
			goto out;
		}
	}
	uuid = hsm_fs_uuid(fs);
	n = get64(buf + 64);
	if (memcmp(buf, PC_MAGIC, 8) || get32(buf + 8) != PC_VERSION ||
	    get32(buf + 12) != PC_ENT) {
		*why = "it is of another format or version";
		goto out;
	}
	if (n >= PC_MAX || (uint64_t)st.st_size != PC_HDR + n * PC_ENT + 8 ||
	    get64(buf + st.st_size - 8) !=
	    XXH3_64bits(buf, st.st_size - 8) || get64(buf + 72)) {
		*why = "its checksum or length is wrong";
		goto out;
	}
	if (get64(buf + 16) != XXH3_64bits(uuid, strlen(uuid)) ||
	    get64(buf + 24)) {
		*why = "it belongs to another filesystem";
		goto out;
	}
	pc->fingerprint = get64(buf + 32);
	pc->journal_created_ns = (int64_t)get64(buf + 40);
	pc->epoch = get64(buf + 48);
	pc->scanned_ns = (int64_t)get64(buf + 56);
	pc->c = malloc((n ? n : 1) * sizeof(*pc->c));
	if (!pc->c) {
		error = -ENOMEM;
		goto out;
	}
	for (i = 0; i < n; i++) {
		if (!get_entry(buf + PC_HDR + i * PC_ENT, &pc->c[i]) ||
		    (i && pc->c[i].ino <= pc->c[i - 1].ino)) {
			*why = "an entry is malformed";
			free(pc->c);
			pc->c = NULL;
			goto out;
		}
	}
	pc->n = n;
	error = 0;
out:
	free(buf);
	close(fd);
	return error;
}

static int
by_ino(
	const void		*a,
	const void		*b)
{
	const struct candidate	*x = a, *y = b;

	return x->ino < y->ino ? -1 : x->ino > y->ino;
}

int
policy_cache_save(
	struct hsm_fs		*fs,
	const struct policy_cache *pc)
{
	char			path[PATH_MAX], tmp[PATH_MAX + 8], *slash;
	struct candidate	*sorted;
	unsigned char		*buf;
	size_t			len, i, k, off;
	ssize_t			n;
	int			fd, dfd, error = 0;

	policy_cache_path(fs, path, sizeof(path));
	snprintf(tmp, sizeof(tmp), "%s.new", path);
	sorted = malloc((pc->n ? pc->n : 1) * sizeof(*sorted));
	buf = malloc(PC_HDR + pc->n * PC_ENT + 8);
	if (!sorted || !buf) {
		error = -ENOMEM;
		goto out_free;
	}
	/* only what may become a candidate: not the gone, not the done */
	for (i = k = 0; i < pc->n; i++)
		if (pc->c[i].can == ACT_RELEASE || pc->c[i].can == ACT_MIGRATE)
			sorted[k++] = pc->c[i];
	qsort(sorted, k, sizeof(*sorted), by_ino);
	memset(buf, 0, PC_HDR);
	memcpy(buf, PC_MAGIC, 8);
	put32(buf + 8, PC_VERSION);
	put32(buf + 12, PC_ENT);
	put64(buf + 16, XXH3_64bits(hsm_fs_uuid(fs), strlen(hsm_fs_uuid(fs))));
	put64(buf + 32, pc->fingerprint);
	put64(buf + 40, (uint64_t)pc->journal_created_ns);
	put64(buf + 48, pc->epoch);
	put64(buf + 56, (uint64_t)pc->scanned_ns);
	for (i = off = 0; i < k; i++) {
		if (i && sorted[i].ino == sorted[i - 1].ino)
			continue;
		put_entry(buf + PC_HDR + off * PC_ENT, &sorted[i]);
		off++;
	}
	put64(buf + 64, off);
	len = PC_HDR + off * PC_ENT;
	put64(buf + len, XXH3_64bits(buf, len));
	len += 8;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		error = -errno;
		goto out_free;
	}
	for (off = 0; off < len && !error; off += n) {
		n = write(fd, buf + off, len - off);
		if (n < 0 && errno == EINTR)
			n = 0;
		else if (n <= 0)
			error = n < 0 ? -errno : -EIO;
	}
	if (!error && fdatasync(fd) < 0)
		error = -errno;
	close(fd);
	if (!error && rename(tmp, path) < 0)
		error = -errno;
	if (error) {
		unlink(tmp);
		goto out_free;
	}
	/* the new name durable too; if it is not, the old file is as
	 * good: it is valid from an older epoch */
	slash = strrchr(path, '/');
	if (slash) {
		*slash = '\0';
		dfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (dfd >= 0) {
			fsync(dfd);
			close(dfd);
		}
	}
out_free:
	free(sorted);
	free(buf);
	return error;
}
