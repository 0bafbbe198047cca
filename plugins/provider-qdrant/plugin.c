/*
 * plugin.c: the qdrant provider, a vector store (ABI 1.1 ops, scroll
 * 1.4) over
 * Qdrant's REST API (1.10+), following Qdrant's multitenancy guidance:
 *  - one collection per embedding model and dimension, shared by every
 *    tenant (the host names it pulse_<model>_<dim>), created with
 *    m 0 / payload_m 16 and, before any point, the keyword index on
 *    tenant_id with is_tenant true;
 *  - every query and delete carries the host's must-condition on
 *    tenant_id; this plugin refuses one without it (qd_filter), and the
 *    host checks every returned point's tenant again (host/ai/vstore_plugin.c).
 *
 * The host's HTTP service sends the `api-key` header from the api_key
 * secret (the plugin never reads it) and enforces the allow-list and the
 * timeout; PULSE_HTTP_RAW hands every status back here. Error policy
 * (docs/vectors.md): 429 (Retry-After) and 5xx/408 are retried here up to
 * max_retries, then TRANSIENT; 404 recreates the collection once; 400
 * wrong dimension, 401/403, 422 and other 4xx are PERMANENT.
 */
#define _POSIX_C_SOURCE 200809L
#include <pulse-host/plugin.h>

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "qd.h"

PULSE_PLUGIN_INIT(api, self);

#define QD_KNOWN 8            /* collections ensured by this instance */
#define QD_GONE 1             /* qd_call: the collection does not exist */
#define QD_BACKOFF_MS 250     /* first wait of a 503 without Retry-After */

typedef struct qd_inst {
	char url[1024];           /* base_url without a trailing slash */
	uint32_t timeout_ms, batch, max_retries, max_wait_ms;
	int has_key;
	struct {
		char name[160];
		uint32_t dim, distance;
	} known[QD_KNOWN];
	uint32_t n_known;
	struct qd_hits last;      /* the latest query's hits, borrowed by the host */
	struct qd_page page;      /* the latest scroll page, borrowed likewise */
} qd_inst;

static const pulse_config_field fields[] = {
	{ PULSE_STRUCT_HEADER(pulse_config_field), .name = "base_url",
	  .type = PULSE_CFG_URL, .required = 1,
	  .description = "the Qdrant REST root, e.g. https://qdrant.example:6333" },
	{ PULSE_STRUCT_HEADER(pulse_config_field), .name = "api_key",
	  .type = PULSE_CFG_SECRET,
	  .description = "sent as the api-key header; omit for a server "
			 "without authentication" },
	{ PULSE_STRUCT_HEADER(pulse_config_field), .name = "timeout_s",
	  .type = PULSE_CFG_INT, .default_json = "30",
	  .description = "seconds per request", PULSE_RANGE(1, 600) },
	{ PULSE_STRUCT_HEADER(pulse_config_field), .name = "batch_size",
	  .type = PULSE_CFG_INT, .default_json = "256",
	  .description = "points per upsert request", PULSE_RANGE(1, 10000) },
	{ PULSE_STRUCT_HEADER(pulse_config_field), .name = "max_retries",
	  .type = PULSE_CFG_INT, .default_json = "3",
	  .description = "retries of a 429 or 5xx before the call fails as "
			 "transient (the host retries later)", PULSE_RANGE(0, 10) },
	{ PULSE_STRUCT_HEADER(pulse_config_field), .name = "max_wait_s",
	  .type = PULSE_CFG_INT, .default_json = "30",
	  .description = "longest Retry-After honoured in place; a longer one "
			 "fails the call as transient at once", PULSE_RANGE(0, 3600) },
	{ PULSE_STRUCT_HEADER(pulse_config_field), .name = NULL },
};

static void qd_close(void *p)
{
	qd_inst *in = p;

	if (!in)
		return;
	qd_hits_free(&in->last);
	qd_page_free(&in->page);
	free(in);
}

