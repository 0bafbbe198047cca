/* wire: Qdrant request bodies, replies and error policy (see qd.h). */
#define _GNU_SOURCE /* strcasestr */
#include <pulse-host/plugin.h>

#include <ctype.h>
#include <json-c/json.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qd.h"

/* ---- buffer ---- */

void qd_add(struct qd_buf *b, const char *s, size_t n)
{
	if (b->oom)
		return;
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 256;
		char *p;

		while (cap < b->len + n + 1)
			cap *= 2;
		if (!(p = realloc(b->s, cap))) {
			b->oom = 1;
			return;
		}
		b->s = p;
		b->cap = cap;
	}
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
}

void qd_adds(struct qd_buf *b, const char *s)
{
	qd_add(b, s, strlen(s));
}

void qd_addf(struct qd_buf *b, const char *fmt, ...)
{
	char tmp[256];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0) {
		b->oom = 1;
		return;
	}
	qd_add(b, tmp, (size_t)n < sizeof(tmp) ? (size_t)n : sizeof(tmp) - 1);
}

void qd_buf_free(struct qd_buf *b)
{
	free(b->s);
	memset(b, 0, sizeof(*b));
}

/* The buffer's text handed over, or NULL (and freed) if incomplete. */
static char *qd_take(struct qd_buf *b)
{
	char *s = b->s;

	if (b->oom || !s) {
		qd_buf_free(b);
		return NULL;
	}
	memset(b, 0, sizeof(*b));
	return s;
}

/* Nine significant digits round-trip a float. */
static void add_vector(struct qd_buf *b, const float *v, uint32_t dim)
{
	qd_adds(b, "[");
	for (uint32_t i = 0; i < dim; i++) {
		float x = isfinite(v[i]) ? v[i] : 0.0f;

		qd_addf(b, i ? ",%.9g" : "%.9g", (double)x);
	}
	qd_adds(b, "]");
}

/* ---- collections ---- */

const char *qd_distance_name(uint32_t distance)
{
	switch (distance) {
	case PULSE_DISTANCE_COSINE: return "Cosine";
	case PULSE_DISTANCE_EUCLID: return "Euclid";
	case PULSE_DISTANCE_DOT: return "Dot";
	case PULSE_DISTANCE_MANHATTAN: return "Manhattan";
	default: return NULL;
	}
}

char *qd_collection_body(uint32_t dim, uint32_t distance)
{
	const char *d = qd_distance_name(distance);
	struct qd_buf b = {0};

	if (!d)
		return NULL;
	/* m 0 + payload_m 16: no global graph, one per tenant (Qdrant's
	 * multitenancy guidance; every query filters on the tenant). */
	qd_addf(&b, "{\"vectors\":{\"size\":%u,\"distance\":\"%s\"},"
		"\"hnsw_config\":{\"m\":0,\"payload_m\":16}}", dim, d);
	return qd_take(&b);
}

char *qd_tenant_index_body(void)
{
	return strdup("{\"field_name\":\"" QD_TENANT_KEY "\",\"field_schema\":"
		      "{\"type\":\"keyword\",\"is_tenant\":true}}");
}

int qd_collection_params(const char *body, size_t len, uint32_t *size,
			 char *distance, size_t distlen, char *err,
			 size_t errlen)
{
	struct json_tokener *tok = json_tokener_new();
	struct json_object *o = NULL, *v = NULL, *x;
	int rc = -1;

	if (tok)
		o = json_tokener_parse_ex(tok, body ? body : "", (int)len);
	if (!o || !json_object_object_get_ex(o, "result", &v) ||
	    !json_object_object_get_ex(v, "config", &v) ||
	    !json_object_object_get_ex(v, "params", &v) ||
	    !json_object_object_get_ex(v, "vectors", &v) ||
	    !json_object_is_type(v, json_type_object)) {
		snprintf(err, errlen, "the collection info has no "
			 "result.config.params.vectors");
		goto out;
	}
	if (!json_object_object_get_ex(v, "size", &x) ||
	    !json_object_is_type(x, json_type_int)) {
		snprintf(err, errlen, "the collection has named vectors or no "
			 "vector size; pulse-host needs one unnamed vector");
		goto out;
	}
	*size = (uint32_t)json_object_get_int64(x);
	snprintf(distance, distlen, "%s",
		 json_object_object_get_ex(v, "distance", &x) ?
		 json_object_get_string(x) : "?");
	rc = 0;
out:
	json_object_put(o);
	if (tok)
		json_tokener_free(tok);
	return rc;
}

/* ---- filters ---- */

static int is_tenant_cond(struct json_object *c)
{
	struct json_object *k, *m, *v;

	return json_object_is_type(c, json_type_object) &&
	       json_object_object_get_ex(c, "key", &k) &&
	       json_object_is_type(k, json_type_string) &&
	       !strcmp(json_object_get_string(k), QD_TENANT_KEY) &&
	       json_object_object_get_ex(c, "match", &m) &&
	       json_object_object_length(m) == 1 &&
	       json_object_object_get_ex(m, "value", &v) &&
	       json_object_is_type(v, json_type_string) &&
	       json_object_get_string_len(v) > 0;
}

