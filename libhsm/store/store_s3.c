// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * store_s3.c - an S3 bucket as a store (libcurl, SigV4 signing built in;
 * expat for the listings).
 *
 *   s3://BUCKET[/PREFIX]?endpoint=URL[&region=R][&credentials=FILE]
 *                        [&timeout=SECONDS][&aggregate=SIZE]
 *                        [&aggregate_max=SIZE]
 *
 *   PREFIX/xfs-hsm-store     marker: "xfs-hsm-store 2\nfs_uuid U\n" (1: a
 *                            bucket without aggregates, as before them)
 *   PREFIX/<oid>             the file's data segments, end to end (no holes:
 *                            the metadata's map says where each one goes)
 *   PREFIX/<oid>.meta        the metadata text; its presence commits
 *   PREFIX/hsm.agg*          aggregates of small objects (s3P.h)
 *
 * Credentials come from FILE ("access_key = ..." and "secret_key = ..."
 * lines; it must belong to root and be readable by nobody else) or from
 * AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, never from the spec.  Data
 * up to PART bytes goes up in one PUT; more in a multipart upload of PART
 * sized parts.  The object and then its metadata are written at publish:
 * an S3 PUT is durable when it answers, so sync has nothing to do.  A
 * request that moves nothing for the timeout (30 s) fails with ETIMEDOUT.
 * Requests are path-style (ENDPOINT/BUCKET/KEY), signed "aws:amz:R:s3".
 * Objects of up to aggregate= bytes (default 256 KiB, 0: none) get oids
 * naming a slot of an aggregate of up to aggregate_max= bytes (default
 * and limit 64 MiB), which publish writes in one PUT (s3_agg.c).
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <time.h>
#include <expat.h>
#include "store/s3P.h"

#define MARKER		"xfs-hsm-store"
#define PART		(16U << 20)	/* S3 wants >= 5 MiB but the last */
#define TIMEOUT_DEFAULT	30
#define KEY_MAX		S3_KEY_MAX

struct hsm_store_writer {
	struct s3_store	*ss;
	uint8_t		oid[HSM_OID_LEN];
	char		*buf;		/* the data not yet sent */
	size_t		len;
	uint64_t	next_off;	/* file offsets come in order */
	char		*upload_id;	/* multipart, once PART is exceeded */
	char		**etags;
	unsigned	nparts;
	char		*meta;
	size_t		meta_len;
};

/* ---- requests -------------------------------------------------------- */

static size_t
send_cb(
	char		*ptr,
	size_t		size,
	size_t		nmemb,
	void		*arg)
{
	struct s3_body	*b = arg;
	size_t		n = size * nmemb;

	if (n > b->len - b->off)
		n = b->len - b->off;
	memcpy(ptr, b->data + b->off, n);
	b->off += n;
	return n;
}

static size_t
recv_cb(
	char		*ptr,
	size_t		size,
	size_t		nmemb,
	void		*arg)
{
	struct s3_body	*b = arg;
	size_t		n = size * nmemb;

	if (b->out) {
		if (n > b->out_cap - b->out_len)
			return 0;	/* more than asked: an error */
		memcpy(b->out + b->out_len, ptr, n);
		b->out_len += n;
		return n;
	}
	if (b->got_len + n + 1 > b->got_cap) {
		size_t cap = (b->got_len + n + 1) * 2;
		char *g = realloc(b->got, cap);

		if (!g)
			return 0;
		b->got = g;
		b->got_cap = cap;
	}
	memcpy(b->got + b->got_len, ptr, n);
	b->got_len += n;
	b->got[b->got_len] = '\0';
	return n;
}

static size_t
header_cb(
	char		*ptr,
	size_t		size,
	size_t		nmemb,
	void		*arg)
{
	struct s3_body	*b = arg;
	size_t		n = size * nmemb, l;

	if (n > 5 && !strncasecmp(ptr, "etag:", 5)) {
		const char *v = ptr + 5;

		while (*v == ' ')
			v++;
		l = ptr + n - v;
		while (l && (v[l - 1] == '\r' || v[l - 1] == '\n'))
			l--;
		if (l < sizeof(b->etag)) {
			memcpy(b->etag, v, l);
			b->etag[l] = '\0';
		}
	}
	return n;
}

/* Append @s to the URL @u (of @size), escaping what a key may hold. */
static int
url_for(
	struct s3_store	*ss,
	const char	*key,		/* NULL: the bucket */
	const char	*query,		/* NULL or "a=b&c" */
	char		*u,
	size_t		size)
{
	int		n;

	n = snprintf(u, size, "%s/%s%s%s%s%s", ss->endpoint, ss->bucket,
		     key ? "/" : "", key ? ss->prefix : "", key ? key : "",
		     "");
	if (n < 0 || (size_t)n >= size)
		return -ENAMETOOLONG;
	if (query && (size_t)snprintf(u + n, size - n, "?%s", query) >=
		     size - n)
		return -ENAMETOOLONG;
	return 0;
}

/*
 * One request: @method on @key (NULL: the bucket) with @query, sending
 * @b->data, receiving into @b.  Returns the HTTP status, or -errno when
 * there was no answer.
 */
int
s3_request(
	struct s3_store	*ss,
	const char	*method,
	const char	*key,
	const char	*query,
	const char	*range,		/* "bytes=a-b" or NULL */
	struct s3_body	*b)
{
	CURL		*c = ss->curl;
	struct curl_slist *h = NULL;
	char		url[KEY_MAX + 512], sigv4[128], rh[96];
	long		status = 0;
	CURLcode	rc;
	int		error;