static int32_t qd_open(void *state, pulse_job *job, void **inst)
{
	qd_inst *in = calloc(1, sizeof(*in));
	const char *url = api->config_string(job, "base_url");
	char *key;
	size_t len;

	(void)state;
	if (!in)
		return api->fail(job, PULSE_ERR_TRANSIENT, "qdrant: out of memory");
	if (!url || !*url) {
		qd_close(in);
		return api->fail(job, PULSE_ERR_PERMANENT, "qdrant: base_url is "
				 "not set; e.g. https://qdrant.example:6333");
	}
	snprintf(in->url, sizeof(in->url), "%s", url);
	len = strlen(in->url);
	while (len && in->url[len - 1] == '/')
		in->url[--len] = '\0';
	in->timeout_ms = (uint32_t)api->config_int(job, "timeout_s", 30) * 1000;
	in->batch = (uint32_t)api->config_int(job, "batch_size", 256);
	in->max_retries = (uint32_t)api->config_int(job, "max_retries", 3);
	in->max_wait_ms = (uint32_t)api->config_int(job, "max_wait_s", 30) * 1000;
	/* Only whether a key exists: the host injects it into requests. */
	key = api->secret_get(job, "api_key", 0);
	in->has_key = key && *key;
	if (key) {
		memset(key, 0, strlen(key));
		api->free(key);
	}
	*inst = in;
	return PULSE_OK;
}

static void sleep_ms(uint32_t ms)
{
	struct timespec ts = { .tv_sec = ms / 1000,
			       .tv_nsec = (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) != 0)
		;
}

/* Collection names come from the host ([a-z0-9_]); anything else would
 * change the URL's path. */
static int32_t check_name(pulse_job *job, const char *c)
{
	size_t i;

	for (i = 0; c && c[i]; i++)
		if (!((c[i] >= 'a' && c[i] <= 'z') || (c[i] >= 'A' && c[i] <= 'Z') ||
		      (c[i] >= '0' && c[i] <= '9') || c[i] == '_' || c[i] == '-'))
			break;
	if (!c || !*c || c[i] || i > 150)
		return api->fail(job, PULSE_ERR_INVALID, "qdrant: '%s' is not a "
				 "collection name ([A-Za-z0-9_-], at most 150)",
				 c ? c : "(null)");
	return PULSE_OK;
}

/*
 * One request with the retry policy. PULSE_OK with *resp a 2xx (or
 * `accept`) response to release; QD_GONE on 404; else a failure class
 * already given to api->fail. *status gets the last HTTP status.
 */
static int32_t qd_call(qd_inst *in, pulse_job *job, const char *method,
		       const char *path, const char *body, uint32_t accept,
		       pulse_http_response **resp, uint32_t *status)
{
	pulse_http_request req = {PULSE_STRUCT_HEADER(pulse_http_request)};
	char url[1400], msg[600];
	uint32_t attempt, wait, want, got;
	uint64_t blen = 0;
	const char *b;
	int32_t rc;
	int k = QD_PERMANENT;

	*resp = NULL;
	*status = 0;
	snprintf(url, sizeof(url), "%s%s", in->url, path);
	req.method = method;
	req.url = url;
	req.body = body;
	req.body_len = body ? strlen(body) : 0;
	req.content_type = body ? "application/json" : NULL;
	req.flags = PULSE_HTTP_NO_RETRY | PULSE_HTTP_RAW;
	req.timeout_ms = in->timeout_ms;
	if (in->has_key) {
		req.auth = PULSE_AUTH_HEADER;
		req.auth_header = "api-key";
		req.auth_secret = "api_key";
	}
	for (attempt = 0;; attempt++) {
		rc = api->http(job, &req, resp);
		if (rc != PULSE_OK) { /* transport: reset, timeout, refused */
			*resp = NULL;
			return rc == PULSE_ERR_PERMANENT ? rc : PULSE_ERR_TRANSIENT;
		}
		*status = api->http_status(*resp);
		if ((*status >= 200 && *status < 300) || *status == accept)
			return PULSE_OK;
		b = api->http_body(*resp, &blen);
		k = qd_classify(*status, b, (size_t)blen,
				api->http_header(*resp, "retry-after"), &wait,
				&want, &got, msg, sizeof(msg));
		api->http_release(*resp);
		*resp = NULL;
		if (k == QD_NOT_FOUND)
			return QD_GONE;
		if (k == QD_RETRY && attempt < in->max_retries &&
		    wait <= in->max_wait_ms) {
			if (!wait)
				wait = QD_BACKOFF_MS << (attempt < 6 ? attempt : 6);
			api->log(self, PULSE_LOG_WARN, "qdrant: %s %s: %s; retry "
				 "%u of %u in %u ms", method, path, msg,
				 attempt + 1, in->max_retries, wait);
			sleep_ms(wait);
			continue;
		}
		break;
	}
	switch (k) {
	case QD_RETRY:
		return api->fail(job, PULSE_ERR_TRANSIENT, "qdrant: %s %s: %s "
				 "(after %u attempts; the host retries later)",
				 method, url, msg, attempt + 1);
	case QD_DIMENSION:
		return api->fail(job, PULSE_ERR_PERMANENT, "qdrant: %s %s: the "
				 "collection holds %u-dimensional vectors, the "
				 "request has %u (%s); the embedding model changed: "
				 "run `pulse-host vectorize rebuild` after fixing "
				 "the route", method, url, want, got, msg);
	default:
		if (*status == 401 || *status == 403)
			return api->fail(job, PULSE_ERR_PERMANENT, "qdrant: %s %s "
					 "refused the key (%s); set a valid one "
					 "with `pulse-host integration set-secret "
					 "INTEGRATION api_key`", method, url, msg);
		return api->fail(job, PULSE_ERR_PERMANENT, "qdrant: %s %s: %s",
				 method, url, msg);
	}
}