int qd_filter(const char *host_filter, const char *const *ids,
	      uint32_t n_ids, char **filter, float *threshold,
	      int *has_threshold, char *err, size_t errlen)
{
	struct json_object *in = host_filter ? json_tokener_parse(host_filter) :
				 NULL;
	struct json_object *out = NULL, *must = NULL, *m = NULL, *hid;
	int tenant = 0, rc = -1;
	const char *s;

	*filter = NULL;
	*has_threshold = 0;
	if (!json_object_is_type(in, json_type_object)) {
		snprintf(err, errlen, "no filter object from the host; every "
			 "query and delete must carry the tenant condition");
		goto out;
	}
	json_object_object_foreach(in, key, val) {
		if (!strcmp(key, "must") && json_object_is_type(val, json_type_array)) {
			m = val;
		} else if (!strcmp(key, "score_threshold") &&
			   (json_object_is_type(val, json_type_double) ||
			    json_object_is_type(val, json_type_int))) {
			*threshold = (float)json_object_get_double(val);
			*has_threshold = 1;
		} else {
			snprintf(err, errlen, "filter field '%s' is not known "
				 "(must, score_threshold)", key);
			goto out;
		}
	}
	if (!(out = json_object_new_object()) ||
	    !(must = json_object_new_array()))
		goto oom;
	json_object_object_add(out, "must", must);
	for (size_t i = 0; m && i < json_object_array_length(m); i++) {
		struct json_object *c = json_object_array_get_idx(m, i);

		tenant |= is_tenant_cond(c);
		json_object_array_add(must, json_object_get(c));
	}
	if (!tenant) {
		snprintf(err, errlen, "refusing a request without the must-"
			 "condition on %s (the collection is shared by every "
			 "tenant)", QD_TENANT_KEY);
		goto out;
	}
	if (n_ids) {
		struct json_object *c = json_object_new_object();

		if (!c || !(hid = json_object_new_array())) {
			json_object_put(c);
			goto oom;
		}
		for (uint32_t i = 0; i < n_ids; i++)
			json_object_array_add(hid, json_object_new_string(ids[i]));
		json_object_object_add(c, "has_id", hid);
		json_object_array_add(must, c);
	}
	s = json_object_to_json_string_ext(out, JSON_C_TO_STRING_PLAIN |
					   JSON_C_TO_STRING_NOSLASHESCAPE);
	if (!s || !(*filter = strdup(s)))
		goto oom;
	rc = 0;
	goto out;
oom:
	snprintf(err, errlen, "out of memory");
out:
	json_object_put(in);
	json_object_put(out);
	return rc;
}

/* ---- points ---- */

char *qd_query_body(const float *vec, uint32_t dim, const char *filter,
		    uint32_t limit, int has_threshold, float threshold)
{
	struct qd_buf b = {0};

	qd_adds(&b, "{\"query\":");
	add_vector(&b, vec, dim);
	qd_addf(&b, ",\"limit\":%u,\"with_payload\":true,\"with_vector\":false",
		limit);
	if (has_threshold)
		qd_addf(&b, ",\"score_threshold\":%.9g", (double)threshold);
	qd_adds(&b, ",\"filter\":");
	qd_adds(&b, filter);
	qd_adds(&b, "}");
	return qd_take(&b);
}

char *qd_delete_body(const char *filter)
{
	struct qd_buf b = {0};

	qd_adds(&b, "{\"filter\":");
	qd_adds(&b, filter);
	qd_adds(&b, "}");
	return qd_take(&b);
}

static int payload_ok(const char *payload)
{
	struct json_object *o = payload ? json_tokener_parse(payload) : NULL, *t;
	int ok = json_object_is_type(o, json_type_object) &&
		 json_object_object_get_ex(o, QD_TENANT_KEY, &t) &&
		 json_object_is_type(t, json_type_string) &&
		 json_object_get_string_len(t) > 0;

	json_object_put(o);
	return ok;
}

char *qd_upsert_body(const struct qd_point *pts, uint32_t n, int *bad,
		     char *err, size_t errlen)
{
	struct qd_buf b = {0};

	*bad = 0;
	qd_adds(&b, "{\"points\":[");
	for (uint32_t i = 0; i < n; i++) {
		const char *id = pts[i].id;

		/* ids are UUIDs or unsigned integers, made by the host */
		if (!id || !*id || strpbrk(id, "\"\\") || !payload_ok(pts[i].payload)) {
			snprintf(err, errlen, "point %u (%s): %s", i, id ? id : "no id",
				 !id || !*id || strpbrk(id, "\"\\") ? "not a point id" :
				 "its payload is not an object with a text "
				 QD_TENANT_KEY);
			*bad = 1;
			qd_buf_free(&b);
			return NULL;
		}
		qd_addf(&b, "%s{\"id\":\"", i ? "," : "");
		qd_adds(&b, id);
		qd_adds(&b, "\",\"vector\":");
		add_vector(&b, pts[i].vec, pts[i].dim);
		qd_adds(&b, ",\"payload\":");
		qd_adds(&b, pts[i].payload);
		qd_adds(&b, "}");
	}
	qd_adds(&b, "]}");
	return qd_take(&b);
}