	error = url_for(ss, key, query, url, sizeof(url));
	if (error)
		return error;
	curl_easy_reset(c);
	snprintf(sigv4, sizeof(sigv4), "aws:amz:%s:s3", ss->region);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_AWS_SIGV4, sigv4);
	curl_easy_setopt(c, CURLOPT_USERPWD, ss->userpwd);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, (long)ss->timeout);
	/* a transfer that moves nothing for the timeout fails */
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, (long)ss->timeout);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, recv_cb);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, b);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, header_cb);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, b);
	curl_easy_setopt(c, CURLOPT_FILETIME, 1L);
	if (getenv("LIBHSM_S3_VERBOSE"))
		curl_easy_setopt(c, CURLOPT_VERBOSE, 1L);
	/* radosgw checks it; curl does not add it */
	h = curl_slist_append(h, "x-amz-content-sha256: UNSIGNED-PAYLOAD");
	/* send a PUT's body at once, not after a "100 Continue": a round
	 * trip less (an empty "Expect:" would upset the signature) */
	curl_easy_setopt(c, CURLOPT_EXPECT_100_TIMEOUT_MS, 0L);
	if (range) {
		snprintf(rh, sizeof(rh), "Range: %s", range);
		h = curl_slist_append(h, rh);
	}
	if (b->hdr)
		h = curl_slist_append(h, b->hdr);
	if (!strcmp(method, "PUT") || !strcmp(method, "POST")) {
		if (!strcmp(method, "PUT"))
			curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
		else
			curl_easy_setopt(c, CURLOPT_POST, 1L);
		curl_easy_setopt(c, CURLOPT_READFUNCTION, send_cb);
		curl_easy_setopt(c, CURLOPT_READDATA, b);
		if (!strcmp(method, "PUT"))
			curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE,
					 (curl_off_t)b->len);
		else
			curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE,
					 (curl_off_t)b->len);
	} else if (!strcmp(method, "HEAD")) {
		curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
	} else if (strcmp(method, "GET")) {
		curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	}
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	rc = curl_easy_perform(c);
	curl_slist_free_all(h);
	switch (rc) {
	case CURLE_OK:
		break;
	case CURLE_OPERATION_TIMEDOUT:
		return -ETIMEDOUT;
	case CURLE_COULDNT_CONNECT:
		return -ECONNREFUSED;
	case CURLE_COULDNT_RESOLVE_HOST:
		return -EHOSTUNREACH;
	case CURLE_OUT_OF_MEMORY:
		return -ENOMEM;
	default:
		return -EIO;
	}
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	return (int)status;
}

int
s3_status_errno(
	int		st)
{
	if (st < 0)
		return st;
	if (st >= 200 && st < 300)
		return 0;
	switch (st) {
	case 404:
		return -ENOENT;
	case 403:
	case 401:
		return -EACCES;
	case 412:
		return -ECANCELED;	/* If-Match, If-None-Match */
	case 416:
		return 0;		/* a range past the end: nothing */
	default:
		return -EIO;
	}
}

static int
put_bytes(
	struct s3_store	*ss,
	const char	*key,
	const char	*query,
	const void	*data,
	size_t		len,
	struct s3_body	*b)
{
	memset(b, 0, sizeof(*b));
	b->data = data;
	b->len = len;
	return s3_status_errno(s3_request(ss, "PUT", key, query, NULL, b));
}

int
s3_put(
	struct s3_store	*ss,
	const char	*key,
	const void	*data,
	size_t		len,
	const char	*hdr)
{
	struct s3_body	b;
	int		st;

	memset(&b, 0, sizeof(b));
	b.data = data;
	b.len = len;
	b.hdr = hdr;
	st = s3_request(ss, "PUT", key, NULL, NULL, &b);
	free(b.got);
	/* radosgw answers a conditional PUT that lost a race to another
	 * with 500 (measured: four writers of one key, If-Match, lose no
	 * update, and some of their PUTs get 500): read again, retry */
	if (hdr && st == 500)
		return -ECANCELED;
	return s3_status_errno(st);
}

/* GET @key (NULL: the bucket, with @query) into b->got: 0 or -errno. */
static int
get_into(
	struct s3_store	*ss,
	const char	*key,
	const char	*query,
	const char	*range,
	struct s3_body	*b)
{
	int		error;

	memset(b, 0, sizeof(*b));
	error = s3_status_errno(s3_request(ss, "GET", key, query, range, b));
	if (!error && !b->got) {
		b->got = strdup("");
		if (!b->got)
			error = -ENOMEM;
	}
	return error;
}

int
s3_get_small(
	struct s3_store	*ss,
	const char	*key,
	const char	*range,
	struct s3_body	*b)
{
	return get_into(ss, key, NULL, range, b);
}

/* A request on @key with no body either way: 0 or -errno. */
static int
bodyless(
	struct s3_store	*ss,
	const char	*method,
	const char	*key)
{
	struct s3_body	b;
	int		error;

	memset(&b, 0, sizeof(b));
	error = s3_status_errno(s3_request(ss, method, key, NULL, NULL, &b));
	free(b.got);
	return error;
}

/* HEAD @key: 0 when it is there, -ENOENT when not, or -errno. */
int
s3_head(
	struct s3_store	*ss,
	const char	*key)
{
	return bodyless(ss, "HEAD", key);
}