static int known_find(qd_inst *in, const char *name)
{
	for (uint32_t i = 0; i < in->n_known; i++)
		if (!strcmp(in->known[i].name, name))
			return (int)i;
	return -1;
}

static void known_add(qd_inst *in, const char *name, uint32_t dim,
		      uint32_t distance)
{
	int i = known_find(in, name);

	if (i < 0) {
		i = in->n_known < QD_KNOWN ? (int)in->n_known++ : QD_KNOWN - 1;
		snprintf(in->known[i].name, sizeof(in->known[i].name), "%s", name);
	}
	in->known[i].dim = dim;
	in->known[i].distance = distance;
}

/* 409 (it exists): the existing collection must have dim and distance. */
static int32_t check_existing(qd_inst *in, pulse_job *job, const char *name,
			      uint32_t dim, uint32_t distance)
{
	pulse_http_response *resp = NULL;
	char path[200], have[32], err[256];
	uint32_t status, size = 0;
	uint64_t blen = 0;
	const char *body;
	int32_t rc;

	snprintf(path, sizeof(path), "/collections/%s", name);
	rc = qd_call(in, job, "GET", path, NULL, 0, &resp, &status);
	if (rc == QD_GONE) /* dropped between the two calls: odd, retry later */
		return api->fail(job, PULSE_ERR_TRANSIENT, "qdrant: collection "
				 "%s vanished while being checked", name);
	if (rc != PULSE_OK)
		return rc;
	body = api->http_body(resp, &blen);
	if (qd_collection_params(body, (size_t)blen, &size, have, sizeof(have),
				 err, sizeof(err)) < 0)
		rc = api->fail(job, PULSE_ERR_PERMANENT, "qdrant: collection %s: "
			       "%s", name, err);
	else if (size != dim || strcmp(have, qd_distance_name(distance)))
		rc = api->fail(job, PULSE_ERR_PERMANENT, "qdrant: collection %s "
			       "exists with %u-dimensional %s vectors, pulse-host "
			       "needs %u-dimensional %s; drop it or use another "
			       "embedding model", name, size, have, dim,
			       qd_distance_name(distance));
	api->http_release(resp);
	return rc;
}

static int32_t qd_ensure(void *p, pulse_job *job, const char *name,
			 uint32_t dim, uint32_t distance)
{
	qd_inst *in = p;
	pulse_http_response *resp = NULL;
	char path[200], *body = NULL;
	uint32_t status;
	int32_t rc;

	if ((rc = check_name(job, name)) != PULSE_OK)
		return rc;
	if (!dim || !qd_distance_name(distance))
		return api->fail(job, PULSE_ERR_INVALID, "qdrant: collection %s: "
				 "dimension %u / distance %u is not valid", name,
				 dim, distance);
	if (!(body = qd_collection_body(dim, distance)))
		return api->fail(job, PULSE_ERR_TRANSIENT, "qdrant: out of memory");
	snprintf(path, sizeof(path), "/collections/%s", name);
	rc = qd_call(in, job, "PUT", path, body, 409, &resp, &status);
	free(body);
	body = NULL;
	if (rc == QD_GONE)
		rc = api->fail(job, PULSE_ERR_PERMANENT, "qdrant: PUT %s%s answered "
			       "404; is base_url the Qdrant REST root?", in->url,
			       path);
	if (rc != PULSE_OK)
		return rc;
	api->http_release(resp);
	if (status == 409 &&
	    (rc = check_existing(in, job, name, dim, distance)) != PULSE_OK)
		return rc;
	/* The tenant index before any point: Qdrant builds its per-tenant
	 * graphs only from an index that exists when the data arrives.
	 * Creating it again is harmless (an existing collection may lack it). */
	if (!(body = qd_tenant_index_body()))
		return api->fail(job, PULSE_ERR_TRANSIENT, "qdrant: out of memory");
	snprintf(path, sizeof(path), "/collections/%s/index?wait=true", name);
	rc = qd_call(in, job, "PUT", path, body, 0, &resp, &status);
	free(body);
	if (rc == QD_GONE)
		return api->fail(job, PULSE_ERR_TRANSIENT, "qdrant: collection %s "
				 "vanished before its tenant index was made", name);
	if (rc != PULSE_OK)
		return rc;
	api->http_release(resp);
	known_add(in, name, dim, distance);
	return PULSE_OK;
}

