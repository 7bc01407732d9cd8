// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * hsmfsx_ops.c - the exerciser's operations.  Each picks its parameters
 * from the op stream and the model, runs, then brings the model along;
 * one that makes no sense at the current size (a read of an empty file, a
 * collapse of its last block) is skipped.  Every syscall retries what a
 * daemon refuses for now and fails the run on any other error.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/fs.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/types.h>
#include <unistd.h>
#include "hsmfsx.h"

void
xpwrite(
	struct fsx	*x,
	int		fd,
	const uint8_t	*p,
	size_t		len,
	uint64_t	off)
{
	ssize_t		n;

	while (len) {
		n = pwrite(fd, p, len, off);
		if (n < 0 && retry(x, errno, "write"))
			continue;
		p += n;
		off += n;
		len -= n;
	}
}

static void
xfallocate(
	struct fsx	*x,
	int		mode,
	uint64_t	off,
	uint64_t	len,
	const char	*what)
{
	while (fallocate(x->fd, mode, off, len) < 0)
		retry(x, errno, what);
}

static void
xftruncate(
	struct fsx	*x,
	uint64_t	size)
{
	while (ftruncate(x->fd, size) < 0)
		retry(x, errno, "truncate");
}

static void *
xmmap(
	struct fsx	*x,
	size_t		len,
	int		prot,
	uint64_t	off,
	const char	*what)
{
	void		*p;

	while ((p = mmap(NULL, len, prot, MAP_SHARED, x->fd, off)) ==
	       MAP_FAILED)
		retry(x, errno, what);
	return p;
}

/* The model grows to @end if it is beyond the size (zeros are there). */
static void
grow(
	struct fsx	*x,
	uint64_t	end)
{
	if (end > x->size)
		x->size = end;
}

/* ---- the operations ---------------------------------------------------- */

/* A random range: offset below @limit, 1..max_op bytes, not past @end. */
static void
pick_range(
	struct fsx	*x,
	uint64_t	limit,
	uint64_t	end,
	uint64_t	*off,
	uint64_t	*len)
{
	*off = rnd(x, limit);
	*len = 1 + rnd(x, x->max_op);
	if (*off + *len > end)
		*len = end - *off;
}

/* A random block-aligned range below @end: false if none fits. */
static bool
pick_blocks(
	struct fsx	*x,
	uint64_t	end,
	uint64_t	*off,
	uint64_t	*len)
{
	uint64_t	nblk = end / BLK, maxb = x->max_op / BLK;

	*off = rnd(x, nblk ? nblk : 1) * BLK;
	*len = (1 + rnd(x, maxb ? maxb : 1)) * BLK;
	if (*off >= end)
		return false;
	if (*off + *len > end)
		*len = (end - *off) / BLK * BLK;
	return *len > 0;
}

static void
op_read(
	struct fsx	*x,
	struct hist	*h)
{
	if (!x->size) {
		h->skipped = true;
		return;
	}
	pick_range(x, x->size, x->size, &h->off, &h->len);
	xpread(x, x->fd, x->buf, h->len, h->off, "read");
	check(x, "read", x->buf, h->off, h->len);
}

static void
op_write(
	struct fsx	*x,
	struct hist	*h)
{
	pick_range(x, x->max_len, x->max_len, &h->off, &h->len);
	fill(x, x->buf, h->len);
	xpwrite(x, x->fd, x->buf, h->len, h->off);
	memcpy(x->model + h->off, x->buf, h->len);
	grow(x, h->off + h->len);
}

/*
 * Read through a shared mapping; the bytes of the last page past the end
 * of the file must read as zeros too.
 */
static void
op_mapread(
	struct fsx	*x,
	struct hist	*h)
{
	uint64_t	pg = x->pagesize, moff, mlen, end, i;
	uint8_t		*p;

	if (!x->size) {
		h->skipped = true;
		return;
	}
	pick_range(x, x->size, x->size, &h->off, &h->len);
	moff = h->off & ~(pg - 1);
	end = (h->off + h->len + pg - 1) & ~(pg - 1);
	mlen = end - moff;
	p = xmmap(x, mlen, PROT_READ, moff, "mapread: mmap");
	check(x, "mapread", p + (h->off - moff), h->off, h->len);
	for (i = x->size; i < end; i++)
		if (p[i - moff])
			fail(x, "mapread: byte 0x%" PRIx64 " past the end of "
			     "the file reads 0x%02x, not 0", i, p[i - moff]);
	munmap(p, mlen);
}

