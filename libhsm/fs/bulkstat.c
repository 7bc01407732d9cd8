// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * bulkstat.c - our thin wrappers of the XFS inode-walking ioctls
 * (xfsprogs' libfrog does the same, but no distribution ships it):
 * geometry and inode counts, v5 XFS_IOC_INUMBERS (the inodes in use in an
 * allocation group, from the inode btree alone), v5 XFS_IOC_BULKSTAT over
 * one allocation group or the whole filesystem, and the trusted.hsm record of an inode
 * read by handle with XFS_IOC_ATTRMULTI_BY_HANDLE (no path lookup, no
 * open file).
 *
 * Everything here only issues ioctls on the mount fd of a struct hsm_fs
 * and changes nothing in it, so a scanner may run one bulkstat cursor per
 * allocation group on threads of its own (man 2 ioctl_xfs_bulkstat).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <xfs/xfs.h>
#include "fs/fsP.h"

#define BULKSTAT_BATCH_DEFAULT	1024
#define BULKSTAT_BATCH_MAX	65536

struct hsm_bulkstat {
	struct hsm_fs		*fs;
	struct xfs_bulkstat_req	*req;
	unsigned		batch;
	unsigned		next;	/* next record of req to hand out */
	bool			done;	/* the kernel said: nothing more */
};

HSM_EXPORT int
hsm_fs_geometry(
	struct hsm_fs		*fs,
	struct hsm_fs_geom	*g)
{
	struct xfs_fsop_geom	geo;
	struct xfs_fsop_counts	cnt;

	memset(&geo, 0, sizeof(geo));
	memset(&cnt, 0, sizeof(cnt));
	if (ioctl(fs->mntfd, XFS_IOC_FSGEOMETRY, &geo) < 0)
		return -errno;
	if (ioctl(fs->mntfd, XFS_IOC_FSCOUNTS, &cnt) < 0)
		return -errno;
	memset(g, 0, sizeof(*g));
	g->agcount = geo.agcount;
	g->blocksize = geo.blocksize;
	g->inodesize = geo.inodesize;
	g->inodes_allocated = cnt.allocino;
	g->inodes_free = cnt.freeino;
	g->inodes_used = cnt.allocino >= cnt.freeino ?
			 cnt.allocino - cnt.freeino : 0;
	return 0;
}

HSM_EXPORT int
hsm_ag_inodes(
	struct hsm_fs		*fs,
	uint32_t		agno,
	uint64_t		*count)
{
	struct xfs_inumbers_req	*req;
	uint32_t		i;
	int			error = 0;

	*count = 0;
	req = calloc(1, XFS_INUMBERS_REQ_SIZE(BULKSTAT_BATCH_DEFAULT));
	if (!req)
		return -ENOMEM;
	req->hdr.flags = XFS_BULK_IREQ_AGNO;
	req->hdr.agno = agno;
	for (;;) {
		req->hdr.icount = BULKSTAT_BATCH_DEFAULT;
		req->hdr.ocount = 0;
		if (ioctl(fs->mntfd, XFS_IOC_INUMBERS, req) < 0) {
			if (errno != ECANCELED)
				error = errno == ENOTTY ? -EOPNOTSUPP : -errno;
			break;
		}
		if (!req->hdr.ocount)
			break;
		/* one record per inode chunk: no inode is read */
		for (i = 0; i < req->hdr.ocount; i++)
			*count += req->inumbers[i].xi_alloccount;
	}
	free(req);
	return error;
}

HSM_EXPORT int
hsm_bulkstat_open(
	struct hsm_fs		*fs,
	uint32_t		agno,
	uint64_t		start_ino,
	unsigned		batch,
	struct hsm_bulkstat	**bsp)
{
	struct hsm_bulkstat	*bs;

	if (batch == 0)
		batch = BULKSTAT_BATCH_DEFAULT;
	if (batch > BULKSTAT_BATCH_MAX)
		return -EINVAL;
	bs = calloc(1, sizeof(*bs));
	if (!bs)
		return -ENOMEM;
	bs->req = calloc(1, XFS_BULKSTAT_REQ_SIZE(batch));
	if (!bs->req) {
		free(bs);
		return -ENOMEM;
	}
	bs->fs = fs;
	bs->batch = batch;
	bs->req->hdr.ino = start_ino;
	if (agno != HSM_BULKSTAT_ALL_AGS) {
		bs->req->hdr.flags = XFS_BULK_IREQ_AGNO;
		bs->req->hdr.agno = agno;
	}
	*bsp = bs;
	return 0;
}

/* Copy the fields callers may use out of the v5 record. */
static void
fill_inode(
	const struct xfs_bulkstat *b,
	struct hsm_inode	*in)
{
	memset(in, 0, sizeof(*in));
	in->ino = b->bs_ino;
	in->gen = b->bs_gen;
	in->mode = b->bs_mode;
	in->nlink = b->bs_nlink;
	in->uid = b->bs_uid;
	in->gid = b->bs_gid;
	in->size = b->bs_size;
	in->blocks = b->bs_blocks * (b->bs_blksize ? b->bs_blksize : 4096) /
		     512;
	in->mtime_sec = b->bs_mtime;
	in->mtime_nsec = b->bs_mtime_nsec;
	in->ctime_sec = b->bs_ctime;
	in->ctime_nsec = b->bs_ctime_nsec;
	in->forkoff = b->bs_forkoff;
	in->aextents = b->bs_aextents;
	in->atime_sec = b->bs_atime;
	in->projid = b->bs_projectid;
}

/* Refill the batch.  Returns 0, 1 at the end, or -errno. */
static int
refill(
	struct hsm_bulkstat	*bs)
{
	struct xfs_bulk_ireq	*hdr = &bs->req->hdr;

	if (bs->done)
		return 1;
	hdr->icount = bs->batch;
	hdr->ocount = 0;
	if (ioctl(bs->fs->mntfd, XFS_IOC_BULKSTAT, bs->req) < 0) {
		/* an ino past the end of its AG: nothing more there */
		if (errno == ECANCELED) {
			bs->done = true;
			return 1;
		}
		return errno == ENOTTY ? -EOPNOTSUPP : -errno;
	}
	bs->next = 0;
	if (hdr->ocount == 0) {
		bs->done = true;
		return 1;
	}
	return 0;
}

HSM_EXPORT int
hsm_bulkstat_next(
	struct hsm_bulkstat	*bs,
	struct hsm_inode	*in)
{
	int			error;

	if (bs->next >= bs->req->hdr.ocount) {
		error = refill(bs);
		if (error)
			return error;
	}
	fill_inode(&bs->req->bulkstat[bs->next++], in);
	return 0;
}

HSM_EXPORT int
hsm_bulkstat_batch(
	struct hsm_bulkstat	*bs,
	struct hsm_inode	*in,
	unsigned		max,
	unsigned		*nr)
{
	unsigned		i = 0;
	int			error;

	*nr = 0;
	if (bs->next >= bs->req->hdr.ocount) {
		error = refill(bs);
		if (error)
			return error;
	}
	while (i < max && bs->next < bs->req->hdr.ocount)
		fill_inode(&bs->req->bulkstat[bs->next++], &in[i++]);
	*nr = i;
	return 0;
}

HSM_EXPORT uint64_t
hsm_bulkstat_cursor(
	const struct hsm_bulkstat *bs)
{
	/* the kernel's cursor is one past the last record it returned */
	if (bs->next < bs->req->hdr.ocount)
		return bs->req->bulkstat[bs->next].bs_ino;
	return bs->req->hdr.ino;
}

HSM_EXPORT void
hsm_bulkstat_free(
	struct hsm_bulkstat	*bs)
{
	if (!bs)
		return;
	free(bs->req);
	free(bs);
}

/*
 * GET the root-namespace attribute @name of inode @in into @buf with one
 * XFS_IOC_ATTRMULTI_BY_HANDLE.  Returns the value length, or -errno
 * (-ENODATA when there is none, -ERANGE when @size is too small,
 * -ESTALE when the inode is gone or was reused).
 */
static ssize_t
attr_get_by_handle(
	struct hsm_fs			*fs,
	const struct hsm_inode		*in,
	const char			*name,
	void				*buf,
	size_t				size)
{
	struct xfs_fsop_attrmulti_handlereq req;
	struct xfs_attr_multiop		op;
	xfs_handle_t			h;

	if (fs->fshandle_len != sizeof(h.ha_fsid))
		return -EINVAL;
	/* the file handle is the filesystem handle, then ino and gen */
	memset(&h, 0, sizeof(h));
	memcpy(&h.ha_fsid, fs->fshandle, sizeof(h.ha_fsid));
	h.ha_fid.fid_len = sizeof(h.ha_fid) - sizeof(h.ha_fid.fid_len);
	h.ha_fid.fid_gen = in->gen;
	h.ha_fid.fid_ino = in->ino;

	memset(&op, 0, sizeof(op));
	op.am_opcode = ATTR_OP_GET;
	op.am_attrname = (void *)name;
	op.am_attrvalue = buf;
	op.am_length = size;
	op.am_flags = XFS_IOC_ATTR_ROOT;	/* "trusted." */

	memset(&req, 0, sizeof(req));
	req.hreq.ihandle = &h;
	req.hreq.ihandlen = sizeof(h);
	req.opcount = 1;
	req.ops = &op;
	if (ioctl(fs->mntfd, XFS_IOC_ATTRMULTI_BY_HANDLE, &req) < 0)
		return errno == ENOENT || errno == EINVAL ? -ESTALE : -errno;
	if (op.am_error)
		return op.am_error < 0 ? op.am_error : -op.am_error;
	return op.am_length;
}

/* The name of a "trusted." xattr without its prefix. */
static const char *
root_name(
	const char	*xattr)
{
	return xattr + strlen("trusted.");
}

HSM_EXPORT int
hsm_inode_read_record(
	struct hsm_fs		*fs,
	const struct hsm_inode	*in,
	struct hsm_record	*rec)
{
	uint8_t			buf[HSM_RECORD_SIZE + 64];
	ssize_t			n;

	n = attr_get_by_handle(fs, in, root_name(HSM_XATTR_RECORD), buf,
			       sizeof(buf));
	if (n == -ENODATA)
		return 1;
	if (n == -ERANGE)
		return -EUCLEAN;	/* larger than any record */
	if (n < 0)
		return n;
	return hsm_record_decode(buf, n, rec);
}

/* Does trusted.hsm.map of @in record a resident chunk?  1, 0 or -errno. */
static int
inode_has_resident_chunks(
	struct hsm_fs		*fs,
	const struct hsm_inode	*in)
{
	uint8_t			*buf;
	ssize_t			n, i;
	int			ret = 0;

	buf = malloc(HSM_MAP_MAX_BYTES);
	if (!buf)
		return -ENOMEM;
	n = attr_get_by_handle(fs, in, root_name(HSM_XATTR_MAP), buf,
			       HSM_MAP_MAX_BYTES);
	if (n == -ENODATA || n == -ERANGE)
		n = 0;			/* as status: no map, no chunk */
	if (n < 0)
		ret = n;
	for (i = 0; i < n && !ret; i++)
		if (buf[i])
			ret = 1;
	free(buf);
	return ret;
}

static int
chunks_of_inode(
	void		*arg)
{
	void		**a = arg;

	return inode_has_resident_chunks(a[0], a[1]);
}

HSM_EXPORT int
hsm_inode_status(
	struct hsm_fs		*fs,
	const struct hsm_inode	*in,
	struct hsm_status	*st)
{
	void			*arg[2] = { fs, (void *)in };
	int			error;

	memset(st, 0, sizeof(*st));
	if (!S_ISREG(in->mode))
		return S_ISDIR(in->mode) ? -EISDIR : -EINVAL;
	st->size = in->size;
	st->resident_bytes = in->blocks * 512;
	st->mtime_sec = in->mtime_sec;
	st->mtime_nsec = in->mtime_nsec;
	st->ino = in->ino;
	st->state = HSM_STATE_RESIDENT;
	error = hsm_inode_read_record(fs, in, &st->rec);
	if (error == 1)
		return 0;
	if (error)
		return error;
	st->has_record = 1;
	return hsm_status_classify(st, chunks_of_inode, arg);
}

HSM_EXPORT int
hsm_record_owner_alive(
	struct hsm_fs		*fs,
	const struct hsm_record	*rec)
{
	return hsm_owner_alive(fs, rec);
}
