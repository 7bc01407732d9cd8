// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * statusmap.c - xfs_hsm status --map: the byte ranges of a file that are
 * resident, released (in the store only) or holes, so an administrator
 * sees what a range recall did.
 *
 *   SCRATCH/f: partial, 8491008 bytes
 *         OFFSET       LENGTH STATE
 *              0      1048576 released
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <json-c/json.h>
#include "xfs_hsm.h"

static const char *const seg_names[] = {
	[HSM_SEG_RESIDENT]	= "resident",
	[HSM_SEG_RELEASED]	= "released",
	[HSM_SEG_HOLE]		= "hole",
};

void
status_map_file(
	const char		*path,
	bool			named,
	bool			json,
	bool			*first)
{
	struct hsm_map_seg	*segs;
	struct hsm_status	st;
	struct json_object	*o, *arr, *r;
	struct hsm_fs		*fs;
	size_t			n, i;
	int			error;

	fs = fs_for_path(path, true);
	if (!fs)
		return;			/* reported */
	error = hsm_status_get(fs, path, &st);
	if (!error)
		error = hsm_status_map(fs, path, &segs, &n);
	if (error == -ENOENT && !named)
		return;			/* removed or renamed during the walk */
	if (error) {
		report_file_error("status --map", path, fs, error);
		return;
	}
	if (json) {
		o = json_object_new_object();
		arr = json_object_new_array();
		json_add_path(o, path);
		json_object_object_add(o, "state",
				json_object_new_string(hsm_state_name(st.state)));
		json_object_object_add(o, "size",
				json_object_new_uint64(st.size));
		for (i = 0; i < n; i++) {
			r = json_object_new_object();
			json_object_object_add(r, "offset",
					json_object_new_uint64(segs[i].off));
			json_object_object_add(r, "length",
					json_object_new_uint64(segs[i].len));
			json_object_object_add(r, "state",
					json_object_new_string(
						seg_names[segs[i].kind]));
			json_object_array_add(arr, r);
		}
		json_object_object_add(o, "ranges", arr);
		printf("%s\n    %s", *first ? "" : ",",
		       json_object_to_json_string_ext(o,
				JSON_C_TO_STRING_PLAIN |
				JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(o);
	} else {
		printf("%s%s: %s, %" PRIu64 " bytes\n%14s %12s %s\n",
		       *first ? "" : "\n", path, hsm_state_name(st.state),
		       st.size, "OFFSET", "LENGTH", "STATE");
		for (i = 0; i < n; i++)
			printf("%14" PRIu64 " %12" PRIu64 " %s\n", segs[i].off,
			       segs[i].len, seg_names[segs[i].kind]);
	}
	*first = false;
	free(segs);
}
