/* record: typed, validated records of a transform, batched per entity. */
#include "config.h"

#include <ctype.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pipeline/entity.h"
#include "pipeline/record.h"

/* A record being built; offs has ent->nfields entries. */
struct rec {
	struct pulse_record hdr;
	struct recset *rs;
	struct rec_batch *b;
	int failed;
	long offs[];
};

struct recset *recset_new(const struct entity_registry *reg)
{
	struct recset *rs = calloc(1, sizeof(*rs));
	size_t i;

	if (!rs)
		return NULL;
	rs->reg = reg;
	rs->b = calloc(reg->n ? reg->n : 1, sizeof(*rs->b));
	rs->mark_nrec = calloc(reg->n ? reg->n : 1, sizeof(size_t));
	rs->mark_len = calloc(reg->n ? reg->n : 1, sizeof(size_t));
	if (!rs->b || !rs->mark_nrec || !rs->mark_len) {
		recset_free(rs);
		return NULL;
	}
	for (i = 0; i < reg->n; i++)
		rs->b[i].ent = &reg->v[i];
	return rs;
}

void recset_free(struct recset *rs)
{
	size_t i;

	if (!rs)
		return;
	for (i = 0; rs->b && i < rs->reg->n; i++) {
		sb_free(&rs->b[i].data);
		free(rs->b[i].offs);
		free(rs->b[i].ord);
		free(rs->b[i].integration);
		free(rs->b[i].del);
	}
	free(rs->b);
	free(rs->mark_nrec);
	free(rs->mark_len);
	free(rs);
}

void recset_reset(struct recset *rs)
{
	size_t i;

	for (i = 0; i < rs->reg->n; i++) {
		rs->b[i].nrec = 0;
		rs->b[i].data.len = 0;
		if (rs->b[i].data.buf)
			rs->b[i].data.buf[0] = '\0';
	}
	rs->nrecords = 0;
}

void recset_begin_row(struct recset *rs, int64_t raw_id,
		      int64_t integration_id, const char *plugin,
		      const char *raw_entity)
{
	size_t i;

	rs->raw_id = raw_id;
	rs->integration_id = integration_id;
	snprintf(rs->ctx, sizeof(rs->ctx), "raw row %" PRId64 " (%s/%s)", raw_id,
		 plugin ? plugin : "?", raw_entity ? raw_entity : "?");
	for (i = 0; i < rs->reg->n; i++) {
		rs->mark_nrec[i] = rs->b[i].nrec;
		rs->mark_len[i] = rs->b[i].data.len;
	}
	rs->mark_nrecords = rs->nrecords;
}

void recset_drop_row(struct recset *rs)
{
	size_t i;

	for (i = 0; i < rs->reg->n; i++) {
		rs->b[i].nrec = rs->mark_nrec[i];
		rs->b[i].data.len = rs->mark_len[i];
	}
	rs->nrecords = rs->mark_nrecords;
}

uint64_t recset_row_records(const struct recset *rs)
{
	return rs->nrecords - rs->mark_nrecords;
}

/* ---- value checks ------------------------------------------------- */

static int digits(const char *s, int n)
{
	int i;

	for (i = 0; i < n; i++)
		if (!isdigit((unsigned char)s[i]))
			return 0;
	return 1;
}

static int num(const char *s, int n)
{
	int v = 0, i;

	for (i = 0; i < n; i++)
		v = v * 10 + (s[i] - '0');
	return v;
}

int record_valid_time(const char *s)
{
	int mo, d, h, mi;

	/* YYYY-MM-DD */
	if (!s || !digits(s, 4) || s[4] != '-' || !digits(s + 5, 2) ||
	    s[7] != '-' || !digits(s + 8, 2))
		return 0;
	mo = num(s + 5, 2);
	d = num(s + 8, 2);
	if (mo < 1 || mo > 12 || d < 1 || d > 31)
		return 0;
	s += 10;
	if (!*s)
		return 1;
	/* [T ]HH:MM[:SS[.frac]] */
	if ((*s != 'T' && *s != 't' && *s != ' ') || !digits(s + 1, 2) ||
	    s[3] != ':' || !digits(s + 4, 2))
		return 0;
	h = num(s + 1, 2);
	mi = num(s + 4, 2);
	if (h > 24 || mi > 59)
		return 0;
	s += 6;
	if (*s == ':') {
		if (!digits(s + 1, 2) || num(s + 1, 2) > 60)
			return 0;
		s += 3;
		if (*s == '.' || *s == ',') {
			s++;
			if (!isdigit((unsigned char)*s))
				return 0;
			while (isdigit((unsigned char)*s))
				s++;
		}
	}
	/* [Z | ±HH[[:]MM]] ; no zone means UTC (the session's zone) */
	if (*s == 'Z' || *s == 'z')
		return s[1] == '\0';
	if (*s == '+' || *s == '-') {
		if (!digits(s + 1, 2) || num(s + 1, 2) > 14)
			return 0;
		s += 3;
		if (*s == ':')
			s++;
		if (*s && (!digits(s, 2) || num(s, 2) > 59 || s[2]))
			return 0;
		return 1;
	}
	return *s == '\0';
}

