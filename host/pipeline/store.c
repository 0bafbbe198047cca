/* store: raw pages, checkpoints and secrets for extract jobs. */
#include "config.h"

#include <inttypes.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/crypto.h"
#include "base/failpoint.h"
#include "db/db.h"
#include "base/log.h"
#include "pipeline/record.h"
#include "pipeline/store.h"

#define STORE(job) ((job)->store)

/* True if text[0..len) is exactly one JSON value (whitespace around is
 * fine); else why says what is wrong and where. */
static int whole_json(const char *text, size_t len, char *why, size_t whylen)
{
	struct json_tokener *tok = json_tokener_new();
	struct json_object *o;
	enum json_tokener_error e;
	size_t end;
	int ok = 0;

	if (!tok) {
		snprintf(why, whylen, "out of memory");
		return 0;
	}
	if (len > INT32_MAX) {
		snprintf(why, whylen, "body of %zu bytes is too large", len);
		goto out;
	}
	o = json_tokener_parse_ex(tok, text, (int)len);
	e = json_tokener_get_error(tok);
	end = json_tokener_get_parse_end(tok);
	json_object_put(o);
	if (e == json_tokener_continue) {
		snprintf(why, whylen, "body ends inside a JSON value after %zu "
			 "bytes (a truncated page)", len);
		goto out;
	}
	if (e != json_tokener_success) {
		snprintf(why, whylen, "body is not JSON at byte %zu: %s", end,
			 json_tokener_error_desc(e));
		goto out;
	}
	while (end < len && strchr(" \t\r\n", text[end]))
		end++;
	if (end < len) {
		snprintf(why, whylen, "body has extra text after the JSON value "
			 "at byte %zu", end);
		goto out;
	}
	ok = 1;
out:
	json_tokener_free(tok);
	return ok;
}

int32_t store_raw_store(struct pulse_job *job, const pulse_raw_page *pg)
{
	struct store *st = STORE(job);
	PGresult *r = NULL;
	const char *params[9];
	char ten[24], integ[24], run[24], status[16], why[256], err[1024];
	char created[PIPELINE_TS_LEN];
	char *body = NULL;
	size_t len;
	int64_t id;
	int32_t rc;

	if (!pg || !pg->entity || !*pg->entity || !pg->body)
		return job_fail(job, PULSE_ERR_PERMANENT, "raw_store: the page "
				"needs an entity and a body (plugin bug)");
	len = pg->body_len ? (size_t)pg->body_len : strlen(pg->body);
	if (memchr(pg->body, '\0', len) || !whole_json(pg->body, len, why, sizeof(why)))
		return job_fail(job, PULSE_ERR_TRANSIENT, "raw_store: page of "
				"'%s' from %s refused, nothing stored: %s",
				pg->entity, pg->request_url ? pg->request_url : "?",
				memchr(pg->body, '\0', len) ? "body contains a NUL byte" : why);
	if (pg->request_params && !whole_json(pg->request_params,
					      strlen(pg->request_params), why,
					      sizeof(why)))
		return job_fail(job, PULSE_ERR_PERMANENT, "raw_store: "
				"request_params of a '%s' page are not JSON: %s "
				"(plugin bug)", pg->entity, why);
	if ((pg->checkpoint_key == NULL) != (pg->checkpoint_value == NULL))
		return job_fail(job, PULSE_ERR_PERMANENT, "raw_store: "
				"checkpoint_key and checkpoint_value go together "
				"(plugin bug)");
	/* The body must reach the server NUL-terminated; a body with an
	 * explicit length may not be, and reading past it is not allowed. */
	if (pg->body_len) {
		body = malloc(len + 1);
		if (!body)
			return job_fail(job, PULSE_ERR_TRANSIENT, "out of memory");
		memcpy(body, pg->body, len);
		body[len] = '\0';
	}
	snprintf(status, sizeof(status), "%u", pg->http_status ? pg->http_status : 200);
	params[0] = db_i64(ten, st->tenant_id);
	params[1] = db_i64(integ, st->integration_id);
	params[2] = st->run_id ? db_i64(run, st->run_id) : NULL;
	params[3] = pg->entity;
	params[4] = pg->request_method ? pg->request_method : "GET";
	params[5] = pg->request_url ? pg->request_url : "";
	params[6] = pg->request_params;
	params[7] = status;
	params[8] = body ? body : pg->body;
	if (db_tenant_begin(st->conn, st->tenant_id, err, sizeof(err)) < 0)
		goto fail;
	r = db_query(st->conn, err, sizeof(err),
		     "INSERT INTO raw_extraction_data (tenant_id, integration_id,"
		     " job_run_id, entity, request_method, request_url,"
		     " request_params, http_status, body)"
		     " VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, $8, $9::jsonb)"
		     " RETURNING id, " PIPELINE_TS_SQL("created_at"), 9, params);
	if (!r)
		goto fail;
	id = db_int64(r, 0, 0);
	snprintf(created, sizeof(created), "%s", PQgetvalue(r, 0, 1));
	PQclear(r);
	r = NULL;
	if (pg->checkpoint_key) {
		const char *sp[4] = {params[0], params[1], pg->checkpoint_key,
				     pg->checkpoint_value};

		r = db_query(st->conn, err, sizeof(err),
			     "INSERT INTO integration_state (tenant_id,"
			     " integration_id, key, value) VALUES ($1, $2, $3, $4)"
			     " ON CONFLICT (tenant_id, integration_id, key)"
			     " DO UPDATE SET value = EXCLUDED.value, updated_at = now()",
			     4, sp);
		if (!r)
			goto fail;
		PQclear(r);
		r = NULL;
	}
	if (pg->checkpoint_clear_key) {
		const char *dp[3] = {params[0], params[1], pg->checkpoint_clear_key};

		r = db_query(st->conn, err, sizeof(err),
			     "DELETE FROM integration_state WHERE tenant_id = $1"
			     " AND integration_id = $2 AND key = $3", 3, dp);
		if (!r)
			goto fail;
		PQclear(r);
		r = NULL;
	}
	/* the page and its checkpoint are written, not yet committed */
	FAILPOINT("extract.page_stored");
	if (db_commit(st->conn, err, sizeof(err)) < 0)
		goto fail;
	/* committed, not yet dispatched to a worker */
	FAILPOINT("extract.page_committed");
	free(body);
	body = NULL;
	st->pages++;
	st->bytes += len;
	if (st->dispatch &&
	    st->dispatch(st->dispatch_ctx, st->tenant_id, id, created, err,
			  sizeof(err)) < 0)
		return job_fail(job, PULSE_ERR_TRANSIENT, "raw row %" PRId64
				" was stored but could not be dispatched: %s; "
				"the recovery sweep will pick it up", id, err);
	return PULSE_OK;
fail:
	PQclear(r);
	free(body);
	db_rollback(st->conn);
	rc = job_fail(job, PULSE_ERR_TRANSIENT, "raw_store: storing a '%s' page "
		      "failed, nothing stored: %s", pg->entity, err);
	return rc;
}