void qd_hits_free(struct qd_hits *h)
{
	for (uint32_t i = 0; i < h->n; i++) {
		free(h->ids[i]);
		free(h->payloads[i]);
	}
	free(h->ids);
	free(h->scores);
	free(h->payloads);
	memset(h, 0, sizeof(*h));
}

int qd_hits_parse(const char *body, size_t len, struct qd_hits *h,
		  char *err, size_t errlen)
{
	struct json_tokener *tok = json_tokener_new();
	struct json_object *o = NULL, *r, *pts = NULL;
	size_t n;
	int rc = -1;

	memset(h, 0, sizeof(*h));
	if (tok)
		o = json_tokener_parse_ex(tok, body ? body : "", (int)len);
	if (!o || !json_object_object_get_ex(o, "result", &r) ||
	    !json_object_object_get_ex(r, "points", &pts) ||
	    !json_object_is_type(pts, json_type_array)) {
		snprintf(err, errlen, "the reply is not a query response "
			 "(no result.points)");
		goto out;
	}
	n = json_object_array_length(pts);
	if (n && (!(h->ids = calloc(n, sizeof(*h->ids))) ||
		  !(h->scores = calloc(n, sizeof(*h->scores))) ||
		  !(h->payloads = calloc(n, sizeof(*h->payloads))))) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		struct json_object *p = json_object_array_get_idx(pts, i), *id,
				   *sc, *pl;
		const char *s;

		if (!json_object_object_get_ex(p, "id", &id) ||
		    !json_object_object_get_ex(p, "score", &sc) ||
		    !(json_object_is_type(sc, json_type_double) ||
		      json_object_is_type(sc, json_type_int))) {
			snprintf(err, errlen, "point %zu of the reply has no id "
				 "or score", i);
			goto out;
		}
		h->ids[h->n] = strdup(json_object_get_string(id));
		h->scores[h->n] = (float)json_object_get_double(sc);
		if (json_object_object_get_ex(p, "payload", &pl) &&
		    json_object_is_type(pl, json_type_object) &&
		    (s = json_object_to_json_string_ext(pl, JSON_C_TO_STRING_PLAIN |
							 JSON_C_TO_STRING_NOSLASHESCAPE)))
			h->payloads[h->n] = strdup(s);
		h->n++;
		if (!h->ids[h->n - 1]) {
			snprintf(err, errlen, "out of memory");
			goto out;
		}
	}
	rc = 0;
out:
	if (rc < 0)
		qd_hits_free(h);
	json_object_put(o);
	if (tok)
		json_tokener_free(tok);
	return rc;
}

/* ---- errors ---- */

/* Qdrant's message: status.error of the envelope, else the text itself
 * (401/403 are plain text), trimmed to one line. */
static void error_text(const char *body, size_t len, char *out, size_t outlen)
{
	struct json_tokener *tok = json_tokener_new();
	struct json_object *o = NULL, *s, *e;
	size_t i;

	out[0] = '\0';
	if (tok && body && len)
		o = json_tokener_parse_ex(tok, body, (int)len);
	if (o && json_object_object_get_ex(o, "status", &s) &&
	    json_object_object_get_ex(s, "error", &e))
		snprintf(out, outlen, "%s", json_object_get_string(e));
	else if (body && len)
		snprintf(out, outlen, "%.*s", (int)(len < 300 ? len : 300), body);
	json_object_put(o);
	if (tok)
		json_tokener_free(tok);
	for (i = 0; out[i]; i++)
		if (out[i] == '\n' || out[i] == '\r')
			out[i] = ' ';
	if (!out[0])
		snprintf(out, outlen, "no message");
}

int qd_classify(uint32_t status, const char *body, size_t len,
		const char *retry_after, uint32_t *retry_ms, uint32_t *want,
		uint32_t *got, char *msg, size_t msglen)
{
	char text[400];
	const char *p;

	*retry_ms = 0;
	*want = *got = 0;
	error_text(body, len, text, sizeof(text));
	snprintf(msg, msglen, "HTTP %u: %s", status, text);
	if (status == 429) {
		/* whole seconds, rounded up by Qdrant */
		if (retry_after && isdigit((unsigned char)*retry_after)) {
			unsigned long s = strtoul(retry_after, NULL, 10);

			*retry_ms = s > 3600 ? 3600000u : (uint32_t)s * 1000u;
		}
		return QD_RETRY;
	}
	if (status == 408 || status >= 500)
		return QD_RETRY;
	if (status == 404)
		return QD_NOT_FOUND;
	if (status == 400 && (p = strcasestr(text, "expected dim:"))) {
		*want = (uint32_t)strtoul(p + 13, NULL, 10);
		if ((p = strcasestr(p, "got")))
			*got = (uint32_t)strtoul(p + 3, NULL, 10);
		return QD_DIMENSION;
	}
	return QD_PERMANENT;
}