int record_valid_utf8(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	while (*p) {
		unsigned c = *p;
		int n;

		if (c < 0x80) {
			p++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf)
			n = 1;
		else if (c >= 0xe0 && c <= 0xef)
			n = 2;
		else if (c >= 0xf0 && c <= 0xf4)
			n = 3;
		else
			return 0;
		if ((c == 0xe0 && p[1] < 0xa0) || (c == 0xed && p[1] > 0x9f) ||
		    (c == 0xf0 && p[1] < 0x90) || (c == 0xf4 && p[1] > 0x8f))
			return 0;
		for (p++; n > 0; n--, p++)
			if ((*p & 0xc0) != 0x80)
				return 0;
	}
	return 1;
}

static int valid_json(const char *s)
{
	struct json_tokener *tok = json_tokener_new();
	struct json_object *o;
	size_t len = strlen(s), end;
	int ok;

	if (!tok)
		return 0;
	o = json_tokener_parse_ex(tok, s, (int)len);
	ok = json_tokener_get_error(tok) == json_tokener_success;
	end = json_tokener_get_parse_end(tok);
	while (ok && end < len && strchr(" \t\r\n", s[end]))
		end++;
	ok = ok && end == len;
	json_object_put(o);
	json_tokener_free(tok);
	return ok;
}

/* ---- encoding ------------------------------------------------------ */

/* Append s escaped for COPY text format, NUL-terminated; returns its
 * offset or -1 when memory runs out. */
static long put_text(struct strbuf *sb, const char *s)
{
	size_t start = sb->len;
	const char *p, *run = s;

	for (p = s; *p; p++) {
		const char *esc = NULL;

		switch (*p) {
		case '\\': esc = "\\\\"; break;
		case '\t': esc = "\\t"; break;
		case '\n': esc = "\\n"; break;
		case '\r': esc = "\\r"; break;
		default: continue;
		}
		if (sb_add(sb, run, (size_t)(p - run)) < 0 || sb_add(sb, esc, 2) < 0)
			return -1;
		run = p + 1;
	}
	/* with its NUL, which stays inside len: values sit side by side */
	if (sb_add(sb, run, (size_t)(p - run) + 1) < 0)
		return -1;
	return (long)start;
}

static const char *value_kind(int t)
{
	switch (t) {
	case REC_NULL: return "null";
	case REC_STR: return "string";
	case REC_INT: return "integer";
	case REC_FLOAT: return "float";
	case REC_BOOL: return "boolean";
	case REC_TIME: return "timestamp";
	case REC_JSON: return "JSON";
	}
	return "unknown";
}