char *store_state_read(PGconn *c, int64_t tenant_id, int64_t integration_id,
		       const char *key, char *err, size_t errlen)
{
	char ten[24], integ[24];
	const char *params[3] = {db_i64(ten, tenant_id),
				 db_i64(integ, integration_id), key};
	PGresult *r;
	char *v = NULL;

	if (db_tenant_begin(c, tenant_id, err, errlen) < 0)
		return NULL;
	r = db_query(c, err, errlen,
		     "SELECT value FROM integration_state WHERE tenant_id = $1"
		     " AND integration_id = $2 AND key = $3", 3, params);
	if (r && PQntuples(r) > 0) {
		v = strdup(PQgetvalue(r, 0, 0));
		if (!v)
			snprintf(err, errlen, "out of memory");
	} else if (r) {
		snprintf(err, errlen, "no state '%s'", key);
	}
	PQclear(r);
	db_commit(c, err, errlen);
	return v;
}

char *store_state_get(struct pulse_job *job, const char *key)
{
	struct store *st = STORE(job);
	char err[512];

	if (!key)
		return NULL;
	return store_state_read(st->conn, st->tenant_id, st->integration_id,
				key, err, sizeof(err));
}

int32_t store_state_set(struct pulse_job *job, const char *key,
			const char *value)
{
	struct store *st = STORE(job);
	char ten[24], integ[24], err[1024];
	const char *params[4] = {db_i64(ten, st->tenant_id),
				 db_i64(integ, st->integration_id), key, value};
	PGresult *r;

	if (!key || !*key)
		return job_fail(job, PULSE_ERR_PERMANENT, "state_set: empty key "
				"(plugin bug)");
	if (db_tenant_begin(st->conn, st->tenant_id, err, sizeof(err)) < 0)
		goto fail;
	r = db_query(st->conn, err, sizeof(err), value ?
		     "INSERT INTO integration_state (tenant_id, integration_id,"
		     " key, value) VALUES ($1, $2, $3, $4)"
		     " ON CONFLICT (tenant_id, integration_id, key)"
		     " DO UPDATE SET value = EXCLUDED.value, updated_at = now()" :
		     "DELETE FROM integration_state WHERE tenant_id = $1"
		     " AND integration_id = $2 AND key = $3",
		     value ? 4 : 3, params);
	if (!r)
		goto fail;
	PQclear(r);
	if (db_commit(st->conn, err, sizeof(err)) < 0)
		goto fail;
	return PULSE_OK;
fail:
	db_rollback(st->conn);
	return job_fail(job, PULSE_ERR_TRANSIENT, "state_set '%s' failed: %s",
			key, err);
}

char *store_secret_lookup(struct json_object *secrets, const char *key,
			  uint32_t index)
{
	struct json_object *v = NULL;
	const char *s = NULL;

	if (!secrets || !key || !json_object_object_get_ex(secrets, key, &v))
		return NULL;
	if (json_object_is_type(v, json_type_string))
		s = index == 0 ? json_object_get_string(v) : NULL;
	else if (json_object_is_type(v, json_type_array) &&
		 index < json_object_array_length(v))
		s = json_object_get_string(json_object_array_get_idx(v, index));
	return s ? strdup(s) : NULL;
}

char *store_secret_get(struct pulse_job *job, const char *key,
		       uint32_t index)
{
	return store_secret_lookup(STORE(job)->secrets, key, index);
}
