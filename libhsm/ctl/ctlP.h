/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ctlP.h - the control protocol between the commands and xfs_hsmd, and
 * the choice of who moves a file's data (client.c: the route; wire.c:
 * the messages).  Depends on fs/.
 */
#ifndef LIBHSM_CTLP_H
#define LIBHSM_CTLP_H

#include "fs/fsP.h"

int hsm_fs_route(struct hsm_fs *fs);
/* "/run/xfs-hsm/<uuid>.<ext>" */
void hsm_fs_runpath(const struct hsm_fs *fs, const char *ext, char *buf,
		    size_t size);

/* Control protocol: a request is a 16-byte header and a payload (a path,
 * bytes as they are), a response a 32-byte header and a payload (detail
 * text or stats).  Little endian. */
enum hsm_ctl_op {
	HSM_CTL_PING = 1,
	HSM_CTL_STATS,
	HSM_CTL_MIGRATE,
	HSM_CTL_RELEASE,
	HSM_CTL_RECALL,
	HSM_CTL_FORGET,
	HSM_CTL_SETFLAGS,	/* flags: set in the low 16 bits, clear high */
	HSM_CTL_REPAIR,		/* payload: an inode (see hsm_ctl_inode) */
	HSM_CTL_MARKLOST,	/* payload: an inode and the object id */
};
#define HSM_CTL_OP_MAX		HSM_CTL_MARKLOST
#define HSM_CTL_INODE_LEN	(8 + 4 + HSM_OID_LEN)
#define HSM_CTL_REQ_HDR		16
#define HSM_CTL_RESP_HDR	32
#define HSM_CTL_MAX_PAYLOAD	8192

struct hsm_ctl_msg {
	uint16_t	op;
	uint32_t	flags;
	int32_t		error;		/* responses: 0 or -errno */
	uint32_t	outcome;
	uint64_t	bytes;
	uint32_t	len;
	char		payload[HSM_CTL_MAX_PAYLOAD + 1];	/* NUL added */
};

/* Encode into @buf (header + payload); returns the length or -EINVAL. */
int hsm_ctl_encode(const struct hsm_ctl_msg *m, bool response, void *buf,
		   size_t size);
/* Check and decode a header: 0 or -EBADMSG; m->len says what follows. */
int hsm_ctl_decode_hdr(const void *buf, size_t len, bool response,
		       struct hsm_ctl_msg *m);
/* Read or write one whole message on a socket. */
int hsm_ctl_recv(int fd, bool response, struct hsm_ctl_msg *m);
int hsm_ctl_send(int fd, const struct hsm_ctl_msg *m, bool response);
/* One request and its response on the daemon connection of @fs. */
int hsm_ctl_call(struct hsm_fs *fs, struct hsm_ctl_msg *m);
/* The stats as a response payload (at least 8 + 8 * 18 bytes), and back:
 * -EBADMSG if it is too short. */
size_t hsm_stats_pack(const struct hsm_server_stats *st, void *buf);
int hsm_stats_unpack(const void *buf, size_t len, struct hsm_server_stats *st);
/* An inode in a request payload: le64 ino, le32 gen, object id. */
void hsm_ctl_inode_encode(uint64_t ino, uint32_t gen, const uint8_t *oid,
			  void *buf);
int hsm_ctl_inode_decode(const void *buf, size_t len, uint64_t *ino,
			 uint32_t *gen, uint8_t *oid);
/* Forward an operation on inode @ino to the daemon: 0 or -errno, with
 * the response's outcome and bytes. */
int hsm_ctl_forward_ino(struct hsm_fs *fs, unsigned op, uint64_t ino,
			uint32_t gen, const uint8_t *oid, uint32_t *outcome,
			uint64_t *bytes);
/* Forward an operation on @path to the daemon; fills @res and errdetail. */
int hsm_ctl_forward(struct hsm_fs *fs, unsigned op, const char *path,
		    unsigned flags, struct hsm_result *res);

#endif /* LIBHSM_CTLP_H */