static void
op_mapwrite(
	struct fsx	*x,
	struct hist	*h)
{
	uint64_t	pg = x->pagesize, moff, mlen;
	uint8_t		*p;

	pick_range(x, x->max_len, x->max_len, &h->off, &h->len);
	if (h->off + h->len > x->size) {
		xftruncate(x, h->off + h->len);	/* no mapping past the end */
		grow(x, h->off + h->len);
	}
	moff = h->off & ~(pg - 1);
	mlen = h->off + h->len - moff;
	fill(x, x->buf, h->len);
	p = xmmap(x, mlen, PROT_READ | PROT_WRITE, moff, "mapwrite: mmap");
	memcpy(p + (h->off - moff), x->buf, h->len);
	if (msync(p, mlen, MS_SYNC) < 0)
		fail(x, "mapwrite: msync: %s", strerror(errno));
	munmap(p, mlen);
	memcpy(x->model + h->off, x->buf, h->len);
}

static void
op_truncate(
	struct fsx	*x,
	struct hist	*h)
{
	h->off = rnd(x, x->max_len + 1);
	xftruncate(x, h->off);
	if (h->off < x->size)
		memset(x->model + h->off, 0, x->size - h->off);
	x->size = h->off;
}

/* fallocate mode 0 (allocate, may grow) or KEEP_SIZE. */
static void
op_falloc(
	struct fsx	*x,
	struct hist	*h,
	bool		keep)
{
	pick_range(x, x->max_len, x->max_len, &h->off, &h->len);
	xfallocate(x, keep ? FALLOC_FL_KEEP_SIZE : 0, h->off, h->len,
		   keep ? "keepsize" : "falloc");
	if (!keep)
		grow(x, h->off + h->len);
}

static void
op_punch(
	struct fsx	*x,
	struct hist	*h)
{
	uint64_t	end;

	pick_range(x, x->max_len, x->max_len, &h->off, &h->len);
	xfallocate(x, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, h->off,
		   h->len, "punch");
	end = h->off + h->len < x->size ? h->off + h->len : x->size;
	if (h->off < end)
		memset(x->model + h->off, 0, end - h->off);
}

/* ZERO_RANGE, half of them with KEEP_SIZE. */
static void
op_zero(
	struct fsx	*x,
	struct hist	*h)
{
	uint64_t	end;

	h->keep = rnd(x, 2);
	pick_range(x, x->max_len, x->max_len, &h->off, &h->len);
	xfallocate(x, FALLOC_FL_ZERO_RANGE |
		   (h->keep ? FALLOC_FL_KEEP_SIZE : 0), h->off, h->len, "zero");
	if (!h->keep)
		grow(x, h->off + h->len);
	end = h->off + h->len < x->size ? h->off + h->len : x->size;
	if (h->off < end)
		memset(x->model + h->off, 0, end - h->off);
}

/* COLLAPSE_RANGE: the range must end before the end of the file. */
static void
op_collapse(
	struct fsx	*x,
	struct hist	*h)
{
	if (x->size <= BLK ||
	    !pick_blocks(x, (x->size - 1) / BLK * BLK, &h->off, &h->len)) {
		h->skipped = true;
		return;
	}
	xfallocate(x, FALLOC_FL_COLLAPSE_RANGE, h->off, h->len, "collapse");
	memmove(x->model + h->off, x->model + h->off + h->len,
		x->size - h->off - h->len);
	memset(x->model + x->size - h->len, 0, h->len);
	x->size -= h->len;
}

/* INSERT_RANGE: at a block inside the file; the file must stay within
 * max_len. */
static void
op_insert(
	struct fsx	*x,
	struct hist	*h)
{
	uint64_t	room = x->max_len - x->size;

