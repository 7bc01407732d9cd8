// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * objpath.c - where a posix store keeps object @oid, relative to its
 * objects/ directory.  The names are built from the id's hex alone, never
 * from bytes of a record, so no record can name a file outside the store
 * (fuzz/fuzz_objpath.c checks it).  Its own file so the fuzzer links it.
 */
#include <stdio.h>
#include "store/store.h"

void
hsm_posix_object_names(
	const uint8_t	oid[HSM_OID_LEN],
	char		data[HSM_OBJ_DATA_NAME],
	char		meta[HSM_OBJ_META_NAME])
{
	char		hex[33];

	hsm_oid_hex(oid, hex);
	snprintf(data, HSM_OBJ_DATA_NAME, "%.2s/%s", hex, hex);
	if (meta)
		snprintf(meta, HSM_OBJ_META_NAME, "%.2s/%s.meta", hex, hex);
}
