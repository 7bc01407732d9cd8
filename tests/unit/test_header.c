// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test_header.c - the public header is self-contained in C: it is
 * included first and alone, and this file must compile warning-free.
 */
#include <hsm.h>

#include "tap.h"

/* Use what the header promises without any other include. */
static const struct hsm_record rec = { .flags = HSM_F_ARCHIVED };
static const enum hsm_op op = HSM_OP_MAX;
static const char version[] = LIBHSM_VERSION;

int
main(void)
{
	plan_tests(1);
	ok(rec.flags == HSM_F_ARCHIVED && op == HSM_OP_FORGETTING &&
	   sizeof(version) > 1 && HSM_RECORD_SIZE == 160 &&
	   HSM_RECORD_V1_SIZE == 128 && HSM_COPIES_MAX >= 3 &&
	   sizeof(((struct hsm_record *)0)->copy[0].oid) == HSM_OID_LEN &&
	   rec.copy[HSM_COPIES_MAX - 1].state == HSM_COPY_NONE,
	   "<hsm.h> compiles alone in C (libhsm %s)", version);
	return exit_status();
}