int
s3_delete(
	struct s3_store	*ss,
	const char	*key)
{
	return bodyless(ss, "DELETE", key);
}

/* ---- opening --------------------------------------------------------- */

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;

static void
curl_init_once(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
}

/* "access_key = A" and "secret_key = S" from a root-only file. */
static int
read_credentials(
	const char	*file,
	char		**userpwd)
{
	char		line[512], ak[256] = "", sk[256] = "";
	struct stat	st;
	FILE		*f;

	f = fopen(file, "re");
	if (!f)
		return -errno;
	if (fstat(fileno(f), &st) < 0 || st.st_uid != 0 ||
	    (st.st_mode & 077)) {
		fclose(f);
		return -EPERM;		/* secrets others may read */
	}
	while (fgets(line, sizeof(line), f)) {
		char k[64], v[256];

		if (sscanf(line, " %63[a-z_] = %255s", k, v) != 2)
			continue;
		if (!strcmp(k, "access_key"))
			strcpy(ak, v);
		else if (!strcmp(k, "secret_key"))
			strcpy(sk, v);
	}
	fclose(f);
	if (!ak[0] || !sk[0])
		return -EINVAL;
	return asprintf(userpwd, "%s:%s", ak, sk) < 0 ? -ENOMEM : 0;
}

struct s3_opts {
	struct s3_store	*ss;
	char		**cred_file;
};

static int
s3_opt(
	const char	*key,
	const char	*value,
	void		*arg)
{
	struct s3_opts	*o = arg;
	struct s3_store	*ss = o->ss;
	char		**to;
	size_t		l;

	if (!strcmp(key, "timeout"))
		return (ss->timeout = strtoul(value, NULL, 10)) ? 0 : -EINVAL;
	if (!strcmp(key, "aggregate"))
		return hsm_store_size_option(value, &ss->agg_threshold) ||
		       ss->agg_threshold > S3_AGG_THRESHOLD_MAX ? -EINVAL : 0;
	if (!strcmp(key, "aggregate_max"))
		return hsm_store_size_option(value, &ss->agg_max) ||
		       ss->agg_max < (1ULL << 20) ||
		       ss->agg_max > S3_AGG_MAX_LIMIT ? -EINVAL : 0;
	if (!strcmp(key, "index_shards"))
		return -EOPNOTSUPP;	/* a rados: pool's */
	if (!strcmp(key, "endpoint"))
		to = &ss->endpoint;
	else if (!strcmp(key, "region"))
		to = &ss->region;
	else if (!strcmp(key, "credentials"))
		to = o->cred_file;
	else
		return -EINVAL;
	free(*to);
	*to = strdup(value);
	if (!*to)
		return -ENOMEM;
	l = strlen(*to);
	while (to == &ss->endpoint && l && (*to)[l - 1] == '/')
		(*to)[--l] = '\0';
	return 0;
}

/* "//BUCKET[/PREFIX]?key=value&..." */
static int
parse_spec(
	struct s3_store	*ss,
	const char	*arg,
	char		**cred_file)
{
	struct s3_opts	o;
	const char	*q, *slash, *p;
	int		error;

	if (strncmp(arg, "//", 2))
		return -EINVAL;
	arg += 2;
	q = strchr(arg, '?');
	if (!q)
		return -EINVAL;		/* endpoint= is required */
	slash = memchr(arg, '/', q - arg);
	p = slash ? slash : q;
	if (p == arg)
		return -EINVAL;
	ss->bucket = strndup(arg, p - arg);
	if (slash && slash + 1 < q) {
		size_t l = q - slash - 1;

		ss->prefix = malloc(l + 2);
		if (ss->prefix) {
			memcpy(ss->prefix, slash + 1, l);
			ss->prefix[l] = '\0';
			if (ss->prefix[l - 1] != '/')
				strcat(ss->prefix, "/");
		}
	} else {
		ss->prefix = strdup("");
	}
	if (!ss->bucket || !ss->prefix)
		return -ENOMEM;
	o.ss = ss;
	o.cred_file = cred_file;
	error = hsm_store_options(q + 1, s3_opt, &o);
	if (!error && (!ss->endpoint || strncmp(ss->endpoint, "http", 4)))
		error = -EINVAL;
	if (!error && !ss->region)
		ss->region = strdup("us-east-1");
	return error;
}

void
s3_bare_etag(
	const char	*etag,
	char		*out,
	size_t		size)
{
	const char	*e = etag[0] == '"' ? etag + 1 : etag;
	size_t		l = strlen(e);

	if (l && e[l - 1] == '"')
		l--;
	snprintf(out, size, "%.*s", (int)l, e);
}

/*
 * The marker: made with the bucket when @create, else checked.  A bucket
 * that holds aggregates says format 2, which versions before them refuse;
 * one made before them (1) says so from the first time aggregates may be
 * written to it, by a PUT of the version read.
 */
