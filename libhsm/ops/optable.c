// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * optable.c - the table of operations: one entry per command.
 *
 * Adding an operation means one entry here and its phase functions (see
 * opsP.h); the engine, the control protocol and the daemon take every
 * command from this table.
 */
#include <stddef.h>
#include "ops/opsP.h"

static const struct hsm_opdesc *const optable[] = {
	[HSM_CMD_MIGRATE]	= &hsm_op_migrate,
	[HSM_CMD_RELEASE]	= &hsm_op_release,
	[HSM_CMD_RECALL]	= &hsm_op_recall,
	[HSM_CMD_FORGET]	= &hsm_op_forget,
	[HSM_CMD_PINS]		= &hsm_op_pins,
	[HSM_CMD_REPAIR]	= &hsm_op_repair,
	[HSM_CMD_MARKLOST]	= &hsm_op_marklost,
	[HSM_CMD_UPGRADE]	= &hsm_op_upgrade,
	[HSM_CMD_COPY]		= &hsm_op_copy,
};

const struct hsm_opdesc *
hsm_opdesc(
	enum hsm_command	code)
{
	if ((unsigned)code >= sizeof(optable) / sizeof(optable[0]))
		return NULL;
	return optable[code];
}
