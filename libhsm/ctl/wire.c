// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * wire.c - the control protocol's messages.
 *
 * The wire format is small and fixed: see ctlP.h.  Both sides check every
 * length before using it; the payload is bytes (a file name), never
 * interpreted beyond its length.
 */
#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <unistd.h>
#include <endian.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include "ctl/ctlP.h"
#include "lebytes.h"

#define REQ_MAGIC	0x51534858u	/* "XHSQ" */
#define RESP_MAGIC	0x41534858u	/* "XHSA" */
#define CTL_VERSION	2


/* Fields of struct hsm_server_stats, in wire order (after pid, restarts). */
static const size_t stats_fields[] = {
	offsetof(struct hsm_server_stats, uptime_s),
	offsetof(struct hsm_server_stats, events),
	offsetof(struct hsm_server_stats, own_events),
	offsetof(struct hsm_server_stats, ignored),
	offsetof(struct hsm_server_stats, recalls),
	offsetof(struct hsm_server_stats, recall_bytes),
	offsetof(struct hsm_server_stats, chunks),
	offsetof(struct hsm_server_stats, chunks_dedup),
	offsetof(struct hsm_server_stats, failures),
	offsetof(struct hsm_server_stats, timeouts),
	offsetof(struct hsm_server_stats, adopted),
	offsetof(struct hsm_server_stats, in_flight),
	offsetof(struct hsm_server_stats, queued),
	offsetof(struct hsm_server_stats, unsynced),
	offsetof(struct hsm_server_stats, lat_p50_us),
	offsetof(struct hsm_server_stats, lat_p90_us),
	offsetof(struct hsm_server_stats, lat_p99_us),
	offsetof(struct hsm_server_stats, lat_max_us),
	offsetof(struct hsm_server_stats, rss_kib),
	offsetof(struct hsm_server_stats, rss_max_kib),
};
#define NSTATS	(sizeof(stats_fields) / sizeof(stats_fields[0]))

static const size_t admit_fields[] = {
	offsetof(struct hsm_admit_stats, matched),
	offsetof(struct hsm_admit_stats, denied),
	offsetof(struct hsm_admit_stats, audited),
	offsetof(struct hsm_admit_stats, delayed),
	offsetof(struct hsm_admit_stats, wait_ms),
	offsetof(struct hsm_admit_stats, waiting),
	offsetof(struct hsm_admit_stats, recalls),
	offsetof(struct hsm_admit_stats, bytes),
};
#define NADMIT	(sizeof(admit_fields) / sizeof(admit_fields[0]))

/* The header of @m into @p; -EINVAL for a message that cannot be sent. */
static int
encode_hdr(
	const struct hsm_ctl_msg *m,
	bool			response,
	uint8_t			*p)
{
	size_t			hdr = response ? HSM_CTL_RESP_HDR :
						 HSM_CTL_REQ_HDR;

	if (m->len > HSM_CTL_MAX_PAYLOAD || m->op == 0 ||
	    m->op > HSM_CTL_OP_MAX)
		return -EINVAL;
	memset(p, 0, hdr);
	put32(p, response ? RESP_MAGIC : REQ_MAGIC);
	put16(p + 4, CTL_VERSION);
	put16(p + 6, m->op);
	if (response) {
		put32(p + 8, (uint32_t)m->error);
		put32(p + 12, m->outcome);
		put64(p + 16, m->bytes);
		put32(p + 24, m->len);
	} else {
		put32(p + 8, m->flags);
		put32(p + 12, m->len);
	}
	return 0;
}

int
hsm_ctl_encode(
	const struct hsm_ctl_msg *m,
	bool			response,
	void			*buf,
	size_t			size)
{
	size_t			hdr = response ? HSM_CTL_RESP_HDR :
						 HSM_CTL_REQ_HDR;
	uint8_t			*p = buf;
	int			error;

	if (size < hdr + m->len)
		return -EINVAL;
	error = encode_hdr(m, response, p);
	if (error)
		return error;
	memcpy(p + hdr, m->payload, m->len);
	return hdr + m->len;
}

int
hsm_ctl_decode_hdr(
	const void		*buf,
	size_t			len,
	bool			response,
	struct hsm_ctl_msg	*m)
{
	const uint8_t		*p = buf;
	int32_t			error;