static int
check_marker(
	struct s3_store	*ss,
	const char	*fs_uuid,
	bool		create)
{
	struct s3_body	b;
	char		want[128], hdr[160], tag[128];
	unsigned	format = ss->agg_threshold ? 2 : 1, have;
	int		error;

	hsm_store_marker_text(fs_uuid, format, want, sizeof(want));
	error = s3_get_small(ss, MARKER, NULL, &b);
	if (error == -ENOENT && create) {
		free(b.got);
		/* the bucket too, if it is not there (ours to own then) */
		memset(&b, 0, sizeof(b));
		error = s3_request(ss, "PUT", NULL, NULL, NULL, &b);
		free(b.got);
		if (error == 400)
			return -EINVAL;		/* not a bucket name */
		if (error != 409)		/* ours already */
			error = s3_status_errno(error);
		else
			error = 0;
		if (error)
			return error;
		return s3_put(ss, MARKER, want, strlen(want),
			      "If-None-Match: *");
	}
	if (!error)
		error = hsm_store_marker_check(b.got, fs_uuid, 2, &have);
	s3_bare_etag(b.etag, tag, sizeof(tag));
	free(b.got);
	if (!error && have < format) {
		snprintf(hdr, sizeof(hdr), "If-Match: %s", tag);
		error = s3_put(ss, MARKER, want, strlen(want), hdr);
		if (error == -ECANCELED)
			error = 0;	/* another did it meanwhile */
		if (!error)
			hsm_fault_kill("s3marker-written");
	}
	return error;
}

/* FNV-1a of where the objects are: endpoint, bucket, prefix. */
static uint64_t
ident_hash(
	const struct s3_store	*ss)
{
	const char		*parts[3] = { ss->endpoint, ss->bucket,
					      ss->prefix };
	uint64_t		h = 0xcbf29ce484222325ULL;
	unsigned		i;
	const char		*c;

	for (i = 0; i < 3; i++)
		for (c = parts[i]; ; c++) {
			h = (h ^ (unsigned char)*c) * 0x100000001b3ULL;
			if (!*c)
				break;
		}
	return h;
}

static void s3_close(struct hsm_store *s);

static int
s3_open(
	const char		*arg,
	const char		*fs_uuid,
	bool			create,
	struct hsm_store	**sp)
{
	struct s3_store		*ss;
	char			*cred = NULL;
	const char		*ak, *sk;
	int			error;

	pthread_once(&curl_once, curl_init_once);
	ss = calloc(1, sizeof(*ss));
	if (!ss)
		return -ENOMEM;
	ss->base.ops = &hsm_store_s3_ops;
	ss->timeout = TIMEOUT_DEFAULT;
	ss->agg_threshold = S3_AGG_THRESHOLD_DEFAULT;
	ss->agg_max = S3_AGG_MAX_DEFAULT;
	error = parse_spec(ss, arg, &cred);
	if (!error && cred) {
		error = read_credentials(cred, &ss->userpwd);
	} else if (!error) {
		ak = getenv("AWS_ACCESS_KEY_ID");
		sk = getenv("AWS_SECRET_ACCESS_KEY");
		if (!ak || !sk)
			error = -ENOKEY;
		else if (asprintf(&ss->userpwd, "%s:%s", ak, sk) < 0)
			error = -ENOMEM;
	}
	free(cred);
	if (ss->agg_threshold > ss->agg_max)
		ss->agg_threshold = ss->agg_max;
	if (!error)
		ss->ident = ident_hash(ss);
	if (!error) {
		ss->curl = curl_easy_init();
		if (!ss->curl)
			error = -ENOMEM;
	}
	if (!error)
		error = check_marker(ss, fs_uuid, create);
	if (error) {
		s3_close(&ss->base);
		return error;
	}
	*sp = &ss->base;
	return 0;
}

static void
s3_close(
	struct hsm_store	*s)
{
	struct s3_store		*ss = SS(s);

	if (ss->curl)
		curl_easy_cleanup(ss->curl);
	if (ss->map_known)
		hsm_objmeta_free(&ss->map_meta);
	free(ss->endpoint);
	free(ss->bucket);
	free(ss->prefix);
	free(ss->region);
	free(ss->userpwd);
	free(ss);
}

/* ---- writing --------------------------------------------------------- */

static void
data_key(
	const uint8_t	*oid,
	bool		meta,
	char		key[48])
{
	hsm_oid_hex(oid, key);
	if (meta)
		strcat(key, ".meta");
}

static int
s3_put_begin(
	struct hsm_store	*s,
	const uint8_t		*oid,
	struct hsm_store_writer	**wp)
{
	struct s3_store		*ss = SS(s);
	struct hsm_store_writer	*w;
	char			key[48];
	int			error;

	/* a member's oid is new, and its aggregate is created only by the
	 * publish that writes it: that is where it would be refused */
	if (!s3_agg_is_member(oid)) {
		data_key(oid, true, key);
		error = s3_head(ss, key);
		if (!error)
			return -EEXIST;
		if (error != -ENOENT)
			return error;
	}
	w = calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	w->buf = malloc(PART);
	if (!w->buf) {
		free(w);
		return -ENOMEM;
	}
	w->ss = ss;
	memcpy(w->oid, oid, HSM_OID_LEN);
	*wp = w;
	return 0;
}

/* The text between <@tag> and </@tag> in @xml, or NULL. */
static char *
xml_value(
	const char	*xml,
	const char	*tag)
{
	char		open[64], close[64];
	const char	*a, *z;

	snprintf(open, sizeof(open), "<%s>", tag);
	snprintf(close, sizeof(close), "</%s>", tag);
	a = xml ? strstr(xml, open) : NULL;
	if (!a)
		return NULL;
	a += strlen(open);
	z = strstr(a, close);
	return z ? strndup(a, z - a) : NULL;
}