	if (!x->size || room < BLK ||
	    !pick_blocks(x, (x->size + BLK - 1) / BLK * BLK, &h->off,
			 &h->len)) {
		h->skipped = true;
		return;
	}
	if (h->off >= x->size) {		/* inside, not at the end */
		h->skipped = true;
		return;
	}
	if (h->len > room)
		h->len = room / BLK * BLK;
	xfallocate(x, FALLOC_FL_INSERT_RANGE, h->off, h->len, "insert");
	memmove(x->model + h->off + h->len, x->model + h->off,
		x->size - h->off);
	memset(x->model + h->off, 0, h->len);
	x->size += h->len;
}

/* copy_file_range from @sfd at h->src to FILE at h->off, all of it. */
static void
copy_all(
	struct fsx	*x,
	int		sfd,
	struct hist	*h,
	const char	*what)
{
	uint64_t	done = 0;
	loff_t		s, d;
	ssize_t		n;

	while (done < h->len) {
		s = h->src + done;
		d = h->off + done;
		n = copy_file_range(sfd, &s, x->fd, &d, h->len - done, 0);
		if (n < 0 && retry(x, errno, what))
			continue;
		if (n == 0)
			fail(x, "%s: nothing copied at 0x%" PRIx64, what,
			     h->src + done);
		done += n;
	}
}

/* Within FILE: the two ranges must not overlap (EINVAL). */
static void
op_copy(
	struct fsx	*x,
	struct hist	*h)
{
	if (!x->size) {
		h->skipped = true;
		return;
	}
	pick_range(x, x->size, x->size, &h->src, &h->len);
	h->off = rnd(x, x->max_len - h->len + 1);
	if (h->off < h->src + h->len && h->src < h->off + h->len) {
		h->skipped = true;
		return;
	}
	copy_all(x, x->fd, h, "copy");
	memcpy(x->model + h->off, x->model + h->src, h->len);
	grow(x, h->off + h->len);
}

static void
op_copyside(
	struct fsx	*x,
	struct hist	*h)
{
	pick_range(x, x->side_len, x->side_len, &h->src, &h->len);
	h->off = rnd(x, x->max_len - h->len + 1);
	copy_all(x, x->side_fd, h, "copyside");
	memcpy(x->model + h->off, x->side + h->src, h->len);
	grow(x, h->off + h->len);
}

/* FICLONERANGE from the side file, in whole blocks. */
static void
op_clone(
	struct fsx	*x,
	struct hist	*h)
{
	struct file_clone_range fcr = { .src_fd = x->side_fd };

	if (!pick_blocks(x, x->side_len, &h->src, &h->len)) {
		h->skipped = true;
		return;
	}
	h->off = rnd(x, (x->max_len - h->len) / BLK + 1) * BLK;
	if (x->no_clone) {
		h->skipped = true;
		return;
	}
	fcr.src_offset = h->src;
	fcr.src_length = h->len;
	fcr.dest_offset = h->off;
	while (ioctl(x->fd, FICLONERANGE, &fcr) < 0) {
		if (errno == EOPNOTSUPP || errno == EXDEV) {
			printf("%s: note: clone: %s here, clones skipped\n",
			       PROGNAME, strerror(errno));
			x->no_clone = true;
			h->skipped = true;
			return;
		}
		retry(x, errno, "clone");
	}
	memcpy(x->model + h->off, x->side + h->src, h->len);
	grow(x, h->off + h->len);
}

/* Run operation @kind, recording its parameters in @h. */
void
do_op(
	struct fsx	*x,
	int		kind,
	struct hist	*h)
{
	switch (kind) {
	case OP_READ:		op_read(x, h); break;
	case OP_WRITE:		op_write(x, h); break;
	case OP_MAPREAD:	op_mapread(x, h); break;
	case OP_MAPWRITE:	op_mapwrite(x, h); break;
	case OP_TRUNCATE:	op_truncate(x, h); break;
	case OP_FALLOC:		op_falloc(x, h, false); break;
	case OP_KEEPSIZE:	op_falloc(x, h, true); break;
	case OP_PUNCH:		op_punch(x, h); break;
	case OP_ZERO:		op_zero(x, h); break;
	case OP_COLLAPSE:	op_collapse(x, h); break;
	case OP_INSERT:		op_insert(x, h); break;
	case OP_COPY:		op_copy(x, h); break;
	case OP_COPYSIDE:	op_copyside(x, h); break;
	case OP_CLONE:		op_clone(x, h); break;
	}
}
