// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * fuzz_ctl.c - the control socket's message decoder, as the daemon reads
 * a request and a command reads the reply: hsm_ctl_recv() on a pipe
 * holding the input.  A message that decodes must encode back to the
 * bytes it was read from (no field is ignored), and an inode payload is
 * decoded as the daemon would.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include "ctl/ctlP.h"
#include "fuzz.h"

/* Fits a pipe's buffer: the write below never blocks. */
#define MAX_INPUT	(HSM_CTL_RESP_HDR + HSM_CTL_MAX_PAYLOAD + 64)

static void
check_one(
	const uint8_t		*data,
	size_t			size,
	bool			response,
	struct hsm_ctl_msg	*m,
	uint8_t			*buf)
{
	size_t			hdr = response ? HSM_CTL_RESP_HDR :
						 HSM_CTL_REQ_HDR;
	uint64_t		ino;
	uint32_t		gen;
	uint8_t			oid[HSM_OID_LEN];
	int			fds[2], len;

	FUZZ_CHECK(pipe2(fds, O_CLOEXEC) == 0);
	if (size)
		FUZZ_CHECK(write(fds[1], data, size) == (ssize_t)size);
	close(fds[1]);
	if (hsm_ctl_recv(fds[0], response, m)) {
		close(fds[0]);
		return;
	}
	close(fds[0]);

	FUZZ_CHECK(m->len <= HSM_CTL_MAX_PAYLOAD && hdr + m->len <= size);
	FUZZ_CHECK(m->op >= 1 && m->op <= HSM_CTL_OP_MAX);
	FUZZ_CHECK(m->payload[m->len] == '\0');
	len = hsm_ctl_encode(m, response, buf, HSM_CTL_RESP_HDR +
			HSM_CTL_MAX_PAYLOAD);
	FUZZ_CHECK(len == (int)(hdr + m->len));
	FUZZ_CHECK(memcmp(buf, data, len) == 0);
	if (response ||
	    (m->op != HSM_CTL_REPAIR && m->op != HSM_CTL_MARKLOST))
		return;
	if (!hsm_ctl_inode_decode(m->payload, m->len, &ino, &gen, oid)) {
		hsm_ctl_inode_encode(ino, gen, oid, buf);
		FUZZ_CHECK(memcmp(buf, m->payload, m->len) == 0);
	}
}

int
LLVMFuzzerTestOneInput(
	const uint8_t		*data,
	size_t			size)
{
	struct hsm_ctl_msg	*m;
	uint8_t			*buf;

	if (size > MAX_INPUT)
		return 0;
	m = malloc(sizeof(*m));
	buf = malloc(HSM_CTL_RESP_HDR + HSM_CTL_MAX_PAYLOAD);
	if (m && buf) {
		check_one(data, size, false, m, buf);
		check_one(data, size, true, m, buf);
	}
	free(buf);
	free(m);
	return 0;
}