/* "[partNumber=N&]uploadId=ID" with the id escaped (N 0: none). */
static void
upload_query(
	struct hsm_store_writer	*w,
	unsigned		part,
	char			*q,
	size_t			size)
{
	char			*id = curl_easy_escape(w->ss->curl,
						       w->upload_id, 0);
	int			n = 0;

	if (part)
		n = snprintf(q, size, "partNumber=%u&", part);
	snprintf(q + n, size - n, "uploadId=%s", id ? id : w->upload_id);
	curl_free(id);
}

/* Send the buffered PART as the next part of a multipart upload. */
static int
send_part(
	struct hsm_store_writer	*w)
{
	struct s3_store		*ss = w->ss;
	struct s3_body		b;
	char			key[48], query[512];
	char			**e;
	int			error;

	data_key(w->oid, false, key);
	if (!w->upload_id) {
		memset(&b, 0, sizeof(b));
		error = s3_status_errno(s3_request(ss, "POST", key, "uploads=", NULL,
					     &b));
		if (!error) {
			w->upload_id = xml_value(b.got, "UploadId");
			if (!w->upload_id)
				error = -EIO;
		}
		free(b.got);
		if (error)
			return error;
	}
	e = realloc(w->etags, (w->nparts + 1) * sizeof(*e));
	if (!e)
		return -ENOMEM;
	w->etags = e;
	upload_query(w, w->nparts + 1, query, sizeof(query));
	error = put_bytes(ss, key, query, w->buf, w->len, &b);
	free(b.got);
	if (error)
		return error;
	if (!b.etag[0])
		return -EIO;
	w->etags[w->nparts] = strdup(b.etag);
	if (!w->etags[w->nparts])
		return -ENOMEM;
	w->nparts++;
	w->len = 0;
	return 0;
}

static int
s3_put_write(
	struct hsm_store_writer	*w,
	const void		*buf,
	size_t			len,
	uint64_t		off)
{
	const char		*p = buf;
	size_t			n;
	int			error;

	/* segments end to end: they must come in file order */
	if (off < w->next_off)
		return -EINVAL;
	w->next_off = off + len;
	while (len) {
		n = PART - w->len;
		if (n > len)
			n = len;
		memcpy(w->buf + w->len, p, n);
		w->len += n;
		p += n;
		len -= n;
		if (w->len == PART && len) {
			error = send_part(w);
			if (error)
				return error;
		}
	}
	return 0;
}

static void
free_writer(
	struct hsm_store_writer	*w)
{
	unsigned		i;

	for (i = 0; i < w->nparts; i++)
		free(w->etags[i]);
	free(w->etags);
	free(w->upload_id);
	free(w->buf);
	free(w->meta);
	free(w);
}

static void
s3_put_abort(
	struct hsm_store_writer	*w)
{
	struct s3_body		b;
	char			key[48], query[512];

	if (w->upload_id) {
		data_key(w->oid, false, key);
		upload_query(w, 0, query, sizeof(query));
		memset(&b, 0, sizeof(b));
		s3_request(w->ss, "DELETE", key, query, NULL, &b);
		free(b.got);
	}
	free_writer(w);
}

static int
s3_put_finish(
	struct hsm_store_writer	*w,
	const struct hsm_objmeta *meta)
{
	return hsm_objmeta_format(meta, &w->meta, &w->meta_len);
}

/* The data object: one PUT, or the last part and the completion. */
static int
finish_data(
	struct hsm_store_writer	*w)
{
	struct s3_body		b;
	char			key[48], query[512], *xml, *p;
	size_t			cap;
	unsigned		i;
	int			error;

	data_key(w->oid, false, key);
	if (!w->upload_id) {
		error = put_bytes(w->ss, key, NULL, w->buf, w->len, &b);
		free(b.got);
		return error;
	}
	if (w->len) {
		error = send_part(w);
		if (error)
			return error;
	}
	cap = 128 + w->nparts * 200;
	xml = malloc(cap);
	if (!xml)
		return -ENOMEM;
	p = xml + sprintf(xml, "<CompleteMultipartUpload>");
	for (i = 0; i < w->nparts; i++)
		p += sprintf(p, "<Part><PartNumber>%u</PartNumber>"
			     "<ETag>%s</ETag></Part>", i + 1, w->etags[i]);
	p += sprintf(p, "</CompleteMultipartUpload>");
	upload_query(w, 0, query, sizeof(query));
	memset(&b, 0, sizeof(b));
	b.data = xml;
	b.len = p - xml;
	error = s3_status_errno(s3_request(w->ss, "POST", key, query, NULL, &b));
	/* a 200 may still carry an error in its body */
	if (!error && b.got && strstr(b.got, "<Error>"))
		error = -EIO;
	free(b.got);
	free(xml);
	if (!error) {
		free(w->upload_id);
		w->upload_id = NULL;
	}
	return error;
}

/* Each writer as an object of its own: the data, then its metadata. */
static void
publish_heads(
	struct hsm_store_writer	**ws,
	size_t			n,
	int			*errors)
{
	char			key[48];
	size_t			i;

	for (i = 0; i < n; i++) {
		struct hsm_store_writer *w = ws[i];

		errors[i] = w->meta ? finish_data(w) : -EINVAL;
		if (!errors[i]) {
			/* the metadata last: it commits the copy */
			data_key(w->oid, true, key);
			errors[i] = s3_put(w->ss, key, w->meta, w->meta_len,
					   NULL);
		}
		if (errors[i]) {
			data_key(w->oid, false, key);
			s3_delete(w->ss, key);
			s3_put_abort(w);
		} else {
			free_writer(w);
		}
	}
}

