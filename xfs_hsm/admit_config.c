// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * admit_config.c - the recall admission rules of xfs_hsm.conf, one
 * [recall NAME] section each, in the order they first appear:
 *
 *   [recall backup]
 *   comm = bsdtar, rsync          who: uid, gid (names or numbers), exe,
 *   cgroup = /system.slice/backup.service     comm, cgroup; all must hold
 *   action = limit                allow, deny or limit
 *   recalls_per_second = 20       limit: either or both
 *   bytes_per_second = 50M
 *   mode = whole                  whole, range, or file (the file's)
 *
 *   [recall scanners]
 *   comm = clamd
 *   action = deny
 *   errno = EPERM                 deny: EIO EPERM EBUSY ETXTBSY EAGAIN
 *   audit = yes                   ENOSPC EDQUOT; audit: only log it
 */
#include <errno.h>
#include <grp.h>
#include <math.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include "xfs_hsm.h"
#include "policy.h"
#include "strutils.h"

#define LIST_MAX	64

static const struct {
	const char	*name;
	int		value;
} errnos[] = {
	{ "EIO", EIO }, { "EPERM", EPERM }, { "EBUSY", EBUSY },
	{ "ETXTBSY", ETXTBSY }, { "EAGAIN", EAGAIN }, { "ENOSPC", ENOSPC },
	{ "EDQUOT", EDQUOT },
};

/* The rule named @name, added if new; NULL when there are too many. */
static struct hsm_admit_rule *
rule_named(
	struct admit_rules	*ar,
	const char		*name)
{
	struct hsm_admit_rule	*ru;
	unsigned		i;

	for (i = 0; i < ar->n; i++)
		if (!strcmp(ar->rule[i].name, name))
			return &ar->rule[i];
	if (ar->n == HSM_ADMIT_RULES_MAX)
		return NULL;
	ru = &ar->rule[ar->n++];
	memset(ru, 0, sizeof(*ru));
	snprintf(ru->name, sizeof(ru->name), "%s", name);
	ru->deny_errno = EPERM;
	return ru;
}

/* Split "a, b c" into @out (at most LIST_MAX); the number, or -EINVAL. */
static int
split(
	const char	*value,
	char		**out)
{
	char		*buf = strdup(value), *tok, *save = NULL;
	int		n = 0;

	if (!buf)
		return -ENOMEM;
	for (tok = strtok_r(buf, ", \t", &save); tok;
	     tok = strtok_r(NULL, ", \t", &save)) {
		if (n == LIST_MAX || !(out[n] = strdup(tok))) {
			while (n > 0)
				free(out[--n]);
			free(buf);
			return -EINVAL;
		}
		n++;
	}
	free(buf);
	return n ? n : -EINVAL;
}

static void
free_list(
	char		**v,
	unsigned	n)
{
	while (n > 0)
		free(v[--n]);
	free(v);
}

/* A list of strings; @check says whether one is acceptable. */
static int
set_names(
	const char	*value,
	char *const	**namesp,
	unsigned	*np,
	bool		(*check)(const char *))
{
	char		*tmp[LIST_MAX], **v;
	int		n, i;

	n = split(value, tmp);
	if (n < 0)
		return n;
	for (i = 0; i < n; i++)
		if (!check(tmp[i])) {
			while (n > 0)
				free(tmp[--n]);
			return -EINVAL;
		}
	v = malloc(n * sizeof(*v));
	if (!v) {
		while (n > 0)
			free(tmp[--n]);
		return -ENOMEM;
	}
	memcpy(v, tmp, n * sizeof(*v));
	free_list((char **)*namesp, *np);
	*namesp = v;
	*np = n;
	return 0;
}

static bool
is_path(
	const char	*s)
{
	return s[0] == '/';
}

static bool
is_comm(
	const char	*s)
{
	return strlen(s) <= 15;		/* TASK_COMM_LEN - 1 */
}

/* A user or group: its name, or a number. */
static int
lookup_id(
	const char	*s,
	bool		group,
	uint32_t	*id)
{
	struct passwd	*pw;
	struct group	*gr;
	unsigned	v;

	if (!parse_uint(s, 0, UINT32_MAX - 1, &v)) {
		*id = v;
		return 0;
	}
	if (group) {
		gr = getgrnam(s);
		if (!gr)
			return -EINVAL;
		*id = gr->gr_gid;
	} else {
		pw = getpwnam(s);
		if (!pw)
			return -EINVAL;
		*id = pw->pw_uid;
	}
	return 0;
}

static int
set_ids(
	const char	*value,
	bool		group,
	const uint32_t	**idsp,
	unsigned	*np)
{
	char		*tmp[LIST_MAX];
	uint32_t	*ids;
	int		n, i, error = 0;

	n = split(value, tmp);
	if (n < 0)
		return n;
	ids = malloc(n * sizeof(*ids));
	for (i = 0; i < n; i++) {
		if (!error && (!ids || lookup_id(tmp[i], group, &ids[i])))
			error = ids ? -EINVAL : -ENOMEM;
		free(tmp[i]);
	}
	if (error) {
		free(ids);
		return error;
	}
	free((void *)*idsp);
	*idsp = ids;
	*np = n;
	return 0;
}

static int
parse_bool(
	const char	*s,
	bool		*b)
{
	if (!strcmp(s, "yes") || !strcmp(s, "true") || !strcmp(s, "1"))
		*b = true;
	else if (!strcmp(s, "no") || !strcmp(s, "false") || !strcmp(s, "0"))
		*b = false;
	else
		return -EINVAL;
	return 0;
}

int
admit_set(
	struct admit_rules	*ar,
	const char		*name,
	const char		*key,
	const char		*value)
{
	struct hsm_admit_rule	*ru;
	char			*end;
	size_t			i;
	double			d;

	if (!*name || strlen(name) >= HSM_ADMIT_NAME_MAX)
		return -ENAMETOOLONG;
	ru = rule_named(ar, name);
	if (!ru)
		return -E2BIG;
	if (!strcmp(key, "uid"))
		return set_ids(value, false, &ru->uids, &ru->nuids);
	if (!strcmp(key, "gid"))
		return set_ids(value, true, &ru->gids, &ru->ngids);
	if (!strcmp(key, "exe"))
		return set_names(value, &ru->exes, &ru->nexes, is_path);
	if (!strcmp(key, "comm"))
		return set_names(value, &ru->comms, &ru->ncomms, is_comm);
	if (!strcmp(key, "cgroup"))
		return set_names(value, &ru->cgroups, &ru->ncgroups, is_path);
	if (!strcmp(key, "action")) {
		if (!strcmp(value, "allow"))
			ru->action = HSM_ADMIT_ALLOW;
		else if (!strcmp(value, "deny"))
			ru->action = HSM_ADMIT_DENY;
		else if (!strcmp(value, "limit"))
			ru->action = HSM_ADMIT_LIMIT;
		else
			return -EINVAL;
		return 0;
	}
	if (!strcmp(key, "errno")) {
		for (i = 0; i < sizeof(errnos) / sizeof(errnos[0]); i++)
			if (!strcmp(value, errnos[i].name)) {
				ru->deny_errno = errnos[i].value;
				return 0;
			}
		return -EINVAL;
	}
	if (!strcmp(key, "audit"))
		return parse_bool(value, &ru->audit);
	if (!strcmp(key, "recalls_per_second")) {
		errno = 0;
		d = strtod(value, &end);
		if (errno || end == value || *end || !isfinite(d) || d <= 0 ||
		    d > 1e6)
			return -EINVAL;
		ru->recalls_per_s = d;
		return 0;
	}
	if (!strcmp(key, "bytes_per_second"))
		return parse_size(value, &ru->bytes_per_s) ||
		       !ru->bytes_per_s ? -EINVAL : 0;
	if (!strcmp(key, "mode")) {
		if (!strcmp(value, "whole"))
			ru->mode = HSM_ADMIT_MODE_WHOLE;
		else if (!strcmp(value, "range"))
			ru->mode = HSM_ADMIT_MODE_RANGE;
		else if (!strcmp(value, "file"))
			ru->mode = HSM_ADMIT_MODE_FILE;
		else
			return -EINVAL;
		return 0;
	}
	return -ENOENT;
}

const char *
admit_check(
	const struct admit_rules *ar,
	const char		**name)
{
	const struct hsm_admit_rule *ru;
	unsigned		i;

	for (i = 0; i < ar->n; i++) {
		ru = &ar->rule[i];
		*name = ru->name;
		if (ru->action == HSM_ADMIT_LIMIT && !ru->recalls_per_s &&
		    !ru->bytes_per_s)
			return "action = limit needs recalls_per_second or "
			       "bytes_per_second";
		if (ru->action != HSM_ADMIT_LIMIT &&
		    (ru->recalls_per_s || ru->bytes_per_s))
			return "recalls_per_second and bytes_per_second need "
			       "action = limit";
		if (ru->audit && ru->action != HSM_ADMIT_DENY)
			return "audit needs action = deny";
	}
	return NULL;
}

void
admit_rules_free(
	struct admit_rules	*ar)
{
	struct hsm_admit_rule	*ru;
	unsigned		i;

	for (i = 0; i < ar->n; i++) {
		ru = &ar->rule[i];
		free((void *)ru->uids);
		free((void *)ru->gids);
		free_list((char **)ru->exes, ru->nexes);
		free_list((char **)ru->comms, ru->ncomms);
		free_list((char **)ru->cgroups, ru->ncgroups);
	}
	ar->n = 0;
}
