// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test_header_cxx.cc - the public header is self-contained and C++-safe:
 * included first and alone, with extern "C" linkage for its functions.
 */
#include <hsm.h>

extern "C" {
#include "tap.h"
}

/* A C++ pointer to an extern "C" function: compiles only with C linkage. */
typedef int (*decode_fn)(const void *, size_t, struct hsm_record *);

int
main(void)
{
	struct hsm_record rec = {};
	decode_fn fn = hsm_record_decode;
	enum hsm_op op = HSM_OP_MAX;

	rec.flags = HSM_F_ARCHIVED | HSM_F_PINS;
	plan_tests(1);
	ok(fn != 0 && op == HSM_OP_FORGETTING && HSM_RECORD_SIZE == 160 &&
	   sizeof(rec.copy[0].oid) == HSM_OID_LEN,
	   "<hsm.h> compiles alone in C++ (libhsm %s)", LIBHSM_VERSION);
	return exit_status();
}
