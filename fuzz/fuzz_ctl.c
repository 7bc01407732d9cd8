// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * fuzz_ctl.c - the control socket's message decoder, as the daemon reads
 * a request and a command reads the reply: hsm_ctl_recv() on a pipe
 * holding the input.  A message that decodes must encode back to the
 * bytes it was read from (no field is ignored), and a batch's items or
 * results are decoded as the daemon and a command would: each one read
 * back and written again must give the same bytes.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include "ctl/ctlP.h"
#include "fuzz.h"

/* Fits a pipe's buffer: the write below never blocks. */
#define MAX_INPUT	60000

/* Decode every item (or result) and encode it again: the same bytes. */
static void
check_batch(
	const struct hsm_ctl_msg *m,
	bool			response)
{
	static struct hsm_ctl_msg again;
	struct hsm_ctl_item	it;
	struct hsm_ctl_result	r;
	unsigned		cmd;
	uint32_t		count;
	size_t			pos = 0;
	int			rc;

	if (response) {
		hsm_ctl_results_start(&again);
		while ((rc = hsm_ctl_get_result(m, &pos, &r)) == 0)
			FUZZ_CHECK(hsm_ctl_put_result(&again, &r) == 0);
		if (rc == 1 && !memcmp(again.payload, m->payload, 4))
			FUZZ_CHECK(again.len == m->len &&
				   !memcmp(again.payload, m->payload, m->len));
		return;
	}
	if (hsm_ctl_batch_head(m, &cmd, &count))
		return;
	hsm_ctl_batch_start(&again, cmd);
	while ((rc = hsm_ctl_get_item(m, &pos, &it)) == 0)
		FUZZ_CHECK(hsm_ctl_put_item(&again, &it) == 0);
	if (rc == 1 && !memcmp(again.payload + 4, m->payload + 4, 4))
		FUZZ_CHECK(again.len == m->len &&
			   !memcmp(again.payload, m->payload, m->len));
}

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
	if (m->op != HSM_CTL_BATCH)
		return;
	check_batch(m, response);
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