	if (len < (response ? HSM_CTL_RESP_HDR : HSM_CTL_REQ_HDR) ||
	    get32(p) != (response ? RESP_MAGIC : REQ_MAGIC) ||
	    get16(p + 4) != CTL_VERSION)
		return -EBADMSG;
	memset(m, 0, offsetof(struct hsm_ctl_msg, payload));
	m->op = get16(p + 6);
	if (m->op == 0 || m->op > HSM_CTL_OP_MAX)
		return -EBADMSG;
	if (response) {
		error = (int32_t)get32(p + 8);
		if (error > 0 || error < -4095 || get32(p + 28))
			return -EBADMSG;
		m->error = error;
		m->outcome = get32(p + 12);
		m->bytes = get64(p + 16);
		m->len = get32(p + 24);
	} else {
		m->flags = get32(p + 8);
		m->len = get32(p + 12);
	}
	if (m->len > HSM_CTL_MAX_PAYLOAD)
		return -EBADMSG;
	m->payload[0] = '\0';
	return 0;
}

/* Read exactly @len bytes; -ECONNRESET on a short read. */
static int
read_full(
	int		fd,
	void		*buf,
	size_t		len)
{
	char		*p = buf;
	ssize_t		n;

	while (len) {
		n = read(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -ECONNRESET;
		p += n;
		len -= n;
	}
	return 0;
}

int
hsm_ctl_recv(
	int			fd,
	bool			response,
	struct hsm_ctl_msg	*m)
{
	uint8_t			hdr[HSM_CTL_RESP_HDR];
	size_t			hlen = response ? HSM_CTL_RESP_HDR :
						  HSM_CTL_REQ_HDR;
	int			error;

	error = read_full(fd, hdr, hlen);
	if (!error)
		error = hsm_ctl_decode_hdr(hdr, hlen, response, m);
	if (!error)
		error = read_full(fd, m->payload, m->len);
	if (!error)
		m->payload[m->len] = '\0';
	return error;
}

int
hsm_ctl_send(
	int			fd,
	const struct hsm_ctl_msg *m,
	bool			response)
{
	uint8_t			hdr[HSM_CTL_RESP_HDR];
	size_t			hlen = response ? HSM_CTL_RESP_HDR :
						  HSM_CTL_REQ_HDR;
	const uint8_t		*p;
	size_t			len, off = 0;
	ssize_t			n;
	struct iovec		iov[2];
	struct msghdr		mh = { .msg_iov = iov };
	int			error;

	/* the header alone: the payload goes from where it is */
	error = encode_hdr(m, response, hdr);
	if (error)
		return error;
	len = hlen + m->len;
	while (off < len) {
		mh.msg_iovlen = 0;
		if (off < hlen) {
			iov[mh.msg_iovlen].iov_base = hdr + off;
			iov[mh.msg_iovlen++].iov_len = hlen - off;
		}
		p = (const uint8_t *)m->payload + (off > hlen ? off - hlen : 0);
		iov[mh.msg_iovlen].iov_base = (void *)p;
		iov[mh.msg_iovlen++].iov_len = m->len -
					       (off > hlen ? off - hlen : 0);
		n = sendmsg(fd, &mh, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -ECONNRESET;
		off += n;
	}
	return 0;
}

size_t
hsm_stats_pack(
	const struct hsm_server_stats *st,
	void			*buf)
{
	uint8_t			*p = buf;
	size_t			i;

	put32(p, st->pid);
	put32(p + 4, st->restarts);
	for (i = 0; i < NSTATS; i++)
		put64(p + 8 + 8 * i, *(const uint64_t *)
				((const char *)st + stats_fields[i]));
	p += 8 + 8 * NSTATS;
	/* then the admission rules' counters, which older readers ignore */
	put32(p, st->nadmit);
	p += 4;
	for (i = 0; i < st->nadmit && i < HSM_ADMIT_RULES_MAX; i++) {
		const struct hsm_admit_stats *a = &st->admit[i];
		size_t j;

		memcpy(p, a->name, HSM_ADMIT_NAME_MAX);
		p += HSM_ADMIT_NAME_MAX;
		for (j = 0; j < NADMIT; j++, p += 8)
			put64(p, *(const uint64_t *)
					((const char *)a + admit_fields[j]));
	}
	return p - (uint8_t *)buf;
}

int
hsm_stats_unpack(
	const void		*buf,
	size_t			len,
	struct hsm_server_stats	*st)
{
	const uint8_t		*p = buf;
	size_t			i;

	if (len < 8 + 8 * NSTATS)
		return -EBADMSG;
	memset(st, 0, sizeof(*st));
	st->pid = get32(p);
	st->restarts = get32(p + 4);
	for (i = 0; i < NSTATS; i++)
		*(uint64_t *)((char *)st + stats_fields[i]) =
				get64(p + 8 + 8 * i);
	len -= 8 + 8 * NSTATS;
	p += 8 + 8 * NSTATS;
	if (len < 4)
		return 0;		/* a daemon without admission rules */
	st->nadmit = get32(p);
	len -= 4;
	p += 4;
	if (st->nadmit > HSM_ADMIT_RULES_MAX ||
	    len < st->nadmit * (HSM_ADMIT_NAME_MAX + 8 * NADMIT))
		return -EBADMSG;
	for (i = 0; i < st->nadmit; i++) {
		struct hsm_admit_stats *a = &st->admit[i];
		size_t j;

		memcpy(a->name, p, HSM_ADMIT_NAME_MAX);
		a->name[HSM_ADMIT_NAME_MAX - 1] = '\0';
		p += HSM_ADMIT_NAME_MAX;
		for (j = 0; j < NADMIT; j++, p += 8)
			*(uint64_t *)((char *)a + admit_fields[j]) = get64(p);
	}
	return 0;
}


/* ---- batches --------------------------------------------------------- */

void
hsm_ctl_batch_start(
	struct hsm_ctl_msg	*m,
	unsigned		cmd)
{
	m->op = HSM_CTL_BATCH;
	memset(m->payload, 0, HSM_CTL_BATCH_HDR);
	m->payload[0] = cmd;
	m->len = HSM_CTL_BATCH_HDR;
}

/* Room for @n more bytes in @m's payload? */
static bool
room(
	const struct hsm_ctl_msg *m,
	size_t			n)
{
	return m->len + n <= HSM_CTL_MAX_PAYLOAD;
}

/* Count one more item (or result) in the le32 at @at. */
static void
bump(
	struct hsm_ctl_msg	*m,
	size_t			at)
{
	uint8_t			*p = (uint8_t *)m->payload + at;

	put32(p, get32(p) + 1);
}

int
hsm_ctl_put_item(
	struct hsm_ctl_msg	*m,
	const struct hsm_ctl_item *it)
{
	uint8_t			*p = (uint8_t *)m->payload + m->len;

	if (it->kind == HSM_CTL_ITEM_PATH || it->kind == HSM_CTL_ITEM_RANGES) {
		size_t n = it->kind == HSM_CTL_ITEM_RANGES ?
			   2 + 16 * (size_t)it->nranges : 0, i;

		if (!it->plen || memchr(it->path, '\0', it->plen))
			return -EINVAL;
		if (it->kind == HSM_CTL_ITEM_RANGES &&
		    (!it->nranges || it->nranges > HSM_RANGES_MAX))
			return -EINVAL;
		if (!room(m, 3 + it->plen + n))
			return -ENOSPC;
		p[0] = it->kind;
		put16(p + 1, it->plen);
		memcpy(p + 3, it->path, it->plen);
		p += 3 + it->plen;
		if (n) {
			put16(p, it->nranges);
			for (i = 0; i < it->nranges; i++) {
				put64(p + 2 + 16 * i, it->ranges[i].off);
				put64(p + 10 + 16 * i, it->ranges[i].len);
			}
		}
		m->len += 3 + it->plen + n;
	} else if (it->kind == HSM_CTL_ITEM_INODE) {
		if (!room(m, 1 + 12 + HSM_OID_LEN))
			return -ENOSPC;
		p[0] = it->kind;
		put64(p + 1, it->ino);
		put32(p + 9, it->gen);
		memcpy(p + 13, it->oid, HSM_OID_LEN);
		m->len += 1 + 12 + HSM_OID_LEN;
	} else {
		return -EINVAL;
	}
	bump(m, 4);
	return 0;
}

int
hsm_ctl_batch_head(
	const struct hsm_ctl_msg *m,
	unsigned		*cmd,
	uint32_t		*count)
{
	const uint8_t		*p = (const uint8_t *)m->payload;

	if (m->op != HSM_CTL_BATCH || m->len < HSM_CTL_BATCH_HDR ||
	    p[1] || p[2] || p[3])
		return -EBADMSG;
	*cmd = p[0];
	*count = get32(p + 4);
	return 0;
}

int
hsm_ctl_get_item(
	const struct hsm_ctl_msg *m,
	size_t			*pos,
	struct hsm_ctl_item	*it)
{
	const uint8_t		*p = (const uint8_t *)m->payload;
	size_t			at = *pos ? *pos : HSM_CTL_BATCH_HDR;

	if (at == m->len)
		return 1;
	memset(it, 0, sizeof(*it));
	it->kind = p[at];
	if (it->kind == HSM_CTL_ITEM_PATH) {
		if (m->len - at < 3)
			return -EBADMSG;
		it->plen = get16(p + at + 1);
		if (!it->plen || m->len - at - 3 < it->plen ||
		    memchr(p + at + 3, '\0', it->plen))
			return -EBADMSG;
		it->path = (const char *)p + at + 3;
		*pos = at + 3 + it->plen;
		return 0;
	}
	if (it->kind == HSM_CTL_ITEM_RANGES) {
		size_t i, left;

		if (m->len - at < 3)
			return -EBADMSG;
		it->plen = get16(p + at + 1);
		if (!it->plen || m->len - at - 3 < it->plen + 2u ||
		    memchr(p + at + 3, '\0', it->plen))
			return -EBADMSG;
		it->path = (const char *)p + at + 3;
		at += 3 + it->plen;
		it->nranges = get16(p + at);
		left = m->len - at - 2;
		if (!it->nranges || it->nranges > HSM_RANGES_MAX ||
		    left < 16 * (size_t)it->nranges)
			return -EBADMSG;
		for (i = 0; i < it->nranges; i++) {
			it->ranges[i].off = get64(p + at + 2 + 16 * i);
			it->ranges[i].len = get64(p + at + 10 + 16 * i);
		}
		*pos = at + 2 + 16 * it->nranges;
		return 0;
	}
	if (it->kind == HSM_CTL_ITEM_INODE) {
		if (m->len - at < 1 + 12 + HSM_OID_LEN)
			return -EBADMSG;
		it->ino = get64(p + at + 1);
		it->gen = get32(p + at + 9);
		memcpy(it->oid, p + at + 13, HSM_OID_LEN);
		*pos = at + 1 + 12 + HSM_OID_LEN;
		return 0;
	}
	return -EBADMSG;
}

void
hsm_ctl_results_start(
	struct hsm_ctl_msg	*m)
{
	memset(m->payload, 0, 4);
	m->len = 4;
}

#define RESULT_FIXED	(4 + 4 + 8 + 8 + 4 + 2)

int
hsm_ctl_put_result(
	struct hsm_ctl_msg	*m,
	const struct hsm_ctl_result *r)
{
	uint8_t			*p = (uint8_t *)m->payload + m->len;

	if (r->error > 0 || r->error < -4095)
		return -EINVAL;
	if (!room(m, RESULT_FIXED + r->dlen))
		return -ENOSPC;
	put32(p, (uint32_t)r->error);
	p[4] = r->outcome;
	p[5] = r->repair_action;
	p[6] = r->repair_op;
	p[7] = r->lost_flagged;
	put64(p + 8, r->bytes);
	put64(p + 16, r->ino);
	put32(p + 24, r->gen);
	put16(p + 28, r->dlen);
	memcpy(p + RESULT_FIXED, r->detail, r->dlen);
	m->len += RESULT_FIXED + r->dlen;
	bump(m, 0);
	return 0;
}

int
hsm_ctl_get_result(
	const struct hsm_ctl_msg *m,
	size_t			*pos,
	struct hsm_ctl_result	*r)
{
	const uint8_t		*p = (const uint8_t *)m->payload;
	size_t			at = *pos ? *pos : 4;
	int32_t			error;

	if (m->len < 4)
		return -EBADMSG;
	if (at == m->len)
		return 1;
	if (m->len - at < RESULT_FIXED)
		return -EBADMSG;
	memset(r, 0, sizeof(*r));
	error = (int32_t)get32(p + at);
	if (error > 0 || error < -4095)
		return -EBADMSG;
	r->error = error;
	r->outcome = p[at + 4];
	r->repair_action = p[at + 5];
	r->repair_op = p[at + 6];
	r->lost_flagged = p[at + 7];
	r->bytes = get64(p + at + 8);
	r->ino = get64(p + at + 16);
	r->gen = get32(p + at + 24);
	r->dlen = get16(p + at + 28);
	if (m->len - at - RESULT_FIXED < r->dlen)
		return -EBADMSG;
	r->detail = (const char *)p + at + RESULT_FIXED;
	*pos = at + RESULT_FIXED + r->dlen;
	return 0;
}
