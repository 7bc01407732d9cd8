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

/*
 * Control protocol, version 2: a request is a 16-byte header and a
 * payload, a response a 32-byte header and a payload.  Little endian.
 * PING and STATS carry no request payload; STATS answers with the stats.
 * BATCH carries a batch: the command (a byte, enum hsm_command), three
 * zero bytes, the number of items (le32), then each item: a kind byte,
 * and for a path le16 length and its bytes, for an inode le64 number,
 * le32 generation and the 16 bytes of an object id, for a path with
 * ranges (a range recall) a path's bytes then le16 count and each range's
 * le64 offset and le64 length.  Its response is the
 * number of results (le32) and each result: le32 error (0 or -errno),
 * bytes outcome, repair action, repair op, flagged lost, le64 bytes,
 * le64 inode, le32 generation, le16 detail length and the detail text.
 * A response's header error is the batch's own (it could not run).
 * JOURNAL carries its HSM_JOURNAL_* flags in the header's flags and no
 * payload; the response's bytes field is the epoch (hsm_journal_request).
 */
enum hsm_ctl_op {
	HSM_CTL_PING = 1,
	HSM_CTL_STATS,
	HSM_CTL_BATCH,
	HSM_CTL_JOURNAL,
};
#define HSM_CTL_OP_MAX		HSM_CTL_JOURNAL
#define HSM_CTL_REQ_HDR		16
#define HSM_CTL_RESP_HDR	32
#define HSM_CTL_MAX_PAYLOAD	(1U << 20)
#define HSM_CTL_BATCH_HDR	8

enum {
	HSM_CTL_ITEM_PATH = 1,
	HSM_CTL_ITEM_INODE,
	HSM_CTL_ITEM_RANGES,		/* a path, and ranges of it */
};

struct hsm_ctl_msg {
	uint16_t	op;
	uint32_t	flags;
	int32_t		error;		/* responses: 0 or -errno */
	uint32_t	outcome;
	uint64_t	bytes;
	uint32_t	len;
	char		payload[HSM_CTL_MAX_PAYLOAD + 1];	/* NUL added */
};

/* One item of a batch request, as encoded (path points into the
 * payload, not NUL-terminated: @plen bytes). */
struct hsm_ctl_item {
	uint8_t		kind;		/* HSM_CTL_ITEM_* */
	const char	*path;
	uint16_t	plen;
	uint64_t	ino;
	uint32_t	gen;
	uint8_t		oid[HSM_OID_LEN];
	uint16_t	nranges;	/* HSM_CTL_ITEM_RANGES: 1 to MAX */
	struct hsm_range ranges[HSM_RANGES_MAX];
};

/* One result of a batch response (detail points into the payload). */
struct hsm_ctl_result {
	int32_t		error;
	uint8_t		outcome;
	uint8_t		repair_action;
	uint8_t		repair_op;
	uint8_t		lost_flagged;
	uint64_t	bytes;
	uint64_t	ino;
	uint32_t	gen;
	const char	*detail;
	uint16_t	dlen;
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

/* A batch in a message: start it, add items or results (-ENOSPC when it
 * is full), and read them back one at a time (@pos starts at 0; 0 for
 * an item, 1 at the end, -EBADMSG for a malformed payload). */
void hsm_ctl_batch_start(struct hsm_ctl_msg *m, unsigned cmd);
int hsm_ctl_put_item(struct hsm_ctl_msg *m, const struct hsm_ctl_item *it);
int hsm_ctl_batch_head(const struct hsm_ctl_msg *m, unsigned *cmd,
		       uint32_t *count);
int hsm_ctl_get_item(const struct hsm_ctl_msg *m, size_t *pos,
		     struct hsm_ctl_item *it);
void hsm_ctl_results_start(struct hsm_ctl_msg *m);
int hsm_ctl_put_result(struct hsm_ctl_msg *m, const struct hsm_ctl_result *r);
int hsm_ctl_get_result(const struct hsm_ctl_msg *m, size_t *pos,
		       struct hsm_ctl_result *r);

#endif /* LIBHSM_CTLP_H */