/* Does @w go into an aggregate?  Its oid names one, it is small and in
 * one piece, and its metadata fits a slot. */
static bool
aggregated(
	struct hsm_store_writer	*w)
{
	return w->ss->agg_threshold && s3_agg_is_member(w->oid) &&
	       w->meta && !w->upload_id && w->len <= w->ss->agg_threshold &&
	       w->meta_len <= S3_AGG_META_MAX;
}

/* Small objects into the aggregates their oids name (one PUT each), the
 * others as objects of their own, and so the members of an aggregate
 * that exists already (another publish took its id). */
static int
s3_publish(
	struct hsm_store	*s,
	struct hsm_store_writer	**ws,
	size_t			n,
	int			*errors)
{
	struct s3_store		*ss = SS(s);
	struct s3_member	*m = calloc(n ? n : 1, sizeof(*m));
	struct hsm_store_writer	**heads = calloc(n ? n : 1, sizeof(*heads));
	size_t			*hi = calloc(n ? n : 1, sizeof(*hi));
	int			*herr = calloc(n ? n : 1, sizeof(*herr));
	size_t			i, j, nm = 0, nh = 0;

	if (!m || !heads || !hi || !herr) {
		free(m);
		free(heads);
		free(hi);
		free(herr);
		publish_heads(ws, n, errors);
		return 0;
	}
	for (i = 0; i < n; i++) {
		if (!aggregated(ws[i])) {
			hi[nh] = i;
			heads[nh++] = ws[i];
			continue;
		}
		m[nm].oid = ws[i]->oid;
		m[nm].data = ws[i]->buf;
		m[nm].len = ws[i]->len;
		m[nm].meta = ws[i]->meta;
		m[nm++].meta_len = ws[i]->meta_len;
	}
	if (nm)
		s3_agg_publish(ss, m, nm);	/* sorts m by oid */
	for (j = 0; j < nm; j++) {
		struct hsm_objmeta had;
		char key[S3_AGG_KEY_LEN];
		uint64_t base;

		for (i = 0; ws[i]->oid != m[j].oid; i++)
			;
		if (m[j].error == -EAGAIN) {
			memset(&had, 0, sizeof(had));
			m[j].error = s3_agg_find(ss, m[j].oid, key, &base,
						 &had);
			if (!m[j].error) {
				hsm_objmeta_free(&had);
				m[j].error = -EEXIST;
			} else if (m[j].error == -ENOENT) {
				hi[nh] = i;
				heads[nh++] = ws[i];
				continue;
			}
		}
		errors[i] = m[j].error;
		free_writer(ws[i]);	/* one piece: nothing to abort */
	}
	publish_heads(heads, nh, herr);
	for (i = 0; i < nh; i++)
		errors[hi[i]] = herr[i];
	free(m);
	free(heads);
	free(hi);
	free(herr);
	return 0;
}

/* An oid for @size bytes: small ones get a slot of @group's aggregate. */
static int
s3_new_oid(
	struct hsm_store	*s,
	const void		*group,
	uint64_t		size,
	uint8_t			*oid)
{
	return s3_agg_new_oid(SS(s), group, size, oid);
}

/* ---- reading --------------------------------------------------------- */

/* Forget the map kept of @oid (NULL: of any). */
static void
forget_map(
	struct s3_store	*ss,
	const uint8_t	*oid)
{
	if (ss->map_known && (!oid || !memcmp(ss->map_oid, oid,
					      HSM_OID_LEN))) {
		hsm_objmeta_free(&ss->map_meta);
		ss->map_known = false;
	}
}

/* The metadata of @oid as an object of its own. */
static int
head_stat(
	struct s3_store		*ss,
	const uint8_t		*oid,
	struct hsm_objmeta	*meta)
{
	struct s3_body		b;
	char			key[48];
	long			when = -1;
	int			error;

	data_key(oid, true, key);
	error = s3_get_small(ss, key, NULL, &b);
	if (!error) {
		curl_easy_getinfo(ss->curl, CURLINFO_FILETIME, &when);
		error = hsm_objmeta_parse(b.got, b.got_len, meta);
	}
	free(b.got);
	if (error)
		return error;
	if (memcmp(meta->oid, oid, HSM_OID_LEN)) {
		hsm_objmeta_free(meta);
		return -EUCLEAN;
	}
	meta->stored_sec = when > 0 ? when : 0;
	return 0;
}

/* The metadata of @oid, and where its bytes are: in @key from @base. */
static int
stat_where(
	struct s3_store		*ss,
	const uint8_t		*oid,
	struct hsm_objmeta	*meta,
	char			*key,
	uint64_t		*base)
{
	int			error;

	/* a member where it lives, else (moved out of the way, or an oid
	 * that only looks like one) an object of its own */
	error = s3_agg_find(ss, oid, key, base, meta);
	if (error != -ENOENT)
		return error;
	data_key(oid, false, key);
	*base = 0;
	return head_stat(ss, oid, meta);
}

static int
s3_stat(
	struct hsm_store	*s,
	const uint8_t		*oid,
	struct hsm_objmeta	*meta)
{
	char			key[S3_AGG_KEY_LEN];
	uint64_t		base;

	return stat_where(SS(s), oid, meta, key, &base);
}

/* New metadata: a member's in its aggregate's state; an object's own by
 * a PUT that replaces the text whole (it is there, or -ENOENT). */
