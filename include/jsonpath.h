/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * jsonpath.h - file names in JSON, the same way in every tool
 * (xfs_hsm/jsonout.c): a valid UTF-8 name goes in "path" as it is;
 * otherwise "path" gets U+FFFD for each bad byte and "path_hex" the exact
 * bytes in hex.
 */
#ifndef XFS_HSM_JSONPATH_H
#define XFS_HSM_JSONPATH_H

struct json_object;
void json_add_path(struct json_object *obj, const char *path);

#endif
