/* scroll: the body and reply of Qdrant's points/scroll (see qd.h). */
#include <pulse-host/plugin.h>

#include <ctype.h>
#include <json-c/json.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qd.h"

/* An id as Qdrant takes it: an unsigned integer bare, a UUID quoted.
 * 0, or -1 when it is neither (quotes or backslashes: never sent). */
static int add_id(struct qd_buf *b, const char *id)
{
	size_t i, digits = 0;

	if (!id || !*id || strpbrk(id, "\"\\"))
		return -1;
	for (i = 0; id[i]; i++)
		digits += isdigit((unsigned char)id[i]) != 0;
	if (digits == i && i <= 20) {
		qd_adds(b, id);
		return 0;
	}
	qd_adds(b, "\"");
	qd_adds(b, id);
	qd_adds(b, "\"");
	return 0;
}

char *qd_scroll_body(const char *filter, const char *offset, uint32_t limit,
		     int with_vector, int with_payload)
{
	struct qd_buf b = {0};

	qd_addf(&b, "{\"limit\":%u,\"with_payload\":%s,\"with_vector\":%s",
		limit, with_payload ? "true" : "false",
		with_vector ? "true" : "false");
	if (offset) {
		qd_adds(&b, ",\"offset\":");
		if (add_id(&b, offset) < 0) {
			qd_buf_free(&b);
			return NULL;
		}
	}
	qd_adds(&b, ",\"filter\":");
	qd_adds(&b, filter);
	qd_adds(&b, "}");
	if (b.oom) {
		qd_buf_free(&b);
		return NULL;
	}
	return b.s;
}

void qd_page_free(struct qd_page *pg)
{
	for (uint32_t i = 0; i < pg->n; i++) {
		free(pg->ids[i]);
		free(pg->payloads[i]);
	}
	free(pg->ids);
	free(pg->payloads);
	free(pg->vecs);
	free(pg->next);
	memset(pg, 0, sizeof(*pg));
}

/* Point i's vector (an unnamed one: a plain array) into pg->vecs, the
 * first point setting the dimension. 0 or -1 with err. */
static int take_vector(struct qd_page *pg, size_t i, size_t n,
		       struct json_object *v, char *err, size_t errlen)
{
	size_t d = json_object_is_type(v, json_type_array) ?
		   json_object_array_length(v) : 0;

	if (!d || d > 65536 || (pg->dim && d != pg->dim)) {
		snprintf(err, errlen, "point %zu of the page has a vector of %zu "
			 "floats%s", i, d, pg->dim ? ", not the page's" : "");
		return -1;
	}
	if (!pg->vecs) {
		pg->dim = (uint32_t)d;
		if (!(pg->vecs = calloc(n * d, sizeof(float)))) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
	}
	for (size_t k = 0; k < d; k++)
		pg->vecs[i * d + k] = (float)json_object_get_double(
			json_object_array_get_idx(v, k));
	return 0;
}

int qd_page_parse(const char *body, size_t len, int with_vector,
		  struct qd_page *pg, char *err, size_t errlen)
{
	struct json_tokener *tok = json_tokener_new();
	struct json_object *o = NULL, *r, *pts = NULL, *nx;
	size_t n;
	int rc = -1;

	memset(pg, 0, sizeof(*pg));
	if (tok)
		o = json_tokener_parse_ex(tok, body ? body : "", (int)len);
	if (!o || !json_object_object_get_ex(o, "result", &r) ||
	    !json_object_object_get_ex(r, "points", &pts) ||
	    !json_object_is_type(pts, json_type_array)) {
		snprintf(err, errlen, "the reply is not a scroll response "
			 "(no result.points)");
		goto out;
	}
	n = json_object_array_length(pts);
	if (n && (!(pg->ids = calloc(n, sizeof(*pg->ids))) ||
		  !(pg->payloads = calloc(n, sizeof(*pg->payloads))))) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		struct json_object *p = json_object_array_get_idx(pts, i), *id,
				   *pl, *v = NULL;
		const char *s;

		if (!json_object_object_get_ex(p, "id", &id)) {
			snprintf(err, errlen, "point %zu of the page has no id", i);
			goto out;
		}
		/* a missing vector reads as an empty one: refused there */
		if (with_vector && (json_object_object_get_ex(p, "vector", &v),
				    take_vector(pg, i, n, v, err, errlen) < 0))
			goto out;
		pg->ids[pg->n] = strdup(json_object_get_string(id));
		if (json_object_object_get_ex(p, "payload", &pl) &&
		    json_object_is_type(pl, json_type_object) &&
		    (s = json_object_to_json_string_ext(pl, JSON_C_TO_STRING_PLAIN |
							 JSON_C_TO_STRING_NOSLASHESCAPE)))
			pg->payloads[pg->n] = strdup(s);
		if (!pg->ids[pg->n++]) {
			snprintf(err, errlen, "out of memory");
			goto out;
		}
	}
	/* null or absent: the last page */
	if (json_object_object_get_ex(r, "next_page_offset", &nx) && nx &&
	    !(pg->next = strdup(json_object_get_string(nx)))) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	rc = 0;
out:
	if (rc < 0)
		qd_page_free(pg);
	json_object_put(o);
	if (tok)
		json_tokener_free(tok);
	return rc;
}