/* Ensure collection (again) with what is known of it, else dim/cosine. */
static int32_t recreate(qd_inst *in, pulse_job *job, const char *c,
			uint32_t dim)
{
	int i = known_find(in, c);

	api->log(self, PULSE_LOG_WARN, "qdrant: collection %s is missing (404); "
		 "creating it again", c);
	return qd_ensure(in, job, c, i >= 0 ? in->known[i].dim : dim,
			 i >= 0 ? in->known[i].distance : PULSE_DISTANCE_COSINE);
}

static int32_t upsert_batch(qd_inst *in, pulse_job *job, const char *c,
			    const struct qd_point *pts, uint32_t n, int *recreated)
{
	pulse_http_response *resp = NULL;
	char path[200], err[300], *body;
	uint32_t status;
	int32_t rc;
	int bad;

	if (!(body = qd_upsert_body(pts, n, &bad, err, sizeof(err))))
		return bad ? api->fail(job, PULSE_ERR_INVALID, "qdrant: upsert "
				       "into %s: %s", c, err) :
			     api->fail(job, PULSE_ERR_TRANSIENT, "qdrant: out of "
				       "memory");
	snprintf(path, sizeof(path), "/collections/%s/points?wait=true", c);
	for (;;) {
		rc = qd_call(in, job, "PUT", path, body, 0, &resp, &status);
		if (rc != QD_GONE)
			break;
		if (*recreated) {
			rc = api->fail(job, PULSE_ERR_TRANSIENT, "qdrant: collection "
				       "%s is missing again after it was "
				       "recreated", c);
			break;
		}
		*recreated = 1;
		if ((rc = recreate(in, job, c, pts[0].dim)) != PULSE_OK)
			break;
	}
	if (resp)
		api->http_release(resp);
	free(body);
	return rc;
}

static int32_t qd_upsert(void *p, pulse_job *job, const char *c,
			 const pulse_vector_point *points, uint32_t n)
{
	qd_inst *in = p;
	struct qd_point *pts = NULL;
	uint32_t stride, i, k;
	int recreated = 0;
	int32_t rc;

	if ((rc = check_name(job, c)) != PULSE_OK)
		return rc;
	if (!n)
		return PULSE_OK;
	stride = points[0].struct_size;
	if (stride < sizeof(uint32_t) * 2)
		return api->fail(job, PULSE_ERR_INVALID, "qdrant: points of %u "
				 "bytes", stride);
	/* never a point before the collection and its tenant index */
	if (known_find(in, c) < 0 &&
	    (rc = qd_ensure(in, job, c, points[0].dim,
			    PULSE_DISTANCE_COSINE)) != PULSE_OK)
		return rc;
	if (!(pts = calloc(n < in->batch ? n : in->batch, sizeof(*pts))))
		return api->fail(job, PULSE_ERR_TRANSIENT, "qdrant: out of memory");
	for (i = 0; i < n && rc == PULSE_OK; i += k) {
		k = n - i < in->batch ? n - i : in->batch;
		for (uint32_t j = 0; j < k; j++) {
			const pulse_vector_point *v = (const pulse_vector_point *)
				((const char *)points + (size_t)(i + j) * stride);

			pts[j].id = v->id;
			pts[j].vec = v->vector;
			pts[j].dim = v->dim;
			pts[j].payload = v->payload_json;
		}
		rc = upsert_batch(in, job, c, pts, k, &recreated);
	}
	free(pts);
	return rc;
}

