/* api_io: parsing API requests and rendering replies (see api_int.h). */
#include "config.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "db/db.h"
#include "server/api_int.h"

/* ---- replies ---------------------------------------------------------- */

void api_reply_error(struct api_response *rs, int status, const char *code,
		     const char *fmt, ...)
{
	char msg[1536];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	sb_reset(&rs->body);
	rs->status = status;
	rs->content_type = "application/json";
	sb_addf(&rs->body, "{\"error\":{\"code\":\"%s\",\"message\":\"", code);
	sb_add_json_str(&rs->body, msg);
	sb_adds(&rs->body, "\"}}\n");
}

void api_reply_db_error(struct call *c, const char *err)
{
	log_error("API", "method=%s path=%s error=\"%s\"", c->rq->method,
		  c->rq->path, err);
	if (db_conn_lost(c->db))
		api_reply_error(c->rs, 503, "database_unavailable",
				"the database is unreachable: %s; retry later", err);
	else
		api_reply_error(c->rs, 500, "database_error", "%s", err);
}

void api_reply_json(struct api_response *rs, int status, json_object *o)
{
	sb_reset(&rs->body);
	rs->status = status;
	rs->content_type = "application/json";
	sb_adds(&rs->body, json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	sb_adds(&rs->body, "\n");
}

/* One result cell as JSON, typed by the column's type oid. */
static json_object *cell_json(const PGresult *r, int row, int col)
{
	const char *v;

	if (PQgetisnull(r, row, col))
		return NULL;
	v = PQgetvalue(r, row, col);
	switch (PQftype(r, col)) {
	case 20: case 21: case 23: /* int8, int2, int4 */
		return json_object_new_int64(strtoll(v, NULL, 10));
	case 700: case 701: case 1700:
		return json_object_new_double(strtod(v, NULL));
	case 16: /* bool */
		return json_object_new_boolean(v[0] == 't');
	case 114: case 3802: { /* json, jsonb */
		json_object *o = json_tokener_parse(v);

		return o ? o : json_object_new_string(v);
	}
	}
	return json_object_new_string(v);
}

json_object *api_row_json(const PGresult *r, int row)
{
	json_object *o = json_object_new_object();
	int col;

	for (col = 0; o && col < PQnfields(r); col++)
		json_object_object_add(o, PQfname(r, col), cell_json(r, row, col));
	return o;
}

json_object *api_rows_json(const PGresult *r)
{
	json_object *a = json_object_new_array();
	int row;

	for (row = 0; a && row < PQntuples(r); row++)
		json_object_array_add(a, api_row_json(r, row));
	return a;
}

/* ---- requests --------------------------------------------------------- */

/* Value of query parameter name (percent-decoded) into buf, or NULL. */
const char *api_query_arg(const char *q, const char *name, char *buf,
			  size_t len)
{
	size_t nl = strlen(name);

	while (q && *q) {
		const char *amp = strchr(q, '&');
		size_t seg = amp ? (size_t)(amp - q) : strlen(q);

		if (seg > nl && strncmp(q, name, nl) == 0 && q[nl] == '=') {
			const char *s = q + nl + 1, *end = q + seg;
			size_t o = 0;

			while (s < end && o + 1 < len) {
				if (*s == '%' && end - s >= 3 &&
				    isxdigit((unsigned char)s[1]) &&
				    isxdigit((unsigned char)s[2])) {
					char hex[3] = {s[1], s[2], 0};

					buf[o++] = (char)strtol(hex, NULL, 16);
					s += 3;
				} else {
					buf[o++] = *s == '+' ? ' ' : *s;
					s++;
				}
			}
			buf[o] = '\0';
			return buf;
		}
		q = amp ? amp + 1 : NULL;
	}
	return NULL;
}

/* Parse a positive decimal id; 0 if it is not one. */
int64_t api_parse_id(const char *s, size_t len)
{
	int64_t v = 0;
	size_t i;

	if (!len || len > 18)
		return 0;
	for (i = 0; i < len; i++) {
		if (!isdigit((unsigned char)s[i]))
			return 0;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

json_object *api_parse_body(struct call *c)
{
	json_tokener *tok;
	json_object *o = NULL;

	if (!c->rq->body || !c->rq->body_len) {
		api_reply_error(c->rs, 400, "bad_request", "a JSON object body is required");
		return NULL;
	}
	tok = json_tokener_new();
	if (!tok)
		goto out;
	o = json_tokener_parse_ex(tok, c->rq->body, (int)c->rq->body_len);
	if (!o || json_tokener_get_error(tok) != json_tokener_success ||
	    !json_object_is_type(o, json_type_object)) {
		api_reply_error(c->rs, 400, "bad_json", "request body is not a JSON "
				"object (error near offset %zu: %s)",
				json_tokener_get_parse_end(tok),
				json_tokener_error_desc(json_tokener_get_error(tok)));
		json_object_put(o);
		o = NULL;
	}
out:
	json_tokener_free(tok);
	return o;
}

const char *api_body_str(json_object *body, const char *key)
{
	json_object *v;

	if (!json_object_object_get_ex(body, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

int api_load_key(const char *path, struct crypto_key *k, const char *what,
		 char *err, size_t errlen)
{
	char e[400];

	if (crypto_init(e, sizeof(e)) < 0 || crypto_key_load(path, 1, k, e, sizeof(e)) < 0) {
		snprintf(err, errlen, "%s: %s", what, e);
		return -1;
	}
	return 0;
}