static int32_t bad(struct rec *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int32_t bad(struct rec *r, const char *fmt, ...)
{
	char msg[700];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	r->failed = 1;
	job_fail(r->hdr.job, PULSE_ERR_PERMANENT, "transform of %s: %s",
		 r->rs->ctx, msg);
	return PULSE_ERR_INVALID;
}

/* ---- the backend ----------------------------------------------------- */

static struct rec_batch *batch_of(struct recset *rs, const char *entity)
{
	const struct entity *e = entity_find(rs->reg, entity);

	return e ? &rs->b[e->index] : NULL;
}

static void entity_names(const struct recset *rs, char *buf, size_t len)
{
	size_t i, used = 0;

	buf[0] = '\0';
	for (i = 0; i < rs->reg->n && used < len; i++) {
		int n = snprintf(buf + used, len - used, "%s%s", i ? ", " : "",
				 rs->reg->v[i].name);

		if (n < 0)
			break;
		used += (size_t)n;
	}
}

static pulse_record *rec_begin(struct pulse_job *job, const char *entity)
{
	struct recset *rs = job ? job->records : NULL;
	struct rec_batch *b;
	struct rec *r;
	size_t i;

	if (!rs)
		return NULL;
	b = batch_of(rs, entity ? entity : "");
	if (!b) {
		char names[400];

		entity_names(rs, names, sizeof(names));
		job_fail(job, PULSE_ERR_PERMANENT, "transform of %s: unknown "
			 "entity '%s'; known entities: %s", rs->ctx,
			 entity ? entity : "(null)", names);
		return NULL;
	}
	r = malloc(sizeof(*r) + b->ent->nfields * sizeof(long));
	if (!r) {
		job_fail(job, PULSE_ERR_TRANSIENT, "out of memory");
		return NULL;
	}
	r->hdr.job = job;
	r->rs = rs;
	r->b = b;
	r->failed = 0;
	for (i = 0; i < b->ent->nfields; i++)
		r->offs[i] = REC_UNSET;
	return &r->hdr;
}

static int32_t rec_set(pulse_record *rec, const char *field,
		       const struct rec_value *v)
{
	struct rec *r = (struct rec *)rec;
	const struct entity *e = r->b->ent;
	const struct entity_field *f;
	struct strbuf *sb = &r->b->data;
	char buf[64];
	const char *text = NULL;
	long off;
	int i, ok;

	if (r->failed)
		return PULSE_ERR_INVALID;
	i = entity_field_index(e, field);
	if (i < 0)
		return bad(r, "entity '%s' has no field '%s'", e->name, field);
	f = &e->fields[i];
	if (v->type == REC_NULL) {
		if (f->required)
			return bad(r, "field '%s' of '%s' is required and may "
				   "not be null", field, e->name);
		r->offs[i] = REC_SQLNULL;
		return PULSE_OK;
	}
	switch (f->type) {
	case ENT_STR:
		ok = v->type == REC_STR;
		if (ok && !record_valid_utf8(v->s))
			return bad(r, "field '%s' of '%s' is not valid UTF-8",
				   field, e->name);
		text = v->s;
		break;
	case ENT_INT:
		ok = v->type == REC_INT;
		if (ok && !strcmp(f->sqltype, "integer") &&
		    (v->i < INT32_MIN || v->i > INT32_MAX))
			return bad(r, "field '%s' of '%s' is a 32-bit integer; "
				   "%" PRId64 " is out of range", field, e->name,
				   v->i);
		if (ok && !strcmp(f->sqltype, "smallint") &&
		    (v->i < INT16_MIN || v->i > INT16_MAX))
			return bad(r, "field '%s' of '%s' is a 16-bit integer; "
				   "%" PRId64 " is out of range", field, e->name,
				   v->i);
		snprintf(buf, sizeof(buf), "%" PRId64, v->i);
		text = buf;
		break;
	case ENT_FLOAT:
		ok = v->type == REC_FLOAT || v->type == REC_INT;
		if (v->type == REC_INT)
			snprintf(buf, sizeof(buf), "%" PRId64, v->i);
		else if (isnan(v->f))
			snprintf(buf, sizeof(buf), "NaN");
		else if (isinf(v->f))
			snprintf(buf, sizeof(buf), "%sInfinity", v->f < 0 ? "-" : "");
		else
			snprintf(buf, sizeof(buf), "%.17g", v->f);
		text = buf;
		break;
	case ENT_BOOL:
		ok = v->type == REC_BOOL;
		text = v->i ? "t" : "f";
		break;
	case ENT_TIME:
		ok = v->type == REC_TIME || v->type == REC_STR;
		if (ok && !record_valid_time(v->s))
			return bad(r, "field '%s' of '%s' must be an ISO-8601 "
				   "date or date-time (e.g. 2025-01-31T12:00:00Z), "
				   "got \"%.60s\"", field, e->name, v->s);
		text = v->s;
		break;
	case ENT_JSON:
		ok = v->type == REC_JSON;
		if (ok && !valid_json(v->s))
			return bad(r, "field '%s' of '%s' must be valid JSON, got "
				   "\"%.60s\"", field, e->name, v->s);
		text = v->s;
		break;
	default:
		ok = 0;
	}
	if (!ok)
		return bad(r, "field '%s' of '%s' is %s, got %s", field, e->name,
			   entity_type_name(f->type), value_kind(v->type));
	off = put_text(sb, text);
	if (off < 0) {
		r->failed = 1;
		return job_fail(r->hdr.job, PULSE_ERR_TRANSIENT, "out of memory");
	}
	r->offs[i] = off;
	return PULSE_OK;
}

/* Append a finished record to its batch. */
static int push(struct rec_batch *b, struct recset *rs, const long *offs,
		int del)
{
	size_t nf = b->ent->nfields;

	if (b->nrec == b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 256;
		long *o = realloc(b->offs, cap * nf * sizeof(*o));
		int64_t *ord, *integ;
		unsigned char *d;

		if (!o)
			return -1;
		b->offs = o;
		if (!(ord = realloc(b->ord, cap * sizeof(*ord))))
			return -1;
		b->ord = ord;
		if (!(integ = realloc(b->integration, cap * sizeof(*integ))))
			return -1;
		b->integration = integ;
		if (!(d = realloc(b->del, cap)))
			return -1;
		b->del = d;
		b->cap = cap;
	}
	memcpy(b->offs + b->nrec * nf, offs, nf * sizeof(*offs));
	b->ord[b->nrec] = rs->next_ord++;
	b->integration[b->nrec] = rs->integration_id;
	b->del[b->nrec] = (unsigned char)del;
	b->nrec++;
	rs->nrecords++;
	return 0;
}

static int32_t rec_end(pulse_record *rec)
{
	struct rec *r = (struct rec *)rec;
	const struct entity *e;
	int32_t rc = PULSE_ERR_INVALID;
	size_t i;
	int x;

	if (!r)
		return PULSE_ERR_INVALID;
	e = r->b->ent;
	if (r->failed)
		goto out;
	x = entity_field_index(e, "external_id");
	if (r->offs[x] < 0) {
		bad(r, "a record of '%s' has no external_id (every record "
		    "needs one)", e->name);
		goto out;
	}
	for (i = 0; i < e->nfields; i++) {
		if (e->fields[i].required && r->offs[i] == REC_UNSET) {
			bad(r, "record '%s' of '%s' lacks required field '%s'",
			    r->b->data.buf + r->offs[x], e->name,
			    e->fields[i].name);
			goto out;
		}
	}
	if (push(r->b, r->rs, r->offs, 0) < 0) {
		rc = job_fail(r->hdr.job, PULSE_ERR_TRANSIENT, "out of memory");
		goto out;
	}
	rc = PULSE_OK;
out:
	free(r);
	return rc;
}

static void rec_abort(pulse_record *rec)
{
	free(rec);
}

static int32_t rec_delete(struct pulse_job *job, const char *entity,
			  const char *external_id)
{
	struct recset *rs = job ? job->records : NULL;
	struct rec_batch *b;
	long *offs;
	long off;
	size_t i;
	int x, rc;

	if (!rs)
		return PULSE_ERR_INVALID;
	if (!(b = batch_of(rs, entity ? entity : ""))) {
		char names[400];

		entity_names(rs, names, sizeof(names));
		return job_fail(job, PULSE_ERR_PERMANENT, "transform of %s: "
				"delete of unknown entity '%s'; known entities: %s",
				rs->ctx, entity ? entity : "(null)", names);
	}
	if (!external_id || !*external_id || !record_valid_utf8(external_id))
		return job_fail(job, PULSE_ERR_PERMANENT, "transform of %s: "
				"delete of '%s' needs a non-empty UTF-8 "
				"external_id", rs->ctx, b->ent->name);
	offs = malloc(b->ent->nfields * sizeof(*offs));
	if (!offs)
		return job_fail(job, PULSE_ERR_TRANSIENT, "out of memory");
	for (i = 0; i < b->ent->nfields; i++)
		offs[i] = REC_UNSET;
	x = entity_field_index(b->ent, "external_id");
	off = put_text(&b->data, external_id);
	offs[x] = off;
	rc = off < 0 || push(b, rs, offs, 1) < 0 ?
		job_fail(job, PULSE_ERR_TRANSIENT, "out of memory") : PULSE_OK;
	free(offs);
	return rc;
}

void record_backend_install(struct job_backend *be)
{
	if (!be)
		return;
	be->record_begin = rec_begin;
	be->record_set = rec_set;
	be->record_end = rec_end;
	be->record_abort = rec_abort;
	be->record_delete = rec_delete;
}