static int
s3_replace_meta(
	struct hsm_store	*s,
	const uint8_t		*oid,
	const struct hsm_objmeta *meta)
{
	struct s3_store		*ss = SS(s);
	char			key[48], *text;
	size_t			len;
	int			error;

	error = hsm_objmeta_format(meta, &text, &len);
	if (error)
		return error;
	forget_map(ss, oid);
	error = s3_agg_replace_meta(ss, oid, text, len);
	if (error == -ENOENT) {
		data_key(oid, true, key);
		error = s3_head(ss, key);
		if (!error)
			error = s3_put(ss, key, text, len, NULL);
	}
	free(text);
	return error;
}

/* The map of @oid's data and where it is, kept for the reads that
 * follow. */
static int
object_map(
	struct s3_store		*ss,
	const uint8_t		*oid)
{
	int			error;

	if (ss->map_known && !memcmp(ss->map_oid, oid, HSM_OID_LEN))
		return 0;
	forget_map(ss, NULL);
	memset(&ss->map_meta, 0, sizeof(ss->map_meta));
	error = stat_where(ss, oid, &ss->map_meta, ss->map_key,
			   &ss->map_base);
	if (error)
		return error;
	memcpy(ss->map_oid, oid, HSM_OID_LEN);
	ss->map_known = true;
	return 0;
}

/* Read [@at, @at + @len) of the object's bytes into @buf. */
static int
get_range(
	struct s3_store		*ss,
	char			*buf,
	uint64_t		len,
	uint64_t		at)
{
	struct s3_body		b;
	char			range[64];
	int			error;

	at += ss->map_base;
	snprintf(range, sizeof(range), "bytes=%llu-%llu",
		 (unsigned long long)at, (unsigned long long)(at + len - 1));
	memset(&b, 0, sizeof(b));
	b.out = buf;
	b.out_cap = len;
	error = s3_status_errno(s3_request(ss, "GET", ss->map_key, NULL,
					   range, &b));
	if (!error && b.out_len != len)
		error = -EUCLEAN;	/* shorter than its map says */
	return error;
}

/* Read @len bytes at @off of @oid, by its map. */
static ssize_t
read_mapped(
	struct s3_store		*ss,
	const uint8_t		*oid,
	void			*buf,
	size_t			len,
	uint64_t		off)
{
	const struct hsm_datamap *map;
	uint64_t		at = 0, end, a, z;
	size_t			i;
	int			error;

	error = object_map(ss, oid);
	if (error)
		return error;
	if (off >= ss->map_meta.size)
		return 0;
	if (len > ss->map_meta.size - off)
		len = ss->map_meta.size - off;
	memset(buf, 0, len);			/* holes */
	end = off + len;
	map = &ss->map_meta.map;
	for (i = 0; i < map->nr; i++) {
		uint64_t s0 = map->ext[i].off, s1 = s0 + map->ext[i].len;

		a = s0 > off ? s0 : off;
		z = s1 < end ? s1 : end;
		if (a < z) {
			error = get_range(ss, (char *)buf + (a - off), z - a,
					  at + (a - s0));
			if (error)
				return error;
		}
		at += map->ext[i].len;
		if (s0 >= end)
			break;
	}
	return len;
}

static ssize_t
s3_get(
	struct hsm_store	*s,
	const uint8_t		*oid,
	void			*buf,
	size_t			len,
	uint64_t		off)
{
	struct s3_store		*ss = SS(s);
	ssize_t			got;

	got = read_mapped(ss, oid, buf, len, off);
	if (got == -ENOENT && ss->map_known && ss->map_base) {
		/* its aggregate repacked away meanwhile: where is it now? */
		s3_agg_gone(ss, ss->map_key);
		forget_map(ss, NULL);
		got = read_mapped(ss, oid, buf, len, off);
	}
	return got;
}

static int
s3_del(
	struct hsm_store	*s,
	const uint8_t		*oid)
{
	struct s3_store		*ss = SS(s);
	char			key[48];
	int			error, derr;

	forget_map(ss, oid);
	error = s3_agg_del(ss, oid);
	if (error != -ENOENT)
		return error;
	/* the metadata first: the copy is gone as soon as it is */
	data_key(oid, true, key);
	error = s3_head(ss, key);
	derr = s3_delete(ss, key);
	if (derr && derr != -ENOENT)
		return derr;
	data_key(oid, false, key);
	derr = s3_delete(ss, key);
	if (derr && derr != -ENOENT)
		return derr;
	return error;
}

static int
s3_sync(
	struct hsm_store	*s)
{
	(void)s;
	return 0;		/* every PUT was durable when it answered */
}

static int
s3_repack(
	struct hsm_store	*s,
	unsigned		min_live_pct,
	int64_t			grace_sec,
	struct hsm_repack_info	*info)
{
	struct s3_store		*ss = SS(s);

	forget_map(ss, NULL);
	return s3_agg_repack(ss, min_live_pct, grace_sec, info);
}

/* ---- listing ---------------------------------------------------------- */

/* A ListObjectsV2 answer being parsed: each <Contents> on its end. */
struct listing {
	struct s3_store	*ss;
	int		(*fn)(const char *key, uint64_t size, int64_t mtime,
			      void *arg);
	void		*arg;
	int		ret;
	char		text[KEY_MAX];
	size_t		len;
	char		key[KEY_MAX];
	uint64_t	size;
	int64_t		mtime;
	char		token[KEY_MAX];
	bool		truncated;
};

