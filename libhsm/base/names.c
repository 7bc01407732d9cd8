// SPDX-License-Identifier: LGPL-2.1-or-later
/* names.c - printable names of states and pending operations. */
#include "base/base.h"

static const char *const state_names[] = {
	[HSM_STATE_RESIDENT]	= "resident",
	[HSM_STATE_ARCHIVED]	= "archived",
	[HSM_STATE_RELEASED]	= "released",
	[HSM_STATE_PARTIAL]	= "partial",
};

static const char *const op_names[] = {
	[HSM_OP_NONE]		= "none",
	[HSM_OP_MIGRATING]	= "migrating",
	[HSM_OP_RELEASING]	= "releasing",
	[HSM_OP_RECALLING]	= "recalling",
	[HSM_OP_FORGETTING]	= "forgetting",
};

HSM_EXPORT const char *
hsm_state_name(
	unsigned	state)
{
	if (state >= sizeof(state_names) / sizeof(state_names[0]))
		return "unknown";
	return state_names[state];
}

HSM_EXPORT const char *
hsm_op_name(
	unsigned	op)
{
	if (op >= sizeof(op_names) / sizeof(op_names[0]))
		return "unknown";
	return op_names[op];
}
