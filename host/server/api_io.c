/* api_io: parsing API requests and rendering replies (see api_int.h). */
#include "config.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

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
	sb_adds(&rs->body, "\"");
	if (rs->request_id[0])
		sb_addf(&rs->body, ",\"request_id\":\"%s\"", rs->request_id);
	sb_adds(&rs->body, "}}\n");
}

void api_new_request_id(struct api_response *rs)
{
	static unsigned counter;
	uint32_t r = 0;

	/* Random, so ids of two daemons (or restarts) do not collide; the
	 * counter keeps them unique if getrandom is unavailable. */
	if (getrandom(&r, sizeof(r), GRND_NONBLOCK) != (ssize_t)sizeof(r))
		r = (uint32_t)time(NULL);
	snprintf(rs->request_id, sizeof(rs->request_id), "%08x%08x", r,
		 __atomic_add_fetch(&counter, 1, __ATOMIC_RELAXED));
}

void api_reply_internal(struct api_response *rs, const char *method,
			const char *path, const char *what, const char *err,
			int lost, int timed_out)
{
	/* The server's text stays in our log: it names tables, columns,
	 * constraints and values that are none of the client's business. */
	log_error("API", "request_id=%s method=%s path=%s what=\"%s\" "
		  "sqlstate=%s error=\"%s\"", rs->request_id, method, path, what,
		  timed_out ? db_last_sqlstate() : "-", err);
	if (timed_out)
		api_reply_error(rs, 503, "database_timeout", "the database did "
				"not answer in time (a lock or a slow query); retry "
				"later, or report request_id %s", rs->request_id);
	else if (lost)
		api_reply_error(rs, 503, "database_unavailable", "the database "
				"is unreachable; retry later, or report request_id "
				"%s", rs->request_id);
	else
		api_reply_error(rs, 500, "internal", "internal error; report "
				"request_id %s (the daemon's log has the details)",
				rs->request_id);
}

void api_reply_db_error(struct call *c, const char *err)
{
	api_reply_internal(c->rs, c->rq->method, c->rq->path, "database", err,
			   db_conn_lost(c->db), db_last_was_timeout());
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
/* Length of buf[0..o) without a UTF-8 sequence cut at its end (a value
 * truncated to the buffer must stay text; found by tests/fuzz/fuzz-rest). */
static size_t utf8_whole(const char *buf, size_t o)
{
	size_t lead = o, want;
	unsigned char c;

	while (lead > 0 && o - lead < 4 &&
	       ((unsigned char)buf[lead - 1] & 0xC0) == 0x80)
		lead--;
	if (lead == 0)
		return o;
	c = (unsigned char)buf[lead - 1];
	want = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
	return o - (lead - 1) < want ? lead - 1 : o;
}

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
			if (s < end)
				o = utf8_whole(buf, o);
			buf[o] = '\0';
			return buf;
		}
		q = amp ? amp + 1 : NULL;
	}
	return NULL;
}

int api_query_ok(const char *q)
{
	size_t n = q ? strlen(q) : 0, o = 0;
	char *d = malloc(n + 1);
	int ok;

	if (!d)
		return 0;
	for (; q && *q; q++) {
		if (*q == '%' && isxdigit((unsigned char)q[1]) &&
		    isxdigit((unsigned char)q[2])) {
			char hex[3] = {q[1], q[2], 0};

			d[o++] = (char)strtol(hex, NULL, 16);
			q += 2;
		} else {
			d[o++] = *q;
		}
	}
	ok = api_text_ok(d, o);
	free(d);
	return ok;
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

int api_text_ok(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + len;

	/* UTF-8 as RFC 3629 has it: no overlongs, no surrogates, <= U+10FFFF;
	 * and no NUL, which PostgreSQL text cannot hold. */
	while (p < end) {
		size_t n, i;
		unsigned cp;

		if (*p == 0)
			return 0;
		if (*p < 0x80) {
			p++;
			continue;
		}
		if ((*p & 0xe0) == 0xc0)
			n = 1, cp = *p & 0x1f;
		else if ((*p & 0xf0) == 0xe0)
			n = 2, cp = *p & 0x0f;
		else if ((*p & 0xf8) == 0xf0)
			n = 3, cp = *p & 0x07;
		else
			return 0;
		if ((size_t)(end - p) <= n)
			return 0;
		for (i = 1; i <= n; i++) {
			if ((p[i] & 0xc0) != 0x80)
				return 0;
			cp = (cp << 6) | (p[i] & 0x3f);
		}
		if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) ||
		    (n == 3 && cp < 0x10000) || cp > 0x10ffff ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			return 0;
		p += n + 1;
	}
	return 1;
}

/* The first string (key or value) in o holding a NUL ("\u0000"): its
 * path into where (e.g. "settings.name"); 0 if there is none. */
static int find_nul(json_object *o, char *where, size_t len, size_t at)
{
	if (json_object_is_type(o, json_type_string))
		return memchr(json_object_get_string(o), 0,
			      (size_t)json_object_get_string_len(o)) != NULL;
	if (json_object_is_type(o, json_type_array)) {
		size_t i, n = json_object_array_length(o);

		for (i = 0; i < n; i++) {
			snprintf(where + at, len - at, "[%zu]", i);
			if (find_nul(json_object_array_get_idx(o, i), where, len,
				     strlen(where)))
				return 1;
		}
		return 0;
	}
	if (json_object_is_type(o, json_type_object)) {
		json_object_object_foreach(o, k, v) {
			snprintf(where + at, len - at, "%s%s", at ? "." : "", k);
			if (find_nul(v, where, len, strlen(where)))
				return 1;
		}
	}
	return 0;
}

json_object *api_parse_body(struct call *c)
{
	json_tokener *tok;
	json_object *o = NULL;
	const char *b = c->rq->body;
	size_t end, n = c->rq->body_len;
	char where[256] = "";

	if (!b || !n) {
		api_reply_error(c->rs, 400, "bad_request", "a JSON object body is required");
		return NULL;
	}
	/* Checked on the raw bytes: json-c would keep invalid UTF-8 as is,
	 * and PostgreSQL's refusal of it would come back as a 500. */
	if (!api_text_ok(b, n)) {
		api_reply_error(c->rs, 400, "bad_encoding", "request body is not "
				"valid UTF-8 text (or holds a NUL byte)");
		return NULL;
	}
	tok = json_tokener_new();
	if (!tok)
		goto out;
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	o = json_tokener_parse_ex(tok, b, (int)n);
	end = json_tokener_get_parse_end(tok);
	while (o && end < n && (b[end] == ' ' || b[end] == '\t' ||
				b[end] == '\r' || b[end] == '\n'))
		end++;
	if (!o || json_tokener_get_error(tok) != json_tokener_success ||
	    !json_object_is_type(o, json_type_object)) {
		api_reply_error(c->rs, 400, "bad_json", "request body is not a JSON "
				"object (error near offset %zu: %s)",
				json_tokener_get_parse_end(tok),
				json_tokener_error_desc(json_tokener_get_error(tok)));
		goto bad;
	}
	if (end < n) {
		/* One object per request: anything after it is an error, not
		 * a second value we silently drop. */
		api_reply_error(c->rs, 400, "bad_json", "request body has data "
				"after the JSON object (at offset %zu); send exactly "
				"one object", end);
		goto bad;
	}
	if (find_nul(o, where, sizeof(where), 0)) {
		api_reply_error(c->rs, 400, "bad_encoding", "'%s' holds a NUL "
				"character (\\u0000), which text cannot hold",
				where);
		goto bad;
	}
	goto out;
bad:
	json_object_put(o);
	o = NULL;
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