static int32_t qd_remove(void *p, pulse_job *job, const char *c,
			 const char *const *ids, uint32_t n_ids,
			 const char *filter_json)
{
	qd_inst *in = p;
	pulse_http_response *resp = NULL;
	char path[200], err[300], *filter = NULL, *body = NULL;
	uint32_t status;
	float thr;
	int has_thr;
	int32_t rc;

	if ((rc = check_name(job, c)) != PULSE_OK)
		return rc;
	/* by ids or by filter, always inside the tenant's condition */
	if (qd_filter(filter_json, ids, n_ids, &filter, &thr, &has_thr, err,
		      sizeof(err)) < 0)
		return api->fail(job, PULSE_ERR_INVALID, "qdrant: delete from %s: "
				 "%s", c, err);
	if (!(body = qd_delete_body(filter))) {
		rc = api->fail(job, PULSE_ERR_TRANSIENT, "qdrant: out of memory");
		goto out;
	}
	snprintf(path, sizeof(path), "/collections/%s/points/delete?wait=true", c);
	rc = qd_call(in, job, "POST", path, body, 0, &resp, &status);
	if (rc == QD_GONE) /* no collection, no points: deleted */
		rc = PULSE_OK;
	if (resp)
		api->http_release(resp);
out:
	free(filter);
	free(body);
	return rc;
}

static int32_t qd_query(void *p, pulse_job *job, const char *c,
			const float *vector, uint32_t dim, uint32_t k,
			const char *filter_json, pulse_vector_hits *hits)
{
	qd_inst *in = p;
	pulse_http_response *resp = NULL;
	char path[200], err[300], *filter = NULL, *body = NULL;
	uint32_t status;
	uint64_t blen = 0;
	const char *rb;
	float thr = 0;
	int has_thr, recreated = 0;
	int32_t rc;

	qd_hits_free(&in->last);
	if ((rc = check_name(job, c)) != PULSE_OK)
		return rc;
	if (qd_filter(filter_json, NULL, 0, &filter, &thr, &has_thr, err,
		      sizeof(err)) < 0)
		return api->fail(job, PULSE_ERR_INVALID, "qdrant: query of %s: %s",
				 c, err);
	if (!(body = qd_query_body(vector, dim, filter, k, has_thr, thr))) {
		rc = api->fail(job, PULSE_ERR_TRANSIENT, "qdrant: out of memory");
		goto out;
	}
	snprintf(path, sizeof(path), "/collections/%s/points/query", c);
	for (;;) {
		rc = qd_call(in, job, "POST", path, body, 0, &resp, &status);
		if (rc != QD_GONE)
			break;
		if (recreated) {
			rc = api->fail(job, PULSE_ERR_TRANSIENT, "qdrant: collection "
				       "%s is missing again after it was "
				       "recreated", c);
			goto out;
		}
		recreated = 1;
		if ((rc = recreate(in, job, c, dim)) != PULSE_OK)
			goto out;
	}
	if (rc != PULSE_OK)
		goto out;
	rb = api->http_body(resp, &blen);
	if (qd_hits_parse(rb, (size_t)blen, &in->last, err, sizeof(err)) < 0) {
		rc = api->fail(job, PULSE_ERR_TRANSIENT, "qdrant: POST %s%s: %s",
			       in->url, path, err);
		goto out;
	}
	if (PULSE_HAS(hits, n))
		hits->n = in->last.n;
	if (PULSE_HAS(hits, ids))
		hits->ids = (const char *const *)in->last.ids;
	if (PULSE_HAS(hits, scores))
		hits->scores = in->last.scores;
	if (PULSE_HAS(hits, payloads))
		hits->payloads = (const char *const *)in->last.payloads;
out:
	if (resp)
		api->http_release(resp);
	free(filter);
	free(body);
	return rc;
}

/* 1.4: a page of the points matching filter_json, by Qdrant's id order.
 * A missing collection holds no points: an empty last page. */
