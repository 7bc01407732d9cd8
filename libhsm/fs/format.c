// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * format.c - what every tool prints the same way: the flag letters of a
 * file's status and the reason behind an error.
 */
#include <errno.h>
#include <string.h>
#include "fs/fsP.h"

HSM_EXPORT void
hsm_status_flags(
	const struct hsm_status	*st,
	char			out[5])
{
	uint32_t		f = st->has_record ? st->rec.flags : 0;

	out[0] = st->dirty ? 'D' : '-';
	out[1] = (f & HSM_F_LOST) ? 'L' : '-';
	out[2] = (f & HSM_F_NORELEASE) ? 'R' : '-';
	out[3] = (f & HSM_F_NOARCHIVE) ? 'A' : '-';
	out[4] = '\0';
}

HSM_EXPORT const char *
hsm_strerror(
	const struct hsm_fs	*fs,
	int			error)
{
	if (fs && hsm_fs_errdetail(fs))
		return hsm_fs_errdetail(fs);
	switch (error) {
	case -EUCLEAN:
		return "corrupt trusted.hsm record";
	case -EPROTONOSUPPORT:
		return "unsupported trusted.hsm record version";
	case -EBUSY:
		return "file is in use";
	case -ENOLINK:
		return "store copy missing or corrupt";
	default:
		return strerror(-error);
	}
}
