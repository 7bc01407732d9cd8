// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * single.c - the operations on one file: a batch of one.
 */
#include <errno.h>
#include <string.h>
#include "ops/opsP.h"

struct one {
	struct hsm_item_result	r;
	char			detail[256];
	bool			got;
};

static void
keep_result(
	void				*arg,
	const struct hsm_item_result	*r)
{
	struct one			*o = arg;

	o->r = *r;
	o->got = true;
	o->detail[0] = '\0';
	if (r->detail)
		strncpy(o->detail, r->detail, sizeof(o->detail) - 1);
}

/* Run @cmd on one file (@path, or inode @in) and wait for its result. */
static int
run_one(
	struct hsm_fs		*fs,
	enum hsm_command	cmd,
	unsigned		flags,
	const char		*path,
	const struct hsm_inode	*in,
	const uint8_t		*oid,
	struct one		*o)
{
	struct hsm_batch	*b;
	int			error;

	memset(o, 0, sizeof(*o));
	hsm_fs_clear_detail(fs);
	error = hsm_batch_new(fs, cmd, flags, keep_result, o, &b);
	if (error)
		return error;
	if (path)
		error = hsm_batch_add(b, path, NULL);
	else
		error = hsm_batch_add_inode(b, in, oid, NULL);
	if (!error)
		error = hsm_batch_flush(b);
	hsm_batch_free(b);
	if (o->got) {
		error = o->r.error;
		if (o->detail[0])
			hsm_fs_set_detail(fs, "%s", o->detail);
	}
	return error;
}

static int
run_path(
	struct hsm_fs		*fs,
	enum hsm_command	cmd,
	unsigned		flags,
	const char		*path,
	struct hsm_result	*res)
{
	struct one		o;
	int			error;

	if (res)
		memset(res, 0, sizeof(*res));
	error = run_one(fs, cmd, flags, path, NULL, NULL, &o);
	if (!error && res) {
		res->outcome = o.r.outcome;
		res->bytes = o.r.bytes;
	}
	return error;
}

HSM_EXPORT int
hsm_migrate(
	struct hsm_fs		*fs,
	const char		*path,
	unsigned		flags,
	struct hsm_result	*res)
{
	return run_path(fs, HSM_CMD_MIGRATE, flags, path, res);
}

HSM_EXPORT int
hsm_release(
	struct hsm_fs		*fs,
	const char		*path,
	struct hsm_result	*res)
{
	return run_path(fs, HSM_CMD_RELEASE, 0, path, res);
}

HSM_EXPORT int
hsm_recall(
	struct hsm_fs		*fs,
	const char		*path,
	struct hsm_result	*res)
{
	return run_path(fs, HSM_CMD_RECALL, 0, path, res);
}

HSM_EXPORT int
hsm_recall_range(
	struct hsm_fs		*fs,
	const char		*path,
	const struct hsm_range	*ranges,
	size_t			n,
	struct hsm_result	*res)
{
	struct hsm_batch	*b;
	struct one		o;
	int			error;

	if (res)
		memset(res, 0, sizeof(*res));
	if (!n || n > HSM_RANGES_MAX || !ranges)
		return -EINVAL;
	memset(&o, 0, sizeof(o));
	hsm_fs_clear_detail(fs);
	error = hsm_batch_new(fs, HSM_CMD_RECALL, 0, keep_result, &o, &b);
	if (error)
		return error;
	error = hsm_batch_add_ranges(b, path, ranges, n, NULL);
	if (!error)
		error = hsm_batch_flush(b);
	hsm_batch_free(b);
	if (o.got) {
		error = o.r.error;
		if (o.detail[0])
			hsm_fs_set_detail(fs, "%s", o.detail);
	}
	if (!error && res) {
		res->outcome = o.r.outcome;
		res->bytes = o.r.bytes;
	}
	return error;
}

HSM_EXPORT int
hsm_forget(
	struct hsm_fs		*fs,
	const char		*path,
	struct hsm_result	*res)
{
	return run_path(fs, HSM_CMD_FORGET, 0, path, res);
}

HSM_EXPORT int
hsm_set_pins(
	struct hsm_fs		*fs,
	const char		*path,
	unsigned		set,
	unsigned		clear)
{
	if (((set | clear) & ~HSM_F_ADMIN) ||
	    (set & HSM_F_RECALL_MODE) == HSM_F_RECALL_MODE)
		return -EINVAL;
	return run_path(fs, HSM_CMD_PINS, HSM_PINS(set, clear), path, NULL);
}

HSM_EXPORT int
hsm_inode_repair(
	struct hsm_fs		*fs,
	const struct hsm_inode	*in,
	struct hsm_repair	*res)
{
	struct one		o;
	int			error;

	memset(res, 0, sizeof(*res));
	error = run_one(fs, HSM_CMD_REPAIR, 0, NULL, in, NULL, &o);
	res->action = o.r.repair_action;
	res->op = o.r.repair_op;
	res->bytes = o.r.bytes;
	return error;
}

HSM_EXPORT int
hsm_inode_mark_lost(
	struct hsm_fs		*fs,
	const struct hsm_inode	*in,
	const uint8_t		oid[HSM_OID_LEN])
{
	struct one		o;
	int			error;

	error = run_one(fs, HSM_CMD_MARKLOST, 0, NULL, in, oid, &o);
	if (error)
		return error;
	return o.r.lost_flagged == 2 ? 2 : o.r.lost_flagged ? 0 : 1;
}