static int32_t qd_scroll(void *p, pulse_job *job, const char *c,
			 const char *filter_json, const char *offset,
			 uint32_t limit, uint32_t flags, pulse_vector_page *page)
{
	qd_inst *in = p;
	pulse_http_response *resp = NULL;
	char path[200], err[300], *filter = NULL, *body = NULL;
	int with_vec = !(flags & PULSE_SCROLL_NO_VECTORS);
	uint32_t status;
	uint64_t blen = 0;
	const char *rb;
	float thr;
	int has_thr;
	int32_t rc;

	qd_page_free(&in->page);
	if ((rc = check_name(job, c)) != PULSE_OK)
		return rc;
	if (!limit || !PULSE_HAS(page, next_offset))
		return api->fail(job, PULSE_ERR_INVALID, "qdrant: scroll of %s: "
				 "%s", c, limit ? "the page struct is too small" :
				 "limit 0");
	if (qd_filter(filter_json, NULL, 0, &filter, &thr, &has_thr, err,
		      sizeof(err)) < 0)
		return api->fail(job, PULSE_ERR_INVALID, "qdrant: scroll of %s: %s",
				 c, err);
	if (!(body = qd_scroll_body(filter, offset, limit, with_vec,
				    !(flags & PULSE_SCROLL_NO_PAYLOADS)))) {
		rc = api->fail(job, PULSE_ERR_INVALID, "qdrant: scroll of %s: "
			       "offset '%s' is not a point id (or out of "
			       "memory)", c, offset ? offset : "");
		goto out;
	}
	snprintf(path, sizeof(path), "/collections/%s/points/scroll", c);
	rc = qd_call(in, job, "POST", path, body, 0, &resp, &status);
	if (rc == QD_GONE) {
		rc = PULSE_OK;
		goto out;
	}
	if (rc != PULSE_OK)
		goto out;
	rb = api->http_body(resp, &blen);
	if (qd_page_parse(rb, (size_t)blen, with_vec, &in->page, err,
			  sizeof(err)) < 0) {
		rc = api->fail(job, PULSE_ERR_TRANSIENT, "qdrant: POST %s%s: %s",
			       in->url, path, err);
		goto out;
	}
	page->n = in->page.n;
	page->dim = in->page.dim;
	page->ids = (const char *const *)in->page.ids;
	page->vectors = in->page.vecs;
	page->payloads = (const char *const *)in->page.payloads;
	page->next_offset = in->page.next;
out:
	if (resp)
		api->http_release(resp);
	free(filter);
	free(body);
	return rc;
}

static const pulse_vector_store_ops ops = {
	PULSE_STRUCT_HEADER(pulse_vector_store_ops),
	.flags = 0,
	.open = qd_open,
	.close = qd_close,
	.ensure_collection = qd_ensure,
	.upsert = qd_upsert,
	.remove = qd_remove,
	.query = qd_query,
	.scroll = qd_scroll,
};

/* For a 1.1-1.3 host: the table without scroll, whose non-zero bytes
 * such a host would refuse as fields it does not know. */
static const pulse_vector_store_ops ops_v1_3 = {
	.struct_size = (uint32_t)offsetof(pulse_vector_store_ops, scroll),
	.abi_major = PULSE_ABI_MAJOR,
	.abi_minor = 3,
	.flags = 0,
	.open = qd_open,
	.close = qd_close,
	.ensure_collection = qd_ensure,
	.upsert = qd_upsert,
	.remove = qd_remove,
	.query = qd_query,
};

static int32_t qd_init(const pulse_host_api *host_api, pulse_host *host,
		       void **state, char *err, uint32_t errlen)
{
	(void)state;
	(void)err;
	(void)errlen;
	PULSE_PLUGIN_INIT2(host_api, host);
	return PULSE_OK;
}

static const pulse_plugin_info info = {
	PULSE_STRUCT_HEADER(pulse_plugin_info),
	.kind = PULSE_KIND_VECTOR_STORE,
	.name = "qdrant",
	.version = "1.0.0",
	.ops = &ops,
	.description = "Qdrant vector store (REST 1.10+): one collection per "
		       "embedding model, tenants by an is_tenant payload index",
	.config_fields = fields,
	.init = qd_init,
};

static pulse_plugin_info info_v1_3;

PULSE_EXPORT const pulse_plugin_info *pulse_plugin_entry_v1(uint32_t host_minor)
{
	/* provider ops exist from ABI 1.1, scroll from 1.4 */
	if (host_minor >= 4)
		return &info;
	if (host_minor < 1)
		return NULL;
	info_v1_3 = info;
	info_v1_3.ops = &ops_v1_3;
	return &info_v1_3;
}