static void XMLCALL
list_start(
	void		*arg,
	const XML_Char	*name,
	const XML_Char	**attrs)
{
	struct listing	*l = arg;

	l->len = 0;
	l->text[0] = '\0';
	if (!strcmp(name, "Contents")) {
		l->key[0] = '\0';
		l->size = 0;
		l->mtime = 0;
	}
	(void)attrs;
}

static void XMLCALL
list_text(
	void		*arg,
	const XML_Char	*s,
	int		len)
{
	struct listing	*l = arg;

	if (l->len + len >= sizeof(l->text))
		len = sizeof(l->text) - 1 - l->len;
	memcpy(l->text + l->len, s, len);
	l->len += len;
	l->text[l->len] = '\0';
}

/* "2026-12-06T15:20:00.000Z" as seconds since the epoch. */
static int64_t
iso_time(
	const char	*s)
{
	struct tm	tm;

	memset(&tm, 0, sizeof(tm));
	if (!strptime(s, "%Y-%m-%dT%H:%M:%S", &tm))
		return 0;
	return timegm(&tm);
}

static void XMLCALL
list_end(
	void		*arg,
	const XML_Char	*name)
{
	struct listing	*l = arg;
	size_t		plen = strlen(l->ss->prefix);

	if (!strcmp(name, "Key"))
		snprintf(l->key, sizeof(l->key), "%s", l->text);
	else if (!strcmp(name, "Size"))
		l->size = strtoull(l->text, NULL, 10);
	else if (!strcmp(name, "LastModified"))
		l->mtime = iso_time(l->text);
	else if (!strcmp(name, "NextContinuationToken"))
		snprintf(l->token, sizeof(l->token), "%s", l->text);
	else if (!strcmp(name, "IsTruncated"))
		l->truncated = !strcmp(l->text, "true");
	else if (!strcmp(name, "Contents") && !l->ret &&
		 !strncmp(l->key, l->ss->prefix, plen))
		l->ret = l->fn(l->key + plen, l->size, l->mtime, l->arg);
	l->len = 0;
}

int
s3_list_keys(
	struct s3_store		*ss,
	const char		*prefix,
	int			(*fn)(const char *key, uint64_t size,
				      int64_t mtime, void *arg),
	void			*arg)
{
	struct listing		l = { .ss = ss, .fn = fn, .arg = arg };
	struct s3_body		b;
	char			query[4 * KEY_MAX], *p, *ep, *et;
	XML_Parser		xp;
	int			error;

	if (asprintf(&p, "%s%s", ss->prefix, prefix) < 0)
		return -ENOMEM;
	do {
		ep = curl_easy_escape(ss->curl, p, 0);
		et = l.token[0] ? curl_easy_escape(ss->curl, l.token, 0) :
				  NULL;
		snprintf(query, sizeof(query), "list-type=2&prefix=%s%s%s",
			 ep ? ep : "", et ? "&continuation-token=" : "",
			 et ? et : "");
		curl_free(ep);
		curl_free(et);
		error = get_into(ss, NULL, query, NULL, &b);
		if (error) {
			free(b.got);
			break;
		}
		l.token[0] = '\0';
		l.truncated = false;
		xp = XML_ParserCreate(NULL);
		if (!xp) {
			free(b.got);
			error = -ENOMEM;
			break;
		}
		XML_SetUserData(xp, &l);
		XML_SetElementHandler(xp, list_start, list_end);
		XML_SetCharacterDataHandler(xp, list_text);
		if (XML_Parse(xp, b.got, b.got_len, 1) != XML_STATUS_OK)
			error = -EBADMSG;
		XML_ParserFree(xp);
		free(b.got);
	} while (!error && !l.ret && l.truncated && l.token[0]);
	free(p);
	return error ? error : l.ret;
}

struct head_list {
	int		(*fn)(const uint8_t *oid, void *arg);
	void		*arg;
};

/* Objects of their own that are committed: those with metadata. */
static int
list_head(
	const char	*key,
	uint64_t	size,
	int64_t		mtime,
	void		*arg)
{
	struct head_list *h = arg;
	uint8_t		oid[HSM_OID_LEN];
	char		hex[33];

	if (strlen(key) != 37 || strcmp(key + 32, ".meta"))
		return 0;
	memcpy(hex, key, 32);
	hex[32] = '\0';
	if (hsm_oid_parse(hex, oid))
		return 0;
	return h->fn(oid, h->arg);
}

static int
s3_list(
	struct hsm_store	*s,
	int			(*fn)(const uint8_t *oid, void *arg),
	void			*arg)
{
	struct s3_store		*ss = SS(s);
	struct head_list	h = { fn, arg };
	int			error;

	error = s3_list_keys(ss, "", list_head, &h);
	if (!error)
		error = s3_agg_list(ss, fn, arg);
	return error;
}

HSM_EXPORT const struct hsm_store_ops hsm_store_s3_ops = {
	.name		= "s3",
	.open		= s3_open,
	.close		= s3_close,
	.put_begin	= s3_put_begin,
	.put_write	= s3_put_write,
	.put_finish	= s3_put_finish,
	.publish	= s3_publish,
	.put_abort	= s3_put_abort,
	.get		= s3_get,
	.stat		= s3_stat,
	.replace_meta	= s3_replace_meta,
	.del		= s3_del,
	.sync		= s3_sync,
	.prefetch	= NULL,
	.list		= s3_list,
	.repack		= s3_repack,
	.new_oid	= s3_new_oid,
};
