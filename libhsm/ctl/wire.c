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
#include "ctl/ctlP.h"

#define REQ_MAGIC	0x51534858u	/* "XHSQ" */
#define RESP_MAGIC	0x41534858u	/* "XHSA" */
#define CTL_VERSION	1

static void put16(uint8_t *p, uint16_t v) { v = htole16(v); memcpy(p, &v, 2); }
static void put32(uint8_t *p, uint32_t v) { v = htole32(v); memcpy(p, &v, 4); }
static void put64(uint8_t *p, uint64_t v) { v = htole64(v); memcpy(p, &v, 8); }
static uint16_t get16(const uint8_t *p) { uint16_t v; memcpy(&v, p, 2); return le16toh(v); }
static uint32_t get32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return le32toh(v); }
static uint64_t get64(const uint8_t *p) { uint64_t v; memcpy(&v, p, 8); return le64toh(v); }

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

	if (m->len > HSM_CTL_MAX_PAYLOAD || size < hdr + m->len ||
	    m->op == 0 || m->op > HSM_CTL_OP_MAX)
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
	uint8_t			buf[HSM_CTL_RESP_HDR + HSM_CTL_MAX_PAYLOAD];
	const uint8_t		*p = buf;
	int			len;
	ssize_t			n;

	len = hsm_ctl_encode(m, response, buf, sizeof(buf));
	if (len < 0)
		return len;
	while (len) {
		n = send(fd, p, len, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -ECONNRESET;
		p += n;
		len -= n;
	}
	return 0;
}

void
hsm_ctl_inode_encode(
	uint64_t	ino,
	uint32_t	gen,
	const uint8_t	*oid,
	void		*buf)
{
	uint8_t		*p = buf;

	put64(p, ino);
	put32(p + 8, gen);
	if (oid)
		memcpy(p + 12, oid, HSM_OID_LEN);
	else
		memset(p + 12, 0, HSM_OID_LEN);
}

int
hsm_ctl_inode_decode(
	const void	*buf,
	size_t		len,
	uint64_t	*ino,
	uint32_t	*gen,
	uint8_t		*oid)
{
	const uint8_t	*p = buf;

	if (len != HSM_CTL_INODE_LEN)
		return -EBADMSG;
	*ino = get64(p);
	*gen = get32(p + 8);
	memcpy(oid, p + 12, HSM_OID_LEN);
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
	return 8 + 8 * NSTATS;
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
	return 0;
}

